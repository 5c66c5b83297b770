//! The record of every received message, refused mail kept for admins, and a ticket
//! made from it for a chosen customer.

use crate::db::Db;
use crate::db::now;
use crate::db::schema::inbound_mail;
use crate::error::AppError;
use crate::portal::tickets::{self, TicketInput};
use diesel::prelude::*;
use mail_parser::MessageParser;
use serde::Serialize;

use super::*;
use crate::config::Settings;
use crate::files::FileStore;
use crate::mail::MailContext;

/// Records a message refused as larger than [`MAX_MESSAGE`] without reading it (the
/// IMAP reader knows its size first).
pub async fn refuse_too_large(db: &Db, files: &FileStore, size: usize) -> Result<Outcome, AppError> {
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
    record(db, files, head, outcome).await
}

/// What is kept of a message beside its outcome.
pub(super) struct Head<'a> {
    pub(super) message_id: Option<String>,
    pub(super) from: &'a str,
    pub(super) subject: &'a str,
    /// The message, kept whole when it is refused, so that staff can still make a ticket
    /// of it; `None` for what is not mail.
    pub(super) raw: Option<&'a [u8]>,
    pub(super) size: usize,
    pub(super) sender_check: Option<String>,
}

pub(super) async fn record(
    db: &Db,
    files: &FileStore,
    head: Head<'_>,
    outcome: Outcome,
) -> Result<Outcome, AppError> {
    let raw_sha256 = match head.raw {
        Some(raw) if outcome.outcome == "refused" => {
            Some(files.store_bytes(raw.to_vec(), MAX_MESSAGE as u64).await?.sha256)
        }
        _ => None,
    };
    let Head {
        message_id,
        sender_check,
        size,
        ..
    } = head;
    let (from, subject, kept) = (head.from.to_string(), head.subject.to_string(), outcome.clone());
    db.write(move |c| {
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
pub async fn received(db: &Db, user: &crate::web::AuthUser) -> Result<Vec<Received>, AppError> {
    user.require_admin()?;
    db.read(|c| {
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
    db: &Db,
    mailing: &MailContext,
    settings: &Settings,
    files: &FileStore,
    user: &crate::web::AuthUser,
    mail_id: i64,
    input: RefusedToTicket,
) -> Result<i64, AppError> {
    if !crate::portal::access(user)?.is_staff() {
        return Err(AppError::Forbidden(
            "Only staff make tickets of received mail.".into(),
        ));
    }
    // Claimed first, so that two people pressing at once make one ticket.
    let claimed: Option<(String, Option<String>)> = db
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
    let made = make_ticket(db, mailing, settings, files, user, &sha, input.organization_id).await;
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
    db.write(move |c| {
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

pub(super) async fn make_ticket(
    db: &Db,
    mailing: &MailContext,
    settings: &Settings,
    files: &FileStore,
    user: &crate::web::AuthUser,
    sha: &str,
    organization_id: i64,
) -> Result<i64, AppError> {
    let raw = files.read(sha).await?;
    let m = MessageParser::default()
        .parse(&raw)
        .ok_or_else(|| AppError::Conflict("The kept message no longer reads as mail.".into()))?;
    let (from, subject) = headline(&m);
    let text = new_text(&clean(&written_text(&m)));
    let (files, _) = attachments(settings, files, &m).await?;
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
    Ok(tickets::create_from(db, mailing, user, input, files, "email")
        .await?
        .id)
}
