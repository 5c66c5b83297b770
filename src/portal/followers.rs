//! Who follows a ticket: its requester from the start, and any authorized contact of the
//! customer or member of staff who chooses to. Followers hear of the ticket's events by
//! mail (see `notices`).

use diesel::prelude::*;
use serde::Deserialize;

use super::access;
use super::tickets::visible;
use crate::db::schema::ticket_followers;
use crate::db::{AnyConnection, Db, now};
use crate::error::AppError;
use crate::keys::Keys;
use crate::mail::MailContext;
use crate::web::AuthUser;
use crate::with_backend;

/// Follow or stop following.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct FollowInput {
    pub following: bool,
}

/// Makes `user_id` a follower of the ticket (no-op when already one).
pub fn add(c: &mut AnyConnection, ticket_id: i64, user_id: i64) -> Result<(), AppError> {
    let values = (
        ticket_followers::ticket_id.eq(ticket_id),
        ticket_followers::user_id.eq(user_id),
        ticket_followers::created_at.eq(now()),
    );
    with_backend!(c, |c| diesel::insert_into(ticket_followers::table)
        .values(values)
        .on_conflict((ticket_followers::ticket_id, ticket_followers::user_id))
        .do_nothing()
        .execute(c))?;
    Ok(())
}

/// The followers of a ticket.
pub fn of_ticket(c: &mut AnyConnection, ticket_id: i64) -> Result<Vec<i64>, AppError> {
    Ok(ticket_followers::table
        .filter(ticket_followers::ticket_id.eq(ticket_id))
        .order(ticket_followers::created_at.asc())
        .select(ticket_followers::user_id)
        .load(c)?)
}

/// Whether `user_id` follows the ticket.
pub fn follows(c: &mut AnyConnection, ticket_id: i64, user_id: i64) -> Result<bool, AppError> {
    Ok(ticket_followers::table
        .filter(ticket_followers::ticket_id.eq(ticket_id))
        .filter(ticket_followers::user_id.eq(user_id))
        .count()
        .get_result::<i64>(c)?
        > 0)
}

/// Follows or stops following a ticket the user may see.
pub async fn set(db: &Db, user: &AuthUser, ticket_id: i64, following: bool) -> Result<(), AppError> {
    let who = access(user)?;
    let me = user.id;
    db.write(move |c| {
        visible(c, who, ticket_id)?;
        if following {
            add(c, ticket_id, me)
        } else {
            diesel::delete(
                ticket_followers::table
                    .filter(ticket_followers::ticket_id.eq(ticket_id))
                    .filter(ticket_followers::user_id.eq(me)),
            )
            .execute(c)?;
            Ok(())
        }
    })
    .await
}

/// The signed link in ticket mail that stops `user_id` following `ticket_id`: valid a
/// year, no sign-in (the token is the proof).
pub fn unfollow_link(m: &MailContext, ticket_id: i64, user_id: i64) -> Option<String> {
    let claims = crate::keys::Keys::claims(
        crate::keys::Purpose::UnfollowTicket,
        user_id,
        0,
        Some(ticket_id.to_string()),
        std::time::Duration::from_secs(365 * 24 * 3600),
    );
    let token = m.keys.sign(&claims).ok()?;
    Some(m.url(&format!("/api/v1/ticket-mail/unfollow?token={token}")))
}

/// Stops following the ticket an unfollow link names.
pub async fn unfollow_by_link(db: &Db, keys: &Keys, token: &str) -> Result<(), AppError> {
    let claims = keys
        .verify(crate::keys::Purpose::UnfollowTicket, token)
        .map_err(|_| {
            AppError::field(
                "token",
                "This link is not valid; stop following on the ticket's page instead.",
            )
        })?;
    let ticket_id: i64 = claims
        .email
        .as_deref()
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| AppError::field("token", "This link names no ticket."))?;
    let user_id = claims.sub;
    db.write(move |c| {
        diesel::delete(
            ticket_followers::table
                .filter(ticket_followers::ticket_id.eq(ticket_id))
                .filter(ticket_followers::user_id.eq(user_id)),
        )
        .execute(c)?;
        Ok(())
    })
    .await
}
