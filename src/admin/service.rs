//! Administration rules: users and roles, organizations and their domains, refused
//! signup domains. Every function checks that the actor is an admin.

use crate::accounts::domains::DomainLists;
use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::accounts::domains::{parse_domain, suffixes};
use crate::accounts::service::{
    OrgRef, add_domains, auth_user, create_organization as insert_organization, find_organization,
    to_auth_user,
};
use crate::accounts::{Role, UserResource};
use crate::app::AppState;
use crate::db::models::{BlockedDomain, Organization, User};
use crate::db::schema::{blocked_domains, organization_domains, organizations, users};
use crate::db::{AnyConnection, Db, ResultExt, like_pattern, lower, now};
use crate::error::AppError;
use crate::mail::{Mail, mailbox};
use crate::web::AuthUser;
use crate::with_backend;

/// Users shown per page.
pub const PAGE_SIZE: i64 = 50;

/// An organization with its domains and member count.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrganizationResource {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub domains: Vec<String>,
    pub members: i64,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
}

/// A user row in the admin list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdminUser {
    #[serde(flatten)]
    pub user: UserResource,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
}

impl From<&AuthUser> for AdminUser {
    fn from(u: &AuthUser) -> Self {
        Self {
            user: UserResource::from(u),
            created_at: u.created_at,
        }
    }
}

/// Which users to list: a search on address or name, after a given id.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Exact address (the onboarding scripts' lookup).
    pub email: Option<String>,
    /// Part of an address or name.
    pub q: Option<String>,
    /// Keyset pagination: ids above this one.
    pub after: Option<i64>,
}

/// Lists users, 50 at a time, oldest first.
pub async fn list_users(db: &Db, actor: &AuthUser, query: UserQuery) -> Result<Vec<AdminUser>, AppError> {
    actor.require_admin()?;
    db.read(move |c| {
        let mut q = users::table
            .left_join(organizations::table)
            .select((
                User::as_select(),
                organizations::name.nullable(),
                organizations::status.nullable(),
            ))
            .order(users::id.asc())
            .limit(PAGE_SIZE)
            .into_boxed();
        if let Some(email) = query.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            q = q.filter(users::email.eq(email.to_lowercase()));
        }
        if let Some(term) = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let pattern = like_pattern(term);
            q = q.filter(
                users::email
                    .like(lower(pattern.clone()))
                    .escape('\\')
                    .or(lower(users::display_name).like(lower(pattern)).escape('\\')),
            );
        }
        if let Some(after) = query.after {
            q = q.filter(users::id.gt(after));
        }
        let rows: Vec<(User, Option<String>, Option<String>)> = q.load(c)?;
        Ok(rows
            .into_iter()
            .map(|(u, name, status)| AdminUser::from(&to_auth_user(u, name, status)))
            .collect())
    })
    .await
}

/// One user, for the edit page.
pub async fn get_user(db: &Db, actor: &AuthUser, id: i64) -> Result<AdminUser, AppError> {
    actor.require_admin()?;
    db.read(move |c| admin_user(c, id)).await
}

fn admin_user(c: &mut AnyConnection, id: i64) -> Result<AdminUser, AppError> {
    auth_user(c, id)?
        .map(|u| AdminUser::from(&u))
        .ok_or(AppError::NotFound)
}

/// Changes an admin may make to a user; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct UserChanges {
    /// member, staff or admin (in any case).
    #[schema(pattern = "^\\s*([mM][eE][mM][bB][eE][rR]|[sS][tT][aA][fF][fF]|[aA][dD][mM][iI][nN])\\s*$")]
    pub role: Option<String>,
    /// `null` removes the user from their organization.
    #[serde(default, deserialize_with = "double_option")]
    pub organization: Option<Option<OrgRef>>,
    pub authorized_contact: Option<bool>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Changes a user's role, organization or authorized-contact flag.
