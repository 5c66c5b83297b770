//! The admin JSON API (`/api/v1/admin/...`), for onboarding scripts.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::service::{self, OrganizationChanges, UserChanges, UserQuery};
use crate::app::AppState;
use crate::error::AppError;
use crate::portal::calendar::{self, CalendarForm};
use crate::portal::catalog::{self, NameInput};
use crate::portal::tickets;
use crate::web::ApiUser;

// Plain routes, not a scope: a scope on /api/v1/admin beside other /api/v1 routes
// would answer 404 for paths it does not know before the others are tried.
crate::api_routes! {
    get "/api/v1/admin/organizations" => list_organizations,
    post "/api/v1/admin/organizations" => create_organization,
    get "/api/v1/admin/organizations/{id}" => get_organization,
    patch "/api/v1/admin/organizations/{id}" => update_organization,
    get "/api/v1/admin/users" => list_users,
    get "/api/v1/admin/users/{id}" => get_user,
    patch "/api/v1/admin/users/{id}" => update_user,
    get "/api/v1/admin/blocked-domains" => list_blocked,
    post "/api/v1/admin/blocked-domains" => add_blocked,
    delete "/api/v1/admin/blocked-domains/{id}" => remove_blocked,
    get "/api/v1/admin/teams" => list_teams,
    put "/api/v1/admin/teams/{slug}" => update_team,
    put "/api/v1/admin/business-calendar" => set_calendar,
    post "/api/v1/admin/keywords" => add_keyword,
    post "/api/v1/admin/organizations/{id}/environments" => add_environment,
    post "/api/v1/admin/organizations/{id}/applications" => add_application,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct StatusQuery {
    /// pending, approved or refused (in any case); all when blank.
    #[param(
        pattern = "^\\s*([pP][eE][nN][dD][iI][nN][gG]|[aA][pP][pP][rR][oO][vV][eE][dD]|[rR][eE][fF][uU][sS][eE][dD]|)\\s*$"
    )]
    status: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/organizations",
    tag = "admin",
    summary = "Organizations, optionally by status.",
    params(StatusQuery),
    responses((status = 200, description = "The organizations", body = Vec<service::OrganizationResource>))
)]
async fn list_organizations(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<StatusQuery>,
) -> Result<HttpResponse, AppError> {
    let orgs = service::list_organizations(&state.db, &user, query.into_inner().status).await?;
    Ok(HttpResponse::Ok().json(orgs))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct NewOrganization {
    /// 1 to 120 characters.
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 120)]
    name: String,
    /// The mail domains it owns, at most 100 (an item may hold several, separated by
    /// commas or spaces; they count one by one).
    #[serde(default)]
    #[schema(max_items = 100)]
    domains: Vec<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/organizations",
    tag = "admin",
    summary = "Adds an organization with its email domains.",
    request_body = NewOrganization,
    responses((status = 201, description = "The organization", body = service::OrganizationResource))
)]
async fn create_organization(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<NewOrganization>,
) -> Result<HttpResponse, AppError> {
    let org = service::create_organization(&state.db, &state.domain_lists, &user, &body.name, &body.domains)
        .await?;
    Ok(HttpResponse::Created().json(org))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/organizations/{id}",
    tag = "admin",
    summary = "One organization.",
    params(("id" = i64, Path, description = "The organization")),
    responses((status = 200, description = "The organization", body = service::OrganizationResource))
)]
async fn get_organization(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(service::get_organization(&state.db, &user, id.into_inner()).await?))
}

#[utoipa::path(
    patch,
    path = "/api/v1/admin/organizations/{id}",
    tag = "admin",
    summary = "Approves, renames or changes the domains of an organization.",
    params(("id" = i64, Path, description = "The organization")),
    request_body = OrganizationChanges,
    responses((status = 200, description = "The organization as changed", body = service::OrganizationResource))
)]
async fn update_organization(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<OrganizationChanges>,
) -> Result<HttpResponse, AppError> {
    let org = service::update_organization(
        &state.db,
        &state.mailing,
        &state.domain_lists,
        &state.postman,
        &user,
        id.into_inner(),
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(org))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/users",
    tag = "admin",
    summary = "Users, filtered.",
    params(UserQuery),
    responses((status = 200, description = "The users", body = Vec<service::AdminUser>))
)]
async fn list_users(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<UserQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(service::list_users(&state.db, &user, query.into_inner()).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/users/{id}",
    tag = "admin",
    summary = "One user.",
    params(("id" = i64, Path, description = "The user")),
    responses((status = 200, description = "The user", body = service::AdminUser))
)]
async fn get_user(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(service::get_user(&state.db, &user, id.into_inner()).await?))
}

