//! Votes on answers, and accepting one.

use super::*;
use crate::db::Db;
use crate::mail::MailContext;

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
        // One vote mechanism per kind of topic: an idea is voted on as an idea.
        if post.number == 1 && kind_of_topic(c, &topic)? == Kind::Ideas {
            return Err(AppError::Conflict(format!(
                "Vote for the idea itself (PUT /api/v1/topics/{}/vote, or its Vote button); its opening post takes no separate vote.",
                topic.id
            )));
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
    db: &Db,
    mailing: &MailContext,
    user: &AuthUser,
    post_id: i64,
    accept: bool,
) -> Result<Replied, AppError> {
    require_post(user)?;
    let (user_id, staff) = (user.id, user.is_staff());
    let mailing = mailing.clone();
    db.write(move |c| {
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
