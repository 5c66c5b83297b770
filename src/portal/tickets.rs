//! Filing, listing and reading tickets, and who sees which.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::sla::{self, Priority, SlaEvent};
use super::ticket_status::{self, Status};
use super::{Access, access, says_production_down};
use crate::app::AppState;
use crate::db::models::{Ticket, TicketEvent};
use crate::db::schema::{applications, environments, keywords, organizations, ticket_events, tickets, users};
use crate::db::{AnyConnection, now};
use crate::error::{AppError, FieldErrors};
use crate::markdown::SafeHtml;
use crate::web::AuthUser;
use crate::with_backend;

/// Longest description accepted.
const MAX_DESCRIPTION: usize = 50_000;
/// Tickets per list page.
pub const PER_PAGE: i64 = 50;

/// A new ticket, from the form or the API.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct TicketInput {
    /// The customer (organization id; also read as `customer`): required for staff,
    /// defaults to the contact's own organization.
    #[serde(
        default,
        alias = "customer",
        deserialize_with = "crate::web::forms::blank_as_none"
    )]
    pub organization_id: Option<i64>,
    /// critical, high or normal (in any case).
    #[serde(default)]
    #[schema(
        required = true,
        pattern = "^([Cc][Rr][Ii][Tt][Ii][Cc][Aa][Ll]|[Hh][Ii][Gg][Hh]|[Nn][Oo][Rr][Mm][Aa][Ll])$"
    )]
    pub priority: String,
    /// Also read as `environment`.
    #[serde(
        default,
        alias = "environment",
        deserialize_with = "crate::web::forms::blank_as_none"
    )]
    pub environment_id: Option<i64>,
    /// Also read as `application`.
    #[serde(
        default,
        alias = "application",
        deserialize_with = "crate::web::forms::blank_as_none"
    )]
    pub application_id: Option<i64>,
    /// Also read as `keyword`.
    #[serde(
        default,
        alias = "keyword",
        deserialize_with = "crate::web::forms::blank_as_none"
    )]
    pub keyword_id: Option<i64>,
    /// 5 to 200 characters (runs of spaces count as one).
    #[serde(default)]
    #[schema(required = true, min_length = 5, max_length = 200)]
    pub subject: String,
    /// Markdown, at least 10 characters, at most 50,000 bytes.
    #[serde(default)]
    #[schema(required = true, min_length = 10, max_length = 50000)]
    pub description: String,
    /// An archived ticket this one follows up.
    #[serde(default, deserialize_with = "crate::web::forms::blank_as_none")]
    pub follows_ticket_id: Option<i64>,
}

/// A filed ticket: its id, and what the rules made of it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Filed {
    pub id: i64,
    pub priority: String,
    /// "Production Down" from someone who is not an authorized contact.
    pub flagged: bool,
}

/// Files a ticket for an organization the user may file for, with the files uploaded
/// beside the form.
pub async fn create(
    state: &AppState,
    user: &AuthUser,
    input: TicketInput,
    files: Vec<crate::files::Upload>,
) -> Result<Filed, AppError> {
    create_from(state, user, input, files, "web").await
}

/// Files a ticket that came by `source` (web or email).
pub async fn create_from(
    state: &AppState,
    user: &AuthUser,
    input: TicketInput,
    files: Vec<crate::files::Upload>,
    source: &'static str,
) -> Result<Filed, AppError> {
    file(state, user, input, files, source, None, true).await
}

/// Files a ticket that came by mail from `user`'s address. A sender the trusted
/// receiving server did not authenticate files it marked "sender not verified": never
/// Critical ("Production Down" makes it High and flagged), until the requester confirms
/// it ([`confirm_sender`]).
pub async fn create_by_mail(
    state: &AppState,
    user: &AuthUser,
    input: TicketInput,
    files: Vec<crate::files::Upload>,
    verified: bool,
) -> Result<Filed, AppError> {
    file(state, user, input, files, "email", None, verified).await
}

