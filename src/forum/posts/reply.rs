//! Replying to a topic.

use super::*;
use crate::db::Db;
use crate::mail::MailContext;
use crate::web::rate_limit::Limiter;

/// Replies to a topic (an answer, in Questions & Answers).
pub async fn reply(
    db: &Db,
    mailing: &MailContext,
    limiter: &Limiter,
    user: &AuthUser,
    topic_id: i64,
    body: &str,
) -> Result<Replied, AppError> {
    require_post(user)?;
    let body = check_body(body)?;
    crate::forum::check_post_rate(limiter, user).await?;
    let rendered = crate::forum::prerender(db, &body).await?;
    let (user_id, staff) = (user.id, user.is_staff());
    let mailing = mailing.clone();
    db.write(move |c| {
        let t = now();
        // The topic's row first. Its update holds the topic's other writers until the
        // commit (the reply's number is the highest plus one), and counts the change
        // for cached copies of its page (`revision`, see `forum::touch`).
        // It returns what the rest needs of the topic, so nothing reads it again.
        let row: Option<(i64, bool, i64, String)> = with_backend!(c, |c| diesel::update(
            topics::table.find(topic_id).filter(topics::deleted_at.is_null())
        )
        .set((
            topics::reply_count.eq(topics::reply_count + 1),
            topics::last_posted_at.eq(t),
            topics::last_post_user_id.eq(user_id),
            topics::revision.eq(topics::revision + 1),
        ))
        .returning((
            topics::category_id,
            topics::locked,
            topics::user_id,
            topics::title
        ))
        .get_result(c)
        .optional())?;
        let Some((category_id, locked, author, title)) = row else {
            return Err(AppError::NotFound);
        };
        if locked && !staff {
            // Refusing rolls the counters back with the transaction.
            return Err(AppError::forbidden("This topic is locked; only staff can reply."));
        }
        // The reply's number is the highest plus one, found by the insert itself; the
        // topic's row, held since its update, keeps the topic's other writers out.
        let next = crate::db::coalesce(diesel::dsl::max(posts::number), 0) + 1;
        let (id, number): (i64, i64) = with_backend!(c, |c| posts::table
            .filter(posts::topic_id.eq(topic_id))
            .select((
                topic_id.into_sql::<diesel::sql_types::BigInt>(),
                user_id.into_sql::<diesel::sql_types::BigInt>(),
                next,
                body.as_str().into_sql::<diesel::sql_types::Text>(),
                rendered.html.as_str().into_sql::<diesel::sql_types::Text>(),
                t.into_sql::<diesel::sql_types::Timestamp>(),
                t.into_sql::<diesel::sql_types::Timestamp>(),
            ))
            .insert_into(posts::table)
            .into_columns((
                posts::topic_id,
                posts::user_id,
                posts::number,
                posts::body_markdown,
                posts::body_html,
                posts::created_at,
                posts::updated_at,
            ))
            .returning((posts::id, posts::number))
            .get_result(c))?;
        crate::search::outbox::record(c, "post", id)?;
        let topic = crate::notify::replies::RepliedTopic {
            id: topic_id,
            category_id,
            user_id: author,
            title,
        };
        let written = crate::notify::service::Written {
            post_id: id,
            topic_id,
            author: user_id,
            body: &body,
            mentions: &rendered.mentions,
        };
        crate::notify::replies::on_reply(c, &mailing, &topic, &written)?;
        // Last: every reply in a category updates its row, and on PostgreSQL holds it
        // until the commit, so the other writers of the category wait only for that.
        diesel::update(categories::table.find(category_id))
            .set((
                categories::post_count.eq(categories::post_count + 1),
                categories::last_topic_id.eq(topic_id),
                categories::last_posted_at.eq(t),
            ))
            .execute(c)?;
        Ok(Replied { id, topic_id, number })
    })
    .await
}
