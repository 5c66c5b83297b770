//! The portal's JSON API under `/api/v1/tickets`.

use actix_web::{HttpResponse, web};

use super::calendar::{self, CalendarForm};
use super::catalog::{self, NameInput};
use super::tickets::{self, ListQuery, TicketInput};
use super::workflow::{self, AssignInput, NoteInput, PriorityInput, StatusInput};
use crate::app::AppState;
use crate::error::AppError;
use crate::web::ApiUser;

crate::api_routes! {
    get "/api/v1/tickets" => list_tickets,
    post "/api/v1/tickets" => create_ticket,
    get "/api/v1/tickets/{id}" => get_ticket,
    get "/api/v1/tickets/{id}/transitions" => transitions,
    put "/api/v1/tickets/{id}/status" => set_status,
    post "/api/v1/tickets/{id}/notes" => add_note,
    put "/api/v1/tickets/{id}/priority" => set_priority,
    put "/api/v1/tickets/{id}/assignee" => assign,
    put "/api/v1/admin/business-calendar" => set_calendar,
    post "/api/v1/admin/keywords" => add_keyword,
    post "/api/v1/admin/organizations/{id}/environments" => add_environment,
    post "/api/v1/admin/organizations/{id}/applications" => add_application,
}

#[utoipa::path(
    get,
    path = "/api/v1/tickets",
    tag = "portal",
    summary = "Tickets the user may see: current by default; staff queues.",
    params(ListQuery),
    responses((status = 200, description = "Up to 50 tickets", body = Vec<tickets::TicketRow>))
)]
async fn list_tickets(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(tickets::list(&state, &user, query.into_inner()).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/tickets",
    tag = "portal",
    summary = "Files a ticket (authorized contacts for their organization; staff for any). \"Production Down\" in the subject makes it Critical.",
    request_body = TicketInput,
    responses((status = 201, description = "The ticket as filed", body = tickets::TicketView))
)]
async fn create_ticket(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<TicketInput>,
) -> Result<HttpResponse, AppError> {
    let filed = tickets::create(&state, &user, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(tickets::get(&state, &user, filed.id).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/tickets/{id}",
    tag = "portal",
    summary = "A ticket with its events (internal notes for staff only), SLA and allowed next statuses.",
    params(("id" = i64, Path, description = "The ticket")),
    responses((status = 200, description = "The ticket", body = tickets::TicketView))
)]
async fn get_ticket(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(tickets::get(&state, &user, id.into_inner()).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/tickets/{id}/status",
    tag = "portal",
    summary = "Moves a ticket to another status, as the status table allows the user.",
    params(("id" = i64, Path, description = "The ticket")),
    request_body = StatusInput,
    responses((status = 200, description = "The ticket as changed", body = tickets::TicketView))
)]
async fn set_status(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<StatusInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    workflow::set_status(&state, &user, id, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(tickets::get(&state, &user, id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/notes",
    tag = "portal",
    summary = "Adds a note: public, or internal (staff only).",
    params(("id" = i64, Path, description = "The ticket")),
    request_body = NoteInput,
    responses((status = 201, description = "The ticket with the note", body = tickets::TicketView))
)]
async fn add_note(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<NoteInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    workflow::add_note(&state, &user, id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(tickets::get(&state, &user, id).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/tickets/{id}/priority",
    tag = "portal",
    summary = "Changes the priority (staff); the due time is recomputed from the creation.",
    params(("id" = i64, Path, description = "The ticket")),
    request_body = PriorityInput,
    responses((status = 200, description = "The ticket as changed", body = tickets::TicketView))
)]
async fn set_priority(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<PriorityInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    workflow::set_priority(&state, &user, id, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(tickets::get(&state, &user, id).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/tickets/{id}/assignee",
    tag = "portal",
    summary = "Assigns the ticket to a member of staff, or unassigns it (staff).",
    params(("id" = i64, Path, description = "The ticket")),
    request_body = AssignInput,
    responses((status = 200, description = "The ticket as changed", body = tickets::TicketView))
)]
async fn assign(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<AssignInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    workflow::assign(&state, &user, id, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(tickets::get(&state, &user, id).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/business-calendar",
    tag = "admin",
    summary = "Sets the business calendar SLAs count on: time zone, hours, working days, holidays.",
    request_body = CalendarForm,
    responses((status = 200, description = "The calendar as saved", body = CalendarForm))
)]
async fn set_calendar(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<CalendarForm>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(calendar::save(&state, &user, body.into_inner()).await?))
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
        .json(catalog::add(&state, &user, catalog::Kind::Keyword, None, body.into_inner()).await?))
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
    Ok(HttpResponse::Created()
        .json(catalog::add(&state, &user, catalog::Kind::Environment, org, body.into_inner()).await?))
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
    Ok(HttpResponse::Created()
        .json(catalog::add(&state, &user, catalog::Kind::Application, org, body.into_inner()).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/tickets/{id}/transitions",
    tag = "portal",
    summary = "The statuses the caller may move the ticket to (empty for an archived ticket).",
    params(("id" = i64, Path, description = "The ticket")),
    responses((status = 200, description = "Allowed target statuses", body = Vec<tickets::Choice>))
)]
async fn transitions(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(tickets::transitions(&state, &user, id.into_inner()).await?))
}
