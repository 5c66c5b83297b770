//! Reading a form that may carry files (multipart) or JSON, with the limits on
//! files and fields.

use super::*;

/// A file that came with a form, stored.
#[derive(Debug, Clone)]
pub struct Upload {
    pub filename: String,
    pub stored: Stored,
}

/// What a form may upload.
#[derive(Debug, Clone, Copy)]
pub struct FileRules {
    /// The name of the file field (it may repeat).
    pub field: &'static str,
    pub max_bytes: u64,
    pub max_files: usize,
    /// Whether a file of this name may be uploaded at all.
    pub allowed: fn(&str) -> bool,
}

/// The files a ticket or a post may carry: images and documents, never anything a
/// browser runs.
pub fn attachment_rules(field: &'static str, max_bytes: u64, max_files: usize) -> FileRules {
    FileRules {
        field,
        max_bytes,
        max_files,
        allowed: attachable,
    }
}

/// A multipart form read: its text fields and its stored files.
#[derive(Debug, Default)]
pub struct FormParts {
    pub fields: std::collections::HashMap<String, String>,
    pub files: Vec<Upload>,
    /// Files refused (type, size, number), by field: the rest of the form is still read,
    /// so that a page can send it back filled in.
    pub refused: crate::error::FieldErrors,
}

impl FormParts {
    /// A text field, trimmed; empty when absent.
    pub fn text(&self, name: &str) -> String {
        self.fields
            .get(name)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    }

    /// Refuses the form when a file was refused.
    pub fn check(self) -> Result<Self, AppError> {
        if self.refused.is_empty() {
            Ok(self)
        } else {
            Err(AppError::fields(self.refused))
        }
    }

    /// The text fields read into `T` as if they were a JSON object of strings (numbers
    /// are read from text by the fields that take them).
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, AppError> {
        let object = self
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        serde_json::from_value(serde_json::Value::Object(object))
            .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}")))
    }
}

/// Whether a request's body is a multipart form.
pub(super) fn is_multipart(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("multipart/form-data"))
}

/// Reads a form that a page posts either as multipart (with files) or urlencoded
/// (without), as its `Content-Type` says.
pub async fn form_parts(
    store: &FileStore,
    req: &HttpRequest,
    payload: actix_web::web::Payload,
    rules: FileRules,
) -> Result<FormParts, AppError> {
    if is_multipart(req) {
        return store
            .read_form(actix_multipart::Multipart::new(req.headers(), payload), rules)
            .await;
    }
    let body = payload
        .to_bytes_limited(4 * MAX_FORM_FIELD)
        .await
        .map_err(|_| AppError::BadRequest("The form is too large.".into()))?
        .map_err(unreadable)?;
    Ok(FormParts {
        fields: url::form_urlencoded::parse(&body).into_owned().collect(),
        ..FormParts::default()
    })
}

/// Reads a request body that is either JSON (no files) or a multipart form with files,
/// as its `Content-Type` says. JSON bodies are limited to `max_json` bytes.
pub async fn json_or_multipart<T: serde::de::DeserializeOwned>(
    store: &FileStore,
    req: &HttpRequest,
    payload: actix_web::web::Payload,
    rules: FileRules,
    max_json: usize,
) -> Result<(T, Vec<Upload>), AppError> {
    if is_multipart(req) {
        let parts = store
            .read_form(actix_multipart::Multipart::new(req.headers(), payload), rules)
            .await?;
        let parts = parts.check()?;
        return Ok((parts.parse()?, parts.files));
    }
    let body = payload
        .to_bytes_limited(max_json)
        .await
        .map_err(|_| AppError::TooLarge(format!("The body is larger than {} KiB.", max_json / 1024)))?
        .map_err(|e| AppError::BadRequest(format!("The body could not be read: {e}")))?;
    let input = serde_json::from_slice(&body).map_err(|e| {
        AppError::BadRequest(format!(
            "Send JSON, or multipart/form-data with files in '{}': {e}",
            rules.field
        ))
    })?;
    Ok((input, Vec::new()))
}

/// Largest text field read from a multipart form.
pub(super) const MAX_FORM_FIELD: usize = 128 * 1024;

pub(super) fn unreadable(e: impl std::fmt::Display) -> AppError {
    AppError::BadRequest(format!("The form could not be read: {e}"))
}
