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

crate::api_routes! {
    get "/api/v1/categories" => list_categories,
    post "/api/v1/categories" => create_category,
    patch "/api/v1/categories/{slug}" => update_category,
    get "/api/v1/topics" => list_topics,
    post "/api/v1/topics" => create_topic,
    get "/api/v1/topics/{id}" => get_topic,
    patch "/api/v1/topics/{id}" => update_topic,
    delete "/api/v1/topics/{id}" => delete_topic,
    post "/api/v1/topics/{id}/posts" => create_post,
    post "/api/v1/topics/{id}/moderate" => moderate_topic,
    patch "/api/v1/posts/{id}" => update_post,
    delete "/api/v1/posts/{id}" => delete_post,
    get "/api/v1/posts/{id}/history" => post_history,
    put "/api/v1/posts/{id}/vote" => vote_post,
    post "/api/v1/posts/{id}/accept" => accept_post,
    delete "/api/v1/posts/{id}/accept" => unaccept_post,
    put "/api/v1/topics/{id}/vote" => vote_idea,
    put "/api/v1/topics/{id}/status" => set_status,
    post "/api/v1/topics/{id}/merge" => merge_idea,
    get "/api/v1/roadmap" => roadmap,
    get "/api/v1/users/{username}" => profile,
    post "/api/v1/topics/{id}/downloads" => add_download,
    delete "/api/v1/downloads/{id}" => remove_download,
    post "/api/v1/posts/{id}/flags" => flag_post,
    get "/api/v1/review" => review_queue,
    post "/api/v1/uploads" => upload,
    post "/api/v1/review/{post_id}" => review_decide,
    post "/api/v1/markdown/preview" => preview,
}

#[utoipa::path(
    get,
    path = "/api/v1/categories",
    tag = "forum",
    summary = "The categories with their sub-categories, counts and latest activity.",
    responses((status = 200, description = "The categories, in order", body = Vec<super::categories::CategoryView>))
)]
async fn list_categories(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(categories::index(&state, &user).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/categories",
    tag = "forum",
    summary = "Adds a category or sub-category (admins).",
    request_body = CategoryInput,
    responses((status = 201, description = "The new category", body = crate::db::models::Category))
)]
async fn create_category(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<CategoryInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Created().json(categories::create(&state, &user, body.into_inner()).await?))
}

#[utoipa::path(
    patch,
    path = "/api/v1/categories/{slug}",
    tag = "forum",
    summary = "Renames, describes or orders a category (admins).",
    params(("slug" = String, Path, description = "The category's slug")),
    request_body = CategoryInput,
    responses((status = 200, description = "The category as changed", body = crate::db::models::Category))
)]
async fn update_category(
    state: web::Data<AppState>,
    user: ApiUser,
    slug: web::Path<String>,
    body: web::Json<CategoryInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(categories::update(&state, &user, &slug, body.into_inner()).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/topics",
    tag = "forum",
    summary = "Lists topics with filters and sorts, one keyset page at a time.",
    params(TopicQuery),
    responses((status = 200, description = "Pinned topics, one page of topics, and the cursor of the next page", body = topics::TopicList))
)]
async fn list_topics(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<TopicQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(topics::list(&state, &user, query.into_inner()).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/topics",
    tag = "forum",
    summary = "Starts a topic: a question, release (staff), idea or article.",
    request_body = TopicInput,
    responses((status = 201, description = "The new topic as its page shows it", body = topics::TopicPage))
)]
async fn create_topic(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<TopicInput>,
) -> Result<HttpResponse, AppError> {
    let created = topics::create(&state, &user, body.into_inner()).await?;
    let page = topics::page(&state, &user, created.id, 1).await?;
    Ok(HttpResponse::Created().json(page))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    page: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/topics/{id}",
    tag = "forum",
    summary = "A topic with its opening post, accepted answer and one page of replies.",
    params(("id" = i64, Path, description = "The topic"), PageQuery),
    responses((status = 200, description = "The topic page", body = topics::TopicPage))
)]
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
#[utoipa::path(
    patch,
    path = "/api/v1/topics/{id}",
    tag = "forum",
    summary = "Edits the opening post: body, and the topic's title and tags.",
    params(("id" = i64, Path, description = "The topic")),
    request_body = PostEdit,
    responses((status = 200, description = "The topic as changed", body = topics::TopicPage))
)]
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