pub async fn update_user(
    db: &Db,
    actor: &AuthUser,
    id: i64,
    changes: UserChanges,
) -> Result<AdminUser, AppError> {
    actor.require_admin()?;
    let role = match changes.role.as_deref() {
        None => None,
        Some(r) => Some(Role::parse(r).ok_or_else(|| {
            AppError::field(
                "role",
                format!("'{r}' is not a role; use member, staff or admin."),
            )
        })?),
    };
    db.write(move |c| {
        let current: User = users::table.find(id).select(User::as_select()).first(c)?;
        if let Some(role) = role {
            if current.role == "admin" && role != Role::Admin {
                let admins: i64 = users::table
                    .filter(users::role.eq("admin"))
                    .count()
                    .get_result(c)?;
                if admins <= 1 {
                    return Err(AppError::field(
                        "role",
                        "This is the last administrator; make another one first.",
                    ));
                }
            }
            diesel::update(users::table.find(id))
                .set(users::role.eq(role.as_str()))
                .execute(c)?;
        }
        if let Some(org) = &changes.organization {
            let org_id = match org {
                None => None,
                Some(named) => Some(find_organization(c, named)?),
            };
            diesel::update(users::table.find(id))
                .set(users::organization_id.eq(org_id))
                .execute(c)?;
        }
        if let Some(flag) = changes.authorized_contact {
            diesel::update(users::table.find(id))
                .set(users::authorized_contact.eq(flag))
                .execute(c)?;
        }
        let after = admin_user(c, id)?;
        if after.user.authorized_contact && after.user.organization.is_none() {
            return Err(AppError::field(
                "authorized_contact",
                "An authorized contact must belong to an organization.",
            ));
        }
        diesel::update(users::table.find(id))
            .set(users::updated_at.eq(now()))
            .execute(c)?;
        Ok(after)
    })
    .await
}

/// Reads organizations with their domains and member counts (three queries in all).
fn load_organizations(
    c: &mut AnyConnection,
    orgs: Vec<Organization>,
) -> Result<Vec<OrganizationResource>, AppError> {
    let ids: Vec<i64> = orgs.iter().map(|o| o.id).collect();
    let mut domains: HashMap<i64, Vec<String>> = HashMap::new();
    for (org_id, d) in organization_domains::table
        .filter(organization_domains::organization_id.eq_any(&ids))
        .order(organization_domains::domain.asc())
        .select((
            organization_domains::organization_id,
            organization_domains::domain,
        ))
        .load::<(i64, String)>(c)?
    {
        domains.entry(org_id).or_default().push(d);
    }
    let counts: HashMap<i64, i64> = users::table
        .filter(users::organization_id.eq_any(&ids))
        .group_by(users::organization_id)
        .select((
            users::organization_id.assume_not_null(),
            diesel::dsl::count_star(),
        ))
        .load::<(i64, i64)>(c)?
        .into_iter()
        .collect();
    Ok(orgs
        .into_iter()
        .map(|o| OrganizationResource {
            domains: domains.remove(&o.id).unwrap_or_default(),
            members: counts.get(&o.id).copied().unwrap_or(0),
            id: o.id,
            name: o.name,
            status: o.status,
            created_at: o.created_at,
        })
        .collect())
}

const STATUSES: [&str; 3] = ["pending", "approved", "refused"];

/// Lists organizations, pending first, optionally of one status.
pub async fn list_organizations(
    db: &Db,
    actor: &AuthUser,
    status: Option<String>,
) -> Result<Vec<OrganizationResource>, AppError> {
    actor.require_admin()?;
    let status = status.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
    if let Some(s) = &status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(AppError::field(
            "status",
            format!("'{s}' is not a status; use pending, approved or refused."),
        ));
    }
    db.read(move |c| {
        let mut q = organizations::table
            .select(Organization::as_select())
            .order((organizations::status.desc(), organizations::name.asc()))
            .into_boxed();
        if let Some(s) = status {
            q = q.filter(organizations::status.eq(s));
        }
        let orgs = q.load(c)?;
        load_organizations(c, orgs)
    })
    .await
}

