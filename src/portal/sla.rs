//! Response SLAs: when the first public staff response to a ticket is due, as a pure
//! function of the ticket's events and the terms of the plan it was filed under
//! ([`Terms`]: a target per priority, a business calendar, the statuses that pause the
//! clock).
//!
//! - A target is counted around the clock (minutes or hours: Standard's Critical is 2
//!   hours, day and night) or in working time (business hours, or business days where
//!   a business day is the length of one working day, for example 8 hours for 09:00 to
//!   17:00): in the calendar's time zone, on working days, between the opening and
//!   closing hours, never on holidays. Under Standard, a High ticket filed on Monday at
//!   15:00 (09:00 to 17:00) is due on Tuesday at 15:00; one filed on Saturday is due on
//!   Monday at 17:00.
//! - While the ticket is in a status its plan pauses in (for example Customer
//!   Pending), the clock stands still; the due time moves on by the paused time.
//! - A priority change recomputes the due time from the creation, with the new target.
//!
//! Wall-clock hours are resolved in the calendar's zone on each date, so a day on which
//! daylight saving time begins or ends has the working time it really has.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use super::ticket_status::Status;

/// A ticket's priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    Critical,
    High,
    Normal,
}

impl Priority {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "critical" => Some(Self::Critical),
            "high" => Some(Self::High),
            "normal" => Some(Self::Normal),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::High => "high",
            Self::Normal => "normal",
        }
    }
}

/// Working hours, days and holidays in one time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    pub zone: Tz,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
    /// Working weekdays.
    pub days: HashSet<Weekday>,
    pub holidays: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// Monday to Friday, 09:00 to 17:00, UTC, no holidays.
    pub fn standard() -> Self {
        Self {
            zone: chrono_tz::UTC,
            opens: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
            closes: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default(),
            days: [
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ]
            .into_iter()
            .collect(),
            holidays: BTreeSet::new(),
        }
    }

    /// The working window of a date, in UTC, if the date is a working day.
    fn window(&self, date: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.days.contains(&date.weekday()) || self.holidays.contains(&date) {
            return None;
        }
        // A wall time that does not exist (skipped by DST) moves to the next that does;
        // one that exists twice takes the first.
        let at = |t: NaiveTime| {
            let local = date.and_time(t);
            (0..=120).find_map(|m| {
                self.zone
                    .from_local_datetime(&(local + Duration::minutes(m)))
                    .earliest()
                    .map(|d| d.with_timezone(&Utc))
            })
        };
        let (open, close) = (at(self.opens)?, at(self.closes)?);
        (close > open).then_some((open, close))
    }

    /// The length of a working day (closing minus opening, on a plain day).
    pub fn day_length(&self) -> Duration {
        let d = self.closes - self.opens;
        if d > Duration::zero() {
            d
        } else {
            Duration::hours(8)
        }
    }

    /// The moment `work` of working time after `from`.
    pub fn add_working_time(&self, from: DateTime<Utc>, work: Duration) -> DateTime<Utc> {
        let mut left = work;
        let mut date = from.with_timezone(&self.zone).date_naive();
        // A working day comes within a year unless the calendar has none at all; a long
        // target walks as many years as it needs (plans bound their targets, and the
        // walk is bounded too, at about 500 years).
        let mut idle = 0;
        for _ in 0..200_000 {
            match self.window(date) {
                Some((open, close)) => {
                    idle = 0;
                    let start = from.max(open);
                    if start < close {
                        let here = close - start;
                        if left <= here {
                            return start + left;
                        }
                        left -= here;
                    }
                }
                None => {
                    idle += 1;
                    if idle > 400 {
                        break;
                    }
                }
            }
            date = match date.succ_opt() {
                Some(d) => d,
                None => break,
            };
        }
        // No working day at all: fall back to the clock, rather than never.
        from + work
    }

    /// Working time between two moments.
    pub fn working_time_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        let mut total = Duration::zero();
        let mut date = from.with_timezone(&self.zone).date_naive();
        let last = to.with_timezone(&self.zone).date_naive();
        while date <= last {
            if let Some((open, close)) = self.window(date) {
                let (a, b) = (from.max(open), to.min(close));
                if b > a {
                    total += b - a;
                }
            }
            date = match date.succ_opt() {
                Some(d) => d,
                None => break,
            };
        }
        total
    }
}

