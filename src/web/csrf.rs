//! CSRF protection for every state-changing request outside `/api`.
//!
//! A random value lives in an HttpOnly cookie; forms carry its HMAC (the "signed
//! double-submit" pattern). The middleware checks every POST, PUT, PATCH and DELETE
//! before any handler runs, so no form can forget it. The token is read from the
//! `X-CSRF-Token` header, the `csrf_token` field of a urlencoded body, or the first part
//! of a multipart body (forms with files put the token first, so it is found without
//! reading the files and never stands in an address), or the `csrf_token` query
//! parameter.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::{self, BytesMut};
use actix_web::{HttpMessage, HttpRequest};
use base64::Engine;
use futures_util::StreamExt;
use rand::RngCore;

use crate::app::AppState;
use crate::error::AppError;
use crate::keys::Keys;

pub const CSRF_COOKIE: &str = "parley_csrf";
pub const CSRF_FIELD: &str = "csrf_token";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Largest urlencoded body the middleware reads to find the token.
const MAX_FORM_BYTES: usize = 1 << 20;
/// How much of a multipart body is read to find the token in its first part.
const MAX_MULTIPART_HEAD: usize = 16 * 1024;

/// The form token for this request, for templates.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// The CSRF token of a request (empty outside the middleware).
pub fn token_of(req: &HttpRequest) -> String {
    req.extensions()
        .get::<CsrfToken>()
        .map(|t| t.0.clone())
        .unwrap_or_default()
}

/// Checks the `X-CSRF-Token` header (for JSON calls made with the session cookie).
pub fn check_header(req: &HttpRequest, keys: &Keys) -> Result<(), AppError> {
    let cookie = req.cookie(CSRF_COOKIE);
    let header = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    match (cookie, header) {
        (Some(c), Some(h)) if keys.csrf_matches(c.value(), h) => Ok(()),
        _ => Err(refused()),
    }
}

fn refused() -> AppError {
    AppError::forbidden(
        "This form has expired or was sent from another site. Go back, reload the page and send it again.",
    )
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The middleware.
pub async fn protect(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        let err = AppError::Internal(anyhow::anyhow!("application state missing"));
        return Ok(req.error_response(err).map_into_right_body());
    };
    let existing = req
        .cookie(CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() >= 32);
    let cookie_value = existing.clone().unwrap_or_else(new_cookie_value);
    req.extensions_mut()
        .insert(CsrfToken(state.keys.csrf_token(&cookie_value)));

    let checked = !req.path().starts_with("/api/") && is_unsafe(req.method());
    if checked {
        let submitted = match submitted_token(&mut req).await {
            Ok(token) => token,
            Err(err) => return Ok(req.error_response(err).map_into_right_body()),
        };
        let ok = match (&existing, submitted) {
            (Some(cookie), Some(token)) => state.keys.csrf_matches(cookie, &token),
            _ => false,
        };
        if !ok {
            tracing::info!(path = %req.path(), "refused a request without a valid CSRF token");
            return Ok(req.error_response(refused()).map_into_right_body());
        }
    }
    let mut res = next.call(req).await?;
    if existing.is_none() {
        let cookie = Cookie::build(CSRF_COOKIE, cookie_value)
            .path("/")
            .http_only(true)
            .secure(state.settings.secure_cookies())
            .same_site(SameSite::Lax)
            .finish();
        res.response_mut().add_cookie(&cookie)?;
    }
    Ok(res.map_into_left_body())
}

fn new_cookie_value() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

async fn submitted_token(req: &mut ServiceRequest) -> Result<Option<String>, AppError> {
    if let Some(h) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return Ok(Some(h.to_string()));
    }
    if let Some(q) = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.into_owned())
    {
        return Ok(Some(q));
    }
    let content_type = super::content_type(req);
    if content_type.starts_with("multipart/form-data") {
        return multipart_token(req, &content_type).await;
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Ok(None);
    }
    // Read the body to find the field, then put it back for the handler.
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}")))?;
        if body.len() + chunk.len() > MAX_FORM_BYTES {
            return Err(AppError::BadRequest("The form is too large.".into()));
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let token = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.into_owned());
    req.set_payload(actix_web::dev::Payload::from(body));
    Ok(token)
}

/// The token in the first part of a multipart body. What was read is put back in
/// front of the rest, so the handler streams the whole body as it came.
async fn multipart_token(req: &mut ServiceRequest, content_type: &str) -> Result<Option<String>, AppError> {
    let Some(boundary) = boundary_of(content_type) else {
        return Ok(None);
    };
    let mut payload = req.take_payload();
    let mut head = BytesMut::new();
    let token = loop {
        if let Some(found) = first_part_token(&head, &boundary) {
            break found;
        }
        if head.len() > MAX_MULTIPART_HEAD {
            break None;
        }
        match payload.next().await {
            Some(chunk) => head.extend_from_slice(
                &chunk.map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}")))?,
            ),
            None => break None,
        }
    };
    let head = head.freeze();
    let whole = futures_util::stream::once(async move { Ok(head) }).chain(payload);
    req.set_payload(actix_web::dev::Payload::Stream {
        payload: Box::pin(whole),
    });
    Ok(token)
}

/// The `boundary` parameter of a multipart content type.
fn boundary_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.trim().split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_string())
            .filter(|b| !b.is_empty())
    })
}

/// `Some(token)` when the first part is `csrf_token`, `Some(None)` when the first part is
/// something else, `None` while more of the body is needed to tell.
fn first_part_token(buf: &[u8], boundary: &str) -> Option<Option<String>> {
    let delimiter = format!("--{boundary}");
    let start = find(buf, delimiter.as_bytes())? + delimiter.len();
    let after = buf.get(start..)?;
    let headers_end = find(after, b"\r\n\r\n")?;
    let headers = String::from_utf8_lossy(&after[..headers_end]).to_ascii_lowercase();
    let names_token = headers.lines().any(|line| {
        line.starts_with("content-disposition:")
            && line
                .split(';')
                .any(|p| p.trim() == format!("name=\"{CSRF_FIELD}\""))
    });
    if !names_token {
        return Some(None);
    }
    let value = &after[headers_end + 4..];
    let end = find(value, format!("\r\n{delimiter}").as_bytes())?;
    Some(
        std::str::from_utf8(&value[..end])
            .ok()
            .map(|v| v.trim().to_string()),
    )
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_token_in_the_first_part_only() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc123\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\r\n\r\n--XyZ--\r\n";
        assert_eq!(first_part_token(body, "XyZ"), Some(Some("abc123".into())));
        // Cut anywhere before the token ends: not decided yet.
        for cut in [0, 10, 40, 60, 70] {
            assert_eq!(first_part_token(&body[..cut], "XyZ"), None, "cut at {cut}");
        }
        let other = b"--XyZ\r\nContent-Disposition: form-data; name=\"subject\"\r\n\r\nhi\r\n--XyZ--\r\n";
        assert_eq!(first_part_token(other, "XyZ"), Some(None));
        // A field whose name merely ends like the token's is not the token.
        let near =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"x_csrf_token\"\r\n\r\nabc\r\n--XyZ--\r\n";
        assert_eq!(first_part_token(near, "XyZ"), Some(None));
    }

    #[test]
    fn reads_the_boundary() {
        assert_eq!(
            boundary_of("multipart/form-data; boundary=----WebKitFormBoundaryA1").as_deref(),
            Some("----WebKitFormBoundaryA1")
        );
        assert_eq!(
            boundary_of("multipart/form-data; boundary=\"q r\"").as_deref(),
            Some("q r")
        );
        assert_eq!(boundary_of("multipart/form-data"), None);
    }
}
