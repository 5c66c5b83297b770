//! What pages and the API show of topics and posts, loaded with a fixed number of
//! queries whatever the size of the forum.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::AnyConnection;
use crate::db::models::{Post, Topic};
use crate::db::schema::{categories, posts, tags, topic_tags, users};
use crate::error::AppError;
use crate::markdown::SafeHtml;

/// Who wrote something.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Author {
    pub id: i64,
    pub display_name: String,
    pub username: String,
    pub role: String,
    /// Where the person's own picture is (`/avatars/{id}/{sha256}`); none: initials.
    pub avatar: Option<String>,
}

/// The category a topic is in.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub kind: String,
}

/// A topic in a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TopicCard {
    pub id: i64,
    pub title: String,
    pub slug: String,
    pub category: CategoryRef,
    pub author: Author,
    pub reply_count: i64,
    /// Times read, once per reader and hour; counted a few seconds late.
    pub views: i64,
    pub score: i64,
    pub solved: bool,
    pub status: Option<String>,
    pub official: bool,
    pub pinned: bool,
    pub locked: bool,
    pub product: Option<String>,
    pub version: Option<String>,
    pub released_on: Option<chrono::NaiveDate>,
    pub tags: Vec<String>,
    /// Up to five people who posted in it, the most recent first.
    pub participants: Vec<Author>,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub last_posted_at: NaiveDateTime,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
}

/// A post on a topic page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PostView {
    pub id: i64,
    pub topic_id: i64,
    pub number: i64,
    pub author: Author,
    /// Empty when the post is deleted and the reader is not staff.
    pub html: SafeHtml,
    pub score: i64,
    /// The reader's vote: 1, -1 or 0.
    pub my_vote: i32,
    pub accepted: bool,
    pub deleted: bool,
    /// Hidden by staff after flags.
    pub hidden: bool,
    pub edit_count: i64,
    #[serde(serialize_with = "crate::web::time::utc_opt")]
    pub edited_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
    pub can_edit: bool,
    /// Editing is not deleting: an opening post with replies is deleted by staff only.
    pub can_delete: bool,
    pub can_vote: bool,
    pub can_accept: bool,
    /// Someone else's live post, to a reader who may post.
    pub can_flag: bool,
}

/// The selected columns of an author: id, display name, username, role, picture.
pub type AuthorRow = (i64, String, Option<String>, String, Option<String>);
/// The selected columns of a category: id, slug, name, kind.
pub type CategoryRow = (i64, String, String, String);
/// A topic with its author and category.
pub type TopicRow = (Topic, AuthorRow, CategoryRow);

/// Columns of `users` that make an [`Author`].
pub type AuthorColumns = (
    users::id,
    users::display_name,
    users::username,
    users::role,
    users::avatar_sha256,
);

/// The author columns, to select beside a row.
pub fn author_columns() -> AuthorColumns {
    (
        users::id,
        users::display_name,
        users::username,
        users::role,
        users::avatar_sha256,
    )
}

/// An author from its selected columns.
pub fn author((id, display_name, username, role, picture): AuthorRow) -> Author {
    Author {
        id,
        display_name,
        username: username.unwrap_or_else(|| format!("user{id}")),
        role,
        avatar: picture.map(|sha| crate::accounts::pictures::url(id, &sha)),
    }
}

/// Tag names of each topic (one query).
pub fn tags_of(c: &mut AnyConnection, topic_ids: &[i64]) -> Result<HashMap<i64, Vec<String>>, AppError> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for (topic_id, name) in topic_tags::table
        .inner_join(tags::table)
        .filter(topic_tags::topic_id.eq_any(topic_ids))
        .order(tags::name.asc())
        .select((topic_tags::topic_id, tags::name))
        .load::<(i64, String)>(c)?
    {
        out.entry(topic_id).or_default().push(name);
    }
    Ok(out)
}

/// People shown beside a topic in lists.
pub const PARTICIPANTS: usize = 5;

/// Up to [`PARTICIPANTS`] people who posted in each topic, the one who posted last first
/// (two queries: each person's latest post in each topic, then those people).
pub fn participants_of(
    c: &mut AnyConnection,
    topic_ids: &[i64],
) -> Result<HashMap<i64, Vec<Author>>, AppError> {
    let mut latest: Vec<(i64, i64, Option<i64>)> = posts::table
        .filter(posts::topic_id.eq_any(topic_ids))
        .filter(posts::deleted_at.is_null())
        .group_by((posts::topic_id, posts::user_id))
        .select((posts::topic_id, posts::user_id, diesel::dsl::max(posts::id)))
        .load(c)?;
    latest.sort_by_key(|row| std::cmp::Reverse(row.2));
    let mut chosen: HashMap<i64, Vec<i64>> = HashMap::new();
    for (topic_id, user_id, _) in latest {
        let people = chosen.entry(topic_id).or_default();
        if people.len() < PARTICIPANTS {
            people.push(user_id);
        }
    }
    let mut ids: Vec<i64> = chosen.values().flatten().copied().collect();
    ids.sort_unstable();
    ids.dedup();
    let people: HashMap<i64, Author> = users::table
        .filter(users::id.eq_any(&ids))
        .select(author_columns())
        .load::<AuthorRow>(c)?
        .into_iter()
        .map(|row| (row.0, author(row)))
        .collect();
    Ok(chosen
        .into_iter()
        .map(|(topic, users)| {
            (
                topic,
                users.iter().filter_map(|u| people.get(u).cloned()).collect(),
            )
        })
        .collect())
}

/// Cards for topics loaded with their author and category (three more queries: tags and
/// participants).
pub fn cards(c: &mut AnyConnection, rows: Vec<TopicRow>) -> Result<Vec<TopicCard>, AppError> {
    let ids: Vec<i64> = rows.iter().map(|(t, _, _)| t.id).collect();
    let mut tags = tags_of(c, &ids)?;
    let mut participants = participants_of(c, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(t, a, (cid, cslug, cname, ckind))| TopicCard {
            tags: tags.remove(&t.id).unwrap_or_default(),
            participants: participants.remove(&t.id).unwrap_or_default(),
            category: CategoryRef {
                id: cid,
                slug: cslug,
                name: cname,
                kind: ckind,
            },
            author: author(a),
            id: t.id,
            title: t.title,
            slug: t.slug,
            reply_count: t.reply_count,
            views: t.views,
            score: t.score,
            solved: t.accepted_post_id.is_some(),
            status: t.status,
            official: t.official,
            pinned: t.pinned,
            locked: t.locked,
            product: t.product,
            version: t.version,
            released_on: t.released_on,
            last_posted_at: t.last_posted_at,
            created_at: t.created_at,
        })
        .collect())
}

/// Columns of `categories` that make a [`CategoryRef`].
pub fn category_columns() -> (
    categories::id,
    categories::slug,
    categories::name,
    categories::kind,
) {
    (
        categories::id,
        categories::slug,
        categories::name,
        categories::kind,
    )
}

/// The HTML of a post as a reader sees it: nothing of a deleted or hidden post
/// unless staff.
pub fn visible_html(post: &Post, staff: bool) -> SafeHtml {
    if (post.deleted_at.is_some() || post.hidden) && !staff {
        SafeHtml::from_stored(String::new())
    } else {
        SafeHtml::from_stored(post.body_html.clone())
    }
}
