//! Reading form fields that HTML sends as text.

use serde::{Deserialize, Deserializer};

/// An optional number from a form or JSON: a number, a numeric string, or blank
/// (an unchosen `<select>` sends "") for none.
pub fn blank_as_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(i64),
        Text(String),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Number(n)) => Ok(Some(n)),
        // A blank form field, or a multipart part holding "null", is no choice.
        Some(Raw::Text(s)) if s.trim().is_empty() || s == "null" => Ok(None),
        Some(Raw::Text(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("'{s}' is not a number"))),
    }
}
