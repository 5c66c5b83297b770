//! Reports for staff: how often the first response came within the SLA, by priority and
//! by customer, and how long it took, over a period; as a page, JSON or CSV.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::access;
use crate::db::Db;
use crate::db::schema::{organizations, support_plans, tickets};
use crate::error::{AppError, FieldErrors};
use crate::web::AuthUser;

/// The period asked for; both ends are days (UTC), `to` included.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First day, `YYYY-MM-DD` (default: 30 days before `to`).
    #[param(pattern = "^\\s*(\\d{4}-\\d{1,2}-\\d{1,2})?\\s*$")]
    pub from: Option<String>,
    /// Last day, included, `YYYY-MM-DD` (default: today).
    #[param(pattern = "^\\s*(\\d{4}-\\d{1,2}-\\d{1,2})?\\s*$")]
    pub to: Option<String>,
}

/// How one group of tickets fared.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Attainment {
    /// The priority or the customer; "all" for the whole period.
    pub name: String,
    /// Tickets filed in the period.
    pub tickets: i64,
    /// First response by the due time.
    pub met: i64,
    /// First response after the due time, or none and the due time has passed.
    pub breached: i64,
    /// No response yet and not yet due: counted in neither.
    pub pending: i64,
    /// met / (met + breached), in percent; none when nothing was decided yet.
    pub attainment_percent: Option<f64>,
    /// Median wall-clock minutes from filing to the first public staff response.
    pub median_first_response_minutes: Option<i64>,
    /// Tickets escalated by the customer at least once.
    pub escalated: i64,
}

/// The SLA report of a period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SlaReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub overall: Attainment,
    /// Critical, High, Normal, in that order.
    pub by_priority: Vec<Attainment>,
    /// Customers by name.
    pub by_customer: Vec<Attainment>,
    /// Support plans by name (the plan each ticket was filed under).
    pub by_plan: Vec<Attainment>,
}

fn parse_day(raw: Option<&str>, field: &str, errors: &mut FieldErrors) -> Option<NaiveDate> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.insert(
                field.into(),
                vec![format!("'{raw}' is not a day: write it as 2026-11-30.")],
            );
            None
        }
    }
}

/// The period a query names, checked.
pub fn period(q: &ReportQuery) -> Result<(NaiveDate, NaiveDate), AppError> {
    let mut errors = FieldErrors::new();
    let to = parse_day(q.to.as_deref(), "to", &mut errors).unwrap_or_else(|| Utc::now().date_naive());
    let from = parse_day(q.from.as_deref(), "from", &mut errors).unwrap_or(to - Duration::days(30));
    if errors.is_empty() && from > to {
        errors.insert(
            "from".into(),
            vec!["The first day comes after the last one.".into()],
        );
    }
    if errors.is_empty() && (to - from).num_days() > 3660 {
        errors.insert("from".into(), vec!["Ask for ten years at most.".into()]);
    }
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    Ok((from, to))
}

/// One ticket as the report counts it.
struct Row {
    priority: String,
    customer: String,
    created_at: NaiveDateTime,
    due: NaiveDateTime,
    responded: Option<NaiveDateTime>,
    /// The clock stands still (no response yet): pending, whatever the due time.
    paused: bool,
    escalated: bool,
}

#[derive(Default)]
struct Tally {
    tickets: i64,
    met: i64,
    breached: i64,
    pending: i64,
    escalated: i64,
    minutes: Vec<i64>,
}

impl Tally {
    fn add(&mut self, r: &Row, now: NaiveDateTime) {
        self.tickets += 1;
        self.escalated += i64::from(r.escalated);
        match r.responded {
            Some(at) => {
                if at <= r.due {
                    self.met += 1;
                } else {
                    self.breached += 1;
                }
                self.minutes.push((at - r.created_at).num_minutes());
            }
            None if now > r.due && !r.paused => self.breached += 1,
            None => self.pending += 1,
        }
    }

    fn finish(mut self, name: &str) -> Attainment {
        let decided = self.met + self.breached;
        self.minutes.sort_unstable();
        let median = match self.minutes.len() {
            0 => None,
            n if n % 2 == 1 => Some(self.minutes[n / 2]),
            n => Some((self.minutes[n / 2 - 1] + self.minutes[n / 2]) / 2),
        };
        Attainment {
            name: name.into(),
            tickets: self.tickets,
            met: self.met,
            breached: self.breached,
            pending: self.pending,
            attainment_percent: (decided > 0)
                .then(|| (self.met as f64 * 1000.0 / decided as f64).round() / 10.0),
            median_first_response_minutes: median,
            escalated: self.escalated,
        }
    }
}