/// The requester confirms they sent a ticket that came by mail from an address that was
/// not authenticated: it is marked verified, and "Production Down" in its subject now
/// makes it Critical, as if it had been authenticated on arrival.
pub async fn confirm_sender(state: &AppState, user: &AuthUser, id: i64) -> Result<(), AppError> {
    let who = access(user)?;
    let me = user.id;
    let notices = crate::mail::MailContext::of(state);
    state
        .db
        .write(move |c| {
            crate::db::locks::lock(c, crate::db::locks::Row::Ticket(id))?;
            let t = visible(c, who, id)?;
            if t.requester_id != me {
                return Err(AppError::Forbidden(
                    "Only the person a ticket was filed for confirms they sent it.".into(),
                ));
            }
            if t.sender_verified {
                return Ok(());
            }
            diesel::update(tickets::table.find(id))
                .set(tickets::sender_verified.eq(true))
                .execute(c)?;
            // Only the rule's own High is raised: not a ticket staff have set since, nor
            // one that is closed.
            let open = !matches!(Status::parse(&t.status), Some(Status::Closed | Status::Archived));
            if says_production_down(&t.subject)
                && t.flagged
                && t.priority == Priority::High.as_str()
                && open
                && !who.is_staff()
            {
                diesel::update(tickets::table.find(id))
                    .set(tickets::flagged.eq(false))
                    .execute(c)?;
                super::workflow::change_priority(c, &notices, &t, Priority::Critical, me)?;
            }
            diesel::update(tickets::table.find(id))
                .set(tickets::updated_at.eq(now()))
                .execute(c)?;
            Ok(())
        })
        .await
}

/// Files the ticket of an escalated community question and links the two in the same
/// transaction (a conflict when the question was escalated meanwhile).
pub async fn create_linked(
    state: &AppState,
    user: &AuthUser,
    input: TicketInput,
    files: Vec<crate::files::Upload>,
    topic_id: i64,
) -> Result<Filed, AppError> {
    file(state, user, input, files, "escalation", Some(topic_id), true).await
}

