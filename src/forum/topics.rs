//! Topics: starting one, listing them (filters, sorts, keyset pages), reading one with
//! its posts, and the staff actions on them (lock, pin, move, delete).

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::categories::{by_slug, kind_of, with_children};
use super::views::{self, TopicCard, TopicRow, author_columns, category_columns};
use super::{Kind, check_body, check_title, outbox, require_post, require_read, require_staff, slugify};
use crate::app::AppState;
use crate::db::locks::{Row, lock};
use crate::db::models::{Category, NewPost, NewTopic, Topic};
use crate::db::schema::{categories, posts, tags, topic_tags, topics, users};
use crate::db::{AnyConnection, Db, now};
use crate::error::AppError;
use crate::web::AuthUser;
use crate::with_backend;

pub use super::reading::{TopicPage, page};

/// Topics per list page.
pub const TOPICS_PER_PAGE: i64 = 30;
/// Replies per topic page.
pub const POSTS_PER_PAGE: i64 = 50;
/// Most tags on one topic.
pub const MAX_TAGS: usize = 5;

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
fn tag_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
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

struct ReleaseFields {
    product: String,
    version: String,
    released_on: NaiveDate,
}

fn check_release(input: &TopicInput) -> Result<ReleaseFields, AppError> {
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

/// Where a new topic went.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: i64,
    pub slug: String,
    pub post_id: i64,
}

/// Starts a topic with its opening post.
pub async fn create(state: &AppState, user: &AuthUser, input: TopicInput) -> Result<Created, AppError> {
    require_post(user)?;
    let title = check_title(&input.title);
    let body = check_body(&input.body);
    let tags = check_tags(&input.tags);
    let mut fields = crate::error::FieldErrors::new();
    for e in [title.as_ref().err(), body.as_ref().err(), tags.as_ref().err()]
        .into_iter()
        .flatten()
    {
        if let Some(f) = e.field_errors() {
            fields.extend(f.clone());
        }
    }
    if !fields.is_empty() {
        return Err(AppError::fields(fields));
    }
    let (title, body, tags) = (title?, body?, tags?);
    super::check_post_rate(&state.limiter, user)?;
    let rendered = super::prerender(&state.db, &body).await?;
    let (user_id, staff) = (user.id, user.is_staff());
    let mailing = crate::mail::MailContext::of(state);
    state
        .db
        .write(move |c| {
            let category = by_slug(c, input.category.trim())
                .map_err(|_| AppError::field("category", "Choose a category for the topic."))?;
            let kind = kind_of(&category);
            let release = if kind == Kind::Releases {
                if !staff {
                    return Err(AppError::forbidden("Only staff may post releases."));
                }
                Some(check_release(&input)?)
            } else {
                None
            };
            let t = now();
            let slug = slugify(&title);
            let new = NewTopic {
                category_id: category.id,
                user_id,
                title: &title,
                slug: &slug,
                status: (kind == Kind::Ideas).then_some("new"),
                product: release.as_ref().map(|r| r.product.as_str()),
                version: release.as_ref().map(|r| r.version.as_str()),
                released_on: release.as_ref().map(|r| r.released_on),
                last_posted_at: t,
                last_post_user_id: Some(user_id),
                created_at: t,
                updated_at: t,
            };
            let topic: Topic = with_backend!(c, |c| diesel::insert_into(topics::table)
                .values(&new)
                .returning(Topic::as_returning())
                .get_result(c))?;
            let post = NewPost {
                topic_id: topic.id,
                user_id,
                number: 1,
                body_markdown: &body,
                body_html: rendered.html.as_str(),
                created_at: t,
                updated_at: t,
            };
            let post_id: i64 = with_backend!(c, |c| diesel::insert_into(posts::table)
                .values(&post)
                .returning(posts::id)
                .get_result(c))?;
            set_tags(c, topic.id, &tags)?;
            diesel::update(categories::table.find(category.id))
                .set((
                    categories::topic_count.eq(categories::topic_count + 1),
                    categories::post_count.eq(categories::post_count + 1),
                    categories::last_topic_id.eq(topic.id),
                    categories::last_posted_at.eq(t),
                ))
                .execute(c)?;
            outbox(c, "topic", topic.id)?;
            crate::notify::service::on_post(c, &mailing, post_id, &rendered.mentions)?;
            Ok(Created {
                id: topic.id,
                slug,
                post_id,
            })
        })
        .await
}

