//! Support plans: what an organization's tickets are promised. A plan sets the response
//! target of each priority, the business calendar its business hours count on, the
//! statuses in which the clock pauses, and whether its customers may escalate a case
//! (with the hotline to call). An organization may keep its own time zone and holidays,
//! which replace its plan's zone and add to its holidays.
//!
//! A ticket keeps the plan it was filed under: changing an organization's plan applies
//! to tickets filed afterwards. Editing a plan (or an organization's calendar) moves the
//! stored due times of the tickets it governs, in the same transaction, so lists,
//! alerts and reports never disagree with the ticket page.

use std::collections::HashMap;

use chrono::Utc;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::calendar::{self, CalendarForm};
use super::sla::{self, Priority, SlaEvent, Target, Terms, Unit};
use super::ticket_status::Status;
use crate::db::ResultExt;
use crate::db::models::Ticket;
use crate::db::schema::{organizations, support_plans, ticket_events, tickets, users};
use crate::db::{AnyConnection, Db, now};
use crate::error::{AppError, FieldErrors};
use crate::web::AuthUser;
use crate::with_backend;

mod customers;
mod terms;

pub use customers::*;
pub use terms::*;

/// The plan every organization starts on.
pub const STANDARD: i64 = 1;

/// The statuses a plan may pause its clock in.
pub const PAUSABLE: [Status; 3] = [
    Status::CustomerPending,
    Status::AwaitingAuthorization,
    Status::MeetingScheduled,
];

/// A response target as written: an amount and a unit (minutes, hours,
/// business_hours or business_days).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TargetInput {
    /// At least 1; at most 10,000 minutes, 1,000 hours, 2,000 business hours or 250
    /// business days.
    #[schema(minimum = 1, maximum = 10000)]
    pub amount: i64,
    /// minutes or hours (around the clock), business_hours or business_days.
    #[schema(pattern = "^(minutes|hours|business_hours|business_days)$")]
    pub unit: String,
}

/// A plan as admins write it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanInput {
    /// 1 to 60 characters, unique.
    #[schema(min_length = 1, max_length = 60)]
    pub name: String,
    pub critical: TargetInput,
    pub high: TargetInput,
    pub normal: TargetInput,
    /// The business calendar that business hours and days count on.
    pub calendar: CalendarForm,
    /// The statuses in which the clock stands still: any of customer_pending,
    /// awaiting_authorization, meeting_scheduled.
    #[serde(default)]
    #[schema(max_items = 3)]
    pub pauses: Vec<String>,
    /// Its customers' authorized contacts may escalate a ticket.
    #[serde(default)]
    pub escalation: bool,
    /// The number to call for an emergency, shown on escalated tickets; up to 60
    /// characters.
    #[serde(default)]
    #[schema(max_length = 60)]
    pub hotline: String,
}

/// A plan as it is stored and shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanResource {
    pub id: i64,
    #[serde(flatten)]
    pub plan: PlanInput,
    /// How many organizations are on it.
    pub organizations: i64,
}

type PlanRow = (
    i64,
    String,
    (i64, String, i64, String, i64, String),
    (String, String, String, String, String),
    (String, bool, String),
);

/// The columns of a plan, in the order of [`PlanRow`].
type PlanColumns = (
    support_plans::id,
    support_plans::name,
    (
        support_plans::critical_amount,
        support_plans::critical_unit,
        support_plans::high_amount,
        support_plans::high_unit,
        support_plans::normal_amount,
        support_plans::normal_unit,
    ),
    (
        support_plans::zone,
        support_plans::opens,
        support_plans::closes,
        support_plans::days,
        support_plans::holidays,
    ),
    (
        support_plans::pauses,
        support_plans::escalation,
        support_plans::hotline,
    ),
);

fn select_plan() -> PlanColumns {
    use support_plans::*;
    (
        id,
        name,
        (
            critical_amount,
            critical_unit,
            high_amount,
            high_unit,
            normal_amount,
            normal_unit,
        ),
        (zone, opens, closes, days, holidays),
        (pauses, escalation, hotline),
    )
}

