//! Mailed links: address verification and password reset.

use diesel::prelude::*;
use serde::Serialize;
use std::sync::Arc;

use crate::accounts::password;
use crate::app::AppState;
use crate::db::now;
use crate::db::schema::users;
use crate::error::AppError;
use crate::keys::{Keys, LinkError, Purpose};
use crate::mail::{Mail, mailbox};
use crate::web::AuthUser;
use crate::web::rate_limit::Action;

use super::*;
use crate::config::Settings;
use crate::db::Db;
use crate::mail::MailContext;
use crate::outbox::Postman;
use crate::web::rate_limit::Limiter;
use crate::web::templates::Templates;

/// Mails a verification link. Failure is logged, not fatal: the user can ask again.
pub async fn send_verification(state: &AppState, user: &AuthUser) -> bool {
    match try_send_verification(
        &state.settings,
        &state.keys,
        &state.templates,
        &state.postman,
        user,
    )
    .await
    {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(user_id = user.id, error = ?e, "could not send the verification mail");
            false
        }
    }
}

#[derive(Serialize)]
pub(super) struct LinkMail<'a> {
    name: &'a str,
    link: String,
    hours: u64,
    minutes: u64,
    site: String,
}

pub(super) fn link(settings: &Settings, path: &str, token: &str) -> anyhow::Result<String> {
    let mut url = settings.base_url.join(path)?;
    url.query_pairs_mut().append_pair("token", token);
    Ok(url.to_string())
}

pub(super) async fn try_send_verification(
    settings: &Settings,
    keys: &Keys,
    templates: &Arc<Templates>,
    postman: &Postman,
    user: &AuthUser,
) -> anyhow::Result<()> {
    let ttl = settings.verify_link_ttl;
    let token = keys.sign(&Keys::claims(
        Purpose::VerifyEmail,
        user.id,
        user.session_epoch,
        Some(user.email.clone()),
        ttl,
    ))?;
    let view = LinkMail {
        name: &user.display_name,
        link: link(settings, "verify", &token)?,
        hours: ttl.as_secs() / 3600,
        minutes: ttl.as_secs() / 60,
        site: settings.base_url.to_string(),
    };
    let mail = Mail::from_templates(
        templates,
        "verify",
        mailbox(&user.display_name, &user.email)?,
        &view,
    )?;
    let key = format!("verify:{}:{}", user.id, chrono::Utc::now().timestamp_micros());
    account_mail(postman, key, mail).await
}

/// Account mail goes through the outbox and, on a node that sends, out at once.
pub(super) async fn account_mail(postman: &Postman, key: String, mail: Mail) -> anyhow::Result<()> {
    postman
        .send_now(key, mail)
        .await
        .map_err(|e| anyhow::anyhow!("queueing account mail: {e:?}"))
}

/// Sends the verification mail again, within the reset rate limit.
pub async fn resend_verification(
    state: &AppState,
    user: &AuthUser,
    client_ip: &str,
) -> Result<bool, AppError> {
    if user.verified {
        return Ok(false);
    }
    state
        .limiter
        .check(
            Action::Reset,
            &[&format!("ip:{client_ip}"), &format!("user:{}", user.id)],
        )
        .await?;
    Ok(send_verification(state, user).await)
}

/// Why a mailed link was not accepted, for the page that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    Expired,
    Invalid,
}

/// Marks the address of a verification link as verified; returns the user id.
pub async fn verify_email(db: &Db, keys: &Keys, token: &str) -> Result<Result<i64, LinkProblem>, AppError> {
    let claims = match keys.verify(Purpose::VerifyEmail, token) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e.into())),
    };
    let Some(email) = claims.email else {
        return Ok(Err(LinkProblem::Invalid));
    };
    db.write(move |c| {
        // The address must still be the account's: a link for an old address is void.
        let updated = diesel::update(
            users::table
                .filter(users::id.eq(claims.sub))
                .filter(users::email.eq(&email)),
        )
        .set((users::email_verified_at.eq(now()), users::updated_at.eq(now())))
        .execute(c)?;
        Ok(if updated == 1 {
            Ok(claims.sub)
        } else {
            Err(LinkProblem::Invalid)
        })
    })
    .await
}

