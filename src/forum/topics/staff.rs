//! The staff actions on a topic: lock, pin, move, delete.

use super::*;

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
pub(super) fn move_counts(c: &mut AnyConnection, topic: &Topic, to: i64) -> Result<(), AppError> {
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
