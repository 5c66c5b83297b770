//! Posts through the API: replies, edits, votes, accepted answers, history, previews and uploads.

use super::*;

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct BodyInput {
    /// Markdown, at least 2 characters, at most 65,536 bytes.
    #[serde(default)]
    #[schema(required = true, min_length = 2, max_length = 65536)]
    body: String,
}

/// Markdown to preview, at most 65,536 bytes.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct PreviewInput {
    #[serde(default)]
    #[schema(max_length = 65536)]
    body: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/topics/{id}/posts",
    tag = "forum",
    summary = "Replies to a topic (an answer, on a question).",
    params(("id" = i64, Path, description = "The topic")),
    request_body = BodyInput,
    responses((status = 201, description = "Where the new post is", body = posts::Replied))
)]
pub(super) async fn create_post(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<BodyInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Created().json(
        posts::reply(
            &state.db,
            &state.mailing,
            &state.limiter,
            &user,
            id.into_inner(),
            &body.body,
        )
        .await?,
    ))
}

#[utoipa::path(
    patch,
    path = "/api/v1/posts/{id}",
    tag = "forum",
    summary = "Edits a post (its author or staff), keeping a revision.",
    params(("id" = i64, Path, description = "The post")),
    request_body = PostEdit,
    responses((status = 200, description = "Where the post is", body = posts::Replied))
)]
pub(super) async fn update_post(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<PostEdit>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(posts::edit(&state.db, &user, id.into_inner(), body.into_inner()).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/posts/{id}",
    tag = "forum",
    summary = "Deletes a post (its author or staff).",
    params(("id" = i64, Path, description = "The post")),
    responses((status = 204, description = "Deleted"))
)]
pub(super) async fn delete_post(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    posts::delete(&state.db, &user, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    get,
    path = "/api/v1/posts/{id}/history",
    tag = "forum",
    summary = "Every revision of a post, with what changed.",
    params(("id" = i64, Path, description = "The post")),
    responses((status = 200, description = "The revisions, newest first", body = posts::History))
)]
pub(super) async fn post_history(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(posts::history(&state.db, &user, id.into_inner()).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct VoteInput {
    /// 1 up, -1 down, 0 to take a vote back.
    #[schema(minimum = -1, maximum = 1)]
    value: i32,
}

#[utoipa::path(
    put,
    path = "/api/v1/posts/{id}/vote",
    tag = "forum",
    summary = "Votes an answer up (1) or down (-1), or takes the vote back (0).",
    params(("id" = i64, Path, description = "The post")),
    request_body = VoteInput,
    responses((status = 200, description = "The post's score and this user's vote", body = posts::VoteResult))
)]
pub(super) async fn vote_post(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<VoteInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(posts::vote(&state.db, &user, id.into_inner(), body.value).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/posts/{id}/accept",
    tag = "forum",
    summary = "Accepts an answer (the asker or staff); replaces any earlier one.",
    params(("id" = i64, Path, description = "The answer")),
    responses((status = 200, description = "Where the answer is", body = posts::Replied))
)]
pub(super) async fn accept_post(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(
        HttpResponse::Ok()
            .json(posts::accept(&state.db, &state.mailing, &user, id.into_inner(), true).await?),
    )
}

#[utoipa::path(
    delete,
    path = "/api/v1/posts/{id}/accept",
    tag = "forum",
    summary = "Takes back the acceptance of an answer.",
    params(("id" = i64, Path, description = "The answer")),
    responses((status = 200, description = "Where the answer is", body = posts::Replied))
)]
pub(super) async fn unaccept_post(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok()
        .json(posts::accept(&state.db, &state.mailing, &user, id.into_inner(), false).await?))
}

/// The multipart form of an upload, for the API document.
#[derive(utoipa::ToSchema)]
#[expect(dead_code, reason = "documents the multipart form `upload` reads")]
pub(super) struct FileForm {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct Preview {
    html: crate::markdown::SafeHtml,
}

/// `POST /api/v1/markdown/preview`: what a post will look like.
#[utoipa::path(
    post,
    path = "/api/v1/markdown/preview",
    tag = "forum",
    summary = "Renders markdown as a post would show it.",
    request_body = PreviewInput,
    responses((status = 200, description = "The sanitized HTML", body = Preview))
)]
pub(super) async fn preview(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<PreviewInput>,
) -> Result<HttpResponse, AppError> {
    crate::forum::require_read(&user)?;
    let text = body.into_inner().body;
    if text.len() > crate::forum::MAX_BODY {
        return Err(AppError::field("body", "The text is too long to preview."));
    }
    let rendered = crate::forum::prerender(&state.db, &text).await?;
    Ok(HttpResponse::Ok().json(Preview { html: rendered.html }))
}

/// `POST /api/v1/uploads`: multipart `file`; answers the markdown that shows it.
#[utoipa::path(
    post,
    path = "/api/v1/uploads",
    tag = "forum",
    summary = "Uploads an image or file for a post: multipart `file`.",
    request_body(content = FileForm, content_type = "multipart/form-data", description = "The file"),
    responses((status = 201, description = "The stored file and the markdown that shows it", body = crate::forum::uploads::Attached))
)]
pub(super) async fn upload(
    state: web::Data<AppState>,
    user: ApiUser,
    form: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    // Who may post is asked before any byte of the file is stored.
    crate::forum::require_post(&user)?;
    let parts = state
        .files
        .read_form(form, crate::forum::uploads::rules(&state.settings))
        .await?
        .check()?;
    let attached =
        crate::forum::uploads::record(&state.db, &state.limiter, &user, parts.files.into_iter().next())
            .await?;
    Ok(HttpResponse::Created().json(attached))
}