/// Replaces a topic's tags, keeping each tag's topic count.
pub fn set_tags(c: &mut AnyConnection, topic_id: i64, names: &[String]) -> Result<(), AppError> {
    let old: Vec<i64> = topic_tags::table
        .filter(topic_tags::topic_id.eq(topic_id))
        .select(topic_tags::tag_id)
        .load(c)?;
    diesel::delete(topic_tags::table.filter(topic_tags::topic_id.eq(topic_id))).execute(c)?;
    diesel::update(tags::table.filter(tags::id.eq_any(&old)))
        .set(tags::topic_count.eq(tags::topic_count - 1))
        .execute(c)?;
    for name in names {
        let values = (tags::name.eq(name), tags::created_at.eq(now()));
        with_backend!(c, |c| diesel::insert_into(tags::table)
            .values(values)
            .on_conflict(tags::name)
            .do_nothing()
            .execute(c))?;
        let tag_id: i64 = tags::table
            .filter(tags::name.eq(name))
            .select(tags::id)
            .first(c)?;
        diesel::insert_into(topic_tags::table)
            .values((topic_tags::topic_id.eq(topic_id), topic_tags::tag_id.eq(tag_id)))
            .execute(c)?;
        diesel::update(tags::table.find(tag_id))
            .set(tags::topic_count.eq(tags::topic_count + 1))
            .execute(c)?;
    }
    Ok(())
}

/// Which topics to list.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TopicQuery {
    /// A category slug (its sub-categories included).
    pub category: Option<String>,
    pub tag: Option<String>,
    /// `unanswered`, `solved` or `mine`.
    #[param(pattern = "^(unanswered|solved|mine|)$")]
    pub filter: Option<String>,
    /// Ideas: one status.
    #[param(pattern = "^(new|under_review|planned|in_progress|shipped|declined|duplicate|)$")]
    pub status: Option<String>,
    /// `latest` (default), `newest`, `votes` or `trending`.
    #[param(pattern = "^(latest|newest|votes|trending|)$")]
    pub sort: Option<String>,
    /// The cursor of the next page, as given by the previous one.
    pub after: Option<String>,
}

/// One page of a topic list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TopicList {
    /// Pinned topics of the category, on the first page only.
    pub pinned: Vec<TopicCard>,
    pub topics: Vec<TopicCard>,
    /// Cursor for the next page, when there is one.
    pub next: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Latest,
    Newest,
    Votes,
    /// Ideas by votes in the last 14 days.
    Trending,
}

/// Where the previous page ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cursor {
    Time(NaiveDateTime, i64),
    Score(i64, i64),
    Offset(i64),
}

fn parse_cursor(sort: Sort, raw: &str) -> Result<Cursor, AppError> {
    let bad = || {
        AppError::field(
            "after",
            "The page cursor is not valid; start again from the first page.",
        )
    };
    if sort == Sort::Trending {
        return raw
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Cursor::Offset)
            .ok_or_else(bad);
    }
    let (a, b) = raw.split_once('_').ok_or_else(bad)?;
    let id: i64 = b.parse().map_err(|_| bad())?;
    let a: i64 = a.parse().map_err(|_| bad())?;
    match sort {
        Sort::Votes => Ok(Cursor::Score(a, id)),
        _ => DateTime::from_timestamp_micros(a)
            .map(|t| Cursor::Time(t.naive_utc(), id))
            .ok_or_else(bad),
    }
}