/// The SLA report of tickets filed in a period (staff).
pub async fn sla(db: &Db, user: &AuthUser, q: &ReportQuery) -> Result<SlaReport, AppError> {
    if !access(user)?.is_staff() {
        return Err(AppError::forbidden("Reports are for support staff."));
    }
    let (from, to) = period(q)?;
    let start = from.and_hms_opt(0, 0, 0).unwrap_or_default();
    let end = (to + Duration::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default();
    type Loaded = (
        String,
        String,
        NaiveDateTime,
        NaiveDateTime,
        Option<NaiveDateTime>,
        (bool, i64, String),
    );
    let rows: Vec<Loaded> = db
        .read(move |c| {
            Ok(tickets::table
                .inner_join(organizations::table)
                .inner_join(support_plans::table.on(support_plans::id.eq(tickets::plan_id)))
                .filter(tickets::created_at.ge(start))
                .filter(tickets::created_at.lt(end))
                .select((
                    tickets::priority,
                    organizations::name,
                    tickets::created_at,
                    tickets::sla_due_at,
                    tickets::first_response_at,
                    (
                        tickets::sla_paused,
                        tickets::escalation_level,
                        support_plans::name,
                    ),
                ))
                .load(c)?)
        })
        .await?;
    let now = Utc::now().naive_utc();
    let mut overall = Tally::default();
    let mut by_priority: BTreeMap<usize, Tally> = BTreeMap::new();
    let mut by_customer: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_plan: BTreeMap<String, Tally> = BTreeMap::new();
    const PRIORITIES: [&str; 3] = ["critical", "high", "normal"];
    for (priority, customer, created_at, due, responded, (paused, level, plan)) in rows {
        let r = Row {
            priority,
            customer,
            created_at,
            due,
            responded,
            paused,
            escalated: level > 0,
        };
        by_plan.entry(plan).or_default().add(&r, now);
        overall.add(&r, now);
        let rank = PRIORITIES
            .iter()
            .position(|p| *p == r.priority)
            .unwrap_or(PRIORITIES.len());
        by_priority.entry(rank).or_default().add(&r, now);
        by_customer.entry(r.customer.clone()).or_default().add(&r, now);
    }
    Ok(SlaReport {
        from,
        to,
        overall: overall.finish("all"),
        by_priority: by_priority
            .into_iter()
            .map(|(rank, t)| t.finish(PRIORITIES.get(rank).copied().unwrap_or("other")))
            .collect(),
        by_customer: by_customer.into_iter().map(|(name, t)| t.finish(&name)).collect(),
        by_plan: by_plan.into_iter().map(|(name, t)| t.finish(&name)).collect(),
    })
}

/// A CSV field: quoted when it must be, and never read as a formula by a spreadsheet.
pub fn csv_field(raw: &str) -> String {
    let safe = if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{raw}")
    } else {
        raw.to_string()
    };
    if safe.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe
    }
}

/// The report as CSV: one line per group (all, each priority, each customer).
pub fn to_csv(r: &SlaReport) -> String {
    let mut out = String::from(
        "group,name,tickets,met,breached,pending,attainment_percent,median_first_response_minutes,escalated\n",
    );
    let groups = std::iter::once(("all", &r.overall))
        .chain(r.by_priority.iter().map(|a| ("priority", a)))
        .chain(r.by_customer.iter().map(|a| ("customer", a)))
        .chain(r.by_plan.iter().map(|a| ("plan", a)));
    for (group, a) in groups {
        let percent = a
            .attainment_percent
            .map(|p| format!("{p:.1}"))
            .unwrap_or_default();
        let median = a
            .median_first_response_minutes
            .map(|m| m.to_string())
            .unwrap_or_default();
        out.push_str(&format!(
            "{group},{},{},{},{},{},{percent},{median},{}\n",
            csv_field(&a.name),
            a.tickets,
            a.met,
            a.breached,
            a.pending,
            a.escalated
        ));
    }
    out
}

/// The file name of the report's CSV download, after its period.
pub fn csv_name(r: &SlaReport) -> String {
    format!("sla-{}-{}.csv", r.from, r.to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 2)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            + Duration::hours(h)
    }

    #[test]
    fn met_breached_pending_and_the_median() {
        let now = at(100);
        let mut t = Tally::default();
        let row = |due: i64, responded: Option<i64>| Row {
            priority: "high".into(),
            customer: "Acme".into(),
            created_at: at(0),
            due: at(due),
            responded: responded.map(at),
            paused: false,
            escalated: due == 200,
        };
        t.add(&row(8, Some(2)), now); // met, 120 min
        t.add(&row(8, Some(10)), now); // late, 600 min
        t.add(&row(8, None), now); // never answered and past due
        t.add(&row(200, None), now); // not due yet
        t.add(&row(8, Some(4)), now); // met, 240 min
        let a = t.finish("high");
        assert_eq!((a.tickets, a.met, a.breached, a.pending), (5, 2, 2, 1));
        assert_eq!(a.escalated, 1);
        assert_eq!(a.attainment_percent, Some(50.0));
        assert_eq!(a.median_first_response_minutes, Some(240));
        assert_eq!(Tally::default().finish("none").attainment_percent, None);
    }

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("Acme"), "Acme");
        assert_eq!(csv_field("Acme, Inc."), "\"Acme, Inc.\"");
        assert_eq!(csv_field("Say \"hi\""), "\"Say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }

    #[test]
    fn periods_are_checked() {
        let q = |from: &str, to: &str| ReportQuery {
            from: Some(from.into()),
            to: Some(to.into()),
        };
        assert!(period(&q("2026-11-01", "2026-11-30")).is_ok());
        assert!(period(&q("2026-12-01", "2026-11-30")).is_err());
        assert!(period(&q("yesterday", "2026-11-30")).is_err());
        let (from, to) = period(&ReportQuery::default()).unwrap();
        assert_eq!((to - from).num_days(), 30);
    }
}
