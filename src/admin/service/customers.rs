//! Organizations: their names, domains and approval, and the mail that tells a
//! customer they were approved.

use super::*;
use crate::accounts::domains::DomainLists;
use crate::db::Db;
use crate::mail::MailContext;
use crate::outbox::Postman;

/// Reads organizations with their domains and member counts (three queries in all).
pub(super) fn load_organizations(
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

pub(super) const STATUSES: [&str; 3] = ["pending", "approved", "refused"];

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

pub(super) fn organization(c: &mut AnyConnection, id: i64) -> Result<OrganizationResource, AppError> {
    let org = organizations::table
        .find(id)
        .select(Organization::as_select())
        .first(c)?;
    load_organizations(c, vec![org])?.pop().ok_or(AppError::NotFound)
}

pub(super) fn check_name(name: &str) -> Result<String, AppError> {
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
pub(super) fn check_domains(domain_lists: &DomainLists, raw: &[String]) -> Result<Vec<String>, AppError> {
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
    db: &Db,
    domain_lists: &DomainLists,
    actor: &AuthUser,
    name: &str,
    domains: &[String],
) -> Result<OrganizationResource, AppError> {
    actor.require_admin()?;
    let name = check_name(name)?;
    let domains = check_domains(domain_lists, domains)?;
    db.write(move |c| {
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
    db: &Db,
    mailing: &MailContext,
    domain_lists: &DomainLists,
    postman: &Postman,
    actor: &AuthUser,
    id: i64,
    changes: OrganizationChanges,
) -> Result<OrganizationResource, AppError> {
    actor.require_admin()?;
    let name = changes.name.as_deref().map(check_name).transpose()?;
    let domains = changes
        .domains
        .as_deref()
        .map(|d| check_domains(domain_lists, d))
        .transpose()?;
    let (before, after) = db
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
        notify_approved(db, mailing, postman, &after).await;
    }
    tracing::info!(org_id = id, status = %after.status, actor = actor.id, "organization updated");
    Ok(after)
}

#[derive(Serialize)]
pub(super) struct ApprovedMail<'a> {
    pub(super) name: &'a str,
    pub(super) organization: &'a str,
    pub(super) link: String,
}

pub(super) async fn notify_approved(
    db: &Db,
    mailing: &MailContext,
    postman: &Postman,
    org: &OrganizationResource,
) {
    let org_id = org.id;
    let members = db
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
            link: mailing.base_url.to_string(),
        };
        let sent = async {
            let mail =
                Mail::from_templates(&mailing.templates, "org_approved", mailbox(&name, &email)?, &view)?;
            let key = format!("org-approved:{org_id}:{}", email.to_lowercase());
            postman
                .send_now(key, mail)
                .await
                .map_err(|e| anyhow::anyhow!("queueing the approval mail: {e:?}"))
        }
        .await;
        if let Err(e) = sent {
            tracing::warn!(org_id, error = ?e, "could not send the approval mail");
        }
    }
}
