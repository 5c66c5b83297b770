//! Uploaded files, stored by content under `DATA_DIR/files/ab/cd/<sha256>`: the same
//! bytes are kept once, a name can never point outside the folder, and the hash is the
//! checksum people verify downloads with. Served with headers that keep a browser from
//! running anything in them.

use std::path::{Path, PathBuf};

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::error::AppError;

/// A file once stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub sha256: String,
    pub size: i64,
}

/// The store under the data directory.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

/// Types a browser may show inline; everything else downloads as bytes.
const INLINE: [(&str, &str); 5] = [
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
];

/// Known download types, sent as such but always as an attachment.
const ATTACHMENT: [(&str, &str); 9] = [
    ("pdf", "application/pdf"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("txt", "text/plain; charset=utf-8"),
    ("log", "text/plain; charset=utf-8"),
    ("csv", "text/csv; charset=utf-8"),
    ("json", "application/json"),
    ("xml", "application/xml"),
    ("eml", "message/rfc822"),
];

/// The content type Parley stores for a file name (never one a browser would run).
pub fn content_type_for(filename: &str) -> &'static str {
    let ext = filename
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    INLINE
        .iter()
        .chain(ATTACHMENT.iter())
        .find(|(e, _)| *e == ext)
        .map(|(_, t)| *t)
        .unwrap_or("application/octet-stream")
}

/// The extension Parley gives a file of `content_type` that came without a usable
/// name (a mail part named only by its type), if the type is one it keeps.
pub fn extension_for(content_type: &str) -> Option<&'static str> {
    let wanted = content_type.split(';').next().unwrap_or_default().trim();
    INLINE
        .iter()
        .chain(ATTACHMENT.iter())
        .find(|(_, t)| {
            t.split(';')
                .next()
                .is_some_and(|t| t.eq_ignore_ascii_case(wanted))
        })
        .map(|(e, _)| *e)
}

/// Whether members may attach a file of this name to a post (images and a few
/// document types; never HTML, SVG or programs).
pub fn attachable(filename: &str) -> bool {
    content_type_for(filename) != "application/octet-stream"
}

/// Whether a browser shows this type inline (images).
pub fn is_image(content_type: &str) -> bool {
    INLINE.iter().any(|(_, t)| *t == content_type)
}

