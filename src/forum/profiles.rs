//! A member's profile: who they are, their topics, their answers and which were
//! accepted.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::require_read;
use super::views::{self, TopicCard, TopicRow, author_columns, category_columns};
use crate::db::Db;
use crate::db::models::Topic;
use crate::db::schema::{categories, organizations, posts, topics, users};
use crate::error::AppError;
use crate::web::AuthUser;

/// How many topics and answers a profile lists.
const RECENT: i64 = 20;

/// An answer in a profile.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AnswerRef {
    pub post_id: i64,
    pub topic_id: i64,
    pub topic_title: String,
    pub topic_slug: String,
    pub score: i64,
    pub accepted: bool,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: NaiveDateTime,
}

/// A profile page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Profile {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub organization: Option<String>,
    /// Only for staff readers.
    pub email: Option<String>,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub joined: NaiveDateTime,
    pub topic_count: i64,
    pub answer_count: i64,
    pub accepted_count: i64,
    pub topics: Vec<TopicCard>,
    pub answers: Vec<AnswerRef>,
}

/// Loads a profile by username (a fixed number of queries).
pub async fn profile(db: &Db, reader: &AuthUser, username: &str) -> Result<Profile, AppError> {
    require_read(reader)?;
    let username = username.to_lowercase();
    let staff = reader.is_staff();
    db.read(move |c| {
        let (id, display_name, role, email, joined, organization): (
            i64,
            String,
            String,
            String,
            NaiveDateTime,
            Option<String>,
        ) = users::table
            .left_join(organizations::table)
            .filter(users::username.eq(&username))
            .select((
                users::id,
                users::display_name,
                users::role,
                users::email,
                users::created_at,
                organizations::name.nullable(),
            ))
            .first(c)?;
        let live_topics = topics::table
            .filter(topics::user_id.eq(id))
            .filter(topics::deleted_at.is_null());
        let topic_count: i64 = live_topics.count().get_result(c)?;
        let rows: Vec<TopicRow> = topics::table
            .inner_join(users::table.on(users::id.eq(topics::user_id)))
            .inner_join(categories::table)
            .filter(topics::user_id.eq(id))
            .filter(topics::deleted_at.is_null())
            .order((topics::created_at.desc(), topics::id.desc()))
            .limit(RECENT)
            .select((Topic::as_select(), author_columns(), category_columns()))
            .load(c)?;
        let topic_cards = views::cards(c, rows)?;
        // Answers: replies in Questions & Answers.
        let answers_q = posts::table
            .inner_join(topics::table.inner_join(categories::table))
            .filter(posts::user_id.eq(id))
            .filter(posts::number.gt(1))
            .filter(posts::deleted_at.is_null())
            .filter(topics::deleted_at.is_null())
            .filter(categories::kind.eq("questions"));
        let answer_count: i64 = answers_q.count().get_result(c)?;
        let accepted_count: i64 = answers_q
            .filter(topics::accepted_post_id.eq(posts::id.nullable()))
            .count()
            .get_result(c)?;
        let answers = answers_q
            .order((posts::created_at.desc(), posts::id.desc()))
            .limit(RECENT)
            .select((
                posts::id,
                topics::id,
                topics::title,
                topics::slug,
                posts::score,
                topics::accepted_post_id,
                posts::created_at,
            ))
            .load::<(i64, i64, String, String, i64, Option<i64>, NaiveDateTime)>(c)?
            .into_iter()
            .map(
                |(post_id, topic_id, topic_title, topic_slug, score, accepted, created_at)| AnswerRef {
                    post_id,
                    topic_id,
                    topic_title,
                    topic_slug,
                    score,
                    accepted: accepted == Some(post_id),
                    created_at,
                },
            )
            .collect();
        Ok(Profile {
            id,
            username,
            display_name,
            role,
            organization,
            email: staff.then_some(email),
            joined,
            topic_count,
            answer_count,
            accepted_count,
            topics: topic_cards,
            answers,
        })
    })
    .await
}
