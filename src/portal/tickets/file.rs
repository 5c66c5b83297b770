//! Filing a ticket: from the portal or the API, from a thread, by mail; the choices
//! it names checked against its customer.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{applications, environments, keywords, organizations, tickets};
use crate::db::{AnyConnection, now};
use crate::error::{AppError, FieldErrors};
use crate::portal::sla::{self, Priority};
use crate::portal::ticket_status::Status;
use crate::portal::{Access, access, says_production_down};
use crate::web::AuthUser;
use crate::with_backend;

use super::*;
use crate::db::Db;
use crate::mail::MailContext;

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
    db: &Db,
    mailing: &MailContext,
    user: &AuthUser,
    input: TicketInput,
    files: Vec<crate::files::Upload>,
) -> Result<Filed, AppError> {
    create_from(db, mailing, user, input, files, "web").await
}

/// Files a ticket that came by `source` (web or email).
pub async fn create_from(
    db: &Db,
    mailing: &MailContext,
    user: &AuthUser,
    input: TicketInput,
    files: Vec<crate::files::Upload>,
    source: &'static str,
) -> Result<Filed, AppError> {
    let origin = Origin {
        source,
        escalated_from: None,
        verified: true,
    };
    file(db, mailing, user, input, files, origin).await
}

/// Files a ticket that came by mail from `user`'s address. A sender the trusted
/// receiving server did not authenticate files it marked "sender not verified": never
/// Critical ("Production Down" makes it High and flagged), until the requester confirms
/// it ([`confirm_sender`]).
pub async fn create_by_mail(
    db: &Db,
    mailing: &MailContext,
    user: &AuthUser,
    input: TicketInput,
    files: Vec<crate::files::Upload>,
    verified: bool,
) -> Result<Filed, AppError> {
    let origin = Origin {
        source: "email",
        escalated_from: None,
        verified,
    };
    file(db, mailing, user, input, files, origin).await
}

/// The requester confirms they sent a ticket that came by mail from an address that was
/// not authenticated: it is marked verified, and "Production Down" in its subject now
/// makes it Critical, as if it had been authenticated on arrival.
pub async fn confirm_sender(
    db: &Db,
    mailing: &MailContext,
    user: &AuthUser,
    id: i64,
) -> Result<(), AppError> {
    let who = access(user)?;
    let me = user.id;
    let notices = mailing.clone();
    db.write(move |c| {
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
            crate::portal::workflow::change_priority(c, &notices, &t, Priority::Critical, me)?;
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
    db: &Db,
    mailing: &MailContext,
    user: &AuthUser,
    input: TicketInput,
    files: Vec<crate::files::Upload>,
    topic_id: i64,
) -> Result<Filed, AppError> {
    let origin = Origin {
        source: "escalation",
        escalated_from: Some(topic_id),
        verified: true,
    };
    file(db, mailing, user, input, files, origin).await
}

/// Where a ticket came from: the form, the API, mail or a thread's escalation.
pub(super) struct Origin {
    /// `web` (the form and the API), `email` or `escalation`, as stored.
    pub(super) source: &'static str,
    /// The thread it was escalated from.
    pub(super) escalated_from: Option<i64>,
    /// Whether the sender is who they say (mail the receiving server authenticated;
    /// always for a signed-in person).
    pub(super) verified: bool,
}

pub(super) async fn file(
    db: &Db,
    mailing: &MailContext,
    user: &AuthUser,
    input: TicketInput,
    files: Vec<crate::files::Upload>,
    origin: Origin,
) -> Result<Filed, AppError> {
    let Origin {
        source,
        escalated_from,
        verified,
    } = origin;
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
    let notices = mailing.clone();
    let html = crate::forum::prerender(db, &description).await?.html;
    let org_name = user.organization_name.clone().unwrap_or_default();
    db.write(move |c| {
        // A partner's customers file with the partner (`portal::partners`); staff still
        // file for them.
        if !who.is_staff()
            && let Some(p) = crate::portal::partners::supporting_org(c, organization_id)?
        {
            return Err(crate::portal::partners::refusal(&p, &org_name));
        }
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
        // The plan the organization is on now; the ticket keeps it.
        let plan_id: i64 = organizations::table
            .find(organization_id)
            .select(organizations::plan_id)
            .first(c)?;
        let terms = crate::portal::plans::terms(c, plan_id, organization_id)?;
        let created = now();
        let due = sla::due(&terms, created.and_utc(), priority).naive_utc();
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
            tickets::plan_id.eq(plan_id),
            tickets::created_at.eq(created),
            tickets::updated_at.eq(created),
        );
        let id: i64 = with_backend!(c, |c| diesel::insert_into(tickets::table)
            .values(values)
            .returning(tickets::id)
            .get_result(c))?;
        crate::portal::deflection::filed(
            c,
            requester,
            "ticket",
            id,
            Some(priority.as_str()),
            input.application_id,
        )?;
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
        crate::portal::followers::add(c, id, requester)?;
        // The link shows on the ticket page; the log keeps to its six kinds.
        if let Some(topic_id) = escalated_from {
            crate::portal::escalate::link_escalation(c, topic_id, id, requester)?;
        }
        crate::portal::ticket_mail::queue(c, &notices, created)?;
        crate::portal::attachments::record(c, id, requester, &files)?;
        Ok(Filed {
            id,
            priority: priority.as_str().into(),
            flagged,
        })
    })
    .await
}

/// Environment and application must be the customer's own; the keyword must exist.
pub(super) fn check_choices(
    c: &mut AnyConnection,
    organization_id: i64,
    input: &TicketInput,
) -> Result<(), AppError> {
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
