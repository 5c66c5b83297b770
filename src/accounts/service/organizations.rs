//! Which organization an address joins, and organizations made or found by name.

use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::domains::{self};
use crate::config::UnknownDomainPolicy;
use crate::db::models::{NewOrganization, Organization};
use crate::db::schema::{blocked_domains, organization_domains, organizations};
use crate::db::{AnyConnection, ResultExt, now};
use crate::error::AppError;
use crate::with_backend;

/// The organization an address on `domain` joins: the one owning the domain (or a
/// parent of it), or a new pending one, or a refusal.
pub(super) fn resolve_organization(
    c: &mut AnyConnection,
    domain: &str,
    policy: UnknownDomainPolicy,
) -> Result<Organization, AppError> {
    let candidates: Vec<&str> = domains::suffixes(domain).collect();
    let blocked: Option<String> = blocked_domains::table
        .filter(blocked_domains::domain.eq_any(&candidates))
        .select(blocked_domains::domain)
        .first(c)
        .optional()?;
    if let Some(b) = blocked {
        return Err(AppError::field(
            "email",
            format!("Sign-ups from {b} are not accepted. Please use your company email address."),
        ));
    }
    if let Some(org) = owner_of(c, &candidates)? {
        if org.status == "refused" {
            return Err(AppError::field(
                "email",
                format!("Sign-ups from {domain} are closed. Ask your account manager for access."),
            ));
        }
        return Ok(org);
    }
    if policy == UnknownDomainPolicy::Refuse {
        return Err(AppError::field(
            "email",
            format!(
                "{domain} does not belong to a customer of ours yet. Ask your account manager to register your company."
            ),
        ));
    }
    // In a savepoint: on PostgreSQL a concurrent signup from the same new domain may
    // commit the organization first, and then the insert fails on the unique index.
    // The organization it made is the one to join.
    use diesel::Connection;
    match c.transaction(|c| create_organization(c, domain, "pending", &[domain.to_string()])) {
        Ok(org) => Ok(org),
        Err(e) => owner_of(c, &candidates)?.ok_or(e),
    }
}

/// The organization owning the most specific of `candidates` (eu.acme.com before
/// acme.com).
pub(super) fn owner_of(c: &mut AnyConnection, candidates: &[&str]) -> Result<Option<Organization>, AppError> {
    let mut owned: Vec<(String, Organization)> = organization_domains::table
        .inner_join(organizations::table)
        .filter(organization_domains::domain.eq_any(candidates))
        .select((organization_domains::domain, Organization::as_select()))
        .load(c)?;
    owned.sort_by_key(|(d, _)| std::cmp::Reverse(d.len()));
    Ok(owned.into_iter().next().map(|(_, org)| org))
}

/// Creates an organization owning `domains`. A name already taken gets a numeric suffix.
pub fn create_organization(
    c: &mut AnyConnection,
    name: &str,
    status: &str,
    domain_list: &[String],
) -> Result<Organization, AppError> {
    let mut unique_name = name.to_string();
    for n in 2.. {
        let taken: i64 = organizations::table
            .filter(organizations::name.eq(&unique_name))
            .count()
            .get_result(c)?;
        if taken == 0 {
            break;
        }
        unique_name = format!("{name} ({n})");
    }
    let t = now();
    let new = NewOrganization {
        name: &unique_name,
        status,
        created_at: t,
        updated_at: t,
    };
    let org = with_backend!(c, |c| diesel::insert_into(organizations::table)
        .values(&new)
        .returning(Organization::as_returning())
        .get_result(c))?;
    add_domains(c, org.id, domain_list)?;
    Ok(org)
}

/// Gives `domains` to an organization; a domain another organization owns is a 422.
pub fn add_domains(c: &mut AnyConnection, org_id: i64, domain_list: &[String]) -> Result<(), AppError> {
    let t = now();
    for d in domain_list {
        diesel::insert_into(organization_domains::table)
            .values((
                organization_domains::organization_id.eq(org_id),
                organization_domains::domain.eq(d),
                organization_domains::created_at.eq(t),
            ))
            .execute(c)
            .on_unique(
                "organization_domains_domain_key",
                "domains",
                &format!("{d} already belongs to another organization."),
            )?;
    }
    Ok(())
}

/// An organization named by id or by name.
#[derive(Debug, Clone, serde::Deserialize, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum OrgRef {
    Id(i64),
    Name(String),
}

/// The id of the organization `named`, or a 422 on `organization` saying none exists.
pub fn find_organization(c: &mut AnyConnection, named: &OrgRef) -> Result<i64, AppError> {
    let found: Option<i64> = match named {
        OrgRef::Id(id) => organizations::table
            .find(*id)
            .select(organizations::id)
            .first(c)
            .optional()?,
        OrgRef::Name(name) => organizations::table
            .filter(organizations::name.eq(name.trim()))
            .select(organizations::id)
            .first(c)
            .optional()?,
    };
    found.ok_or_else(|| {
        let which = match named {
            OrgRef::Id(id) => format!("with id {id}"),
            OrgRef::Name(name) => format!("named '{}'", name.trim()),
        };
        AppError::field("organization", format!("There is no organization {which}."))
    })
}

/// An organization by id or name; a new name becomes an approved organization that
/// owns `domain`, unless another organization owns it already.
pub(super) fn find_or_create_org(
    c: &mut AnyConnection,
    name_or_id: &str,
    domain: &str,
) -> Result<i64, AppError> {
    let named = match name_or_id.parse::<i64>() {
        Ok(id) => OrgRef::Id(id),
        Err(_) => OrgRef::Name(name_or_id.to_string()),
    };
    match (find_organization(c, &named), &named) {
        (Ok(id), _) => return Ok(id),
        // A number names an existing organization; a new name makes one.
        (Err(e), OrgRef::Id(_)) => return Err(e),
        (Err(_), OrgRef::Name(_)) => {}
    }
    let owned: i64 = organization_domains::table
        .filter(organization_domains::domain.eq(domain))
        .count()
        .get_result(c)?;
    let domain_list = if owned == 0 {
        vec![domain.to_string()]
    } else {
        Vec::new()
    };
    Ok(create_organization(c, name_or_id, "approved", &domain_list)?.id)
}
