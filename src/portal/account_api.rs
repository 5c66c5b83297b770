//! The JSON API of case escalation, the escalations queue, and authorized contacts kept
//! by the account team.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::case_escalation::{self, CaseEscalationInput, EscalatedTicket};
use super::contacts::{self, AccountQueue, RequestInput};
use crate::app::AppState;
use crate::error::AppError;
use crate::web::ApiUser;

crate::api_routes! {
    post "/api/v1/tickets/{id}/escalation" => escalate,
    get "/api/v1/escalations" => escalations,
    post "/api/v1/me/contact-request" => request_contact,
    get "/api/v1/account-team" => account_team,
    put "/api/v1/account-team/members/{id}" => set_member,
    post "/api/v1/account-team/requests/{id}" => decide,
}

#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/escalation",
    tag = "portal",
    summary = "Escalates a ticket whose plan offers it (its authorized contacts, or staff): its level goes up by \
               one, and the customer success manager and the Support team are mailed.",
    params(("id" = i64, Path, description = "The ticket")),
    request_body = CaseEscalationInput,
    responses((status = 200, description = "The ticket, escalated", body = super::tickets::TicketView))
)]
async fn escalate(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<CaseEscalationInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    case_escalation::escalate(&state.db, &state.mailing, &user, id, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(super::tickets::get(&state.db, &user, id).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/escalations",
    tag = "portal",
    summary = "Escalated tickets not closed yet, the latest escalation first (staff).",
    responses((status = 200, description = "The escalations queue", body = Vec<EscalatedTicket>))
)]
async fn escalations(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(case_escalation::queue(&state.db, &user).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/me/contact-request",
    tag = "portal",
    summary = "Asks the account team to make the caller an authorized contact of their organization.",
    request_body = RequestInput,
    responses((status = 204, description = "The request waits in the account team's queue"))
)]
async fn request_contact(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<RequestInput>,
) -> Result<HttpResponse, AppError> {
    contacts::request(&state.db, &state.mailing, &user, body.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    get,
    path = "/api/v1/account-team",
    tag = "portal",
    summary = "The caller's queue as an account team: open contact requests, and the members of the \
               organizations they manage (staff).",
    responses((status = 200, description = "The queue", body = AccountQueue))
)]
async fn account_team(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(contacts::queue(&state.db, &user).await?))
}

/// Whether a member is an authorized contact.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct ContactChange {
    authorized_contact: bool,
}

#[utoipa::path(
    put,
    path = "/api/v1/account-team/members/{id}",
    tag = "portal",
    summary = "Makes a member an authorized contact of their organization, or no longer one (its customer \
               success manager, or an admin).",
    params(("id" = i64, Path, description = "The member")),
    request_body = ContactChange,
    responses((status = 204, description = "Done; the member is told by mail"))
)]
async fn set_member(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<ContactChange>,
) -> Result<HttpResponse, AppError> {
    contacts::set_contact(
        &state.db,
        &state.mailing,
        &user,
        id.into_inner(),
        body.authorized_contact,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A decision on a contact request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct ContactDecision {
    /// True makes the member a contact; false declines.
    grant: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/account-team/requests/{id}",
    tag = "portal",
    summary = "Grants or declines a request to become an authorized contact.",
    params(("id" = i64, Path, description = "The request")),
    request_body = ContactDecision,
    responses((status = 204, description = "Settled; the member is told by mail"))
)]
async fn decide(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<ContactDecision>,
) -> Result<HttpResponse, AppError> {
    contacts::decide(&state.db, &state.mailing, &user, id.into_inner(), body.grant).await?;
    Ok(HttpResponse::NoContent().finish())
}
