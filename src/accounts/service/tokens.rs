//! API tokens: issued, looked up, listed and revoked.

use base64::Engine;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::models::{ApiToken, NewApiToken};
use crate::db::schema::api_tokens;
use crate::db::{Db, now};
use crate::error::AppError;
use crate::web::AuthUser;
use crate::with_backend;

use super::*;
use crate::web::rate_limit::Limiter;

/// Prefix of every API token, so that a leaked one is easy to recognize.
pub const TOKEN_PREFIX: &str = "plt_";

pub(super) fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    crate::keys::hex(&digest)
}

/// A new API token: the stored row and the only copy of the token itself.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    pub token: String,
    #[serde(flatten)]
    pub row: ApiToken,
}

/// Creates an API token for a user.
pub async fn create_api_token(db: &Db, user: &AuthUser, name: &str) -> Result<IssuedToken, AppError> {
    let name = name.trim();
    let name = if name.is_empty() { "API token" } else { name };
    if name.chars().count() > MAX_NAME {
        return Err(AppError::field(
            "name",
            format!("Use at most {MAX_NAME} characters for the token name."),
        ));
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = token_hash(&token);
    let (user_id, epoch, name) = (user.id, user.session_epoch, name.to_string());
    let row = db
        .write(move |c| {
            let new = NewApiToken {
                user_id,
                name: &name,
                token_hash: &hash,
                session_epoch: epoch,
                created_at: now(),
            };
            Ok(with_backend!(c, |c| diesel::insert_into(api_tokens::table)
                .values(&new)
                .returning(ApiToken::as_returning())
                .get_result(c))?)
        })
        .await?;
    Ok(IssuedToken { token, row })
}

/// Issues a token for an address and password (`POST /api/v1/auth/token`).
pub async fn token_for_password(
    db: &Db,
    limiter: &Limiter,
    email: &str,
    password_typed: &str,
    name: &str,
    client_ip: &str,
) -> Result<IssuedToken, AppError> {
    let user = login(db, limiter, email, password_typed, client_ip).await?;
    create_api_token(db, &user, name).await
}

/// The user behind a bearer token, and the token's id, when it is current.
pub async fn user_for_api_token(db: &Db, token: &str) -> Result<Option<(AuthUser, i64)>, AppError> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
        return Ok(None);
    }
    let hash = token_hash(token);
    let found = db
        .read(move |c| {
            // The token, its user and the user's organization in one statement: every
            // API request asks this first.
            use crate::db::schema::{organizations, users};
            let found = api_tokens::table
                .inner_join(users::table.left_join(organizations::table))
                .filter(api_tokens::token_hash.eq(&hash))
                .filter(api_tokens::revoked_at.is_null())
                .select((
                    ApiToken::as_select(),
                    crate::db::models::User::as_select(),
                    organizations::name.nullable(),
                    organizations::status.nullable(),
                ))
                // No `first`: a bound LIMIT makes SQLite compile the statement on every run.
                .load::<(ApiToken, crate::db::models::User, Option<String>, Option<String>)>(c)?
                .pop();
            let Some((row, user, org_name, org_status)) = found else {
                return Ok(None);
            };
            let user = to_auth_user(user, org_name, org_status);
            Ok((user.session_epoch == row.session_epoch).then_some((user, row)))
        })
        .await?;
    let Some((user, row)) = found else { return Ok(None) };
    // Record use at most once a minute, so reads do not turn into writes.
    let stale = row
        .last_used_at
        .is_none_or(|t: NaiveDateTime| now() - t > chrono::TimeDelta::minutes(1));
    if stale {
        let id = row.id;
        db.write(move |c| {
            diesel::update(api_tokens::table.find(id))
                .set(api_tokens::last_used_at.eq(now()))
                .execute(c)?;
            Ok(())
        })
        .await?;
    }
    Ok(Some((user, row.id)))
}

/// A user's tokens, newest first (revoked ones included, marked).
pub async fn list_api_tokens(db: &Db, user_id: i64) -> Result<Vec<ApiToken>, AppError> {
    db.read(move |c| {
        Ok(api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .order(api_tokens::id.desc())
            .select(ApiToken::as_select())
            .load(c)?)
    })
    .await
}

/// Revokes one of the user's own tokens.
pub async fn revoke_api_token(db: &Db, user_id: i64, token_id: i64) -> Result<(), AppError> {
    let n = db
        .write(move |c| {
            Ok(diesel::update(
                api_tokens::table
                    .filter(api_tokens::id.eq(token_id))
                    .filter(api_tokens::user_id.eq(user_id))
                    .filter(api_tokens::revoked_at.is_null()),
            )
            .set(api_tokens::revoked_at.eq(now()))
            .execute(c)?)
        })
        .await?;
    if n == 0 { Err(AppError::NotFound) } else { Ok(()) }
}
