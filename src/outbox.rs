//! The mail outbox: a message is a row written in the same transaction as the event
//! that caused it, and a background task delivers it.
//!
//! - **Once per event and person.** Each row carries an `event_key` naming the event and
//!   the recipient, unique in the table: queueing the same event again is a no-op.
//! - **Nothing lost.** A row stays until delivered or given up on; a crash or restart
//!   leaves it pending, and the next start sends it.
//! - **One sender.** A node claims a row (status `sending`, with a lease, in its own
//!   name: see [`crate::node`]) in a write transaction before it sends, so two nodes
//!   never send the same row. The lease is renewed while the node sends, so a slow
//!   server does not let another node take a message that is still on its way.
//! - **After a crash.** A node that starts again takes back what it had claimed and
//!   sends it within seconds; what a dead node claimed goes to another once the lease
//!   ([`LEASE`]) runs out (within about a third of a lease more when a backlog keeps
//!   the senders busy: see [`claim`]). Should a node die after the server accepted a message but
//!   before it recorded so, the message goes again: the one case where a reader may see
//!   it twice.
//! - **Retries.** A failed attempt is tried again after 30 s, doubling up to 6 hours;
//!   after [`MAX_ATTEMPTS`] the row is marked `failed` with the last error, for an admin
//!   to see.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::mail_outbox;
use crate::db::{AnyConnection, Db, now};
use crate::error::AppError;
use crate::mail::{Mail, Mailer};

/// Attempts before a message is given up on.
pub const MAX_ATTEMPTS: i32 = 8;
/// How long a claimed message is left to its sender before another may take it. The
/// sender renews it every third of that while it sends (see [`renew`]).
pub const LEASE: Duration = Duration::from_secs(60);
/// Messages taken per round.
const BATCH: i64 = 20;

