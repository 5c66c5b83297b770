//! The portal's front page: announcements from the support team, the user's
//! organization (environments, applications, people), open tickets by status and the
//! tickets whose first response is due soonest.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Access, access};
use crate::db::schema::{announcements, applications, environments, organizations, tickets, users};
use crate::db::{AnyConnection, Db, now};
use crate::error::{AppError, FieldErrors};
use crate::markdown::SafeHtml;
use crate::web::AuthUser;
use crate::with_backend;

/// Tickets listed under "due soon".
const DUE_SOON: i64 = 10;

/// An announcement as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Announcement {
    pub id: i64,
    pub title: String,
    pub body_markdown: String,
    #[schema(value_type = String)]
    pub body_html: SafeHtml,
    pub pinned: bool,
    /// Not shown on the dashboard after this time (UTC); none: until removed.
    #[serde(serialize_with = "crate::web::time::utc_opt")]
    pub ends_at: Option<NaiveDateTime>,
    pub author: String,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub updated_at: NaiveDateTime,
    /// Past its end date: staff still see it in the list, nobody on the dashboard.
    pub ended: bool,
}

/// What staff send to write or change an announcement.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct AnnouncementInput {
    /// 3 to 200 characters (runs of spaces count as one).
    #[serde(default)]
    #[schema(required = true, min_length = 3, max_length = 200)]
    pub title: String,
    /// Markdown, at least 2 characters, at most 65,536 bytes.
    #[serde(default)]
    #[schema(required = true, min_length = 2, max_length = 65536)]
    pub body: String,
    /// Shown above the others; `null` or left out: not pinned.
    #[serde(default, deserialize_with = "checkbox")]
    #[schema(value_type = Option<bool>)]
    pub pinned: bool,
    /// The last moment it shows, as `2026-12-24T18:00` or `2026-12-24` (UTC; a date
    /// alone means the end of that day). Blank: until removed.
    #[serde(default)]
    #[schema(pattern = "^\\s*(\\d{4}-\\d{1,2}-\\d{1,2}([T ]\\d{1,2}:\\d{1,2}(:\\d{1,2})?)?)?\\s*$")]
    pub ends_at: Option<String>,
}

/// A checkbox sends "on" (or "true"); JSON sends a boolean.
fn checkbox<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bool(bool),
        Text(String),
    }
    // A form's ticked box sends "on"; JSON sends a boolean. Anything else is a mistake
    // to say, not a silent "no".
    match Option::<Raw>::deserialize(d)? {
        None => Ok(false),
        Some(Raw::Bool(b)) => Ok(b),
        Some(Raw::Text(t)) => match t.as_str() {
            "on" | "true" => Ok(true),
            "false" => Ok(false),
            other => Err(serde::de::Error::custom(format!(
                "'{other}' is not a box's value: send true or false"
            ))),
        },
    }
}

fn parse_end(raw: Option<&str>) -> Result<Option<NaiveDateTime>, AppError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let at = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M"))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(23, 59, 59).unwrap_or_default())
        })
        .map_err(|_| {
            AppError::field(
                "ends_at",
                format!("'{raw}' is not a date: write it as 2026-12-24 or 2026-12-24T18:00."),
            )
        })?;
    Ok(Some(at))
}

/// A checked announcement: title, markdown, pinned, end.
type Checked = (String, String, bool, Option<NaiveDateTime>);

fn check(input: &AnnouncementInput) -> Result<Checked, AppError> {
    let mut errors = FieldErrors::new();
    let title = input.title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.chars().count() < 3 || input.title.chars().count() > 200 {
        errors.insert(
            "title".into(),
            vec!["Give the announcement a title of 3 to 200 characters.".into()],
        );
    }
    let body = match crate::forum::check_text(&input.body, "announcement") {
        Ok(b) => b,
        Err(AppError::Invalid { fields, .. }) => {
            errors.extend(fields);
            String::new()
        }
        Err(e) => return Err(e),
    };
    let ends_at = match parse_end(input.ends_at.as_deref()) {
        Ok(e) => e,
        Err(e) => {
            if let Some(f) = e.field_errors() {
                errors.extend(f.clone());
            }
            None
        }
    };
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    Ok((title, body, input.pinned, ends_at))
}

/// Refuses unless the user writes announcements: support staff.
pub fn require_writer(user: &AuthUser) -> Result<(), AppError> {
    if user.is_staff() {
        Ok(())
    } else {
        Err(AppError::forbidden("Only support staff write announcements."))
    }
}

