//! Mail about ticket events, queued in the event's own transaction (see `outbox`):
//! who hears of what.
//!
//! - **created**: the requester, as a receipt with the ticket's number;
//! - **assigned**, **status**, **priority**, public **note**: the ticket's followers
//!   (the requester, unless they stopped, and whoever chose to follow) and the assignee;
//! - internal **note**: staff only (the assignee, staff followers), never a customer.
//!
//! A follower who may no longer see the ticket (no longer an authorized contact of its
//! customer) is not mailed.
//!
//! A ticket filed Critical, or raised to Critical, is also mailed to every member of
//! the team lists and to each team's list address (`admin::teams`).
//!
//! Nobody is mailed about their own action, but for the receipt. Every mail of a
//! ticket threads under one root (`In-Reply-To`/`References` `<ticket-N@host>`), and
//! its subject carries `[#N]`, which is how a reply by mail finds its ticket.

use diesel::prelude::*;
use serde::Serialize;

use super::ticket_status::Status;
use crate::db::AnyConnection;
use crate::db::models::{Ticket, TicketEvent};
use crate::db::schema::{organizations, ticket_events, tickets, users};
use crate::error::AppError;
use crate::mail::{Mail, MailContext, mailbox};

#[derive(Serialize)]
struct View<'a> {
    name: &'a str,
    actor: &'a str,
    what: String,
    note_text: Option<&'a str>,
    note_html: Option<&'a str>,
    internal: bool,
    ticket_id: i64,
    subject: &'a str,
    customer: &'a str,
    priority: &'a str,
    status: &'a str,
    link: String,
    /// The link that stops following the ticket, for followers who are not its assignee.
    unfollow: Option<String>,
}

/// A person who may be mailed: id, name, address, role, organization, authorized
/// contact.
type Person = (i64, String, String, String, Option<i64>, bool);

fn person(c: &mut AnyConnection, id: i64) -> Result<Option<Person>, AppError> {
    Ok(users::table
        .filter(users::id.eq(id))
        .select((
            users::id,
            users::display_name,
            users::email,
            users::role,
            users::organization_id,
            users::authorized_contact,
        ))
        .load(c)?
        .pop())
}

fn label(value: Option<&str>) -> String {
    value
        .map(|v| Status::parse(v).map_or_else(|| v.replace('_', " "), |s| s.label().to_string()))
        .unwrap_or_default()
}

