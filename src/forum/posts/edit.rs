//! Editing a post (every edit keeps a revision) and deleting one.

use super::*;

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
        Some(b) => Some(crate::forum::prerender(db, b).await?),
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
                    topics::slug.eq(crate::forum::slugify(title)),
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
