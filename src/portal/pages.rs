//! The portal pages under `/portal`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::attachments;
use super::dashboard::{self, AnnouncementInput};
use super::reports;
use super::sla::Priority;
use super::tickets::{self, ListQuery, TicketInput, TicketRow, TicketView};
use super::workflow::{self, AssignInput, NoteInput, PriorityInput, StatusInput};
use crate::app::AppState;
use crate::error::{AppError, FieldErrors};
use crate::web::page::see_other;
use crate::web::{CurrentUser, PageCtx};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/portal", web::get().to(dashboard))
        .route("/portal/reports", web::get().to(reports_page))
        .route("/portal/reports.csv", web::get().to(reports_csv))
        .route("/portal/announcements", web::get().to(announcements))
        .route("/portal/announcements", web::post().to(create_announcement))
        .route(
            "/portal/announcements/{id}/edit",
            web::get().to(edit_announcement),
        )
        .route("/portal/announcements/{id}", web::post().to(update_announcement))
        .route(
            "/portal/announcements/{id}/delete",
            web::post().to(delete_announcement),
        )
        .route("/portal/tickets", web::get().to(list))
        .route("/portal/tickets/archived", web::get().to(archived))
        .route("/portal/tickets/new", web::get().to(new_form))
        .route("/portal/tickets/new", web::post().to(create))
        .route("/portal/tickets/{id}", web::get().to(show))
        .route("/portal/tickets/{id}/status", web::post().to(set_status))
        .route("/portal/tickets/{id}/note", web::post().to(add_note))
        .route("/portal/tickets/{id}/priority", web::post().to(set_priority))
        .route("/portal/tickets/{id}/assign", web::post().to(assign))
        .route("/portal/tickets/{id}/follow", web::post().to(follow))
        .route(
            "/portal/tickets/{id}/confirm-sender",
            web::post().to(confirm_sender),
        )
        .route("/portal/tickets/{id}/attachments", web::post().to(attach))
        .route(
            "/portal/tickets/{id}/attachments/{attachment}",
            web::get().to(attachment),
        );
}

#[derive(Serialize)]
struct ListPage {
    archived: bool,
    query: ListQuery,
    tickets: Vec<TicketRow>,
    staff: bool,
}

async fn list_page(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    query: ListQuery,
    archived: bool,
) -> Result<HttpResponse, AppError> {
    let staff = super::access(user)?.is_staff();
    let tickets = tickets::list(state, user, query.clone()).await?;
    ctx.render(
        "portal/list.html",
        &ListPage {
            archived,
            query,
            tickets,
            staff,
        },
    )
}

async fn list(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    list_page(&state, &ctx, &user, query.into_inner(), false).await
}

async fn archived(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = ListQuery {
        status: Some("archived".into()),
        ..query.into_inner()
    };
    list_page(&state, &ctx, &user, query, true).await
}

#[derive(Serialize)]
struct PriorityChoice {
    id: &'static str,
    name: &'static str,
    promise: &'static str,
}

#[derive(Serialize)]
struct NewPage {
    /// The community question being escalated, when the form escalates one.
    escalating: Option<Escalating>,
    /// Incidents open now, shown above the form before anyone files.
    incidents: Vec<crate::status::service::IncidentView>,
    form: TicketInput,
    errors: FieldErrors,
    choices: tickets::FormChoices,
    priorities: Vec<PriorityChoice>,
    max_files: usize,
    max_upload_mib: u64,
}

#[derive(Deserialize)]
struct NewQuery {
    follows: Option<i64>,
}

/// The question a ticket form escalates.
#[derive(Serialize)]
pub(crate) struct Escalating {
    pub topic_id: i64,
    pub title: String,
}

async fn new_page(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    form: TicketInput,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    ticket_form(state, ctx, user, form, errors, None).await
}

/// The new-ticket form, or the escalation form of a question (the same fields).
pub(crate) async fn ticket_form(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    form: TicketInput,
    errors: FieldErrors,
    escalating: Option<Escalating>,
) -> Result<HttpResponse, AppError> {
    let status = crate::web::page::form_status(&errors);
    let choices = tickets::choices(state, user).await?;
    let priorities = [Priority::Critical, Priority::High, Priority::Normal]
        .into_iter()
        .map(|p| PriorityChoice {
            id: p.as_str(),
            name: match p {
                Priority::Critical => "Critical",
                Priority::High => "High",
                Priority::Normal => "Normal",
            },
            promise: p.promise(),
        })
        .collect();
    ctx.render_status(
        status,
        "portal/new.html",
        &NewPage {
            escalating,
            incidents: crate::status::service::active(state).await?,
            form,
            errors,
            choices,
            priorities,
            max_files: attachments::MAX_FILES,
            max_upload_mib: state.settings.max_upload_bytes / (1024 * 1024),
        },
    )
}

