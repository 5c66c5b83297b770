//! Escalating a case: on a ticket whose plan offers it (Enterprise, or any plan an admin
//! allows), an authorized contact presses Escalate with a reason. The ticket's
//! escalation level goes up by one, the reason goes in its log, the organization's
//! customer success manager and the Support team are mailed, and the ticket stands in
//! the escalations queue until it is closed. The reader is shown the plan's hotline.
//! Customers whose plan does not offer it are shown how to reach their account team.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::ticket_status::Status;
use super::tickets::{event, visible};
use super::{Access, access};
use crate::db::locks::{Row, lock};
use crate::db::models::Ticket;
use crate::db::schema::{organizations, ticket_events, tickets, users};
use crate::db::{AnyConnection, Db, now};
use crate::error::AppError;
use crate::mail::{Mail, MailContext, mailbox};
use crate::web::AuthUser;

/// How long after an escalation the ticket may be escalated again.
pub const REPEAT_AFTER: chrono::Duration = chrono::Duration::minutes(30);

/// Why the case is escalated.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct CaseEscalationInput {
    /// 10 to 2,000 characters: what is at stake, and since when.
    #[schema(min_length = 10, max_length = 2000)]
    #[serde(default)]
    pub reason: String,
}

/// A person to reach: name and address.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Reach {
    pub name: String,
    pub email: String,
}

/// What a ticket's reader sees of escalation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EscalationView {
    /// How many times it was escalated (0: never).
    pub level: i64,
    #[serde(serialize_with = "crate::web::time::utc_opt")]
    pub escalated_at: Option<NaiveDateTime>,
    /// Its plan offers escalation.
    pub offered: bool,
    /// The reader may press Escalate now (offered, and the ticket is not closed).
    pub can_escalate: bool,
    /// The plan's emergency hotline, when it offers escalation.
    pub hotline: Option<String>,
    /// The organization's customer success manager, when one is named.
    pub account_team: Option<Reach>,
}

/// The organization's customer success manager.
pub fn success_manager(c: &mut AnyConnection, organization_id: i64) -> Result<Option<Reach>, AppError> {
    Ok(organizations::table
        .inner_join(users::table.on(organizations::success_manager_id.eq(users::id.nullable())))
        .filter(organizations::id.eq(organization_id))
        // Someone named once and no longer staff is nobody's manager.
        .filter(users::role.eq_any(["staff", "admin"]))
        .select((users::display_name, users::email))
        .first::<(String, String)>(c)
        .optional()?
        .map(|(name, email)| Reach { name, email }))
}

/// The escalation part of a ticket's page.
pub fn view(
    c: &mut AnyConnection,
    t: &Ticket,
    plan: &super::plans::PlanSummary,
) -> Result<EscalationView, AppError> {
    let st = Status::parse(&t.status).unwrap_or(Status::Open);
    let open = !matches!(st, Status::Closed | Status::Archived);
    Ok(EscalationView {
        level: t.escalation_level,
        escalated_at: t.escalated_at,
        offered: plan.escalation,
        can_escalate: plan.escalation && open,
        hotline: plan.escalation.then(|| plan.hotline.clone()),
        account_team: success_manager(c, t.organization_id)?,
    })
}

/// Escalates a ticket (its authorized contacts, or staff on their behalf); returns its
/// new level.
pub async fn escalate(
    db: &Db,
    mailing: &MailContext,
    user: &AuthUser,
    id: i64,
    input: CaseEscalationInput,
) -> Result<i64, AppError> {
    let who = access(user)?;
    let reason = input.reason.trim().replace("\r\n", "\n");
    let n = reason.chars().count();
    if !(10..=2000).contains(&n) {
        return Err(AppError::field(
            "reason",
            "Say in 10 to 2,000 characters why this needs escalating: what is at stake, and since when.",
        ));
    }
    let html = crate::forum::prerender(db, &reason).await?.html;
    let me = user.id;
    let notices = mailing.clone();
    db.write(move |c| {
        lock(c, Row::Ticket(id))?;
        let t = visible(c, who, id)?;
        let st = super::workflow::not_archived(&t)?;
        if st == Status::Closed {
            return Err(AppError::Conflict(
                "This ticket is closed: open a follow-up ticket, and escalate that one.".into(),
            ));
        }
        let plan = super::plans::summary(c, t.plan_id)?;
        if !plan.escalation {
            let how = match success_manager(c, t.organization_id)? {
                Some(r) => format!("reach your account team: {} ({})", r.name, r.email),
                None => "reach your account team".into(),
            };
            return Err(AppError::Forbidden(format!(
                "The {} plan does not include escalating a case; {how}.",
                plan.name
            )));
        }
        // One escalation reaches everyone it must; pressing again within the half hour
        // would only mail them again.
        if let Some(at) = t.escalated_at {
            let since = now() - at;
            if since < REPEAT_AFTER {
                return Err(AppError::Conflict(format!(
                    "This ticket was escalated {} minutes ago and your account team and Support \
                     are on it; for an emergency, call {}.",
                    since.num_minutes().max(1),
                    plan.hotline
                )));
            }
        }
        let level = t.escalation_level + 1;
        diesel::update(tickets::table.find(id))
            .set((
                tickets::escalation_level.eq(level),
                tickets::escalated_at.eq(now()),
                tickets::updated_at.eq(now()),
            ))
            .execute(c)?;
        let level_text = level.to_string();
        let e = event(
            c,
            id,
            Some(me),
            "escalated",
            true,
            Some(&t.escalation_level.to_string()),
            Some(&level_text),
            Some((&reason, html.as_str())),
        )?;
        super::ticket_mail::queue(c, &notices, e)?;
        queue_mail(c, &notices, e, &t, level, &reason, &plan.hotline)?;
        Ok(level)
    })
    .await
}

