//! Tickets by mail: a message sent to the support address becomes a ticket from a known
//! sender, or a public note on the ticket it answers; anything else is kept with the
//! reason it was refused. Reached by `parley mail ingest` (an MTA pipes each message to
//! it) and by `POST /api/v1/inbound-mail` (a mail service's webhook).
//!
//! - `text.rs`: what a person wrote, read out of a message (headers, parts, quotes,
//!   signatures), and its files;
//! - `claims.rs`: each message claimed under its key before it is taken in, so a retry
//!   or a second reader makes nothing twice;
//! - `replies.rs`: the refusal reply and the request to confirm an unverified sender;
//! - `kept.rs`: the record of every message, refused mail kept for admins, and a ticket
//!   made from it.

mod claims;
mod kept;
mod replies;
mod text;

use claims::*;
pub use kept::*;
use replies::*;
pub use text::*;

use super::tickets::{self, TicketInput};
use crate::config::Settings;
use crate::db::Db;
use crate::db::schema::{tickets as tickets_table, users};
use crate::error::AppError;
use crate::files::FileStore;
use crate::mail::MailContext;
use diesel::prelude::*;
use mail_parser::{Message, MessageParser};
use serde::Serialize;

/// Whether a call to the mail webhook carries the configured secret (`sent`, the bearer
/// token). Without a configured secret the webhook is closed.
pub fn check_webhook_secret(settings: &Settings, sent: Option<&str>) -> Result<(), AppError> {
    let Some(secret) = &settings.inbound_mail_token else {
        return Err(AppError::forbidden(
            "Inbound mail is not set up: set PARLEY_INBOUND_MAIL_TOKEN and send it as a bearer token.",
        ));
    };
    if !crate::keys::same_secret(sent.unwrap_or_default().trim(), secret.expose()) {
        return Err(AppError::Unauthorized(
            "Send the inbound-mail secret as 'Authorization: Bearer <secret>'.".into(),
        ));
    }
    Ok(())
}

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

/// Takes in one raw message. A message is refused with a reason (and kept) rather than
/// turned into an error; only a failure of Parley itself is an error, so that the MTA
/// tries again.
pub async fn ingest(
    db: &Db,
    mailing: &MailContext,
    settings: &Settings,
    files: &FileStore,
    raw: &[u8],
) -> Result<Outcome, AppError> {
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
        let head = Head {
            message_id: None,
            from: "",
            subject: "",
            raw: None,
            size: raw.len(),
            sender_check: None,
        };
        return record(db, files, head, refused(why.into())).await;
    };
    let (from, subject) = headline(&m);
    // What makes a message the same one again (an MTA retrying, a mailbox read again
    // after a stop): its Message-ID, or its bytes when it has none.
    let own_id = m.message_id().map(clean);
    let key = identity(own_id.as_deref(), raw);
    // Claimed before anything is done: a retry, or a second reader at the same moment,
    // finds the claim (the unique index decides) and makes nothing twice.
    match claim(db, &key, &from, &subject, raw.len()).await? {
        Claimed::Ours => {}
        Claimed::Seen(ticket_id) => {
            return Ok(Outcome {
                outcome: "duplicate".into(),
                ticket_id,
                reason: Some("this message was taken in before".into()),
            });
        }
    }
    let message_id = Some(key.clone());
    let head = |sender_check| Head {
        message_id: message_id.clone(),
        from: &from,
        subject: &subject,
        raw: Some(raw),
        size: raw.len(),
        sender_check,
    };
    if let Some(why) = machine_made(&m) {
        // Not kept whole: bounces, lists and auto-replies are never anyone's ticket.
        let outcome = refused(format!("Not taken in: {why}."));
        let head = Head {
            raw: None,
            ..head(None)
        };
        return record(db, files, head, outcome).await;
    }
    let check = sender_check(settings, &m, &from);
    let outcome = match decide(db, mailing, settings, files, &m, &from, &subject, &check).await {
        Ok(o) => o,
        Err(e @ (AppError::Internal(_) | AppError::Unavailable(_))) => {
            // Parley itself failed: the claim is given back, so that the retry takes it.
            unclaim(db, key).await;
            return Err(e);
        }
        Err(e @ AppError::Invalid { .. }) => refused(e.in_one_line()),
        Err(other) => refused(other.to_string()),
    };
    // A sender the trusted server found forged is not answered: the reply would go to
    // the person whose address was forged.
    let forged = matches!(check, super::mail_auth::Verdict::Fail(_));
    if outcome.outcome == "refused" && !forged {
        let reason = outcome.reason.clone().unwrap_or_default();
        // The subject is repeated only to a sender the trusted server verified: to
        // anyone else it could carry a spammer's words to a forged address.
        let subject = if check.passed() { subject.as_str() } else { "" };
        answer_refused(db, mailing, settings, &from, subject, own_id.as_deref(), &reason).await?;
    }
    record(db, files, head(Some(check.label())), outcome).await
}

