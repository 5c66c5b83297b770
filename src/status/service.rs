//! The status page's rules: a component's state follows its open incidents, 90 days
//! of history, incidents and maintenance with timed updates, and who is mailed.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{incident_components, incident_updates, incidents, status_components};
use crate::db::{AnyConnection, Db, now};
use crate::error::AppError;
use crate::markdown::SafeHtml;

/// Impacts from the least to the worst; a component shows the worst of its open
/// incidents, `operational` when it has none.
pub const IMPACTS: [&str; 5] = [
    "operational",
    "maintenance",
    "degraded",
    "partial_outage",
    "major_outage",
];
/// The states of an incident, in order.
pub const INCIDENT_STATES: [&str; 4] = ["investigating", "identified", "monitoring", "resolved"];
/// The states of scheduled maintenance, in order.
pub const MAINTENANCE_STATES: [&str; 3] = ["scheduled", "in_progress", "completed"];
/// Days of history per component.
pub const HISTORY_DAYS: i64 = 90;

fn rank(impact: &str) -> usize {
    IMPACTS.iter().position(|i| *i == impact).unwrap_or(0)
}

fn worst<'a>(a: &'a str, b: &'a str) -> &'a str {
    if rank(b) > rank(a) { b } else { a }
}

pub(crate) fn is_final(state: &str) -> bool {
    matches!(state, "resolved" | "completed")
}

/// One day of a component's history: the worst impact that touched it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Day {
    pub date: NaiveDate,
    pub worst: String,
}

/// A component as the page shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComponentView {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// `operational`, `maintenance`, `degraded`, `partial_outage` or `major_outage`.
    pub state: String,
    /// Oldest first, the last 90 days.
    pub history: Vec<Day>,
}

/// One timed update of an incident.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UpdateView {
    pub id: i64,
    pub state: String,
    #[schema(value_type = String)]
    pub body_html: SafeHtml,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
}

/// An incident or a maintenance window, with its updates newest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IncidentView {
    pub id: i64,
    pub title: String,
    /// `incident` or `maintenance`.
    pub kind: String,
    pub impact: String,
    pub state: String,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub starts_at: NaiveDateTime,
    #[serde(serialize_with = "crate::web::time::utc_opt")]
    pub ends_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::web::time::utc_opt")]
    pub resolved_at: Option<NaiveDateTime>,
    /// Slugs of the components it touches.
    pub components: Vec<String>,
    pub component_names: Vec<String>,
    pub updates: Vec<UpdateView>,
}

impl IncidentView {
    /// Whether it affects its components now (open; maintenance once in progress).
    pub fn active(&self) -> bool {
        self.resolved_at.is_none() && (self.kind == "incident" || self.state == "in_progress")
    }
}

/// The whole page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatusPage {
    /// The worst state of any component.
    pub overall: String,
    pub components: Vec<ComponentView>,
    /// Open incidents and maintenance in progress.
    pub active: Vec<IncidentView>,
    /// Maintenance not begun yet.
    pub scheduled: Vec<IncidentView>,
    /// Resolved in the last 14 days.
    pub recent: Vec<IncidentView>,
}

type IncidentRow = (
    i64,
    String,
    String,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

/// Which incidents to load.
pub(crate) enum Which {
    /// Open ones, and those resolved since then.
    Since(NaiveDateTime),
    /// Open ones only.
    Open,
    One(i64),
}

pub(crate) fn load_incidents(c: &mut AnyConnection, which: Which) -> Result<Vec<IncidentView>, AppError> {
    let mut q = incidents::table.into_boxed();
    q = match which {
        Which::Since(since) => q.filter(
            incidents::resolved_at
                .is_null()
                .or(incidents::resolved_at.ge(since)),
        ),
        Which::Open => q.filter(incidents::resolved_at.is_null()),
        Which::One(id) => q.filter(incidents::id.eq(id)),
    };
    let rows: Vec<IncidentRow> = q
        .order(incidents::starts_at.desc())
        .select((
            incidents::id,
            incidents::title,
            incidents::kind,
            incidents::impact,
            incidents::state,
            incidents::starts_at,
            incidents::ends_at,
            incidents::resolved_at,
        ))
        .load(c)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let touched: Vec<(i64, String, String)> = incident_components::table
        .inner_join(status_components::table)
        .filter(incident_components::incident_id.eq_any(&ids))
        .order(status_components::position.asc())
        .select((
            incident_components::incident_id,
            status_components::slug,
            status_components::name,
        ))
        .load(c)?;
    let updates: Vec<(i64, i64, String, String, NaiveDateTime)> = incident_updates::table
        .filter(incident_updates::incident_id.eq_any(&ids))
        .order(incident_updates::id.desc())
        .select((
            incident_updates::incident_id,
            incident_updates::id,
            incident_updates::state,
            incident_updates::body_html,
            incident_updates::created_at,
        ))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, title, kind, impact, state, starts_at, ends_at, resolved_at)| IncidentView {
                id,
                title,
                kind,
                impact,
                state,
                starts_at,
                ends_at,
                resolved_at,
                components: touched
                    .iter()
                    .filter(|t| t.0 == id)
                    .map(|t| t.1.clone())
                    .collect(),
                component_names: touched
                    .iter()
                    .filter(|t| t.0 == id)
                    .map(|t| t.2.clone())
                    .collect(),
                updates: updates
                    .iter()
                    .filter(|u| u.0 == id)
                    .map(|u| UpdateView {
                        id: u.1,
                        state: u.2.clone(),
                        body_html: SafeHtml::from_stored(u.3.clone()),
                        created_at: u.4,
                    })
                    .collect(),
            },
        )
        .collect())
}

