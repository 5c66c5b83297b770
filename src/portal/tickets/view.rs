//! One ticket as its page and the API show it: log, SLA clock, files, links.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::AnyConnection;
use crate::db::models::{Ticket, TicketEvent};
use crate::db::schema::{applications, environments, keywords, organizations, ticket_events, users};
use crate::error::AppError;
use crate::markdown::SafeHtml;
use crate::portal::access;
use crate::portal::sla::{self, Priority};
use crate::portal::ticket_status::Status;
use crate::web::AuthUser;

use super::*;
use crate::db::Db;

/// Who wrote an event, when a person did: name, role and picture.
type Actor = (Option<String>, Option<String>, Option<String>);

/// One event as a reader sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub kind: String,
    pub public: bool,
    pub actor: Option<String>,
    /// Who acted, by id (none: Parley itself).
    pub actor_id: Option<i64>,
    /// The address of their picture, if they chose one.
    pub actor_avatar: Option<String>,
    pub actor_is_staff: bool,
    pub from_value: Option<String>,
    pub to_value: Option<String>,
    #[schema(value_type = Option<String>)]
    pub body_html: Option<SafeHtml>,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
}

/// The SLA as both sides see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SlaView {
    #[serde(serialize_with = "crate::web::time::utc")]
    pub due: NaiveDateTime,
    #[serde(serialize_with = "crate::web::time::utc_opt")]
    pub responded_at: Option<NaiveDateTime>,
    pub breached: bool,
    /// Minutes left before the due time (negative when past), until a response.
    pub minutes_left: Option<i64>,
    /// The target in words, such as "1 business day".
    pub promise: String,
    /// The target of the ticket's priority under its plan: an amount and a unit
    /// (minutes, hours, business_hours, business_days).
    pub target_amount: i64,
    pub target_unit: String,
    /// The clock stands still while the ticket is in a status its plan pauses in; the
    /// due time is then when it would be due if the clock ran again now.
    pub paused: bool,
    /// While paused: the minutes of the target still to run (working minutes for a
    /// business target).
    pub paused_left_minutes: Option<i64>,
}

/// A named choice (environment, application, keyword, staff member, status).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Choice {
    pub id: String,
    pub name: String,
}

/// A ticket page: the ticket, its log, its SLA, and what this reader may do.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketView {
    pub ticket: Ticket,
    #[schema(value_type = String)]
    pub description_html: SafeHtml,
    pub status_label: String,
    pub customer: String,
    pub requester: String,
    /// The address of the requester's picture, if they chose one.
    pub requester_avatar: Option<String>,
    pub assignee: Option<String>,
    pub environment: Option<String>,
    pub application: Option<String>,
    pub keyword: Option<String>,
    pub events: Vec<EventView>,
    pub sla: SlaView,
    /// The plan it was filed under, and what that plan offers.
    pub plan: crate::portal::plans::PlanSummary,
    /// Its escalation level, and whether the reader may escalate it.
    pub escalation: crate::portal::case_escalation::EscalationView,
    /// The statuses this reader may move the ticket to.
    pub next_statuses: Vec<Choice>,
    pub staff: bool,
    /// Staff: who the ticket may be assigned to.
    pub assignees: Vec<Choice>,
    /// Archived tickets take no more changes.
    pub archived: bool,
    pub attachments: Vec<crate::portal::attachments::AttachmentView>,
    /// Whether the reader follows the ticket (hears of its events by mail).
    pub following: bool,
    /// The community question this ticket was escalated from.
    pub community: Option<CommunityLink>,
    /// Staff may start a Knowledge Share article from it (it is solved or closed).
    pub can_write_article: bool,
    /// The reader is the requester of a ticket by mail whose sender was not verified,
    /// and may confirm they sent it.
    pub can_confirm_sender: bool,
}

/// The community question behind a ticket.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommunityLink {
    pub topic_id: i64,
    pub title: String,
    /// Staff may publish the solution back to it now (the ticket is solved or closed).
    pub publishable: bool,
}

