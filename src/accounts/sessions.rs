//! Ending sessions on the server. A session cookie is a signed token that names its
//! user, the user's session epoch and an id of its own. Signing out records the id in
//! `revoked_sessions`, read by every node, so that a copy of the cookie stops working
//! too; "sign out everywhere" (and a password change) bumps the epoch instead, which
//! ends every session and API token of the user at once.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{revoked_sessions, users};
use crate::db::{Db, now};
use crate::error::AppError;
use crate::keys::SessionClaims;

/// Ends one session: its id is revoked until the session would have expired. A
/// session made before sessions had ids cannot be named, so it ends the way "sign out
/// everywhere" does. Revocations past their expiry are cleared on the way.
pub async fn end_session(db: &Db, session: SessionClaims) -> Result<(), AppError> {
    let Some(id) = session.id else {
        return end_all_sessions(db, session.user_id).await;
    };
    let expires = chrono::DateTime::from_timestamp(i64::try_from(session.expires).unwrap_or(i64::MAX), 0)
        .map_or(NaiveDateTime::MAX, |t| t.naive_utc());
    let user_id = session.user_id;
    db.write(move |c| {
        // Kept a minute past expiry: a token is still taken a few seconds after it.
        let past = now() - chrono::Duration::minutes(1);
        diesel::delete(revoked_sessions::table.filter(revoked_sessions::expires_at.lt(past))).execute(c)?;
        // The user may be gone since; then there is nothing left to end.
        let exists: i64 = users::table.filter(users::id.eq(user_id)).count().get_result(c)?;
        if exists == 0 {
            return Ok(());
        }
        let values = (
            revoked_sessions::session_id.eq(&id),
            revoked_sessions::user_id.eq(user_id),
            revoked_sessions::expires_at.eq(expires),
        );
        crate::with_backend!(c, |c| diesel::insert_into(revoked_sessions::table)
            .values(values)
            .on_conflict(revoked_sessions::session_id)
            .do_nothing()
            .execute(c))?;
        tracing::info!(user_id, "signed out; the session is revoked");
        Ok(())
    })
    .await
}

/// Whether the session `id` was signed out.
pub async fn is_revoked(db: &Db, id: String) -> Result<bool, AppError> {
    db.read_quick(move |c| {
        let found: i64 = revoked_sessions::table
            .filter(revoked_sessions::session_id.eq(&id))
            .count()
            .get_result(c)?;
        Ok(found > 0)
    })
    .await
}

/// Ends every session and API token of a user ("sign out everywhere").
pub async fn end_all_sessions(db: &Db, user_id: i64) -> Result<(), AppError> {
    db.write(move |c| {
        diesel::update(users::table.find(user_id))
            .set(users::session_epoch.eq(users::session_epoch + 1))
            .execute(c)?;
        Ok(())
    })
    .await?;
    tracing::info!(user_id, "signed out everywhere");
    Ok(())
}
