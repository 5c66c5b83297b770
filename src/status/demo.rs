//! `--demo`: a status page with something on it.

use std::collections::HashSet;

use chrono::Duration;
use diesel::prelude::*;

use crate::db::schema::{incident_components, incident_updates, incidents, status_components};
use crate::db::{AnyConnection, now};
use crate::error::AppError;
use crate::with_backend;

/// `--demo`: three components and yesterday's resolved incident, once.
pub fn demo(c: &mut AnyConnection, staff: i64) -> Result<(), AppError> {
    let any: i64 = status_components::table.count().get_result(c)?;
    if any > 0 {
        return Ok(());
    }
    let at = now();
    let mut ids = Vec::new();
    for (position, (slug, name, description)) in [
        ("api", "API", "The REST API and webhooks"),
        ("web-dashboard", "Web dashboard", "The customer dashboard"),
        ("exports", "Exports", "Scheduled and on-demand exports"),
    ]
    .into_iter()
    .enumerate()
    {
        let id: i64 = with_backend!(c, |c| diesel::insert_into(status_components::table)
            .values((
                status_components::slug.eq(slug),
                status_components::name.eq(name),
                status_components::description.eq(description),
                status_components::position.eq(position as i64 + 1),
                status_components::created_at.eq(at),
            ))
            .returning(status_components::id)
            .get_result(c))?;
        ids.push(id);
    }
    let began = at - Duration::hours(26);
    let incident: i64 = with_backend!(c, |c| diesel::insert_into(incidents::table)
        .values((
            incidents::title.eq("Exports delayed"),
            incidents::kind.eq("incident"),
            incidents::impact.eq("degraded"),
            incidents::state.eq("resolved"),
            incidents::starts_at.eq(began),
            incidents::resolved_at.eq(Some(began + Duration::minutes(95))),
            incidents::created_by.eq(Some(staff)),
            incidents::created_at.eq(began),
        ))
        .returning(incidents::id)
        .get_result(c))?;
    diesel::insert_into(incident_components::table)
        .values((
            incident_components::incident_id.eq(incident),
            incident_components::component_id.eq(ids[2]),
        ))
        .execute(c)?;
    for (minutes, state, body) in [
        (
            0,
            "investigating",
            "Scheduled exports start late; we are looking into it.",
        ),
        (40, "identified", "A queue worker stopped after the 02:00 deploy."),
        (95, "resolved", "Workers restarted; every delayed export has run."),
    ] {
        let html = crate::markdown::render(body, &HashSet::new()).html;
        diesel::insert_into(incident_updates::table)
            .values((
                incident_updates::incident_id.eq(incident),
                incident_updates::state.eq(state),
                incident_updates::body_markdown.eq(body),
                incident_updates::body_html.eq(html.as_str()),
                incident_updates::created_by.eq(Some(staff)),
                incident_updates::created_at.eq(began + Duration::minutes(minutes)),
            ))
            .execute(c)?;
    }
    Ok(())
}
