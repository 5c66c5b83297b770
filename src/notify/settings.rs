//! A person's side of notifications: the list (read and unread), marking them read,
//! how they come by mail, and what is watched: topics, categories, products.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{
    categories, category_watches, notifications, product_follows, topic_watches, topics, users,
};
use crate::db::{AnyConnection, Db, now};
use crate::error::AppError;
use crate::forum::require_read;
use crate::web::AuthUser;
use crate::with_backend;

/// Notifications per page of the list.
pub const PER_PAGE: i64 = 30;

/// How notifications come by mail.
pub const EMAIL_CHOICES: [&str; 3] = ["immediate", "digest", "off"];
/// How closely a category is watched.
pub const CATEGORY_LEVELS: [&str; 2] = ["new_topics", "all_posts"];

/// One notification in the list.
#[derive(Debug, Clone, Serialize, Queryable, utoipa::ToSchema)]
pub struct NotificationView {
    pub id: i64,
    /// `reply`, `mention`, `watched_topic`, `watched_category`, `accepted`,
    /// `idea_status` or `release`.
    pub kind: String,
    pub topic_id: i64,
    pub post_id: Option<i64>,
    pub title: String,
    /// An idea's new status.
    pub detail: Option<String>,
    /// Who did it.
    pub actor: Option<String>,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: chrono::NaiveDateTime,
    #[serde(serialize_with = "crate::web::time::utc_opt")]
    pub read_at: Option<chrono::NaiveDateTime>,
}

/// A page of the list, newest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NotificationList {
    pub unread: i64,
    pub notifications: Vec<NotificationView>,
    /// Pass as `before` for the next page.
    pub next_before: Option<i64>,
}

/// Someone's notifications, newest first, before the id `before` if given.
pub async fn list(db: &Db, user: &AuthUser, before: Option<i64>) -> Result<NotificationList, AppError> {
    require_read(user)?;
    let me = user.id;
    db.read(move |c| {
        let mut q = notifications::table
            .left_join(users::table.on(users::id.nullable().eq(notifications::actor_id)))
            .filter(notifications::user_id.eq(me))
            .order(notifications::id.desc())
            .limit(PER_PAGE + 1)
            .select((
                notifications::id,
                notifications::kind,
                notifications::topic_id,
                notifications::post_id,
                notifications::title,
                notifications::detail,
                users::display_name.nullable(),
                notifications::created_at,
                notifications::read_at,
            ))
            .into_boxed();
        if let Some(b) = before {
            q = q.filter(notifications::id.lt(b));
        }
        let mut notifications: Vec<NotificationView> = q.load(c)?;
        let next_before = if notifications.len() as i64 > PER_PAGE {
            notifications.truncate(PER_PAGE as usize);
            notifications.last().map(|n| n.id)
        } else {
            None
        };
        let unread = users::table
            .find(me)
            .select(users::unread_notifications)
            .first(c)?;
        Ok(NotificationList {
            unread,
            notifications,
            next_before,
        })
    })
    .await
}

/// The most notifications marked read by their ids in one call.
pub const MAX_MARKED: usize = 500;

/// Marks notifications read: those of `ids`, or all. Someone else's are not touched.
/// Returns how many stay unread.
pub async fn mark_read(db: &Db, user: &AuthUser, ids: Option<Vec<i64>>) -> Result<i64, AppError> {
    if ids.as_ref().is_some_and(|ids| ids.len() > MAX_MARKED) {
        return Err(AppError::field(
            "ids",
            format!("Mark at most {MAX_MARKED} notifications at a time, or leave out ids to mark all."),
        ));
    }
    let me = user.id;
    db.write(move |c| {
        let mut q = diesel::update(notifications::table)
            .filter(notifications::user_id.eq(me))
            .filter(notifications::read_at.is_null())
            .into_boxed();
        if let Some(ids) = ids {
            q = q.filter(notifications::id.eq_any(ids));
        }
        q.set(notifications::read_at.eq(Some(now()))).execute(c)?;
        recount(c, me)
    })
    .await
}

