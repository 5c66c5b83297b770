//! Tickets by mail: a message sent to the support address becomes a ticket from a known
//! sender, or a public note on the ticket it answers; anything else is kept with the
//! reason it was refused. Reached by `parley mail ingest` (an MTA pipes each message to
//! it) and by `POST /api/v1/inbound-mail` (a mail service's webhook).

use std::borrow::Cow;

use diesel::prelude::*;
use mail_parser::{HeaderName, Message, MessageParser, MessagePart, MimeHeaders};
use serde::Serialize;

use super::tickets::{self, TicketInput};
use crate::app::AppState;
use crate::db::now;
use crate::db::schema::{inbound_mail, mail_outbox, tickets as tickets_table, users};
use crate::error::AppError;
use crate::files::{Upload, attachable, clean_filename, extension_for};

/// Whether a call to the mail webhook carries the configured secret (`sent`, the bearer
/// token). Without a configured secret the webhook is closed.
pub fn check_webhook_secret(settings: &crate::config::Settings, sent: Option<&str>) -> Result<(), AppError> {
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

fn header_text<'a>(m: &'a Message<'a>, name: &'static str) -> Option<&'a str> {
    m.header_raw(name).map(str::trim)
}

/// `text` without the control characters a database cannot store (a NUL on
/// PostgreSQL): they are dropped, so that no message is refused, or retried forever,
/// for its content.
fn clean(text: &str) -> String {
    crate::web::characters::without_refused(text).0
}

/// A message's sender (lower case) and subject (spaces folded), cleaned.
fn headline(m: &Message) -> (String, String) {
    let from = clean(sender(m)).trim().to_lowercase();
    let subject = clean(m.subject().unwrap_or_default())
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (from, subject)
}

/// The sender's address: the first From line that holds one. A second From line (a
/// malformed `From :` further down) never replaces it.
fn sender<'a>(m: &'a Message<'a>) -> &'a str {
    m.header_values(HeaderName::From)
        .find_map(|v| v.as_address().and_then(|a| a.first()).and_then(|a| a.address()))
        .unwrap_or_default()
}

/// Why a message is machine-made and must not become a ticket, nor be answered, if it
/// is.
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
    // The envelope sender a receiving server records: empty for bounces and other
    // notices that must never be answered.
    if let Some(path) = header_text(m, "Return-Path")
        && path
            .trim_matches(|c: char| c == '<' || c == '>' || c.is_whitespace())
            .is_empty()
    {
        return Some("a notice with no return path (<>)");
    }
    if ["List-Id", "List-Unsubscribe", "List-Post"]
        .iter()
        .any(|h| header_text(m, h).is_some())
    {
        return Some("mailing-list mail (List headers)");
    }
    let from = sender(m).to_ascii_lowercase();
    if from.starts_with("mailer-daemon@") || from.starts_with("postmaster@") {
        return Some("a delivery report (bounce)");
    }
    None
}

/// The text the sender wrote: every text part of the body in order (a message whose
/// first part is an image has its text after it), HTML turned into text, and lines of
/// a broken multipart's structure that leaked into it taken out.
fn written_text(m: &Message) -> String {
    let texts: Vec<Cow<str>> = (0..m.text_body_count())
        .filter_map(|i| m.body_text(i))
        .filter(|t| !t.trim().is_empty())
        .collect();
    let boundaries: std::collections::HashSet<String> = m
        .parts
        .iter()
        .filter_map(|p| p.content_type()?.attribute("boundary"))
        .map(|b| format!("--{b}"))
        .collect();
    without_mime_lines(&texts.join("\n\n").replace("\r\n", "\n"), &boundaries)
}

/// Whether `line` is a MIME header a part starts with (`Content-Type: ...`).
fn mime_header(line: &str) -> bool {
    let Some((name, _)) = line.split_once(':') else {
        return false;
    };
    let name = name.trim().to_ascii_lowercase();
    name.starts_with("content-") && !name.contains(' ') || name == "mime-version"
}

