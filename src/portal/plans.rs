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
    /// 1 to 10,000.
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
        if !(1..=10_000).contains(&t.amount) {
            errors.insert(
                format!("{field}_amount"),
                vec!["Give a whole number from 1 to 10,000.".into()],
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
type CalendarValues = (
    diesel::dsl::Eq<support_plans::zone, String>,
    diesel::dsl::Eq<support_plans::opens, String>,
    diesel::dsl::Eq<support_plans::closes, String>,
    diesel::dsl::Eq<support_plans::days, String>,
    diesel::dsl::Eq<support_plans::holidays, String>,
);

fn calendar_values(c: &CalendarForm) -> CalendarValues {
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

/// What a plan offers a ticket's reader: escalation, and the hotline to call.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanSummary {
    pub id: i64,
    pub name: String,
    pub escalation: bool,
    pub hotline: String,
}

/// The name and the escalation terms of a plan.
pub fn summary(c: &mut AnyConnection, plan_id: i64) -> Result<PlanSummary, AppError> {
    let (id, name, escalation, hotline) = support_plans::table
        .find(plan_id)
        .select((
            support_plans::id,
            support_plans::name,
            support_plans::escalation,
            support_plans::hotline,
        ))
        .first::<(i64, String, bool, String)>(c)?;
    Ok(PlanSummary {
        id,
        name,
        escalation,
        hotline,
    })
}

/// The terms of plan `plan_id` for organization `organization_id`: the plan's targets
/// and pauses, on its calendar with the organization's own zone and holidays. A plan
/// that cannot be read (it was never there) gives Standard's terms on the standard
/// calendar.
pub fn terms(c: &mut AnyConnection, plan_id: i64, organization_id: i64) -> Result<Terms, AppError> {
    let row: Option<PlanRow> = support_plans::table
        .find(plan_id)
        .select(select_plan())
        .first(c)
        .optional()?;
    let Some(row) = row else {
        return Ok(Terms::standard(sla::Calendar::standard()));
    };
    let (_, mut input) = input_of(row);
    let own: Option<(Option<String>, String)> = organizations::table
        .find(organization_id)
        .select((organizations::time_zone, organizations::holidays))
        .first(c)
        .optional()?;
    if let Some((zone, holidays)) = own {
        if let Some(z) = zone.filter(|z| !z.trim().is_empty()) {
            input.calendar.zone = z;
        }
        if !holidays.trim().is_empty() {
            input.calendar.holidays = format!("{}\n{}", input.calendar.holidays, holidays);
        }
    }
    // Stored plans were checked on the way in; a row edited by hand falls back field by
    // field rather than stopping every ticket page.
    let calendar = calendar::parse(&input.calendar).unwrap_or_else(|_| sla::Calendar::standard());
    let fallback = Terms::standard(calendar.clone());
    let target = |t: &TargetInput, or: Target| {
        Unit::parse(&t.unit)
            .map(|unit| Target {
                amount: t.amount,
                unit,
            })
            .unwrap_or(or)
    };
    Ok(Terms {
        critical: target(&input.critical, fallback.critical),
        high: target(&input.high, fallback.high),
        normal: target(&input.normal, fallback.normal),
        pauses: input.pauses.iter().filter_map(|p| Status::parse(p)).collect(),
        calendar,
    })
}

/// The events of a ticket that its SLA depends on: its creation (with the priority it
/// was filed with), priority and status changes, and public notes by staff.
pub fn sla_events<'a>(
    t: &Ticket,
    events: impl Iterator<
        Item = (
            &'a str,
            bool,
            Option<&'a str>,
            chrono::NaiveDateTime,
            Option<&'a str>,
        ),
    >,
) -> Vec<SlaEvent> {
    let mut out = Vec::new();
    for (kind, public, to_value, at, role) in events {
        let at = at.and_utc();
        match kind {
            "created" => out.push(SlaEvent::Created {
                at,
                priority: to_value.and_then(Priority::parse).unwrap_or(Priority::Normal),
            }),
            "priority" => {
                if let Some(to) = to_value.and_then(Priority::parse) {
                    out.push(SlaEvent::PriorityChanged { at, to });
                }
            }
            "status" => {
                if let Some(to) = to_value.and_then(Status::parse) {
                    out.push(SlaEvent::StatusChanged { at, to });
                }
            }
            "note" if public && matches!(role, Some("staff" | "admin")) => {
                out.push(SlaEvent::StaffResponse { at })
            }
            _ => {}
        }
    }
    if !out.iter().any(|e| matches!(e, SlaEvent::Created { .. })) {
        out.push(SlaEvent::Created {
            at: t.created_at.and_utc(),
            priority: Priority::parse(&t.priority).unwrap_or(Priority::Normal),
        });
    }
    out
}

/// Stores what the tickets' plans and logs make of their SLAs now (due time, paused);
/// returns how many changed. Run in the transaction that changed a ticket's status,
/// priority or plan terms.
pub fn refresh(c: &mut AnyConnection, ids: &[i64]) -> Result<usize, AppError> {
    let mut moved = 0;
    let mut terms_of: HashMap<(i64, i64), Terms> = HashMap::new();
    for chunk in ids.chunks(500) {
        let list: Vec<Ticket> = tickets::table
            .filter(tickets::id.eq_any(chunk))
            .select(Ticket::as_select())
            .load(c)?;
        type Row = (
            i64,
            String,
            bool,
            Option<String>,
            chrono::NaiveDateTime,
            Option<String>,
        );
        let rows: Vec<Row> = ticket_events::table
            .left_join(users::table.on(users::id.nullable().eq(ticket_events::actor_id)))
            .filter(ticket_events::ticket_id.eq_any(chunk))
            .filter(ticket_events::kind.eq_any(["created", "priority", "status", "note"]))
            .select((
                ticket_events::ticket_id,
                ticket_events::kind,
                ticket_events::public,
                ticket_events::to_value,
                ticket_events::created_at,
                users::role.nullable(),
            ))
            .load(c)?;
        let mut by_ticket: HashMap<i64, Vec<&Row>> = HashMap::new();
        for r in &rows {
            by_ticket.entry(r.0).or_default().push(r);
        }
        let at = Utc::now();
        for t in list {
            let key = (t.plan_id, t.organization_id);
            let terms = match terms_of.entry(key) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(terms(c, t.plan_id, t.organization_id)?)
                }
            };
            let events = sla_events(
                &t,
                by_ticket
                    .get(&t.id)
                    .into_iter()
                    .flatten()
                    .map(|r| (r.1.as_str(), r.2, r.3.as_deref(), r.4, r.5.as_deref())),
            );
            let Some(s) = sla::evaluate(terms, &events, at) else {
                continue;
            };
            let due = s.due.naive_utc();
            if due != t.sla_due_at || s.paused != t.sla_paused {
                diesel::update(tickets::table.find(t.id))
                    .set((tickets::sla_due_at.eq(due), tickets::sla_paused.eq(s.paused)))
                    .execute(c)?;
                moved += 1;
            }
        }
    }
    Ok(moved)
}

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