/// Queues `mail` for the event named `event_key` (unique per event and recipient), in
/// the caller's transaction. Returns false when that event already queued it.
pub fn enqueue(c: &mut AnyConnection, event_key: &str, mail: &Mail) -> Result<bool, AppError> {
    let at = now();
    let message_id = mail.message_id.clone().unwrap_or_else(|| {
        let local: String = event_key
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '.' })
            .collect();
        format!("<{local}@parley>")
    });
    let values = (
        mail_outbox::event_key.eq(event_key),
        mail_outbox::to_name.eq(mail.to.name.clone().unwrap_or_default()),
        mail_outbox::to_address.eq(mail.to.email.to_string()),
        mail_outbox::subject.eq(&mail.subject),
        mail_outbox::text_body.eq(&mail.text),
        mail_outbox::html_body.eq(&mail.html),
        mail_outbox::message_id.eq(&message_id),
        mail_outbox::in_reply_to.eq(&mail.in_reply_to),
        mail_outbox::list_unsubscribe.eq(&mail.list_unsubscribe),
        mail_outbox::auto_submitted.eq(mail.auto_submitted.header()),
        mail_outbox::status.eq("pending"),
        mail_outbox::next_attempt_at.eq(at),
        mail_outbox::created_at.eq(at),
    );
    let inserted = crate::with_backend!(c, |c| diesel::insert_into(mail_outbox::table)
        .values(values)
        .on_conflict(mail_outbox::event_key)
        .do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// One queued message as the sender reads it.
#[derive(Debug, Clone, Queryable)]
struct Row {
    id: i64,
    to_name: String,
    to_address: String,
    subject: String,
    text_body: String,
    html_body: String,
    message_id: String,
    in_reply_to: Option<String>,
    list_unsubscribe: Option<String>,
    attempts: i32,
    auto_submitted: String,
}

fn lease_from(at: NaiveDateTime) -> NaiveDateTime {
    at + chrono::Duration::from_std(LEASE).unwrap_or_default()
}

/// Messages due at `at`, at most `limit`: the pending ones, longest due first, and
/// those claimed by a lease that ran out (a sender stopped mid-way; a node takes its
/// own back when it starts again), after the pending ones when there is room, or
/// before them when `abandoned_first` (see [`claim`]). Each of the two statements walks
/// the index on the status and stops at the limit; as one statement with an `OR`,
/// ordered by id, it read every due message to sort them, so a backlog made each look
/// slower.
fn due_ids(
    c: &mut AnyConnection,
    at: NaiveDateTime,
    only: Option<i64>,
    limit: i64,
    abandoned_first: bool,
) -> Result<Vec<i64>, AppError> {
    if let Some(id) = only {
        return Ok(mail_outbox::table
            .filter(mail_outbox::id.eq(id))
            .filter(due_at(at))
            .select(mail_outbox::id)
            .load(c)?);
    }
    let looks: [Look; 2] = if abandoned_first {
        [abandoned_ids, pending_ids]
    } else {
        [pending_ids, abandoned_ids]
    };
    let mut ids = looks[0](c, at, limit)?;
    let room = limit - i64::try_from(ids.len()).unwrap_or(limit);
    if room > 0 {
        ids.extend(looks[1](c, at, room)?);
    }
    Ok(ids)
}

/// One of [`due_ids`]'s two statements: at most `n` ids.
type Look = fn(&mut AnyConnection, NaiveDateTime, i64) -> Result<Vec<i64>, AppError>;

/// Pending messages due at `at`, longest due first.
fn pending_ids(c: &mut AnyConnection, at: NaiveDateTime, n: i64) -> Result<Vec<i64>, AppError> {
    Ok(mail_outbox::table
        .filter(pending_at(at))
        .order((mail_outbox::next_attempt_at.asc(), mail_outbox::id.asc()))
        .select(mail_outbox::id)
        .limit(n)
        .load(c)?)
}

/// Messages whose lease ran out by `at`, oldest first.
fn abandoned_ids(c: &mut AnyConnection, at: NaiveDateTime, n: i64) -> Result<Vec<i64>, AppError> {
    Ok(mail_outbox::table
        .filter(abandoned_at(at))
        .order(mail_outbox::id.asc())
        .select(mail_outbox::id)
        .limit(n)
        .load(c)?)
}

/// Whether this claim takes expired leases before pending mail: at most once every
/// third of a lease per process, so that under a backlog that never leaves room, what
/// a dead node had claimed still goes within about a lease, while the statement that
/// finds it (which walks every row that was ever being sent and not yet vacuumed)
/// runs rarely.
fn abandoned_turn() -> bool {
    static LAST: std::sync::Mutex<Option<std::time::Instant>> = std::sync::Mutex::new(None);
    let Ok(mut last) = LAST.lock() else {
        return false;
    };
    let now = std::time::Instant::now();
    if last.is_some_and(|t| now.duration_since(t) < LEASE / 3) {
        return false;
    }
    *last = Some(now);
    true
}

/// Pending and due.
type Pending = diesel::dsl::And<
    diesel::dsl::Eq<mail_outbox::status, &'static str>,
    diesel::dsl::LtEq<mail_outbox::next_attempt_at, NaiveDateTime>,
>;
/// Claimed by a lease that ran out.
type Abandoned = diesel::dsl::And<
    diesel::dsl::Eq<mail_outbox::status, &'static str>,
    diesel::dsl::Lt<mail_outbox::lease_until, NaiveDateTime>,
>;

fn pending_at(at: NaiveDateTime) -> Pending {
    mail_outbox::status
        .eq("pending")
        .and(mail_outbox::next_attempt_at.le(at))
}

fn abandoned_at(at: NaiveDateTime) -> Abandoned {
    mail_outbox::status
        .eq("sending")
        .and(mail_outbox::lease_until.lt(at))
}

/// What "due at `at`" means, for the look and for the claim.
fn due_at(at: NaiveDateTime) -> diesel::dsl::Or<Pending, Abandoned> {
    pending_at(at).or(abandoned_at(at))
}

/// Claims up to [`BATCH`] messages that are due (or whose sender's lease ran out), or
/// only the message `only`, in the name `token`.
fn claim(
    c: &mut AnyConnection,
    at: NaiveDateTime,
    only: Option<i64>,
    token: &str,
) -> Result<Vec<Row>, AppError> {
    let due = due_at(at);
    let ids = due_ids(c, at, only, BATCH, only.is_none() && abandoned_turn())?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(
        mail_outbox::table
            .filter(mail_outbox::id.eq_any(&ids))
            .filter(due),
    )
    .set((
        mail_outbox::status.eq("sending"),
        mail_outbox::lease_until.eq(lease_from(at)),
        mail_outbox::claimed_by.eq(token),
    ))
    .execute(c)?;
    Ok(mail_outbox::table
        .filter(mail_outbox::id.eq_any(&ids))
        .filter(mail_outbox::status.eq("sending"))
        .filter(mail_outbox::claimed_by.eq(token))
        .select((
            mail_outbox::id,
            mail_outbox::to_name,
            mail_outbox::to_address,
            mail_outbox::subject,
            mail_outbox::text_body,
            mail_outbox::html_body,
            mail_outbox::message_id,
            mail_outbox::in_reply_to,
            mail_outbox::list_unsubscribe,
            mail_outbox::attempts,
            mail_outbox::auto_submitted,
        ))
        .load(c)?)
}

/// How long to wait after the `attempts`-th failure.
pub fn backoff(attempts: i32) -> chrono::Duration {
    let seconds = 30i64.saturating_mul(1i64 << attempts.clamp(0, 20)).min(6 * 3600);
    chrono::Duration::seconds(seconds)
}

/// What a round of delivery did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub failed: usize,
}

