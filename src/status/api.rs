//! The status API: the page as JSON (public), subscriptions, and incidents for staff.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::service::{self, ComponentChange, NewComponent, NewIncident, NewUpdate};
use super::subscriptions::{self, SubscribeInput};
use crate::app::AppState;
use crate::error::AppError;
use crate::web::ApiUser;

crate::api_routes! {
    get "/api/v1/status" => get_status,
    post "/api/v1/status/subscriptions" => subscribe,
    post "/api/v1/status/unsubscribe" => one_click_unsubscribe,
    post "/api/v1/status/incidents" => open_incident,
    post "/api/v1/status/incidents/{id}/updates" => add_update,
    post "/api/v1/admin/status/components" => add_component,
    patch "/api/v1/admin/status/components/{slug}" => update_component,
    delete "/api/v1/admin/status/components/{slug}" => remove_component,
}

#[utoipa::path(
    get,
    path = "/api/v1/status",
    tag = "status",
    summary = "Components with their state and 90-day history, active, scheduled and recent incidents. Public.",
    security(()),
    responses((status = 200, description = "The status page", body = service::StatusPage))
)]
async fn get_status(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(service::page(&state.db).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/status/subscriptions",
    tag = "status",
    summary = "Subscribes an address to every component, or to those named; a confirmation link is mailed first (double opt-in). Public; the answer is the same whether or not the address was subscribed.",
    security(()),
    request_body = SubscribeInput,
    responses((status = 202, description = "A confirmation link is on its way"))
)]
async fn subscribe(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<SubscribeInput>,
) -> Result<HttpResponse, AppError> {
    let ip = crate::web::client_ip(&req, state.settings.trust_proxy);
    subscriptions::subscribe(
        &state.db,
        &state.mailing,
        &state.limiter,
        &state.templates,
        &state.postman,
        body.into_inner(),
        &ip,
    )
    .await?;
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Token {
    /// The token of the link in the mail.
    #[serde(default)]
    #[param(min_length = 1)]
    token: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/status/unsubscribe",
    tag = "status",
    summary = "One-click unsubscribe from status mail (RFC 8058): the token in the mail is the proof.",
    security(()),
    params(Token),
    responses((status = 204, description = "Unsubscribed"))
)]
async fn one_click_unsubscribe(
    state: web::Data<AppState>,
    q: web::Query<Token>,
) -> Result<HttpResponse, AppError> {
    subscriptions::unsubscribe(&state.db, &q.token).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post,
    path = "/api/v1/status/incidents",
    tag = "status",
    summary = "Opens an incident or schedules maintenance, with its first update; subscribers are mailed (staff).",
    request_body = NewIncident,
    responses((status = 201, description = "The incident", body = service::IncidentView))
)]
async fn open_incident(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<NewIncident>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Created()
        .json(service::open_incident(&state.db, &state.mailing, &user, body.into_inner()).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/status/incidents/{id}/updates",
    tag = "status",
    summary = "Adds a timed update (a new state and what is known); subscribers are mailed (staff).",
    params(("id" = i64, Path, description = "The incident")),
    request_body = NewUpdate,
    responses((status = 201, description = "The incident", body = service::IncidentView))
)]
async fn add_update(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<NewUpdate>,
) -> Result<HttpResponse, AppError> {
    let incident = service::add_update(&state, &user, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Created().json(incident))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/status/components",
    tag = "status",
    summary = "Adds a component to the status page (admins).",
    request_body = NewComponent,
    responses((status = 201, description = "The component", body = service::ComponentView))
)]
async fn add_component(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<NewComponent>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Created().json(service::add_component(&state.db, &user, body.into_inner()).await?))
}

#[utoipa::path(
    patch,
    path = "/api/v1/admin/status/components/{slug}",
    tag = "status",
    summary = "Renames, describes or moves a component (admins).",
    params(("slug" = String, Path, description = "The component")),
    request_body = ComponentChange,
    responses((status = 200, description = "The component", body = service::ComponentView))
)]
async fn update_component(
    state: web::Data<AppState>,
    user: ApiUser,
    slug: web::Path<String>,
    body: web::Json<ComponentChange>,
) -> Result<HttpResponse, AppError> {
    let c = service::update_component(&state.db, &user, slug.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(c))
}

#[utoipa::path(
    delete,
    path = "/api/v1/admin/status/components/{slug}",
    tag = "status",
    summary = "Removes a component (admins); its past incidents stay.",
    params(("slug" = String, Path, description = "The component")),
    responses((status = 204, description = "Removed"))
)]
async fn remove_component(
    state: web::Data<AppState>,
    user: ApiUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    service::remove_component(&state.db, &user, slug.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
