//! Tickets through the API: filing, reading, statuses, notes, priority, assignee, followers and files.

use super::*;

#[utoipa::path(
    get,
    path = "/api/v1/tickets",
    tag = "portal",
    summary = "Tickets the user may see: current by default; staff queues.",
    params(ListQuery),
    responses((status = 200, description = "Up to 50 tickets", body = Vec<tickets::TicketRow>))
)]
pub(super) async fn list_tickets(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(tickets::list(&state.db, &user, query.into_inner()).await?))
}

/// The multipart form of a new ticket, for the API document.
#[derive(utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documents the multipart form `files::json_or_multipart` reads"
)]
pub(super) struct TicketForm {
    #[serde(flatten)]
    ticket: TicketInput,
    /// Up to 10 files (images, PDF, text, logs, CSV, JSON, XML, ZIP).
    #[schema(value_type = Vec<String>, format = Binary, required = false, max_items = 10)]
    files: Vec<Vec<u8>>,
}

/// The multipart form of files added to a ticket, for the API document.
#[derive(utoipa::ToSchema)]
#[expect(dead_code, reason = "documents the multipart form `files::read_form` reads")]
pub(super) struct FilesForm {
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
    responses(
        (status = 201, description = "The ticket as filed", body = tickets::TicketView),
        (status = 202, description = "The caller's organization is supported by a partner that takes \
                                      tickets by mail: mailed to that partner, no ticket here", body = crate::portal::partners::PartnerResource)
    )
)]
pub(super) async fn create_ticket(
    state: web::Data<AppState>,
    user: ApiUser,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let rules = attachments::rules(&state.settings);
    let (input, files): (TicketInput, _) =
        crate::files::json_or_multipart(&state.files, &req, payload, rules, 256 * 1024).await?;
    if let Some(p) = crate::portal::partners::supporting(&state.db, &user).await?
        && p.partner.filing == "mail"
    {
        let sent = crate::portal::partners::forward(
            &state.db,
            &state.mailing,
            &state.limiter,
            &user,
            &input.subject,
            &input.description,
            &input.priority,
        )
        .await?;
        return Ok(HttpResponse::Accepted().json(sent));
    }
    let filed = tickets::create(&state.db, &state.mailing, &user, input, files).await?;
    Ok(HttpResponse::Created().json(tickets::get(&state.db, &user, filed.id).await?))
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
pub(super) async fn attach(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    form: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    // Refuse before reading any bytes when the ticket is not the caller's to change.
    attachments::may_attach(&state.db, &user, id).await?;
    let parts = state
        .files
        .read_form(form, attachments::rules(&state.settings))
        .await?
        .check()?;
    attachments::attach(&state.db, &user, id, parts.files).await?;
    Ok(HttpResponse::Created().json(tickets::get(&state.db, &user, id).await?))
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
pub(super) async fn attachment(
    state: web::Data<AppState>,
    user: ApiUser,
    req: HttpRequest,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, attachment) = path.into_inner();
    let (sha256, filename) = attachments::find(&state.db, &user, id, attachment).await?;
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
pub(super) async fn get_ticket(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(tickets::get(&state.db, &user, id.into_inner()).await?))
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
pub(super) async fn set_status(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<StatusInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    workflow::set_status(&state.db, &state.mailing, &user, id, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(tickets::get(&state.db, &user, id).await?))
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
pub(super) async fn add_note(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<NoteInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    workflow::add_note(&state.db, &state.mailing, &user, id, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(tickets::get(&state.db, &user, id).await?))
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
pub(super) async fn set_priority(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<PriorityInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    workflow::set_priority(&state.db, &state.mailing, &user, id, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(tickets::get(&state.db, &user, id).await?))
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
pub(super) async fn assign(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<AssignInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    workflow::assign(&state.db, &state.mailing, &user, id, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(tickets::get(&state.db, &user, id).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/tickets/{id}/transitions",
    tag = "portal",
    summary = "The statuses the caller may move the ticket to (empty for an archived ticket).",
    params(("id" = i64, Path, description = "The ticket")),
    responses((status = 200, description = "Allowed target statuses", body = Vec<tickets::Choice>))
)]
pub(super) async fn transitions(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(tickets::transitions(&state.db, &user, id.into_inner()).await?))
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
pub(super) async fn confirm_sender(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    tickets::confirm_sender(&state.db, &state.mailing, &user, id).await?;
    Ok(HttpResponse::Ok().json(tickets::get(&state.db, &user, id).await?))
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
pub(super) async fn follow(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<followers::FollowInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    followers::set(&state.db, &user, id, body.following).await?;
    Ok(HttpResponse::Ok().json(tickets::get(&state.db, &user, id).await?))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct UnfollowToken {
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
pub(super) async fn unfollow_ticket(
    state: web::Data<AppState>,
    q: web::Query<UnfollowToken>,
) -> Result<HttpResponse, AppError> {
    crate::portal::followers::unfollow_by_link(&state.db, &state.keys, &q.token).await?;
    Ok(HttpResponse::NoContent().finish())
}