async fn file(
    state: &AppState,
    user: &AuthUser,
    input: TicketInput,
    files: Vec<crate::files::Upload>,
    source: &'static str,
    escalated_from: Option<i64>,
    verified: bool,
) -> Result<Filed, AppError> {
    let who = access(user)?;
    let mut errors = FieldErrors::new();
    let subject = input.subject.split_whitespace().collect::<Vec<_>>().join(" ");
    if subject.chars().count() < 5 {
        errors.insert(
            "subject".into(),
            vec!["Give the ticket a subject of at least 5 characters.".into()],
        );
    } else if subject.chars().count() > 200 || input.subject.chars().count() > 200 {
        errors.insert(
            "subject".into(),
            vec!["Keep the subject under 200 characters.".into()],
        );
    }
    let description = input.description.replace("\r\n", "\n");
    if description.trim().chars().count() < 10 {
        errors.insert(
            "description".into(),
            vec!["Describe the problem in at least 10 characters: what happened, what you expected.".into()],
        );
    } else if description.len() > MAX_DESCRIPTION {
        errors.insert(
            "description".into(),
            vec!["The description is too long: attach logs as files.".into()],
        );
    }
    let chosen = Priority::parse(&input.priority);
    if chosen.is_none() {
        errors.insert("priority".into(), vec!["Choose Critical, High or Normal.".into()]);
    }
    let organization_id = match (who, input.organization_id) {
        (Access::Contact { organization_id }, None) => Some(organization_id),
        (Access::Contact { organization_id }, Some(o)) if o == organization_id => Some(o),
        (Access::Contact { .. }, Some(_)) => {
            errors.insert(
                "organization_id".into(),
                vec!["You can file tickets for your own organization only.".into()],
            );
            None
        }
        (Access::Staff, Some(o)) => Some(o),
        (Access::Staff, None) => {
            errors.insert(
                "organization_id".into(),
                vec!["Choose the customer this ticket is for.".into()],
            );
            None
        }
    };
    let (Some(organization_id), Some(chosen), true) = (organization_id, chosen, errors.is_empty()) else {
        return Err(AppError::Invalid {
            message: "The ticket has fields to fix.".into(),
            fields: errors,
        });
    };
    // "Production Down": Critical from an authorized contact whose sending is known;
    // from anyone else High, and flagged for staff to look at first.
    let (priority, flagged) = match (says_production_down(&subject), who) {
        (true, Access::Contact { .. }) if verified => (Priority::Critical, false),
        (true, _) => (Priority::High, true),
        (false, _) => (chosen, false),
    };
    let requester = user.id;
    let notices = crate::mail::MailContext::of(state);
    let html = crate::forum::prerender(state, &description).await?.html;
    state
        .db
        .write(move |c| {
            check_choices(c, organization_id, &input)?;
            if let Some(prior) = input.follows_ticket_id {
                let t = visible(c, who, prior).map_err(|_| {
                    AppError::field(
                        "follows_ticket_id",
                        format!("There is no ticket #{prior} you can see."),
                    )
                })?;
                if t.organization_id != organization_id {
                    return Err(AppError::field(
                        "follows_ticket_id",
                        "A follow-up belongs to the same customer as the ticket it follows.",
                    ));
                }
            }
            let (_, calendar) = super::calendar::load(c)?;
            let created = now();
            let due = sla::due(&calendar, created.and_utc(), priority).naive_utc();
            let values = (
                tickets::organization_id.eq(organization_id),
                tickets::requester_id.eq(requester),
                tickets::priority.eq(priority.as_str()),
                tickets::status.eq(Status::Open.as_str()),
                tickets::environment_id.eq(input.environment_id),
                tickets::application_id.eq(input.application_id),
                tickets::keyword_id.eq(input.keyword_id),
                tickets::subject.eq(&subject),
                tickets::description_markdown.eq(&description),
                tickets::description_html.eq(html.as_str()),
                tickets::source.eq(source),
                tickets::flagged.eq(flagged),
                tickets::sender_verified.eq(verified),
                tickets::follows_ticket_id.eq(input.follows_ticket_id),
                tickets::sla_due_at.eq(due),
                tickets::created_at.eq(created),
                tickets::updated_at.eq(created),
            );
            let id: i64 = with_backend!(c, |c| diesel::insert_into(tickets::table)
                .values(values)
                .returning(tickets::id)
                .get_result(c))?;
            let created = event(
                c,
                id,
                Some(requester),
                "created",
                true,
                None,
                Some(priority.as_str()),
                None,
            )?;
            super::followers::add(c, id, requester)?;
            // The link shows on the ticket page; the log keeps to its six kinds.
            if let Some(topic_id) = escalated_from {
                super::escalate::link_escalation(c, topic_id, id, requester)?;
            }
            super::ticket_mail::queue(c, &notices, created)?;
            super::attachments::record(c, id, requester, &files)?;
            Ok(Filed {
                id,
                priority: priority.as_str().into(),
                flagged,
            })
        })
        .await
}

/// Environment and application must be the customer's own; the keyword must exist.
fn check_choices(c: &mut AnyConnection, organization_id: i64, input: &TicketInput) -> Result<(), AppError> {
    // Staff choose the customer by id: one that names nothing is theirs to fix.
    let customers: i64 = organizations::table
        .filter(organizations::id.eq(organization_id))
        .count()
        .get_result(c)?;
    if customers == 0 {
        return Err(AppError::field(
            "organization_id",
            format!("There is no customer {organization_id}: choose one from the list."),
        ));
    }
    // How many of the chosen ids name a row this customer may use: 0 means refused.
    let env = input.environment_id.map(|e| {
        environments::table
            .filter(
                environments::id
                    .eq(e)
                    .and(environments::organization_id.eq(organization_id)),
            )
            .count()
            .get_result::<i64>(c)
    });
    let app = input.application_id.map(|a| {
        applications::table
            .filter(
                applications::id
                    .eq(a)
                    .and(applications::organization_id.eq(organization_id)),
            )
            .count()
            .get_result::<i64>(c)
    });
    let kw = input.keyword_id.map(|k| {
        keywords::table
            .filter(keywords::id.eq(k))
            .count()
            .get_result::<i64>(c)
    });
    for (found, field, message) in [
        (
            env,
            "environment_id",
            "Choose one of this customer's environments.",
        ),
        (
            app,
            "application_id",
            "Choose one of this customer's applications.",
        ),
        (kw, "keyword_id", "Choose one of the listed keywords."),
    ] {
        if found.transpose()? == Some(0) {
            return Err(AppError::field(field, message));
        }
    }
    Ok(())
}

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
    pub responded: bool,
    pub breached: bool,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub updated_at: NaiveDateTime,
}

