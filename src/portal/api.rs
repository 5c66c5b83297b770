//! The portal's JSON API under `/api/v1/tickets`.

use actix_web::{HttpRequest, HttpResponse, web};

use super::attachments;
use super::dashboard::{self, AnnouncementInput};
use super::followers;
use super::inbound;
use super::reports;
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
    put "/api/v1/tickets/{id}/following" => follow,
    post "/api/v1/tickets/{id}/sender-confirmation" => confirm_sender,
    post "/api/v1/tickets/{id}/attachments" => attach,
    get "/api/v1/tickets/{id}/attachments/{attachment}" => attachment,
    get "/api/v1/reports/sla" => sla_report,
    get "/api/v1/reports/sla.csv" => sla_report_csv,
    post "/api/v1/inbound-mail" => inbound_mail,
    post "/api/v1/ticket-mail/unfollow" => unfollow_ticket,
    get "/api/v1/admin/inbound-mail" => received_mail,
    post "/api/v1/admin/inbound-mail/{id}/ticket" => received_to_ticket,
    get "/api/v1/portal/dashboard" => dashboard,
    get "/api/v1/announcements" => list_announcements,
    post "/api/v1/announcements" => create_announcement,
    put "/api/v1/announcements/{id}" => update_announcement,
    delete "/api/v1/announcements/{id}" => delete_announcement,
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

/// The multipart form of a new ticket, for the API document.
#[derive(utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documents the multipart form `files::json_or_multipart` reads"
)]
struct TicketForm {
    #[serde(flatten)]
    ticket: TicketInput,
    /// Up to 10 files (images, PDF, text, logs, CSV, JSON, XML, ZIP).
    #[schema(value_type = Vec<String>, format = Binary, required = false, max_items = 10)]
    files: Vec<Vec<u8>>,
}

/// The multipart form of files added to a ticket, for the API document.
#[derive(utoipa::ToSchema)]
#[expect(dead_code, reason = "documents the multipart form `files::read_form` reads")]
struct FilesForm {
    /// 1 to 10 files (images, PDF, text, logs, CSV, JSON, XML, ZIP).
    #[schema(value_type = Vec<String>, format = Binary, min_items = 1, max_items = 10)]
    files: Vec<Vec<u8>>,
}

#[utoipa::path(
    post,
    path = "/api/v1/tickets",
    tag = "portal",
    summary = "Files a ticket (authorized contacts for their organization; staff for any). \"Production Down\" in the subject makes it Critical. JSON, or multipart with the same fields and files in `files`.",
    request_body(content((TicketInput = "application/json"), (TicketForm = "multipart/form-data")), description = "The ticket, with files when multipart"),
    responses((status = 201, description = "The ticket as filed", body = tickets::TicketView))
)]
async fn create_ticket(
    state: web::Data<AppState>,
    user: ApiUser,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let rules = attachments::rules(&state);
    let (input, files): (TicketInput, _) =
        crate::files::json_or_multipart(&state.files, &req, payload, rules, 256 * 1024).await?;
    let filed = tickets::create(&state, &user, input, files).await?;
    Ok(HttpResponse::Created().json(tickets::get(&state, &user, filed.id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/attachments",
    tag = "portal",
    summary = "Attaches files to a ticket (multipart, field `files`, up to 10); an archived ticket refuses.",
    params(("id" = i64, Path, description = "The ticket")),
    request_body(content = FilesForm, content_type = "multipart/form-data", description = "The files"),
    responses((status = 201, description = "The ticket with its files", body = tickets::TicketView))
)]
async fn attach(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    form: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    // Refuse before reading any bytes when the ticket is not the caller's to change.
    attachments::may_attach(&state, &user, id).await?;
    let parts = state
        .files
        .read_form(form, attachments::rules(&state))
        .await?
        .check()?;
    attachments::attach(&state, &user, id, parts.files).await?;
    Ok(HttpResponse::Created().json(tickets::get(&state, &user, id).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/tickets/{id}/attachments/{attachment}",
    tag = "portal",
    summary = "A file attached to a ticket, to those who may see the ticket.",
    params(
        ("id" = i64, Path, description = "The ticket"),
        ("attachment" = i64, Path, description = "The attachment")
    ),
    responses((status = 200, description = "The file's bytes, with the type it was attached as (an image, a PDF, text, ...)", content_type = "*/*", body = Vec<u8>))
)]
async fn attachment(
    state: web::Data<AppState>,
    user: ApiUser,
    req: HttpRequest,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, attachment) = path.into_inner();
    let (sha256, filename) = attachments::find(&state, &user, id, attachment).await?;
    state.files.serve(&req, &sha256, &filename).await
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

#[utoipa::path(
    get,
    path = "/api/v1/portal/dashboard",
    tag = "portal",
    summary = "The portal dashboard: current announcements, the user's organization, open tickets by status, tickets due soonest.",
    responses((status = 200, description = "The dashboard", body = dashboard::Dashboard))
)]
async fn dashboard(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(dashboard::dashboard(&state, &user).await?))
}

