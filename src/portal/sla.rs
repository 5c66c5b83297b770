//! Response SLAs: when the first public staff response to a ticket is due, as a pure
//! function of the ticket's events and the business calendar.
//!
//! - Critical: 2 hours after creation, around the clock.
//! - High: 1 business day, Normal: 2 business days, where a business day is the
//!   length of one working day (for example 8 hours for 09:00 to 17:00) counted in
//!   working time only: in the calendar's time zone, on working days, between the
//!   opening and closing hours, never on holidays. A High ticket filed on Monday at
//!   15:00 (09:00 to 17:00) is due on Tuesday at 15:00; one filed on Saturday is due
//!   on Monday at 17:00.
//! - A priority change recomputes the due time from the creation, with the new target.
//!
//! Wall-clock hours are resolved in the calendar's zone on each date, so a day on which
//! daylight saving time begins or ends has the working time it really has.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

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

    /// The response target, in words, as the new-ticket form explains it.
    pub fn promise(self) -> &'static str {
        match self {
            Self::Critical => "a first response within 2 hours, day and night",
            Self::High => "a first response within 1 business day",
            Self::Normal => "a first response within 2 business days",
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
        // A working day comes within a year unless the calendar has none at all.
        for _ in 0..400 {
            if let Some((open, close)) = self.window(date) {
                let start = from.max(open);
                if start < close {
                    let here = close - start;
                    if left <= here {
                        return start + left;
                    }
                    left -= here;
                }
            }
            date = date.succ_opt().unwrap_or(date);
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
}

/// Where a ticket stands against its SLA.
#[derive(Debug, Clone, PartialEq)]
pub struct Sla {
    pub priority: Priority,
    pub due: DateTime<Utc>,
    pub responded_at: Option<DateTime<Utc>>,
    /// Responded late, or not yet and past due.
    pub breached: bool,
}

impl Sla {
    /// Time left before the due time (negative when past), while no response came.
    pub fn left(&self, now: DateTime<Utc>) -> Option<Duration> {
        self.responded_at.is_none().then(|| self.due - now)
    }
}

/// The due time of a first response for a ticket created at `created`.
pub fn due(calendar: &Calendar, created: DateTime<Utc>, priority: Priority) -> DateTime<Utc> {
    match priority {
        Priority::Critical => created + Duration::hours(2),
        Priority::High => calendar.add_working_time(created, calendar.day_length()),
        Priority::Normal => calendar.add_working_time(created, calendar.day_length() * 2),
    }
}

/// The SLA of a ticket from its events (in any order) at `now`; `None` without a
/// creation event.
pub fn evaluate(calendar: &Calendar, events: &[SlaEvent], now: DateTime<Utc>) -> Option<Sla> {
    let mut sorted: Vec<&SlaEvent> = events.iter().collect();
    sorted.sort_by_key(|e| match e {
        SlaEvent::Created { at, .. }
        | SlaEvent::PriorityChanged { at, .. }
        | SlaEvent::StaffResponse { at } => *at,
    });
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
    let due = due(calendar, created, priority);
    let breached = match responded_at {
        Some(r) => r > due,
        None => now > due,
    };
    Some(Sla {
        priority,
        due,
        responded_at,
        breached,
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
            due(&c, utc("2026-11-21T23:30:00Z"), Priority::Critical),
            utc("2026-11-22T01:30:00Z")
        );
    }

    #[test]
    fn business_days_count_working_time_only() {
        let c = Calendar::standard();
        // Monday 15:00: one business day is Tuesday 15:00, two Wednesday 15:00.
        assert_eq!(
            due(&c, utc("2026-11-23T15:00:00Z"), Priority::High),
            utc("2026-11-24T15:00:00Z")
        );
        assert_eq!(
            due(&c, utc("2026-11-23T15:00:00Z"), Priority::Normal),
            utc("2026-11-25T15:00:00Z")
        );
        // Before opening: the clock starts at 09:00.
        assert_eq!(
            due(&c, utc("2026-11-23T06:00:00Z"), Priority::High),
            utc("2026-11-23T17:00:00Z")
        );
        // After closing: from the next morning.
        assert_eq!(
            due(&c, utc("2026-11-23T20:00:00Z"), Priority::High),
            utc("2026-11-24T17:00:00Z")
        );
    }

    #[test]
    fn weekends_are_skipped() {
        let c = Calendar::standard();
        // Friday 16:00: one hour on Friday, seven on Monday.
        assert_eq!(
            due(&c, utc("2026-11-27T16:00:00Z"), Priority::High),
            utc("2026-11-30T16:00:00Z")
        );
        // Saturday: Monday's whole day.
        assert_eq!(
            due(&c, utc("2026-11-28T10:00:00Z"), Priority::High),
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
            due(&c, utc("2026-12-24T12:00:00Z"), Priority::High),
            utc("2026-12-28T12:00:00Z")
        );
    }

    #[test]
    fn daylight_saving_changes_keep_local_hours() {
        let c = paris();
        // Friday 27 March 2026, 16:00 in Paris (15:00 UTC, winter time): one hour that
        // day, then Monday 30 March (summer time since Sunday): 09:00 local is 07:00 UTC.
        assert_eq!(
            due(&c, utc("2026-03-27T15:00:00Z"), Priority::High),
            utc("2026-03-30T14:00:00Z")
        );
        // Back to winter time on Sunday 25 October 2026: Friday 23 at 16:00 local
        // (14:00 UTC) is due on Monday 26 at 16:00 local, 15:00 UTC.
        assert_eq!(
            due(&c, utc("2026-10-23T14:00:00Z"), Priority::High),
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
        let sla = evaluate(&c, &events, utc("2026-11-23T11:00:00Z")).unwrap_or_else(|| unreachable!());
        assert_eq!(sla.priority, Priority::Critical);
        assert_eq!(sla.due, utc("2026-11-23T12:00:00Z"));
        assert!(!sla.breached);
        assert_eq!(sla.left(utc("2026-11-23T11:00:00Z")), Some(Duration::hours(1)));
        // Late: past due without a response.
        let late = evaluate(&c, &events, utc("2026-11-23T12:01:00Z")).unwrap_or_else(|| unreachable!());
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
        let sla = evaluate(&c, &events, utc("2026-11-24T00:00:00Z")).unwrap_or_else(|| unreachable!());
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
        assert!(evaluate(&c, &late, utc("2026-11-24T00:00:00Z")).is_some_and(|s| s.breached));
    }
}