/// A ticket with its log, for someone who may see it.
pub async fn get(db: &Db, user: &AuthUser, id: i64) -> Result<TicketView, AppError> {
    let who = access(user)?;
    let me = user.id;
    db.read(move |c| {
        let t = visible(c, who, id)?;
        let events: Vec<(TicketEvent, Actor)> = ticket_events::table
            .left_join(users::table.on(users::id.nullable().eq(ticket_events::actor_id)))
            .filter(ticket_events::ticket_id.eq(id))
            .order(ticket_events::id.asc())
            .select((
                TicketEvent::as_select(),
                (
                    users::display_name.nullable(),
                    users::role.nullable(),
                    users::avatar_sha256.nullable(),
                ),
            ))
            .load(c)?;
        let terms = crate::portal::plans::terms(c, t.plan_id, t.organization_id)?;
        let sla_events = crate::portal::plans::sla_events(
            &t,
            events.iter().map(|(e, (_, role, _))| {
                (
                    e.kind.as_str(),
                    e.public,
                    e.to_value.as_deref(),
                    e.created_at,
                    role.as_deref(),
                )
            }),
        );
        let now = Utc::now();
        let priority = Priority::parse(&t.priority).unwrap_or(Priority::Normal);
        let sla = sla::evaluate(&terms, &sla_events, now).unwrap_or(sla::Sla {
            priority,
            due: t.sla_due_at.and_utc(),
            responded_at: None,
            breached: false,
            paused: t.sla_paused,
            remaining: None,
        });
        let target = terms.target(sla.priority);
        let plan = crate::portal::plans::summary(c, t.plan_id)?;
        let escalation = crate::portal::case_escalation::view(c, &t, &plan)?;
        let mut names = |ids: Vec<Option<i64>>| -> Result<HashMap<i64, String>, AppError> {
            let ids: Vec<i64> = ids.into_iter().flatten().collect();
            Ok(users::table
                .filter(users::id.eq_any(ids))
                .select((users::id, users::display_name))
                .load::<(i64, String)>(c)?
                .into_iter()
                .collect())
        };
        let people = names(vec![Some(t.requester_id), t.assignee_id])?;
        let requester_avatar = crate::accounts::pictures::of(c, t.requester_id)?;
        let customer: String = organizations::table
            .find(t.organization_id)
            .select(organizations::name)
            .first(c)?;
        let name_of =
            |table: &str, id: Option<i64>, c: &mut AnyConnection| -> Result<Option<String>, AppError> {
                let Some(id) = id else { return Ok(None) };
                Ok(match table {
                    "environment" => environments::table
                        .find(id)
                        .select(environments::name)
                        .first(c)
                        .optional()?,
                    "application" => applications::table
                        .find(id)
                        .select(applications::name)
                        .first(c)
                        .optional()?,
                    _ => keywords::table
                        .find(id)
                        .select(keywords::name)
                        .first(c)
                        .optional()?,
                })
            };
        let environment = name_of("environment", t.environment_id, c)?;
        let application = name_of("application", t.application_id, c)?;
        let keyword = name_of("keyword", t.keyword_id, c)?;
        let assignees = if who.is_staff() {
            users::table
                .filter(users::role.eq_any(["staff", "admin"]))
                .order(users::display_name.asc())
                .select((users::id, users::display_name))
                .load::<(i64, String)>(c)?
                .into_iter()
                .map(|(id, name)| Choice {
                    id: id.to_string(),
                    name,
                })
                .collect()
        } else {
            Vec::new()
        };
        let st = Status::parse(&t.status).unwrap_or(Status::Open);
        let attachments = crate::portal::attachments::of_ticket(c, id)?;
        let following = crate::portal::followers::follows(c, id, me)?;
        let community = match crate::portal::escalate::escalated_from(c, id)? {
            Some(topic_id) => Some(CommunityLink {
                topic_id,
                title: crate::db::schema::topics::table
                    .find(topic_id)
                    .select(crate::db::schema::topics::title)
                    .first(c)?,
                publishable: who.is_staff()
                    && matches!(st, Status::SolutionProvided | Status::Closed | Status::Archived),
            }),
            None => None,
        };
        let can_write_article =
            who.is_staff() && matches!(st, Status::SolutionProvided | Status::Closed | Status::Archived);
        let can_confirm_sender = !t.sender_verified && t.requester_id == me;
        Ok(TicketView {
            attachments,
            following,
            community,
            can_write_article,
            can_confirm_sender,
            description_html: SafeHtml::from_stored(t.description_html.clone()),
            status_label: st.label().into(),
            customer,
            requester: people.get(&t.requester_id).cloned().unwrap_or_default(),
            requester_avatar,
            assignee: t.assignee_id.and_then(|a| people.get(&a).cloned()),
            environment,
            application,
            keyword,
            events: events
                .into_iter()
                .filter(|(e, _)| e.public || who.is_staff())
                .map(|(e, (actor, role, picture))| EventView {
                    actor_avatar: e
                        .actor_id
                        .zip(picture)
                        .map(|(id, sha)| crate::accounts::pictures::url(id, &sha)),
                    body_html: e.body_html.clone().map(SafeHtml::from_stored),
                    actor_is_staff: matches!(role.as_deref(), Some("staff" | "admin")),
                    actor_id: e.actor_id,
                    kind: e.kind,
                    public: e.public,
                    actor,
                    from_value: e.from_value,
                    to_value: e.to_value,
                    created_at: e.created_at,
                })
                .collect(),
            sla: SlaView {
                due: sla.due.naive_utc(),
                responded_at: sla.responded_at.map(|r| r.naive_utc()),
                breached: sla.breached,
                minutes_left: sla.left(now).map(|d| d.num_minutes()),
                promise: target.words(),
                target_amount: target.amount,
                target_unit: target.unit.as_str().into(),
                paused: sla.paused,
                paused_left_minutes: sla.remaining.map(|d| d.num_minutes()),
            },
            plan,
            escalation,
            next_statuses: next_statuses(who, &t.status),
            staff: who.is_staff(),
            assignees,
            archived: st == Status::Archived,
            ticket: t,
        })
    })
    .await
}
