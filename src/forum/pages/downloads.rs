//! Releases: their downloads, stored files and Atom feeds.

use super::*;
use crate::config::Settings;
use crate::db::Db;

pub(super) async fn add_download(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    crate::forum::require_staff(&user, "add downloads to releases")?;
    let id = id.into_inner();
    let mut parts = state
        .files
        .read_form(form, crate::forum::releases::rules(&state.settings))
        .await?
        .check()?;
    let (input, upload) = (parts.parse()?, parts.files.pop());
    crate::forum::releases::add(&state.db, &user, id, input, upload).await?;
    Ok(see_other(&format!("/t/{id}#downloads")))
}

pub(super) async fn remove_download(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let topic_id = crate::forum::releases::remove(&state.db, &user, id.into_inner()).await?;
    Ok(see_other(&format!("/t/{topic_id}#downloads")))
}

/// `GET /files/{sha256}/{name}`: a stored file, to members who can read.
pub(super) async fn file(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (sha256, asked) = path.into_inner();
    let name = crate::forum::releases::file_name(&state.db, &user, &sha256, &asked).await?;
    state.files.serve(&req, &sha256, &name).await
}

#[derive(Deserialize)]
pub(super) struct FeedQuery {
    token: Option<String>,
}

/// Feeds are for signed-in members, API tokens (`?token=`, for feed readers), or anyone
/// when the operator makes them public.
pub(super) async fn feed_access(
    db: &Db,
    settings: &Settings,
    user: &crate::web::MaybeUser,
    token: Option<&str>,
) -> Result<(), AppError> {
    if settings.public_feeds {
        return Ok(());
    }
    if let Some(u) = &user.0 {
        return crate::forum::require_read(u);
    }
    if let Some(t) = token
        && let Some((u, _)) = crate::accounts::service::user_for_api_token(db, t).await?
    {
        return crate::forum::require_read(&u);
    }
    Err(AppError::Unauthorized(
        "Sign in, or add ?token=<your API token> to the feed address in your feed reader.".into(),
    ))
}

pub(super) async fn atom(
    db: &Db,
    settings: &Settings,
    scope: crate::forum::releases::FeedScope,
) -> Result<HttpResponse, AppError> {
    let xml = crate::forum::releases::feed(db, settings, scope).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .body(xml))
}

pub(super) async fn feed_all(
    state: web::Data<AppState>,
    user: crate::web::MaybeUser,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, AppError> {
    feed_access(&state.db, &state.settings, &user, query.token.as_deref()).await?;
    atom(&state.db, &state.settings, crate::forum::releases::FeedScope::All).await
}

pub(super) async fn feed_product(
    state: web::Data<AppState>,
    user: crate::web::MaybeUser,
    product: web::Path<String>,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, AppError> {
    feed_access(&state.db, &state.settings, &user, query.token.as_deref()).await?;
    atom(
        &state.db,
        &state.settings,
        crate::forum::releases::FeedScope::Product(product.into_inner()),
    )
    .await
}

pub(super) async fn feed_community(
    state: web::Data<AppState>,
    user: crate::web::MaybeUser,
    slug: web::Path<String>,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, AppError> {
    feed_access(&state.db, &state.settings, &user, query.token.as_deref()).await?;
    atom(
        &state.db,
        &state.settings,
        crate::forum::releases::FeedScope::Community(slug.into_inner()),
    )
    .await
}