/// Queues the mail of one ticket event, in the caller's transaction.
pub fn queue(c: &mut AnyConnection, notices: &MailContext, event_id: i64) -> Result<(), AppError> {
    let event: TicketEvent = ticket_events::table
        .find(event_id)
        .select(TicketEvent::as_select())
        .first(c)?;
    let t: Ticket = tickets::table
        .find(event.ticket_id)
        .select(Ticket::as_select())
        .first(c)?;
    let customer: String = organizations::table
        .find(t.organization_id)
        .select(organizations::name)
        .first(c)?;
    let actor = match event.actor_id {
        Some(a) => person(c, a)?,
        None => None,
    };
    let actor_name = actor.as_ref().map_or("Parley", |a| a.1.as_str()).to_string();
    let what = match event.kind.as_str() {
        "created" => "filed the ticket; we will answer it here".to_string(),
        "assigned" => match &event.to_value {
            Some(name) => format!("assigned the ticket to {name}"),
            None => "left the ticket unassigned".into(),
        },
        "status" => format!(
            "changed the status from {} to {}",
            label(event.from_value.as_deref()),
            label(event.to_value.as_deref())
        ),
        "priority" => format!(
            "changed the priority from {} to {}",
            event.from_value.as_deref().unwrap_or_default(),
            event.to_value.as_deref().unwrap_or_default()
        ),
        "note" if event.public => "wrote".into(),
        "escalated" => format!(
            "escalated the ticket (level {})",
            event.to_value.as_deref().unwrap_or("1")
        ),
        "note" => "wrote an internal note".into(),
        // Attachments and the system's archiving are not mailed.
        _ => return Ok(()),
    };
    let raised = event.kind == "priority" && event.to_value.as_deref() == Some("critical");
    if raised || (event.kind == "created" && t.priority == "critical") {
        queue_critical(c, notices, &event, &t, &customer, &actor_name, raised)?;
    }
    let mut recipients: Vec<i64> = match event.kind.as_str() {
        "created" => vec![t.requester_id],
        _ => super::followers::of_ticket(c, t.id)?,
    };
    if event.kind != "created" {
        recipients.extend(t.assignee_id);
    }
    recipients.sort_unstable();
    recipients.dedup();
    let host = notices.host();
    let link = notices.url(&format!("/portal/tickets/{}", t.id));
    for id in recipients {
        if event.kind != "created" && Some(id) == event.actor_id {
            continue;
        }
        let Some((id, name, email, role, organization, contact)) = person(c, id)? else {
            continue;
        };
        let staff = matches!(role.as_str(), "staff" | "admin");
        // Only those who may still see the ticket; internal events only to staff.
        let sees = staff || (contact && organization == Some(t.organization_id));
        if !sees || (!event.public && !staff) {
            continue;
        }
        let view = View {
            name: &name,
            actor: &actor_name,
            what: what.clone(),
            note_text: event.body_markdown.as_deref(),
            note_html: event.body_html.as_deref(),
            internal: !event.public,
            ticket_id: t.id,
            subject: &t.subject,
            customer: &customer,
            priority: &t.priority,
            status: &label(Some(&t.status)),
            link: link.clone(),
            unfollow: (Some(id) != t.assignee_id)
                .then(|| super::followers::unfollow_link(notices, t.id, id))
                .flatten(),
        };
        let Ok(to) = mailbox(&name, &email) else {
            continue;
        };
        let mut mail = Mail::from_templates(&notices.templates, "ticket_event", to, &view)
            .map_err(AppError::Internal)?;
        mail.message_id = Some(format!("<ticket-{}.{}.{}@{host}>", t.id, event.id, id));
        mail.in_reply_to = Some(format!("<ticket-{}@{host}>", t.id));
        mail.list_unsubscribe = view.unfollow.clone();
        crate::outbox::enqueue(c, &format!("ticket-event:{}:{}", event.id, id), &mail)?;
    }
    Ok(())
}

#[derive(Serialize)]
struct CriticalView<'a> {
    name: &'a str,
    actor: &'a str,
    raised: bool,
    production_down: bool,
    ticket_id: i64,
    subject: &'a str,
    customer: &'a str,
    status: String,
    due: String,
    link: String,
}

/// Mails a Critical ticket to the team lists, once per address and event.
fn queue_critical(
    c: &mut AnyConnection,
    notices: &MailContext,
    event: &TicketEvent,
    t: &Ticket,
    customer: &str,
    actor: &str,
    raised: bool,
) -> Result<(), AppError> {
    let host = notices.host();
    let link = notices.url(&format!("/portal/tickets/{}", t.id));
    for (name, address) in crate::admin::teams::critical_recipients(c)? {
        let Ok(to) = mailbox(&name, &address) else {
            continue;
        };
        let view = CriticalView {
            name: &name,
            actor,
            raised,
            production_down: super::says_production_down(&t.subject),
            ticket_id: t.id,
            subject: &t.subject,
            customer,
            status: label(Some(&t.status)),
            due: t.sla_due_at.format("%Y-%m-%d %H:%M").to_string(),
            link: link.clone(),
        };
        let mut mail = Mail::from_templates(&notices.templates, "critical_ticket", to, &view)
            .map_err(AppError::Internal)?;
        // The outbox makes the Message-ID from the event key, one per address.
        mail.in_reply_to = Some(format!("<ticket-{}@{host}>", t.id));
        let key = format!("ticket-critical:{}:{}", event.id, address.to_lowercase());
        crate::outbox::enqueue(c, &key, &mail)?;
    }
    Ok(())
}