/// What the trusted receiving server said of the sender (see [`super::mail_auth`]).
fn sender_check(settings: &Settings, m: &Message, from: &str) -> super::mail_auth::Verdict {
    let domain = from.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    let raw = m.raw_message();
    let values: Vec<String> = m
        .headers()
        .iter()
        .filter(|h| h.name.as_str().eq_ignore_ascii_case("Authentication-Results"))
        .filter_map(|h| raw.get(h.offset_start as usize..h.offset_end as usize))
        .map(|v| {
            String::from_utf8_lossy(v)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    super::mail_auth::verdict(&values, &settings.mail_trusted_authserv_ids, domain)
}

#[expect(
    clippy::too_many_arguments,
    reason = "the message's sender, subject and verdict are read once by the caller, beside what reading mail needs"
)]
async fn decide(
    db: &Db,
    mailing: &MailContext,
    settings: &Settings,
    files: &FileStore,
    m: &Message<'_>,
    from: &str,
    subject: &str,
    check: &super::mail_auth::Verdict,
) -> Result<Outcome, AppError> {
    let verified = check.passed();
    let address = from.to_string();
    let user_id: Option<i64> = db
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
    let user = crate::accounts::service::load_auth_user(db, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let body = written_text(m);
    let (body, dropped) = crate::web::characters::without_refused(&body);
    let text = new_text(&body);
    let (files, skipped) = attachments(settings, files, m).await?;
    let mut notes = Vec::new();
    if !skipped.is_empty() {
        notes.push(format!("Attachments left out: {}.", skipped.join("; ")));
    }
    if dropped > 0 {
        notes.push(format!("{dropped} control character(s) removed from the text."));
    }
    let reason = (!notes.is_empty()).then(|| notes.join(" "));
    if let Some(ticket_id) = answered_ticket(m, subject) {
        let exists = db
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
            // A note speaks for its sender on the ticket and goes out to the customer:
            // one from a forged address, or from a staff address not verified, is refused.
            if matches!(check, super::mail_auth::Verdict::Fail(_)) {
                return Err(AppError::BadRequest(
                    "Not taken in: the receiving server found the sender's address forged.".into(),
                ));
            }
            if !verified && user.is_staff() {
                return Err(AppError::BadRequest(
                    "Not taken in: a reply from a staff address must be verified by the receiving server; write the note on the ticket's page.".into(),
                ));
            }
            if text.trim().is_empty() && files.is_empty() {
                return Err(AppError::BadRequest(
                    "Not taken in: the reply has no text of its own and no files.".into(),
                ));
            }
            let note = super::workflow::NoteInput {
                body: if text.trim().is_empty() {
                    "(sent files by mail)".into()
                } else {
                    text
                },
                public: true,
                internal: false,
            };
            super::workflow::add_note(db, mailing, &user, ticket_id, note).await?;
            if !files.is_empty() {
                super::attachments::attach(db, &user, ticket_id, files).await?;
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
        // A subject longer than a ticket's is cut, not refused.
        subject: if subject.is_empty() {
            "(no subject)".into()
        } else {
            subject.chars().take(200).collect()
        },
        description: text,
        ..TicketInput::default()
    };
    let filed = tickets::create_by_mail(db, mailing, &user, input, files, verified).await?;
    if !verified {
        ask_to_confirm(db, mailing, &user, filed.id, subject).await?;
    }
    let reason = match (reason, verified) {
        (r, true) => r,
        (None, false) => Some(NOT_VERIFIED.into()),
        (Some(r), false) => Some(format!("{NOT_VERIFIED} {r}")),
    };
    Ok(Outcome {
        outcome: "ticket".into(),
        ticket_id: Some(filed.id),
        reason,
    })
}
