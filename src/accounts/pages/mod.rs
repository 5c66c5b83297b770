//! Account pages: signup, sign-in and out, verification, password reset, the account
//! page with password change, API tokens, time zone and picture.

use super::pictures;
use super::service::{self, LinkProblem, SignupInput};
use super::sessions;
use crate::app::AppState;
use crate::db::Db;
use crate::db::models::ApiToken;
use crate::error::{AppError, FieldErrors};
use crate::web::page::see_other;
use crate::web::session::{SESSION_COOKIE, clear_session_cookie, session_cookie};
use crate::web::{CurrentUser, PageCtx, client_ip, safe_next};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

mod own;

use own::*;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/signup", web::get().to(signup_form))
        .route("/signup", web::post().to(signup))
        .route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/verify", web::get().to(verify))
        .route("/verify/resend", web::post().to(resend_verification))
        .route("/password/forgot", web::get().to(forgot_form))
        .route("/password/forgot", web::post().to(forgot))
        .route("/password/reset", web::get().to(reset_form))
        .route("/password/reset", web::post().to(reset))
        .route("/account", web::get().to(account))
        .route("/account/password", web::post().to(change_password))
        .route("/account/time-zone", web::post().to(set_time_zone))
        .route("/account/picture", web::post().to(set_picture))
        .route("/account/picture/remove", web::post().to(remove_picture))
        .route("/avatars/{id}/{sha256}", web::get().to(picture))
        .route("/account/sessions/end", web::post().to(end_sessions))
        .route("/account/tokens", web::post().to(create_token))
        .route("/account/tokens/{id}/revoke", web::post().to(revoke_token));
}

/// A form view: what was typed, and what to fix by field.
#[derive(Serialize, Default)]
struct FormPage<T: Serialize> {
    form: T,
    errors: FieldErrors,
}

/// Renders the form again with its values and field messages (422), or passes any other
/// error on.
fn form_again<T: Serialize>(
    ctx: &PageCtx,
    template: &str,
    form: T,
    err: AppError,
) -> Result<HttpResponse, AppError> {
    match err {
        AppError::Invalid { fields, .. } => ctx.render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            template,
            &FormPage { form, errors: fields },
        ),
        other => Err(other),
    }
}

fn signed_in_redirect(
    state: &AppState,
    user_id: i64,
    epoch: i64,
    to: &str,
) -> Result<HttpResponse, AppError> {
    let mut res = see_other(to);
    res.add_cookie(&session_cookie(state, user_id, epoch)?)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(res)
}

async fn signup_form(ctx: PageCtx) -> Result<HttpResponse, AppError> {
    if ctx.user.is_some() {
        return Ok(see_other("/"));
    }
    ctx.render("accounts/signup.html", &FormPage::<SignupInput>::default())
}

async fn signup(
    state: web::Data<AppState>,
    ctx: PageCtx,
    req: HttpRequest,
    form: web::Form<SignupInput>,
) -> Result<HttpResponse, AppError> {
    let input = form.into_inner();
    let ip = client_ip(&req, state.settings.trust_proxy);
    match service::signup(&state, input.clone(), &ip).await {
        Ok(done) => {
            let notice = if done.organization_pending {
                "signed_up_pending"
            } else {
                "signed_up"
            };
            signed_in_redirect(
                &state,
                done.user.id,
                done.user.session_epoch,
                &format!("/?notice={notice}"),
            )
        }
        Err(e) => form_again(&ctx, "accounts/signup.html", input, e),
    }
}

#[derive(Deserialize, Serialize, Default)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default, skip_serializing)]
    password: String,
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_form(ctx: PageCtx, query: web::Query<NextQuery>) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.next.as_deref().unwrap_or("/")).to_string();
    if ctx.user.is_some() {
        return Ok(see_other(&next));
    }
    ctx.render(
        "accounts/login.html",
        &FormPage {
            form: LoginForm {
                next,
                ..Default::default()
            },
            errors: FieldErrors::new(),
        },
    )
}

