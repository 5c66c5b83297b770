//! Posts: replying, editing (every edit keeps a revision), deleting, voting on answers
//! and accepting one.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::topics::{check_tags, delete_topic, set_tags};
use super::views::{Author, AuthorRow, author, author_columns};
use super::{Kind, check_body, check_title, outbox, require_post, require_read};
use crate::app::AppState;
use crate::db::locks::{Row, lock};
use crate::db::models::{NewPost, Post, PostRevision, Topic};
use crate::db::schema::{categories, post_revisions, post_votes, posts, topics, users};
use crate::db::{AnyConnection, Db, now};
use crate::error::AppError;
use crate::web::AuthUser;
use crate::with_backend;

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

/// Replies to a topic (an answer, in Questions & Answers).
pub async fn reply(
    state: &AppState,
    user: &AuthUser,
    topic_id: i64,
    body: &str,
) -> Result<Replied, AppError> {
    require_post(user)?;
    let body = check_body(body)?;
    super::check_post_rate(&state.limiter, user)?;
    let rendered = super::prerender(&state.db, &body).await?;
    let (user_id, staff) = (user.id, user.is_staff());
    let mailing = crate::mail::MailContext::of(state);
    state
        .db
        .write(move |c| {
            // The reply's number is the topic's highest plus one: one writer at a time.
            lock(c, Row::Topic(topic_id))?;
            let topic = live_topic(c, topic_id)?;
            if topic.locked && !staff {
                return Err(AppError::forbidden("This topic is locked; only staff can reply."));
            }
            let number: i64 = posts::table
                .filter(posts::topic_id.eq(topic_id))
                .select(diesel::dsl::max(posts::number))
                .first::<Option<i64>>(c)?
                .unwrap_or(0)
                + 1;
            let t = now();
            let new = NewPost {
                topic_id,
                user_id,
                number,
                body_markdown: &body,
                body_html: rendered.html.as_str(),
                created_at: t,
                updated_at: t,
            };
            let id: i64 = with_backend!(c, |c| diesel::insert_into(posts::table)
                .values(&new)
                .returning(posts::id)
                .get_result(c))?;
            diesel::update(topics::table.find(topic_id))
                .set((
                    topics::reply_count.eq(topics::reply_count + 1),
                    topics::last_posted_at.eq(t),
                    topics::last_post_user_id.eq(user_id),
                ))
                .execute(c)?;
            diesel::update(categories::table.find(topic.category_id))
                .set((
                    categories::post_count.eq(categories::post_count + 1),
                    categories::last_topic_id.eq(topic_id),
                    categories::last_posted_at.eq(t),
                ))
                .execute(c)?;
            outbox(c, "post", id)?;
            crate::notify::service::on_post(c, &mailing, id, &rendered.mentions)?;
            Ok(Replied { id, topic_id, number })
        })
        .await
}

/// Changes to a post; `title` and `tags` apply to an opening post's topic.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct PostEdit {
    /// Markdown, at least 2 characters, at most 65,536 bytes.
    #[schema(min_length = 2, max_length = 65536)]
    pub body: Option<String>,
    /// The opening post only: 5 to 200 characters (runs of spaces count as one).
    #[schema(min_length = 5, max_length = 200)]
    pub title: Option<String>,
    /// The opening post only: the whole new list, at most 5 tags of at most 30
    /// characters each.
    #[serde(default)]
    #[schema(max_items = 5, max_length = 30)]
    pub tags: Option<Vec<String>>,
}