/// Writes an announcement (staff).
pub async fn create(db: &Db, user: &AuthUser, input: AnnouncementInput) -> Result<i64, AppError> {
    require_writer(user)?;
    let (title, body, pinned, ends_at) = check(&input)?;
    let me = user.id;
    let html = crate::forum::prerender(db, &body).await?.html;
    db.write(move |c| {
        let at = now();
        let values = (
            announcements::title.eq(&title),
            announcements::body_markdown.eq(&body),
            announcements::body_html.eq(html.as_str()),
            announcements::pinned.eq(pinned),
            announcements::ends_at.eq(ends_at),
            announcements::author_id.eq(me),
            announcements::created_at.eq(at),
            announcements::updated_at.eq(at),
        );
        Ok(with_backend!(c, |c| diesel::insert_into(announcements::table)
            .values(values)
            .returning(announcements::id)
            .get_result::<i64>(c))?)
    })
    .await
}

/// Changes an announcement (staff): every field as sent.
pub async fn update(db: &Db, user: &AuthUser, id: i64, input: AnnouncementInput) -> Result<(), AppError> {
    require_writer(user)?;
    let (title, body, pinned, ends_at) = check(&input)?;
    let html = crate::forum::prerender(db, &body).await?.html;
    db.write(move |c| {
        let n = diesel::update(announcements::table.find(id))
            .set((
                announcements::title.eq(&title),
                announcements::body_markdown.eq(&body),
                announcements::body_html.eq(html.as_str()),
                announcements::pinned.eq(pinned),
                announcements::ends_at.eq(ends_at),
                announcements::updated_at.eq(now()),
            ))
            .execute(c)?;
        if n == 0 {
            return Err(AppError::NotFound);
        }
        Ok(())
    })
    .await
}

/// Removes an announcement (staff).
pub async fn delete(db: &Db, user: &AuthUser, id: i64) -> Result<(), AppError> {
    require_writer(user)?;
    db.write(
        move |c| match diesel::delete(announcements::table.find(id)).execute(c)? {
            0 => Err(AppError::NotFound),
            _ => Ok(()),
        },
    )
    .await
}

/// Announcements: the current ones, pinned first then newest; with `all`, staff also
/// see those that have ended.
pub fn load(c: &mut AnyConnection, all: bool) -> Result<Vec<Announcement>, AppError> {
    let at = now();
    let mut query = announcements::table
        .inner_join(users::table.on(users::id.eq(announcements::author_id)))
        .select((
            announcements::id,
            announcements::title,
            announcements::body_markdown,
            announcements::body_html,
            announcements::pinned,
            announcements::ends_at,
            users::display_name,
            announcements::created_at,
            announcements::updated_at,
        ))
        .order((announcements::pinned.desc(), announcements::created_at.desc()))
        .into_boxed();
    if !all {
        query = query.filter(announcements::ends_at.is_null().or(announcements::ends_at.gt(at)));
    }
    type Row = (
        i64,
        String,
        String,
        String,
        bool,
        Option<NaiveDateTime>,
        String,
        NaiveDateTime,
        NaiveDateTime,
    );
    let rows: Vec<Row> = query.limit(100).load(c)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, title, body_markdown, html, pinned, ends_at, author, created_at, updated_at)| {
                Announcement {
                    id,
                    title,
                    body_markdown,
                    body_html: SafeHtml::from_stored(html),
                    pinned,
                    ended: ends_at.is_some_and(|e| e <= at),
                    ends_at,
                    author,
                    created_at,
                    updated_at,
                }
            },
        )
        .collect())
}

/// Announcements for anyone signed in who reads the community; staff may ask for all.
pub async fn list(db: &Db, user: &AuthUser, all: bool) -> Result<Vec<Announcement>, AppError> {
    crate::forum::require_read(user)?;
    let all = all && user.is_staff();
    db.read(move |c| load(c, all)).await
}

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
}

/// The dashboard for a user: announcements for everyone who reads the community; the
/// ticket parts for those who may use the portal.
pub async fn dashboard(db: &Db, user: &AuthUser) -> Result<Dashboard, AppError> {
    crate::forum::require_read(user)?;
    let who = access(user);
    let org = user.organization_id;
    let staff = user.is_staff();
    let incidents = crate::status::service::active(db).await?;
    db.read(move |c| {
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
        })
    })
    .await
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
