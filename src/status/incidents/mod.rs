//! Writing the status page: components (admins), incidents and maintenance with
//! their updates (staff), each update mailed to subscribers in its transaction.

use super::service::{
    ComponentView, INCIDENT_STATES, IncidentView, MAINTENANCE_STATES, Which, build_page, is_final,
    load_incidents,
};
use crate::app::AppState;
use crate::db::schema::{incident_components, incident_updates, incidents, status_components};
use crate::db::{AnyConnection, Db, ResultExt, now};
use crate::error::{AppError, FieldErrors};
use crate::mail::MailContext;
use crate::web::AuthUser;
use crate::with_backend;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

mod component_admin;

pub use component_admin::*;

/// A new incident or maintenance window (staff).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct NewIncident {
    /// 3 to 200 characters.
    #[serde(default)]
    #[schema(required = true, min_length = 3, max_length = 200)]
    pub title: String,
    /// `incident` (default) or `maintenance`.
    #[serde(default)]
    #[schema(pattern = "^\\s*(incident|maintenance|)\\s*$")]
    pub kind: String,
    /// An incident's: `degraded`, `partial_outage` or `major_outage`. Left out for
    /// maintenance.
    #[serde(default)]
    pub impact: String,
    /// Slugs of the components it touches, 1 to 100.
    #[serde(default)]
    #[schema(required = true, min_items = 1, max_items = 100)]
    pub components: Vec<String>,
    /// The first update, in markdown: at least 3 characters, at most 20,000 bytes.
    #[serde(default)]
    #[schema(required = true, min_length = 3, max_length = 20000)]
    pub body: String,
    /// Maintenance: when it begins and ends (`YYYY-MM-DDTHH:MM`, UTC).
    #[serde(default)]
    #[schema(pattern = "^\\s*(\\d{4}-\\d{1,2}-\\d{1,2}T\\d{1,2}:\\d{1,2}(:\\d{1,2})?)?\\s*$")]
    pub starts_at: Option<String>,
    #[serde(default)]
    #[schema(pattern = "^\\s*(\\d{4}-\\d{1,2}-\\d{1,2}T\\d{1,2}:\\d{1,2}(:\\d{1,2})?)?\\s*$")]
    pub ends_at: Option<String>,
}

fn time(field: &str, raw: &Option<String>, errors: &mut FieldErrors) -> Option<NaiveDateTime> {
    let raw = raw.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    let parsed = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"));
    match parsed {
        Ok(t) => Some(t),
        Err(_) => {
            errors.insert(
                field.into(),
                vec![format!("'{raw}' is not a time; use YYYY-MM-DDTHH:MM (UTC).")],
            );
            None
        }
    }
}

/// The longest update, in bytes.
const MAX_UPDATE: usize = 20_000;

fn check_body(body: &str, errors: &mut FieldErrors) {
    let n = body.trim().chars().count();
    if n < 3 {
        errors.insert(
            "body".into(),
            vec!["Say in a few words what is happening.".into()],
        );
    } else if body.len() > MAX_UPDATE {
        errors.insert("body".into(), vec!["Keep an update under 20,000 bytes.".into()]);
    }
}

/// Opens an incident or schedules maintenance, with its first update, and mails the
/// subscribers of its components in the same transaction.
pub async fn open_incident(
    db: &Db,
    mailing: &MailContext,
    user: &AuthUser,
    input: NewIncident,
) -> Result<IncidentView, AppError> {
    crate::forum::require_staff(user, "report incidents")?;
    let mut errors = FieldErrors::new();
    let title = input.title.trim().to_string();
    if title.chars().count() < 3 || title.chars().count() > 200 {
        errors.insert(
            "title".into(),
            vec!["Give it a title of 3 to 200 characters.".into()],
        );
    }
    let kind = match input.kind.trim() {
        "" | "incident" => "incident",
        "maintenance" => "maintenance",
        other => {
            errors.insert(
                "kind".into(),
                vec![format!("'{other}' is not a kind; use incident or maintenance.")],
            );
            "incident"
        }
    };
    let impact = if kind == "maintenance" {
        "maintenance".to_string()
    } else {
        let i = input.impact.trim().to_string();
        if !["degraded", "partial_outage", "major_outage"].contains(&i.as_str()) {
            errors.insert(
                "impact".into(),
                vec!["Choose the impact: degraded, partial_outage or major_outage.".into()],
            );
        }
        i
    };
    if input.components.is_empty() {
        errors.insert(
            "components".into(),
            vec!["Choose the components it touches.".into()],
        );
    } else if input.components.len() > super::service::MAX_COMPONENTS {
        // Refused before any lookup, whatever else is wrong.
        return Err(AppError::field(
            "components",
            format!("Choose at most {} components.", super::service::MAX_COMPONENTS),
        ));
    }
    check_body(&input.body, &mut errors);
    let starts = time("starts_at", &input.starts_at, &mut errors);
    let ends = time("ends_at", &input.ends_at, &mut errors);
    if kind == "maintenance" && starts.is_none() && !errors.contains_key("starts_at") {
        errors.insert(
            "starts_at".into(),
            vec!["Say when the maintenance begins.".into()],
        );
    }
    if let (Some(s), Some(e)) = (starts, ends)
        && e <= s
    {
        errors.insert(
            "ends_at".into(),
            vec!["The end must come after the beginning.".into()],
        );
    }
    let (me, body, slugs) = (user.id, input.body.clone(), input.components.clone());
    let mailing = mailing.clone();
    let html = render_update(&body).await?;
    db.write(move |c| {
        let found: Vec<(i64, String)> = status_components::table
            .filter(status_components::slug.eq_any(&slugs))
            .select((status_components::id, status_components::slug))
            .load(c)?;
        let unknown: Vec<&String> = slugs
            .iter()
            .filter(|s| !found.iter().any(|f| &f.1 == *s))
            .collect();
        if !unknown.is_empty() {
            errors.insert(
                "components".into(),
                vec![format!(
                    "No component is called {}.",
                    unknown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                )],
            );
        }
        if !errors.is_empty() {
            return Err(AppError::fields(errors));
        }
        let at = now();
        let first_state = if kind == "maintenance" {
            "scheduled"
        } else {
            "investigating"
        };
        let id: i64 = with_backend!(c, |c| diesel::insert_into(incidents::table)
            .values((
                incidents::title.eq(&title),
                incidents::kind.eq(kind),
                incidents::impact.eq(&impact),
                incidents::state.eq(first_state),
                incidents::starts_at.eq(starts.unwrap_or(at)),
                incidents::ends_at.eq(ends),
                incidents::created_by.eq(Some(me)),
                incidents::created_at.eq(at),
            ))
            .returning(incidents::id)
            .get_result(c))?;
        for (component, _) in &found {
            diesel::insert_into(incident_components::table)
                .values((
                    incident_components::incident_id.eq(id),
                    incident_components::component_id.eq(component),
                ))
                .execute(c)?;
        }
        record_update(c, &mailing, id, first_state, (&body, &html), me)
    })
    .await
}

