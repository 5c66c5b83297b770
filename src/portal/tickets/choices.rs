//! What the forms offer: customers, environments, applications, keywords, and the
//! statuses a ticket may move to.

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{applications, environments, keywords, organizations};
use crate::error::AppError;
use crate::portal::ticket_status::{self, Status};
use crate::portal::{Access, access};
use crate::web::AuthUser;

use super::*;
use crate::db::Db;

/// What the new-ticket form offers: customers, environments, applications, keywords.
#[derive(Debug, Clone, Serialize)]
pub struct FormChoices {
    pub organizations: Vec<Choice>,
    pub environments: Vec<Choice>,
    pub applications: Vec<Choice>,
    pub keywords: Vec<Choice>,
}

/// The choices of the new-ticket form for this user.
pub async fn choices(db: &Db, user: &AuthUser) -> Result<FormChoices, AppError> {
    let who = access(user)?;
    db.read(move |c| {
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
pub async fn transitions(db: &Db, user: &AuthUser, id: i64) -> Result<Vec<Choice>, AppError> {
    let who = access(user)?;
    let t = db.read(move |c| visible(c, who, id)).await?;
    Ok(next_statuses(who, &t.status))
}