#[utoipa::path(
    patch,
    path = "/api/v1/admin/users/{id}",
    tag = "admin",
    summary = "Changes a user's role, organization or contact flag.",
    params(("id" = i64, Path, description = "The user")),
    request_body = UserChanges,
    responses((status = 200, description = "The user as changed", body = service::AdminUser))
)]
async fn update_user(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<UserChanges>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok()
        .json(service::update_user(&state.db, &user, id.into_inner(), body.into_inner()).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/blocked-domains",
    tag = "admin",
    summary = "Domains refused at signup beyond the shipped lists.",
    responses((status = 200, description = "The domains", body = Vec<crate::db::models::BlockedDomain>))
)]
async fn list_blocked(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(service::list_blocked_domains(&state.db, &user).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct NewBlocked {
    /// A domain, at most 253 bytes.
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 253)]
    domain: String,
    /// Why; kept to its first 200 characters.
    #[serde(default)]
    note: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/blocked-domains",
    tag = "admin",
    summary = "Refuses a domain at signup.",
    request_body = NewBlocked,
    responses((status = 201, description = "The domain", body = crate::db::models::BlockedDomain))
)]
async fn add_blocked(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<NewBlocked>,
) -> Result<HttpResponse, AppError> {
    let row = service::add_blocked_domain(&state.db, &user, &body.domain, &body.note).await?;
    Ok(HttpResponse::Created().json(row))
}

#[utoipa::path(
    delete,
    path = "/api/v1/admin/blocked-domains/{id}",
    tag = "admin",
    summary = "Stops refusing a domain.",
    params(("id" = i64, Path, description = "The refused domain")),
    responses((status = 204, description = "Removed"))
)]
async fn remove_blocked(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    service::remove_blocked_domain(&state.db, &user, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/teams",
    tag = "admin",
    summary = "The team lists mailed about every Critical ticket, with their members.",
    responses((status = 200, description = "The teams", body = Vec<super::teams::TeamResource>))
)]
async fn list_teams(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(super::teams::list_teams(&state.db, &user).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/teams/{slug}",
    tag = "admin",
    summary = "Sets a team's members (staff accounts, by address) and its list address.",
    params(("slug" = String, Path, description = "support, infrastructure, framework or customer-success")),
    request_body = super::teams::TeamChange,
    responses((status = 200, description = "The team", body = super::teams::TeamResource))
)]
async fn update_team(
    state: web::Data<AppState>,
    user: ApiUser,
    slug: web::Path<String>,
    body: web::Json<super::teams::TeamChange>,
) -> Result<HttpResponse, AppError> {
    let team = super::teams::update_team(&state.db, &user, slug.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(team))
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/business-calendar",
    tag = "admin",
    summary = "Sets the Standard plan's business calendar: time zone, hours, working days, holidays.",
    request_body = CalendarForm,
    responses((status = 200, description = "The calendar as saved", body = CalendarForm))
)]
async fn set_calendar(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<CalendarForm>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(calendar::save(&state.db, &user, body.into_inner()).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/keywords",
    tag = "admin",
    summary = "Adds a keyword tickets can be filed under (admins).",
    request_body = NameInput,
    responses((status = 201, description = "The keyword", body = tickets::Choice))
)]
async fn add_keyword(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<NameInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Created()
        .json(catalog::add(&state.db, &user, catalog::Kind::Keyword, None, body.into_inner()).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/organizations/{id}/environments",
    tag = "admin",
    summary = "Adds an environment (Production, Test...) to a customer (admins).",
    params(("id" = i64, Path, description = "The organization")),
    request_body = NameInput,
    responses((status = 201, description = "The environment", body = tickets::Choice))
)]
async fn add_environment(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<NameInput>,
) -> Result<HttpResponse, AppError> {
    let org = Some(id.into_inner());
    Ok(HttpResponse::Created().json(
        catalog::add(
            &state.db,
            &user,
            catalog::Kind::Environment,
            org,
            body.into_inner(),
        )
        .await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/organizations/{id}/applications",
    tag = "admin",
    summary = "Adds an application to a customer (admins).",
    params(("id" = i64, Path, description = "The organization")),
    request_body = NameInput,
    responses((status = 201, description = "The application", body = tickets::Choice))
)]
async fn add_application(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<NameInput>,
) -> Result<HttpResponse, AppError> {
    let org = Some(id.into_inner());
    Ok(HttpResponse::Created().json(
        catalog::add(
            &state.db,
            &user,
            catalog::Kind::Application,
            org,
            body.into_inner(),
        )
        .await?,
    ))
}
