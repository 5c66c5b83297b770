//! Product communities and the site's documentation link, as JSON.

use super::*;
use crate::forum::communities::{self, Community, CommunityInput, SiteLinks};

#[utoipa::path(
    get,
    path = "/api/v1/communities",
    tag = "forum",
    summary = "The product communities, each with its own four categories (see /api/v1/categories, community_id).",
    responses((status = 200, description = "The communities, in order", body = Vec<Community>))
)]
pub(super) async fn list_communities(
    state: web::Data<AppState>,
    user: ApiUser,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(communities::list(&state.db, &user).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/communities",
    tag = "admin",
    summary = "Adds a product community and its four categories (admins).",
    request_body = CommunityInput,
    responses((status = 201, description = "The community", body = Community))
)]
pub(super) async fn create_community(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<CommunityInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Created().json(communities::create(&state.db, &user, body.into_inner()).await?))
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/communities/{id}",
    tag = "admin",
    summary = "Renames a product community or changes its description and documentation link (admins).",
    params(("id" = i64, Path, description = "The community")),
    request_body = CommunityInput,
    responses((status = 200, description = "The community", body = Community))
)]
pub(super) async fn update_community(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<CommunityInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok()
        .json(communities::update(&state.db, &user, id.into_inner(), body.into_inner()).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/site-links",
    tag = "forum",
    summary = "The links the navigation shows: the documentation.",
    responses((status = 200, description = "The links", body = SiteLinks))
)]
pub(super) async fn site_links(state: web::Data<AppState>, _user: ApiUser) -> Result<HttpResponse, AppError> {
    let links = state
        .site_links
        .get(&state.db, communities::load_site_links)
        .await?;
    Ok(HttpResponse::Ok().json(links.as_ref()))
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/site-links",
    tag = "admin",
    summary = "Sets the documentation link of the navigation (admins); an empty address removes it.",
    request_body = SiteLinks,
    responses((status = 200, description = "The links", body = SiteLinks))
)]
pub(super) async fn set_site_links(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<SiteLinks>,
) -> Result<HttpResponse, AppError> {
    let links = communities::set_site_links(&state.db, &state.site_links, &user, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(links))
}
