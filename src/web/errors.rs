//! Errors as pages, for browsers: the middleware that logs internal causes and, under
//! every path but `/api`, replaces an error response with a page in the site's layout
//! (or a missing sign-in with a redirect to `/login`).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError, web};
use serde::Serialize;

use crate::app::AppState;
use crate::error::{AppError, FieldErrors};

/// Logs internal causes, and under every path but `/api` replaces error responses with
/// HTML pages in the site's layout (and a missing sign-in with a redirect to `/login`).
pub async fn render_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let is_api = req.path().starts_with("/api/") || req.path() == "/api";
    let res = next.call(req).await?;
    let Some(app_error) = res.response().error().and_then(|e| e.as_error::<AppError>()) else {
        return Ok(res.map_into_left_body());
    };
    match app_error {
        AppError::Internal(cause) => {
            tracing::error!(error = ?cause, path = %res.request().path(), "request failed");
        }
        // A dependency away fails every request alike: said once, then once a minute
        // with how many were refused meanwhile, not a line (and a backtrace) each.
        AppError::Unavailable(cause) => {
            let refused = res
                .request()
                .app_data::<web::Data<AppState>>()
                .map_or(Some(0), |state| state.unavailable.note());
            if let Some(refused) = refused {
                tracing::warn!(error = %format!("{cause:#}"), path = %res.request().path(), refused, "unavailable");
            }
        }
        _ => {}
    }
    if is_api {
        return Ok(res.map_into_left_body());
    }
    let response = match app_error {
        AppError::LoginRequired { next } => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, login_redirect(next)))
            .finish(),
        other => error_page(res.request(), other).await,
    };
    Ok(res.into_response(response).map_into_right_body())
}

/// `/login?next=...`, keeping only local paths.
pub fn login_redirect(next: &str) -> String {
    let next = crate::web::safe_next(next);
    if next == "/" {
        "/login".into()
    } else {
        format!(
            "/login?next={}",
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        )
    }
}

#[derive(Serialize)]
pub(crate) struct ErrorPage {
    pub(crate) status: u16,
    pub(crate) title: String,
    pub(crate) message: String,
    pub(crate) fields: Option<FieldErrors>,
}

pub(crate) async fn error_page(req: &actix_web::HttpRequest, e: &AppError) -> HttpResponse {
    let status = e.status_code();
    let mut builder = HttpResponse::build(status);
    if let AppError::RateLimited { retry_after } = e {
        builder.insert_header((header::RETRY_AFTER, retry_after.to_string()));
    }
    let view = ErrorPage {
        status: status.as_u16(),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        message: e.public_message(),
        fields: e.field_errors().cloned(),
    };
    let template = match status.as_u16() {
        403 | 404 | 422 | 429 | 500 => format!("errors/{}.html", status.as_u16()),
        _ => "errors/generic.html".to_string(),
    };
    // A 4xx page keeps the reader's own header (signed in, their links); a 5xx may come
    // from the database being away, so it is drawn without looking the reader up.
    let reader = if status.is_client_error() {
        <crate::web::page::PageCtx as actix_web::FromRequest>::extract(req)
            .await
            .ok()
    } else {
        None
    };
    let rendered = match reader {
        Some(ctx) => ctx
            .render_string(&template, &view)
            .map_err(|e| anyhow::anyhow!("{e}")),
        None => req
            .app_data::<web::Data<AppState>>()
            .map(|state| state.templates.render_plain(&template, &view))
            .unwrap_or_else(|| Err(anyhow::anyhow!("no application state"))),
    };
    match rendered {
        Ok(html) => builder.content_type("text/html; charset=utf-8").body(html),
        Err(err) => {
            tracing::error!(error = ?err, "rendering an error page failed");
            builder
                .content_type("text/plain; charset=utf-8")
                .body(view.message)
        }
    }
}
