//! Ideas & Feature Requests: one vote per member, a status and an official response
//! from staff, merging duplicates, trending, and the roadmap.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::views::{self, TopicCard, TopicRow, author_columns, category_columns};
use super::{Kind, outbox, require_post, require_read, require_staff};
use crate::db::locks::{Row, lock};
use crate::db::models::Topic;
use crate::db::schema::{categories, topic_votes, topics, users};
use crate::db::{AnyConnection, Db, now};
use crate::error::AppError;
use crate::mail::MailContext;
use crate::markdown::SafeHtml;
use crate::web::AuthUser;

/// Every status an idea can have, in the order of its life.
pub const STATUSES: [&str; 7] = [
    "new",
    "under_review",
    "planned",
    "in_progress",
    "shipped",
    "declined",
    "duplicate",
];

/// What a topic page shows of an idea.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IdeaView {
    pub status: String,
    pub votes: i64,
    pub voted: bool,
    pub response: Option<SafeHtml>,
    pub merged_into: Option<i64>,
}

/// The idea part of a topic, for its page, as it is before the reader's vote is known.
pub fn view(topic: &Topic) -> IdeaView {
    IdeaView {
        status: topic.status.clone().unwrap_or_else(|| "new".into()),
        votes: topic.score,
        voted: false,
        response: topic.response_html.clone().map(SafeHtml::from_stored),
        merged_into: topic.merged_into_id,
    }
}

fn idea(c: &mut AnyConnection, topic_id: i64) -> Result<Topic, AppError> {
    super::topic_of_kind(
        c,
        topic_id,
        Kind::Ideas,
        "Only ideas take votes, statuses and merges.",
    )
}

fn recount(c: &mut AnyConnection, topic_id: i64) -> Result<i64, AppError> {
    let votes: i64 = topic_votes::table
        .filter(topic_votes::topic_id.eq(topic_id))
        .count()
        .get_result(c)?;
    diesel::update(topics::table.find(topic_id))
        .set(topics::score.eq(votes))
        .execute(c)?;
    Ok(votes)
}

/// An idea's votes after a vote.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IdeaVote {
    pub topic_id: i64,
    pub votes: i64,
    pub voted: bool,
}

/// Gives (1) or takes back (0) the member's one vote for an idea.
pub async fn vote(db: &Db, user: &AuthUser, topic_id: i64, value: i32) -> Result<IdeaVote, AppError> {
    require_post(user)?;
    if value != 0 && value != 1 {
        return Err(AppError::field(
            "value",
            "An idea vote is 1 (vote) or 0 (take it back).",
        ));
    }
    let user_id = user.id;
    db.write(move |c| {
        lock(c, Row::Topic(topic_id))?;
        let topic = idea(c, topic_id)?;
        if topic.merged_into_id.is_some() {
            return Err(AppError::Conflict(
                "This idea was merged into another; vote there.".into(),
            ));
        }
        diesel::delete(topic_votes::table.find((topic_id, user_id))).execute(c)?;
        if value == 1 {
            diesel::insert_into(topic_votes::table)
                .values((
                    topic_votes::topic_id.eq(topic_id),
                    topic_votes::user_id.eq(user_id),
                    topic_votes::created_at.eq(now()),
                ))
                .execute(c)?;
        }
        let votes = recount(c, topic_id)?;
        outbox(c, "topic", topic_id)?;
        Ok(IdeaVote {
            topic_id,
            votes,
            voted: value == 1,
        })
    })
    .await
}

/// A status change from staff.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct StatusChange {
    /// new, under_review, planned, in_progress, shipped, declined or duplicate (in
    /// any case; a space for `_`).
    #[serde(default)]
    #[schema(
        required = true,
        pattern = "^\\s*([nN][eE][wW]|[uU][nN][dD][eE][rR][_ ][rR][eE][vV][iI][eE][wW]|[pP][lL][aA][nN][nN][eE][dD]|[iI][nN][_ ][pP][rR][oO][gG][rR][eE][sS][sS]|[sS][hH][iI][pP][pP][eE][dD]|[dD][eE][cC][lL][iI][nN][eE][dD]|[dD][uU][pP][lL][iI][cC][aA][tT][eE])\\s*$"
    )]
    pub status: String,
    /// The official response, shown at the top of the idea, at most 65,536 bytes;
    /// empty removes it.
    #[schema(max_length = 65536)]
    pub response: Option<String>,
}

/// Sets an idea's status and official response (staff).
pub async fn set_status(
    db: &Db,
    mailing: &MailContext,
    user: &AuthUser,
    topic_id: i64,
    change: StatusChange,
) -> Result<(), AppError> {
    require_staff(user, "set the status of ideas")?;
    let status = change.status.trim().to_lowercase().replace(' ', "_");
    if !STATUSES.contains(&status.as_str()) {
        return Err(AppError::field(
            "status",
            format!("'{status}' is not a status; use one of {}.", STATUSES.join(", ")),
        ));
    }
    let response = change
        .response
        .map(|r| r.replace("\r\n", "\n"))
        .filter(|r| !r.trim().is_empty());
    if response.as_ref().is_some_and(|r| r.len() > super::MAX_BODY) {
        return Err(AppError::field("response", "Keep the response under 64 KiB."));
    }
    let staff_id = user.id;
    let mailing = mailing.clone();
    let html = match response.as_deref() {
        Some(r) => Some(super::prerender(db, r).await?.html.into_string()),
        None => None,
    };
    db.write(move |c| {
        lock(c, Row::Topic(topic_id))?;
        let topic = idea(c, topic_id)?;
        let t = now();
        diesel::update(topics::table.find(topic.id))
            .set((
                topics::status.eq(&status),
                topics::response_markdown.eq(&response),
                topics::response_html.eq(&html),
                topics::response_user_id.eq(response.as_ref().map(|_| staff_id)),
                topics::status_changed_at.eq(t),
                topics::updated_at.eq(t),
            ))
            .execute(c)?;
        outbox(c, "topic", topic.id)?;
        if topic.status.as_deref() != Some(status.as_str()) {
            crate::notify::service::on_idea_status(c, &mailing, topic.id, &status, staff_id)?;
        }
        Ok(())
    })
    .await
}

