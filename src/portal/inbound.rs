//! Tickets by mail: a message sent to the support address becomes a ticket from a known
//! sender, or a public note on the ticket it answers; anything else is kept with the
//! reason it was refused. Reached by `parley mail ingest` (an MTA pipes each message to
//! it) and by `POST /api/v1/inbound-mail` (a mail service's webhook).

use std::borrow::Cow;

use diesel::prelude::*;
use mail_parser::{Message, MessageParser, MimeHeaders};
use serde::Serialize;

use super::tickets::{self, TicketInput};
use crate::app::AppState;
use crate::db::now;
use crate::db::schema::{inbound_mail, tickets as tickets_table, users};
use crate::error::AppError;
use crate::files::{Upload, attachable, clean_filename};

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Outcome {
    /// ticket (a new one), note (on an existing one), refused, or duplicate (this
    /// Message-ID was taken in before).
    pub outcome: String,
    pub ticket_id: Option<i64>,
    /// Why it was refused, or what was left out (attachments of refused types).
    pub reason: Option<String>,
}

/// Largest message taken in.
pub const MAX_MESSAGE: usize = 25 * 1024 * 1024;

fn header_text<'a>(m: &'a Message<'a>, name: &'static str) -> Option<&'a str> {
    m.header_raw(name).map(str::trim)
}

/// Why a message is machine-made and must not become a ticket, if it is.
fn machine_made(m: &Message) -> Option<&'static str> {
    if let Some(v) = header_text(m, "Auto-Submitted")
        && !v.eq_ignore_ascii_case("no")
    {
        return Some("an automatic reply (Auto-Submitted)");
    }
    if header_text(m, "X-Autoreply").is_some() || header_text(m, "X-Autorespond").is_some() {
        return Some("an automatic reply");
    }
    if let Some(p) = header_text(m, "Precedence")
        && ["bulk", "junk", "list", "auto_reply"].contains(&p.to_ascii_lowercase().as_str())
    {
        return Some("bulk or list mail (Precedence)");
    }
    if m.is_content_type("multipart", "report") {
        return Some("a delivery report (bounce)");
    }
    let from = m
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if from.starts_with("mailer-daemon@") || from.starts_with("postmaster@") {
        return Some("a delivery report (bounce)");
    }
    None
}

/// The new text of a reply: quoted lines, the quoted original under an "On ... wrote:"
/// line or an Outlook header block, and the signature are cut.
pub fn new_text(body: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let lines: Vec<&str> = body.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        if t == "--" || line.trim_end() == "-- " || t.starts_with("-----Original Message-----") {
            break;
        }
        // "On Mon, 2 Nov 2026 at 10:00, Ann <ann@acme.test> wrote:", possibly over two lines.
        let joined = match lines.get(i + 1) {
            Some(next) => format!("{t} {}", next.trim()),
            None => t.to_string(),
        };
        if t.starts_with("On ") && (t.ends_with("wrote:") || (joined.ends_with("wrote:") && !t.is_empty())) {
            break;
        }
        // Outlook: "From: ..." followed by "Sent:" or "Date:" starts the quoted original.
        if t.starts_with("From:")
            && lines
                .get(i + 1)
                .is_some_and(|n| n.trim_start().starts_with("Sent:") || n.trim_start().starts_with("Date:"))
        {
            break;
        }
        if t.starts_with('>') {
            continue;
        }
        kept.push(line.trim_end());
    }
    while kept.last().is_some_and(|l| l.trim().is_empty()) {
        kept.pop();
    }
    while kept.first().is_some_and(|l| l.trim().is_empty()) {
        kept.remove(0);
    }
    kept.join("\n")
}

