//! Working a ticket: status moves (by the table in [`super::ticket_status`]), notes (public,
//! or internal for staff), priority, assignment, and archiving closed tickets.

use chrono::Duration;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::sla::Priority;
use super::ticket_mail;
use super::ticket_status::{self, Actor, Status};
use super::tickets::{event, visible};
use super::{Access, access};
use crate::db::locks::{Row, lock};
use crate::db::models::Ticket;
use crate::db::schema::{tickets, users};
use crate::db::{AnyConnection, Db, now};
use crate::error::AppError;
use crate::mail::MailContext;
use crate::web::AuthUser;

/// A status move.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct StatusInput {
    /// One of the statuses the ticket page offers; which moves a role may make is
    /// checked on the server.
    #[serde(default)]
    #[schema(
        required = true,
        pattern = "^\\s*(open|triaging|in_progress|customer_pending|awaiting_authorization|meeting_scheduled|on_hold|solution_provided|closed|archived)\\s*$"
    )]
    pub status: String,
}

/// A note.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct NoteInput {
    /// Markdown, at least 2 characters, at most 65,536 bytes.
    #[serde(default)]
    #[schema(required = true, min_length = 2, max_length = 65536)]
    pub body: String,
    /// Staff: false for an internal note, which customers never see. Default true.
    #[serde(default = "yes")]
    pub public: bool,
    /// Staff: true for an internal note (the same as `public: false`).
    #[serde(default)]
    pub internal: bool,
}

fn yes() -> bool {
    true
}

/// A priority change (staff).
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct PriorityInput {
    /// critical, high or normal (in any case).
    #[schema(pattern = "^([Cc][Rr][Ii][Tt][Ii][Cc][Aa][Ll]|[Hh][Ii][Gg][Hh]|[Nn][Oo][Rr][Mm][Aa][Ll])$")]
    pub priority: String,
}

/// An assignment (staff); `assignee_id` null unassigns.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct AssignInput {
    #[serde(default, deserialize_with = "crate::web::forms::blank_as_none")]
    pub assignee_id: Option<i64>,
}

pub(super) fn not_archived(t: &Ticket) -> Result<Status, AppError> {
    let st = Status::parse(&t.status).unwrap_or(Status::Open);
    if st == Status::Archived {
        return Err(AppError::Conflict(
            "This ticket is archived and takes no more changes: open a follow-up ticket instead.".into(),
        ));
    }
    Ok(st)
}

pub(super) fn touch(c: &mut AnyConnection, id: i64) -> Result<(), AppError> {
    diesel::update(tickets::table.find(id))
        .set(tickets::updated_at.eq(now()))
        .execute(c)?;
    Ok(())
}

/// Moves a ticket and logs it; mails those who hear of it when `notices` is given
/// (the system's archiving mails nobody).
fn move_to(
    c: &mut AnyConnection,
    notices: Option<&MailContext>,
    t: &Ticket,
    actor: Option<i64>,
    from: Status,
    to: Status,
) -> Result<(), AppError> {
    let closed_at = (to == Status::Closed).then(now);
    diesel::update(tickets::table.find(t.id))
        .set((
            tickets::status.eq(to.as_str()),
            tickets::closed_at.eq(closed_at.or(if to == Status::Archived { t.closed_at } else { None })),
            tickets::archived_at.eq((to == Status::Archived).then(now)),
            tickets::updated_at.eq(now()),
        ))
        .execute(c)?;
    let id = event(
        c,
        t.id,
        actor,
        "status",
        true,
        Some(from.as_str()),
        Some(to.as_str()),
        None,
    )?;
    // Into or out of a status the plan pauses in: the clock stops or runs again.
    super::plans::refresh(c, &[t.id])?;
    match notices {
        Some(n) => ticket_mail::queue(c, n, id),
        None => Ok(()),
    }
}

/// Moves a ticket to another status, if the table allows this user the move.
pub async fn set_status(
    db: &Db,
    mailing: &MailContext,
    user: &AuthUser,
    id: i64,
    input: StatusInput,
) -> Result<(), AppError> {
    let who = access(user)?;
    if input.status.trim().is_empty() {
        return Err(AppError::field(
            "status",
            "Choose the status to move the ticket to.",
        ));
    }
    let to = Status::parse(&input.status)
        .ok_or_else(|| AppError::field("status", format!("'{}' is not a status.", input.status.trim())))?;
    let me = user.id;
    let notices = mailing.clone();
    db.write(move |c| {
        lock(c, Row::Ticket(id))?;
        let t = visible(c, who, id)?;
        let from = not_archived(&t)?;
        if let Err(why) = ticket_status::allowed(who.actor(), from, to) {
            // Refused by role: 403; a move nobody may make: 422.
            return Err(if ticket_status::allowed(Actor::Staff, from, to).is_ok() {
                AppError::Forbidden(why.into())
            } else {
                AppError::field("status", why)
            });
        }
        move_to(c, Some(&notices), &t, Some(me), from, to)
    })
    .await
}

