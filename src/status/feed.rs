//! The status page's Atom feed: every incident update, newest first.

use chrono::{NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;

use crate::app::AppState;
use crate::db::schema::{incident_updates, incidents};
use crate::error::AppError;

/// The feed, as XML.
pub async fn feed(state: &AppState) -> Result<String, AppError> {
    let base = state.settings.base_url.clone();
    let rows: Vec<(i64, i64, String, String, String, NaiveDateTime)> = state
        .db
        .read(|c| {
            Ok(incident_updates::table
                .inner_join(incidents::table)
                .order(incident_updates::id.desc())
                .limit(50)
                .select((
                    incident_updates::id,
                    incidents::id,
                    incidents::title,
                    incident_updates::state,
                    incident_updates::body_html,
                    incident_updates::created_at,
                ))
                .load(c)?)
        })
        .await?;
    use atom_syndication::{Content, Entry, Feed, Link, Text};
    let to_time = |t: NaiveDateTime| Utc.from_utc_datetime(&t).fixed_offset();
    let page = base.join("status").map(|u| u.to_string()).unwrap_or_default();
    let self_url = base
        .join("status.atom")
        .map(|u| u.to_string())
        .unwrap_or_default();
    let updated = rows.iter().map(|r| r.5).max().unwrap_or_else(crate::db::now);
    let entries = rows
        .into_iter()
        .map(|(update, incident, title, state, html, at)| {
            let mut e = Entry::default();
            e.set_id(format!("{page}#update-{update}"));
            e.set_title(Text::plain(format!("{}: {title}", state.replace('_', " "))));
            e.set_links(vec![Link {
                href: format!("{page}#incident-{incident}"),
                rel: "alternate".into(),
                ..Default::default()
            }]);
            e.set_updated(to_time(at));
            e.set_published(Some(to_time(at)));
            e.set_content(Some(Content {
                content_type: Some("html".into()),
                value: Some(html),
                ..Default::default()
            }));
            e
        })
        .collect::<Vec<_>>();
    let mut feed = Feed::default();
    feed.set_id(self_url.clone());
    feed.set_title(Text::plain("System status"));
    feed.set_updated(to_time(updated));
    feed.set_links(vec![
        Link {
            href: self_url,
            rel: "self".into(),
            mime_type: Some("application/atom+xml".into()),
            ..Default::default()
        },
        Link {
            href: page,
            rel: "alternate".into(),
            ..Default::default()
        },
    ]);
    feed.set_entries(entries);
    Ok(feed.to_string())
}