/// Keeps the last path part of an uploaded name, in safe characters.
pub fn clean_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '+') {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

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

/// The message for a file of a type that may not be attached.
pub fn refused_type(filename: &str) -> String {
    format!(
        "{filename} is not a type you can attach: use an image (PNG, JPEG, GIF, WebP), PDF, text, log, CSV, JSON, XML or ZIP."
    )
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
fn is_multipart(req: &HttpRequest) -> bool {
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
const MAX_FORM_FIELD: usize = 128 * 1024;

fn unreadable(e: impl std::fmt::Display) -> AppError {
    AppError::BadRequest(format!("The form could not be read: {e}"))
}

fn is_hash(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

impl FileStore {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join("files"),
        }
    }

    fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        is_hash(sha256).then(|| self.root.join(&sha256[..2]).join(&sha256[2..4]).join(sha256))
    }

    /// Streams bytes to disk, hashing as they come; refuses past `max_bytes` with a 413
    /// message naming the limit, and keeps nothing of a refused or broken upload.
    pub async fn store<S, E>(&self, mut stream: S, max_bytes: u64) -> Result<Stored, AppError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let tmp_dir = self.root.join("tmp");
        tokio::fs::create_dir_all(&tmp_dir)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("creating {}: {e}", tmp_dir.display())))?;
        let tmp = tmp_dir.join(format!("upload-{}", rand::random::<u64>()));
        let result = async {
            let mut file = tokio::fs::File::create(&tmp)
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!("creating {}: {e}", tmp.display())))?;
            let mut hasher = Sha256::new();
            let mut size: u64 = 0;
            while let Some(chunk) = stream.next().await {
                let chunk =
                    chunk.map_err(|e| AppError::BadRequest(format!("The upload was cut off: {e}")))?;
                size += chunk.len() as u64;
                if size > max_bytes {
                    return Err(AppError::field(
                        "file",
                        format!(
                            "The file is larger than the limit of {} MiB.",
                            max_bytes / (1024 * 1024)
                        ),
                    ));
                }
                hasher.update(&chunk);
                file.write_all(&chunk)
                    .await
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("writing an upload: {e}")))?;
            }
            if size == 0 {
                return Err(AppError::field("file", "The file is empty."));
            }
            file.sync_all()
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!("syncing an upload: {e}")))?;
            let sha256: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
            let target = self
                .path_of(&sha256)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("bad hash")))?;
            if let Some(dir) = target.parent() {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("creating {}: {e}", dir.display())))?;
            }
            if tokio::fs::metadata(&target).await.is_err() {
                tokio::fs::rename(&tmp, &target)
                    .await
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("storing an upload: {e}")))?;
            }
            Ok(Stored {
                sha256,
                size: size as i64,
            })
        }
        .await;
        // Already renamed on success; removes the partial file otherwise.
        let _ = tokio::fs::remove_file(&tmp).await;
        result
    }

    /// Reads a multipart form, storing its files as they stream in. A file field left
    /// empty (no file chosen) is skipped; a file of a refused type, past the size limit
    /// or past the number of files is refused with a message naming the field.
    pub async fn read_form(
        &self,
        mut form: actix_multipart::Multipart,
        rules: FileRules,
    ) -> Result<FormParts, AppError> {
        let mut parts = FormParts::default();
        while let Some(field) = form.next().await {
            let field = field.map_err(unreadable)?;
            let name = field.name().unwrap_or_default().to_string();
            // A browser sends a file input with no file chosen as a part with an empty
            // file name and no bytes: that is "no file", not a file named "file".
            let raw_filename = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .map(|f| f.trim().to_string());
            // A finished field panics when polled again; fused, it keeps answering None.
            let mut field = field.fuse();
            if name == rules.field {
                let filename = raw_filename
                    .filter(|f| !f.is_empty())
                    .map(|f| clean_filename(&f))
                    .unwrap_or_default();
                let refusal = if filename.is_empty() {
                    None
                } else if !(rules.allowed)(&filename) {
                    Some(refused_type(&filename))
                } else if parts.files.len() == rules.max_files {
                    Some(format!("Attach at most {} files at a time.", rules.max_files))
                } else {
                    match self.store(&mut field, rules.max_bytes).await {
                        Ok(stored) => {
                            parts.files.push(Upload { filename, stored });
                            continue;
                        }
                        Err(AppError::Invalid { message, .. }) => Some(format!("{filename}: {message}")),
                        Err(other) => return Err(other),
                    }
                };
                if let Some(message) = refusal {
                    parts.refused.entry(name).or_default().push(message);
                }
                // Whatever was not read of a skipped or refused file.
                while field.next().await.is_some() {}
                continue;
            }
            let mut text = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(unreadable)?;
                if text.len() + chunk.len() > MAX_FORM_FIELD {
                    return Err(AppError::field(&name, "This field is too long."));
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(text)
                .map_err(|_| AppError::field(&name, "This field is not valid UTF-8 text."))?;
            if let Some(c) = crate::web::characters::first_refused(&text) {
                return Err(AppError::field(&name, crate::web::characters::message(c)));
            }
            parts.fields.insert(name, text);
        }
        Ok(parts)
    }

    /// Stores bytes already in memory (a mail's part), like an upload.
    pub async fn store_bytes(&self, bytes: Vec<u8>, max_bytes: u64) -> Result<Stored, AppError> {
        let chunk = Ok::<_, std::io::Error>(Bytes::from(bytes));
        self.store(futures_util::stream::iter([chunk]), max_bytes).await
    }

    /// The bytes of a stored file.
    pub async fn read(&self, sha256: &str) -> Result<Vec<u8>, AppError> {
        let path = self.path_of(sha256).ok_or(AppError::NotFound)?;
        tokio::fs::read(&path).await.map_err(|_| AppError::NotFound)
    }

    /// Serves a stored file under the name it was uploaded with.
    pub async fn serve(
        &self,
        req: &HttpRequest,
        sha256: &str,
        filename: &str,
    ) -> Result<HttpResponse, AppError> {
        let path = self.path_of(sha256).ok_or(AppError::NotFound)?;
        let etag = format!("\"{sha256}\"");
        if req
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == etag)
        {
            return Ok(HttpResponse::NotModified().finish());
        }
        let bytes = tokio::fs::read(&path).await.map_err(|_| AppError::NotFound)?;
        let content_type = content_type_for(filename);
        let inline = INLINE.iter().any(|(_, t)| *t == content_type);
        let disposition = format!(
            "{}; filename=\"{}\"",
            if inline { "inline" } else { "attachment" },
            clean_filename(filename)
        );
        Ok(HttpResponse::Ok()
            .content_type(content_type)
            .insert_header((header::CONTENT_DISPOSITION, disposition))
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, "private, max-age=86400"))
            .insert_header(("Content-Security-Policy", "default-src 'none'; sandbox"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .body(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
        futures_util::stream::iter(
            parts
                .iter()
                .map(|p| Ok(Bytes::from_static(p)))
                .collect::<Vec<_>>(),
        )
    }

    #[actix_web::test]
    async fn stores_by_content_once_and_refuses_oversize() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::new(dir.path());
        let a = store
            .store(chunks(&[b"hello ", b"world"]), 1024)
            .await
            .expect("store");
        assert_eq!(
            a.sha256,
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(a.size, 11);
        let b = store
            .store(chunks(&[b"hello world"]), 1024)
            .await
            .expect("store again");
        assert_eq!(a, b);
        assert!(store.path_of(&a.sha256).expect("path").is_file());
        assert!(matches!(
            store.store(chunks(&[b"0123456789"]), 5).await,
            Err(AppError::Invalid { .. })
        ));
        assert!(matches!(
            store.store(chunks(&[]), 5).await,
            Err(AppError::Invalid { .. })
        ));
        let leftovers = std::fs::read_dir(dir.path().join("files/tmp"))
            .expect("tmp")
            .count();
        assert_eq!(leftovers, 0, "refused uploads leave nothing behind");
    }

    #[test]
    fn names_and_types() {
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("C:\\\\x\\\\evil name<>.exe"), "evil_name__.exe");
        assert_eq!(clean_filename(".htaccess"), "htaccess");
        assert_eq!(content_type_for("shot.PNG"), "image/png");
        assert_eq!(content_type_for("page.html"), "application/octet-stream");
        assert_eq!(content_type_for("icon.svg"), "application/octet-stream");
        assert!(FileStore::new(Path::new("/d")).path_of("../x").is_none());
    }
}