/// Lists topics (two queries: the topics with authors and categories, then tags).
pub async fn list(db: &Db, user: &AuthUser, query: TopicQuery) -> Result<TopicList, AppError> {
    require_read(user)?;
    let sort = match query.sort.as_deref().unwrap_or("latest") {
        "latest" | "" => Sort::Latest,
        "newest" => Sort::Newest,
        "votes" => Sort::Votes,
        "trending" => Sort::Trending,
        other => {
            return Err(AppError::field(
                "sort",
                format!("'{other}' is not a sort; use latest, newest, votes or trending."),
            ));
        }
    };
    let filter = query.filter.clone().filter(|f| !f.is_empty());
    if let Some(f) = &filter
        && !["unanswered", "solved", "mine"].contains(&f.as_str())
    {
        return Err(AppError::field(
            "filter",
            format!("'{f}' is not a filter; use unanswered, solved or mine."),
        ));
    }
    let status = query.status.clone().filter(|s| !s.is_empty());
    if let Some(s) = &status
        && !super::ideas::STATUSES.contains(&s.as_str())
    {
        return Err(AppError::field("status", format!("'{s}' is not an idea status.")));
    }
    let cursor = query
        .after
        .as_deref()
        .filter(|a| !a.is_empty())
        .map(|a| parse_cursor(sort, a))
        .transpose()?;
    let user_id = user.id;
    db.read(move |c| {
        let category_ids = match query.category.as_deref().filter(|c| !c.is_empty()) {
            Some(slug) => {
                let id = by_slug(c, slug)?.id;
                Some(with_children(c, id)?)
            }
            None => None,
        };
        let base = || {
            let mut q = topics::table
                .inner_join(users::table.on(users::id.eq(topics::user_id)))
                .inner_join(categories::table)
                .filter(topics::deleted_at.is_null())
                .filter(topics::merged_into_id.is_null())
                .select((Topic::as_select(), author_columns(), category_columns()))
                .into_boxed();
            // One category by equality: PostgreSQL reads `= ANY($1)` without the
            // index order and would sort the whole category.
            match category_ids.as_deref() {
                Some([one]) => q = q.filter(topics::category_id.eq(*one)),
                Some(many) => q = q.filter(topics::category_id.eq_any(many.to_vec())),
                None => {}
            }
            if let Some(tag) = &query.tag {
                q = q.filter(
                    topics::id.eq_any(
                        topic_tags::table
                            .inner_join(tags::table)
                            .filter(tags::name.eq(tag.trim().to_lowercase()))
                            .select(topic_tags::topic_id),
                    ),
                );
            }
            match filter.as_deref() {
                Some("unanswered") => q = q.filter(topics::reply_count.eq(0)),
                Some("solved") => q = q.filter(topics::accepted_post_id.is_not_null()),
                Some("mine") => q = q.filter(topics::user_id.eq(user_id)),
                _ => {}
            }
            if let Some(s) = &status {
                q = q.filter(topics::status.eq(s.clone()));
            }
            q
        };
        // Pinned topics lead the first page of a category's latest list.
        let show_pinned =
            category_ids.is_some() && cursor.is_none() && sort == Sort::Latest && filter.is_none();
        let pinned_rows = if show_pinned {
            base()
                .filter(topics::pinned.eq(true))
                .order((topics::last_posted_at.desc(), topics::id.desc()))
                .limit(10)
                .load(c)?
        } else {
            Vec::new()
        };
        let (rows, next) = if sort == Sort::Trending {
            let offset = match cursor {
                Some(Cursor::Offset(n)) => n,
                _ => 0,
            };
            let ids = super::ideas::trending_ids(c, category_ids.as_deref(), offset, TOPICS_PER_PAGE + 1)?;
            let more = ids.len() as i64 > TOPICS_PER_PAGE;
            let ids: Vec<i64> = ids.into_iter().take(TOPICS_PER_PAGE as usize).collect();
            let mut rows: Vec<TopicRow> = base().filter(topics::id.eq_any(ids.clone())).load(c)?;
            rows.sort_by_key(|(t, _, _)| ids.iter().position(|id| *id == t.id));
            (rows, more.then(|| (offset + TOPICS_PER_PAGE).to_string()))
        } else {
            let mut q = base();
            if show_pinned {
                q = q.filter(topics::pinned.eq(false));
            }
            q = match (sort, cursor) {
                (Sort::Latest, Some(Cursor::Time(t, id))) => q.filter(
                    topics::last_posted_at
                        .lt(t)
                        .or(topics::last_posted_at.eq(t).and(topics::id.lt(id))),
                ),
                (Sort::Newest, Some(Cursor::Time(t, id))) => q.filter(
                    topics::created_at
                        .lt(t)
                        .or(topics::created_at.eq(t).and(topics::id.lt(id))),
                ),
                (Sort::Votes, Some(Cursor::Score(s, id))) => {
                    q.filter(topics::score.lt(s).or(topics::score.eq(s).and(topics::id.lt(id))))
                }
                _ => q,
            };
            q = match sort {
                Sort::Newest => q.order((topics::created_at.desc(), topics::id.desc())),
                Sort::Votes => q.order((topics::score.desc(), topics::id.desc())),
                _ => q.order((topics::last_posted_at.desc(), topics::id.desc())),
            };
            let mut rows: Vec<TopicRow> = q.limit(TOPICS_PER_PAGE + 1).load(c)?;
            let more = rows.len() as i64 > TOPICS_PER_PAGE;
            rows.truncate(TOPICS_PER_PAGE as usize);
            let next = more.then(|| rows.last()).flatten().map(|(t, _, _)| match sort {
                Sort::Newest => format!("{}_{}", t.created_at.and_utc().timestamp_micros(), t.id),
                Sort::Votes => format!("{}_{}", t.score, t.id),
                _ => format!("{}_{}", t.last_posted_at.and_utc().timestamp_micros(), t.id),
            });
            (rows, next)
        };
        let mut all = pinned_rows;
        let pinned_len = all.len();
        all.extend(rows);
        let mut cards = views::cards(c, all)?;
        let topics = cards.split_off(pinned_len);
        Ok(TopicList {
            pinned: cards,
            topics,
            next,
        })
    })
    .await
}

