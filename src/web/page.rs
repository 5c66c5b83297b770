//! Rendering a page: the view a handler built, plus what the layout needs (the
//! signed-in user, the CSRF token, a notice named in the address).

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, web};
use serde::Serialize;

use crate::app::AppState;
use crate::error::AppError;
use crate::web::session::{AuthUser, MaybeUser};

/// What every page template receives beside its own view.
#[derive(Clone)]
pub struct PageCtx {
    pub user: Option<Arc<AuthUser>>,
    pub csrf_token: String,
    /// A notice code from `?notice=`, shown by the layout (the text lives in the template).
    pub notice: Option<String>,
    /// The navigation's links (documentation).
    pub links: Arc<crate::forum::communities::SiteLinks>,
    state: web::Data<AppState>,
}

#[derive(Serialize)]
struct Layout<'a, V: Serialize> {
    #[serde(flatten)]
    view: &'a V,
    me: Option<&'a AuthUser>,
    csrf_token: &'a str,
    notice: Option<&'a str>,
    site: &'a crate::forum::communities::SiteLinks,
}

impl PageCtx {
    /// Renders `template` with `view` and a 200.
    pub fn render(&self, template: &str, view: &impl Serialize) -> Result<HttpResponse, AppError> {
        self.render_status(StatusCode::OK, template, view)
    }

    /// Renders `template` with `view` and `status` (422 for a form sent back to fix).
    pub fn render_status(
        &self,
        status: StatusCode,
        template: &str,
        view: &impl Serialize,
    ) -> Result<HttpResponse, AppError> {
        Ok(html_response(status, self.render_string(template, view)?))
    }

    /// Renders `template` with `view` and the layout's parts, to a string.
    pub fn render_string(&self, template: &str, view: &impl Serialize) -> Result<String, AppError> {
        self.render_string_with_token(template, view, &self.csrf_token)
    }

    /// Renders with `csrf_token` in the forms instead of the request's own (a
    /// placeholder, for HTML kept for other requests).
    pub fn render_string_with_token(
        &self,
        template: &str,
        view: &impl Serialize,
        csrf_token: &str,
    ) -> Result<String, AppError> {
        let layout = Layout {
            view,
            me: self.user.as_deref(),
            csrf_token,
            notice: self.notice.as_deref(),
            site: &self.links,
        };
        self.state.templates.render(template, &layout)
    }
}

impl FromRequest for PageCtx {
    type Error = AppError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let user = MaybeUser::from_request(&req, payload);
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))?;
            let notice = url::form_urlencoded::parse(req.query_string().as_bytes())
                .find(|(k, _)| k == "notice")
                .map(|(_, v)| {
                    v.chars()
                        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .take(40)
                        .collect()
                });
            let links = state
                .site_links
                .get(&state.db, crate::forum::communities::load_site_links)
                .await?;
            Ok(PageCtx {
                user: user.await?.0,
                links,
                csrf_token: crate::web::csrf::token_of(&req),
                notice,
                state,
            })
        })
    }
}

/// 200 for a form shown fresh, 422 for one sent back with what to fix.
pub fn form_status(errors: &crate::error::FieldErrors) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// A rendered page: never kept by a browser or proxy, since it holds the reader's
/// own parts and CSRF token.
pub fn html_response(status: StatusCode, html: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(html)
}

/// A 303 to `location` (after a form post).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location.to_string()))
        .finish()
}
