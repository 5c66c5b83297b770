//! Ideas through the API: votes, statuses, merges, the roadmap; and profiles.

use super::*;

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct IdeaVoteInput {
    /// 1 to vote, 0 to take the vote back.
    #[schema(minimum = 0, maximum = 1)]
    value: i32,
}

#[utoipa::path(
    put,
    path = "/api/v1/topics/{id}/vote",
    tag = "forum",
    summary = "Votes for an idea (1) or takes the vote back (0).",
    params(("id" = i64, Path, description = "The idea")),
    request_body = IdeaVoteInput,
    responses((status = 200, description = "The idea's votes and whether this user voted", body = crate::forum::ideas::IdeaVote))
)]
pub(super) async fn vote_idea(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<IdeaVoteInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(ideas::vote(&state.db, &user, id.into_inner(), body.value).await?))
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
pub(super) async fn set_status(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<StatusChange>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    ideas::set_status(&state.db, &state.mailing, &user, id, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(topics::page(&state.db, &state.topic_cache, &user, id, 1).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct MergeInput {
    into: i64,
}

#[utoipa::path(
    post,
    path = "/api/v1/topics/{id}/merge",
    tag = "forum",
    summary = "Merges a duplicate idea into another; voters of both are counted once (staff).",
    params(("id" = i64, Path, description = "The duplicate idea")),
    request_body = MergeInput,
    responses((status = 200, description = "The votes of the idea merged into", body = crate::forum::ideas::IdeaVote))
)]
pub(super) async fn merge_idea(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<MergeInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(ideas::merge(&state.db, &user, id.into_inner(), body.into).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/roadmap",
    tag = "forum",
    summary = "Ideas that are Planned, In Progress and Shipped.",
    responses((status = 200, description = "The roadmap", body = crate::forum::ideas::Roadmap))
)]
pub(super) async fn roadmap(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(ideas::roadmap(&state.db, &user).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/users/{username}",
    tag = "forum",
    summary = "A member's profile: topics, answers and accepted answers.",
    params(("username" = String, Path, description = "The member's handle")),
    responses((status = 200, description = "The profile", body = crate::forum::profiles::Profile))
)]
pub(super) async fn profile(
    state: web::Data<AppState>,
    user: ApiUser,
    name: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(crate::forum::profiles::profile(&state.db, &user, &name).await?))
}
