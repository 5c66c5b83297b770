//! Notifications by mail: one message at once (queued in the event's transaction), or
//! a daily digest of what was not mailed yet; every message carries a one-click
//! unsubscribe link (`List-Unsubscribe` with `List-Unsubscribe-Post`, RFC 8058) that
//! turns notification mail off without signing in.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{notifications, users};
use crate::db::{AnyConnection, Db, now};
use crate::error::AppError;
use crate::keys::{Keys, Purpose};
use crate::mail::MailContext;
use crate::mail::{Mail, mailbox};

/// How long an unsubscribe link works.
const UNSUBSCRIBE_TTL: Duration = Duration::from_secs(365 * 24 * 3600);
/// How long a digest waits after the last one.
const DIGEST_EVERY: chrono::Duration = chrono::Duration::hours(24);
/// Most notifications listed in one digest (the rest are counted).
const DIGEST_MAX: i64 = 50;

/// One notification as a mail or a digest line shows it.
#[derive(Debug, Clone, Serialize, Queryable)]
pub struct Line {
    #[serde(skip)]
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub detail: Option<String>,
    pub actor: Option<String>,
    #[serde(skip)]
    pub topic_id: i64,
    #[serde(skip)]
    pub post_id: Option<i64>,
    #[serde(skip)]
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
}

#[derive(Serialize)]
struct LineView<'a> {
    #[serde(flatten)]
    line: &'a Line,
    link: String,
}

#[derive(Serialize)]
struct OneView<'a> {
    name: &'a str,
    #[serde(flatten)]
    line: LineView<'a>,
    excerpt: Option<String>,
    settings: String,
    unsubscribe: String,
}

#[derive(Serialize)]
struct DigestView<'a> {
    name: &'a str,
    lines: Vec<LineView<'a>>,
    more: i64,
    settings: String,
    unsubscribe: String,
}

/// The signed links that turn a person's notification mail off: the page a person
/// opens from the mail's text, and the address mail programs post to for one click.
pub fn unsubscribe_links(m: &MailContext, user_id: i64) -> Result<(String, String), AppError> {
    let token = m.keys.sign(&Keys::claims(
        Purpose::Unsubscribe,
        user_id,
        0,
        None,
        UNSUBSCRIBE_TTL,
    ))?;
    Ok((
        m.url(&format!("/unsubscribe?token={token}")),
        m.url(&format!("/api/v1/unsubscribe?token={token}")),
    ))
}

/// Opening it marks the notification read and goes to the post.
fn line_link(m: &MailContext, line: &Line) -> String {
    m.url(&format!("/notifications/{}/open", line.id))
}

