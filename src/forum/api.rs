//! The forum's JSON API under `/api/v1`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::categories::{self, CategoryInput};
use super::ideas::{self, StatusChange};
use super::posts::{self, PostEdit};
use super::topics::{self, Moderation, TopicInput, TopicQuery};
use crate::app::AppState;
use crate::error::AppError;
use crate::web::ApiUser;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/categories", web::get().to(list_categories))
        .route("/api/v1/categories", web::post().to(create_category))
        .route("/api/v1/categories/{slug}", web::patch().to(update_category))
        .route("/api/v1/topics", web::get().to(list_topics))
        .route("/api/v1/topics", web::post().to(create_topic))
        .route("/api/v1/topics/{id}", web::get().to(get_topic))
        .route("/api/v1/topics/{id}", web::patch().to(update_topic))
        .route("/api/v1/topics/{id}", web::delete().to(delete_topic))
        .route("/api/v1/topics/{id}/posts", web::post().to(create_post))
        .route("/api/v1/topics/{id}/moderate", web::post().to(moderate_topic))
        .route("/api/v1/posts/{id}", web::patch().to(update_post))
        .route("/api/v1/posts/{id}", web::delete().to(delete_post))
        .route("/api/v1/posts/{id}/history", web::get().to(post_history))
        .route("/api/v1/posts/{id}/vote", web::put().to(vote_post))
        .route("/api/v1/posts/{id}/accept", web::post().to(accept_post))
        .route("/api/v1/posts/{id}/accept", web::delete().to(unaccept_post))
        .route("/api/v1/topics/{id}/vote", web::put().to(vote_idea))
        .route("/api/v1/topics/{id}/status", web::put().to(set_status))
        .route("/api/v1/topics/{id}/merge", web::post().to(merge_idea))
        .route("/api/v1/roadmap", web::get().to(roadmap))
        .route("/api/v1/users/{username}", web::get().to(profile))
        .route("/api/v1/topics/{id}/downloads", web::post().to(add_download))
        .route("/api/v1/downloads/{id}", web::delete().to(remove_download))
        .route("/api/v1/posts/{id}/flags", web::post().to(flag_post))
        .route("/api/v1/review", web::get().to(review_queue))
        .route("/api/v1/uploads", web::post().to(upload))
        .route("/api/v1/review/{post_id}", web::post().to(review_decide))
        .route("/api/v1/markdown/preview", web::post().to(preview));
}

async fn list_categories(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(categories::index(&state, &user).await?))
}

async fn create_category(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<CategoryInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Created().json(categories::create(&state, &user, body.into_inner()).await?))
}

async fn update_category(
    state: web::Data<AppState>,
    user: ApiUser,
    slug: web::Path<String>,
    body: web::Json<CategoryInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(categories::update(&state, &user, &slug, body.into_inner()).await?))
}

async fn list_topics(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<TopicQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(topics::list(&state, &user, query.into_inner()).await?))
}

async fn create_topic(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<TopicInput>,
) -> Result<HttpResponse, AppError> {
    let created = topics::create(&state, &user, body.into_inner()).await?;
    let page = topics::page(&state, &user, created.id, 1).await?;
    Ok(HttpResponse::Created().json(page))
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
}

async fn get_topic(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = topics::page(&state, &user, id.into_inner(), query.page.unwrap_or(1)).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// `PATCH /api/v1/topics/{id}`: `title`, `body` and `tags` edit the opening post.
async fn update_topic(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<PostEdit>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let opening = posts::opening_post(&state, &user, id).await?;
    posts::edit(&state, &user, opening, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(topics::page(&state, &user, id, 1).await?))
}

async fn delete_topic(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let opening = posts::opening_post(&state, &user, id.into_inner()).await?;
    posts::delete(&state, &user, opening).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
struct BodyInput {
    #[serde(default)]
    body: String,
}

async fn create_post(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<BodyInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Created().json(posts::reply(&state, &user, id.into_inner(), &body.body).await?))
}

async fn moderate_topic(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<Moderation>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    topics::moderate(&state, &user, id, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(topics::page(&state, &user, id, 1).await?))
}

async fn update_post(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<PostEdit>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(posts::edit(&state, &user, id.into_inner(), body.into_inner()).await?))
}

