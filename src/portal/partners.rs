//! Partners that support their own customers (resellers, OEMs). An organization marked
//! as supported by a partner keeps the community, but its support goes through the
//! partner: its members see the partner's address and site on the dashboard and the
//! new-ticket form, and what they file is either mailed to the partner's support
//! address (`mail`) or refused with the way to go (`refuse`), as the partner's setting
//! says. Staff still file and work tickets for such an organization.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{organizations, partners, users};
use crate::db::{Db, ResultExt, now};
use crate::error::{AppError, FieldErrors};
use crate::mail::{Mail, MailContext};
use crate::web::AuthUser;
use crate::with_backend;

/// A partner as admins write it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PartnerInput {
    /// 1 to 120 characters, unique.
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    /// The address its customers' tickets go to.
    #[schema(min_length = 3, max_length = 254)]
    pub support_email: String,
    /// Its support site, http or https.
    #[schema(max_length = 500)]
    pub support_url: String,
    /// `mail`: what its customers file is mailed to the partner; `refuse`: the form
    /// says where to go instead.
    #[schema(pattern = "^(mail|refuse)$")]
    pub filing: String,
}

/// A partner as stored and shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PartnerResource {
    pub id: i64,
    #[serde(flatten)]
    pub partner: PartnerInput,
    /// How many organizations it supports.
    pub organizations: i64,
}

fn check(mut p: PartnerInput) -> Result<PartnerInput, AppError> {
    let mut errors = FieldErrors::new();
    p.name = p.name.trim().to_string();
    if p.name.is_empty() || p.name.chars().count() > 120 {
        errors.insert(
            "name".into(),
            vec!["Give the partner a name of 1 to 120 characters.".into()],
        );
    }
    match crate::accounts::domains::parse_email(&p.support_email) {
        Ok(e) => p.support_email = e.address,
        Err(_) => {
            errors.insert(
                "support_email".into(),
                vec!["Give the address the partner's support answers, like support@partner.com.".into()],
            );
        }
    }
    p.support_url = p.support_url.trim().to_string();
    if !crate::web::is_web_address(&p.support_url) {
        errors.insert(
            "support_url".into(),
            vec!["Give the partner's support site as an address starting with https://.".into()],
        );
    }
    p.filing = p.filing.trim().to_string();
    if !matches!(p.filing.as_str(), "mail" | "refuse") {
        errors.insert(
            "filing".into(),
            vec!["Choose whether tickets are mailed to the partner or refused.".into()],
        );
    }
    if errors.is_empty() {
        Ok(p)
    } else {
        Err(AppError::fields(errors))
    }
}

type Row = (i64, String, String, String, String);

fn resource((id, name, support_email, support_url, filing): Row, organizations: i64) -> PartnerResource {
    PartnerResource {
        id,
        partner: PartnerInput {
            name,
            support_email,
            support_url,
            filing,
        },
        organizations,
    }
}

/// Every partner (staff).
pub async fn list(db: &Db, user: &AuthUser) -> Result<Vec<PartnerResource>, AppError> {
    if !user.is_staff() {
        return Err(AppError::forbidden("Only staff see the partners."));
    }
    db.read(|c| {
        let rows: Vec<Row> = partners::table
            .order(partners::name.asc())
            .select((
                partners::id,
                partners::name,
                partners::support_email,
                partners::support_url,
                partners::filing,
            ))
            .load(c)?;
        let counts: HashMap<i64, i64> = organizations::table
            .filter(organizations::partner_id.is_not_null())
            .group_by(organizations::partner_id)
            .select((organizations::partner_id, diesel::dsl::count_star()))
            .load::<(Option<i64>, i64)>(c)?
            .into_iter()
            .filter_map(|(p, n)| p.map(|p| (p, n)))
            .collect();
        Ok(rows
            .into_iter()
            .map(|r| {
                let n = counts.get(&r.0).copied().unwrap_or(0);
                resource(r, n)
            })
            .collect())
    })
    .await
}

/// Adds a partner (admins).
pub async fn create(db: &Db, user: &AuthUser, input: PartnerInput) -> Result<PartnerResource, AppError> {
    user.require_admin()?;
    let p = check(input)?;
    let saved = p.clone();
    let id = db
        .write(move |c| {
            let at = now();
            let values = (
                partners::name.eq(&p.name),
                partners::support_email.eq(&p.support_email),
                partners::support_url.eq(&p.support_url),
                partners::filing.eq(&p.filing),
                partners::created_at.eq(at),
                partners::updated_at.eq(at),
            );
            with_backend!(c, |c| diesel::insert_into(partners::table)
                .values(values)
                .returning(partners::id)
                .get_result::<i64>(c))
            .on_unique("partners_name_key", "name", "Another partner has this name.")
        })
        .await?;
    Ok(PartnerResource {
        id,
        partner: saved,
        organizations: 0,
    })
}

