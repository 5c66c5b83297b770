//! Filing, listing and reading tickets, and who sees which.
//!
//! - `file.rs`: filing (portal, API, thread, mail) and the choices a ticket names;
//! - `list.rs`: the lists, their filters and queues;
//! - `view.rs`: one ticket as its page and the API show it;
//! - `choices.rs`: what the forms offer.

mod choices;
mod file;
mod list;
mod view;

pub use choices::*;
pub use file::*;
pub use list::*;
pub use view::*;

use diesel::prelude::*;

use super::Access;
use crate::db::models::Ticket;
use crate::db::schema::{ticket_events, tickets};
use crate::db::{AnyConnection, now};
use crate::error::AppError;
use crate::with_backend;

/// Longest description accepted.
pub(super) const MAX_DESCRIPTION: usize = 50_000;
/// Tickets per list page.
pub const PER_PAGE: i64 = 50;

/// Adds an event to a ticket's log; returns its id.
#[expect(
    clippy::too_many_arguments,
    reason = "one event row: each argument is one of its columns"
)]
pub fn event(
    c: &mut AnyConnection,
    ticket_id: i64,
    actor: Option<i64>,
    kind: &str,
    public: bool,
    from: Option<&str>,
    to: Option<&str>,
    body: Option<(&str, &str)>,
) -> Result<i64, AppError> {
    let values = (
        ticket_events::ticket_id.eq(ticket_id),
        ticket_events::actor_id.eq(actor),
        ticket_events::kind.eq(kind),
        ticket_events::public.eq(public),
        ticket_events::from_value.eq(from),
        ticket_events::to_value.eq(to),
        ticket_events::body_markdown.eq(body.map(|b| b.0)),
        ticket_events::body_html.eq(body.map(|b| b.1)),
        ticket_events::created_at.eq(now()),
    );
    Ok(with_backend!(c, |c| diesel::insert_into(ticket_events::table)
        .values(values)
        .returning(ticket_events::id)
        .get_result::<i64>(c))?)
}

/// The ticket if `who` may see it; 404 otherwise (its existence is not confirmed).
pub fn visible(c: &mut AnyConnection, who: Access, id: i64) -> Result<Ticket, AppError> {
    let t: Ticket = tickets::table
        .find(id)
        .select(Ticket::as_select())
        .first(c)
        .optional()?
        .ok_or(AppError::NotFound)?;
    match who {
        Access::Staff => Ok(t),
        Access::Contact { organization_id } if t.organization_id == organization_id => Ok(t),
        Access::Contact { .. } => Err(AppError::NotFound),
    }
}
