//! The answer flowing back: the thread's banner, publishing the ticket's answer to
//! the thread, and a knowledge article drafted from a ticket.

use super::*;
use crate::db::Db;
use crate::mail::MailContext;
use crate::web::rate_limit::Limiter;

/// What a thread's reader sees of its escalation.
#[derive(Debug, Clone, Serialize)]
pub struct Banner {
    /// For staff and the asker: the ticket and its status.
    pub ticket_id: Option<i64>,
    pub status: Option<String>,
}

/// The banner of an escalated thread for this reader (one lookup, only for escalated
/// threads and only for those who may see the ticket's state).
pub async fn banner(
    db: &Db,
    user: &AuthUser,
    ticket_id: i64,
    asker_id: i64,
    asker_organization: Option<i64>,
) -> Result<Banner, AppError> {
    if !(user.id == asker_id || may_file_for(user, asker_id, asker_organization)) {
        return Ok(Banner {
            ticket_id: None,
            status: None,
        });
    }
    let status: String = db
        .read_quick(move |c| {
            Ok(tickets_t::table
                .find(ticket_id)
                .select(tickets_t::status)
                .first::<String>(c)?)
        })
        .await?;
    Ok(Banner {
        ticket_id: Some(ticket_id),
        status: Some(Status::parse(&status).map_or(status.clone(), |s| s.label().to_string())),
    })
}

/// The thread a ticket came from, and the solution to offer back: the latest public
/// note by staff. Only staff, and only once the ticket is solved or closed.
#[derive(Debug, Clone, Serialize)]
pub struct Publishable {
    pub ticket_id: i64,
    pub topic_id: i64,
    pub topic_title: String,
    pub solution: String,
}

pub(super) fn solved(status: &str) -> bool {
    matches!(
        Status::parse(status),
        Some(Status::SolutionProvided) | Some(Status::Closed) | Some(Status::Archived)
    )
}

/// What staff may publish back from a ticket.
pub async fn publishable(db: &Db, user: &AuthUser, ticket_id: i64) -> Result<Publishable, AppError> {
    if !user.is_staff() {
        return Err(AppError::forbidden(
            "Only staff publish a ticket's solution to the community.",
        ));
    }
    db.read(move |c| {
        let status: String = tickets_t::table
            .find(ticket_id)
            .select(tickets_t::status)
            .first(c)?;
        let topic_id = escalated_from(c, ticket_id)?.ok_or_else(|| {
            AppError::Conflict("This ticket did not come from a community question.".into())
        })?;
        if !solved(&status) {
            return Err(AppError::Conflict(
                "Publish the solution once the ticket is at Solution Provided/Monitoring or Closed.".into(),
            ));
        }
        let topic_title: String = topics::table.find(topic_id).select(topics::title).first(c)?;
        let solution = crate::portal::workflow::latest_staff_note(c, ticket_id)?.unwrap_or_default();
        Ok(Publishable {
            ticket_id,
            topic_id,
            topic_title,
            solution,
        })
    })
    .await
}

/// Publishes the solution as a reply in the thread, by the staff member, and accepts
/// it when asked. Returns the new post.
pub async fn publish(
    db: &Db,
    mailing: &MailContext,
    limiter: &Limiter,
    user: &AuthUser,
    ticket_id: i64,
    body: &str,
    accept: bool,
) -> Result<crate::forum::posts::Replied, AppError> {
    let p = publishable(db, user, ticket_id).await?;
    let replied = crate::forum::posts::reply(db, mailing, limiter, user, p.topic_id, body).await?;
    let (post_id, me) = (replied.id, user.id);
    db.write(move |c| {
        diesel::insert_into(links::table)
            .values((
                links::from_kind.eq("ticket"),
                links::from_id.eq(ticket_id),
                links::relation.eq("answered_in"),
                links::to_kind.eq("post"),
                links::to_id.eq(post_id),
                links::created_by.eq(Some(me)),
                links::created_at.eq(now()),
            ))
            .execute(c)?;
        Ok(())
    })
    .await?;
    if accept {
        crate::forum::posts::accept(db, mailing, user, replied.id, true).await?;
    }
    Ok(replied)
}

/// A Knowledge Share article drafted from a solved ticket (staff): the subject as the
/// title, the problem as described, and the latest public note by staff as the
/// solution, for staff to rewrite without the customer's details.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleDraft {
    pub title: String,
    pub body: String,
}

/// The article draft of a solved or closed ticket, escalated from the community or not.
pub async fn article_draft(db: &Db, user: &AuthUser, ticket_id: i64) -> Result<ArticleDraft, AppError> {
    if !user.is_staff() {
        return Err(AppError::forbidden(
            "Only staff write Knowledge Share articles from tickets.",
        ));
    }
    db.read(move |c| {
        let (subject, description, status): (String, String, String) = tickets_t::table
            .find(ticket_id)
            .select((
                tickets_t::subject,
                tickets_t::description_markdown,
                tickets_t::status,
            ))
            .first(c)?;
        if !solved(&status) {
            return Err(AppError::Conflict(
                "Write an article once the ticket is at Solution Provided/Monitoring or Closed.".into(),
            ));
        }
        let solution = crate::portal::workflow::latest_staff_note(c, ticket_id)?.unwrap_or_default();
        Ok(ArticleDraft {
            body: format!("## The problem\n\n{description}\n\n## The solution\n\n{solution}\n"),
            title: subject,
        })
    })
    .await
}
