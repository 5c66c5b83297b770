//! Mail back to the sender: the refusal reply (once a day) and the request to confirm
//! an unverified sender.

use crate::config::Settings;
use crate::db::Db;
use crate::db::now;
use crate::db::schema::mail_outbox;
use crate::error::AppError;
use crate::mail::MailContext;
use diesel::prelude::*;
use serde::Serialize;

/// What a refused sender is told, by mail.
#[derive(Serialize)]
pub(super) struct RefusedMail {
    subject: String,
    reason: String,
    support: String,
    signup: String,
    portal: String,
}

/// Tells a refused sender why and what to do, once a day at most per address: the
/// reply is queued under a key of the address and the day, which the outbox takes once.
/// Never sent to Parley's own address, nor to a sender whose address does not parse.
pub(super) async fn answer_refused(
    db: &Db,
    mailing: &MailContext,
    settings: &Settings,
    from: &str,
    subject: &str,
    message_id: Option<&str>,
    reason: &str,
) -> Result<(), AppError> {
    let templates = &mailing.templates;
    let support = settings.mail_from.email.to_string();
    if from.is_empty() || from.eq_ignore_ascii_case(&support) {
        return Ok(());
    }
    let Ok(to) = crate::mail::mailbox("", from) else {
        return Ok(());
    };
    let ctx = mailing.clone();
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
    let mut mail = crate::mail::Mail::from_templates(templates, "mail_refused", to, &view)
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
    db.write(move |c| {
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

/// What the outcome of a ticket from an unauthenticated sender says.
pub(super) const NOT_VERIFIED: &str = "Sender not verified: the requester is asked to confirm.";

/// What the requester of a ticket whose sender was not verified is told.
#[derive(Serialize)]
pub(super) struct ConfirmMail {
    name: String,
    id: i64,
    subject: String,
    link: String,
}

/// Mails the requester's own address (which a forger cannot read) to confirm, signed
/// in, that they sent the ticket.
pub(super) async fn ask_to_confirm(
    db: &Db,
    mailing: &MailContext,
    user: &crate::web::AuthUser,
    id: i64,
    subject: &str,
) -> Result<(), AppError> {
    let templates = &mailing.templates;
    let to = crate::mail::mailbox(&user.display_name, &user.email).map_err(AppError::Internal)?;
    let ctx = mailing.clone();
    let view = ConfirmMail {
        name: user.display_name.clone(),
        id,
        subject: subject.to_string(),
        link: ctx.url(&format!("/portal/tickets/{id}")),
    };
    let mail = crate::mail::Mail::from_templates(templates, "sender_check", to, &view)
        .map_err(AppError::Internal)?;
    let key = format!("sender-check:{id}");
    db.write(move |c| crate::outbox::enqueue(c, &key, &mail).map(|_| ()))
        .await
}
