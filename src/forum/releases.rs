//! Releases: downloads (uploaded files, shown with size and SHA-256, or links) and the
//! Atom feeds of all releases and of each product.

use chrono::{NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;
use serde::Deserialize;

use super::{Kind, require_read, require_staff};
use crate::config::Settings;
use crate::db::models::{Download, Topic};
use crate::db::schema::{categories, downloads, posts, topics, users};
use crate::db::{AnyConnection, Db, now};
use crate::error::AppError;
use crate::files::{FileRules, Upload, content_type_for};
use crate::web::AuthUser;
use crate::with_backend;

/// What a staff member sends to add a download.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct DownloadInput {
    #[serde(default)]
    pub label: String,
    /// A link, when no file is uploaded.
    pub url: Option<String>,
}

/// What a download form may upload: one file of any type, up to the download limit.
pub fn rules(settings: &Settings) -> FileRules {
    FileRules {
        field: "file",
        max_bytes: settings.max_download_bytes,
        max_files: 1,
        allowed: |_| true,
    }
}

fn release(c: &mut AnyConnection, topic_id: i64) -> Result<Topic, AppError> {
    super::topic_of_kind(c, topic_id, Kind::Releases, "Downloads belong to releases.")
}

/// Adds a download to a release (staff): the uploaded file, or else the link.
pub async fn add(
    db: &Db,
    user: &AuthUser,
    topic_id: i64,
    input: DownloadInput,
    upload: Option<Upload>,
) -> Result<Download, AppError> {
    require_staff(user, "add downloads to releases")?;
    let url = match (
        &upload,
        input.url.as_deref().map(str::trim).filter(|u| !u.is_empty()),
    ) {
        (Some(_), _) => None,
        (None, Some(u)) => {
            let parsed = url::Url::parse(u).map_err(|_| {
                AppError::field(
                    "url",
                    format!("'{u}' is not a full address like https://example.com/file.zip."),
                )
            })?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(AppError::field(
                    "url",
                    "Links must start with http:// or https://.",
                ));
            }
            Some(parsed.to_string())
        }
        (None, None) => {
            return Err(AppError::field(
                "file",
                "Choose a file to upload, or give a link.",
            ));
        }
    };
    let label = match input.label.trim() {
        "" => upload
            .as_ref()
            .map(|u| u.filename.clone())
            .or_else(|| url.clone())
            .unwrap_or_default(),
        l => l.chars().take(120).collect(),
    };
    let user_id = user.id;
    db.write(move |c| {
        release(c, topic_id)?;
        super::touch(c, topic_id)?;
        let values = (
            downloads::topic_id.eq(topic_id),
            downloads::label.eq(&label),
            downloads::url.eq(&url),
            downloads::sha256.eq(upload.as_ref().map(|u| u.stored.sha256.clone())),
            downloads::filename.eq(upload.as_ref().map(|u| u.filename.clone())),
            downloads::size.eq(upload.as_ref().map(|u| u.stored.size)),
            downloads::content_type.eq(upload.as_ref().map(|u| content_type_for(&u.filename).to_string())),
            downloads::user_id.eq(user_id),
            downloads::created_at.eq(now()),
        );
        Ok(with_backend!(c, |c| diesel::insert_into(downloads::table)
            .values(values)
            .returning(Download::as_returning())
            .get_result(c))?)
    })
    .await
}

/// Removes a download (staff). The file stays stored while anything else uses it.
pub async fn remove(db: &Db, user: &AuthUser, download_id: i64) -> Result<i64, AppError> {
    require_staff(user, "remove downloads")?;
    db.write(move |c| {
        let topic_id: i64 = downloads::table
            .find(download_id)
            .select(downloads::topic_id)
            .first(c)?;
        diesel::delete(downloads::table.find(download_id)).execute(c)?;
        super::touch(c, topic_id)?;
        Ok(topic_id)
    })
    .await
}

/// A release's downloads, in the order they were added.
pub fn for_topic(c: &mut AnyConnection, topic_id: i64) -> Result<Vec<Download>, AppError> {
    Ok(downloads::table
        .filter(downloads::topic_id.eq(topic_id))
        .order(downloads::id.asc())
        .select(Download::as_select())
        .load(c)?)
}

/// The name a stored file is served under, when a reader may fetch it: the name in
/// its address when that is a name it was uploaded under (files are stored by content,
/// so the same bytes may be attached by several people under several names and types),
/// else the first name it was uploaded under.
pub async fn file_name(db: &Db, user: &AuthUser, sha256: &str, asked: &str) -> Result<String, AppError> {
    require_read(user)?;
    let sha = sha256.to_string();
    let asked = asked.to_string();
    db.read(move |c| {
        use crate::db::schema::uploads;
        let mut names: Vec<String> = uploads::table
            .filter(uploads::sha256.eq(&sha))
            .order(uploads::id.asc())
            .select(uploads::filename)
            .load(c)?;
        names.extend(
            downloads::table
                .inner_join(topics::table)
                .filter(downloads::sha256.eq(&sha))
                .filter(topics::deleted_at.is_null())
                .order(downloads::id.asc())
                .select(downloads::filename.assume_not_null())
                .load::<String>(c)?,
        );
        if names.contains(&asked) {
            return Ok(asked);
        }
        names.into_iter().next().ok_or(AppError::NotFound)
    })
    .await
}