/// How a response target is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Minutes around the clock.
    Minutes,
    /// Hours around the clock.
    Hours,
    /// Hours of working time.
    BusinessHours,
    /// Working days of the calendar's length.
    BusinessDays,
}

impl Unit {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "minutes" => Some(Self::Minutes),
            "hours" => Some(Self::Hours),
            "business_hours" => Some(Self::BusinessHours),
            "business_days" => Some(Self::BusinessDays),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minutes => "minutes",
            Self::Hours => "hours",
            Self::BusinessHours => "business_hours",
            Self::BusinessDays => "business_days",
        }
    }

    /// Counted in working time, on the calendar.
    pub fn on_calendar(self) -> bool {
        matches!(self, Self::BusinessHours | Self::BusinessDays)
    }
}

/// A response target: an amount of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub amount: i64,
    pub unit: Unit,
}

impl Target {
    /// The target in words, as the API states a ticket's promise ("2 hours, day and
    /// night", "1 business day"); the pages word it in their templates.
    pub fn words(self) -> String {
        let n = self.amount;
        let (one, many) = match self.unit {
            Unit::Minutes => ("minute, day and night", "minutes, day and night"),
            Unit::Hours => ("hour, day and night", "hours, day and night"),
            Unit::BusinessHours => ("business hour", "business hours"),
            Unit::BusinessDays => ("business day", "business days"),
        };
        format!("{n} {}", if n == 1 { one } else { many })
    }

    /// The time it gives, around the clock or in working time on `calendar`.
    fn length(self, calendar: &Calendar) -> Duration {
        // Plans bound their amounts; a row edited by hand cannot overflow the clock.
        let n = self.amount.clamp(0, 1_000_000);
        match self.unit {
            Unit::Minutes => Duration::minutes(n),
            Unit::Hours | Unit::BusinessHours => Duration::hours(n),
            Unit::BusinessDays => calendar.day_length() * i32::try_from(n).unwrap_or(i32::MAX),
        }
    }
}

/// What a ticket's plan promises: a target per priority, the calendar that business
/// units count on, and the statuses in which the clock stands still.
#[derive(Debug, Clone, PartialEq)]
pub struct Terms {
    pub critical: Target,
    pub high: Target,
    pub normal: Target,
    pub calendar: Calendar,
    pub pauses: Vec<Status>,
}

impl Terms {
    /// The terms every ticket had before plans: Critical 2 hours around the clock, High
    /// 1 business day, Normal 2 business days, on `calendar`, never paused.
    pub fn standard(calendar: Calendar) -> Self {
        Self {
            critical: Target {
                amount: 2,
                unit: Unit::Hours,
            },
            high: Target {
                amount: 1,
                unit: Unit::BusinessDays,
            },
            normal: Target {
                amount: 2,
                unit: Unit::BusinessDays,
            },
            calendar,
            pauses: Vec::new(),
        }
    }

    pub fn target(&self, priority: Priority) -> Target {
        match priority {
            Priority::Critical => self.critical,
            Priority::High => self.high,
            Priority::Normal => self.normal,
        }
    }

    /// The time counted between two moments for `target`.
    fn counted(&self, target: Target, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if target.unit.on_calendar() {
            self.calendar.working_time_between(from, to)
        } else {
            (to - from).max(Duration::zero())
        }
    }

    /// The moment `left` of counted time after `from`.
    fn after(&self, target: Target, from: DateTime<Utc>, left: Duration) -> DateTime<Utc> {
        if target.unit.on_calendar() {
            self.calendar.add_working_time(from, left)
        } else {
            from + left
        }
    }
}

/// What happened to a ticket that matters to its SLA.
#[derive(Debug, Clone, PartialEq)]
pub enum SlaEvent {
    Created {
        at: DateTime<Utc>,
        priority: Priority,
    },
    PriorityChanged {
        at: DateTime<Utc>,
        to: Priority,
    },
    /// A public note by staff: the first one answers the SLA.
    StaffResponse {
        at: DateTime<Utc>,
    },
    /// A move to another status: into or out of a pause.
    StatusChanged {
        at: DateTime<Utc>,
        to: Status,
    },
}

impl SlaEvent {
    fn at(&self) -> DateTime<Utc> {
        match self {
            Self::Created { at, .. }
            | Self::PriorityChanged { at, .. }
            | Self::StaffResponse { at }
            | Self::StatusChanged { at, .. } => *at,
        }
    }
}

