//! Errors as RFC 9457 problem documents, for the API.

use super::*;

/// An RFC 9457 problem body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<FieldErrors>,
}

impl Problem {
    pub(super) fn from_error(e: &AppError) -> Self {
        let status = e.status_code();
        Self {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: e.public_message(),
            errors: e.field_errors().cloned(),
        }
    }
}
