//! Flagging a post, and the moderators' review queue.

use super::*;
use crate::db::Db;

#[derive(Serialize)]
pub(super) struct FlagPage {
    post_id: i64,
    topic_id: i64,
    excerpt: String,
    form: crate::forum::moderation::FlagInput,
    errors: FieldErrors,
}

pub(super) async fn flag_page(
    db: &Db,
    ctx: &PageCtx,
    user: &CurrentUser,
    id: i64,
    form: crate::forum::moderation::FlagInput,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let status = crate::web::page::form_status(&errors);
    let history = posts::history(db, user, id).await?;
    let mut excerpt: String = history.current.chars().take(300).collect();
    if excerpt.len() < history.current.len() {
        excerpt.push('…');
    }
    ctx.render_status(
        status,
        "forum/flag.html",
        &FlagPage {
            post_id: id,
            topic_id: history.topic_id,
            excerpt,
            form,
            errors,
        },
    )
}

pub(super) async fn flag_form(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let form = crate::forum::moderation::FlagInput::default();
    flag_page(&state.db, &ctx, &user, id.into_inner(), form, FieldErrors::new()).await
}

pub(super) async fn flag(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<crate::forum::moderation::FlagInput>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let form = form.into_inner();
    match crate::forum::moderation::flag(&state.db, &user, id, form.clone()).await {
        Ok(topic_id) => Ok(see_other(&format!("/t/{topic_id}?notice=flagged#post-{id}"))),
        Err(AppError::Invalid { fields, .. }) => flag_page(&state.db, &ctx, &user, id, form, fields).await,
        Err(e) => Err(e),
    }
}

#[derive(Serialize)]
pub(super) struct ReviewPage {
    reviews: Vec<crate::forum::moderation::Review>,
}

pub(super) async fn review(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let reviews = crate::forum::moderation::queue(&state.db, &user).await?;
    ctx.render("forum/review.html", &ReviewPage { reviews })
}

#[derive(Deserialize)]
pub(super) struct DecisionForm {
    action: crate::forum::moderation::Decision,
}

pub(super) async fn decide(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, AppError> {
    crate::forum::moderation::decide(&state.db, &user, id.into_inner(), form.action).await?;
    Ok(see_other("/review?notice=saved"))
}