fn load_lines(c: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Line>, AppError> {
    Ok(notifications::table
        .left_join(users::table.on(users::id.nullable().eq(notifications::actor_id)))
        .filter(notifications::id.eq_any(ids))
        .order(notifications::id.asc())
        .select((
            notifications::id,
            notifications::kind,
            notifications::title,
            notifications::detail,
            users::display_name.nullable(),
            notifications::topic_id,
            notifications::post_id,
            notifications::created_at,
        ))
        .load(c)?)
}

fn recipient(c: &mut AnyConnection, user_id: i64) -> Result<(String, String), AppError> {
    Ok(users::table
        .find(user_id)
        .select((users::display_name, users::email))
        .first(c)?)
}

/// Someone a notification is for: id, name, address, mail choice, verified.
pub type Person = (i64, String, String, String, bool);

/// The columns a [`Person`] is read from.
pub fn person_columns() -> (
    users::id,
    users::display_name,
    users::email,
    users::notify_email,
    diesel::dsl::IsNotNull<users::email_verified_at>,
) {
    (
        users::id,
        users::display_name,
        users::email,
        users::notify_email,
        users::email_verified_at.is_not_null(),
    )
}

/// Queues the mail of one notification, in the caller's transaction, from what the
/// event already read.
pub fn queue_one(
    c: &mut AnyConnection,
    m: &MailContext,
    person: &Person,
    line: &Line,
    excerpt: Option<&str>,
) -> Result<(), AppError> {
    let (user_id, name, email) = (person.0, &person.1, &person.2);
    let Ok(to) = mailbox(name, email) else {
        return Ok(());
    };
    let (unsubscribe, one_click) = unsubscribe_links(m, user_id)?;
    let view = OneView {
        name,
        line: LineView {
            link: line_link(m, line),
            line,
        },
        excerpt: excerpt.map(str::to_string),
        settings: m.url("/notifications/settings"),
        unsubscribe,
    };
    let mut mail =
        Mail::from_templates(&m.templates, "notification", to, &view).map_err(AppError::Internal)?;
    mail.list_unsubscribe = Some(one_click);
    crate::outbox::enqueue(c, &format!("notify:{}", line.id), &mail)?;
    Ok(())
}

/// Sends the digests that are due: to each person who chose the daily digest, whose
/// last one is a day old or more, and who has notifications not yet mailed. Each
/// digest is queued with the notifications it settles, in one transaction per person,
/// so a restart neither loses nor repeats one. Returns how many were queued.
pub async fn send_due_digests(db: &Db, m: &MailContext) -> Result<usize, AppError> {
    let m = m.clone();
    db.write(move |c| {
        if !crate::db::locks::take_job(c, crate::db::locks::Job::Digests)? {
            return Ok(0);
        }
        let cutoff = now() - DIGEST_EVERY;
        let due: Vec<i64> = users::table
            .filter(users::notify_email.eq("digest"))
            .filter(users::email_verified_at.is_not_null())
            .filter(
                users::digest_sent_at
                    .is_null()
                    .or(users::digest_sent_at.le(cutoff)),
            )
            .filter(diesel::dsl::exists(
                notifications::table
                    .filter(notifications::user_id.eq(users::id))
                    .filter(notifications::mailed.eq(false)),
            ))
            .select(users::id)
            .load(c)?;
        for user_id in &due {
            queue_digest(c, &m, *user_id)?;
        }
        Ok(due.len())
    })
    .await
}

fn queue_digest(c: &mut AnyConnection, m: &MailContext, user_id: i64) -> Result<(), AppError> {
    let ids: Vec<i64> = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::mailed.eq(false))
        .order(notifications::id.asc())
        .select(notifications::id)
        .load(c)?;
    let Some(last) = ids.last().copied() else {
        return Ok(());
    };
    let shown: Vec<i64> = ids
        .iter()
        .rev()
        .take(DIGEST_MAX as usize)
        .rev()
        .copied()
        .collect();
    let lines = load_lines(c, &shown)?;
    let (name, email) = recipient(c, user_id)?;
    super::service::settle(c, &ids)?;
    diesel::update(users::table.find(user_id))
        .set(users::digest_sent_at.eq(Some(now())))
        .execute(c)?;
    let Ok(to) = mailbox(&name, &email) else {
        return Ok(());
    };
    let (unsubscribe, one_click) = unsubscribe_links(m, user_id)?;
    let view = DigestView {
        name: &name,
        lines: lines
            .iter()
            .map(|l| LineView {
                link: line_link(m, l),
                line: l,
            })
            .collect(),
        more: ids.len() as i64 - shown.len() as i64,
        settings: m.url("/notifications/settings"),
        unsubscribe,
    };
    let mut mail = Mail::from_templates(&m.templates, "digest", to, &view).map_err(AppError::Internal)?;
    mail.list_unsubscribe = Some(one_click);
    // The last notification it settles names the digest: the same digest is never
    // queued twice.
    crate::outbox::enqueue(c, &format!("digest:{user_id}:{last}"), &mail)?;
    Ok(())
}

/// Starts the digest task: looks for due digests every ten minutes.
pub fn start(db: Db, m: MailContext) {
    actix_web::rt::spawn(async move {
        loop {
            if let Err(e) = send_due_digests(&db, &m).await {
                tracing::warn!(error = ?e, "notification digests");
            }
            tokio::time::sleep(Duration::from_secs(600)).await;
        }
    });
}
