//! Announcements staff write for the dashboard: checks, writes, and the list.

use super::*;

/// An announcement as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Announcement {
    pub id: i64,
    pub title: String,
    pub body_markdown: String,
    #[schema(value_type = String)]
    pub body_html: SafeHtml,
    pub pinned: bool,
    /// Not shown on the dashboard after this time (UTC); none: until removed.
    #[serde(serialize_with = "crate::web::time::utc_opt")]
    pub ends_at: Option<NaiveDateTime>,
    pub author: String,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub updated_at: NaiveDateTime,
    /// Past its end date: staff still see it in the list, nobody on the dashboard.
    pub ended: bool,
}

/// What staff send to write or change an announcement.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct AnnouncementInput {
    /// 3 to 200 characters (runs of spaces count as one).
    #[serde(default)]
    #[schema(required = true, min_length = 3, max_length = 200)]
    pub title: String,
    /// Markdown, at least 2 characters, at most 65,536 bytes.
    #[serde(default)]
    #[schema(required = true, min_length = 2, max_length = 65536)]
    pub body: String,
    /// Shown above the others; `null` or left out: not pinned.
    #[serde(default, deserialize_with = "checkbox")]
    #[schema(value_type = Option<bool>)]
    pub pinned: bool,
    /// The last moment it shows, as `2026-12-24T18:00` or `2026-12-24` (UTC; a date
    /// alone means the end of that day). Blank: until removed.
    #[serde(default)]
    #[schema(pattern = "^\\s*(\\d{4}-\\d{1,2}-\\d{1,2}([T ]\\d{1,2}:\\d{1,2}(:\\d{1,2})?)?)?\\s*$")]
    pub ends_at: Option<String>,
}

/// A checkbox sends "on" (or "true"); JSON sends a boolean.
pub(super) fn checkbox<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bool(bool),
        Text(String),
    }
    // A form's ticked box sends "on"; JSON sends a boolean. Anything else is a mistake
    // to say, not a silent "no".
    match Option::<Raw>::deserialize(d)? {
        None => Ok(false),
        Some(Raw::Bool(b)) => Ok(b),
        Some(Raw::Text(t)) => match t.as_str() {
            "on" | "true" => Ok(true),
            "false" => Ok(false),
            other => Err(serde::de::Error::custom(format!(
                "'{other}' is not a box's value: send true or false"
            ))),
        },
    }
}

pub(super) fn parse_end(raw: Option<&str>) -> Result<Option<NaiveDateTime>, AppError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let at = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M"))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(23, 59, 59).unwrap_or_default())
        })
        .map_err(|_| {
            AppError::field(
                "ends_at",
                format!("'{raw}' is not a date: write it as 2026-12-24 or 2026-12-24T18:00."),
            )
        })?;
    Ok(Some(at))
}

/// A checked announcement: title, markdown, pinned, end.
pub(super) type Checked = (String, String, bool, Option<NaiveDateTime>);

pub(super) fn check(input: &AnnouncementInput) -> Result<Checked, AppError> {
    let mut errors = FieldErrors::new();
    let title = input.title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.chars().count() < 3 || input.title.chars().count() > 200 {
        errors.insert(
            "title".into(),
            vec!["Give the announcement a title of 3 to 200 characters.".into()],
        );
    }
    let body = match crate::forum::check_text(&input.body, "announcement") {
        Ok(b) => b,
        Err(AppError::Invalid { fields, .. }) => {
            errors.extend(fields);
            String::new()
        }
        Err(e) => return Err(e),
    };
    let ends_at = match parse_end(input.ends_at.as_deref()) {
        Ok(e) => e,
        Err(e) => {
            if let Some(f) = e.field_errors() {
                errors.extend(f.clone());
            }
            None
        }
    };
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    Ok((title, body, input.pinned, ends_at))
}

/// Refuses unless the user writes announcements: support staff.
pub fn require_writer(user: &AuthUser) -> Result<(), AppError> {
    if user.is_staff() {
        Ok(())
    } else {
        Err(AppError::forbidden("Only support staff write announcements."))
    }
}

