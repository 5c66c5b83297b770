//! The ticket lists: filters, queues and order.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::models::Ticket;
use crate::db::now;
use crate::db::schema::{organizations, tickets, users};
use crate::error::AppError;
use crate::portal::ticket_status::Status;
use crate::portal::{Access, access};
use crate::web::AuthUser;

use super::*;
use crate::db::Db;

/// Which tickets a list shows.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// current (default: not closed or archived), any, or one status.
    #[param(
        pattern = "^(current|any|\\s*(open|triaging|in_progress|customer_pending|awaiting_authorization|meeting_scheduled|on_hold|solution_provided|closed|archived)\\s*)$"
    )]
    pub status: Option<String>,
    /// Staff queues: unassigned, mine, breaching (no response, due within the hour
    /// or past due).
    #[param(pattern = "^(unassigned|mine|breaching|)$")]
    pub queue: Option<String>,
    /// Staff: one customer.
    pub organization_id: Option<i64>,
    /// Words in the subject, at most 200 characters.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// updated (default), created, due, priority.
    #[param(pattern = "^(updated|created|due|priority)$")]
    pub sort: Option<String>,
}

/// One row of a ticket list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketRow {
    pub id: i64,
    pub status: String,
    pub status_label: String,
    pub priority: String,
    pub customer: String,
    pub subject: String,
    pub assignee: Option<String>,
    pub flagged: bool,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub sla_due_at: NaiveDateTime,
    /// The SLA clock stands still (the ticket waits in a status its plan pauses in).
    pub paused: bool,
    /// How many times it was escalated (0: never).
    pub escalation_level: i64,
    pub responded: bool,
    pub breached: bool,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub updated_at: NaiveDateTime,
}

/// A list of tickets the user may see.
pub async fn list(db: &Db, user: &AuthUser, q: ListQuery) -> Result<Vec<TicketRow>, AppError> {
    let who = access(user)?;
    let me = user.id;
    if q.q.as_deref().is_some_and(|w| w.chars().count() > 200) {
        return Err(AppError::field(
            "q",
            "Search the subjects for at most 200 characters.",
        ));
    }
    if q.queue.is_some() && !who.is_staff() {
        return Err(AppError::Forbidden("Queues are for support staff.".into()));
    }
    db.read(move |c| {
        let mut query = tickets::table
            .inner_join(organizations::table)
            .left_join(users::table.on(users::id.nullable().eq(tickets::assignee_id)))
            .select((
                Ticket::as_select(),
                organizations::name,
                users::display_name.nullable(),
            ))
            .into_boxed();
        if let Access::Contact { organization_id } = who {
            query = query.filter(tickets::organization_id.eq(organization_id));
        } else if let Some(o) = q.organization_id {
            query = query.filter(tickets::organization_id.eq(o));
        }
        query = match q.status.as_deref().unwrap_or("current") {
            "current" => query.filter(tickets::status.ne_all(vec!["closed", "archived"])),
            "any" => query,
            s => match Status::parse(s) {
                Some(st) => query.filter(tickets::status.eq(st.as_str())),
                None => return Err(AppError::field("status", format!("'{s}' is not a status."))),
            },
        };
        let now = now();
        match q.queue.as_deref() {
            None | Some("") => {}
            Some("unassigned") => query = query.filter(tickets::assignee_id.is_null()),
            Some("mine") => query = query.filter(tickets::assignee_id.eq(me)),
            Some("breaching") => {
                query = query
                    .filter(tickets::first_response_at.is_null())
                    .filter(tickets::sla_paused.eq(false))
                    .filter(tickets::sla_due_at.le(now + chrono::Duration::hours(1)))
                    .filter(tickets::status.ne_all(vec!["closed", "archived"]))
            }
            Some(other) => {
                return Err(AppError::field(
                    "queue",
                    format!("'{other}' is not a queue: unassigned, mine or breaching."),
                ));
            }
        }
        if let Some(words) = q.q.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
            // Case-insensitive on both backends: `?q=gateway` finds "Gateway down".
            let pattern = crate::db::like_pattern(words);
            query = query.filter(
                crate::db::lower(tickets::subject)
                    .like(crate::db::lower(pattern))
                    .escape('\\'),
            );
        }
        query = match q.sort.as_deref().unwrap_or("updated") {
            "updated" => query.order((tickets::updated_at.desc(), tickets::id.desc())),
            "created" => query.order(tickets::id.desc()),
            "due" => query.order((tickets::sla_due_at.asc(), tickets::id.asc())),
            "priority" => query.order((tickets::priority.asc(), tickets::updated_at.desc())),
            other => {
                return Err(AppError::field(
                    "sort",
                    format!("'{other}' is not a sort: updated, created, due or priority."),
                ));
            }
        };
        let rows: Vec<(Ticket, String, Option<String>)> = query.limit(PER_PAGE).load(c)?;
        Ok(rows
            .into_iter()
            .map(|(t, customer, assignee)| {
                let st = Status::parse(&t.status).unwrap_or(Status::Open);
                TicketRow {
                    breached: match t.first_response_at {
                        Some(r) => r > t.sla_due_at,
                        None => now > t.sla_due_at && st.is_current() && !t.sla_paused,
                    },
                    paused: t.sla_paused && t.first_response_at.is_none(),
                    escalation_level: t.escalation_level,
                    responded: t.first_response_at.is_some(),
                    status_label: st.label().into(),
                    id: t.id,
                    status: t.status,
                    priority: t.priority,
                    customer,
                    subject: t.subject,
                    assignee,
                    flagged: t.flagged,
                    sla_due_at: t.sla_due_at,
                    updated_at: t.updated_at,
                }
            })
            .collect())
    })
    .await
}

/// The ticket after `id` in the staff queue by due time (the current tickets, soonest
/// due first), wrapping to the first; none for customers or an empty queue. What the
/// ticket page's "next ticket" (and its `n` key) opens.
pub async fn next_in_queue(db: &Db, user: &AuthUser, id: i64) -> Result<Option<i64>, AppError> {
    if !access(user)?.is_staff() {
        return Ok(None);
    }
    db.read(move |c| {
        let open = || {
            tickets::table
                .filter(tickets::status.ne_all(vec!["closed", "archived"]))
                .filter(tickets::id.ne(id))
                .select(tickets::id)
                .order((tickets::sla_due_at.asc(), tickets::id.asc()))
                .into_boxed()
        };
        let due: Option<chrono::NaiveDateTime> = tickets::table
            .find(id)
            .select(tickets::sla_due_at)
            .first(c)
            .optional()?;
        // Two walks of the (due, id) index rather than one with an OR, which both
        // databases answer by sorting every ticket due at the same time (with a
        // business-day target, most of a day's tickets).
        let after = match due {
            Some(due) => match open()
                .filter(tickets::sla_due_at.eq(due).and(tickets::id.gt(id)))
                .first::<i64>(c)
                .optional()?
            {
                Some(next) => Some(next),
                None => open()
                    .filter(tickets::sla_due_at.gt(due))
                    .first::<i64>(c)
                    .optional()?,
            },
            None => None,
        };
        Ok(match after {
            Some(next) => Some(next),
            None => open().first::<i64>(c).optional()?,
        })
    })
    .await
}