async fn new_form(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    let form = TicketInput {
        priority: "normal".into(),
        follows_ticket_id: query.follows,
        ..TicketInput::default()
    };
    new_page(&state, &ctx, &user, form, FieldErrors::new()).await
}

/// The new-ticket form: "Submit" files it (with any files chosen), "Upload
/// Attachments and Submit" also insists on at least one file. A refused form comes back
/// filled in (files must be chosen again: a browser cannot be given them back).
async fn create(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    req: actix_web::HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    super::access(&user)?;
    let parts = crate::files::form_parts(&state.files, &req, payload, attachments::rules(&state)).await?;
    let input: TicketInput = parts.parse()?;
    let mut errors = parts.refused.clone();
    if parts.text("action") == "upload" && parts.files.is_empty() && errors.is_empty() {
        errors.insert(
            attachments::FIELD.into(),
            vec!["Choose the files to upload, or use Submit to file the ticket without any.".into()],
        );
    }
    if !errors.is_empty() {
        return new_page(&state, &ctx, &user, input, errors).await;
    }
    match tickets::create(&state, &user, input.clone(), parts.files).await {
        Ok(filed) => Ok(see_other(&format!(
            "/portal/tickets/{}?notice=ticket_filed",
            filed.id
        ))),
        Err(AppError::Invalid { fields, .. }) => new_page(&state, &ctx, &user, input, fields).await,
        Err(e) => Err(e),
    }
}

#[derive(Serialize)]
struct TicketPage {
    #[serde(flatten)]
    view: TicketView,
    note: String,
    errors: FieldErrors,
}

async fn ticket_page(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    id: i64,
    note: String,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let status = crate::web::page::form_status(&errors);
    let view = tickets::get(state, user, id).await?;
    ctx.render_status(status, "portal/ticket.html", &TicketPage { view, note, errors })
}

async fn show(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    ticket_page(
        &state,
        &ctx,
        &user,
        id.into_inner(),
        String::new(),
        FieldErrors::new(),
    )
    .await
}

/// After a change: back to the ticket, or the ticket again with what to fix.
async fn after(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    id: i64,
    done: Result<(), AppError>,
    note: String,
) -> Result<HttpResponse, AppError> {
    match done {
        Ok(()) => Ok(see_other(&format!("/portal/tickets/{id}"))),
        Err(AppError::Invalid { fields, .. }) => ticket_page(state, ctx, user, id, note, fields).await,
        Err(e) => Err(e),
    }
}

async fn set_status(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<StatusInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let done = workflow::set_status(&state, &user, id, form.into_inner()).await;
    after(&state, &ctx, &user, id, done, String::new()).await
}

#[derive(Deserialize)]
struct NoteForm {
    #[serde(default)]
    body: String,
    /// "internal" for a staff-only note.
    #[serde(default)]
    visibility: String,
}

async fn add_note(
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
    let done = workflow::add_note(&state, &user, id, input).await;
    after(&state, &ctx, &user, id, done, form.body).await
}

async fn set_priority(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<PriorityInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let done = workflow::set_priority(&state, &user, id, form.into_inner()).await;
    after(&state, &ctx, &user, id, done, String::new()).await
}

async fn attach(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    // Refuse before reading any bytes when the ticket is not the caller's to change.
    attachments::may_attach(&state, &user, id).await?;
    let parts = state.files.read_form(form, attachments::rules(&state)).await?;
    let done = match parts.check() {
        Ok(parts) => attachments::attach(&state, &user, id, parts.files).await,
        Err(e) => Err(e),
    };
    after(&state, &ctx, &user, id, done, String::new()).await
}

/// A file of a ticket, to those who may see the ticket (404 to anyone else).
async fn attachment(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, attachment) = path.into_inner();
    let (sha256, filename) = attachments::find(&state, &user, id, attachment).await?;
    state.files.serve(&req, &sha256, &filename).await
}

