//! The portal pages under `/portal`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::sla::Priority;
use super::tickets::{self, ListQuery, TicketInput, TicketRow, TicketView};
use super::workflow::{self, AssignInput, NoteInput, PriorityInput, StatusInput};
use crate::app::AppState;
use crate::error::{AppError, FieldErrors};
use crate::web::page::see_other;
use crate::web::{CurrentUser, PageCtx};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/portal",
        web::get().to(|| async { see_other("/portal/tickets") }),
    )
    .route("/portal/tickets", web::get().to(list))
    .route("/portal/tickets/archived", web::get().to(archived))
    .route("/portal/tickets/new", web::get().to(new_form))
    .route("/portal/tickets/new", web::post().to(create))
    .route("/portal/tickets/{id}", web::get().to(show))
    .route("/portal/tickets/{id}/status", web::post().to(set_status))
    .route("/portal/tickets/{id}/note", web::post().to(add_note))
    .route("/portal/tickets/{id}/priority", web::post().to(set_priority))
    .route("/portal/tickets/{id}/assign", web::post().to(assign));
}

#[derive(Serialize)]
struct ListPage {
    title: &'static str,
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
            title: if archived {
                "Archived tickets"
            } else {
                "Current tickets"
            },
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
    form: TicketInput,
    errors: FieldErrors,
    choices: tickets::FormChoices,
    priorities: Vec<PriorityChoice>,
}

#[derive(Deserialize)]
struct NewQuery {
    follows: Option<i64>,
}

async fn new_page(
    state: &AppState,
    ctx: &PageCtx,
    user: &CurrentUser,
    form: TicketInput,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
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
            form,
            errors,
            choices,
            priorities,
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

async fn create(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<TicketInput>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    match tickets::create(&state, &user, form.clone()).await {
        Ok(filed) => Ok(see_other(&format!(
            "/portal/tickets/{}?notice=ticket_filed",
            filed.id
        ))),
        Err(AppError::Invalid { fields, .. }) => new_page(&state, &ctx, &user, form, fields).await,
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
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
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