/// Marks one notification read and says where its post is, for the link in the list
/// and in mail. Someone else's notification is not found.
pub async fn open(db: &Db, user: &AuthUser, id: i64) -> Result<(i64, Option<i64>), AppError> {
    let me = user.id;
    db.write(move |c| {
        let (topic_id, post_id): (i64, Option<i64>) = notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::user_id.eq(me))
            .select((notifications::topic_id, notifications::post_id))
            .first(c)?;
        diesel::update(notifications::table.find(id))
            .filter(notifications::read_at.is_null())
            .set(notifications::read_at.eq(Some(now())))
            .execute(c)?;
        recount(c, me)?;
        Ok((topic_id, post_id))
    })
    .await
}

/// Sets the unread count from the rows, so that it can never drift.
fn recount(c: &mut AnyConnection, user_id: i64) -> Result<i64, AppError> {
    let unread: i64 = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(c)?;
    diesel::update(users::table.find(user_id))
        .set(users::unread_notifications.eq(unread))
        .execute(c)?;
    Ok(unread)
}

/// A watched category.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryWatch {
    pub slug: String,
    pub name: String,
    /// `new_topics` or `all_posts`.
    pub level: String,
}

/// A watched topic.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TopicWatch {
    pub id: i64,
    pub title: String,
}

/// How someone hears of things, and what they watch.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Settings {
    /// `immediate`, `digest` (once a day) or `off`.
    pub email: String,
    pub categories: Vec<CategoryWatch>,
    pub topics: Vec<TopicWatch>,
    /// Products whose releases are followed.
    pub products: Vec<String>,
    /// Products with releases, to choose from.
    pub known_products: Vec<String>,
}

/// Someone's settings.
pub async fn settings(db: &Db, user: &AuthUser) -> Result<Settings, AppError> {
    require_read(user)?;
    let me = user.id;
    db.read(move |c| {
        let email = users::table.find(me).select(users::notify_email).first(c)?;
        let categories = category_watches::table
            .inner_join(categories::table)
            .filter(category_watches::user_id.eq(me))
            .order(categories::position.asc())
            .select((categories::slug, categories::name, category_watches::level))
            .load::<(String, String, String)>(c)?
            .into_iter()
            .map(|(slug, name, level)| CategoryWatch { slug, name, level })
            .collect();
        let topics = topic_watches::table
            .inner_join(topics::table)
            .filter(topic_watches::user_id.eq(me))
            .filter(topics::deleted_at.is_null())
            .order(topic_watches::created_at.desc())
            .limit(200)
            .select((topics::id, topics::title))
            .load::<(i64, String)>(c)?
            .into_iter()
            .map(|(id, title)| TopicWatch { id, title })
            .collect();
        let products = product_follows::table
            .filter(product_follows::user_id.eq(me))
            .order(product_follows::product.asc())
            .select(product_follows::product)
            .load(c)?;
        let mut known_products: Vec<String> = topics::table
            .filter(topics::product.is_not_null())
            .filter(topics::deleted_at.is_null())
            .select(topics::product.assume_not_null())
            .distinct()
            .load::<String>(c)?
            .into_iter()
            .map(|p| p.to_lowercase())
            .collect();
        known_products.sort();
        known_products.dedup();
        Ok(Settings {
            email,
            categories,
            topics,
            products,
            known_products,
        })
    })
    .await
}

/// A change to how notifications come by mail.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct EmailChoice {
    /// `immediate`, `digest` or `off` (in any case).
    #[serde(default)]
    #[schema(
        required = true,
        pattern = "^\\s*([iI][mM][mM][eE][dD][iI][aA][tT][eE]|[dD][iI][gG][eE][sS][tT]|[oO][fF][fF])\\s*$"
    )]
    pub email: String,
}

/// Sets how notifications come by mail. Notifications already waiting for a digest
/// go in the next one, or nowhere when mail is turned off.
pub async fn set_email(db: &Db, user: &AuthUser, choice: &str) -> Result<(), AppError> {
    let choice = choice.trim().to_lowercase();
    if !EMAIL_CHOICES.contains(&choice.as_str()) {
        return Err(AppError::field(
            "email",
            format!("'{choice}' is not a choice; use immediate, digest or off."),
        ));
    }
    let me = user.id;
    db.write(move |c| set_email_in(c, me, &choice)).await
}

