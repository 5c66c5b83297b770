//! Release downloads through the API.

use super::*;

/// The multipart form of a new download, for the API document.
#[derive(utoipa::ToSchema)]
#[expect(dead_code, reason = "documents the multipart form `add_download` reads")]
pub(super) struct DownloadForm {
    /// The file; or leave it out and give `url`.
    #[schema(value_type = String, format = Binary, required = false)]
    file: Vec<u8>,
    /// A link (http or https), when no file is uploaded.
    url: Option<String>,
    /// Shown instead of the file name; kept to its first 120 characters.
    label: Option<String>,
}

/// `POST /api/v1/topics/{id}/downloads`: a multipart upload (`file`, `label`) or JSON
/// (`label`, `url`).
#[utoipa::path(
    post,
    path = "/api/v1/topics/{id}/downloads",
    tag = "forum",
    summary = "Adds a download to a release (staff): multipart `file` and `label`, or JSON `label` and `url`.",
    params(("id" = i64, Path, description = "The release")),
    request_body(content((DownloadForm = "multipart/form-data"), (crate::forum::releases::DownloadInput = "application/json")), description = "A file with a label, or a label and a link"),
    responses((status = 201, description = "The download", body = crate::db::models::Download))
)]
pub(super) async fn add_download(
    state: web::Data<AppState>,
    user: ApiUser,
    req: actix_web::HttpRequest,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    use crate::forum::releases::{self, DownloadInput};
    crate::forum::require_staff(&user, "add downloads to releases")?;
    let (input, mut files): (DownloadInput, _) = crate::files::json_or_multipart(
        &state.files,
        &req,
        payload,
        releases::rules(&state.settings),
        64 * 1024,
    )
    .await?;
    let upload = files.pop();
    let download = releases::add(&state.db, &user, id.into_inner(), input, upload).await?;
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
pub(super) async fn remove_download(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::forum::releases::remove(&state.db, &user, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