fn input_of(row: PlanRow) -> (i64, PlanInput) {
    let (
        id,
        name,
        (ca, cu, ha, hu, na, nu),
        (zone, opens, closes, days, holidays),
        (pauses, escalation, hotline),
    ) = row;
    let target = |amount, unit| TargetInput { amount, unit };
    (
        id,
        PlanInput {
            name,
            critical: target(ca, cu),
            high: target(ha, hu),
            normal: target(na, nu),
            calendar: CalendarForm {
                zone,
                opens,
                closes,
                days,
                holidays,
            },
            pauses: pauses
                .split(',')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect(),
            escalation,
            hotline,
        },
    )
}

/// Checks a plan field by field; returns it trimmed, its pauses named once each.
fn check(mut input: PlanInput) -> Result<PlanInput, AppError> {
    let mut errors = FieldErrors::new();
    input.name = input.name.trim().to_string();
    if input.name.is_empty() || input.name.chars().count() > 60 {
        errors.insert(
            "name".into(),
            vec!["Give the plan a name of 1 to 60 characters.".into()],
        );
    }
    let mut target = |field: &str, t: &mut TargetInput| -> Option<Target> {
        t.unit = t.unit.trim().to_string();
        let unit = Unit::parse(&t.unit);
        if unit.is_none() {
            errors.insert(
                format!("{field}_unit"),
                vec!["Choose minutes, hours, business hours or business days.".into()],
            );
        }
        // At most about a week of minutes, six weeks of hours, a year of business time.
        let (most, words) = match unit {
            Some(Unit::Minutes) | None => (10_000, "10,000 minutes"),
            Some(Unit::Hours) => (1_000, "1,000 hours"),
            Some(Unit::BusinessHours) => (2_000, "2,000 business hours"),
            Some(Unit::BusinessDays) => (250, "250 business days"),
        };
        if !(1..=most).contains(&t.amount) {
            errors.insert(
                format!("{field}_amount"),
                vec![format!("Give a whole number from 1 to {words}.")],
            );
        }
        unit.map(|unit| Target {
            amount: t.amount,
            unit,
        })
    };
    let critical = target("critical", &mut input.critical);
    let high = target("high", &mut input.high);
    let normal = target("normal", &mut input.normal);
    let calendar = match calendar::parse(&input.calendar) {
        Ok(c) => Some(c),
        Err(AppError::Invalid { fields, .. }) => {
            errors.extend(fields);
            None
        }
        Err(e) => return Err(e),
    };
    let mut pauses = Vec::new();
    for p in &input.pauses {
        match Status::parse(p).filter(|s| PAUSABLE.contains(s)) {
            Some(s) if !pauses.contains(&s) => pauses.push(s),
            Some(_) => {}
            None => {
                errors.insert(
                    "pauses".into(),
                    vec![format!(
                        "'{}' is not a status the clock may pause in: customer_pending, \
                         awaiting_authorization or meeting_scheduled.",
                        p.trim()
                    )],
                );
            }
        }
    }
    input.pauses = pauses.iter().map(|s| s.as_str().to_string()).collect();
    input.hotline = input.hotline.trim().to_string();
    if input.hotline.chars().count() > 60 {
        errors.insert(
            "hotline".into(),
            vec!["Keep the hotline to 60 characters.".into()],
        );
    }
    if input.escalation && input.hotline.is_empty() {
        errors.insert(
            "hotline".into(),
            vec!["A plan that offers escalation names the hotline to call.".into()],
        );
    }
    match (critical, high, normal, calendar) {
        (Some(_), Some(_), Some(_), Some(_)) if errors.is_empty() => Ok(input),
        _ => Err(AppError::Invalid {
            message: "The plan has fields to fix.".into(),
            fields: errors,
        }),
    }
}

/// Every plan, with how many organizations are on each (staff).
pub async fn list(db: &Db, user: &AuthUser) -> Result<Vec<PlanResource>, AppError> {
    if !user.is_staff() {
        return Err(AppError::forbidden("Only staff see the support plans."));
    }
    db.read(|c| {
        let rows: Vec<PlanRow> = support_plans::table
            .order(support_plans::id.asc())
            .select(select_plan())
            .load(c)?;
        let counts: HashMap<i64, i64> = organizations::table
            .group_by(organizations::plan_id)
            .select((organizations::plan_id, diesel::dsl::count_star()))
            .load::<(i64, i64)>(c)?
            .into_iter()
            .collect();
        Ok(rows
            .into_iter()
            .map(|r| {
                let (id, plan) = input_of(r);
                PlanResource {
                    id,
                    plan,
                    organizations: counts.get(&id).copied().unwrap_or(0),
                }
            })
            .collect())
    })
    .await
}