/// Sets the mail choice on a connection (also the unsubscribe link).
pub fn set_email_in(c: &mut AnyConnection, user_id: i64, choice: &str) -> Result<(), AppError> {
    diesel::update(users::table.find(user_id))
        .set(users::notify_email.eq(choice))
        .execute(c)?;
    if choice == "off" {
        diesel::update(
            notifications::table
                .filter(notifications::user_id.eq(user_id))
                .filter(notifications::mailed.eq(false)),
        )
        .set(notifications::mailed.eq(true))
        .execute(c)?;
    }
    Ok(())
}

/// Watches a topic (every new post) or stops.
pub async fn watch_topic(db: &Db, user: &AuthUser, topic_id: i64, watching: bool) -> Result<(), AppError> {
    require_read(user)?;
    let me = user.id;
    db.write(move |c| {
        crate::forum::posts::live_topic(c, topic_id)?;
        super::service::watch_topic_in(c, me, topic_id, watching)
    })
    .await
}

/// Whether someone watches a topic.
pub async fn watches_topic(db: &Db, user: &AuthUser, topic_id: i64) -> Result<bool, AppError> {
    let me = user.id;
    db.read(move |c| {
        let n: i64 = topic_watches::table
            .filter(topic_watches::user_id.eq(me))
            .filter(topic_watches::topic_id.eq(topic_id))
            .count()
            .get_result(c)?;
        Ok(n > 0)
    })
    .await
}

/// Watches a category (and its sub-categories) for new topics or every post, or
/// stops (`off`). Returns the category's name and the level now.
pub async fn watch_category(
    db: &Db,
    user: &AuthUser,
    slug: &str,
    level: &str,
) -> Result<(String, String), AppError> {
    require_read(user)?;
    let level = level.trim().to_lowercase();
    if level != "off" && !CATEGORY_LEVELS.contains(&level.as_str()) {
        return Err(AppError::field(
            "level",
            format!("'{level}' is not a level; use new_topics, all_posts or off."),
        ));
    }
    let (me, slug) = (user.id, slug.to_string());
    db.write(move |c| {
        let (id, name): (i64, String) = categories::table
            .filter(categories::slug.eq(&slug))
            .select((categories::id, categories::name))
            .first(c)?;
        diesel::delete(category_watches::table.find((me, id))).execute(c)?;
        if level != "off" {
            with_backend!(c, |c| diesel::insert_into(category_watches::table)
                .values((
                    category_watches::user_id.eq(me),
                    category_watches::category_id.eq(id),
                    category_watches::level.eq(&level),
                    category_watches::created_at.eq(now()),
                ))
                .execute(c))?;
        }
        Ok((name, level))
    })
    .await
}

/// The level at which someone watches a category: `off`, `new_topics` or `all_posts`.
pub async fn category_level(db: &Db, user: &AuthUser, slug: &str) -> Result<(String, String), AppError> {
    let (me, slug) = (user.id, slug.to_string());
    db.read(move |c| {
        let (id, name): (i64, String) = categories::table
            .filter(categories::slug.eq(&slug))
            .select((categories::id, categories::name))
            .first(c)?;
        let level: Option<String> = category_watches::table
            .find((me, id))
            .select(category_watches::level)
            .first(c)
            .optional()?;
        Ok((name, level.unwrap_or_else(|| "off".into())))
    })
    .await
}

/// Follows the releases of a product, or stops.
pub async fn follow_product(
    db: &Db,
    user: &AuthUser,
    product: &str,
    following: bool,
) -> Result<(), AppError> {
    require_read(user)?;
    let product = product.trim().to_lowercase();
    if product.is_empty() || product.chars().count() > 80 {
        return Err(AppError::field(
            "product",
            "Name a product of at most 80 characters.",
        ));
    }
    let me = user.id;
    db.write(move |c| {
        diesel::delete(product_follows::table.find((me, &product))).execute(c)?;
        if following {
            diesel::insert_into(product_follows::table)
                .values((
                    product_follows::user_id.eq(me),
                    product_follows::product.eq(&product),
                    product_follows::created_at.eq(now()),
                ))
                .execute(c)?;
        }
        Ok(())
    })
    .await
}
