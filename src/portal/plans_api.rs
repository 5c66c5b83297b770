//! The JSON API of support plans, partners and organizations' support terms (admins
//! write, staff read).

use actix_web::{HttpResponse, web};

use super::partners::{self, PartnerInput, PartnerResource};
use super::plans::{self, OrganizationSupport, PlanInput, PlanResource};
use crate::app::AppState;
use crate::error::AppError;
use crate::web::ApiUser;

crate::api_routes! {
    get "/api/v1/admin/plans" => list_plans,
    post "/api/v1/admin/plans" => create_plan,
    get "/api/v1/admin/plans/{id}" => get_plan,
    put "/api/v1/admin/plans/{id}" => update_plan,
    get "/api/v1/admin/partners" => list_partners,
    post "/api/v1/admin/partners" => create_partner,
    put "/api/v1/admin/partners/{id}" => update_partner,
    get "/api/v1/admin/organizations/{id}/support" => get_support,
    put "/api/v1/admin/organizations/{id}/support" => set_support,
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/plans",
    tag = "admin",
    summary = "Every support plan: its targets, calendar, pauses and escalation (staff).",
    responses((status = 200, description = "The plans", body = Vec<PlanResource>))
)]
async fn list_plans(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(plans::list(&state.db, &user).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/plans",
    tag = "admin",
    summary = "Adds a support plan (admins).",
    request_body = PlanInput,
    responses((status = 201, description = "The plan", body = PlanResource))
)]
async fn create_plan(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<PlanInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Created().json(plans::create(&state.db, &user, body.into_inner()).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/plans/{id}",
    tag = "admin",
    summary = "One support plan (staff).",
    params(("id" = i64, Path, description = "The plan")),
    responses((status = 200, description = "The plan", body = PlanResource))
)]
async fn get_plan(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(plans::get(&state.db, &user, id.into_inner()).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/plans/{id}",
    tag = "admin",
    summary = "Changes a support plan (admins); the due times of its tickets follow at once.",
    params(("id" = i64, Path, description = "The plan")),
    request_body = PlanInput,
    responses((status = 200, description = "The plan", body = PlanResource))
)]
async fn update_plan(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<PlanInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(plans::update(&state.db, &user, id.into_inner(), body.into_inner()).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/partners",
    tag = "admin",
    summary = "Every partner that supports its own customers (staff).",
    responses((status = 200, description = "The partners", body = Vec<PartnerResource>))
)]
async fn list_partners(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(partners::list(&state.db, &user).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/partners",
    tag = "admin",
    summary = "Adds a partner (admins).",
    request_body = PartnerInput,
    responses((status = 201, description = "The partner", body = PartnerResource))
)]
async fn create_partner(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<PartnerInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Created().json(partners::create(&state.db, &user, body.into_inner()).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/partners/{id}",
    tag = "admin",
    summary = "Changes a partner (admins).",
    params(("id" = i64, Path, description = "The partner")),
    request_body = PartnerInput,
    responses((status = 200, description = "The partner", body = PartnerResource))
)]
async fn update_partner(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<PartnerInput>,
) -> Result<HttpResponse, AppError> {
    Ok(
        HttpResponse::Ok()
            .json(partners::update(&state.db, &user, id.into_inner(), body.into_inner()).await?),
    )
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/organizations/{id}/support",
    tag = "admin",
    summary = "An organization's plan, own calendar, success manager and partner (staff).",
    params(("id" = i64, Path, description = "The organization")),
    responses((status = 200, description = "Its support terms", body = OrganizationSupport))
)]
async fn get_support(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(plans::organization_support(&state.db, &user, id.into_inner()).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/organizations/{id}/support",
    tag = "admin",
    summary = "Sets an organization's plan (for tickets filed from now on), own time zone and holidays, \
               success manager and partner (admins).",
    params(("id" = i64, Path, description = "The organization")),
    request_body = OrganizationSupport,
    responses((status = 200, description = "Its support terms", body = OrganizationSupport))
)]
async fn set_support(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<OrganizationSupport>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok()
        .json(plans::set_organization_support(&state.db, &user, id.into_inner(), body.into_inner()).await?))
}
