//! CSRF protection for every state-changing request outside `/api`.
//!
//! A random value lives in an HttpOnly cookie; forms carry its HMAC (the "signed
//! double-submit" pattern). The middleware checks every POST, PUT, PATCH and DELETE
//! before any handler runs, so no form can forget it. The token is read from the
//! `X-CSRF-Token` header, the `csrf_token` query parameter (for multipart uploads), or
//! the `csrf_token` field of a urlencoded body.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web::{self, BytesMut};
use actix_web::{HttpMessage, HttpRequest};
use base64::Engine;
use futures_util::StreamExt;
use rand::RngCore;

use crate::app::AppState;
use crate::error::AppError;

pub const CSRF_COOKIE: &str = "parley_csrf";
pub const CSRF_FIELD: &str = "csrf_token";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Largest urlencoded body the middleware reads to find the token.
const MAX_FORM_BYTES: usize = 1 << 20;

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
pub fn check_header(req: &HttpRequest, state: &AppState) -> Result<(), AppError> {
    let cookie = req.cookie(CSRF_COOKIE);
    let header = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    match (cookie, header) {
        (Some(c), Some(h)) if state.keys.csrf_matches(c.value(), h) => Ok(()),
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
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
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