/// Edits a post (its author or staff), keeping what it said before as a revision.
pub async fn edit(db: &Db, user: &AuthUser, post_id: i64, change: PostEdit) -> Result<Replied, AppError> {
    require_post(user)?;
    let body = change.body.as_deref().map(check_body).transpose()?;
    let title = change.title.as_deref().map(check_title).transpose()?;
    let tags = change.tags.as_deref().map(check_tags).transpose()?;
    let rendered = match &body {
        Some(b) => Some(super::prerender(db, b).await?),
        None => None,
    };
    let (user_id, staff) = (user.id, user.is_staff());
    db.write(move |c| {
        let (post, topic) = locked_post(c, post_id)?;
        if post.deleted_at.is_some() {
            return Err(AppError::Conflict(
                "This post was deleted; it cannot be edited.".into(),
            ));
        }
        if post.user_id != user_id && !staff {
            return Err(AppError::forbidden("You can edit only your own posts."));
        }
        if (title.is_some() || tags.is_some()) && post.number != 1 {
            return Err(AppError::field(
                "title",
                "Only the opening post carries the topic's title and tags.",
            ));
        }
        let new_body = body.clone().unwrap_or_else(|| post.body_markdown.clone());
        let new_title = title.clone().filter(|t| *t != topic.title);
        if new_body == post.body_markdown && new_title.is_none() {
            if let Some(tags) = &tags {
                set_tags(c, topic.id, tags)?;
            }
            return Ok(Replied {
                id: post.id,
                topic_id: topic.id,
                number: post.number,
            });
        }
        let t = now();
        diesel::insert_into(post_revisions::table)
            .values((
                post_revisions::post_id.eq(post.id),
                post_revisions::user_id.eq(user_id),
                post_revisions::number.eq(post.edit_count + 1),
                post_revisions::title.eq(new_title.as_ref().map(|_| topic.title.clone())),
                post_revisions::body_markdown.eq(&post.body_markdown),
                post_revisions::created_at.eq(t),
            ))
            .execute(c)?;
        // An unchanged body keeps the HTML it was stored with.
        let html = rendered
            .as_ref()
            .map_or_else(|| post.body_html.clone(), |r| r.html.as_str().to_string());
        diesel::update(posts::table.find(post.id))
            .set((
                posts::body_markdown.eq(&new_body),
                posts::body_html.eq(&html),
                posts::edit_count.eq(posts::edit_count + 1),
                posts::edited_at.eq(t),
                posts::updated_at.eq(t),
            ))
            .execute(c)?;
        if let Some(title) = &new_title {
            diesel::update(topics::table.find(topic.id))
                .set((
                    topics::title.eq(title),
                    topics::slug.eq(super::slugify(title)),
                    topics::updated_at.eq(t),
                ))
                .execute(c)?;
        }
        if let Some(tags) = &tags {
            set_tags(c, topic.id, tags)?;
        }
        if post.number == 1 {
            outbox(c, "topic", topic.id)?;
        } else {
            outbox(c, "post", post.id)?;
        }
        Ok(Replied {
            id: post.id,
            topic_id: topic.id,
            number: post.number,
        })
    })
    .await
}

/// Soft-deletes a post (its author or staff). Deleting the opening post deletes the
/// topic. An accepted answer that is deleted is no longer accepted.
pub async fn delete(db: &Db, user: &AuthUser, post_id: i64) -> Result<Replied, AppError> {
    require_read(user)?;
    let actor = user.clone();
    db.write(move |c| {
        let (post, topic) = locked_post(c, post_id)?;
        let done = Replied {
            id: post.id,
            topic_id: topic.id,
            number: post.number,
        };
        if post.number == 1 {
            delete_topic(c, &actor, &topic)?;
            return Ok(done);
        }
        if post.user_id != actor.id && !actor.is_staff() {
            return Err(AppError::forbidden("You can delete only your own posts."));
        }
        if post.deleted_at.is_some() {
            return Ok(done);
        }
        diesel::update(posts::table.find(post.id))
            .set((posts::deleted_at.eq(now()), posts::deleted_by.eq(actor.id)))
            .execute(c)?;
        if topic.accepted_post_id == Some(post.id) {
            diesel::update(topics::table.find(topic.id))
                .set(topics::accepted_post_id.eq(None::<i64>))
                .execute(c)?;
        }
        outbox(c, "post", post.id)?;
        Ok(done)
    })
    .await
}

/// The score and the voter's vote after voting.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VoteResult {
    pub post_id: i64,
    pub topic_id: i64,
    pub score: i64,
    pub my_vote: i32,
}

/// Votes a post up (1) or down (-1), or takes the vote back (0). One vote per member,
/// changeable; not on one's own posts.
pub async fn vote(db: &Db, user: &AuthUser, post_id: i64, value: i32) -> Result<VoteResult, AppError> {
    require_post(user)?;
    if ![-1, 0, 1].contains(&value) {
        return Err(AppError::field(
            "value",
            "A vote is 1 (up), -1 (down) or 0 (take it back).",
        ));
    }
    let user_id = user.id;
    db.write(move |c| {
        let (post, topic) = locked_post(c, post_id)?;
        if post.deleted_at.is_some() {
            return Err(AppError::Conflict("This post was deleted.".into()));
        }
        if post.user_id == user_id {
            return Err(AppError::forbidden("You cannot vote on your own post."));
        }
        let old: i32 = post_votes::table
            .find((post_id, user_id))
            .select(post_votes::value)
            .first(c)
            .optional()?
            .unwrap_or(0);
        if old == value {
            return Ok(VoteResult {
                post_id,
                topic_id: topic.id,
                score: post.score,
                my_vote: value,
            });
        }
        diesel::delete(post_votes::table.find((post_id, user_id))).execute(c)?;
        if value != 0 {
            diesel::insert_into(post_votes::table)
                .values((
                    post_votes::post_id.eq(post_id),
                    post_votes::user_id.eq(user_id),
                    post_votes::value.eq(value),
                    post_votes::created_at.eq(now()),
                ))
                .execute(c)?;
        }
        let delta = i64::from(value - old);
        diesel::update(posts::table.find(post_id))
            .set(posts::score.eq(posts::score + delta))
            .execute(c)?;
        // A question's own votes rank its topic.
        if post.number == 1 {
            diesel::update(topics::table.find(topic.id))
                .set(topics::score.eq(topics::score + delta))
                .execute(c)?;
        }
        outbox(c, "post", post_id)?;
        Ok(VoteResult {
            post_id,
            topic_id: topic.id,
            score: post.score + delta,
            my_vote: value,
        })
    })
    .await
}

