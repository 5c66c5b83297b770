//! The dashboard and the announcements staff write for it.

use super::*;
use crate::db::Db;

pub(super) async fn dashboard(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    // One reader's own (their plan, their requests, their queues): kept per reader,
    // until anything is written (see `web::kept`).
    let key = format!("dashboard\0{}", user.id);
    let page = state
        .kept
        .body(&state.db, key, async || {
            ctx.render_kept_body(
                "portal/dashboard.html",
                &dashboard::dashboard(&state.db, &user).await?,
            )
        })
        .await?;
    ctx.render_kept(&page)
}

#[derive(Serialize)]
pub(super) struct AnnouncementsPage {
    announcements: Vec<dashboard::Announcement>,
    form: AnnouncementInput,
    errors: FieldErrors,
    /// The announcement being edited.
    editing: Option<i64>,
}

pub(super) async fn announcements_page(
    db: &Db,
    ctx: &PageCtx,
    user: &CurrentUser,
    form: AnnouncementInput,
    errors: FieldErrors,
    editing: Option<i64>,
) -> Result<HttpResponse, AppError> {
    dashboard::require_writer(user)?;
    let status = crate::web::page::form_status(&errors);
    let announcements = dashboard::list(db, user, true).await?;
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

pub(super) async fn announcements(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    announcements_page(
        &state.db,
        &ctx,
        &user,
        AnnouncementInput::default(),
        FieldErrors::new(),
        None,
    )
    .await
}

pub(super) async fn edit_announcement(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let a = dashboard::list(&state.db, &user, true)
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
    announcements_page(&state.db, &ctx, &user, form, FieldErrors::new(), Some(id)).await
}

/// After writing an announcement: back to the list, or the form with what to fix.
pub(super) async fn announcement_saved(
    db: &Db,
    ctx: &PageCtx,
    user: &CurrentUser,
    form: AnnouncementInput,
    editing: Option<i64>,
    done: Result<(), AppError>,
) -> Result<HttpResponse, AppError> {
    match done {
        Ok(()) => Ok(see_other("/portal/announcements?notice=saved")),
        Err(AppError::Invalid { fields, .. }) => {
            announcements_page(db, ctx, user, form, fields, editing).await
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn create_announcement(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<AnnouncementInput>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let done = dashboard::create(&state.db, &user, form.clone())
        .await
        .map(|_| ());
    announcement_saved(&state.db, &ctx, &user, form, None, done).await
}

pub(super) async fn update_announcement(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<AnnouncementInput>,
) -> Result<HttpResponse, AppError> {
    let (id, form) = (id.into_inner(), form.into_inner());
    let done = dashboard::update(&state.db, &user, id, form.clone()).await;
    announcement_saved(&state.db, &ctx, &user, form, Some(id), done).await
}

pub(super) async fn delete_announcement(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    dashboard::delete(&state.db, &user, id.into_inner()).await?;
    Ok(see_other("/portal/announcements"))
}