/// A staff action on a topic.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Moderation {
    Lock,
    Unlock,
    Pin,
    Unpin,
    /// Knowledge Share: mark an article as the vendor's official word.
    Official,
    Unofficial,
    Move {
        /// The slug of the category it goes to.
        #[schema(min_length = 1)]
        category: String,
    },
}

/// Locks, pins or moves a topic (staff).
pub async fn moderate(db: &Db, user: &AuthUser, topic_id: i64, action: Moderation) -> Result<(), AppError> {
    require_staff(user, "lock, pin, move or mark topics official")?;
    db.write(move |c| {
        lock(c, Row::Topic(topic_id))?;
        let topic: Topic = topics::table.find(topic_id).select(Topic::as_select()).first(c)?;
        match action {
            Moderation::Lock | Moderation::Unlock => {
                diesel::update(topics::table.find(topic_id))
                    .set(topics::locked.eq(matches!(action, Moderation::Lock)))
                    .execute(c)?;
            }
            Moderation::Pin | Moderation::Unpin => {
                diesel::update(topics::table.find(topic_id))
                    .set(topics::pinned.eq(matches!(action, Moderation::Pin)))
                    .execute(c)?;
            }
            Moderation::Official | Moderation::Unofficial => {
                diesel::update(topics::table.find(topic_id))
                    .set(topics::official.eq(matches!(action, Moderation::Official)))
                    .execute(c)?;
                outbox(c, "topic", topic_id)?;
            }
            Moderation::Move { category } => {
                let to: Category = by_slug(c, category.trim()).map_err(|_| {
                    AppError::field("category", format!("There is no category '{category}'."))
                })?;
                if to.id != topic.category_id {
                    move_counts(c, &topic, to.id)?;
                    diesel::update(topics::table.find(topic_id))
                        .set(topics::category_id.eq(to.id))
                        .execute(c)?;
                    outbox(c, "topic", topic_id)?;
                }
            }
        }
        diesel::update(topics::table.find(topic_id))
            .set((
                topics::updated_at.eq(now()),
                topics::revision.eq(topics::revision + 1),
            ))
            .execute(c)?;
        Ok(())
    })
    .await
}

/// Moves a topic's counts from its category to another.
fn move_counts(c: &mut AnyConnection, topic: &Topic, to: i64) -> Result<(), AppError> {
    let posts = topic.reply_count + 1;
    diesel::update(categories::table.find(topic.category_id))
        .set((
            categories::topic_count.eq(categories::topic_count - 1),
            categories::post_count.eq(categories::post_count - posts),
        ))
        .execute(c)?;
    diesel::update(categories::table.find(to))
        .set((
            categories::topic_count.eq(categories::topic_count + 1),
            categories::post_count.eq(categories::post_count + posts),
        ))
        .execute(c)?;
    Ok(())
}

/// Whether a whole topic may be deleted: by staff, or by its author while nobody
/// replied. The topic page offers Delete by the same rule.
pub fn may_delete_topic(staff: bool, author: bool, reply_count: i64) -> bool {
    staff || (author && reply_count == 0)
}

/// Soft-deletes a whole topic (its author while nobody replied, or staff).
pub fn delete_topic(c: &mut AnyConnection, user: &AuthUser, topic: &Topic) -> Result<(), AppError> {
    if !may_delete_topic(user.is_staff(), topic.user_id == user.id, topic.reply_count) {
        return Err(AppError::forbidden(
            "You can delete your topic while it has no replies; after that, ask staff.",
        ));
    }
    if topic.deleted_at.is_some() {
        return Ok(());
    }
    diesel::update(topics::table.find(topic.id))
        .set((topics::deleted_at.eq(now()), topics::updated_at.eq(now())))
        .execute(c)?;
    diesel::update(categories::table.find(topic.category_id))
        .set((
            categories::topic_count.eq(categories::topic_count - 1),
            categories::post_count.eq(categories::post_count - (topic.reply_count + 1)),
        ))
        .execute(c)?;
    outbox(c, "topic", topic.id)
}
