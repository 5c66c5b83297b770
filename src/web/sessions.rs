//! Signed-in users and session cookies recently read, so that a request does not
//! read its user from the database again within a second (see `web::session`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;

use crate::accounts::{service as accounts, sessions};
use crate::error::AppError;
use crate::keys::Keys;
use crate::web::AuthUser;

/// How long a signed-in user read from the database answers for later requests. A
/// write on this node ends it at once (see [`crate::db::Db::writes`]); a change made on
/// another node (a password change, a role taken away) shows within this time.
pub const SESSION_REUSE: Duration = Duration::from_secs(1);

/// Signed-in users recently read, by id, with the write count and time of the read;
/// and session cookies recently verified, with the user and epoch they name.
pub struct Sessions {
    users: Cache<i64, (Arc<AuthUser>, u64, Instant)>,
    cookies: Cache<String, (i64, i64, u64, Instant)>,
    /// One read per cookie or user at a time, the others waiting for it (see
    /// `db::Turns`): every open request of a reader misses together each second.
    turns: crate::db::Turns,
}

impl Default for Sessions {
    fn default() -> Self {
        Self {
            users: Cache::new(10_000),
            cookies: Cache::new(10_000),
            turns: crate::db::Turns::new(64),
        }
    }
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("users", &self.users.len())
            .field("cookies", &self.cookies.len())
            .finish()
    }
}

impl Sessions {
    /// The user id and epoch a session cookie names, if its signature and expiry hold
    /// and it was not signed out: checked once, then trusted until a write (on this node
    /// or, heard of, on another) or for at most [`SESSION_REUSE`].
    pub(crate) async fn verify(
        &self,
        keys: &Keys,
        db: &crate::db::Db,
        cookie: &str,
    ) -> Result<Option<(i64, i64)>, AppError> {
        let current = |writes: u64| {
            self.cookies
                .get(cookie)
                .filter(|(_, _, seen, at)| *seen == writes && at.elapsed() < SESSION_REUSE)
                .map(|(user_id, epoch, _, _)| (user_id, epoch))
        };
        if let Some(found) = current(db.writes()) {
            return Ok(Some(found));
        }
        let Some(claims) = keys.verify_session(cookie) else {
            return Ok(None);
        };
        let _turn = self.turns.take(cookie).await;
        let writes = db.writes();
        if let Some(found) = current(writes) {
            return Ok(Some(found));
        }
        if let Some(id) = claims.id
            && sessions::is_revoked(db, id).await?
        {
            self.cookies.remove(cookie);
            return Ok(None);
        }
        self.cookies.insert(
            cookie.to_string(),
            (claims.user_id, claims.epoch, writes, Instant::now()),
        );
        Ok(Some((claims.user_id, claims.epoch)))
    }

    /// Signs out the session of `cookie`, on this node at once and on every other
    /// within [`SESSION_REUSE`]. A cookie that is not a valid session has nothing to end.
    pub async fn end(&self, keys: &Keys, db: &crate::db::Db, cookie: &str) -> Result<(), AppError> {
        self.cookies.remove(cookie);
        if let Some(claims) = keys.verify_session(cookie) {
            sessions::end_session(db, claims).await?;
        }
        // A request meanwhile may have kept the cookie again before the revocation
        // committed.
        self.cookies.remove(cookie);
        Ok(())
    }

    /// The user as read at most [`SESSION_REUSE`] ago with no write since, or reads it.
    pub(crate) async fn user(
        &self,
        db: &crate::db::Db,
        user_id: i64,
    ) -> Result<Option<Arc<AuthUser>>, AppError> {
        let current = |writes: u64| {
            self.users
                .get(&user_id)
                .filter(|(_, seen, at)| *seen == writes && at.elapsed() < SESSION_REUSE)
                .map(|(user, _, _)| user)
        };
        if let Some(user) = current(db.writes()) {
            return Ok(Some(user));
        }
        let _turn = self.turns.take(&user_id).await;
        let writes = db.writes();
        if let Some(user) = current(writes) {
            return Ok(Some(user));
        }
        let user = accounts::load_auth_user(db, user_id).await?.map(Arc::new);
        match &user {
            Some(u) => self.users.insert(user_id, (u.clone(), writes, Instant::now())),
            None => {
                self.users.remove(&user_id);
            }
        }
        Ok(user)
    }
}
