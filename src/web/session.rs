//! Who is asking: the session cookie (a signed JWT), API bearer tokens, and the
//! extractors handlers use to get the signed-in user.
//!
//! A session names the user, the user's session epoch and its own id; signing out
//! revokes the id on every node (see `accounts::sessions`), and changing the password or
//! "sign out everywhere" bumps the epoch, which ends every session and API token at once.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::Method;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use serde::Serialize;

use crate::accounts::{Role, service as accounts};
use crate::app::AppState;
use crate::config::Settings;
use crate::error::AppError;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "parley_session";

/// The signed-in user, as handlers and templates see them.
#[derive(Debug, Clone, Serialize)]
pub struct AuthUser {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    /// Handle for @mentions and the profile address.
    pub username: String,
    pub role: Role,
    pub organization_id: Option<i64>,
    pub organization_name: Option<String>,
    /// `pending`, `approved` or `refused`, when the user belongs to an organization.
    pub organization_status: Option<String>,
    pub authorized_contact: bool,
    pub verified: bool,
    /// Notifications not read yet, shown in the header.
    pub unread_notifications: i64,
    /// The time zone pages show times in (IANA name); none: the browser's.
    pub time_zone: Option<String>,
    /// The address of their own picture; none: initials.
    pub avatar: Option<String>,
    #[serde(skip)]
    pub session_epoch: i64,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: chrono::NaiveDateTime,
}

impl AuthUser {
    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Staff | Role::Admin)
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Staff read everything; a member reads the community once their organization is
    /// approved (or when they belong to none, as accounts made by an admin may).
    pub fn can_read_community(&self) -> bool {
        self.is_staff()
            || self
                .organization_status
                .as_deref()
                .is_none_or(|s| s == "approved")
    }

    /// Posting also needs a verified address.
    pub fn can_post(&self) -> bool {
        self.verified && self.can_read_community()
    }

    /// Refuses unless the user is an admin.
    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(AppError::forbidden("Only administrators may do this."))
        }
    }
}

/// The session cookie for a user, valid for `ttl`.
pub fn session_cookie(state: &AppState, user_id: i64, epoch: i64) -> Result<Cookie<'static>, AppError> {
    let ttl = state.settings.session_ttl;
    let token = state.keys.sign_session(user_id, epoch, ttl)?;
    Ok(Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .secure(state.settings.secure_cookies())
        // Lax, not Strict: a link in a notification mail must open the site signed in.
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::seconds(
            i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX),
        ))
        .finish())
}

/// A cookie that removes the session.
pub fn clear_session_cookie(settings: &Settings) -> Cookie<'static> {
    let mut c = Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .http_only(true)
        .secure(settings.secure_cookies())
        .same_site(SameSite::Lax)
        .finish();
    c.make_removal();
    c
}

/// What the request carried, looked up once and kept in the request's extensions.
#[derive(Clone)]
struct Resolved(Option<Arc<AuthUser>>);

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))
}

/// The user of the session cookie, if it is valid and current. An expired or stale
/// cookie counts as no session: the browser is sent to sign in again.
async fn session_user(req: &HttpRequest) -> Result<Option<Arc<AuthUser>>, AppError> {
    if let Some(found) = req.extensions().get::<Resolved>() {
        return Ok(found.0.clone());
    }
    let state = state_of(req)?;
    let user = match req.cookie(SESSION_COOKIE) {
        Some(cookie) => match state
            .sessions
            .verify(&state.keys, &state.db, cookie.value())
            .await?
        {
            Some((user_id, epoch)) => state
                .sessions
                .user(&state.db, user_id)
                .await?
                .filter(|u| u.session_epoch == epoch),
            None => None,
        },
        None => None,
    };
    req.extensions_mut().insert(Resolved(user.clone()));
    Ok(user)
}

type Fut<T> = Pin<Box<dyn Future<Output = Result<T, AppError>>>>;

/// The signed-in user, or none.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<Arc<AuthUser>>);

impl FromRequest for MaybeUser {
    type Error = AppError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(MaybeUser(session_user(&req).await?)) })
    }
}

/// The signed-in user; an anonymous request is sent to `/login` and brought back after.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Arc<AuthUser>);

impl std::ops::Deref for CurrentUser {
    type Target = AuthUser;
    fn deref(&self) -> &AuthUser {
        &self.0
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match session_user(&req).await? {
                Some(user) => Ok(CurrentUser(user)),
                None => {
                    let next = match req.method() {
                        // After a form post the place to return to is the page it came from.
                        &Method::GET | &Method::HEAD => req
                            .uri()
                            .path_and_query()
                            .map(|p| p.as_str().to_string())
                            .unwrap_or_else(|| "/".into()),
                        _ => "/".into(),
                    };
                    Err(AppError::LoginRequired { next })
                }
            }
        })
    }
}

/// The caller of a JSON endpoint: a bearer token, or the session cookie of a browser.
/// A bad bearer token is an error, never "anonymous"; a state-changing call made with
/// the cookie must carry the `X-CSRF-Token` header.
#[derive(Debug, Clone)]
pub struct ApiUser {
    pub user: Arc<AuthUser>,
    /// The bearer token used, when the call carried one.
    pub token_id: Option<i64>,
}

impl std::ops::Deref for ApiUser {
    type Target = AuthUser;
    fn deref(&self) -> &AuthUser {
        &self.user
    }
}

impl FromRequest for ApiUser {
    type Error = AppError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state_of(&req)?;
            if let Some(auth) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
                let token = auth
                    .to_str()
                    .ok()
                    .and_then(|v| v.strip_prefix("Bearer "))
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| {
                        AppError::Unauthorized("The Authorization header must be 'Bearer <token>'.".into())
                    })?;
                let (user, token_id) =
                    accounts::user_for_api_token(&state.db, token)
                        .await?
                        .ok_or_else(|| {
                            AppError::Unauthorized("The API token is unknown, revoked or expired.".into())
                        })?;
                return Ok(ApiUser {
                    user: Arc::new(user),
                    token_id: Some(token_id),
                });
            }
            let user = session_user(&req).await?.ok_or_else(|| {
                AppError::Unauthorized(
                    "Send 'Authorization: Bearer <token>'; get a token from POST /api/v1/auth/token.".into(),
                )
            })?;
            if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
                crate::web::csrf::check_header(&req, &state.keys)?;
            }
            Ok(ApiUser { user, token_id: None })
        })
    }
}