/// One organization.
pub async fn get_organization(db: &Db, actor: &AuthUser, id: i64) -> Result<OrganizationResource, AppError> {
    actor.require_admin()?;
    db.read(move |c| organization(c, id)).await
}

fn organization(c: &mut AnyConnection, id: i64) -> Result<OrganizationResource, AppError> {
    let org = organizations::table
        .find(id)
        .select(Organization::as_select())
        .first(c)?;
    load_organizations(c, vec![org])?.pop().ok_or(AppError::NotFound)
}

fn check_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(AppError::field(
            "name",
            "Give the organization a name of 1 to 120 characters.",
        ));
    }
    Ok(name.to_string())
}

/// The most domains one organization owns.
pub const MAX_DOMAINS: usize = 100;

/// Reads a list of domains, refusing webmail and disposable ones. The count is
/// checked first: at most one more than the limit is split off before any domain is
/// looked at.
fn check_domains(domain_lists: &DomainLists, raw: &[String]) -> Result<Vec<String>, AppError> {
    let pieces: Vec<&str> = raw
        .iter()
        .flat_map(|r| r.split([',', ' ', '\n', '\r', ';']))
        .filter(|r| !r.trim().is_empty())
        .take(MAX_DOMAINS + 1)
        .collect();
    if pieces.len() > MAX_DOMAINS {
        return Err(AppError::field(
            "domains",
            format!("An organization owns at most {MAX_DOMAINS} domains."),
        ));
    }
    let mut out = Vec::new();
    for r in pieces {
        let d = parse_domain(r).map_err(|m| AppError::field("domains", m))?;
        if domain_lists.refusal(&d).is_some() {
            return Err(AppError::field(
                "domains",
                format!("{d} is a free or disposable mail provider; an organization cannot own it."),
            ));
        }
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

/// Creates an approved organization owning `domains`.
pub async fn create_organization(
    state: &AppState,
    actor: &AuthUser,
    name: &str,
    domains: &[String],
) -> Result<OrganizationResource, AppError> {
    actor.require_admin()?;
    let name = check_name(name)?;
    let domains = check_domains(&state.domain_lists, domains)?;
    state
        .db
        .write(move |c| {
            let taken: i64 = organizations::table
                .filter(organizations::name.eq(&name))
                .count()
                .get_result(c)?;
            if taken > 0 {
                return Err(AppError::field(
                    "name",
                    format!("An organization named '{name}' already exists."),
                ));
            }
            let org = insert_organization(c, &name, "approved", &domains)?;
            organization(c, org.id)
        })
        .await
}

/// Changes an admin may make to an organization.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct OrganizationChanges {
    /// 1 to 120 characters.
    #[schema(min_length = 1, max_length = 120)]
    pub name: Option<String>,
    /// `true` approves, `false` refuses.
    pub approved: Option<bool>,
    /// The full new list of domains, at most 100.
    #[schema(max_items = 100)]
    pub domains: Option<Vec<String>>,
}

/// Renames, approves or refuses an organization, or replaces its domains. Members of an
/// organization that becomes approved hear of it by mail.
pub async fn update_organization(
    state: &AppState,
    actor: &AuthUser,
    id: i64,
    changes: OrganizationChanges,
) -> Result<OrganizationResource, AppError> {
    actor.require_admin()?;
    let name = changes.name.as_deref().map(check_name).transpose()?;
    let domains = changes
        .domains
        .as_deref()
        .map(|d| check_domains(&state.domain_lists, d))
        .transpose()?;
    let (before, after) = state
        .db
        .write(move |c| {
            let before = organization(c, id)?;
            if let Some(name) = &name
                && *name != before.name
            {
                diesel::update(organizations::table.find(id))
                    .set(organizations::name.eq(name))
                    .execute(c)
                    .on_unique(
                        "organizations_name_key",
                        "name",
                        "Another organization has this name.",
                    )?;
            }
            if let Some(approved) = changes.approved {
                diesel::update(organizations::table.find(id))
                    .set(organizations::status.eq(if approved { "approved" } else { "refused" }))
                    .execute(c)?;
            }
            if let Some(domains) = &domains {
                diesel::delete(
                    organization_domains::table.filter(organization_domains::organization_id.eq(id)),
                )
                .execute(c)?;
                add_domains(c, id, domains)?;
            }
            diesel::update(organizations::table.find(id))
                .set(organizations::updated_at.eq(now()))
                .execute(c)?;
            Ok((before, organization(c, id)?))
        })
        .await?;
    if before.status != "approved" && after.status == "approved" {
        notify_approved(state, &after).await;
    }
    tracing::info!(org_id = id, status = %after.status, actor = actor.id, "organization updated");
    Ok(after)
}

#[derive(Serialize)]
struct ApprovedMail<'a> {
    name: &'a str,
    organization: &'a str,
    link: String,
}