async fn delete_post(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    posts::delete(&state, &user, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn post_history(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(posts::history(&state, &user, id.into_inner()).await?))
}

#[derive(Deserialize)]
struct VoteInput {
    value: i32,
}

async fn vote_post(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<VoteInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(posts::vote(&state, &user, id.into_inner(), body.value).await?))
}

async fn accept_post(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(posts::accept(&state, &user, id.into_inner(), true).await?))
}

async fn unaccept_post(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(posts::accept(&state, &user, id.into_inner(), false).await?))
}

#[derive(Serialize)]
struct Preview {
    html: crate::markdown::SafeHtml,
}

/// `POST /api/v1/markdown/preview`: what a post will look like.
async fn preview(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<BodyInput>,
) -> Result<HttpResponse, AppError> {
    super::require_read(&user)?;
    let text = body.into_inner().body;
    if text.len() > super::MAX_BODY {
        return Err(AppError::field("body", "The text is too long to preview."));
    }
    let rendered = state.db.read(move |c| super::render_body(c, &text)).await?;
    Ok(HttpResponse::Ok().json(Preview { html: rendered.html }))
}

async fn vote_idea(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<VoteInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(ideas::vote(&state, &user, id.into_inner(), body.value).await?))
}

async fn set_status(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<StatusChange>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    ideas::set_status(&state, &user, id, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(topics::page(&state, &user, id, 1).await?))
}

#[derive(Deserialize)]
struct MergeInput {
    into: i64,
}

async fn merge_idea(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<MergeInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(ideas::merge(&state, &user, id.into_inner(), body.into).await?))
}

async fn roadmap(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(ideas::roadmap(&state, &user).await?))
}

async fn profile(
    state: web::Data<AppState>,
    user: ApiUser,
    name: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(super::profiles::profile(&state, &user, &name).await?))
}

/// `POST /api/v1/topics/{id}/downloads`: a multipart upload (`file`, `label`) or JSON
/// (`label`, `url`).
async fn add_download(
    state: web::Data<AppState>,
    user: ApiUser,
    req: actix_web::HttpRequest,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    use super::releases::{self, DownloadInput};
    super::require_staff(&user, "add downloads to releases")?;
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let (input, upload) = if content_type.starts_with("multipart/form-data") {
        releases::read_form(&state, actix_multipart::Multipart::new(req.headers(), payload)).await?
    } else {
        let body = payload
            .to_bytes_limited(64 * 1024)
            .await
            .map_err(|_| AppError::BadRequest("The body is larger than 64 KiB.".into()))?
            .map_err(|e| AppError::BadRequest(format!("The body could not be read: {e}")))?;
        let input: DownloadInput = serde_json::from_slice(&body).map_err(|e| {
            AppError::BadRequest(format!(
                "Send multipart/form-data with a file, or JSON with label and url: {e}"
            ))
        })?;
        (input, None)
    };
    let download = releases::add(&state, &user, id.into_inner(), input, upload).await?;
    Ok(HttpResponse::Created().json(download))
}

async fn remove_download(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    super::releases::remove(&state, &user, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn flag_post(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<super::moderation::FlagInput>,
) -> Result<HttpResponse, AppError> {
    super::moderation::flag(&state, &user, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Created().finish())
}

async fn review_queue(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(super::moderation::queue(&state, &user).await?))
}

#[derive(Deserialize)]
struct DecisionInput {
    action: super::moderation::Decision,
}

async fn review_decide(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<DecisionInput>,
) -> Result<HttpResponse, AppError> {
    super::moderation::decide(&state, &user, id.into_inner(), body.action).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /api/v1/uploads`: multipart `file`; answers the markdown that shows it.
async fn upload(
    state: web::Data<AppState>,
    user: ApiUser,
    form: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Created().json(super::uploads::attach(&state, &user, form).await?))
}