/// Delivers what is due: claims, sends, records each outcome. Called by the background
/// task; tests call it to deliver at once.
/// `claims` names who claims (see [`crate::node::Node::claims`]).
pub async fn deliver_due(db: &Db, mailer: &Mailer, claims: &str) -> Result<Round, AppError> {
    deliver(db, mailer, claims, None).await
}

/// Takes back what the node `name` claimed before it last stopped (a crash, a `kill
/// -9`), so that it goes out now rather than when the lease runs out; what this run
/// (`claims`) has claimed meanwhile is left alone. Returns how many.
pub async fn release_own(db: &Db, name: &str, claims: &str) -> Result<usize, AppError> {
    let (node, run) = (format!("{name}/%"), format!("{claims}/%"));
    db.write(move |c| {
        Ok(diesel::update(
            mail_outbox::table
                .filter(mail_outbox::status.eq("sending"))
                .filter(mail_outbox::claimed_by.like(&node))
                .filter(mail_outbox::claimed_by.not_like(&run)),
        )
        .set((
            mail_outbox::status.eq("pending"),
            mail_outbox::lease_until.eq(None::<NaiveDateTime>),
            mail_outbox::claimed_by.eq(None::<String>),
        ))
        .execute(c)?)
    })
    .await
}

/// Keeps the lease of the messages claimed as `token` for as long as it runs.
async fn renew(db: &Db, token: &str) {
    loop {
        tokio::time::sleep(LEASE / 3).await;
        let token = token.to_string();
        let renewed = db
            .write(move |c| {
                Ok(diesel::update(
                    mail_outbox::table
                        .filter(mail_outbox::status.eq("sending"))
                        .filter(mail_outbox::claimed_by.eq(&token)),
                )
                .set(mail_outbox::lease_until.eq(lease_from(now())))
                .execute(c)?)
            })
            .await;
        if let Err(e) = renewed {
            tracing::warn!(error = ?e, "renewing the lease of mail being sent");
        }
    }
}

/// Queues `mail` in a transaction of its own and, when this node sends mail, delivers
/// it at once: account mail that a person waits for (a confirmation or reset link).
/// Queued first, it is never lost: should the attempt fail, it is retried like any
/// other message.
/// Queues mail a person waits for (a confirmation or reset link) and, when this node
/// sends mail, sends it at once: what the account and subscription flows hold instead
/// of the whole application state.
#[derive(Clone, Debug)]
pub struct Postman {
    pub db: Db,
    pub mailer: Mailer,
    /// This run's claims (see `node`), when this node sends mail.
    pub claims: Option<String>,
}

impl Postman {
    /// See [`queue_now`].
    pub async fn send_now(&self, event_key: String, mail: Mail) -> Result<(), AppError> {
        queue_now(&self.db, &self.mailer, self.claims.as_deref(), event_key, mail).await
    }
}

pub async fn queue_now(
    db: &Db,
    mailer: &Mailer,
    claims: Option<&str>,
    event_key: String,
    mail: Mail,
) -> Result<(), AppError> {
    let id: i64 = db
        .write(move |c| {
            enqueue(c, &event_key, &mail)?;
            Ok(mail_outbox::table
                .filter(mail_outbox::event_key.eq(&event_key))
                .select(mail_outbox::id)
                .first(c)?)
        })
        .await?;
    if let Some(claims) = claims {
        deliver(db, mailer, claims, Some(id)).await?;
    }
    Ok(())
}

async fn deliver(db: &Db, mailer: &Mailer, claims: &str, only: Option<i64>) -> Result<Round, AppError> {
    let token = format!("{claims}/{:016x}", rand::random::<u64>());
    let claimed_as = token.clone();
    // A look first, on a read connection: a round with nothing due writes nothing, so it
    // neither waits for SQLite's one writer nor tells every other node that something
    // changed (see `db::watch`).
    let at = now();
    if db
        .read_quick(move |c| due_ids(c, at, only, 1, false))
        .await?
        .is_empty()
    {
        return Ok(Round::default());
    }
    let rows = db.write(move |c| claim(c, now(), only, &claimed_as)).await?;
    if rows.is_empty() {
        return Ok(Round::default());
    }
    tokio::select! {
        round = send_claimed(db, mailer, rows, &token) => round,
        () = renew(db, &token) => unreachable!("renewing runs until the sending ends"),
    }
}