/// Accepts an answer (the asker or staff), replacing any earlier one; `accept = false`
/// takes the acceptance back.
pub async fn accept(
    state: &AppState,
    user: &AuthUser,
    post_id: i64,
    accept: bool,
) -> Result<Replied, AppError> {
    require_post(user)?;
    let (user_id, staff) = (user.id, user.is_staff());
    let mailing = crate::mail::MailContext::of(state);
    state
        .db
        .write(move |c| {
            let (post, topic) = locked_post(c, post_id)?;
            if kind_of_topic(c, &topic)? != Kind::Questions {
                return Err(AppError::Conflict(
                    "Only answers in Questions & Answers can be accepted.".into(),
                ));
            }
            if topic.user_id != user_id && !staff {
                return Err(AppError::forbidden(
                    "Only the person who asked, or staff, can accept an answer.",
                ));
            }
            if post.number == 1 || post.deleted_at.is_some() {
                return Err(AppError::Conflict(
                    "Only a reply that is not deleted can be the accepted answer.".into(),
                ));
            }
            let accepted = if accept {
                Some(post.id)
            } else if topic.accepted_post_id == Some(post.id) {
                None
            } else {
                topic.accepted_post_id
            };
            diesel::update(topics::table.find(topic.id))
                .set((
                    topics::accepted_post_id.eq(accepted),
                    topics::updated_at.eq(now()),
                ))
                .execute(c)?;
            outbox(c, "topic", topic.id)?;
            if accepted == Some(post.id) && topic.accepted_post_id != Some(post.id) {
                crate::notify::service::on_accept(c, &mailing, post.id, user_id)?;
            }
            Ok(Replied {
                id: post.id,
                topic_id: topic.id,
                number: post.number,
            })
        })
        .await
}

/// One line of a comparison between two versions of a post.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DiffLine {
    /// `same`, `added` or `removed`.
    pub change: &'static str,
    pub text: String,
}

/// One edit: who made it, when, what the post said before, and what changed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Edit {
    #[serde(flatten)]
    pub revision: PostRevision,
    pub editor: Author,
    /// From the text before this edit to the text after it.
    pub diff: Vec<DiffLine>,
    /// The title after the edit, when the edit changed it.
    pub new_title: Option<String>,
}

/// A post with its edit history, newest edit first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct History {
    pub post_id: i64,
    pub topic_id: i64,
    pub current: String,
    pub edits: Vec<Edit>,
}

/// Line-by-line changes from `before` to `after`.
pub fn diff_lines(before: &str, after: &str) -> Vec<DiffLine> {
    use similar::{ChangeTag, TextDiff};
    TextDiff::from_lines(before, after)
        .iter_all_changes()
        .map(|change| DiffLine {
            change: match change.tag() {
                ChangeTag::Equal => "same",
                ChangeTag::Insert => "added",
                ChangeTag::Delete => "removed",
            },
            text: change.value().trim_end_matches('\n').to_string(),
        })
        .collect()
}

/// What a post said before each edit.
pub async fn history(db: &Db, user: &AuthUser, post_id: i64) -> Result<History, AppError> {
    require_read(user)?;
    let staff = user.is_staff();
    db.read(move |c| {
        let (post, topic) = locked_post(c, post_id)?;
        if post.deleted_at.is_some() && !staff {
            return Err(AppError::NotFound);
        }
        let revisions: Vec<(PostRevision, AuthorRow)> = post_revisions::table
            .inner_join(users::table.on(users::id.eq(post_revisions::user_id)))
            .filter(post_revisions::post_id.eq(post_id))
            .order(post_revisions::number.desc())
            .select((PostRevision::as_select(), author_columns()))
            .load(c)?;
        let current_title: String = topics::table.find(topic.id).select(topics::title).first(c)?;
        // Newest first: each edit turned its revision's text into the next newer one.
        let mut after_body = post.body_markdown.clone();
        let mut after_title = current_title;
        let mut edits = Vec::with_capacity(revisions.len());
        for (revision, a) in revisions {
            let diff = diff_lines(&revision.body_markdown, &after_body);
            let new_title = revision.title.as_ref().map(|_| after_title.clone());
            after_body = revision.body_markdown.clone();
            if let Some(t) = &revision.title {
                after_title = t.clone();
            }
            edits.push(Edit {
                revision,
                editor: author(a),
                diff,
                new_title,
            });
        }
        Ok(History {
            post_id,
            topic_id: topic.id,
            current: post.body_markdown,
            edits,
        })
    })
    .await
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