#[utoipa::path(
    delete,
    path = "/api/v1/topics/{id}",
    tag = "forum",
    summary = "Deletes a topic (its author or staff); staff can still see it.",
    params(("id" = i64, Path, description = "The topic")),
    responses((status = 204, description = "Deleted"))
)]
async fn delete_topic(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let opening = posts::opening_post(&state, &user, id.into_inner()).await?;
    posts::delete(&state, &user, opening).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
struct BodyInput {
    /// Markdown, at least 2 characters, at most 65,536 bytes.
    #[serde(default)]
    #[schema(required = true, min_length = 2, max_length = 65536)]
    body: String,
}

/// Markdown to preview, at most 65,536 bytes.
#[derive(Deserialize, utoipa::ToSchema)]
struct PreviewInput {
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
async fn create_post(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<BodyInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Created().json(posts::reply(&state, &user, id.into_inner(), &body.body).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/topics/{id}/moderate",
    tag = "forum",
    summary = "Locks, pins, moves or marks a topic official (staff).",
    params(("id" = i64, Path, description = "The topic")),
    request_body = Moderation,
    responses((status = 200, description = "The topic as changed", body = topics::TopicPage))
)]
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

#[utoipa::path(
    patch,
    path = "/api/v1/posts/{id}",
    tag = "forum",
    summary = "Edits a post (its author or staff), keeping a revision.",
    params(("id" = i64, Path, description = "The post")),
    request_body = PostEdit,
    responses((status = 200, description = "Where the post is", body = posts::Replied))
)]
async fn update_post(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<PostEdit>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(posts::edit(&state, &user, id.into_inner(), body.into_inner()).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/posts/{id}",
    tag = "forum",
    summary = "Deletes a post (its author or staff).",
    params(("id" = i64, Path, description = "The post")),
    responses((status = 204, description = "Deleted"))
)]
async fn delete_post(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    posts::delete(&state, &user, id.into_inner()).await?;
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
async fn post_history(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(posts::history(&state, &user, id.into_inner()).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct VoteInput {
    /// 1 up, -1 down, 0 to take a vote back.
    #[schema(minimum = -1, maximum = 1)]
    value: i32,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct IdeaVoteInput {
    /// 1 to vote, 0 to take the vote back.
    #[schema(minimum = 0, maximum = 1)]
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
async fn vote_post(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<VoteInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(posts::vote(&state, &user, id.into_inner(), body.value).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/posts/{id}/accept",
    tag = "forum",
    summary = "Accepts an answer (the asker or staff); replaces any earlier one.",
    params(("id" = i64, Path, description = "The answer")),
    responses((status = 200, description = "Where the answer is", body = posts::Replied))
)]
async fn accept_post(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(posts::accept(&state, &user, id.into_inner(), true).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/posts/{id}/accept",
    tag = "forum",
    summary = "Takes back the acceptance of an answer.",
    params(("id" = i64, Path, description = "The answer")),
    responses((status = 200, description = "Where the answer is", body = posts::Replied))
)]
async fn unaccept_post(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(posts::accept(&state, &user, id.into_inner(), false).await?))
}

/// The multipart form of a new download, for the API document.
#[derive(utoipa::ToSchema)]
#[expect(dead_code, reason = "documents the multipart form `add_download` reads")]
struct DownloadForm {
    /// The file; or leave it out and give `url`.
    #[schema(value_type = String, format = Binary, required = false)]
    file: Vec<u8>,
    /// A link (http or https), when no file is uploaded.
    url: Option<String>,
    /// Shown instead of the file name; kept to its first 120 characters.
    label: Option<String>,
}

/// The multipart form of an upload, for the API document.
#[derive(utoipa::ToSchema)]
#[expect(dead_code, reason = "documents the multipart form `upload` reads")]
struct FileForm {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Preview {
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
async fn preview(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<PreviewInput>,
) -> Result<HttpResponse, AppError> {
    super::require_read(&user)?;
    let text = body.into_inner().body;
    if text.len() > super::MAX_BODY {
        return Err(AppError::field("body", "The text is too long to preview."));
    }
    let rendered = super::prerender(&state, &text).await?;
    Ok(HttpResponse::Ok().json(Preview { html: rendered.html }))
}

#[utoipa::path(
    put,
    path = "/api/v1/topics/{id}/vote",
    tag = "forum",
    summary = "Votes for an idea (1) or takes the vote back (0).",
    params(("id" = i64, Path, description = "The idea")),
    request_body = IdeaVoteInput,
    responses((status = 200, description = "The idea's votes and whether this user voted", body = super::ideas::IdeaVote))
)]
async fn vote_idea(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<IdeaVoteInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(ideas::vote(&state, &user, id.into_inner(), body.value).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/topics/{id}/status",
    tag = "forum",
    summary = "Sets an idea's status, with an optional official response (staff).",
    params(("id" = i64, Path, description = "The idea")),
    request_body = StatusChange,
    responses((status = 200, description = "The idea as changed", body = topics::TopicPage))
)]
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

#[derive(Deserialize, utoipa::ToSchema)]
struct MergeInput {
    into: i64,
}

#[utoipa::path(
    post,
    path = "/api/v1/topics/{id}/merge",
    tag = "forum",
    summary = "Merges a duplicate idea into another; voters of both are counted once (staff).",
    params(("id" = i64, Path, description = "The duplicate idea")),
    request_body = MergeInput,
    responses((status = 200, description = "The votes of the idea merged into", body = super::ideas::IdeaVote))
)]
async fn merge_idea(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<MergeInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(ideas::merge(&state, &user, id.into_inner(), body.into).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/roadmap",
    tag = "forum",
    summary = "Ideas that are Planned, In Progress and Shipped.",
    responses((status = 200, description = "The roadmap", body = super::ideas::Roadmap))
)]
async fn roadmap(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(ideas::roadmap(&state, &user).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/users/{username}",
    tag = "forum",
    summary = "A member's profile: topics, answers and accepted answers.",
    params(("username" = String, Path, description = "The member's handle")),
    responses((status = 200, description = "The profile", body = super::profiles::Profile))
)]
async fn profile(
    state: web::Data<AppState>,
    user: ApiUser,
    name: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(super::profiles::profile(&state, &user, &name).await?))
}

/// `POST /api/v1/topics/{id}/downloads`: a multipart upload (`file`, `label`) or JSON
/// (`label`, `url`).
#[utoipa::path(
    post,
    path = "/api/v1/topics/{id}/downloads",
    tag = "forum",
    summary = "Adds a download to a release (staff): multipart `file` and `label`, or JSON `label` and `url`.",
    params(("id" = i64, Path, description = "The release")),
    request_body(content((DownloadForm = "multipart/form-data"), (super::releases::DownloadInput = "application/json")), description = "A file with a label, or a label and a link"),
    responses((status = 201, description = "The download", body = crate::db::models::Download))
)]
async fn add_download(
    state: web::Data<AppState>,
    user: ApiUser,
    req: actix_web::HttpRequest,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    use super::releases::{self, DownloadInput};
    super::require_staff(&user, "add downloads to releases")?;
    let (input, mut files): (DownloadInput, _) =
        crate::files::json_or_multipart(&state.files, &req, payload, releases::rules(&state), 64 * 1024)
            .await?;
    let upload = files.pop();
    let download = releases::add(&state, &user, id.into_inner(), input, upload).await?;
    Ok(HttpResponse::Created().json(download))
}