async fn assign(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<AssignInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let done = workflow::assign(&state, &user, id, form.into_inner()).await;
    after(&state, &ctx, &user, id, done, String::new()).await
}

async fn dashboard(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    ctx.render(
        "portal/dashboard.html",
        &dashboard::dashboard(&state, &user).await?,
    )
}

#[derive(Serialize)]
struct AnnouncementsPage {
    announcements: Vec<dashboard::Announcement>,
    form: AnnouncementInput,
    errors: FieldErrors,
    /// The announcement being edited.
    editing: Option<i64>,
}

async fn announcements_page(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    form: AnnouncementInput,
    errors: FieldErrors,
    editing: Option<i64>,
) -> Result<HttpResponse, AppError> {
    if !user.is_staff() {
        return Err(AppError::forbidden("Only support staff write announcements."));
    }
    let status = crate::web::page::form_status(&errors);
    let announcements = dashboard::list(state, user, true).await?;
    ctx.render_status(
        status,
        "portal/announcements.html",
        &AnnouncementsPage {
            announcements,
            form,
            errors,
            editing,
        },
    )
}

async fn announcements(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    announcements_page(
        &state,
        &ctx,
        &user,
        AnnouncementInput::default(),
        FieldErrors::new(),
        None,
    )
    .await
}

async fn edit_announcement(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let a = dashboard::list(&state, &user, true)
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or(AppError::NotFound)?;
    let form = AnnouncementInput {
        title: a.title,
        body: a.body_markdown,
        pinned: a.pinned,
        ends_at: a.ends_at.map(|e| e.format("%Y-%m-%dT%H:%M").to_string()),
    };
    announcements_page(&state, &ctx, &user, form, FieldErrors::new(), Some(id)).await
}

/// After writing an announcement: back to the list, or the form with what to fix.
async fn announcement_saved(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    form: AnnouncementInput,
    editing: Option<i64>,
    done: Result<(), AppError>,
) -> Result<HttpResponse, AppError> {
    match done {
        Ok(()) => Ok(see_other("/portal/announcements?notice=saved")),
        Err(AppError::Invalid { fields, .. }) => {
            announcements_page(state, ctx, user, form, fields, editing).await
        }
        Err(e) => Err(e),
    }
}

async fn create_announcement(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<AnnouncementInput>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let done = dashboard::create(&state, &user, form.clone()).await.map(|_| ());
    announcement_saved(&state, &ctx, &user, form, None, done).await
}

async fn update_announcement(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<AnnouncementInput>,
) -> Result<HttpResponse, AppError> {
    let (id, form) = (id.into_inner(), form.into_inner());
    let done = dashboard::update(&state, &user, id, form.clone()).await;
    announcement_saved(&state, &ctx, &user, form, Some(id), done).await
}

async fn delete_announcement(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    dashboard::delete(&state, &user, id.into_inner()).await?;
    Ok(see_other("/portal/announcements"))
}

#[derive(Serialize)]
struct ReportsPage {
    query: reports::ReportQuery,
    report: Option<reports::SlaReport>,
    errors: FieldErrors,
}

async fn reports_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    query: web::Query<reports::ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let (report, errors) = match reports::sla(&state, &user, &query).await {
        Ok(r) => (Some(r), FieldErrors::new()),
        Err(AppError::Invalid { fields, .. }) => (None, fields),
        Err(e) => return Err(e),
    };
    let status = crate::web::page::form_status(&errors);
    ctx.render_status(
        status,
        "portal/reports.html",
        &ReportsPage {
            query,
            report,
            errors,
        },
    )
}

async fn reports_csv(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<reports::ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let report = reports::sla(&state, &user, &query).await?;
    Ok(crate::web::csv_download(
        &reports::csv_name(&report),
        reports::to_csv(&report),
    ))
}

#[derive(Deserialize)]
struct FollowForm {
    /// "on" to follow, anything else to stop.
    #[serde(default)]
    following: String,
}

async fn confirm_sender(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let done = tickets::confirm_sender(&state, &user, id).await;
    after(&state, &ctx, &user, id, done, String::new()).await
}

async fn follow(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<FollowForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    super::followers::set(&state, &user, id, form.following == "on").await?;
    Ok(see_other(&format!("/portal/tickets/{id}")))
}