/// Adds a note. Customers' notes are public; staff choose. The first public note by
/// staff is the response the SLA waits for. A customer's note on a ticket waiting for
/// them moves it back to In Progress.
pub async fn add_note(
    db: &Db,
    mailing: &MailContext,
    user: &AuthUser,
    id: i64,
    input: NoteInput,
) -> Result<(), AppError> {
    let who = access(user)?;
    let body = crate::forum::check_text(&input.body, "note")?;
    let public = input.public && !input.internal;
    if !public && !who.is_staff() {
        return Err(AppError::Forbidden("Only staff write internal notes.".into()));
    }
    let me = user.id;
    let notices = mailing.clone();
    let html = crate::forum::prerender(db, &body).await?.html;
    db.write(move |c| {
        lock(c, Row::Ticket(id))?;
        let t = visible(c, who, id)?;
        let st = not_archived(&t)?;
        let note = event(
            c,
            id,
            Some(me),
            "note",
            public,
            None,
            None,
            Some((&body, html.as_str())),
        )?;
        ticket_mail::queue(c, &notices, note)?;
        if who.is_staff() && public && t.first_response_at.is_none() {
            diesel::update(tickets::table.find(id))
                .set(tickets::first_response_at.eq(now()))
                .execute(c)?;
            // Answered while paused: the stored due time was a projection from the
            // pause; it stops where the clock stood.
            if t.sla_paused {
                super::plans::refresh(c, &[id])?;
            }
        }
        if !who.is_staff() && st == Status::CustomerPending {
            move_to(c, Some(&notices), &t, Some(me), st, Status::InProgress)?;
        }
        touch(c, id)
    })
    .await
}

/// Changes the priority (staff); the due time is recomputed from the creation.
pub async fn set_priority(
    db: &Db,
    mailing: &MailContext,
    user: &AuthUser,
    id: i64,
    input: PriorityInput,
) -> Result<(), AppError> {
    let who = access(user)?;
    let to = Priority::parse(&input.priority);
    let me = user.id;
    let notices = mailing.clone();
    db.write(move |c| {
        // Someone else's ticket is not found, whatever they meant to do with it.
        lock(c, Row::Ticket(id))?;
        let t = visible(c, who, id)?;
        if !who.is_staff() {
            return Err(AppError::Forbidden(
                "Only staff change a ticket's priority; say in a note why it is more urgent.".into(),
            ));
        }
        not_archived(&t)?;
        let to = to.ok_or_else(|| AppError::field("priority", "Choose Critical, High or Normal."))?;
        if t.priority == to.as_str() {
            return Err(AppError::field(
                "priority",
                "The ticket already has this priority.",
            ));
        }
        change_priority(c, &notices, &t, to, me)?;
        touch(c, id)
    })
    .await
}

/// Moves ticket `t` to priority `to` for `actor`: its due time recomputed from its
/// creation, the change logged, and those who follow it told.
pub(super) fn change_priority(
    c: &mut AnyConnection,
    notices: &MailContext,
    t: &Ticket,
    to: Priority,
    actor: i64,
) -> Result<(), AppError> {
    diesel::update(tickets::table.find(t.id))
        .set(tickets::priority.eq(to.as_str()))
        .execute(c)?;
    let changed = event(
        c,
        t.id,
        Some(actor),
        "priority",
        true,
        Some(&t.priority),
        Some(to.as_str()),
        None,
    )?;
    super::plans::refresh(c, &[t.id])?;
    ticket_mail::queue(c, notices, changed)
}

/// Assigns the ticket to a staff member, or unassigns it (staff).
pub async fn assign(
    db: &Db,
    mailing: &MailContext,
    user: &AuthUser,
    id: i64,
    input: AssignInput,
) -> Result<(), AppError> {
    let who = access(user)?;
    let me = user.id;
    let notices = mailing.clone();
    db.write(move |c| {
        // Someone else's ticket is not found, whatever they meant to do with it.
        lock(c, Row::Ticket(id))?;
        let t = visible(c, who, id)?;
        if who != Access::Staff {
            return Err(AppError::Forbidden("Only staff assign tickets.".into()));
        }
        not_archived(&t)?;
        let name = match input.assignee_id {
            None => None,
            Some(a) => Some(
                users::table
                    .filter(users::id.eq(a).and(users::role.eq_any(["staff", "admin"])))
                    .select(users::display_name)
                    .first::<String>(c)
                    .optional()?
                    .ok_or_else(|| {
                        AppError::field("assignee_id", "Assign the ticket to a member of staff.")
                    })?,
            ),
        };
        diesel::update(tickets::table.find(id))
            .set(tickets::assignee_id.eq(input.assignee_id))
            .execute(c)?;
        let assigned = event(c, id, Some(me), "assigned", true, None, name.as_deref(), None)?;
        ticket_mail::queue(c, &notices, assigned)?;
        touch(c, id)
    })
    .await
}

/// Archives every ticket closed more than `after` ago: the system's move, final.
/// Returns how many were archived.
pub async fn archive_closed(db: &Db, after: Duration) -> Result<usize, AppError> {
    db.write(move |c| {
        if !crate::db::locks::take_job(c, crate::db::locks::Job::ArchiveClosed)? {
            return Ok(0);
        }
        let cutoff = now() - after;
        let due: Vec<Ticket> = tickets::table
            .filter(tickets::status.eq(Status::Closed.as_str()))
            .filter(tickets::closed_at.le(cutoff))
            .select(Ticket::as_select())
            .load(c)?;
        for t in &due {
            ticket_status::allowed(Actor::System, Status::Closed, Status::Archived)
                .map_err(|why| AppError::Conflict(why.into()))?;
            move_to(c, None, t, None, Status::Closed, Status::Archived)?;
        }
        Ok(due.len())
    })
    .await
}

/// The latest public note written by staff on a ticket: the solution to offer back to
/// the community.
pub fn latest_staff_note(c: &mut AnyConnection, ticket_id: i64) -> Result<Option<String>, AppError> {
    use crate::db::schema::{ticket_events, users};
    Ok(ticket_events::table
        .inner_join(users::table.on(ticket_events::actor_id.eq(users::id.nullable())))
        .filter(ticket_events::ticket_id.eq(ticket_id))
        .filter(ticket_events::kind.eq("note"))
        .filter(ticket_events::public.eq(true))
        .filter(users::role.eq_any(["staff", "admin"]))
        .order(ticket_events::id.desc())
        .select(ticket_events::body_markdown)
        .first::<Option<String>>(c)
        .optional()?
        .flatten())
}