/// The ticket a message answers: `[#N]` in the subject, or a Parley thread id
/// (`<ticket-N...@host>`) in In-Reply-To or References.
fn answered_ticket(m: &Message, subject: &str) -> Option<i64> {
    let in_subject = subject.find("[#").and_then(|at| {
        let digits: String = subject[at + 2..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        subject[at + 2 + digits.len()..]
            .starts_with(']')
            .then(|| digits.parse().ok())
            .flatten()
    });
    in_subject.or_else(|| {
        [header_text(m, "In-Reply-To"), header_text(m, "References")]
            .into_iter()
            .flatten()
            .flat_map(|v| v.split_whitespace())
            .find_map(|id| {
                let rest = id.trim_start_matches('<').strip_prefix("ticket-")?;
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                digits.parse().ok()
            })
    })
}

/// Takes in one raw message. A message is refused with a reason (and kept) rather than
/// turned into an error; only a failure of Parley itself is an error, so that the MTA
/// tries again.
pub async fn ingest(state: &AppState, raw: &[u8]) -> Result<Outcome, AppError> {
    let refused = |reason: String| Outcome {
        outcome: "refused".into(),
        ticket_id: None,
        reason: Some(reason),
    };
    let parsed = (raw.len() <= MAX_MESSAGE)
        .then(|| MessageParser::default().parse(raw))
        .flatten()
        .filter(|m| m.from().is_some() || m.subject().is_some());
    let Some(m) = parsed else {
        let why = if raw.len() > MAX_MESSAGE {
            "larger than 25 MiB"
        } else {
            "not a mail message"
        };
        return record(state, None, "", "", refused(why.into()), raw.len()).await;
    };
    // A control character in a header cannot be stored (NUL on PostgreSQL): it is
    // dropped, so that no message is refused, or retried forever, for its content.
    let clean = |text: &str| crate::web::characters::without_refused(text).0;
    let from = clean(
        m.from()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default(),
    )
    .trim()
    .to_lowercase();
    let subject: String = clean(m.subject().unwrap_or_default())
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let message_id = m.message_id().map(clean);
    if let Some(id) = &message_id {
        let id = id.clone();
        let seen: Option<Option<i64>> = state
            .db
            .read(move |c| {
                Ok(inbound_mail::table
                    .filter(inbound_mail::message_id.eq(id))
                    .select(inbound_mail::ticket_id)
                    .load(c)?
                    .pop())
            })
            .await?;
        if let Some(ticket_id) = seen {
            return Ok(Outcome {
                outcome: "duplicate".into(),
                ticket_id,
                reason: Some("this message was taken in before".into()),
            });
        }
    }
    let outcome = match decide(state, &m, &from, &subject).await {
        Ok(o) => o,
        Err(AppError::Internal(e)) => return Err(AppError::Internal(e)),
        Err(AppError::Invalid { fields, message }) => {
            let said: Vec<String> = fields.into_values().flatten().collect();
            refused(if said.is_empty() { message } else { said.join(" ") })
        }
        Err(other) => refused(other.to_string()),
    };
    record(state, message_id, &from, &subject, outcome, raw.len()).await
}

async fn decide(state: &AppState, m: &Message<'_>, from: &str, subject: &str) -> Result<Outcome, AppError> {
    if let Some(why) = machine_made(m) {
        return Err(AppError::BadRequest(format!("Not taken in: {why}.")));
    }
    let address = from.to_string();
    let user_id: Option<i64> = state
        .db
        .read(move |c| {
            Ok(users::table
                .filter(users::email.eq(address))
                .select(users::id)
                .load(c)?
                .pop())
        })
        .await?;
    let Some(user_id) = user_id else {
        return Err(AppError::BadRequest(format!(
            "Not taken in: {} is not the address of an account.",
            if from.is_empty() { "the sender" } else { from }
        )));
    };
    let user = crate::accounts::service::load_auth_user(&state.db, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let body: Cow<str> = m.body_text(0).unwrap_or_default();
    let (body, dropped) = crate::web::characters::without_refused(&body);
    let text = new_text(&body.replace("\r\n", "\n"));
    let (files, skipped) = attachments(state, m).await?;
    let mut notes = Vec::new();
    if !skipped.is_empty() {
        notes.push(format!("Attachments left out: {}.", skipped.join("; ")));
    }
    if dropped > 0 {
        notes.push(format!("{dropped} control character(s) removed from the text."));
    }
    let reason = (!notes.is_empty()).then(|| notes.join(" "));
    if let Some(ticket_id) = answered_ticket(m, subject) {
        let exists = state
            .db
            .read(move |c| {
                Ok(tickets_table::table
                    .find(ticket_id)
                    .select(tickets_table::id)
                    .load::<i64>(c)?
                    .pop())
            })
            .await?
            .is_some();
        if exists {
            let note = super::workflow::NoteInput {
                body: if text.trim().is_empty() {
                    "(sent files by mail)".into()
                } else {
                    text
                },
                public: true,
                internal: false,
            };
            super::workflow::add_note(state, &user, ticket_id, note).await?;
            if !files.is_empty() {
                super::attachments::attach(state, &user, ticket_id, files).await?;
            }
            return Ok(Outcome {
                outcome: "note".into(),
                ticket_id: Some(ticket_id),
                reason,
            });
        }
    }
    let input = TicketInput {
        priority: "normal".into(),
        subject: if subject.is_empty() {
            "(no subject)".into()
        } else {
            subject.to_string()
        },
        description: text,
        ..TicketInput::default()
    };
    let filed = tickets::create_from(state, &user, input, files, "email").await?;
    Ok(Outcome {
        outcome: "ticket".into(),
        ticket_id: Some(filed.id),
        reason,
    })
}

/// Stores the message's attachments that may be attached; names the others.
async fn attachments(state: &AppState, m: &Message<'_>) -> Result<(Vec<Upload>, Vec<String>), AppError> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for part in m.attachments() {
        let name = clean_filename(part.attachment_name().unwrap_or("attachment"));
        let bytes = part.contents().to_vec();
        if !attachable(&name) {
            skipped.push(format!("{name} (type not accepted)"));
            continue;
        }
        if files.len() == super::attachments::MAX_FILES {
            skipped.push(format!(
                "{name} (more than {} files)",
                super::attachments::MAX_FILES
            ));
            continue;
        }
        let stream =
            futures_util::stream::iter([Ok::<_, std::io::Error>(actix_web::web::Bytes::from(bytes))]);
        match state.files.store(stream, state.settings.max_upload_bytes).await {
            Ok(stored) => files.push(Upload {
                filename: name,
                stored,
            }),
            Err(AppError::Invalid { message, .. }) => skipped.push(format!("{name} ({message})")),
            Err(e) => return Err(e),
        }
    }
    Ok((files, skipped))
}

async fn record(
    state: &AppState,
    message_id: Option<String>,
    from: &str,
    subject: &str,
    outcome: Outcome,
    size: usize,
) -> Result<Outcome, AppError> {
    let (from, subject, kept) = (from.to_string(), subject.to_string(), outcome.clone());
    state
        .db
        .write(move |c| {
            diesel::insert_into(inbound_mail::table)
                .values((
                    inbound_mail::message_id.eq(message_id),
                    inbound_mail::from_address.eq(from.chars().take(320).collect::<String>()),
                    inbound_mail::subject.eq(subject.chars().take(500).collect::<String>()),
                    inbound_mail::outcome.eq(&kept.outcome),
                    inbound_mail::reason.eq(&kept.reason),
                    inbound_mail::ticket_id.eq(kept.ticket_id),
                    inbound_mail::size.eq(size as i64),
                    inbound_mail::received_at.eq(now()),
                ))
                .execute(c)?;
            Ok(())
        })
        .await?;
    Ok(outcome)
}

/// A message as admins see it in the list of what came in.
#[derive(Debug, Clone, Serialize, Queryable, utoipa::ToSchema)]
pub struct Received {
    pub id: i64,
    pub from_address: String,
    pub subject: String,
    pub outcome: String,
    pub reason: Option<String>,
    pub ticket_id: Option<i64>,
    pub size: i64,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub received_at: chrono::NaiveDateTime,
}

/// The last 200 messages received, newest first (admins).
pub async fn received(state: &AppState, user: &crate::web::AuthUser) -> Result<Vec<Received>, AppError> {
    user.require_admin()?;
    state
        .db
        .read(|c| {
            Ok(inbound_mail::table
                .order(inbound_mail::id.desc())
                .limit(200)
                .select((
                    inbound_mail::id,
                    inbound_mail::from_address,
                    inbound_mail::subject,
                    inbound_mail::outcome,
                    inbound_mail::reason,
                    inbound_mail::ticket_id,
                    inbound_mail::size,
                    inbound_mail::received_at,
                ))
                .load::<Received>(c)?)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::new_text;

    #[test]
    fn quoted_text_and_signatures_are_cut() {
        let reply = "Still broken after the restart.\n\nOn Mon, 2 Nov 2026 at 10:00, Support <help@vendor.test> wrote:\n> Please restart it.\n";
        assert_eq!(new_text(reply), "Still broken after the restart.");
        let outlook = "Works now, thanks!\n\nFrom: Support <help@vendor.test>\nSent: Monday\nSubject: [#4] Export\n\nold text";
        assert_eq!(new_text(outlook), "Works now, thanks!");
        let signed = "Here are the logs.\n-- \nAnn Smith\nAcme Corp";
        assert_eq!(new_text(signed), "Here are the logs.");
        let inline = "> what version?\n4.2.1\n> and the OS?\nDebian 12";
        assert_eq!(new_text(inline), "4.2.1\nDebian 12");
    }
}