/// One plan (staff).
pub async fn get(db: &Db, user: &AuthUser, id: i64) -> Result<PlanResource, AppError> {
    list(db, user)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(AppError::NotFound)
}

/// Adds a plan (admins).
pub async fn create(db: &Db, user: &AuthUser, input: PlanInput) -> Result<PlanResource, AppError> {
    user.require_admin()?;
    let input = check(input)?;
    let id = db
        .write(move |c| {
            let at = now();
            let p = &input;
            let values = (
                support_plans::name.eq(&p.name),
                (
                    support_plans::critical_amount.eq(p.critical.amount),
                    support_plans::critical_unit.eq(&p.critical.unit),
                    support_plans::high_amount.eq(p.high.amount),
                    support_plans::high_unit.eq(&p.high.unit),
                    support_plans::normal_amount.eq(p.normal.amount),
                    support_plans::normal_unit.eq(&p.normal.unit),
                ),
                calendar_values(&p.calendar),
                (
                    support_plans::pauses.eq(p.pauses.join(",")),
                    support_plans::escalation.eq(p.escalation),
                    support_plans::hotline.eq(&p.hotline),
                    support_plans::created_at.eq(at),
                    support_plans::updated_at.eq(at),
                ),
            );
            with_backend!(c, |c| diesel::insert_into(support_plans::table)
                .values(values)
                .returning(support_plans::id)
                .get_result::<i64>(c))
            .on_unique("support_plans_name_key", "name", "Another plan has this name.")
        })
        .await?;
    get(db, user, id).await
}

/// A calendar's columns, to set.
pub(in crate::portal) type CalendarValues = (
    diesel::dsl::Eq<support_plans::zone, String>,
    diesel::dsl::Eq<support_plans::opens, String>,
    diesel::dsl::Eq<support_plans::closes, String>,
    diesel::dsl::Eq<support_plans::days, String>,
    diesel::dsl::Eq<support_plans::holidays, String>,
);

pub(in crate::portal) fn calendar_values(c: &CalendarForm) -> CalendarValues {
    (
        support_plans::zone.eq(c.zone.trim().to_string()),
        support_plans::opens.eq(c.opens.trim().to_string()),
        support_plans::closes.eq(c.closes.trim().to_string()),
        support_plans::days.eq(c.days.trim().to_string()),
        support_plans::holidays.eq(c.holidays.trim().to_string()),
    )
}

/// Changes a plan (admins); the due times of its tickets follow in the same
/// transaction.
pub async fn update(db: &Db, user: &AuthUser, id: i64, input: PlanInput) -> Result<PlanResource, AppError> {
    user.require_admin()?;
    let input = check(input)?;
    db.write(move |c| {
        let p = &input;
        let changed = diesel::update(support_plans::table.find(id))
            .set((
                support_plans::name.eq(&p.name),
                (
                    support_plans::critical_amount.eq(p.critical.amount),
                    support_plans::critical_unit.eq(&p.critical.unit),
                    support_plans::high_amount.eq(p.high.amount),
                    support_plans::high_unit.eq(&p.high.unit),
                    support_plans::normal_amount.eq(p.normal.amount),
                    support_plans::normal_unit.eq(&p.normal.unit),
                ),
                calendar_values(&p.calendar),
                (
                    support_plans::pauses.eq(p.pauses.join(",")),
                    support_plans::escalation.eq(p.escalation),
                    support_plans::hotline.eq(&p.hotline),
                    support_plans::updated_at.eq(now()),
                ),
            ))
            .execute(c)
            .on_unique("support_plans_name_key", "name", "Another plan has this name.")?;
        if changed == 0 {
            return Err(AppError::NotFound);
        }
        let ids: Vec<i64> = tickets::table
            .filter(tickets::plan_id.eq(id))
            // Open tickets only: a closed ticket's result is history.
            .filter(tickets::status.ne_all(["closed", "archived"]))
            .select(tickets::id)
            .load(c)?;
        let moved = refresh(c, &ids)?;
        if moved > 0 {
            tracing::info!(plan = id, tickets = moved, "due times follow the changed plan");
        }
        Ok(())
    })
    .await?;
    get(db, user, id).await
}
