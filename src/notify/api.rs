//! The notification API: the list, marking read, settings, watches, and the one-click
//! unsubscribe that mail programs post to (RFC 8058).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::settings::{self, EmailChoice};
use crate::app::AppState;
use crate::error::AppError;
use crate::web::ApiUser;

crate::api_routes! {
    get "/api/v1/notifications" => list_notifications,
    post "/api/v1/notifications/read" => read_notifications,
    get "/api/v1/notifications/settings" => get_settings,
    put "/api/v1/notifications/settings" => put_settings,
    put "/api/v1/topics/{id}/watch" => put_topic_watch,
    put "/api/v1/categories/{slug}/watch" => put_category_watch,
    put "/api/v1/products/{product}/follow" => put_product_follow,
    post "/api/v1/unsubscribe" => one_click_unsubscribe,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Before {
    /// The `next_before` of the previous page.
    before: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/notifications",
    tag = "notifications",
    summary = "Your notifications, newest first, with the unread count.",
    params(Before),
    responses((status = 200, description = "A page of notifications", body = settings::NotificationList))
)]
async fn list_notifications(
    state: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<Before>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(settings::list(&state.db, &user, q.before).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ReadRequest {
    /// The notifications to mark read; all when absent.
    #[schema(max_items = 500)]
    ids: Option<Vec<i64>>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
struct Unread {
    unread: i64,
}

#[utoipa::path(
    post,
    path = "/api/v1/notifications/read",
    tag = "notifications",
    summary = "Marks notifications read: those named, or all.",
    request_body = ReadRequest,
    responses((status = 200, description = "How many stay unread", body = Unread))
)]
async fn read_notifications(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<ReadRequest>,
) -> Result<HttpResponse, AppError> {
    let unread = settings::mark_read(&state.db, &user, body.into_inner().ids).await?;
    Ok(HttpResponse::Ok().json(Unread { unread }))
}

#[utoipa::path(
    get,
    path = "/api/v1/notifications/settings",
    tag = "notifications",
    summary = "How your notifications come by mail, and what you watch.",
    responses((status = 200, description = "The settings", body = settings::Settings))
)]
async fn get_settings(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(settings::settings(&state.db, &user).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/notifications/settings",
    tag = "notifications",
    summary = "Chooses how notifications come by mail: immediate, digest (daily) or off.",
    request_body = EmailChoice,
    responses((status = 200, description = "The settings", body = settings::Settings))
)]
async fn put_settings(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<EmailChoice>,
) -> Result<HttpResponse, AppError> {
    settings::set_email(&state.db, &user, &body.email).await?;
    Ok(HttpResponse::Ok().json(settings::settings(&state.db, &user).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Watching {
    #[serde(default)]
    watching: bool,
}

#[utoipa::path(
    put,
    path = "/api/v1/topics/{id}/watch",
    tag = "notifications",
    summary = "Watches a topic (a notification for every new post) or stops.",
    params(("id" = i64, Path, description = "The topic")),
    request_body = Watching,
    responses((status = 204, description = "Done"))
)]
async fn put_topic_watch(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<Watching>,
) -> Result<HttpResponse, AppError> {
    settings::watch_topic(&state.db, &user, id.into_inner(), body.watching).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Level {
    /// `new_topics`, `all_posts` or `off` (in any case).
    #[serde(default)]
    #[schema(
        required = true,
        pattern = "^\\s*([nN][eE][wW]_[tT][oO][pP][iI][cC][sS]|[aA][lL][lL]_[pP][oO][sS][tT][sS]|[oO][fF][fF])\\s*$"
    )]
    level: String,
}

#[utoipa::path(
    put,
    path = "/api/v1/categories/{slug}/watch",
    tag = "notifications",
    summary = "Watches a category and its sub-categories: new topics, every post, or off.",
    params(("slug" = String, Path, description = "The category")),
    request_body = Level,
    responses((status = 204, description = "Done"))
)]
async fn put_category_watch(
    state: web::Data<AppState>,
    user: ApiUser,
    slug: web::Path<String>,
    body: web::Json<Level>,
) -> Result<HttpResponse, AppError> {
    settings::watch_category(&state.db, &user, &slug, &body.level).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Following {
    #[serde(default)]
    following: bool,
}

#[utoipa::path(
    put,
    path = "/api/v1/products/{product}/follow",
    tag = "notifications",
    summary = "Follows the releases of a product, or stops.",
    params(("product" = String, Path, description = "The product, as releases name it")),
    request_body = Following,
    responses((status = 204, description = "Done"))
)]
async fn put_product_follow(
    state: web::Data<AppState>,
    user: ApiUser,
    product: web::Path<String>,
    body: web::Json<Following>,
) -> Result<HttpResponse, AppError> {
    settings::follow_product(&state.db, &user, &product, body.following).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Token {
    /// The token of the unsubscribe link in the mail.
    #[serde(default)]
    #[param(min_length = 1)]
    token: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/unsubscribe",
    tag = "notifications",
    summary = "One-click unsubscribe (RFC 8058): turns off the notification mail of the person the link was sent to. No sign-in; the signed token is the proof.",
    params(Token),
    responses((status = 204, description = "Mail is off"))
)]
async fn one_click_unsubscribe(
    state: web::Data<AppState>,
    q: web::Query<Token>,
) -> Result<HttpResponse, AppError> {
    super::unsubscribe(&state.db, &state.keys, &q.token).await?;
    Ok(HttpResponse::NoContent().finish())
}