#[derive(Serialize)]
struct MailView<'a> {
    name: &'a str,
    actor: &'a str,
    level: i64,
    reason: &'a str,
    ticket_id: i64,
    subject: &'a str,
    customer: &'a str,
    priority: &'a str,
    hotline: &'a str,
    link: String,
    queue: String,
}

/// Mails an escalation to the organization's customer success manager and to the
/// Support team (its members and its list address), once per address.
fn queue_mail(
    c: &mut AnyConnection,
    notices: &MailContext,
    event_id: i64,
    t: &Ticket,
    level: i64,
    reason: &str,
    hotline: &str,
) -> Result<(), AppError> {
    let customer: String = organizations::table
        .find(t.organization_id)
        .select(organizations::name)
        .first(c)?;
    let actor: String = ticket_events::table
        .inner_join(users::table.on(users::id.nullable().eq(ticket_events::actor_id)))
        .filter(ticket_events::id.eq(event_id))
        .select(users::display_name)
        .first(c)?;
    let mut to: Vec<(String, String)> = success_manager(c, t.organization_id)?
        .map(|r| (r.name, r.email))
        .into_iter()
        .collect();
    to.extend(crate::admin::teams::team_recipients(c, "support")?);
    let mut seen = std::collections::BTreeSet::new();
    to.retain(|(_, a)| seen.insert(a.to_lowercase()));
    let host = notices.host();
    for (name, address) in to {
        let Ok(mbox) = mailbox(&name, &address) else {
            continue;
        };
        let view = MailView {
            name: &name,
            actor: &actor,
            level,
            reason,
            ticket_id: t.id,
            subject: &t.subject,
            customer: &customer,
            priority: &t.priority,
            hotline,
            link: notices.url(&format!("/portal/tickets/{}", t.id)),
            queue: notices.url("/portal/escalations"),
        };
        let mut mail = Mail::from_templates(&notices.templates, "escalation", mbox, &view)
            .map_err(AppError::Internal)?;
        mail.in_reply_to = Some(format!("<ticket-{}@{host}>", t.id));
        let key = format!("ticket-escalation:{event_id}:{}", address.to_lowercase());
        crate::outbox::enqueue(c, &key, &mail)?;
    }
    Ok(())
}

/// One escalated ticket in the queue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EscalatedTicket {
    pub id: i64,
    pub subject: String,
    pub customer: String,
    pub priority: String,
    pub status: String,
    pub status_label: String,
    pub level: i64,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub escalated_at: NaiveDateTime,
    /// The reason given last.
    pub reason: Option<String>,
    /// The organization's customer success manager, if named.
    pub success_manager: Option<String>,
    /// The reader is that success manager.
    pub mine: bool,
}

/// Escalated tickets not closed yet, the latest escalation first (staff).
pub async fn queue(db: &Db, user: &AuthUser) -> Result<Vec<EscalatedTicket>, AppError> {
    if access(user)? != Access::Staff {
        return Err(AppError::forbidden("The escalations queue is for staff."));
    }
    let me = user.id;
    db.read(move |c| {
        type R = (
            i64,
            String,
            String,
            String,
            String,
            i64,
            Option<NaiveDateTime>,
            Option<i64>,
        );
        let rows: Vec<R> = tickets::table
            .inner_join(organizations::table)
            .filter(tickets::escalation_level.gt(0))
            .filter(tickets::status.ne_all(["closed", "archived"]))
            .order((tickets::escalated_at.desc(), tickets::id.desc()))
            .limit(200)
            .select((
                tickets::id,
                tickets::subject,
                organizations::name,
                tickets::priority,
                tickets::status,
                tickets::escalation_level,
                tickets::escalated_at,
                organizations::success_manager_id,
            ))
            .load(c)?;
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let mut reasons: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
        let found: Vec<(i64, Option<String>)> = ticket_events::table
            .filter(ticket_events::ticket_id.eq_any(&ids))
            .filter(ticket_events::kind.eq("escalated"))
            .order(ticket_events::id.asc())
            .select((ticket_events::ticket_id, ticket_events::body_markdown))
            .load(c)?;
        for (t, r) in found {
            if let Some(r) = r {
                reasons.insert(t, r);
            }
        }
        let managers: Vec<i64> = rows.iter().filter_map(|r| r.7).collect();
        let names: std::collections::HashMap<i64, String> = users::table
            .filter(users::id.eq_any(managers))
            .select((users::id, users::display_name))
            .load::<(i64, String)>(c)?
            .into_iter()
            .collect();
        Ok(rows
            .into_iter()
            .map(|(id, subject, customer, priority, status, level, at, manager)| {
                let st = Status::parse(&status).unwrap_or(Status::Open);
                EscalatedTicket {
                    reason: reasons.remove(&id),
                    success_manager: manager.and_then(|m| names.get(&m).cloned()),
                    mine: manager == Some(me),
                    id,
                    subject,
                    customer,
                    priority,
                    status_label: st.label().into(),
                    status,
                    level,
                    escalated_at: at.unwrap_or_default(),
                }
            })
            .collect())
    })
    .await
}
