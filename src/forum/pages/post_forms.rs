//! What a reader does to one post: edit, delete, vote, accept, and its history.

use super::*;
use crate::db::Db;
use crate::mail::MailContext;

#[derive(Serialize, Deserialize, Default)]
pub(super) struct EditForm {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    tags: Option<String>,
    #[serde(default)]
    body: String,
}

#[derive(Serialize)]
pub(super) struct EditPage {
    post_id: i64,
    topic_id: i64,
    opening: bool,
    form: EditForm,
    errors: FieldErrors,
}

pub(super) async fn edit_form(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let history = posts::history(&state.db, &user, id).await?;
    let page = topics::page(&state.db, &state.topic_cache, &user, history.topic_id, 1).await?;
    let opening = page.opening.id == id;
    let form = EditForm {
        title: opening.then(|| page.topic.title.clone()),
        tags: opening.then(|| page.topic.tags.join(", ")),
        body: history.current,
    };
    ctx.render(
        "forum/edit.html",
        &EditPage {
            post_id: id,
            topic_id: history.topic_id,
            opening,
            form,
            errors: FieldErrors::new(),
        },
    )
}

pub(super) async fn edit(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let form = form.into_inner();
    let change = PostEdit {
        body: Some(form.body.clone()),
        title: form.title.clone(),
        tags: form
            .tags
            .as_ref()
            .map(|t| t.split(',').map(str::to_string).collect()),
    };
    match posts::edit(&state.db, &user, id, change).await {
        Ok(r) => Ok(see_other(&posts::post_place(&r))),
        Err(AppError::Invalid { fields, .. }) => {
            let topic_id = posts::history(&state.db, &user, id).await?.topic_id;
            ctx.render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "forum/edit.html",
                &EditPage {
                    post_id: id,
                    topic_id,
                    opening: form.title.is_some(),
                    form,
                    errors: fields,
                },
            )
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let r = posts::delete(&state.db, &user, id.into_inner()).await?;
    Ok(see_other(&if r.number == 1 {
        "/".to_string()
    } else {
        posts::post_place(&r)
    }))
}

#[derive(Deserialize)]
pub(super) struct VoteForm {
    pub(super) value: i32,
}

pub(super) async fn vote(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<VoteForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let voted = posts::vote(&state.db, &user, id, form.value).await?;
    Ok(see_other(&format!("/t/{}#post-{id}", voted.topic_id)))
}

/// Accepts (`accept = true`) or takes back an answer, then shows its topic.
pub(super) async fn set_accepted(
    db: &Db,
    mailing: &MailContext,
    user: &CurrentUser,
    id: i64,
    accept: bool,
) -> Result<HttpResponse, AppError> {
    let r = posts::accept(db, mailing, user, id, accept).await?;
    Ok(see_other(&format!("/t/{}", r.topic_id)))
}

pub(super) async fn accept(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_accepted(&state.db, &state.mailing, &user, id.into_inner(), true).await
}

pub(super) async fn unaccept(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_accepted(&state.db, &state.mailing, &user, id.into_inner(), false).await
}

pub(super) async fn history(
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let h: History = posts::history(&state.db, &user, id.into_inner()).await?;
    ctx.render("forum/history.html", &h)
}