#[utoipa::path(
    delete,
    path = "/api/v1/downloads/{id}",
    tag = "forum",
    summary = "Removes a download from a release (staff).",
    params(("id" = i64, Path, description = "The download")),
    responses((status = 204, description = "Removed"))
)]
async fn remove_download(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    super::releases::remove(&state, &user, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post,
    path = "/api/v1/posts/{id}/flags",
    tag = "forum",
    summary = "Flags a post for staff, with a reason.",
    params(("id" = i64, Path, description = "The post")),
    request_body = super::moderation::FlagInput,
    responses((status = 201, description = "Flagged"))
)]
async fn flag_post(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<super::moderation::FlagInput>,
) -> Result<HttpResponse, AppError> {
    super::moderation::flag(&state, &user, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Created().finish())
}

#[utoipa::path(
    get,
    path = "/api/v1/review",
    tag = "forum",
    summary = "Flagged posts waiting for staff.",
    responses((status = 200, description = "The queue, oldest first", body = Vec<super::moderation::Review>))
)]
async fn review_queue(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(super::moderation::queue(&state, &user).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct DecisionInput {
    action: super::moderation::Decision,
}

#[utoipa::path(
    post,
    path = "/api/v1/review/{post_id}",
    tag = "forum",
    summary = "Hides, restores or dismisses the flags of a post (staff).",
    params(("post_id" = i64, Path, description = "The flagged post")),
    request_body = DecisionInput,
    responses((status = 204, description = "Done"))
)]
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
#[utoipa::path(
    post,
    path = "/api/v1/uploads",
    tag = "forum",
    summary = "Uploads an image or file for a post: multipart `file`.",
    request_body(content = FileForm, content_type = "multipart/form-data", description = "The file"),
    responses((status = 201, description = "The stored file and the markdown that shows it", body = super::uploads::Attached))
)]
async fn upload(
    state: web::Data<AppState>,
    user: ApiUser,
    form: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    // Who may post is asked before any byte of the file is stored.
    super::require_post(&user)?;
    let parts = state
        .files
        .read_form(form, super::uploads::rules(&state))
        .await?
        .check()?;
    let attached = super::uploads::record(&state, &user, parts.files.into_iter().next()).await?;
    Ok(HttpResponse::Created().json(attached))
}
