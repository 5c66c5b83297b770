//! Timestamps as every reader of the API, the feeds and the pages gets them: RFC 3339
//! with the UTC offset written out (`2026-12-01T09:30:00Z`), as the OpenAPI document's
//! `date-time` promises. The database keeps UTC without an offset (`NaiveDateTime`);
//! `#[serde(serialize_with = "crate::web::time::utc")]` on a field writes it with one.

use chrono::{DateTime, NaiveDateTime, SecondsFormat};
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
}