/// Sends what was claimed as `token` and records each outcome, unless another sender
/// took the message since (the lease ran out while the renewal could not reach the
/// database): its outcome is that sender's to record.
///
/// Each delivery is recorded before the next message goes: a node that dies after a
/// server accepted a message and before its record sends at most that one again, with
/// its Message-ID.
async fn send_claimed(db: &Db, mailer: &Mailer, rows: Vec<Row>, token: &str) -> Result<Round, AppError> {
    let mut round = Round::default();
    for row in rows {
        let outcome = match crate::mail::mailbox(&row.to_name, &row.to_address) {
            Ok(to) => {
                let mail = Mail {
                    to,
                    subject: row.subject.clone(),
                    text: row.text_body.clone(),
                    html: row.html_body.clone(),
                    message_id: Some(row.message_id.clone()),
                    in_reply_to: row.in_reply_to.clone(),
                    list_unsubscribe: row.list_unsubscribe.clone(),
                    auto_submitted: crate::mail::AutoSubmitted::from_header(&row.auto_submitted),
                };
                mailer.send(mail).await
            }
            Err(e) => Err(e),
        };
        let id = row.id;
        match outcome {
            Ok(()) => {
                round.sent += 1;
                record_delivered(db, id, token).await?;
            }
            Err(e) => {
                round.failed += 1;
                let attempts = row.attempts + 1;
                let error = format!("{e:#}");
                tracing::warn!(message = id, attempts, error = %error, "mail delivery failed");
                let token = token.to_string();
                db.write(move |c| {
                    let status = if attempts >= MAX_ATTEMPTS {
                        "failed"
                    } else {
                        "pending"
                    };
                    diesel::update(
                        mail_outbox::table
                            .find(id)
                            .filter(mail_outbox::claimed_by.eq(&token)),
                    )
                    .set((
                        mail_outbox::status.eq(status),
                        mail_outbox::attempts.eq(attempts),
                        mail_outbox::next_attempt_at.eq(now() + backoff(attempts - 1)),
                        mail_outbox::lease_until.eq(None::<NaiveDateTime>),
                        mail_outbox::last_error.eq(error.chars().take(2000).collect::<String>()),
                    ))
                    .execute(c)?;
                    Ok(())
                })
                .await?;
            }
        }
    }
    Ok(round)
}

/// Marks the message `id`, claimed as `token`, as sent. A failure is tried once more, on a
/// connection checked first (see `db::pool`): a record lost sends the message again.
async fn record_delivered(db: &Db, id: i64, token: &str) -> Result<(), AppError> {
    let record = |token: String| {
        db.write(move |c| {
            diesel::update(
                mail_outbox::table
                    .find(id)
                    .filter(mail_outbox::claimed_by.eq(&token)),
            )
            .set((
                mail_outbox::status.eq("sent"),
                mail_outbox::sent_at.eq(now()),
                mail_outbox::attempts.eq(mail_outbox::attempts + 1),
                mail_outbox::lease_until.eq(None::<NaiveDateTime>),
            ))
            .execute(c)?;
            Ok(())
        })
    };
    match record(token.to_string()).await {
        Ok(()) => Ok(()),
        Err(e) => {
            tracing::warn!(error = ?e, message = id, "recording delivered mail; trying again");
            record(token.to_string()).await
        }
    }
}

/// How often the sender looks for due messages.
const POLL: Duration = Duration::from_secs(2);

/// Starts the sender on the current runtime, claiming as `claims` (this run of the
/// node `name`), after taking back what the node had claimed before it last stopped.
pub fn start(db: Db, mailer: Mailer, name: String, claims: String) {
    actix_web::rt::spawn(async move {
        match release_own(&db, &name, &claims).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(messages = n, "mail claimed before a restart goes out now"),
            Err(e) => tracing::warn!(error = ?e, "taking back mail claimed before a restart"),
        }
        loop {
            match deliver_due(&db, &mailer, &claims).await {
                // A full batch: there may be more right away.
                Ok(round) if round.sent + round.failed >= BATCH as usize => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = ?e, "mail outbox"),
            }
            tokio::time::sleep(POLL).await;
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_up_to_six_hours() {
        assert_eq!(super::backoff(0).num_seconds(), 30);
        assert_eq!(super::backoff(1).num_seconds(), 60);
        assert_eq!(super::backoff(3).num_seconds(), 240);
        assert_eq!(super::backoff(30).num_seconds(), 6 * 3600);
    }
}