/// A list of tickets the user may see.
pub async fn list(state: &AppState, user: &AuthUser, q: ListQuery) -> Result<Vec<TicketRow>, AppError> {
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
    state
        .db
        .read(move |c| {
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
                            None => now > t.sla_due_at && st.is_current(),
                        },
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

/// One event as a reader sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub kind: String,
    pub public: bool,
    pub actor: Option<String>,
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
    pub promise: String,
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
    pub assignee: Option<String>,
    pub environment: Option<String>,
    pub application: Option<String>,
    pub keyword: Option<String>,
    pub events: Vec<EventView>,
    pub sla: SlaView,
    /// The statuses this reader may move the ticket to.
    pub next_statuses: Vec<Choice>,
    pub staff: bool,
    /// Staff: who the ticket may be assigned to.
    pub assignees: Vec<Choice>,
    /// Archived tickets take no more changes.
    pub archived: bool,
    pub attachments: Vec<super::attachments::AttachmentView>,
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
pub async fn get(state: &AppState, user: &AuthUser, id: i64) -> Result<TicketView, AppError> {
    let who = access(user)?;
    let me = user.id;
    state
        .db
        .read(move |c| {
            let t = visible(c, who, id)?;
            let events: Vec<(TicketEvent, Option<String>, Option<String>)> = ticket_events::table
                .left_join(users::table.on(users::id.nullable().eq(ticket_events::actor_id)))
                .filter(ticket_events::ticket_id.eq(id))
                .order(ticket_events::id.asc())
                .select((
                    TicketEvent::as_select(),
                    users::display_name.nullable(),
                    users::role.nullable(),
                ))
                .load(c)?;
            let (_, calendar) = super::calendar::load(c)?;
            let sla_events = sla_events(&t, events.iter().map(|(e, _, role)| (e, role.as_deref())));
            let now = Utc::now();
            let priority = Priority::parse(&t.priority).unwrap_or(Priority::Normal);
            let sla = sla::evaluate(&calendar, &sla_events, now).unwrap_or(sla::Sla {
                priority,
                due: t.sla_due_at.and_utc(),
                responded_at: None,
                breached: false,
            });
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
            let attachments = super::attachments::of_ticket(c, id)?;
            let following = super::followers::follows(c, id, me)?;
            let community = match super::escalate::escalated_from(c, id)? {
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
                assignee: t.assignee_id.and_then(|a| people.get(&a).cloned()),
                environment,
                application,
                keyword,
                events: events
                    .into_iter()
                    .filter(|(e, _, _)| e.public || who.is_staff())
                    .map(|(e, actor, role)| EventView {
                        body_html: e.body_html.clone().map(SafeHtml::from_stored),
                        actor_is_staff: matches!(role.as_deref(), Some("staff" | "admin")),
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
                    promise: sla.priority.promise().into(),
                },
                next_statuses: next_statuses(who, &t.status),
                staff: who.is_staff(),
                assignees,
                archived: st == Status::Archived,
                ticket: t,
            })
        })
        .await
}

/// The events of a ticket that its SLA depends on: its creation (with the priority it
/// was filed with), priority changes, and public notes by staff.
pub fn sla_events<'a>(
    t: &Ticket,
    events: impl Iterator<Item = (&'a TicketEvent, Option<&'a str>)>,
) -> Vec<SlaEvent> {
    let mut out = Vec::new();
    for (e, role) in events {
        let at = e.created_at.and_utc();
        match e.kind.as_str() {
            "created" => out.push(SlaEvent::Created {
                at,
                priority: e
                    .to_value
                    .as_deref()
                    .and_then(Priority::parse)
                    .unwrap_or(Priority::Normal),
            }),
            "priority" => {
                if let Some(to) = e.to_value.as_deref().and_then(Priority::parse) {
                    out.push(SlaEvent::PriorityChanged { at, to });
                }
            }
            "note" if e.public && matches!(role, Some("staff" | "admin")) => {
                out.push(SlaEvent::StaffResponse { at })
            }
            _ => {}
        }
    }
    if !out.iter().any(|e| matches!(e, SlaEvent::Created { .. })) {
        out.push(SlaEvent::Created {
            at: t.created_at.and_utc(),
            priority: Priority::parse(&t.priority).unwrap_or(Priority::Normal),
        });
    }
    out
}

/// What the new-ticket form offers: customers, environments, applications, keywords.
#[derive(Debug, Clone, Serialize)]
pub struct FormChoices {
    pub organizations: Vec<Choice>,
    pub environments: Vec<Choice>,
    pub applications: Vec<Choice>,
    pub keywords: Vec<Choice>,
}

/// The choices of the new-ticket form for this user.
pub async fn choices(state: &AppState, user: &AuthUser) -> Result<FormChoices, AppError> {
    let who = access(user)?;
    state
        .db
        .read(move |c| {
            let orgs: Vec<(i64, String)> = match who {
                Access::Contact { organization_id } => organizations::table
                    .filter(organizations::id.eq(organization_id))
                    .select((organizations::id, organizations::name))
                    .load(c)?,
                Access::Staff => organizations::table
                    .filter(organizations::status.eq("approved"))
                    .order(organizations::name.asc())
                    .select((organizations::id, organizations::name))
                    .load(c)?,
            };
            let ids: Vec<i64> = orgs.iter().map(|(id, _)| *id).collect();
            let label = |org: i64, name: String| {
                if ids.len() > 1 {
                    let o = orgs
                        .iter()
                        .find(|(id, _)| *id == org)
                        .map(|(_, n)| n.as_str())
                        .unwrap_or("");
                    format!("{o}: {name}")
                } else {
                    name
                }
            };
            let environments = environments::table
                .filter(environments::organization_id.eq_any(&ids))
                .order(environments::name.asc())
                .select((
                    environments::id,
                    environments::organization_id,
                    environments::name,
                ))
                .load::<(i64, i64, String)>(c)?
                .into_iter()
                .map(|(id, org, name)| Choice {
                    id: id.to_string(),
                    name: label(org, name),
                })
                .collect();
            let applications = applications::table
                .filter(applications::organization_id.eq_any(&ids))
                .order(applications::name.asc())
                .select((
                    applications::id,
                    applications::organization_id,
                    applications::name,
                ))
                .load::<(i64, i64, String)>(c)?
                .into_iter()
                .map(|(id, org, name)| Choice {
                    id: id.to_string(),
                    name: label(org, name),
                })
                .collect();
            let keywords = keywords::table
                .order(keywords::name.asc())
                .select((keywords::id, keywords::name))
                .load::<(i64, String)>(c)?
                .into_iter()
                .map(|(id, name)| Choice {
                    id: id.to_string(),
                    name,
                })
                .collect();
            Ok(FormChoices {
                organizations: orgs
                    .into_iter()
                    .map(|(id, name)| Choice {
                        id: id.to_string(),
                        name,
                    })
                    .collect(),
                environments,
                applications,
                keywords,
            })
        })
        .await
}

/// The statuses the user may move a ticket to: what the Update Status menu offers.
pub fn next_statuses(who: Access, status: &str) -> Vec<Choice> {
    let from = Status::parse(status).unwrap_or(Status::Open);
    ticket_status::targets(who.actor(), from)
        .into_iter()
        .map(|s| Choice {
            id: s.as_str().into(),
            name: s.label().into(),
        })
        .collect()
}

/// The statuses the user may move ticket `id` to (one query, not the whole page).
pub async fn transitions(state: &AppState, user: &AuthUser, id: i64) -> Result<Vec<Choice>, AppError> {
    let who = access(user)?;
    let t = state.db.read(move |c| visible(c, who, id)).await?;
    Ok(next_statuses(who, &t.status))
}