/// Merges a duplicate idea into another: its voters become voters of the other (once
/// each), it is marked duplicate, locked and leaves the lists.
pub async fn merge(db: &Db, user: &AuthUser, from: i64, into: i64) -> Result<IdeaVote, AppError> {
    require_staff(user, "merge ideas")?;
    if from == into {
        return Err(AppError::field("into", "An idea cannot be merged into itself."));
    }
    db.write(move |c| {
        // Both ideas, in one order, so that two merges never wait on each other.
        lock(c, Row::Topic(from.min(into)))?;
        lock(c, Row::Topic(from.max(into)))?;
        let source = idea(c, from)?;
        let target = idea(c, into).map_err(|e| match e {
            AppError::NotFound => AppError::field("into", format!("There is no idea {into}.")),
            other => other,
        })?;
        if target.merged_into_id.is_some() {
            return Err(AppError::field(
                "into",
                "That idea was itself merged; merge into the one it went to.",
            ));
        }
        let already: Vec<i64> = topic_votes::table
            .filter(topic_votes::topic_id.eq(into))
            .select(topic_votes::user_id)
            .load(c)?;
        let moving: Vec<(i64, chrono::NaiveDateTime)> = topic_votes::table
            .filter(topic_votes::topic_id.eq(from))
            .select((topic_votes::user_id, topic_votes::created_at))
            .load(c)?;
        for (voter, at) in moving.into_iter().filter(|(v, _)| !already.contains(v)) {
            diesel::insert_into(topic_votes::table)
                .values((
                    topic_votes::topic_id.eq(into),
                    topic_votes::user_id.eq(voter),
                    topic_votes::created_at.eq(at),
                ))
                .execute(c)?;
        }
        diesel::delete(topic_votes::table.filter(topic_votes::topic_id.eq(from))).execute(c)?;
        recount(c, from)?;
        let votes = recount(c, into)?;
        diesel::update(topics::table.find(source.id))
            .set((
                topics::merged_into_id.eq(into),
                topics::status.eq("duplicate"),
                topics::locked.eq(true),
                topics::status_changed_at.eq(now()),
            ))
            .execute(c)?;
        outbox(c, "topic", from)?;
        outbox(c, "topic", into)?;
        Ok(IdeaVote {
            topic_id: into,
            votes,
            voted: false,
        })
    })
    .await
}

/// Ideas ranked by votes received in the last 14 days (offset paging: the ranking
/// moves as votes come in, so a keyset would skip).
pub fn trending_ids(
    c: &mut AnyConnection,
    category_ids: Option<&[i64]>,
    offset: i64,
    limit: i64,
) -> Result<Vec<i64>, AppError> {
    let since = now() - chrono::TimeDelta::days(14);
    let mut q = topic_votes::table
        .inner_join(topics::table)
        .filter(topic_votes::created_at.gt(since))
        .filter(topics::deleted_at.is_null())
        .filter(topics::merged_into_id.is_null())
        .group_by(topic_votes::topic_id)
        .select((topic_votes::topic_id, diesel::dsl::count_star()))
        .order((diesel::dsl::count_star().desc(), topic_votes::topic_id.desc()))
        .offset(offset)
        .limit(limit)
        .into_boxed();
    if let Some(ids) = category_ids {
        q = q.filter(topics::category_id.eq_any(ids.to_vec()));
    }
    Ok(q.load::<(i64, i64)>(c)?.into_iter().map(|(id, _)| id).collect())
}

/// The roadmap: ideas planned, in progress and shipped, most voted first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Roadmap {
    pub planned: Vec<TopicCard>,
    pub in_progress: Vec<TopicCard>,
    pub shipped: Vec<TopicCard>,
}

/// Loads the roadmap (two queries).
pub async fn roadmap(db: &Db, user: &AuthUser) -> Result<Roadmap, AppError> {
    require_read(user)?;
    db.read(|c| {
        let rows: Vec<TopicRow> = topics::table
            .inner_join(users::table.on(users::id.eq(topics::user_id)))
            .inner_join(categories::table)
            .filter(categories::kind.eq("ideas"))
            .filter(topics::deleted_at.is_null())
            .filter(topics::merged_into_id.is_null())
            .filter(topics::status.eq_any(["planned", "in_progress", "shipped"]))
            .order((topics::score.desc(), topics::id.desc()))
            .limit(300)
            .select((Topic::as_select(), author_columns(), category_columns()))
            .load(c)?;
        let cards = views::cards(c, rows)?;
        let pick = |s: &str| {
            cards
                .iter()
                .filter(|t| t.status.as_deref() == Some(s))
                .cloned()
                .collect()
        };
        Ok(Roadmap {
            planned: pick("planned"),
            in_progress: pick("in_progress"),
            shipped: pick("shipped"),
        })
    })
    .await
}
