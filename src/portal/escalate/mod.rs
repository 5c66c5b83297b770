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

use super::ticket_status::Status;
use super::tickets::{self, Filed, TicketInput};
use crate::config::Settings;
use crate::db::schema::{categories, links, posts, tickets as tickets_t, topics, users};
use crate::db::{AnyConnection, Db, ResultExt, now};
use crate::error::AppError;
use crate::web::AuthUser;
use diesel::prelude::*;
use serde::Serialize;

mod answer;
mod filing;

pub use answer::*;
pub use filing::*;

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
