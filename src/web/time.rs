//! Timestamps as every reader of the API, the feeds and the pages gets them: RFC 3339
//! with the UTC offset written out (`2026-12-01T09:30:00Z`), as the OpenAPI document's
//! `date-time` promises. The database keeps UTC without an offset (`NaiveDateTime`);
//! `#[serde(serialize_with = "crate::web::time::utc")]` on a field writes it with one.

use chrono::{DateTime, Datelike, NaiveDateTime, SecondsFormat};
use serde::Serializer;

/// A stored UTC time in RFC 3339, to the second or finer as stored.
pub fn rfc3339(t: &NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Reads RFC 3339 with any offset (turned to UTC), or a time without one (taken as UTC).
pub fn parse(raw: &str) -> Option<NaiveDateTime> {
    let raw = raw.trim();
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.naive_utc())
        .ok()
        .or_else(|| raw.parse::<NaiveDateTime>().ok())
}

/// `serialize_with` for a `NaiveDateTime` field.
pub fn utc<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(t))
}

/// `serialize_with` for an `Option<NaiveDateTime>` field.
pub fn utc_opt<S: Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_some(&rfc3339(t)),
        None => s.serialize_none(),
    }
}

/// How long ago `t` was, or how soon it is, as people say it: "just now", "5 min ago",
/// "3 hours ago", "yesterday", "4 days ago", "in 2 hours"; past a week, the date.
pub fn relative(t: NaiveDateTime, now: NaiveDateTime) -> String {
    let secs = (now - t).num_seconds();
    let (future, secs) = (secs < 0, secs.unsigned_abs());
    let (mins, hours, days) = (secs / 60, secs / 3600, secs / 86_400);
    let plural = |n: u64, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let span = match () {
        _ if secs < 60 => return "just now".into(),
        _ if mins < 60 => format!("{mins} min"),
        _ if hours < 24 => plural(hours, "hour", "hours"),
        _ if days == 1 && !future => return "yesterday".into(),
        _ if days == 1 => return "tomorrow".into(),
        _ if days < 7 => plural(days, "day", "days"),
        _ if t.year() == now.year() => return t.format("%-d %b").to_string(),
        _ => return t.format("%-d %b %Y").to_string(),
    };
    if future {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_with_the_offset_and_read_either_way() {
        let t = parse("2026-12-01T09:30:00").expect("a naive time");
        assert_eq!(rfc3339(&t), "2026-12-01T09:30:00Z");
        assert_eq!(parse("2026-12-01T10:30:00+01:00"), Some(t));
        assert_eq!(parse("2026-12-01T09:30:00Z"), Some(t));
        let fine = parse("2026-12-01T09:30:00.123456").expect("with fractions");
        assert_eq!(rfc3339(&fine), "2026-12-01T09:30:00.123456Z");
        assert_eq!(parse("yesterday"), None);
    }

    #[test]
    fn relative_times_read_as_people_say_them() {
        let now = parse("2026-12-06T12:00:00").expect("a time");
        let at = |raw: &str| relative(parse(raw).expect("a time"), now);
        assert_eq!(at("2026-12-06T11:59:30"), "just now");
        assert_eq!(at("2026-12-06T11:55:00"), "5 min ago");
        assert_eq!(at("2026-12-06T11:00:00"), "1 hour ago");
        assert_eq!(at("2026-12-06T09:00:00"), "3 hours ago");
        assert_eq!(at("2026-12-05T09:00:00"), "yesterday");
        assert_eq!(at("2026-12-02T12:00:00"), "4 days ago");
        assert_eq!(at("2026-11-02T12:00:00"), "2 Nov");
        assert_eq!(at("2025-11-02T12:00:00"), "2 Nov 2025");
        assert_eq!(at("2026-12-06T14:00:00"), "in 2 hours");
        assert_eq!(at("2026-12-06T12:20:00"), "in 20 min");
        assert_eq!(at("2026-12-07T13:00:00"), "tomorrow");
    }
}