/// `?all=true`: staff also see announcements past their end date.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AnnouncementQuery {
    #[serde(default)]
    all: bool,
}

#[utoipa::path(
    get,
    path = "/api/v1/announcements",
    tag = "portal",
    summary = "Current announcements, pinned first; staff may ask for all.",
    params(AnnouncementQuery),
    responses((status = 200, description = "The announcements", body = Vec<dashboard::Announcement>))
)]
async fn list_announcements(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<AnnouncementQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(dashboard::list(&state, &user, query.all).await?))
}

/// The announcement with this id, as staff see it.
async fn announcement(
    state: &AppState,
    user: &ApiUser,
    id: i64,
) -> Result<dashboard::Announcement, AppError> {
    dashboard::list(state, user, true)
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or(AppError::NotFound)
}

#[utoipa::path(
    post,
    path = "/api/v1/announcements",
    tag = "portal",
    summary = "Writes an announcement (staff).",
    request_body = AnnouncementInput,
    responses((status = 201, description = "The announcement", body = dashboard::Announcement))
)]
async fn create_announcement(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<AnnouncementInput>,
) -> Result<HttpResponse, AppError> {
    let id = dashboard::create(&state, &user, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(announcement(&state, &user, id).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/announcements/{id}",
    tag = "portal",
    summary = "Changes an announcement (staff): every field as sent.",
    params(("id" = i64, Path, description = "The announcement")),
    request_body = AnnouncementInput,
    responses((status = 200, description = "The announcement", body = dashboard::Announcement))
)]
async fn update_announcement(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<AnnouncementInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    dashboard::update(&state, &user, id, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(announcement(&state, &user, id).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/announcements/{id}",
    tag = "portal",
    summary = "Removes an announcement (staff).",
    params(("id" = i64, Path, description = "The announcement")),
    responses((status = 204, description = "Removed"))
)]
async fn delete_announcement(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    dashboard::delete(&state, &user, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/sla",
    tag = "portal",
    summary = "SLA attainment and median first-response time of tickets filed in a period, overall, by priority and by customer (staff).",
    params(reports::ReportQuery),
    responses((status = 200, description = "The report", body = reports::SlaReport))
)]
async fn sla_report(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<reports::ReportQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(reports::sla(&state, &user, &query).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/sla.csv",
    tag = "portal",
    summary = "The SLA report as CSV (staff).",
    params(reports::ReportQuery),
    responses((status = 200, description = "One line per group: all, each priority, each customer", content_type = "text/csv", body = String))
)]
async fn sla_report_csv(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<reports::ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let report = reports::sla(&state, &user, &query).await?;
    Ok(crate::web::csv_download(
        &reports::csv_name(&report),
        reports::to_csv(&report),
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/inbound-mail",
    tag = "portal",
    summary = "Takes in one received message (the raw RFC 822 text), as a mail service's webhook: a ticket from a known sender, a note on the ticket it answers, or refused with a reason. Authenticated with `Authorization: Bearer <PARLEY_INBOUND_MAIL_TOKEN>`.",
    request_body(content = String, content_type = "message/rfc822", description = "The message as received"),
    responses((status = 200, description = "What became of it", body = inbound::Outcome)),
    security(())
)]
async fn inbound_mail(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let sent = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    inbound::check_webhook_secret(&state.settings, sent)?;
    let raw = payload
        .to_bytes_limited(inbound::MAX_MESSAGE)
        .await
        .map_err(|_| AppError::TooLarge("The message is larger than 25 MiB.".into()))?
        .map_err(|e| AppError::BadRequest(format!("The message could not be read: {e}")))?;
    Ok(HttpResponse::Ok().json(inbound::ingest(&state, &raw).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/inbound-mail/{id}/ticket",
    tag = "admin",
    summary = "Makes a ticket for a chosen customer of a refused message (staff).",
    description = "The ticket is filed by the caller, from \"email\", with the message's text (its sender named at the top) and attachments; the message's outcome becomes that ticket. A message that is not refused, or was not kept whole, is a 409 or 404.",
    params(("id" = i64, Path, description = "The received message")),
    request_body = inbound::RefusedToTicket,
    responses(
        (status = 201, description = "The ticket", body = tickets::TicketView),
        (status = 403, description = "Not staff"),
        (status = 404, description = "No refused message kept whole with this id"),
        (status = 409, description = "The message is a ticket already"),
        (status = 422, description = "No such customer")
    )
)]
async fn received_to_ticket(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<inbound::RefusedToTicket>,
) -> Result<HttpResponse, AppError> {
    let ticket = inbound::ticket_from_refused(&state, &user, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Created().json(tickets::get(&state, &user, ticket).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/inbound-mail",
    tag = "admin",
    summary = "The last 200 messages received by mail, with what became of each (admins).",
    responses((status = 200, description = "Newest first", body = Vec<inbound::Received>))
)]
async fn received_mail(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(inbound::received(&state, &user).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/tickets/{id}/sender-confirmation",
    tag = "portal",
    summary = "The requester confirms they sent a ticket that came by mail from a sender that was not verified.",
    description = "Marks the ticket's sender verified; \"Production Down\" in its subject then makes it Critical. Only the requester may; confirming a verified ticket changes nothing.",
    params(("id" = i64, Path, description = "The ticket")),
    responses(
        (status = 200, description = "The ticket", body = tickets::TicketView),
        (status = 403, description = "The reader is not the ticket's requester"),
        (status = 404, description = "No ticket the reader can see")
    )
)]
async fn confirm_sender(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    tickets::confirm_sender(&state, &user, id).await?;
    Ok(HttpResponse::Ok().json(tickets::get(&state, &user, id).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/tickets/{id}/following",
    tag = "portal",
    summary = "Follows a ticket (its events come by mail) or stops following it.",
    params(("id" = i64, Path, description = "The ticket")),
    request_body = followers::FollowInput,
    responses((status = 200, description = "The ticket", body = tickets::TicketView))
)]
async fn follow(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<followers::FollowInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    followers::set(&state, &user, id, body.following).await?;
    Ok(HttpResponse::Ok().json(tickets::get(&state, &user, id).await?))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct UnfollowToken {
    /// The token of the List-Unsubscribe address in the ticket's mail.
    #[serde(default)]
    #[param(min_length = 1)]
    token: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/ticket-mail/unfollow",
    tag = "portal",
    summary = "One-click unsubscribe (RFC 8058) from a ticket's mail: stops following the ticket. No sign-in; the signed token is the proof.",
    security(()),
    params(UnfollowToken),
    responses((status = 204, description = "No longer following"))
)]
async fn unfollow_ticket(
    state: web::Data<AppState>,
    q: web::Query<UnfollowToken>,
) -> Result<HttpResponse, AppError> {
    super::followers::unfollow_by_link(&state, &q.token).await?;
    Ok(HttpResponse::NoContent().finish())
}
