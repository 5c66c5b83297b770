//! Ideas: votes, statuses and merges.

use super::*;

pub(super) async fn vote_idea(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<VoteForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    ideas::vote(&state.db, &user, id, form.value).await?;
    Ok(see_other(&format!("/t/{id}")))
}

pub(super) async fn set_status(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<StatusChange>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    ideas::set_status(&state.db, &state.mailing, &user, id, form.into_inner()).await?;
    Ok(see_other(&format!("/t/{id}")))
}

#[derive(Deserialize)]
pub(super) struct MergeForm {
    #[serde(default)]
    into: String,
}

pub(super) async fn merge_idea(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<MergeForm>,
) -> Result<HttpResponse, AppError> {
    // Accept "123", "#123" or a pasted topic address.
    let into = form
        .into
        .trim()
        .trim_start_matches('#')
        .split("/t/")
        .last()
        .and_then(|rest| rest.split('/').next())
        .and_then(|n| n.parse::<i64>().ok())
        .ok_or_else(|| {
            AppError::field(
                "into",
                "Give the number or the address of the idea to merge into.",
            )
        })?;
    ideas::merge(&state.db, &user, id.into_inner(), into).await?;
    Ok(see_other(&format!("/t/{into}")))
}
