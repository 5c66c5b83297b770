//! Categories and topics through the API.

use super::*;

#[utoipa::path(
    get,
    path = "/api/v1/categories",
    tag = "forum",
    summary = "The categories with their sub-categories, counts and latest activity.",
    responses((status = 200, description = "The categories, in order", body = Vec<crate::forum::categories::CategoryView>))
)]
pub(super) async fn list_categories(
    state: web::Data<AppState>,
    user: ApiUser,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(categories::index(&state.db, &state.category_index, &user).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/categories",
    tag = "forum",
    summary = "Adds a category or sub-category (admins).",
    request_body = CategoryInput,
    responses((status = 201, description = "The new category", body = crate::db::models::Category))
)]
pub(super) async fn create_category(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<CategoryInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Created().json(categories::create(&state.db, &user, body.into_inner()).await?))
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
pub(super) async fn update_category(
    state: web::Data<AppState>,
    user: ApiUser,
    slug: web::Path<String>,
    body: web::Json<CategoryInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(categories::update(&state.db, &user, &slug, body.into_inner()).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/topics",
    tag = "forum",
    summary = "Lists topics with filters and sorts, one keyset page at a time.",
    params(TopicQuery),
    responses((status = 200, description = "Pinned topics, one page of topics, and the cursor of the next page", body = topics::TopicList))
)]
pub(super) async fn list_topics(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<TopicQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(topics::list(&state.db, &user, query.into_inner()).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/topics",
    tag = "forum",
    summary = "Starts a topic: a question, release (staff), idea or article.",
    request_body = TopicInput,
    responses((status = 201, description = "The new topic as its page shows it", body = topics::TopicPage))
)]
pub(super) async fn create_topic(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<TopicInput>,
) -> Result<HttpResponse, AppError> {
    let created = topics::create(
        &state.db,
        &state.mailing,
        &state.limiter,
        &user,
        body.into_inner(),
    )
    .await?;
    let page = topics::page(&state.db, &state.topic_cache, &user, created.id, 1).await?;
    Ok(HttpResponse::Created().json(page))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct PageQuery {
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
pub(super) async fn get_topic(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = topics::page(
        &state.db,
        &state.topic_cache,
        &user,
        id.into_inner(),
        query.page.unwrap_or(1),
    )
    .await?;
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
pub(super) async fn update_topic(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<PostEdit>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let opening = posts::opening_post(&state.db, &user, id).await?;
    posts::edit(&state.db, &user, opening, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(topics::page(&state.db, &state.topic_cache, &user, id, 1).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/topics/{id}",
    tag = "forum",
    summary = "Deletes a topic (its author or staff); staff can still see it.",
    params(("id" = i64, Path, description = "The topic")),
    responses((status = 204, description = "Deleted"))
)]
pub(super) async fn delete_topic(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let opening = posts::opening_post(&state.db, &user, id.into_inner()).await?;
    posts::delete(&state.db, &user, opening).await?;
    Ok(HttpResponse::NoContent().finish())
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
pub(super) async fn moderate_topic(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<Moderation>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    topics::moderate(&state.db, &user, id, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(topics::page(&state.db, &state.topic_cache, &user, id, 1).await?))
}
