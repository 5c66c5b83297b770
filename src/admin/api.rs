//! The admin JSON API (`/api/v1/admin/...`), for onboarding scripts.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::service::{self, OrganizationChanges, UserChanges, UserQuery};
use crate::app::AppState;
use crate::error::AppError;
use crate::web::ApiUser;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Plain routes, not a scope: a scope on /api/v1/admin beside other /api/v1 routes
    // would answer 404 for paths it does not know before the others are tried.
    cfg.route("/api/v1/admin/organizations", web::get().to(list_organizations))
        .route("/api/v1/admin/organizations", web::post().to(create_organization))
        .route(
            "/api/v1/admin/organizations/{id}",
            web::get().to(get_organization),
        )
        .route(
            "/api/v1/admin/organizations/{id}",
            web::patch().to(update_organization),
        )
        .route("/api/v1/admin/users", web::get().to(list_users))
        .route("/api/v1/admin/users/{id}", web::get().to(get_user))
        .route("/api/v1/admin/users/{id}", web::patch().to(update_user))
        .route("/api/v1/admin/blocked-domains", web::get().to(list_blocked))
        .route("/api/v1/admin/blocked-domains", web::post().to(add_blocked))
        .route(
            "/api/v1/admin/blocked-domains/{id}",
            web::delete().to(remove_blocked),
        );
}

#[derive(Deserialize)]
struct StatusQuery {
    status: Option<String>,
}

async fn list_organizations(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<StatusQuery>,
) -> Result<HttpResponse, AppError> {
    let orgs = service::list_organizations(&state, &user, query.into_inner().status).await?;
    Ok(HttpResponse::Ok().json(orgs))
}

#[derive(Deserialize)]
struct NewOrganization {
    #[serde(default)]
    name: String,
    #[serde(default)]
    domains: Vec<String>,
}

async fn create_organization(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<NewOrganization>,
) -> Result<HttpResponse, AppError> {
    let org = service::create_organization(&state, &user, &body.name, &body.domains).await?;
    Ok(HttpResponse::Created().json(org))
}

async fn get_organization(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(service::get_organization(&state, &user, id.into_inner()).await?))
}

async fn update_organization(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<OrganizationChanges>,
) -> Result<HttpResponse, AppError> {
    let org = service::update_organization(&state, &user, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(org))
}

async fn list_users(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<UserQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(service::list_users(&state, &user, query.into_inner()).await?))
}

async fn get_user(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(service::get_user(&state, &user, id.into_inner()).await?))
}

async fn update_user(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<UserChanges>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok()
        .json(service::update_user(&state, &user, id.into_inner(), body.into_inner()).await?))
}

async fn list_blocked(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(service::list_blocked_domains(&state, &user).await?))
}

#[derive(Deserialize)]
struct NewBlocked {
    #[serde(default)]
    domain: String,
    #[serde(default)]
    note: String,
}

async fn add_blocked(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<NewBlocked>,
) -> Result<HttpResponse, AppError> {
    let row = service::add_blocked_domain(&state, &user, &body.domain, &body.note).await?;
    Ok(HttpResponse::Created().json(row))
}

async fn remove_blocked(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    service::remove_blocked_domain(&state, &user, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