/// `text` without what a broken multipart leaks into it: boundary lines (those of
/// `boundaries`, or any `--token` line followed by MIME headers), the headers of the
/// part they open, and a base64 body such a part carries.
pub fn without_mime_lines(text: &str, boundaries: &std::collections::HashSet<String>) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut kept = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end();
        let known =
            boundaries.contains(line) || line.strip_suffix("--").is_some_and(|l| boundaries.contains(l));
        let looks_like = line.len() > 3
            && line.starts_with("--")
            && !line.contains(char::is_whitespace)
            && lines.get(i + 1).is_some_and(|n| mime_header(n));
        if !(known || looks_like) {
            kept.push(lines[i]);
            i += 1;
            continue;
        }
        // The boundary, then the part's headers (folded lines too) and the blank line.
        i += 1;
        let mut base64 = false;
        while let Some(next) = lines.get(i) {
            if mime_header(next) {
                base64 |= next.to_ascii_lowercase().contains("base64");
            } else if !next.starts_with([' ', '\t']) || next.trim().is_empty() {
                break;
            }
            i += 1;
        }
        if lines.get(i).is_some_and(|l| l.trim().is_empty()) {
            i += 1;
        }
        if base64 {
            while lines.get(i).is_some_and(|l| {
                let l = l.trim();
                !l.is_empty()
                    && l.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
            }) {
                i += 1;
            }
        }
    }
    kept.join("\n")
}

