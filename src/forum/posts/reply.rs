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
        let row: Option<(i64, bool)> = with_backend!(c, |c| diesel::update(
            topics::table.find(topic_id).filter(topics::deleted_at.is_null())
        )
        .set((
            topics::reply_count.eq(topics::reply_count + 1),
            topics::last_posted_at.eq(t),
            topics::last_post_user_id.eq(user_id),
            topics::revision.eq(topics::revision + 1),
        ))
        .returning((topics::category_id, topics::locked))
        .get_result(c)
        .optional())?;
        let Some((category_id, locked)) = row else {
            return Err(AppError::NotFound);
        };
        if locked && !staff {
            // Refusing rolls the counters back with the transaction.
            return Err(AppError::forbidden("This topic is locked; only staff can reply."));
        }
        let number: i64 = posts::table
            .filter(posts::topic_id.eq(topic_id))
            .select(diesel::dsl::max(posts::number))
            .first::<Option<i64>>(c)?
            .unwrap_or(0)
            + 1;
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
        crate::search::outbox::record(c, "post", id)?;
        let written = crate::notify::service::Written {
            post_id: id,
            topic_id,
            number,
            author: user_id,
            body: &body,
            mentions: &rendered.mentions,
        };
        crate::notify::service::on_post(c, &mailing, &written)?;
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