/// An update to an incident: its new state and what is known.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct NewUpdate {
    /// Incident: investigating, identified, monitoring, resolved. Maintenance:
    /// scheduled, in_progress, completed. In any case.
    #[serde(default)]
    #[schema(
        required = true,
        pattern = "^\\s*([iI][nN][vV][eE][sS][tT][iI][gG][aA][tT][iI][nN][gG]|[iI][dD][eE][nN][tT][iI][fF][iI][eE][dD]|[mM][oO][nN][iI][tT][oO][rR][iI][nN][gG]|[rR][eE][sS][oO][lL][vV][eE][dD]|[sS][cC][hH][eE][dD][uU][lL][eE][dD]|[iI][nN]_[pP][rR][oO][gG][rR][eE][sS][sS]|[cC][oO][mM][pP][lL][eE][tT][eE][dD])\\s*$"
    )]
    pub state: String,
    /// Markdown: at least 3 characters, at most 20,000 bytes.
    #[serde(default)]
    #[schema(required = true, min_length = 3, max_length = 20000)]
    pub body: String,
}

/// Adds an update (staff) and mails it to the subscribers of the incident's
/// components, in one transaction. A resolved incident or completed maintenance
/// takes no more updates.
pub async fn add_update(
    state: &AppState,
    user: &AuthUser,
    id: i64,
    input: NewUpdate,
) -> Result<IncidentView, AppError> {
    crate::forum::require_staff(user, "update incidents")?;
    let me = user.id;
    let mailing = state.mailing.clone();
    let html = render_update(&input.body).await?;
    state
        .db
        .write(move |c| {
            let (kind, current): (String, String) = incidents::table
                .find(id)
                .select((incidents::kind, incidents::state))
                .first(c)?;
            if is_final(&current) {
                return Err(AppError::Conflict(
                    "This incident is over; open a new one if it happens again.".into(),
                ));
            }
            let allowed: &[&str] = if kind == "maintenance" {
                &MAINTENANCE_STATES
            } else {
                &INCIDENT_STATES
            };
            let new_state = input.state.trim().to_lowercase();
            let mut errors = FieldErrors::new();
            if !allowed.contains(&new_state.as_str()) {
                errors.insert(
                    "state".into(),
                    vec![format!("Choose one of: {}.", allowed.join(", "))],
                );
            }
            check_body(&input.body, &mut errors);
            if !errors.is_empty() {
                return Err(AppError::fields(errors));
            }
            let at = now();
            diesel::update(incidents::table.find(id))
                .set((
                    incidents::state.eq(&new_state),
                    incidents::resolved_at.eq(is_final(&new_state).then_some(at)),
                ))
                .execute(c)?;
            record_update(c, &mailing, id, &new_state, (&input.body, &html), me)
        })
        .await
}

/// Renders an update's text before the write and off the HTTP workers (a body over
/// the limit is refused by `check_body`, so it is not rendered).
async fn render_update(body: &str) -> Result<String, AppError> {
    if body.len() > MAX_UPDATE {
        return Ok(String::new());
    }
    let _turn = crate::forum::long_text_turn(body).await?;
    let body = body.to_string();
    crate::db::run_blocking(move || Ok(crate::markdown::render(&body, &HashSet::new()).html.into_string()))
        .await
}

fn record_update(
    c: &mut AnyConnection,
    m: &MailContext,
    incident_id: i64,
    state: &str,
    (body, html): (&str, &str),
    by: i64,
) -> Result<IncidentView, AppError> {
    let update_id: i64 = with_backend!(c, |c| diesel::insert_into(incident_updates::table)
        .values((
            incident_updates::incident_id.eq(incident_id),
            incident_updates::state.eq(state),
            incident_updates::body_markdown.eq(body),
            incident_updates::body_html.eq(html),
            incident_updates::created_by.eq(Some(by)),
            incident_updates::created_at.eq(now()),
        ))
        .returning(incident_updates::id)
        .get_result(c))?;
    let incident = one(c, incident_id)?;
    super::subscriptions::mail_update(c, m, &incident, update_id, state, body)?;
    Ok(incident)
}

fn one(c: &mut AnyConnection, id: i64) -> Result<IncidentView, AppError> {
    load_incidents(c, Which::One(id))?.pop().ok_or(AppError::NotFound)
}
