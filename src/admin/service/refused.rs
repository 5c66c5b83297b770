//! Signup domains refused by the admins.

use super::*;

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
