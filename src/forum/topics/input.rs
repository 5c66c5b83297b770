//! What a new topic holds, and the checks on its tags and release fields.

use super::*;

/// A new topic, from the form or the API.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct TopicInput {
    /// The category's slug.
    #[serde(default)]
    #[schema(required = true, min_length = 1)]
    pub category: String,
    /// 5 to 200 characters (runs of spaces count as one).
    #[serde(default)]
    #[schema(required = true, min_length = 5, max_length = 200)]
    pub title: String,
    /// Markdown, at least 2 characters, at most 65,536 bytes.
    #[serde(default)]
    #[schema(required = true, min_length = 2, max_length = 65536)]
    pub body: String,
    /// Comma-separated in forms; a list in JSON. At most 5 tags of at most 30
    /// characters each (letters, digits, `-`, `.` and `_`).
    #[serde(default, deserialize_with = "tag_list")]
    #[schema(max_items = 5, max_length = 30)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub released_on: Option<String>,
}

/// Reads tags as a list or as one comma-separated string.
pub(super) fn tag_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Tags {
        List(Vec<String>),
        Text(String),
    }
    Ok(match Tags::deserialize(d)? {
        Tags::List(v) => v,
        Tags::Text(s) => s
            .split(',')
            .filter(|t| !t.trim().is_empty())
            .map(str::to_string)
            .collect(),
    })
}

/// Normalizes tags: lower case, letters, digits and dashes, at most five.
pub fn check_tags(raw: &[String]) -> Result<Vec<String>, AppError> {
    // Counted as sent, blanks and repeats included, before any is read.
    if raw.len() > MAX_TAGS {
        return Err(AppError::field("tags", format!("Use at most {MAX_TAGS} tags.")));
    }
    let mut out: Vec<String> = Vec::new();
    for t in raw
        .iter()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
    {
        let tag: String = t.split_whitespace().collect::<Vec<_>>().join("-");
        if tag.chars().count() > 30
            || !tag
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '_'))
        {
            return Err(AppError::field(
                "tags",
                format!("'{tag}' is not a tag: use letters, digits, dots and dashes, up to 30."),
            ));
        }
        if !out.contains(&tag) {
            out.push(tag);
            // Refused as soon as there are too many: the list is read once, and each
            // tag is compared with at most MAX_TAGS others, however long the list.
            if out.len() > MAX_TAGS {
                return Err(AppError::field("tags", format!("Use at most {MAX_TAGS} tags.")));
            }
        }
    }
    Ok(out)
}

pub(super) struct ReleaseFields {
    pub(super) product: String,
    pub(super) version: String,
    pub(super) released_on: NaiveDate,
}

pub(super) fn check_release(input: &TopicInput) -> Result<ReleaseFields, AppError> {
    let product = input.product.as_deref().unwrap_or("").trim().to_string();
    let version = input.version.as_deref().unwrap_or("").trim().to_string();
    if product.is_empty() || product.chars().count() > 80 {
        return Err(AppError::field(
            "product",
            "Name the product this release is of (up to 80 characters).",
        ));
    }
    if version.is_empty() || version.chars().count() > 40 || version.contains(char::is_whitespace) {
        return Err(AppError::field(
            "version",
            "Give the version, such as 4.2.1 (no spaces, up to 40 characters).",
        ));
    }
    let released_on = match input
        .released_on
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        None => now().date(),
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| AppError::field("released_on", format!("'{d}' is not a date like 2026-11-22.")))?,
    };
    Ok(ReleaseFields {
        product,
        version,
        released_on,
    })
}
