//! The search API: `GET /api/v1/search` and `GET /api/v1/search/suggest`.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::service::{self, SearchParams};
use crate::app::AppState;
use crate::error::AppError;
use crate::web::ApiUser;

crate::api_routes! {
    get "/api/v1/search" => search,
    get "/api/v1/search/suggest" => suggest,
}

#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "search",
    summary = "Searches every public post: words, \"phrases\", error codes and versions, with filters.",
    params(SearchParams),
    responses((status = 200, description = "A page of posts, with counts per category", body = service::SearchResults))
)]
async fn search(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<SearchParams>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(service::search(&state, &user, query.into_inner()).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SuggestQuery {
    /// The title typed so far, or a title and description (up to 2,000 characters).
    #[serde(default)]
    q: String,
    /// Also the threads under the cut that the forms show (for tuning it).
    #[serde(default)]
    all: bool,
}

#[utoipa::path(
    get,
    path = "/api/v1/search/suggest",
    tag = "search",
    summary = "Up to 8 threads and articles that may answer a question or ticket being typed, with their score; only those that clear the calibrated cut unless `all`.",
    params(SuggestQuery, crate::portal::deflection::VisitContext),
    responses((status = 200, description = "Matching topics, best first", body = Vec<service::SuggestionView>))
)]
async fn suggest(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<SuggestQuery>,
    visit: web::Query<crate::portal::deflection::VisitContext>,
) -> Result<HttpResponse, AppError> {
    visit.check()?;
    let found = service::suggest(&state.search, &user, &query.q, query.all).await?;
    if visit.visit.is_some() {
        // What a form visit searched and was shown, for the deflection report.
        let shown = found.iter().map(|s| s.topic_id as i64).collect();
        crate::portal::deflection::record_query(&state.db, &user, &visit, &query.q, shown).await;
    }
    Ok(HttpResponse::Ok().json(found))
}
