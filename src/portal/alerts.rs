//! SLA alerts: an hour before a ticket's first response is due, and when it is
//! breached, the assignee and the support team (every staff member) are mailed, once
//! for each due time (a priority change sets a new one).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{organizations, tickets, users};
use crate::db::{Db, now};
use crate::error::AppError;
use crate::mail::MailContext;
use crate::mail::{Mail, mailbox};

/// How long before the due time the first alert goes.
pub const WARN_BEFORE: chrono::Duration = chrono::Duration::hours(1);
/// Breaches older than this are not looked at again (their alert went long ago).
const LOOK_BACK: chrono::Duration = chrono::Duration::days(2);

#[derive(Serialize)]
struct View<'a> {
    name: &'a str,
    breached: bool,
    minutes: i64,
    ticket_id: i64,
    subject: &'a str,
    customer: &'a str,
    priority: &'a str,
    assignee: Option<&'a str>,
    link: String,
}

/// Queues the alerts now due; returns how many messages were queued.
pub async fn run(db: &Db, notices: MailContext) -> Result<usize, AppError> {
    db.write(move |c| {
        // One node a round; the outbox key keeps an alert from going twice anyway.
        if !crate::db::locks::take_job(c, crate::db::locks::Job::SlaAlerts)? {
            return Ok(0);
        }
        let at = now();
        type Row = (i64, String, String, String, NaiveDateTime, Option<i64>);
        let due: Vec<Row> = tickets::table
            .inner_join(organizations::table)
            .filter(tickets::first_response_at.is_null())
            .filter(tickets::sla_paused.eq(false))
            .filter(tickets::status.ne_all(vec!["closed", "archived"]))
            .filter(tickets::sla_due_at.le(at + WARN_BEFORE))
            .filter(tickets::sla_due_at.gt(at - LOOK_BACK))
            .select((
                tickets::id,
                tickets::subject,
                tickets::priority,
                organizations::name,
                tickets::sla_due_at,
                tickets::assignee_id,
            ))
            .load(c)?;
        if due.is_empty() {
            return Ok(0);
        }
        let staff: Vec<(i64, String, String)> = users::table
            .filter(users::role.eq_any(["staff", "admin"]))
            .select((users::id, users::display_name, users::email))
            .load(c)?;
        let mut queued = 0;
        for (id, subject, priority, customer, due_at, assignee) in due {
            let breached = at >= due_at;
            let kind = if breached { "breach" } else { "warning" };
            let assignee_name = assignee
                .and_then(|a| staff.iter().find(|s| s.0 == a))
                .map(|s| s.1.as_str());
            let link = notices
                .base_url
                .join(&format!("/portal/tickets/{id}"))
                .map(|u| u.to_string())
                .unwrap_or_default();
            for (user_id, name, email) in &staff {
                let Ok(to) = mailbox(name, email) else { continue };
                let view = View {
                    name,
                    breached,
                    minutes: (due_at - at).num_minutes().abs(),
                    ticket_id: id,
                    subject: &subject,
                    customer: &customer,
                    priority: &priority,
                    assignee: assignee_name,
                    link: link.clone(),
                };
                let mut mail = Mail::from_templates(&notices.templates, "sla_alert", to, &view)
                    .map_err(AppError::Internal)?;
                let host = notices.base_url.host_str().unwrap_or("parley");
                mail.in_reply_to = Some(format!("<ticket-{id}@{host}>"));
                let key = format!("sla-{kind}:{id}:{}:{user_id}", due_at.and_utc().timestamp());
                if crate::outbox::enqueue(c, &key, &mail)? {
                    queued += 1;
                }
            }
        }
        Ok(queued)
    })
    .await
}