/// The new text of a reply: quoted lines, the quoted original under an "On ... wrote:"
/// line or an Outlook header block, and the signature are cut.
pub fn new_text(body: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let lines: Vec<&str> = body.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        // A signature follows "-- " (or a bare "--"), but only under something written:
        // a message that starts with the mark is all text.
        let written = kept.iter().any(|l| !l.trim().is_empty());
        if written && (t == "--" || line.trim_end() == "-- ") {
            break;
        }
        if t.starts_with("-----Original Message-----") {
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
        let head = Head {
            message_id: None,
            from: "",
            subject: "",
            raw: None,
            size: raw.len(),
            sender_check: None,
        };
        return record(state, head, refused(why.into())).await;
    };
    let (from, subject) = headline(&m);
    // What makes a message the same one again (an MTA retrying, a mailbox read again
    // after a stop): its Message-ID, or its bytes when it has none.
    let own_id = m.message_id().map(clean);
    let key = identity(own_id.as_deref(), raw);
    // Claimed before anything is done: a retry, or a second reader at the same moment,
    // finds the claim (the unique index decides) and makes nothing twice.
    match claim(state, &key, &from, &subject, raw.len()).await? {
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
        return record(state, head, outcome).await;
    }
    let check = sender_check(state, &m, &from);
    let outcome = match decide(state, &m, &from, &subject, &check).await {
        Ok(o) => o,
        Err(e @ (AppError::Internal(_) | AppError::Unavailable(_))) => {
            // Parley itself failed: the claim is given back, so that the retry takes it.
            unclaim(state, key).await;
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
        answer_refused(state, &from, subject, own_id.as_deref(), &reason).await?;
    }
    record(state, head(Some(check.label())), outcome).await
}

/// The key a message is known by: its Message-ID, hashed when it is longer than an
/// index holds; the SHA-256 of its bytes when it has none.
fn identity(own: Option<&str>, raw: &[u8]) -> String {
    use sha2::Digest;
    let hashed = |bytes: &[u8]| {
        let digest = sha2::Sha256::digest(bytes);
        format!(
            "sha256:{}",
            digest.iter().map(|b| format!("{b:02x}")).collect::<String>()
        )
    };
    match own {
        Some(id) if id.len() <= 200 => id.to_string(),
        Some(id) => hashed(id.as_bytes()),
        None => hashed(raw),
    }
}

/// How long a claim stands before another try takes the message over (a reader that
/// stopped in the middle of it).
const CLAIM_SECONDS: i64 = 120;

enum Claimed {
    /// This call takes the message in.
    Ours,
    /// It was taken in before, as this ticket (if any).
    Seen(Option<i64>),
}

/// Writes the message's row, `processing`, unless one with its key exists: then it was
/// taken in before, or is being taken in now (a 503: try again shortly), or its claim
/// is older than [`CLAIM_SECONDS`] and is taken over.
async fn claim(
    state: &AppState,
    id: &str,
    from: &str,
    subject: &str,
    size: usize,
) -> Result<Claimed, AppError> {
    let id = id.to_string();
    let from: String = from.chars().take(320).collect();
    let subject: String = subject.chars().take(500).collect();
    state
        .db
        .write(move |c| {
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
            let (outcome, ticket_id, since): (String, Option<i64>, chrono::NaiveDateTime) =
                inbound_mail::table
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
async fn unclaim(state: &AppState, id: String) {
    let _ = state
        .db
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

/// Records a message refused as larger than [`MAX_MESSAGE`] without reading it (the
/// IMAP reader knows its size first).
pub async fn refuse_too_large(state: &AppState, size: usize) -> Result<Outcome, AppError> {
    let head = Head {
        message_id: None,
        from: "",
        subject: "",
        raw: None,
        size,
        sender_check: None,
    };
    let outcome = Outcome {
        outcome: "refused".into(),
        ticket_id: None,
        reason: Some("larger than 25 MiB".into()),
    };
    record(state, head, outcome).await
}

/// What the trusted receiving server said of the sender (see [`super::mail_auth`]).
fn sender_check(state: &AppState, m: &Message, from: &str) -> super::mail_auth::Verdict {
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
    super::mail_auth::verdict(&values, &state.settings.mail_trusted_authserv_ids, domain)
}

/// What a refused sender is told, by mail.
#[derive(Serialize)]
struct RefusedMail {
    subject: String,
    reason: String,
    support: String,
    signup: String,
    portal: String,
}

/// Tells a refused sender why and what to do, once a day at most per address: the
/// reply is queued under a key of the address and the day, which the outbox takes once.
/// Never sent to Parley's own address, nor to a sender whose address does not parse.
async fn answer_refused(
    state: &AppState,
    from: &str,
    subject: &str,
    message_id: Option<&str>,
    reason: &str,
) -> Result<(), AppError> {
    let support = state.settings.mail_from.email.to_string();
    if from.is_empty() || from.eq_ignore_ascii_case(&support) {
        return Ok(());
    }
    let Ok(to) = crate::mail::mailbox("", from) else {
        return Ok(());
    };
    let ctx = crate::mail::MailContext::of(state);
    let view = RefusedMail {
        subject: if subject.is_empty() {
            String::new()
        } else {
            format!("“{}”", subject.chars().take(80).collect::<String>())
        },
        reason: reason.trim_start_matches("Not taken in: ").to_string(),
        support,
        signup: ctx.url("/signup"),
        portal: ctx.url("/portal"),
    };
    let mut mail = crate::mail::Mail::from_templates(&state.templates, "mail_refused", to, &view)
        .map_err(AppError::Internal)?;
    mail.in_reply_to = message_id.map(|id| format!("<{}>", id.trim_matches(['<', '>'])));
    mail.auto_submitted = crate::mail::AutoSubmitted::Replied;
    // The day's key keeps two refusals at the same moment to one reply; the look back
    // keeps a reply before midnight and one after it from both going out.
    let today = chrono::Utc::now();
    let key_of =
        |day: chrono::DateTime<chrono::Utc>| format!("mail-refused:{from}:{}", day.format("%Y-%m-%d"));
    let key = key_of(today);
    let keys = [key.clone(), key_of(today - chrono::Duration::days(1))];
    state
        .db
        .write(move |c| {
            let since = now() - chrono::Duration::hours(24);
            let recent: i64 = mail_outbox::table
                .filter(mail_outbox::event_key.eq_any(&keys))
                .filter(mail_outbox::created_at.gt(since))
                .count()
                .get_result(c)?;
            if recent == 0 {
                crate::outbox::enqueue(c, &key, &mail)?;
            }
            Ok(())
        })
        .await
}

async fn decide(
    state: &AppState,
    m: &Message<'_>,
    from: &str,
    subject: &str,
    check: &super::mail_auth::Verdict,
) -> Result<Outcome, AppError> {
    let verified = check.passed();
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
    let body = written_text(m);
    let (body, dropped) = crate::web::characters::without_refused(&body);
    let text = new_text(&body);
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
        // A subject longer than a ticket's is cut, not refused.
        subject: if subject.is_empty() {
            "(no subject)".into()
        } else {
            subject.chars().take(200).collect()
        },
        description: text,
        ..TicketInput::default()
    };
    let filed = tickets::create_by_mail(state, &user, input, files, verified).await?;
    if !verified {
        ask_to_confirm(state, &user, filed.id, subject).await?;
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

/// What the outcome of a ticket from an unauthenticated sender says.
const NOT_VERIFIED: &str = "Sender not verified: the requester is asked to confirm.";

/// What the requester of a ticket whose sender was not verified is told.
#[derive(Serialize)]
struct ConfirmMail {
    name: String,
    id: i64,
    subject: String,
    link: String,
}

/// Mails the requester's own address (which a forger cannot read) to confirm, signed
/// in, that they sent the ticket.
async fn ask_to_confirm(
    state: &AppState,
    user: &crate::web::AuthUser,
    id: i64,
    subject: &str,
) -> Result<(), AppError> {
    let to = crate::mail::mailbox(&user.display_name, &user.email).map_err(AppError::Internal)?;
    let ctx = crate::mail::MailContext::of(state);
    let view = ConfirmMail {
        name: user.display_name.clone(),
        id,
        subject: subject.to_string(),
        link: ctx.url(&format!("/portal/tickets/{id}")),
    };
    let mail = crate::mail::Mail::from_templates(&state.templates, "sender_check", to, &view)
        .map_err(AppError::Internal)?;
    let key = format!("sender-check:{id}");
    state
        .db
        .write(move |c| crate::outbox::enqueue(c, &key, &mail).map(|_| ()))
        .await
}

/// Stores the message's attachments that may be attached; names the others.
async fn attachments(state: &AppState, m: &Message<'_>) -> Result<(Vec<Upload>, Vec<String>), AppError> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for (n, part) in m.attachments().enumerate() {
        let name = part_name(part, n + 1);
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
        match state
            .files
            .store_bytes(bytes, state.settings.max_upload_bytes)
            .await
        {
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

/// The name a mail part is kept under: its own file name; one made from its
/// description or its place, with the extension of its type, when it has none Parley can
/// keep (an image named only by its description); a forwarded message is an `.eml`.
fn part_name(part: &MessagePart, n: usize) -> String {
    let own = part.attachment_name().map(clean_filename);
    if let Some(name) = &own
        && attachable(name)
    {
        return name.clone();
    }
    let content_type = part
        .content_type()
        .map(|t| format!("{}/{}", t.ctype(), t.subtype().unwrap_or_default()))
        .unwrap_or_default();
    let forwarded = part.message();
    let ext = if forwarded.is_some() {
        Some("eml")
    } else {
        extension_for(&content_type)
    };
    let base = own
        .or_else(|| forwarded.and_then(|m| m.subject()).map(clean_filename))
        .or_else(|| part.content_description().map(clean_filename))
        .unwrap_or_else(|| format!("attachment-{n}"));
    match ext {
        Some(ext) => format!("{}.{ext}", base.chars().take(100).collect::<String>()),
        None => base,
    }
}

/// What is kept of a message beside its outcome.
struct Head<'a> {
    message_id: Option<String>,
    from: &'a str,
    subject: &'a str,
    /// The message, kept whole when it is refused, so that staff can still make a ticket
    /// of it; `None` for what is not mail.
    raw: Option<&'a [u8]>,
    size: usize,
    sender_check: Option<String>,
}

async fn record(state: &AppState, head: Head<'_>, outcome: Outcome) -> Result<Outcome, AppError> {
    let raw_sha256 = match head.raw {
        Some(raw) if outcome.outcome == "refused" => Some(
            state
                .files
                .store_bytes(raw.to_vec(), MAX_MESSAGE as u64)
                .await?
                .sha256,
        ),
        _ => None,
    };
    let Head {
        message_id,
        sender_check,
        size,
        ..
    } = head;
    let (from, subject, kept) = (head.from.to_string(), head.subject.to_string(), outcome.clone());
    state
        .db
        .write(move |c| {
            // A claimed message's row is there: its outcome is filled in.
            if let Some(id) = &message_id {
                let n = diesel::update(inbound_mail::table.filter(inbound_mail::message_id.eq(id)))
                    .set((
                        inbound_mail::outcome.eq(&kept.outcome),
                        inbound_mail::reason.eq(&kept.reason),
                        inbound_mail::ticket_id.eq(kept.ticket_id),
                        inbound_mail::sender_check.eq(&sender_check),
                        inbound_mail::raw_sha256.eq(&raw_sha256),
                    ))
                    .execute(c)?;
                if n == 1 {
                    return Ok(());
                }
            }
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
                    inbound_mail::sender_check.eq(sender_check),
                    inbound_mail::raw_sha256.eq(raw_sha256),
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
    /// What the trusted receiving server said of the sender: `pass (dmarc)`, `fail
    /// (spf)`, `none`; absent for mail refused before the check (machine-made, not mail).
    pub sender_check: Option<String>,
    /// The refused message is kept whole: staff may make a ticket of it.
    pub kept: bool,
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
                    inbound_mail::sender_check,
                    inbound_mail::raw_sha256.is_not_null(),
                ))
                .load::<Received>(c)?)
        })
        .await
}

/// Which customer a refused message becomes a ticket for.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct RefusedToTicket {
    pub organization_id: i64,
}

/// Staff make a ticket for a customer they choose of a refused message (a sender who
/// has no account, or is not an authorized contact): the ticket is filed by the staff
/// member, from "email", with the message's text (the sender named at its top) and its
/// attachments, and the message's outcome becomes that ticket. Once only: a message
/// that is no longer refused is a conflict.
pub async fn ticket_from_refused(
    state: &AppState,
    user: &crate::web::AuthUser,
    mail_id: i64,
    input: RefusedToTicket,
) -> Result<i64, AppError> {
    if !super::access(user)?.is_staff() {
        return Err(AppError::Forbidden(
            "Only staff make tickets of received mail.".into(),
        ));
    }
    // Claimed first, so that two people pressing at once make one ticket.
    let claimed: Option<(String, Option<String>)> = state
        .db
        .write(move |c| {
            let row: Option<(String, Option<String>, Option<String>)> = inbound_mail::table
                .find(mail_id)
                .select((
                    inbound_mail::outcome,
                    inbound_mail::raw_sha256,
                    inbound_mail::reason,
                ))
                .first(c)
                .optional()?;
            let Some((outcome, Some(sha), reason)) = row else {
                return Err(AppError::NotFound);
            };
            if outcome != "refused" {
                return Ok(None);
            }
            let n = diesel::update(
                inbound_mail::table
                    .find(mail_id)
                    .filter(inbound_mail::outcome.eq("refused")),
            )
            .set(inbound_mail::outcome.eq("converting"))
            .execute(c)?;
            Ok((n == 1).then_some((sha, reason)))
        })
        .await?;
    let Some((sha, old_reason)) = claimed else {
        return Err(AppError::Conflict(
            "This message is a ticket already, or is being made one.".into(),
        ));
    };
    let made = make_ticket(state, user, &sha, input.organization_id).await;
    let (outcome, ticket_id, reason) = match &made {
        Ok(id) => (
            "ticket",
            Some(*id),
            Some(format!(
                "Made a ticket by {} from a refused message ({}).",
                user.display_name,
                old_reason.unwrap_or_default().trim_end_matches('.')
            )),
        ),
        Err(_) => ("refused", None, old_reason),
    };
    state
        .db
        .write(move |c| {
            diesel::update(inbound_mail::table.find(mail_id))
                .set((
                    inbound_mail::outcome.eq(outcome),
                    inbound_mail::ticket_id.eq(ticket_id),
                    inbound_mail::reason.eq(reason),
                ))
                .execute(c)?;
            Ok(())
        })
        .await?;
    made
}

async fn make_ticket(
    state: &AppState,
    user: &crate::web::AuthUser,
    sha: &str,
    organization_id: i64,
) -> Result<i64, AppError> {
    let raw = state.files.read(sha).await?;
    let m = MessageParser::default()
        .parse(&raw)
        .ok_or_else(|| AppError::Conflict("The kept message no longer reads as mail.".into()))?;
    let (from, subject) = headline(&m);
    let text = new_text(&clean(&written_text(&m)));
    let (files, _) = attachments(state, &m).await?;
    let input = TicketInput {
        organization_id: Some(organization_id),
        priority: "normal".into(),
        subject: if subject.chars().count() < 5 {
            format!("Mail from {from}")
        } else {
            subject.chars().take(200).collect()
        },
        description: format!(
            "Received by mail from {from}.\n\n{}",
            if text.trim().is_empty() {
                "(The message has no text.)"
            } else {
                text.as_str()
            }
        ),
        ..TicketInput::default()
    };
    Ok(tickets::create_from(state, user, input, files, "email").await?.id)
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
