//! Static assets (CSS, scripts, icons) embedded from `templates/static` and served at
//! `/static`, with a content hash as ETag.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use include_dir::{Dir, include_dir};
use sha2::{Digest, Sha256};

use crate::error::AppError;

static STATIC_DIR: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates/static");

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `GET /static/{path}`.
pub async fn serve_static(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let path = path.into_inner();
    let file = STATIC_DIR.get_file(&path).ok_or(AppError::NotFound)?;
    let etag = format!("\"{}\"", hex_prefix(&Sha256::digest(file.contents())));
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag)
    {
        return Ok(HttpResponse::NotModified().finish());
    }
    Ok(HttpResponse::Ok()
        .content_type(content_type(&path))
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(file.contents()))
}

fn hex_prefix(bytes: &[u8]) -> String {
    crate::keys::hex(&bytes[..bytes.len().min(12)])
}