/// The page: components with their state and history, incidents open, planned and
/// recent. Public: no sign-in.
pub async fn page(db: &Db) -> Result<StatusPage, AppError> {
    db.read(build_page).await
}

pub(crate) fn build_page(c: &mut AnyConnection) -> Result<StatusPage, AppError> {
    let at = now();
    let today = at.date();
    let first_day = today - Duration::days(HISTORY_DAYS - 1);
    let since = first_day.and_hms_opt(0, 0, 0).unwrap_or(at);
    let all = load_incidents(c, Which::Since(since))?;
    let components: Vec<(i64, String, String, String)> = status_components::table
        .order((status_components::position.asc(), status_components::id.asc()))
        .select((
            status_components::id,
            status_components::slug,
            status_components::name,
            status_components::description,
        ))
        .load(c)?;
    let components: Vec<ComponentView> = components
        .into_iter()
        .map(|(id, slug, name, description)| {
            let mine: Vec<&IncidentView> = all.iter().filter(|i| i.components.contains(&slug)).collect();
            let state = mine
                .iter()
                .filter(|i| i.active())
                .fold("operational", |w, i| worst(w, &i.impact))
                .to_string();
            let history = (0..HISTORY_DAYS)
                .map(|d| {
                    let date = first_day + Duration::days(d);
                    let (start, end) = (
                        date.and_hms_opt(0, 0, 0).unwrap_or(at),
                        (date + Duration::days(1)).and_hms_opt(0, 0, 0).unwrap_or(at),
                    );
                    let w = mine
                        .iter()
                        .filter(|i| i.kind == "incident" || i.state != "scheduled")
                        .filter(|i| {
                            i.starts_at < end && i.resolved_at.is_none_or(|r| r >= start) && i.starts_at <= at
                        })
                        .fold("operational", |w, i| worst(w, &i.impact));
                    Day {
                        date,
                        worst: w.to_string(),
                    }
                })
                .collect();
            ComponentView {
                id,
                slug,
                name,
                description,
                state,
                history,
            }
        })
        .collect();
    let overall = components
        .iter()
        .fold("operational", |w, c| worst(w, &c.state))
        .to_string();
    let recent_since = at - Duration::days(14);
    let (mut active, mut scheduled, mut recent) = (Vec::new(), Vec::new(), Vec::new());
    for i in all {
        if i.active() {
            active.push(i);
        } else if i.resolved_at.is_none() {
            scheduled.push(i);
        } else if i.resolved_at.is_some_and(|r| r >= recent_since) {
            recent.push(i);
        }
    }
    scheduled.sort_by_key(|i| i.starts_at);
    Ok(StatusPage {
        overall,
        components,
        active,
        scheduled,
        recent,
    })
}

/// The incidents that affect something now: for the portal's dashboard and the
/// ticket forms.
pub async fn active(db: &Db) -> Result<Vec<IncidentView>, AppError> {
    db.read(|c| {
        Ok(load_incidents(c, Which::Open)?
            .into_iter()
            .filter(IncidentView::active)
            .collect())
    })
    .await
}

pub use super::incidents::{
    ComponentChange, NewComponent, NewIncident, NewUpdate, add_component, add_update, open_incident,
    remove_component, update_component,
};

/// Most components one incident or subscription may name.
pub const MAX_COMPONENTS: usize = 100;

/// Component ids by slug, for subscriptions.
pub fn component_ids(c: &mut AnyConnection, slugs: &[String]) -> Result<HashMap<String, i64>, AppError> {
    // Counted before anything is looked up: a list of 100,000 names is refused at once.
    if slugs.len() > MAX_COMPONENTS {
        return Err(AppError::field(
            "components",
            format!("Choose at most {MAX_COMPONENTS} components."),
        ));
    }
    Ok(status_components::table
        .filter(status_components::slug.eq_any(slugs))
        .select((status_components::slug, status_components::id))
        .load::<(String, i64)>(c)?
        .into_iter()
        .collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_worst_impact_wins() {
        assert_eq!(super::worst("degraded", "major_outage"), "major_outage");
        assert_eq!(super::worst("partial_outage", "maintenance"), "partial_outage");
        assert_eq!(super::worst("operational", "maintenance"), "maintenance");
    }
}