/// Mails a reset link when the address has an account; says nothing either way.
pub async fn request_password_reset(
    db: &Db,
    settings: &Settings,
    mailing: &MailContext,
    limiter: &Limiter,
    postman: &Postman,
    email: &str,
    client_ip: &str,
) -> Result<(), AppError> {
    let email = email.trim().to_lowercase();
    limiter
        .check(
            Action::Reset,
            &[&format!("ip:{client_ip}"), &format!("email:{email}")],
        )
        .await?;
    let lookup = email.clone();
    let found = db
        .read(move |c| {
            Ok(users::table
                .filter(users::email.eq(&lookup))
                .select(users::id)
                .first::<i64>(c)
                .optional()?)
        })
        .await?;
    let Some(user_id) = found else {
        tracing::info!("password reset asked for an unknown address");
        return Ok(());
    };
    let Some(user) = load_auth_user(db, user_id).await? else {
        return Ok(());
    };
    let result = async {
        let ttl = settings.reset_link_ttl;
        let token = mailing.keys.sign(&Keys::claims(
            Purpose::ResetPassword,
            user.id,
            user.session_epoch,
            None,
            ttl,
        ))?;
        let view = LinkMail {
            name: &user.display_name,
            link: link(settings, "password/reset", &token)?,
            hours: ttl.as_secs() / 3600,
            minutes: ttl.as_secs() / 60,
            site: settings.base_url.to_string(),
        };
        let mail = Mail::from_templates(
            &mailing.templates,
            "reset",
            mailbox(&user.display_name, &user.email)?,
            &view,
        )?;
        let key = format!("reset:{}:{}", user.id, chrono::Utc::now().timestamp_micros());
        account_mail(postman, key, mail).await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(user_id, error = ?e, "could not send the password-reset mail");
    }
    Ok(())
}

/// Checks a reset link without using it (to show the form, or say it is spent).
pub fn check_reset_link(keys: &Keys, token: &str) -> Result<(i64, i64), LinkProblem> {
    keys.verify(Purpose::ResetPassword, token)
        .map(|c| (c.sub, c.ep))
        .map_err(LinkProblem::from)
}

/// Sets a new password from a reset link. The link works once: the epoch it names is
/// bumped, which also ends every session and API token. Returns the signed-in user.
pub async fn reset_password(
    db: &Db,
    settings: &Settings,
    keys: &Keys,
    token: &str,
    new_password: &str,
) -> Result<Result<AuthUser, LinkProblem>, AppError> {
    let (user_id, epoch) = match check_reset_link(keys, token) {
        Ok(v) => v,
        Err(p) => return Ok(Err(p)),
    };
    let Some(user) = load_auth_user(db, user_id).await? else {
        return Ok(Err(LinkProblem::Invalid));
    };
    if user.session_epoch != epoch {
        return Ok(Err(LinkProblem::Invalid));
    }
    password::check_policy(new_password, &user.email, settings.min_password_length)
        .map_err(|m| AppError::field("password", m))?;
    let hash = password::hash(new_password)?;
    let changed = db
        .write(move |c| {
            let t = now();
            let n = diesel::update(
                users::table
                    .filter(users::id.eq(user_id))
                    .filter(users::session_epoch.eq(epoch)),
            )
            .set((
                users::password_hash.eq(&hash),
                users::session_epoch.eq(epoch + 1),
                users::updated_at.eq(t),
            ))
            .execute(c)?;
            // Following the link proves the mailbox is theirs, so it verifies it too.
            diesel::update(
                users::table
                    .filter(users::id.eq(user_id))
                    .filter(users::email_verified_at.is_null()),
            )
            .set(users::email_verified_at.eq(t))
            .execute(c)?;
            Ok(n == 1)
        })
        .await?;
    if !changed {
        return Ok(Err(LinkProblem::Invalid));
    }
    tracing::info!(user_id, "password reset; sessions ended");
    Ok(load_auth_user(db, user_id).await?.ok_or(LinkProblem::Invalid))
}

impl From<LinkError> for LinkProblem {
    fn from(e: LinkError) -> Self {
        match e {
            LinkError::Expired => Self::Expired,
            LinkError::Invalid => Self::Invalid,
        }
    }
}