async fn login(
    state: web::Data<AppState>,
    ctx: PageCtx,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let ip = client_ip(&req, state.settings.trust_proxy);
    match service::login(&state.db, &state.limiter, &form.email, &form.password, &ip).await {
        Ok(user) => signed_in_redirect(&state, user.id, user.session_epoch, safe_next(&form.next)),
        Err(e) => form_again(&ctx, "accounts/login.html", form, e),
    }
}

/// Signs out: the session ends on the server too, so a copy of the cookie stops
/// working; the browser's cookie is removed.
async fn logout(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    if let Some(cookie) = req.cookie(SESSION_COOKIE) {
        state.sessions.end(&state.keys, &state.db, cookie.value()).await?;
    }
    let mut res = see_other("/login?notice=signed_out");
    res.add_cookie(&clear_session_cookie(&state.settings))
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(res)
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Serialize)]
struct LinkFailed {
    kind: &'static str,
    expired: bool,
}

fn link_failed(ctx: &PageCtx, kind: &'static str, problem: LinkProblem) -> Result<HttpResponse, AppError> {
    ctx.render_status(
        StatusCode::BAD_REQUEST,
        "accounts/link_failed.html",
        &LinkFailed {
            kind,
            expired: problem == LinkProblem::Expired,
        },
    )
}

/// `GET /verify?token=`: the link in the verification mail.
async fn verify(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    match service::verify_email(&state.db, &state.keys, &query.token).await? {
        Ok(_) if ctx.user.is_some() => Ok(see_other("/?notice=verified")),
        Ok(_) => Ok(see_other("/login?notice=verified")),
        Err(problem) => link_failed(&ctx, "verify", problem),
    }
}

async fn resend_verification(
    state: web::Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let ip = client_ip(&req, state.settings.trust_proxy);
    let sent = service::resend_verification(&state, &user, &ip).await?;
    Ok(see_other(if sent {
        "/account?notice=verification_sent"
    } else {
        "/account"
    }))
}

#[derive(Deserialize, Serialize, Default)]
struct ForgotForm {
    #[serde(default)]
    email: String,
}

async fn forgot_form(ctx: PageCtx) -> Result<HttpResponse, AppError> {
    ctx.render("accounts/forgot.html", &FormPage::<ForgotForm>::default())
}

async fn forgot(
    state: web::Data<AppState>,
    ctx: PageCtx,
    req: HttpRequest,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    if let Err(m) = super::domains::parse_email(&form.email) {
        return form_again(&ctx, "accounts/forgot.html", form, AppError::field("email", m));
    }
    let ip = client_ip(&req, state.settings.trust_proxy);
    service::request_password_reset(
        &state.db,
        &state.settings,
        &state.mailing,
        &state.limiter,
        &state.postman,
        &form.email,
        &ip,
    )
    .await?;
    ctx.render(
        "accounts/forgot_sent.html",
        &FormPage {
            form,
            errors: FieldErrors::new(),
        },
    )
}

#[derive(Deserialize, Serialize, Default)]
struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default, skip_serializing)]
    password: String,
}

async fn reset_form(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    if let Err(problem) = service::check_reset_link(&state.keys, &query.token) {
        return link_failed(&ctx, "reset", problem);
    }
    ctx.render(
        "accounts/reset.html",
        &FormPage {
            form: ResetForm {
                token: query.token.clone(),
                password: String::new(),
            },
            errors: FieldErrors::new(),
        },
    )
}

async fn reset(
    state: web::Data<AppState>,
    ctx: PageCtx,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    match service::reset_password(
        &state.db,
        &state.settings,
        &state.keys,
        &form.token,
        &form.password,
    )
    .await
    {
        Ok(Ok(user)) => signed_in_redirect(&state, user.id, user.session_epoch, "/?notice=password_reset"),
        Ok(Err(problem)) => link_failed(&ctx, "reset", problem),
        Err(e) => form_again(&ctx, "accounts/reset.html", form, e),
    }
}