/// Changes a partner (admins).
pub async fn update(
    db: &Db,
    user: &AuthUser,
    id: i64,
    input: PartnerInput,
) -> Result<PartnerResource, AppError> {
    user.require_admin()?;
    let p = check(input)?;
    db.write(move |c| {
        let n = diesel::update(partners::table.find(id))
            .set((
                partners::name.eq(&p.name),
                partners::support_email.eq(&p.support_email),
                partners::support_url.eq(&p.support_url),
                partners::filing.eq(&p.filing),
                partners::updated_at.eq(now()),
            ))
            .execute(c)
            .on_unique("partners_name_key", "name", "Another partner has this name.")?;
        if n == 0 {
            return Err(AppError::NotFound);
        }
        Ok(())
    })
    .await?;
    list(db, user)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(AppError::NotFound)
}

/// Staff accounts by name, for choosing a customer success manager.
pub async fn staff_names(db: &Db) -> Result<Vec<(i64, String)>, AppError> {
    db.read(|c| {
        Ok(users::table
            .filter(users::role.eq_any(["staff", "admin"]))
            .order(users::display_name.asc())
            .select((users::id, users::display_name))
            .load(c)?)
    })
    .await
}

/// The partner that supports the reader's organization, if one does; staff never have
/// one (they file for any customer).
pub async fn supporting(db: &Db, user: &AuthUser) -> Result<Option<PartnerResource>, AppError> {
    let Some(org) = user.organization_id.filter(|_| !user.is_staff()) else {
        return Ok(None);
    };
    db.read(move |c| supporting_org(c, org)).await
}

/// The partner that supports organization `org`, if one does.
pub fn supporting_org(
    c: &mut crate::db::AnyConnection,
    org: i64,
) -> Result<Option<PartnerResource>, AppError> {
    let row: Option<Row> = organizations::table
        .inner_join(partners::table.on(organizations::partner_id.eq(partners::id.nullable())))
        .filter(organizations::id.eq(org))
        .select((
            partners::id,
            partners::name,
            partners::support_email,
            partners::support_url,
            partners::filing,
        ))
        .first(c)
        .optional()?;
    Ok(row.map(|r| resource(r, 0)))
}

/// What a partner's customer filed, as the partner's mail shows it.
#[derive(Debug, Clone, Serialize)]
struct Forwarded<'a> {
    partner: &'a str,
    organization: &'a str,
    requester: &'a str,
    requester_email: &'a str,
    priority: &'a str,
    subject: &'a str,
    description: &'a str,
    site: String,
}

/// What a customer of a partner files: mailed to the partner's support address when
/// the partner takes tickets by mail, refused (403, naming where to go) when it does
/// not. Returns the partner it went to.
pub async fn forward(
    db: &Db,
    mailing: &MailContext,
    limiter: &crate::web::rate_limit::Limiter,
    user: &AuthUser,
    subject: &str,
    description: &str,
    priority: &str,
) -> Result<PartnerResource, AppError> {
    super::access(user)?;
    let subject = subject.trim().to_string();
    let description = description.trim().to_string();
    let mut errors = FieldErrors::new();
    if subject.is_empty() || subject.chars().count() > 200 {
        errors.insert(
            "subject".into(),
            vec!["Give a subject of 1 to 200 characters.".into()],
        );
    }
    if description.is_empty() || description.chars().count() > 50_000 {
        errors.insert(
            "description".into(),
            vec!["Describe the problem, in up to 50,000 characters.".into()],
        );
    }
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    // Each filing is a mail to someone else's support: limited like posting.
    crate::forum::check_post_rate(limiter, user).await?;
    let priority = crate::portal::sla::Priority::parse(priority)
        .unwrap_or(crate::portal::sla::Priority::Normal)
        .as_str();
    let (me, name, email, org_name) = (
        user.id,
        user.display_name.clone(),
        user.email.clone(),
        user.organization_name.clone().unwrap_or_default(),
    );
    let Some(org) = user.organization_id.filter(|_| !user.is_staff()) else {
        return Err(AppError::NotFound);
    };
    let mailing = mailing.clone();
    db.write(move |c| {
        let partner = supporting_org(c, org)?.ok_or(AppError::NotFound)?;
        if partner.partner.filing != "mail" {
            return Err(refusal(&partner, &org_name));
        }
        let view = Forwarded {
            partner: &partner.partner.name,
            organization: &org_name,
            requester: &name,
            requester_email: &email,
            priority,
            subject: &subject,
            description: &description,
            site: mailing.url("/"),
        };
        let to = crate::mail::mailbox(&partner.partner.name, &partner.partner.support_email)
            .map_err(AppError::Internal)?;
        let mail = Mail::from_templates(&mailing.templates, "partner_ticket", to, &view)
            .map_err(AppError::Internal)?;
        // One mail per filing: the key names the requester and the moment.
        let key = format!("partner-ticket:{me}:{}", now().and_utc().timestamp_micros());
        crate::outbox::enqueue(c, &key, &mail)?;
        Ok(partner)
    })
    .await
}

/// The refusal a partner's customer meets when the partner does not take tickets by
/// mail: where to go instead.
pub fn refusal(partner: &PartnerResource, organization: &str) -> AppError {
    AppError::Forbidden(format!(
        "{organization} is supported by {}: file your request with them at {} or {}. The community stays open to you.",
        partner.partner.name, partner.partner.support_url, partner.partner.support_email
    ))
}