/// Which releases a feed covers.
#[derive(Debug, Clone)]
pub enum FeedScope {
    /// Every release of every community.
    All,
    /// The releases of one product (their `product` field), in any community.
    Product(String),
    /// The releases of one product community (by its address).
    Community(String),
}

/// The Atom feed of the latest 50 releases of a scope.
pub async fn feed(db: &Db, settings: &Settings, scope: FeedScope) -> Result<String, AppError> {
    let base = settings.base_url.clone();
    db.read(move |c| {
        let community = match &scope {
            FeedScope::Community(slug) => Some(crate::forum::communities::by_slug(c, slug)?),
            _ => None,
        };
        let mut q = topics::table
            .inner_join(categories::table)
            .inner_join(posts::table)
            .inner_join(users::table.on(users::id.eq(topics::user_id)))
            .filter(categories::kind.eq("releases"))
            .filter(topics::deleted_at.is_null())
            .filter(posts::number.eq(1))
            .select((
                topics::id,
                topics::title,
                topics::slug,
                topics::product,
                topics::version,
                topics::created_at,
                topics::updated_at,
                posts::body_html,
                users::display_name,
            ))
            .order((topics::released_on.desc(), topics::id.desc()))
            .limit(50)
            .into_boxed();
        let enc = |p: &str| url::form_urlencoded::byte_serialize(p.as_bytes()).collect::<String>();
        let (self_path, title) = match (&scope, &community) {
            (FeedScope::Product(p), _) => {
                q = q.filter(topics::product.eq(p.clone()));
                (format!("releases/{}.atom", enc(p)), format!("{p} releases"))
            }
            (FeedScope::Community(_), Some(k)) => {
                q = q.filter(categories::community_id.eq(k.id));
                (
                    format!("communities/{}/releases.atom", enc(&k.slug)),
                    format!("{} releases", k.name),
                )
            }
            _ => ("releases.atom".to_string(), "Releases".to_string()),
        };
        let rows: Vec<FeedRow> = q.load(c)?;
        Ok(build_feed(&base, &self_path, title, rows))
    })
    .await
}

/// id, title, slug, product, version, created, updated, body HTML, author name.
type FeedRow = (
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    NaiveDateTime,
    NaiveDateTime,
    String,
    String,
);

fn build_feed(base: &url::Url, self_path: &str, title: String, rows: Vec<FeedRow>) -> String {
    use atom_syndication::{Content, Entry, Feed, Link, Person, Text};
    let to_time = |t: NaiveDateTime| Utc.from_utc_datetime(&t).fixed_offset();
    let self_url = base
        .join(self_path)
        .map(|u| u.to_string())
        .unwrap_or_else(|_| self_path.to_string());
    let updated = rows.iter().map(|r| r.6).max().unwrap_or_else(now);
    let entries: Vec<Entry> = rows
        .into_iter()
        .map(
            |(id, title, slug, product, version, created, changed, html, author)| {
                let link = base
                    .join(&format!("t/{id}/{slug}"))
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                let mut entry = Entry::default();
                entry.set_id(link.clone());
                entry.set_title(Text::plain(match (product, version) {
                    (Some(p), Some(v)) => format!("{p} {v}: {title}"),
                    _ => title,
                }));
                entry.set_links(vec![Link {
                    href: link,
                    rel: "alternate".into(),
                    ..Default::default()
                }]);
                entry.set_published(Some(to_time(created)));
                entry.set_updated(to_time(changed));
                entry.set_authors(vec![Person {
                    name: author,
                    ..Default::default()
                }]);
                entry.set_content(Some(Content {
                    content_type: Some("html".into()),
                    value: Some(html),
                    ..Default::default()
                }));
                entry
            },
        )
        .collect();
    let mut feed = Feed::default();
    feed.set_id(self_url.clone());
    feed.set_title(Text::plain(title));
    feed.set_updated(to_time(updated));
    feed.set_links(vec![
        Link {
            href: self_url,
            rel: "self".into(),
            mime_type: Some("application/atom+xml".into()),
            ..Default::default()
        },
        Link {
            href: base.join("c/releases").map(|u| u.to_string()).unwrap_or_default(),
            rel: "alternate".into(),
            ..Default::default()
        },
    ]);
    feed.set_entries(entries);
    feed.to_string()
}
