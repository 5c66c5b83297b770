//! A community question becomes a ticket in one step, and the solution comes back.
//!
//! - **Who escalates**: staff, or the asker when they are an authorized contact of an
//!   approved customer. Any other member is told who their organization's contacts
//!   are, since only a contact may open a ticket.
//! - **Once**: the ticket is filed and linked (`links`: topic `escalated_to` ticket)
//!   in one transaction; a unique index allows one escalation per thread, so a second
//!   attempt, even at the same moment, finds the first ticket.
//! - **Seen from the thread**: staff and the asker see the ticket's number and status;
//!   everyone else reads that the question went to support.
//! - **Answer back**: once the ticket reached Solution Provided/Monitoring or Closed,
//!   staff publish the solution to the thread as a reply (after editing out what is
//!   the customer's own), which may be accepted; the thread's followers hear of it as
//!   of any reply.

use crate::config::Settings;
use diesel::prelude::*;
use serde::Serialize;

use super::ticket_status::Status;
use super::tickets::{self, Filed, TicketInput};
use crate::app::AppState;
use crate::db::schema::{categories, links, posts, tickets as tickets_t, topics, users};
use crate::db::{AnyConnection, Db, ResultExt, now};
use crate::error::AppError;
use crate::web::AuthUser;

/// A question as escalation needs it.
#[derive(Debug, Clone, Serialize)]
pub struct Question {
    pub topic_id: i64,
    pub title: String,
    pub slug: String,
    pub asker_id: i64,
    pub asker_organization: Option<i64>,
    pub body_markdown: String,
    /// The ticket it was escalated to, if it was.
    pub ticket_id: Option<i64>,
}

/// Whether the reader may escalate, and if not, whom to ask.
#[derive(Debug, Clone, Serialize)]
pub enum May {
    Yes,
    /// Not an authorized contact: the names of their organization's contacts.
    AskAContact {
        contacts: Vec<String>,
    },
}

fn question(c: &mut AnyConnection, topic_id: i64) -> Result<Question, AppError> {
    let (title, slug, asker_id, kind, deleted): (String, String, i64, String, Option<chrono::NaiveDateTime>) =
        topics::table
            .inner_join(categories::table)
            .filter(topics::id.eq(topic_id))
            .select((
                topics::title,
                topics::slug,
                topics::user_id,
                categories::kind,
                topics::deleted_at,
            ))
            .first(c)?;
    if deleted.is_some() {
        return Err(AppError::NotFound);
    }
    if kind != "questions" {
        return Err(AppError::Conflict(
            "Only questions in Questions & Answers can be escalated to a ticket.".into(),
        ));
    }
    let body_markdown: String = posts::table
        .filter(posts::topic_id.eq(topic_id))
        .filter(posts::number.eq(1))
        .select(posts::body_markdown)
        .first(c)?;
    let asker_organization: Option<i64> = users::table
        .find(asker_id)
        .select(users::organization_id)
        .first(c)?;
    Ok(Question {
        topic_id,
        title,
        slug,
        asker_id,
        asker_organization,
        body_markdown,
        ticket_id: escalated_ticket(c, topic_id)?,
    })
}

/// The ticket a thread was escalated to.
pub fn escalated_ticket(c: &mut AnyConnection, topic_id: i64) -> Result<Option<i64>, AppError> {
    Ok(links::table
        .filter(links::from_kind.eq("topic"))
        .filter(links::from_id.eq(topic_id))
        .filter(links::relation.eq("escalated_to"))
        .select(links::to_id)
        .first(c)
        .optional()?)
}

/// The thread a ticket was escalated from.
pub fn escalated_from(c: &mut AnyConnection, ticket_id: i64) -> Result<Option<i64>, AppError> {
    Ok(links::table
        .filter(links::to_kind.eq("ticket"))
        .filter(links::to_id.eq(ticket_id))
        .filter(links::relation.eq("escalated_to"))
        .select(links::from_id)
        .first(c)
        .optional()?)
}

/// Whether `user` may open the ticket of a question themselves: staff, or an
/// authorized contact of an approved customer who asked it or whose organization the
/// asker belongs to (a contact files on behalf of colleagues).
pub fn may_file_for(user: &AuthUser, asker_id: i64, asker_organization: Option<i64>) -> bool {
    match super::access(user) {
        Ok(super::Access::Staff) => true,
        Ok(super::Access::Contact { organization_id }) => {
            asker_id == user.id || asker_organization == Some(organization_id)
        }
        Err(_) => false,
    }
}

/// Who may escalate this question: staff, its asker as an authorized contact, or an
/// authorized contact of the asker's organization.
pub async fn who_may(db: &Db, user: &AuthUser, topic_id: i64) -> Result<(Question, May), AppError> {
    crate::forum::require_read(user)?;
    let (me, org) = (user.id, user.organization_id);
    let q = db.read(move |c| question(c, topic_id)).await?;
    if may_file_for(user, q.asker_id, q.asker_organization) {
        return Ok((q, May::Yes));
    }
    if q.asker_id != me {
        return Err(AppError::forbidden(
            "Only the person who asked, an authorized contact of their organization, or staff can escalate a question to a ticket.",
        ));
    }
    db.read(move |c| {
        let contacts: Vec<String> = match org {
            Some(org) => users::table
                .filter(users::organization_id.eq(org))
                .filter(users::authorized_contact.eq(true))
                .order(users::display_name.asc())
                .select(users::display_name)
                .load(c)?,
            None => Vec::new(),
        };
        Ok((q, May::AskAContact { contacts }))
    })
    .await
}

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
    state: &AppState,
    user: &AuthUser,
    topic_id: i64,
    input: TicketInput,
    files: Vec<crate::files::Upload>,
) -> Result<(Filed, bool), AppError> {
    let (q, may) = who_may(&state.db, user, topic_id).await?;
    escalate_checked(state, user, &q, &may, input, files).await
}

/// [`escalate`] for a question already read and checked with [`who_may`].
pub async fn escalate_checked(
    state: &AppState,
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
        return Ok((existing_filed(&state.db, existing).await?, false));
    }
    match tickets::create_linked(state, user, input, files, topic_id).await {
        Ok(filed) => Ok((filed, true)),
        // Someone escalated it a moment before: theirs is the ticket.
        Err(AppError::Conflict(_)) => {
            let found = state.db.read(move |c| escalated_ticket(c, topic_id)).await?;
            match found {
                Some(id) => Ok((existing_filed(&state.db, id).await?, false)),
                None => Err(AppError::Conflict(
                    "The question could not be escalated; try again.".into(),
                )),
            }
        }
        Err(e) => Err(e),
    }
}

async fn existing_filed(db: &Db, id: i64) -> Result<Filed, AppError> {
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

fn solved(status: &str) -> bool {
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
        let solution = super::workflow::latest_staff_note(c, ticket_id)?.unwrap_or_default();
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
    state: &AppState,
    user: &AuthUser,
    ticket_id: i64,
    body: &str,
    accept: bool,
) -> Result<crate::forum::posts::Replied, AppError> {
    let p = publishable(&state.db, user, ticket_id).await?;
    let replied = crate::forum::posts::reply(state, user, p.topic_id, body).await?;
    let (post_id, me) = (replied.id, user.id);
    state
        .db
        .write(move |c| {
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
        crate::forum::posts::accept(state, user, replied.id, true).await?;
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
        let solution = super::workflow::latest_staff_note(c, ticket_id)?.unwrap_or_default();
        Ok(ArticleDraft {
            body: format!("## The problem\n\n{description}\n\n## The solution\n\n{solution}\n"),
            title: subject,
        })
    })
    .await
}
