//! Forum notifications: what happened to what a person cares about (replies to their
//! topics and to topics they watch, @mentions, an accepted answer, watched categories,
//! the status of ideas they voted for, releases of products they follow), shown in
//! the site's list with an unread count in the header and mailed at once or in a
//! daily digest, as each person chooses; one click in any mail turns it off.

use crate::db::Db;
use crate::keys::Keys;

pub mod api;
pub mod mail;
pub mod pages;
pub mod replies;
pub mod service;
pub mod settings;

/// Mounts the notification pages and API.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    api::configure(cfg);
    pages::configure(cfg);
}

/// Turns off the notification mail of the person an unsubscribe link names.
pub async fn unsubscribe(db: &Db, keys: &Keys, token: &str) -> Result<(), crate::error::AppError> {
    let claims = keys
        .verify(crate::keys::Purpose::Unsubscribe, token)
        .map_err(|_| {
            crate::error::AppError::field(
                "token",
                "This unsubscribe link is not valid; change your mail settings under Notifications instead.",
            )
        })?;
    let user_id = claims.sub;
    db.write(move |c| settings::set_email_in(c, user_id, "off")).await
}
