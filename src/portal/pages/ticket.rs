//! A ticket page and the forms on it: status, notes, priority, files, assignee, followers.

use super::*;
use crate::db::Db;

#[derive(Serialize)]
pub(super) struct TicketPage {
    #[serde(flatten)]
    view: TicketView,
    note: String,
    errors: FieldErrors,
    /// The next ticket in the staff queue, for staff.
    next_ticket: Option<i64>,
}

pub(super) async fn ticket_page(
    db: &Db,
    ctx: &PageCtx,
    user: &CurrentUser,
    id: i64,
    note: String,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let status = crate::web::page::form_status(&errors);
    let view = tickets::get(db, user, id).await?;
    let next_ticket = tickets::next_in_queue(db, user, id).await?;
    ctx.render_status(
        status,
        "portal/ticket.html",
        &TicketPage {
            view,
            note,
            errors,
            next_ticket,
        },
    )
}

pub(super) async fn show(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    ticket_page(
        &state.db,
        &ctx,
        &user,
        id.into_inner(),
        String::new(),
        FieldErrors::new(),
    )
    .await
}

/// After a change: back to the ticket, or the ticket again with what to fix.
pub(super) async fn after(
    db: &Db,
    ctx: &PageCtx,
    user: &CurrentUser,
    id: i64,
    done: Result<(), AppError>,
    note: String,
) -> Result<HttpResponse, AppError> {
    match done {
        Ok(()) => Ok(see_other(&format!("/portal/tickets/{id}"))),
        Err(AppError::Invalid { fields, .. }) => ticket_page(db, ctx, user, id, note, fields).await,
        Err(e) => Err(e),
    }
}

pub(super) async fn set_status(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<StatusInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let done = workflow::set_status(&state.db, &state.mailing, &user, id, form.into_inner()).await;
    after(&state.db, &ctx, &user, id, done, String::new()).await
}

#[derive(Deserialize)]
pub(super) struct NoteForm {
    #[serde(default)]
    body: String,
    /// "internal" for a staff-only note.
    #[serde(default)]
    visibility: String,
}

pub(super) async fn add_note(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<NoteForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let form = form.into_inner();
    let input = NoteInput {
        body: form.body.clone(),
        public: true,
        internal: form.visibility == "internal",
    };
    let done = workflow::add_note(&state.db, &state.mailing, &user, id, input).await;
    after(&state.db, &ctx, &user, id, done, form.body).await
}

pub(super) async fn set_priority(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<PriorityInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let done = workflow::set_priority(&state.db, &state.mailing, &user, id, form.into_inner()).await;
    after(&state.db, &ctx, &user, id, done, String::new()).await
}

pub(super) async fn attach(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    // Refuse before reading any bytes when the ticket is not the caller's to change.
    attachments::may_attach(&state.db, &user, id).await?;
    let parts = state
        .files
        .read_form(form, attachments::rules(&state.settings))
        .await?;
    let done = match parts.check() {
        Ok(parts) => attachments::attach(&state.db, &user, id, parts.files).await,
        Err(e) => Err(e),
    };
    after(&state.db, &ctx, &user, id, done, String::new()).await
}

/// A file of a ticket, to those who may see the ticket (404 to anyone else).
pub(super) async fn attachment(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, attachment) = path.into_inner();
    let (sha256, filename) = attachments::find(&state.db, &user, id, attachment).await?;
    state.files.serve(&req, &sha256, &filename).await
}

pub(super) async fn assign(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<AssignInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let done = workflow::assign(&state.db, &state.mailing, &user, id, form.into_inner()).await;
    after(&state.db, &ctx, &user, id, done, String::new()).await
}

#[derive(Deserialize)]
pub(super) struct FollowForm {
    /// "on" to follow, anything else to stop.
    #[serde(default)]
    following: String,
}

pub(super) async fn confirm_sender(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let done = tickets::confirm_sender(&state.db, &state.mailing, &user, id).await;
    after(&state.db, &ctx, &user, id, done, String::new()).await
}

pub(super) async fn follow(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<FollowForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    crate::portal::followers::set(&state.db, &user, id, form.following == "on").await?;
    Ok(see_other(&format!("/portal/tickets/{id}")))
}