/// Where a ticket stands against its SLA.
#[derive(Debug, Clone, PartialEq)]
pub struct Sla {
    pub priority: Priority,
    /// When the response is due; while paused, when it would be due if the clock ran
    /// again now.
    pub due: DateTime<Utc>,
    pub responded_at: Option<DateTime<Utc>>,
    /// Responded late, or not yet and past due.
    pub breached: bool,
    /// The clock stands still: no response yet, and the ticket is in a status its plan
    /// pauses in.
    pub paused: bool,
    /// While paused: the target's time still to run (working time for a business
    /// target), as the clock will count it when it runs again.
    pub remaining: Option<Duration>,
}

impl Sla {
    /// Time left before the due time (negative when past), while no response came.
    pub fn left(&self, now: DateTime<Utc>) -> Option<Duration> {
        self.responded_at.is_none().then(|| self.due - now)
    }
}

/// The due time of a first response for a ticket created at `created`, if its clock
/// never pauses.
pub fn due(terms: &Terms, created: DateTime<Utc>, priority: Priority) -> DateTime<Utc> {
    let target = terms.target(priority);
    terms.after(target, created, target.length(&terms.calendar))
}

/// The SLA of a ticket from its events (in any order) at `now`; `None` without a
/// creation event.
pub fn evaluate(terms: &Terms, events: &[SlaEvent], now: DateTime<Utc>) -> Option<Sla> {
    let mut sorted: Vec<&SlaEvent> = events.iter().collect();
    sorted.sort_by_key(|e| e.at());
    let (created, mut priority) = sorted.iter().find_map(|e| match e {
        SlaEvent::Created { at, priority } => Some((*at, *priority)),
        _ => None,
    })?;
    let mut responded_at = None;
    for e in &sorted {
        match e {
            SlaEvent::PriorityChanged { to, .. } => priority = *to,
            SlaEvent::StaffResponse { at } if responded_at.is_none() => responded_at = Some(*at),
            _ => {}
        }
    }
    let target = terms.target(priority);
    let mut left = target.length(&terms.calendar);
    // Walk the stretches in which the clock runs, from the creation, until the target is
    // used up. Moves after the response no longer matter.
    let mut running_since = Some(created);
    let mut paused_since = None;
    let mut due = None;
    for e in &sorted {
        let SlaEvent::StatusChanged { at, to } = e else {
            continue;
        };
        if *at < created || responded_at.is_some_and(|r| *at > r) {
            continue;
        }
        let pauses = terms.pauses.contains(to);
        match (running_since, pauses) {
            (Some(from), true) => {
                let used = terms.counted(target, from, *at);
                if used >= left {
                    due = Some(terms.after(target, from, left));
                    break;
                }
                left -= used;
                running_since = None;
                paused_since = Some(*at);
            }
            (None, false) => {
                running_since = Some(*at);
                paused_since = None;
            }
            _ => {}
        }
    }
    let (due, paused) = match (due, running_since, paused_since) {
        (Some(d), _, _) => (d, false),
        (None, Some(from), _) => (terms.after(target, from, left), false),
        // Paused now: due as if the clock ran again from now (or from the pause, if it
        // began later than `now` says).
        (None, None, since) => {
            let from = responded_at.unwrap_or(now).max(since.unwrap_or(now));
            (terms.after(target, from, left), responded_at.is_none())
        }
    };
    let breached = match responded_at {
        Some(r) => r > due,
        None => !paused && now > due,
    };
    Some(Sla {
        priority,
        due,
        responded_at,
        breached,
        paused,
        remaining: paused.then_some(left),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .unwrap_or_default()
            .with_timezone(&Utc)
    }

    fn paris() -> Calendar {
        Calendar {
            zone: chrono_tz::Europe::Paris,
            ..Calendar::standard()
        }
    }

    #[test]
    fn critical_is_two_hours_around_the_clock() {
        let c = Calendar::standard();
        // Saturday night.
        assert_eq!(
            due(
                &Terms::standard(c.clone()),
                utc("2026-11-21T23:30:00Z"),
                Priority::Critical
            ),
            utc("2026-11-22T01:30:00Z")
        );
    }

    #[test]
    fn business_days_count_working_time_only() {
        let c = Calendar::standard();
        // Monday 15:00: one business day is Tuesday 15:00, two Wednesday 15:00.
        assert_eq!(
            due(
                &Terms::standard(c.clone()),
                utc("2026-11-23T15:00:00Z"),
                Priority::High
            ),
            utc("2026-11-24T15:00:00Z")
        );
        assert_eq!(
            due(
                &Terms::standard(c.clone()),
                utc("2026-11-23T15:00:00Z"),
                Priority::Normal
            ),
            utc("2026-11-25T15:00:00Z")
        );
        // Before opening: the clock starts at 09:00.
        assert_eq!(
            due(
                &Terms::standard(c.clone()),
                utc("2026-11-23T06:00:00Z"),
                Priority::High
            ),
            utc("2026-11-23T17:00:00Z")
        );
        // After closing: from the next morning.
        assert_eq!(
            due(
                &Terms::standard(c.clone()),
                utc("2026-11-23T20:00:00Z"),
                Priority::High
            ),
            utc("2026-11-24T17:00:00Z")
        );
    }

    #[test]
    fn weekends_are_skipped() {
        let c = Calendar::standard();
        // Friday 16:00: one hour on Friday, seven on Monday.
        assert_eq!(
            due(
                &Terms::standard(c.clone()),
                utc("2026-11-27T16:00:00Z"),
                Priority::High
            ),
            utc("2026-11-30T16:00:00Z")
        );
        // Saturday: Monday's whole day.
        assert_eq!(
            due(
                &Terms::standard(c.clone()),
                utc("2026-11-28T10:00:00Z"),
                Priority::High
            ),
            utc("2026-11-30T17:00:00Z")
        );
    }

    #[test]
    fn holidays_are_skipped() {
        let mut c = Calendar::standard();
        c.holidays
            .insert(NaiveDate::from_ymd_opt(2026, 12, 25).unwrap_or_default());
        // Thursday 24 December 12:00: five hours that day, Friday 25 is a holiday,
        // the weekend, three hours on Monday 28.
        assert_eq!(
            due(
                &Terms::standard(c.clone()),
                utc("2026-12-24T12:00:00Z"),
                Priority::High
            ),
            utc("2026-12-28T12:00:00Z")
        );
    }

    #[test]
    fn daylight_saving_changes_keep_local_hours() {
        let c = paris();
        // Friday 27 March 2026, 16:00 in Paris (15:00 UTC, winter time): one hour that
        // day, then Monday 30 March (summer time since Sunday): 09:00 local is 07:00 UTC.
        assert_eq!(
            due(
                &Terms::standard(c.clone()),
                utc("2026-03-27T15:00:00Z"),
                Priority::High
            ),
            utc("2026-03-30T14:00:00Z")
        );
        // Back to winter time on Sunday 25 October 2026: Friday 23 at 16:00 local
        // (14:00 UTC) is due on Monday 26 at 16:00 local, 15:00 UTC.
        assert_eq!(
            due(
                &Terms::standard(c.clone()),
                utc("2026-10-23T14:00:00Z"),
                Priority::High
            ),
            utc("2026-10-26T15:00:00Z")
        );
        // Working time never counts the night, whatever the offset.
        assert_eq!(
            c.working_time_between(utc("2026-03-27T15:00:00Z"), utc("2026-03-30T14:00:00Z")),
            Duration::hours(8)
        );
    }

    #[test]
    fn a_priority_change_recomputes_from_creation() {
        let c = Calendar::standard();
        let created = utc("2026-11-23T10:00:00Z");
        let events = [
            SlaEvent::Created {
                at: created,
                priority: Priority::Normal,
            },
            SlaEvent::PriorityChanged {
                at: utc("2026-11-23T10:30:00Z"),
                to: Priority::Critical,
            },
        ];
        let sla = evaluate(&Terms::standard(c.clone()), &events, utc("2026-11-23T11:00:00Z"))
            .unwrap_or_else(|| unreachable!());
        assert_eq!(sla.priority, Priority::Critical);
        assert_eq!(sla.due, utc("2026-11-23T12:00:00Z"));
        assert!(!sla.breached);
        assert_eq!(sla.left(utc("2026-11-23T11:00:00Z")), Some(Duration::hours(1)));
        // Late: past due without a response.
        let late = evaluate(&Terms::standard(c.clone()), &events, utc("2026-11-23T12:01:00Z"))
            .unwrap_or_else(|| unreachable!());
        assert!(late.breached);
    }

    #[test]
    fn the_first_staff_response_settles_it() {
        let c = Calendar::standard();
        let events = [
            SlaEvent::Created {
                at: utc("2026-11-23T10:00:00Z"),
                priority: Priority::Critical,
            },
            SlaEvent::StaffResponse {
                at: utc("2026-11-23T11:00:00Z"),
            },
            SlaEvent::StaffResponse {
                at: utc("2026-11-23T13:00:00Z"),
            },
        ];
        let sla = evaluate(&Terms::standard(c.clone()), &events, utc("2026-11-24T00:00:00Z"))
            .unwrap_or_else(|| unreachable!());
        assert_eq!(sla.responded_at, Some(utc("2026-11-23T11:00:00Z")));
        assert!(!sla.breached);
        assert_eq!(sla.left(utc("2026-11-24T00:00:00Z")), None);
        let late = [
            SlaEvent::Created {
                at: utc("2026-11-23T10:00:00Z"),
                priority: Priority::Critical,
            },
            SlaEvent::StaffResponse {
                at: utc("2026-11-23T12:30:00Z"),
            },
        ];
        assert!(
            evaluate(&Terms::standard(c.clone()), &late, utc("2026-11-24T00:00:00Z"))
                .is_some_and(|s| s.breached)
        );
    }

    fn enterprise(c: Calendar) -> Terms {
        Terms {
            critical: Target {
                amount: 30,
                unit: Unit::Minutes,
            },
            high: Target {
                amount: 4,
                unit: Unit::BusinessHours,
            },
            ..Terms {
                pauses: vec![Status::CustomerPending, Status::AwaitingAuthorization],
                ..Terms::standard(c)
            }
        }
    }

    fn created(at: &str, priority: Priority) -> SlaEvent {
        SlaEvent::Created {
            at: utc(at),
            priority,
        }
    }

    fn moved(at: &str, to: Status) -> SlaEvent {
        SlaEvent::StatusChanged { at: utc(at), to }
    }

    #[test]
    fn each_plan_has_its_own_targets_and_units() {
        let t = enterprise(Calendar::standard());
        // 30 minutes, day and night: Saturday night too.
        assert_eq!(
            due(&t, utc("2026-11-21T23:50:00Z"), Priority::Critical),
            utc("2026-11-22T00:20:00Z")
        );
        // Four business hours from Monday 15:00: two that day, two on Tuesday.
        assert_eq!(
            due(&t, utc("2026-11-23T15:00:00Z"), Priority::High),
            utc("2026-11-24T11:00:00Z")
        );
        // Normal keeps Standard's two business days.
        assert_eq!(
            due(&t, utc("2026-11-23T15:00:00Z"), Priority::Normal),
            utc("2026-11-25T15:00:00Z")
        );
        assert_eq!(t.high.words(), "4 business hours");
        assert_eq!(t.critical.words(), "30 minutes, day and night");
    }

    #[test]
    fn a_long_business_target_walks_as_far_as_it_needs() {
        // 100 business days of 8 hours, Monday to Friday: 20 weeks later, to the hour.
        let t = Terms {
            normal: Target {
                amount: 100,
                unit: Unit::BusinessDays,
            },
            ..Terms::standard(Calendar::standard())
        };
        assert_eq!(
            due(&t, utc("2026-11-23T09:00:00Z"), Priority::Normal),
            utc("2027-04-09T17:00:00Z")
        );
    }

    #[test]
    fn a_pause_moves_the_due_time_by_the_paused_time() {
        let t = enterprise(Calendar::standard());
        // High, Monday 09:00, due 13:00. Waiting on the customer from 10:00 to 11:30:
        // one and a half hours later, 14:30.
        let events = [
            created("2026-11-23T09:00:00Z", Priority::High),
            moved("2026-11-23T09:30:00Z", Status::Triaging),
            moved("2026-11-23T10:00:00Z", Status::CustomerPending),
            moved("2026-11-23T11:30:00Z", Status::InProgress),
        ];
        let sla = evaluate(&t, &events, utc("2026-11-23T12:00:00Z")).unwrap_or_else(|| unreachable!());
        assert_eq!(sla.due, utc("2026-11-23T14:30:00Z"));
        assert!(!sla.paused && !sla.breached);
        // A status the plan does not pause in changes nothing.
        let on_hold = [
            created("2026-11-23T09:00:00Z", Priority::High),
            moved("2026-11-23T10:00:00Z", Status::OnHold),
        ];
        let sla = evaluate(&t, &on_hold, utc("2026-11-23T12:00:00Z")).unwrap_or_else(|| unreachable!());
        assert_eq!(sla.due, utc("2026-11-23T13:00:00Z"));
        // Nor does Standard pause at all: one business day from Monday 09:00.
        let std = evaluate(
            &Terms::standard(Calendar::standard()),
            &events,
            utc("2026-11-23T12:00:00Z"),
        )
        .unwrap_or_else(|| unreachable!());
        assert_eq!(std.due, utc("2026-11-23T17:00:00Z"));
    }

    #[test]
    fn a_paused_clock_is_never_late_and_counts_on_from_where_it_stopped() {
        let t = enterprise(Calendar::standard());
        // Critical at 10:00 (30 minutes), paused at 10:20 with 10 minutes left.
        let events = [
            created("2026-11-23T10:00:00Z", Priority::Critical),
            moved("2026-11-23T10:20:00Z", Status::AwaitingAuthorization),
        ];
        let sla = evaluate(&t, &events, utc("2026-11-23T18:00:00Z")).unwrap_or_else(|| unreachable!());
        assert!(sla.paused);
        assert!(!sla.breached);
        assert_eq!(sla.due, utc("2026-11-23T18:10:00Z"));
        assert_eq!(sla.remaining, Some(Duration::minutes(10)));
        // Running again at 19:00: due at 19:10, late after that.
        let mut resumed = events.to_vec();
        resumed.push(moved("2026-11-23T19:00:00Z", Status::InProgress));
        let sla = evaluate(&t, &resumed, utc("2026-11-23T19:11:00Z")).unwrap_or_else(|| unreachable!());
        assert_eq!(sla.due, utc("2026-11-23T19:10:00Z"));
        assert!(sla.breached && !sla.paused);
        // Two pauses in a row are one pause; two resumes are one.
        let mut twice = resumed.clone();
        twice.insert(2, moved("2026-11-23T10:40:00Z", Status::CustomerPending));
        twice.push(moved("2026-11-23T19:05:00Z", Status::Triaging));
        let sla = evaluate(&t, &twice, utc("2026-11-23T19:06:00Z")).unwrap_or_else(|| unreachable!());
        assert_eq!(sla.due, utc("2026-11-23T19:10:00Z"));
    }

    #[test]
    fn a_pause_on_a_business_target_skips_the_night_too() {
        let t = enterprise(Calendar::standard());
        // High (4 business hours) at Monday 15:00; paused 16:00 to Tuesday 10:00: one
        // hour used, three left from Tuesday 10:00, due 13:00.
        let events = [
            created("2026-11-23T15:00:00Z", Priority::High),
            moved("2026-11-23T16:00:00Z", Status::CustomerPending),
            moved("2026-11-24T10:00:00Z", Status::InProgress),
        ];
        let sla = evaluate(&t, &events, utc("2026-11-24T10:00:00Z")).unwrap_or_else(|| unreachable!());
        assert_eq!(sla.due, utc("2026-11-24T13:00:00Z"));
        // Seen during the night's pause: three working hours left, not the night's.
        let during =
            evaluate(&t, &events[..2], utc("2026-11-23T22:00:00Z")).unwrap_or_else(|| unreachable!());
        assert_eq!(during.remaining, Some(Duration::hours(3)));
    }

    #[test]
    fn moves_after_the_response_or_a_breach_do_not_move_the_due_time() {
        let t = enterprise(Calendar::standard());
        // Critical at 10:00, answered at 10:10, then waiting on the customer: settled.
        let events = [
            created("2026-11-23T10:00:00Z", Priority::Critical),
            SlaEvent::StaffResponse {
                at: utc("2026-11-23T10:10:00Z"),
            },
            moved("2026-11-23T10:15:00Z", Status::CustomerPending),
        ];
        let sla = evaluate(&t, &events, utc("2026-11-24T00:00:00Z")).unwrap_or_else(|| unreachable!());
        assert_eq!(sla.due, utc("2026-11-23T10:30:00Z"));
        assert!(!sla.paused && !sla.breached);
        // Late at 10:30, paused at 11:00: still late, due still 10:30.
        let late = [
            created("2026-11-23T10:00:00Z", Priority::Critical),
            moved("2026-11-23T11:00:00Z", Status::CustomerPending),
        ];
        let sla = evaluate(&t, &late, utc("2026-11-23T12:00:00Z")).unwrap_or_else(|| unreachable!());
        assert_eq!(sla.due, utc("2026-11-23T10:30:00Z"));
        assert!(sla.breached && !sla.paused);
    }
}
