//! Starting a topic: its opening post, tags, release fields and outbox rows in one
//! transaction.

use super::*;
use crate::db::Db;
use crate::mail::MailContext;
use crate::web::rate_limit::Limiter;

/// Where a new topic went.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: i64,
    pub slug: String,
    pub post_id: i64,
}

/// Starts a topic with its opening post.
pub async fn create(
    db: &Db,
    mailing: &MailContext,
    limiter: &Limiter,
    user: &AuthUser,
    input: TopicInput,
) -> Result<Created, AppError> {
    require_post(user)?;
    let title = check_title(&input.title);
    let body = check_body(&input.body);
    let tags = check_tags(&input.tags);
    let mut fields = crate::error::FieldErrors::new();
    for e in [title.as_ref().err(), body.as_ref().err(), tags.as_ref().err()]
        .into_iter()
        .flatten()
    {
        if let Some(f) = e.field_errors() {
            fields.extend(f.clone());
        }
    }
    if !fields.is_empty() {
        return Err(AppError::fields(fields));
    }
    let (title, body, tags) = (title?, body?, tags?);
    crate::forum::check_post_rate(limiter, user).await?;
    let rendered = crate::forum::prerender(db, &body).await?;
    let (user_id, staff) = (user.id, user.is_staff());
    let mailing = mailing.clone();
    db.write(move |c| {
        let category = by_slug(c, input.category.trim())
            .map_err(|_| AppError::field("category", "Choose a category for the topic."))?;
        let kind = kind_of(&category);
        let release = if kind == Kind::Releases {
            if !staff {
                return Err(AppError::forbidden("Only staff may post releases."));
            }
            Some(check_release(&input)?)
        } else {
            None
        };
        let t = now();
        let slug = slugify(&title);
        let new = NewTopic {
            category_id: category.id,
            user_id,
            title: &title,
            slug: &slug,
            status: (kind == Kind::Ideas).then_some("new"),
            product: release.as_ref().map(|r| r.product.as_str()),
            version: release.as_ref().map(|r| r.version.as_str()),
            released_on: release.as_ref().map(|r| r.released_on),
            last_posted_at: t,
            last_post_user_id: Some(user_id),
            created_at: t,
            updated_at: t,
        };
        let topic: Topic = with_backend!(c, |c| diesel::insert_into(topics::table)
            .values(&new)
            .returning(Topic::as_returning())
            .get_result(c))?;
        if kind != Kind::Releases {
            // A question (or idea, or article) that may follow a search on the forms.
            crate::portal::deflection::filed(c, user_id, "question", topic.id, None, None)?;
        }
        let post = NewPost {
            topic_id: topic.id,
            user_id,
            number: 1,
            body_markdown: &body,
            body_html: rendered.html.as_str(),
            created_at: t,
            updated_at: t,
        };
        let post_id: i64 = with_backend!(c, |c| diesel::insert_into(posts::table)
            .values(&post)
            .returning(posts::id)
            .get_result(c))?;
        set_tags(c, topic.id, &tags)?;
        outbox(c, "topic", topic.id)?;
        let written = crate::notify::service::Written {
            post_id,
            topic_id: topic.id,
            author: user_id,
            body: &body,
            mentions: &rendered.mentions,
        };
        crate::notify::service::on_topic(c, &mailing, &written)?;
        // Last, as in a reply: the category's row is held only until the commit.
        diesel::update(categories::table.find(category.id))
            .set((
                categories::topic_count.eq(categories::topic_count + 1),
                categories::post_count.eq(categories::post_count + 1),
                categories::last_topic_id.eq(topic.id),
                categories::last_posted_at.eq(t),
            ))
            .execute(c)?;
        Ok(Created {
            id: topic.id,
            slug,
            post_id,
        })
    })
    .await
}

/// Replaces a topic's tags, keeping each tag's topic count.
pub fn set_tags(c: &mut AnyConnection, topic_id: i64, names: &[String]) -> Result<(), AppError> {
    let old: Vec<i64> = topic_tags::table
        .filter(topic_tags::topic_id.eq(topic_id))
        .select(topic_tags::tag_id)
        .load(c)?;
    diesel::delete(topic_tags::table.filter(topic_tags::topic_id.eq(topic_id))).execute(c)?;
    diesel::update(tags::table.filter(tags::id.eq_any(&old)))
        .set(tags::topic_count.eq(tags::topic_count - 1))
        .execute(c)?;
    for name in names {
        let values = (tags::name.eq(name), tags::created_at.eq(now()));
        with_backend!(c, |c| diesel::insert_into(tags::table)
            .values(values)
            .on_conflict(tags::name)
            .do_nothing()
            .execute(c))?;
        let tag_id: i64 = tags::table
            .filter(tags::name.eq(name))
            .select(tags::id)
            .first(c)?;
        diesel::insert_into(topic_tags::table)
            .values((topic_tags::topic_id.eq(topic_id), topic_tags::tag_id.eq(tag_id)))
            .execute(c)?;
        diesel::update(tags::table.find(tag_id))
            .set(tags::topic_count.eq(tags::topic_count + 1))
            .execute(c)?;
    }
    Ok(())
}
