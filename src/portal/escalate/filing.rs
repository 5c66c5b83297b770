//! Filing a ticket from a thread: the draft, the ticket and the link between them.

use super::*;
use crate::db::Db;
use crate::mail::MailContext;

/// The ticket form filled in from the thread: its customer (the asker's organization),
/// its title as the subject, the question quoted with a link back.
pub fn draft(settings: &Settings, q: &Question) -> TicketInput {
    let link = settings
        .base_url
        .join(&format!("/t/{}/{}", q.topic_id, q.slug))
        .map(|u| u.to_string())
        .unwrap_or_default();
    let quoted: String = q.body_markdown.lines().map(|l| format!("> {l}\n")).collect();
    TicketInput {
        organization_id: q.asker_organization,
        priority: "normal".into(),
        subject: q.title.chars().take(200).collect(),
        description: format!("{quoted}\nEscalated from the community question: {link}\n"),
        ..TicketInput::default()
    }
}

/// Files the ticket of an escalation and links it, or finds the one already filed.
/// Returns the ticket and whether this call filed it.
pub async fn escalate(
    db: &Db,
    mailing: &MailContext,
    user: &AuthUser,
    topic_id: i64,
    input: TicketInput,
    files: Vec<crate::files::Upload>,
) -> Result<(Filed, bool), AppError> {
    let (q, may) = who_may(db, user, topic_id).await?;
    escalate_checked(db, mailing, user, &q, &may, input, files).await
}

/// [`escalate`] for a question already read and checked with [`who_may`].
pub async fn escalate_checked(
    db: &Db,
    mailing: &MailContext,
    user: &AuthUser,
    q: &Question,
    may: &May,
    input: TicketInput,
    files: Vec<crate::files::Upload>,
) -> Result<(Filed, bool), AppError> {
    let topic_id = q.topic_id;
    if let May::AskAContact { .. } = may {
        return Err(AppError::forbidden(
            "Only an authorized contact of your organization can open a ticket; ask one of them to escalate this question.",
        ));
    }
    if let Some(existing) = q.ticket_id {
        return Ok((existing_filed(db, existing).await?, false));
    }
    match tickets::create_linked(db, mailing, user, input, files, topic_id).await {
        Ok(filed) => Ok((filed, true)),
        // Someone escalated it a moment before: theirs is the ticket.
        Err(AppError::Conflict(_)) => {
            let found = db.read(move |c| escalated_ticket(c, topic_id)).await?;
            match found {
                Some(id) => Ok((existing_filed(db, id).await?, false)),
                None => Err(AppError::Conflict(
                    "The question could not be escalated; try again.".into(),
                )),
            }
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn existing_filed(db: &Db, id: i64) -> Result<Filed, AppError> {
    db.read(move |c| {
        let (priority, flagged): (String, bool) = tickets_t::table
            .find(id)
            .select((tickets_t::priority, tickets_t::flagged))
            .first(c)?;
        Ok(Filed {
            id,
            priority,
            flagged,
        })
    })
    .await
}

/// In the ticket's transaction: links the thread to it, or fails with a conflict when
/// the thread was escalated meanwhile (the unique index), which rolls the ticket back.
pub(crate) fn link_escalation(
    c: &mut AnyConnection,
    topic_id: i64,
    ticket_id: i64,
    by: i64,
) -> Result<(), AppError> {
    let inserted = diesel::insert_into(links::table)
        .values((
            links::from_kind.eq("topic"),
            links::from_id.eq(topic_id),
            links::relation.eq("escalated_to"),
            links::to_kind.eq("ticket"),
            links::to_id.eq(ticket_id),
            links::created_by.eq(Some(by)),
            links::created_at.eq(now()),
        ))
        .execute(c);
    inserted.on_duplicate(|| AppError::Conflict("This question was already escalated.".into()))?;
    crate::forum::touch(c, topic_id)
}
