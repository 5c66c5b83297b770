//! Moderation: members flag posts with a reason; staff work a review queue and hide,
//! restore or dismiss. A hidden post reads "hidden by staff" to members and leaves
//! the search index.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::views::{Author, AuthorRow, author, author_columns};
use super::{outbox, require_post, require_staff};
use crate::db::models::Post;
use crate::db::schema::{flags, posts, topics, users};
use crate::db::{Db, ResultExt, now};
use crate::error::AppError;
use crate::markdown::excerpt;
use crate::web::AuthUser;

/// Reasons a member may give.
pub const REASONS: [&str; 4] = ["spam", "offensive", "off_topic", "other"];

/// A flag from a member.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct FlagInput {
    /// spam, offensive, off_topic or other (in any case; a space or `-` for `_`).
    #[serde(default)]
    #[schema(
        required = true,
        pattern = "^\\s*([sS][pP][aA][mM]|[oO][fF][fF][eE][nN][sS][iI][vV][eE]|[oO][fF][fF][_ -][tT][oO][pP][iI][cC]|[oO][tT][hH][eE][rR])\\s*$"
    )]
    pub reason: String,
    /// Required for `other`; kept to its first 500 characters.
    #[serde(default)]
    pub note: String,
}

/// Flags a post for staff to review (once per member and post; not one's own);
/// returns the post's topic.
pub async fn flag(db: &Db, user: &AuthUser, post_id: i64, input: FlagInput) -> Result<i64, AppError> {
    require_post(user)?;
    let reason = input.reason.trim().to_lowercase().replace([' ', '-'], "_");
    if !REASONS.contains(&reason.as_str()) {
        return Err(AppError::field(
            "reason",
            "Choose why: spam, offensive, off topic or other.",
        ));
    }
    let note: String = input.note.trim().chars().take(500).collect();
    if reason == "other" && note.is_empty() {
        return Err(AppError::field("note", "Say what is wrong with the post."));
    }
    let user_id = user.id;
    db.write(move |c| {
        let post: Post = posts::table.find(post_id).select(Post::as_select()).first(c)?;
        if post.user_id == user_id {
            return Err(AppError::forbidden(
                "You cannot flag your own post; edit or delete it instead.",
            ));
        }
        if post.deleted_at.is_some() {
            return Err(AppError::Conflict("This post was deleted.".into()));
        }
        diesel::insert_into(flags::table)
            .values((
                flags::post_id.eq(post_id),
                flags::user_id.eq(user_id),
                flags::reason.eq(&reason),
                flags::note.eq(&note),
                flags::created_at.eq(now()),
            ))
            .execute(c)
            .on_unique(
                "flags_post_id_user_id_key",
                "reason",
                "You flagged this post already; staff will look at it.",
            )?;
        Ok(post.topic_id)
    })
    .await
}

/// A post waiting for review, with its open flags.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Review {
    pub post_id: i64,
    pub topic_id: i64,
    pub topic_title: String,
    pub number: i64,
    pub author: Author,
    pub excerpt: String,
    pub hidden: bool,
    pub flags: Vec<FlagView>,
}

/// One member's flag.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FlagView {
    pub reason: String,
    pub note: String,
    pub by: String,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
}

/// The review queue: posts with open flags, most flagged first (two queries).
pub async fn queue(db: &Db, user: &AuthUser) -> Result<Vec<Review>, AppError> {
    require_staff(user, "review flags")?;
    db.read(|c| {
        let open: Vec<(i64, String, String, NaiveDateTime, String)> = flags::table
            .inner_join(users::table.on(users::id.eq(flags::user_id)))
            .filter(flags::status.eq("open"))
            .order(flags::id.asc())
            .limit(1000)
            .select((
                flags::post_id,
                flags::reason,
                flags::note,
                flags::created_at,
                users::display_name,
            ))
            .load(c)?;
        let mut ids: Vec<i64> = open.iter().map(|f| f.0).collect();
        ids.dedup();
        let rows: Vec<(Post, String, AuthorRow)> = posts::table
            .inner_join(topics::table)
            .inner_join(users::table.on(users::id.eq(posts::user_id)))
            .filter(posts::id.eq_any(&ids))
            .select((Post::as_select(), topics::title, author_columns()))
            .load(c)?;
        let mut reviews: Vec<Review> = rows
            .into_iter()
            .map(|(p, title, a)| Review {
                flags: open
                    .iter()
                    .filter(|f| f.0 == p.id)
                    .map(|f| FlagView {
                        reason: f.1.clone(),
                        note: f.2.clone(),
                        created_at: f.3,
                        by: f.4.clone(),
                    })
                    .collect(),
                post_id: p.id,
                topic_id: p.topic_id,
                topic_title: title,
                number: p.number,
                excerpt: excerpt(&p.body_markdown, 300),
                hidden: p.hidden,
                author: author(a),
            })
            .collect();
        reviews.sort_by_key(|r| std::cmp::Reverse(r.flags.len()));
        Ok(reviews)
    })
    .await
}

/// What staff decide about a flagged post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Hide,
    Restore,
    Dismiss,
}

/// Hides, restores or dismisses the flags of a post (staff). Restore also works on a
/// post hidden earlier.
pub async fn decide(db: &Db, user: &AuthUser, post_id: i64, decision: Decision) -> Result<(), AppError> {
    require_staff(user, "review flags")?;
    let staff_id = user.id;
    db.write(move |c| {
        let post: Post = posts::table.find(post_id).select(Post::as_select()).first(c)?;
        let (hidden, status) = match decision {
            Decision::Hide => (Some(true), "hidden"),
            Decision::Restore => (Some(false), "restored"),
            Decision::Dismiss => (None, "dismissed"),
        };
        if let Some(h) = hidden {
            diesel::update(posts::table.find(post_id))
                .set(posts::hidden.eq(h))
                .execute(c)?;
            let (entity, id) = if post.number == 1 {
                ("topic", post.topic_id)
            } else {
                ("post", post.id)
            };
            outbox(c, entity, id)?;
        }
        diesel::update(
            flags::table
                .filter(flags::post_id.eq(post_id))
                .filter(flags::status.eq("open")),
        )
        .set((
            flags::status.eq(status),
            flags::resolved_by.eq(staff_id),
            flags::resolved_at.eq(now()),
        ))
        .execute(c)?;
        Ok(())
    })
    .await
}
