//! The portal's front page: announcements from the support team, the user's
//! organization (environments, applications, people), open tickets by status and the
//! tickets whose first response is due soonest.

use super::{Access, access};
use crate::db::schema::{announcements, applications, environments, organizations, tickets, users};
use crate::db::{AnyConnection, Db, now};
use crate::error::{AppError, FieldErrors};
use crate::markdown::SafeHtml;
use crate::web::AuthUser;
use crate::with_backend;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod notices;

pub use notices::*;

/// Tickets listed under "due soon".
const DUE_SOON: i64 = 10;

/// A person of an organization, as its contacts see them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub name: String,
    pub email: String,
    pub authorized_contact: bool,
}

/// An organization with what tickets are filed against.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrganizationView {
    pub id: i64,
    pub name: String,
    pub environments: Vec<String>,
    pub applications: Vec<String>,
    pub people: Vec<Person>,
}

/// A ticket under "due soon".
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DueTicket {
    pub id: i64,
    pub subject: String,
    pub priority: String,
    pub customer: String,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub sla_due_at: NaiveDateTime,
    /// Negative when past due.
    pub minutes_left: i64,
}

/// One status and how many open tickets are in it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatusCount {
    pub status: String,
    pub label: String,
    pub count: i64,
}

/// The dashboard.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub announcements: Vec<Announcement>,
    /// The user's organization (staff: none; they see every customer's tickets).
    pub organizations: Vec<OrganizationView>,
    /// Whether the user may file and read tickets; when not, why.
    pub portal: bool,
    pub portal_refusal: Option<String>,
    pub open_by_status: Vec<StatusCount>,
    /// Tickets still waiting for their first response, soonest due first.
    pub due_soon: Vec<DueTicket>,
    pub staff: bool,
    /// Incidents and maintenance affecting systems now (the status page).
    pub incidents: Vec<crate::status::service::IncidentView>,
    /// A customer's member: their plan, contacts, account team, partner.
    pub support: Option<crate::portal::contacts::MemberSupport>,
    /// Staff: open escalations, and contact requests waiting in their queue.
    pub open_escalations: i64,
    pub contact_requests: i64,
}

/// The dashboard for a user: announcements for everyone who reads the community; the
/// ticket parts for those who may use the portal.
pub async fn dashboard(db: &Db, user: &AuthUser) -> Result<Dashboard, AppError> {
    crate::forum::require_read(user)?;
    let who = access(user);
    let org = user.organization_id;
    let staff = user.is_staff();
    let incidents = crate::status::service::active(db).await?;
    let reader = user.clone();
    db.read(move |c| {
        let support = crate::portal::contacts::member_support(c, &reader)?;
        let (open_escalations, contact_requests) = if staff { staff_queues(c, &reader)? } else { (0, 0) };
        let announcements = load(c, false)?;
        let organizations = match (org, staff) {
            (Some(org), false) => vec![organization(c, org)?],
            _ => Vec::new(),
        };
        let (portal, portal_refusal, open_by_status, due_soon) = match who {
            Ok(who) => {
                let (open, due) = tickets_summary(c, who)?;
                (true, None, open, due)
            }
            Err(e) => (false, Some(e.to_string()), Vec::new(), Vec::new()),
        };
        Ok(Dashboard {
            announcements,
            organizations,
            portal,
            portal_refusal,
            open_by_status,
            due_soon,
            staff,
            incidents,
            support,
            open_escalations,
            contact_requests,
        })
    })
    .await
}

/// How many escalated tickets are open, and how many contact requests wait for the
/// reader (those of the organizations they manage; admins: all).
fn staff_queues(c: &mut AnyConnection, user: &AuthUser) -> Result<(i64, i64), AppError> {
    use crate::db::schema::contact_requests;
    let escalations = tickets::table
        .filter(tickets::escalation_level.gt(0))
        .filter(tickets::status.ne_all(["closed", "archived"]))
        .count()
        .get_result(c)?;
    let mut requests = contact_requests::table
        .inner_join(organizations::table.on(organizations::id.eq(contact_requests::organization_id)))
        .filter(contact_requests::decided_at.is_null())
        .into_boxed();
    if !user.is_admin() {
        requests = requests.filter(organizations::success_manager_id.eq(user.id));
    }
    Ok((escalations, requests.count().get_result(c)?))
}

fn organization(c: &mut AnyConnection, id: i64) -> Result<OrganizationView, AppError> {
    let name: String = organizations::table
        .find(id)
        .select(organizations::name)
        .first(c)?;
    let environments = environments::table
        .filter(environments::organization_id.eq(id))
        .order(environments::name.asc())
        .select(environments::name)
        .load(c)?;
    let applications = applications::table
        .filter(applications::organization_id.eq(id))
        .order(applications::name.asc())
        .select(applications::name)
        .load(c)?;
    let people = users::table
        .filter(users::organization_id.eq(id))
        .order((users::authorized_contact.desc(), users::display_name.asc()))
        .select((users::display_name, users::email, users::authorized_contact))
        .limit(200)
        .load::<(String, String, bool)>(c)?
        .into_iter()
        .map(|(name, email, authorized_contact)| Person {
            name,
            email,
            authorized_contact,
        })
        .collect();
    Ok(OrganizationView {
        id,
        name,
        environments,
        applications,
        people,
    })
}

fn tickets_summary(
    c: &mut AnyConnection,
    who: Access,
) -> Result<(Vec<StatusCount>, Vec<DueTicket>), AppError> {
    let mut counts = tickets::table
        .filter(tickets::status.ne_all(vec!["closed", "archived"]))
        .group_by(tickets::status)
        .select((tickets::status, diesel::dsl::count_star()))
        .into_boxed();
    let mut due = tickets::table
        .inner_join(organizations::table)
        .filter(tickets::status.ne_all(vec!["closed", "archived"]))
        .filter(tickets::first_response_at.is_null())
        .filter(tickets::sla_paused.eq(false))
        .order((tickets::sla_due_at.asc(), tickets::id.asc()))
        .select((
            tickets::id,
            tickets::subject,
            tickets::priority,
            organizations::name,
            tickets::sla_due_at,
        ))
        .limit(DUE_SOON)
        .into_boxed();
    if let Access::Contact { organization_id } = who {
        counts = counts.filter(tickets::organization_id.eq(organization_id));
        due = due.filter(tickets::organization_id.eq(organization_id));
    }
    let by_status: BTreeMap<String, i64> = counts.load::<(String, i64)>(c)?.into_iter().collect();
    // In the order of the workflow, not of the alphabet.
    let open = super::ticket_status::ALL
        .iter()
        .filter_map(|st| {
            by_status.get(st.as_str()).map(|n| StatusCount {
                status: st.as_str().into(),
                label: st.label().into(),
                count: *n,
            })
        })
        .collect();
    let at = now();
    let due = due
        .load::<(i64, String, String, String, NaiveDateTime)>(c)?
        .into_iter()
        .map(|(id, subject, priority, customer, sla_due_at)| DueTicket {
            minutes_left: (sla_due_at - at).num_minutes(),
            id,
            subject,
            priority,
            customer,
            sla_due_at,
        })
        .collect();
    Ok((open, due))
}
