//! Flags and the moderators' review queue through the API.

use super::*;

#[utoipa::path(
    post,
    path = "/api/v1/posts/{id}/flags",
    tag = "forum",
    summary = "Flags a post for staff, with a reason.",
    params(("id" = i64, Path, description = "The post")),
    request_body = crate::forum::moderation::FlagInput,
    responses((status = 201, description = "Flagged"))
)]
pub(super) async fn flag_post(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<crate::forum::moderation::FlagInput>,
) -> Result<HttpResponse, AppError> {
    crate::forum::moderation::flag(&state.db, &user, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Created().finish())
}

#[utoipa::path(
    get,
    path = "/api/v1/review",
    tag = "forum",
    summary = "Flagged posts waiting for staff.",
    responses((status = 200, description = "The queue, oldest first", body = Vec<crate::forum::moderation::Review>))
)]
pub(super) async fn review_queue(
    state: web::Data<AppState>,
    user: ApiUser,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(crate::forum::moderation::queue(&state.db, &user).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct DecisionInput {
    action: crate::forum::moderation::Decision,
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
pub(super) async fn review_decide(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<DecisionInput>,
) -> Result<HttpResponse, AppError> {
    crate::forum::moderation::decide(&state.db, &user, id.into_inner(), body.action).await?;
    Ok(HttpResponse::NoContent().finish())
}
