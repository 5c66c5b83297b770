//! Each message is claimed under its key before it is taken in: a retry or a second
//! reader at once makes nothing twice; a claim is given back when Parley fails, and
//! taken over after two minutes.

use crate::db::Db;
use crate::db::now;
use crate::db::schema::inbound_mail;
use crate::error::AppError;
use diesel::prelude::*;

/// The key a message is known by: its Message-ID, hashed when it is longer than an
/// index holds; the SHA-256 of its bytes when it has none.
pub(super) fn identity(own: Option<&str>, raw: &[u8]) -> String {
    use sha2::Digest;
    let hashed = |bytes: &[u8]| {
        let digest = sha2::Sha256::digest(bytes);
        format!("sha256:{}", crate::keys::hex(&digest))
    };
    match own {
        Some(id) if id.len() <= 200 => id.to_string(),
        Some(id) => hashed(id.as_bytes()),
        None => hashed(raw),
    }
}

/// How long a claim stands before another try takes the message over (a reader that
/// stopped in the middle of it).
pub(super) const CLAIM_SECONDS: i64 = 120;

pub(super) enum Claimed {
    /// This call takes the message in.
    Ours,
    /// It was taken in before, as this ticket (if any).
    Seen(Option<i64>),
}

/// Writes the message's row, `processing`, unless one with its key exists: then it was
/// taken in before, or is being taken in now (a 503: try again shortly), or its claim
/// is older than [`CLAIM_SECONDS`] and is taken over.
pub(super) async fn claim(
    db: &Db,
    id: &str,
    from: &str,
    subject: &str,
    size: usize,
) -> Result<Claimed, AppError> {
    let id = id.to_string();
    let from: String = from.chars().take(320).collect();
    let subject: String = subject.chars().take(500).collect();
    db.write(move |c| {
        let at = now();
        let inserted = crate::with_backend!(c, |c| diesel::insert_into(inbound_mail::table)
            .values((
                inbound_mail::message_id.eq(&id),
                inbound_mail::from_address.eq(&from),
                inbound_mail::subject.eq(&subject),
                inbound_mail::outcome.eq("processing"),
                inbound_mail::size.eq(size as i64),
                inbound_mail::received_at.eq(at),
            ))
            .on_conflict(inbound_mail::message_id)
            .do_nothing()
            .execute(c))?;
        if inserted == 1 {
            return Ok(Claimed::Ours);
        }
        let (outcome, ticket_id, since): (String, Option<i64>, chrono::NaiveDateTime) = inbound_mail::table
            .filter(inbound_mail::message_id.eq(&id))
            .select((
                inbound_mail::outcome,
                inbound_mail::ticket_id,
                inbound_mail::received_at,
            ))
            .first(c)?;
        if outcome != "processing" {
            return Ok(Claimed::Seen(ticket_id));
        }
        let stale = since < at - chrono::Duration::seconds(CLAIM_SECONDS);
        let taken = stale
            && diesel::update(
                inbound_mail::table
                    .filter(inbound_mail::message_id.eq(&id))
                    .filter(inbound_mail::outcome.eq("processing"))
                    .filter(inbound_mail::received_at.eq(since)),
            )
            .set(inbound_mail::received_at.eq(at))
            .execute(c)?
                == 1;
        if taken {
            Ok(Claimed::Ours)
        } else {
            Err(AppError::Unavailable(anyhow::anyhow!(
                "this message is being taken in right now; try again in a minute"
            )))
        }
    })
    .await
}

/// Gives a claim back after Parley failed to take the message in (best effort: when
/// the database is away too, the claim runs out instead).
pub(super) async fn unclaim(db: &Db, id: String) {
    let _ = db
        .write(move |c| {
            diesel::delete(
                inbound_mail::table
                    .filter(inbound_mail::message_id.eq(&id))
                    .filter(inbound_mail::outcome.eq("processing")),
            )
            .execute(c)?;
            Ok(())
        })
        .await;
}
