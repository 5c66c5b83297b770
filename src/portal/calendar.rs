//! The business calendar SLAs are counted on: one row admins edit.

use std::collections::BTreeSet;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveTime, Weekday};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::sla::Calendar;
use crate::db::schema::business_calendar;
use crate::db::{AnyConnection, Db, now};
use crate::error::{AppError, FieldErrors};
use crate::web::AuthUser;

/// The calendar as stored and as the admin form shows it.
#[derive(Debug, Clone, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct CalendarForm {
    /// An IANA time zone, such as Europe/Paris.
    #[schema(min_length = 1)]
    pub zone: String,
    /// HH:MM
    #[schema(pattern = "^\\s*\\d{1,2}:\\d{1,2}\\s*$")]
    pub opens: String,
    /// HH:MM
    #[schema(pattern = "^\\s*\\d{1,2}:\\d{1,2}\\s*$")]
    pub closes: String,
    /// Working days, such as mon,tue,wed,thu,fri.
    pub days: String,
    /// Holidays, YYYY-MM-DD, separated by commas or new lines.
    pub holidays: String,
}

fn weekday(s: &str) -> Option<Weekday> {
    Weekday::from_str(s.trim()).ok()
}

/// Checks a form and makes the calendar it describes; field errors say what to fix.
pub fn parse(form: &CalendarForm) -> Result<Calendar, AppError> {
    let mut errors = FieldErrors::new();
    let mut bad = |field: &str, msg: String| {
        errors.insert(field.into(), vec![msg]);
    };
    let zone = chrono_tz::Tz::from_str(form.zone.trim()).ok();
    if zone.is_none() {
        bad(
            "zone",
            format!(
                "'{}' is not a time zone like Europe/Paris or America/New_York.",
                form.zone.trim()
            ),
        );
    }
    let time = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").ok();
    let (opens, closes) = (time(&form.opens), time(&form.closes));
    if opens.is_none() {
        bad("opens", "Give the opening time as HH:MM, such as 09:00.".into());
    }
    if closes.is_none() {
        bad("closes", "Give the closing time as HH:MM, such as 17:00.".into());
    }
    if let (Some(o), Some(c)) = (opens, closes)
        && c <= o
    {
        bad("closes", "Closing must come after opening.".into());
    }
    let mut days = std::collections::HashSet::new();
    for d in form.days.split(',').filter(|d| !d.trim().is_empty()) {
        match weekday(d) {
            Some(w) => {
                days.insert(w);
            }
            None => bad(
                "days",
                format!(
                    "'{}' is not a day: use mon, tue, wed, thu, fri, sat, sun.",
                    d.trim()
                ),
            ),
        }
    }
    if days.is_empty() {
        bad("days", "Name at least one working day.".into());
    }
    let mut holidays = BTreeSet::new();
    for h in form
        .holidays
        .split([',', '\n', ' '])
        .map(str::trim)
        .filter(|h| !h.is_empty())
    {
        match NaiveDate::parse_from_str(h, "%Y-%m-%d") {
            Ok(d) => {
                holidays.insert(d);
            }
            Err(_) => bad("holidays", format!("'{h}' is not a date like 2026-12-25.")),
        }
    }
    match (zone, opens, closes) {
        (Some(zone), Some(opens), Some(closes)) if errors.is_empty() => Ok(Calendar {
            zone,
            opens,
            closes,
            days,
            holidays,
        }),
        _ => Err(AppError::Invalid {
            message: "The calendar has fields to fix.".into(),
            fields: errors,
        }),
    }
}

/// The stored calendar, or the standard one (Monday to Friday, 09:00 to 17:00, UTC).
pub fn load(c: &mut AnyConnection) -> Result<(CalendarForm, Calendar), AppError> {
    let row: Option<(String, String, String, String, String)> = business_calendar::table
        .find(1)
        .select((
            business_calendar::zone,
            business_calendar::opens,
            business_calendar::closes,
            business_calendar::days,
            business_calendar::holidays,
        ))
        .first(c)
        .optional()?;
    let form = match row {
        Some((zone, opens, closes, days, holidays)) => CalendarForm {
            zone,
            opens,
            closes,
            days,
            holidays,
        },
        None => CalendarForm {
            zone: "UTC".into(),
            opens: "09:00".into(),
            closes: "17:00".into(),
            days: "mon,tue,wed,thu,fri".into(),
            holidays: String::new(),
        },
    };
    let calendar = parse(&form).unwrap_or_else(|_| Calendar::standard());
    Ok((form, calendar))
}

/// Changes the calendar (admins), and with it, in the same transaction, the stored
/// due time of every ticket: a due time is a function of the ticket's creation, its
/// priority and the calendar, and the lists, the alerts and the reports read the stored
/// one while the ticket page computes it, so the two never disagree.
pub async fn save(db: &Db, user: &AuthUser, form: CalendarForm) -> Result<CalendarForm, AppError> {
    user.require_admin()?;
    let calendar = parse(&form)?;
    let saved = form.clone();
    db.write(move |c| {
        diesel::delete(business_calendar::table).execute(c)?;
        diesel::insert_into(business_calendar::table)
            .values((
                business_calendar::id.eq(1),
                business_calendar::zone.eq(form.zone.trim()),
                business_calendar::opens.eq(form.opens.trim()),
                business_calendar::closes.eq(form.closes.trim()),
                business_calendar::days.eq(form.days.trim()),
                business_calendar::holidays.eq(form.holidays.trim()),
                business_calendar::updated_at.eq(now()),
            ))
            .execute(c)?;
        let moved = due_times_follow(c, &calendar)?;
        if moved > 0 {
            tracing::info!(tickets = moved, "due times follow the new business calendar");
        }
        Ok(())
    })
    .await?;
    Ok(saved)
}

/// Sets every ticket's stored due time to what `calendar` makes of it; returns how
/// many changed.
fn due_times_follow(c: &mut AnyConnection, calendar: &Calendar) -> Result<usize, AppError> {
    use crate::db::schema::tickets;
    let rows: Vec<(i64, chrono::NaiveDateTime, String, chrono::NaiveDateTime)> = tickets::table
        .select((
            tickets::id,
            tickets::created_at,
            tickets::priority,
            tickets::sla_due_at,
        ))
        .load(c)?;
    let mut moved = 0;
    for (id, created, priority, stored) in rows {
        let priority = super::sla::Priority::parse(&priority).unwrap_or(super::sla::Priority::Normal);
        let due = super::sla::due(calendar, created.and_utc(), priority).naive_utc();
        if due != stored {
            diesel::update(tickets::table.find(id))
                .set(tickets::sla_due_at.eq(due))
                .execute(c)?;
            moved += 1;
        }
    }
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_checked_field_by_field() {
        let good = CalendarForm {
            zone: "Europe/Paris".into(),
            opens: "08:30".into(),
            closes: "18:00".into(),
            days: "mon, tue,wed,thu,fri".into(),
            holidays: "2026-12-25\n2027-01-01".into(),
        };
        let c = parse(&good).unwrap_or_else(|_| unreachable!());
        assert_eq!(c.days.len(), 5);
        assert_eq!(c.holidays.len(), 2);
        let bad = CalendarForm {
            zone: "Mars/Olympus".into(),
            opens: "9am".into(),
            closes: "17:00".into(),
            days: "mon,funday".into(),
            holidays: "25/12".into(),
        };
        match parse(&bad) {
            Err(AppError::Invalid { fields, .. }) => {
                for f in ["zone", "opens", "days", "holidays"] {
                    assert!(fields.contains_key(f), "{f}");
                }
            }
            other => panic!("{other:?}"),
        }
    }
}
