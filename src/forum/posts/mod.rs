//! Posts: replying, editing (every edit keeps a revision), deleting, voting on answers
//! and accepting one.

use super::topics::{check_tags, delete_topic, set_tags};
use super::views::{Author, AuthorRow, author, author_columns};
use super::{Kind, check_body, check_title, outbox, require_post, require_read};
use crate::db::locks::{Row, lock};
use crate::db::models::{Post, PostRevision, Topic};
use crate::db::schema::{categories, post_revisions, post_votes, posts, topics, users};
use crate::db::{AnyConnection, Db, now};
use crate::error::AppError;
use crate::web::AuthUser;
use crate::with_backend;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

mod edit;
mod history;
mod reply;
mod votes;

pub use edit::*;
pub use history::*;
pub use reply::*;
pub use votes::*;

fn kind_of_topic(c: &mut AnyConnection, topic: &Topic) -> Result<Kind, AppError> {
    let kind: String = categories::table
        .find(topic.category_id)
        .select(categories::kind)
        .first(c)?;
    Ok(Kind::parse(&kind).unwrap_or(Kind::Questions))
}

pub(crate) fn live_topic(c: &mut AnyConnection, topic_id: i64) -> Result<Topic, AppError> {
    let topic: Topic = topics::table.find(topic_id).select(Topic::as_select()).first(c)?;
    if topic.deleted_at.is_some() {
        return Err(AppError::NotFound);
    }
    Ok(topic)
}

/// [`live_post`] for a writer: the post and then its topic locked first, so that what is
/// read is what the other writers of them left (see `db::locks`).
fn locked_post(c: &mut AnyConnection, post_id: i64) -> Result<(Post, Topic), AppError> {
    lock(c, Row::Post(post_id))?;
    let topic_id: i64 = posts::table.find(post_id).select(posts::topic_id).first(c)?;
    lock(c, Row::Topic(topic_id))?;
    live_post(c, post_id)
}

fn live_post(c: &mut AnyConnection, post_id: i64) -> Result<(Post, Topic), AppError> {
    let post: Post = posts::table.find(post_id).select(Post::as_select()).first(c)?;
    let topic = live_topic(c, post.topic_id)?;
    Ok((post, topic))
}

/// Where a new post went.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Replied {
    pub id: i64,
    pub topic_id: i64,
    pub number: i64,
}

/// Where a post is shown: its topic page, at the post.
pub fn post_place(r: &Replied) -> String {
    let page = if r.number <= 1 {
        1
    } else {
        (r.number - 2) / super::topics::POSTS_PER_PAGE + 1
    };
    if page > 1 {
        format!("/t/{}?page={page}#post-{}", r.topic_id, r.id)
    } else {
        format!("/t/{}#post-{}", r.topic_id, r.id)
    }
}

/// The number of a post in its topic (1 opens it).
pub async fn number_of(db: &Db, post_id: i64) -> Result<i64, AppError> {
    db.read(move |c| Ok(posts::table.find(post_id).select(posts::number).first(c)?))
        .await
}

/// The title of a live topic, for a reader.
pub async fn topic_title(db: &Db, user: &AuthUser, topic_id: i64) -> Result<String, AppError> {
    super::require_read(user)?;
    db.read(move |c| Ok(live_topic(c, topic_id)?.title)).await
}

/// A post as a quotation to start a reply with: who wrote it, then its text as a block
/// quote. Only posts a reader can see may be quoted.
pub async fn quote(db: &Db, user: &AuthUser, post_id: i64) -> Result<(i64, String), AppError> {
    require_read(user)?;
    db.read(move |c| {
        let (post, topic) = locked_post(c, post_id)?;
        if post.deleted_at.is_some() || post.hidden {
            return Err(AppError::NotFound);
        }
        let username: Option<String> = users::table.find(post.user_id).select(users::username).first(c)?;
        let handle = username.unwrap_or_else(|| format!("user{}", post.user_id));
        let quoted: String = post.body_markdown.lines().map(|l| format!("> {l}\n")).collect();
        Ok((topic.id, format!("@{handle} wrote:\n\n{quoted}\n")))
    })
    .await
}

/// The address part of a topic (for `/t/{id}` links), when the reader may see it.
pub async fn topic_slug(db: &Db, user: &AuthUser, topic_id: i64) -> Result<String, AppError> {
    require_read(user)?;
    let staff = user.is_staff();
    db.read(move |c| {
        let (slug, deleted): (String, Option<chrono::NaiveDateTime>) = topics::table
            .find(topic_id)
            .select((topics::slug, topics::deleted_at))
            .first(c)?;
        if deleted.is_some() && !staff {
            return Err(AppError::NotFound);
        }
        Ok(slug)
    })
    .await
}

/// The opening post of a topic.
pub async fn opening_post(db: &Db, user: &AuthUser, topic_id: i64) -> Result<i64, AppError> {
    require_read(user)?;
    db.read(move |c| {
        Ok(posts::table
            .filter(posts::topic_id.eq(topic_id))
            .filter(posts::number.eq(1))
            .select(posts::id)
            .first(c)?)
    })
    .await
}
