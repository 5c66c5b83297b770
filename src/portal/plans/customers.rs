//! An organization's support terms, and what a customer's new ticket is promised.

use super::*;

/// An organization's support terms as admins set them.
#[derive(Debug, Clone, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct OrganizationSupport {
    /// The plan its tickets are filed under from now on.
    pub plan_id: i64,
    /// Its own time zone for business hours (IANA, such as Asia/Tokyo); empty: the
    /// plan's.
    #[serde(default)]
    pub time_zone: String,
    /// Its own holidays (YYYY-MM-DD, by commas or lines), added to the plan's.
    #[serde(default)]
    pub holidays: String,
    /// Its customer success manager, a member of staff; none: nobody named.
    #[serde(default)]
    pub success_manager_id: Option<i64>,
    /// The partner that supports it; none: the vendor does.
    #[serde(default)]
    pub partner_id: Option<i64>,
}

/// An organization's support terms.
pub async fn organization_support(
    db: &Db,
    user: &AuthUser,
    id: i64,
) -> Result<OrganizationSupport, AppError> {
    if !user.is_staff() {
        return Err(AppError::forbidden(
            "Only staff see an organization's support terms.",
        ));
    }
    db.read(move |c| {
        let (plan_id, zone, holidays, success_manager_id, partner_id) = organizations::table
            .find(id)
            .select((
                organizations::plan_id,
                organizations::time_zone,
                organizations::holidays,
                organizations::success_manager_id,
                organizations::partner_id,
            ))
            .first::<(i64, Option<String>, String, Option<i64>, Option<i64>)>(c)?;
        Ok(OrganizationSupport {
            plan_id,
            time_zone: zone.unwrap_or_default(),
            holidays,
            success_manager_id,
            partner_id,
        })
    })
    .await
}

/// Sets an organization's plan, calendar, success manager and partner (admins). A new
/// plan applies to tickets filed afterwards; a new zone or new holidays move the due
/// times of its tickets at once, as a plan's calendar does.
pub async fn set_organization_support(
    db: &Db,
    user: &AuthUser,
    id: i64,
    input: OrganizationSupport,
) -> Result<OrganizationSupport, AppError> {
    user.require_admin()?;
    let zone = input.time_zone.trim().to_string();
    let holidays = input.holidays.trim().to_string();
    // The plan's own fields are placeholders: only the zone and holidays are checked.
    let probe = CalendarForm {
        zone: if zone.is_empty() {
            "UTC".into()
        } else {
            zone.clone()
        },
        opens: "09:00".into(),
        closes: "17:00".into(),
        days: "mon".into(),
        holidays: holidays.clone(),
    };
    if let Err(AppError::Invalid { fields, .. }) = calendar::parse(&probe) {
        let fields: FieldErrors = fields
            .into_iter()
            .map(|(k, v)| (if k == "zone" { "time_zone".to_string() } else { k }, v))
            .collect();
        return Err(AppError::fields(fields));
    }
    let saved = db
        .write(move |c| {
            let (old_zone, old_holidays) = organizations::table
                .find(id)
                .select((organizations::time_zone, organizations::holidays))
                .first::<(Option<String>, String)>(c)?;
            let plan = support_plans::table
                .find(input.plan_id)
                .select(support_plans::id)
                .first::<i64>(c)
                .optional()?;
            if plan.is_none() {
                return Err(AppError::field("plan_id", "Choose one of the support plans."));
            }
            if let Some(m) = input.success_manager_id {
                let staff = users::table
                    .filter(users::id.eq(m).and(users::role.eq_any(["staff", "admin"])))
                    .select(users::id)
                    .first::<i64>(c)
                    .optional()?;
                if staff.is_none() {
                    return Err(AppError::field(
                        "success_manager_id",
                        "The customer success manager is a member of staff.",
                    ));
                }
            }
            if let Some(p) = input.partner_id {
                let there = crate::db::schema::partners::table
                    .find(p)
                    .select(crate::db::schema::partners::id)
                    .first::<i64>(c)
                    .optional()?;
                if there.is_none() {
                    return Err(AppError::field("partner_id", "Choose one of the partners."));
                }
            }
            let zone = (!zone.is_empty()).then_some(zone);
            diesel::update(organizations::table.find(id))
                .set((
                    organizations::plan_id.eq(input.plan_id),
                    organizations::time_zone.eq(&zone),
                    organizations::holidays.eq(&holidays),
                    organizations::success_manager_id.eq(input.success_manager_id),
                    organizations::partner_id.eq(input.partner_id),
                    organizations::updated_at.eq(now()),
                ))
                .execute(c)?;
            if old_zone != zone || old_holidays != holidays {
                let ids: Vec<i64> = tickets::table
                    .filter(tickets::organization_id.eq(id))
                    // Open tickets only: a closed ticket's result is history.
                    .filter(tickets::status.ne_all(["closed", "archived"]))
                    .select(tickets::id)
                    .load(c)?;
                refresh(c, &ids)?;
            }
            Ok(OrganizationSupport {
                plan_id: input.plan_id,
                time_zone: zone.unwrap_or_default(),
                holidays,
                success_manager_id: input.success_manager_id,
                partner_id: input.partner_id,
            })
        })
        .await?;
    Ok(saved)
}

/// A target as pages show it (the template words it).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TargetView {
    pub amount: i64,
    pub unit: String,
}

impl From<Target> for TargetView {
    fn from(t: Target) -> Self {
        Self {
            amount: t.amount,
            unit: t.unit.as_str().into(),
        }
    }
}

/// What a customer's new ticket will be promised: their organization's plan and its
/// target per priority (critical, high, normal). Staff file for any customer, so they
/// get none: the form says the customer's plan applies.
#[derive(Debug, Clone, Serialize)]
pub struct FilingTerms {
    pub plan: String,
    pub critical: TargetView,
    pub high: TargetView,
    pub normal: TargetView,
}

pub async fn filing_terms(db: &Db, user: &AuthUser) -> Result<Option<FilingTerms>, AppError> {
    let Some(org) = user.organization_id.filter(|_| !user.is_staff()) else {
        return Ok(None);
    };
    db.read(move |c| {
        let Some(plan_id) = organizations::table
            .find(org)
            .select(organizations::plan_id)
            .first::<i64>(c)
            .optional()?
        else {
            return Ok(None);
        };
        let t = terms(c, plan_id, org)?;
        Ok(Some(FilingTerms {
            plan: summary(c, plan_id)?.name,
            critical: t.critical.into(),
            high: t.high.into(),
            normal: t.normal.into(),
        }))
    })
    .await
}