async fn notify_approved(state: &AppState, org: &OrganizationResource) {
    let org_id = org.id;
    let members = state
        .db
        .read(move |c| {
            Ok(users::table
                .filter(users::organization_id.eq(org_id))
                .select((users::display_name, users::email))
                .load::<(String, String)>(c)?)
        })
        .await;
    let Ok(members) = members else { return };
    for (name, email) in members {
        let view = ApprovedMail {
            name: &name,
            organization: &org.name,
            link: state.settings.base_url.to_string(),
        };
        let sent = async {
            let mail =
                Mail::from_templates(&state.templates, "org_approved", mailbox(&name, &email)?, &view)?;
            let key = format!("org-approved:{org_id}:{}", email.to_lowercase());
            state
                .queue_mail_now(key, mail)
                .await
                .map_err(|e| anyhow::anyhow!("queueing the approval mail: {e:?}"))
        }
        .await;
        if let Err(e) = sent {
            tracing::warn!(org_id, error = ?e, "could not send the approval mail");
        }
    }
}

/// Domains an admin refuses at signup.
pub async fn list_blocked_domains(db: &Db, actor: &AuthUser) -> Result<Vec<BlockedDomain>, AppError> {
    actor.require_admin()?;
    db.read(|c| {
        Ok(blocked_domains::table
            .order(blocked_domains::domain.asc())
            .select(BlockedDomain::as_select())
            .load(c)?)
    })
    .await
}

/// Refuses signups from `domain` (and its subdomains) from now on.
pub async fn add_blocked_domain(
    db: &Db,
    actor: &AuthUser,
    domain: &str,
    note: &str,
) -> Result<BlockedDomain, AppError> {
    actor.require_admin()?;
    let domain = parse_domain(domain).map_err(|m| AppError::field("domain", m))?;
    let note = note.trim().chars().take(200).collect::<String>();
    let actor_id = actor.id;
    db.write(move |c| {
        let owned: Option<String> = organization_domains::table
            .filter(organization_domains::domain.eq_any(suffixes(&domain).collect::<Vec<_>>()))
            .select(organization_domains::domain)
            .first(c)
            .optional()?;
        if let Some(o) = owned {
            return Err(AppError::field(
                "domain",
                format!("{o} belongs to an organization; remove it there first."),
            ));
        }
        with_backend!(c, |c| diesel::insert_into(blocked_domains::table)
            .values((
                blocked_domains::domain.eq(&domain),
                blocked_domains::note.eq(&note),
                blocked_domains::created_by.eq(actor_id),
                blocked_domains::created_at.eq(now()),
            ))
            .returning(BlockedDomain::as_returning())
            .get_result(c))
        .on_unique(
            "blocked_domains_domain_key",
            "domain",
            &format!("{domain} is refused already."),
        )
    })
    .await
}

/// Accepts signups from a domain again.
pub async fn remove_blocked_domain(db: &Db, actor: &AuthUser, id: i64) -> Result<(), AppError> {
    actor.require_admin()?;
    let n = db
        .write(move |c| Ok(diesel::delete(blocked_domains::table.find(id)).execute(c)?))
        .await?;
    if n == 0 { Err(AppError::NotFound) } else { Ok(()) }
}
