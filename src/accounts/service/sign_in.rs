//! Signing in with an address and password, and changing the password.

use diesel::prelude::*;

use crate::accounts::password;
use crate::db::models::User;
use crate::db::now;
use crate::db::schema::users;
use crate::error::AppError;
use crate::web::AuthUser;
use crate::web::rate_limit::Action;

use super::*;
use crate::config::Settings;
use crate::db::Db;
use crate::web::rate_limit::Limiter;

/// Checks an address and password; returns the user. Both unknown addresses and wrong
/// passwords get the same answer, after the same time.
pub async fn login(
    db: &Db,
    limiter: &Limiter,
    email: &str,
    password_typed: &str,
    client_ip: &str,
) -> Result<AuthUser, AppError> {
    let email = email.trim().to_lowercase();
    limiter
        .check(
            Action::Login,
            &[&format!("ip:{client_ip}"), &format!("email:{email}")],
        )
        .await?;
    let lookup = email.clone();
    let found: Option<User> = db
        .read(move |c| {
            Ok(users::table
                .filter(users::email.eq(&lookup))
                .select(User::as_select())
                .first(c)
                .optional()?)
        })
        .await?;
    let typed = password_typed.to_string();
    let user = tokio::task::spawn_blocking(move || match found {
        Some(u) if password::verify(&typed, &u.password_hash) => Some(u),
        Some(_) => None,
        None => {
            password::burn_time(&typed);
            None
        }
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("password check: {e}")))?;
    let Some(user) = user else {
        return Err(AppError::field(
            "email",
            "The email address or the password is not right.",
        ));
    };
    load_auth_user(db, user.id).await?.ok_or(AppError::NotFound)
}

/// Changes the password of a signed-in user who knows the current one, ending every
/// other session. Returns the new epoch, for this browser's new session.
pub async fn change_password(
    db: &Db,
    settings: &Settings,
    user: &AuthUser,
    current: &str,
    new_password: &str,
) -> Result<i64, AppError> {
    let user_id = user.id;
    let stored: String = db
        .read(move |c| Ok(users::table.find(user_id).select(users::password_hash).first(c)?))
        .await?;
    let current = current.to_string();
    let ok = tokio::task::spawn_blocking(move || password::verify(&current, &stored))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("password check: {e}")))?;
    if !ok {
        return Err(AppError::field(
            "current_password",
            "Your current password is not right.",
        ));
    }
    password::check_policy(new_password, &user.email, settings.min_password_length)
        .map_err(|m| AppError::field("new_password", m))?;
    let hash = password::hash(new_password)?;
    let epoch = db
        .write(move |c| {
            diesel::update(users::table.find(user_id))
                .set((
                    users::password_hash.eq(&hash),
                    users::session_epoch.eq(users::session_epoch + 1),
                    users::updated_at.eq(now()),
                ))
                .execute(c)?;
            let epoch: i64 = users::table.find(user_id).select(users::session_epoch).first(c)?;
            Ok(epoch)
        })
        .await?;
    tracing::info!(user_id, "password changed; other sessions ended");
    Ok(epoch)
}