/// Writes an announcement (staff).
pub async fn create(db: &Db, user: &AuthUser, input: AnnouncementInput) -> Result<i64, AppError> {
    require_writer(user)?;
    let (title, body, pinned, ends_at) = check(&input)?;
    let me = user.id;
    let html = crate::forum::prerender(db, &body).await?.html;
    db.write(move |c| {
        let at = now();
        let values = (
            announcements::title.eq(&title),
            announcements::body_markdown.eq(&body),
            announcements::body_html.eq(html.as_str()),
            announcements::pinned.eq(pinned),
            announcements::ends_at.eq(ends_at),
            announcements::author_id.eq(me),
            announcements::created_at.eq(at),
            announcements::updated_at.eq(at),
        );
        Ok(with_backend!(c, |c| diesel::insert_into(announcements::table)
            .values(values)
            .returning(announcements::id)
            .get_result::<i64>(c))?)
    })
    .await
}

/// Changes an announcement (staff): every field as sent.
pub async fn update(db: &Db, user: &AuthUser, id: i64, input: AnnouncementInput) -> Result<(), AppError> {
    require_writer(user)?;
    let (title, body, pinned, ends_at) = check(&input)?;
    let html = crate::forum::prerender(db, &body).await?.html;
    db.write(move |c| {
        let n = diesel::update(announcements::table.find(id))
            .set((
                announcements::title.eq(&title),
                announcements::body_markdown.eq(&body),
                announcements::body_html.eq(html.as_str()),
                announcements::pinned.eq(pinned),
                announcements::ends_at.eq(ends_at),
                announcements::updated_at.eq(now()),
            ))
            .execute(c)?;
        if n == 0 {
            return Err(AppError::NotFound);
        }
        Ok(())
    })
    .await
}

/// Removes an announcement (staff).
pub async fn delete(db: &Db, user: &AuthUser, id: i64) -> Result<(), AppError> {
    require_writer(user)?;
    db.write(
        move |c| match diesel::delete(announcements::table.find(id)).execute(c)? {
            0 => Err(AppError::NotFound),
            _ => Ok(()),
        },
    )
    .await
}

/// Announcements: the current ones, pinned first then newest; with `all`, staff also
/// see those that have ended.
pub fn load(c: &mut AnyConnection, all: bool) -> Result<Vec<Announcement>, AppError> {
    let at = now();
    let mut query = announcements::table
        .inner_join(users::table.on(users::id.eq(announcements::author_id)))
        .select((
            announcements::id,
            announcements::title,
            announcements::body_markdown,
            announcements::body_html,
            announcements::pinned,
            announcements::ends_at,
            users::display_name,
            announcements::created_at,
            announcements::updated_at,
        ))
        .order((announcements::pinned.desc(), announcements::created_at.desc()))
        .into_boxed();
    if !all {
        query = query.filter(announcements::ends_at.is_null().or(announcements::ends_at.gt(at)));
    }
    type Row = (
        i64,
        String,
        String,
        String,
        bool,
        Option<NaiveDateTime>,
        String,
        NaiveDateTime,
        NaiveDateTime,
    );
    let rows: Vec<Row> = query.limit(100).load(c)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, title, body_markdown, html, pinned, ends_at, author, created_at, updated_at)| {
                Announcement {
                    id,
                    title,
                    body_markdown,
                    body_html: SafeHtml::from_stored(html),
                    pinned,
                    ended: ends_at.is_some_and(|e| e <= at),
                    ends_at,
                    author,
                    created_at,
                    updated_at,
                }
            },
        )
        .collect())
}

/// Announcements for anyone signed in who reads the community; staff may ask for all.
pub async fn list(db: &Db, user: &AuthUser, all: bool) -> Result<Vec<Announcement>, AppError> {
    crate::forum::require_read(user)?;
    let all = all && user.is_staff();
    db.read(move |c| load(c, all)).await
}
