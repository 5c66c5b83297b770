//! Team lists: Support, Infrastructure, Framework and Customer Success, each a set of
//! staff accounts and, where the team keeps one, a list address in the mail server.
//! Every Critical ticket is mailed to all of them (`portal::ticket_mail`). Admins choose
//! the members; the four teams themselves are fixed.

use std::collections::BTreeSet;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{team_members, teams, users};
use crate::db::{AnyConnection, Db, now};
use crate::error::{AppError, FieldErrors};
use crate::web::AuthUser;

/// A team as admins see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeamResource {
    pub slug: String,
    pub name: String,
    /// The address of the team's own mailing list, if it has one.
    pub list_address: Option<String>,
    pub members: Vec<TeamMember>,
}

/// A member of a team.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeamMember {
    pub id: i64,
    pub display_name: String,
    pub email: String,
}

/// The most members one team has.
pub const MAX_MEMBERS: usize = 500;

/// What an admin sets on a team: its members (staff accounts, by address) and its list
/// address. Missing fields are left as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct TeamChange {
    /// The addresses of staff accounts, at most 500; the whole list, replacing the old
    /// one.
    #[schema(max_items = 500)]
    pub members: Option<Vec<String>>,
    /// An address, or an empty string for none.
    pub list_address: Option<String>,
}

fn load_teams(c: &mut AnyConnection) -> Result<Vec<TeamResource>, AppError> {
    let rows: Vec<(i64, String, String, Option<String>)> = teams::table
        .order(teams::id.asc())
        .select((teams::id, teams::slug, teams::name, teams::list_address))
        .load(c)?;
    let members: Vec<(i64, i64, String, String)> = team_members::table
        .inner_join(users::table)
        .order(users::display_name.asc())
        .select((
            team_members::team_id,
            users::id,
            users::display_name,
            users::email,
        ))
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, name, list_address)| TeamResource {
            slug,
            name,
            list_address,
            members: members
                .iter()
                .filter(|m| m.0 == id)
                .map(|m| TeamMember {
                    id: m.1,
                    display_name: m.2.clone(),
                    email: m.3.clone(),
                })
                .collect(),
        })
        .collect())
}

/// Every team with its members.
pub async fn list_teams(db: &Db, actor: &AuthUser) -> Result<Vec<TeamResource>, AppError> {
    actor.require_admin()?;
    db.read(load_teams).await
}

/// Sets a team's members and list address; every address must be a staff account.
pub async fn update_team(
    db: &Db,
    actor: &AuthUser,
    slug: String,
    change: TeamChange,
) -> Result<TeamResource, AppError> {
    actor.require_admin()?;
    let mut errors = FieldErrors::new();
    let list_address = change.list_address.map(|a| a.trim().to_string());
    if let Some(a) = list_address.as_deref().filter(|a| !a.is_empty())
        && crate::mail::mailbox("", a).is_err()
    {
        errors.insert(
            "list_address".into(),
            vec![format!("'{a}' is not an email address.")],
        );
    }
    if change.members.as_ref().is_some_and(|m| m.len() > MAX_MEMBERS) {
        // Refused before any address is read or looked up.
        return Err(AppError::field(
            "members",
            format!("A team has at most {MAX_MEMBERS} members."),
        ));
    }
    let wanted: Option<BTreeSet<String>> = change.members.map(|m| {
        m.iter()
            .map(|a| a.trim().to_lowercase())
            .filter(|a| !a.is_empty())
            .collect()
    });
    db.write(move |c| {
        let team: i64 = teams::table
            .filter(teams::slug.eq(&slug))
            .select(teams::id)
            .first(c)
            .optional()?
            .ok_or(AppError::NotFound)?;
        let mut ids = Vec::new();
        if let Some(wanted) = &wanted {
            let found: Vec<(i64, String, String)> = users::table
                .filter(users::email.eq_any(wanted))
                .select((users::id, users::email, users::role))
                .load(c)?;
            for address in wanted {
                match found.iter().find(|f| &f.1 == address) {
                    Some((id, _, role)) if matches!(role.as_str(), "staff" | "admin") => ids.push(*id),
                    Some(_) => errors
                        .entry("members".into())
                        .or_default()
                        .push(format!("{address} is not a member of staff.")),
                    None => errors
                        .entry("members".into())
                        .or_default()
                        .push(format!("No account has the address {address}.")),
                }
            }
        }
        if !errors.is_empty() {
            return Err(AppError::fields(errors));
        }
        if wanted.is_some() {
            diesel::delete(team_members::table.filter(team_members::team_id.eq(team))).execute(c)?;
            for id in &ids {
                diesel::insert_into(team_members::table)
                    .values((team_members::team_id.eq(team), team_members::user_id.eq(id)))
                    .execute(c)?;
            }
        }
        if let Some(a) = &list_address {
            diesel::update(teams::table.find(team))
                .set(teams::list_address.eq(Some(a.as_str()).filter(|a| !a.is_empty())))
                .execute(c)?;
        }
        diesel::update(teams::table.find(team))
            .set(teams::updated_at.eq(now()))
            .execute(c)?;
        load_teams(c)?
            .into_iter()
            .find(|t| t.slug == slug)
            .ok_or(AppError::NotFound)
    })
    .await
}

/// Who hears of a Critical ticket: every member of every team who is still staff,
/// and every list address, each once: `(name, address)`.
/// The members of one team (staff accounts) and its list address, once each.
pub fn team_recipients(c: &mut AnyConnection, slug: &str) -> Result<Vec<(String, String)>, AppError> {
    let mut out: Vec<(String, String)> = team_members::table
        .inner_join(users::table)
        .inner_join(teams::table)
        .filter(teams::slug.eq(slug))
        .filter(users::role.eq_any(["staff", "admin"]))
        .select((users::display_name, users::email))
        .load(c)?;
    let list: Option<(String, Option<String>)> = teams::table
        .filter(teams::slug.eq(slug))
        .select((teams::name, teams::list_address))
        .first(c)
        .optional()?;
    out.extend(list.and_then(|(name, a)| a.map(|a| (name, a))));
    let mut seen = BTreeSet::new();
    out.retain(|(_, a)| seen.insert(a.to_lowercase()));
    Ok(out)
}

pub fn critical_recipients(c: &mut AnyConnection) -> Result<Vec<(String, String)>, AppError> {
    let mut out: Vec<(String, String)> = team_members::table
        .inner_join(users::table)
        .filter(users::role.eq_any(["staff", "admin"]))
        .select((users::display_name, users::email))
        .load(c)?;
    let lists: Vec<(String, Option<String>)> =
        teams::table.select((teams::name, teams::list_address)).load(c)?;
    out.extend(lists.into_iter().filter_map(|(name, a)| a.map(|a| (name, a))));
    let mut seen = BTreeSet::new();
    out.retain(|(_, a)| seen.insert(a.to_lowercase()));
    Ok(out)
}
