//! The community forum: categories, topics and posts, with the workflow of each kind of
//! category (Questions & Answers, Releases, Ideas, Knowledge Share).
//!
//! `categories`, `topics` and `posts` hold the rules (no actix types); `pages` and `api`
//! are the HTTP faces; `views` are what both show.

pub mod api;
pub mod cache;
pub mod categories;
pub mod communities;
pub mod counting;
pub mod demo;
pub mod ideas;
pub mod moderation;
pub mod pages;
pub mod posts;
pub mod profiles;
pub mod reading;
pub mod releases;
pub mod topics;
pub mod uploads;
pub mod views;

use std::collections::HashSet;

use actix_web::web;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{self, users};
use crate::db::{AnyConnection, Db};
use crate::error::AppError;
use crate::markdown::{self, Rendered};
use crate::web::AuthUser;
use crate::web::rate_limit::Limiter;

/// What a root category is for; sub-categories inherit it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Questions,
    Releases,
    Ideas,
    Knowledge,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Questions => "questions",
            Self::Releases => "releases",
            Self::Ideas => "ideas",
            Self::Knowledge => "knowledge",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "questions" => Some(Self::Questions),
            "releases" => Some(Self::Releases),
            "ideas" => Some(Self::Ideas),
            "knowledge" => Some(Self::Knowledge),
            _ => None,
        }
    }
}

/// Longest title, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest post, in bytes of markdown.
pub const MAX_BODY: usize = 64 * 1024;

/// Refuses unless the user may read the community.
pub fn require_read(user: &AuthUser) -> Result<(), AppError> {
    if user.can_read_community() {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "Your organization is waiting for approval; you can read the community once an administrator approves it.",
        ))
    }
}

/// Refuses unless the user may write: a confirmed address, an approved organization.
pub fn require_post(user: &AuthUser) -> Result<(), AppError> {
    require_read(user)?;
    if user.verified {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "Confirm your email address before posting: open the link we mailed you, or ask for a new one on your account page.",
        ))
    }
}

/// Refuses unless the user is staff.
pub fn require_staff(user: &AuthUser, what: &str) -> Result<(), AppError> {
    if user.is_staff() {
        Ok(())
    } else {
        Err(AppError::forbidden(format!("Only staff may {what}.")))
    }
}

/// Whether the user may start a topic in a category of this kind: any member who may
/// post, but releases only staff.
pub fn may_start_topic(user: &AuthUser, kind: Kind) -> bool {
    user.can_post() && (kind != Kind::Releases || user.is_staff())
}

/// The order a category's topic list takes when the reader picks none, where it is not
/// the list's own (latest activity): releases read newest first.
pub fn default_sort(kind: Kind) -> Option<&'static str> {
    (kind == Kind::Releases).then_some("newest")
}

/// The address part of a topic URL: lower-case words joined by dashes.
pub fn slugify(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 80 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-').to_string();
    if slug.is_empty() { "topic".into() } else { slug }
}

/// Checks a title: present, not too long, no control characters.
pub fn check_title(raw: &str) -> Result<String, AppError> {
    let title = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    // Counted as typed too, as the API document states the length.
    if title.chars().count() > MAX_TITLE || raw.chars().count() > MAX_TITLE {
        return Err(AppError::field(
            "title",
            format!("Keep the title under {MAX_TITLE} characters."),
        ));
    }
    if title.chars().count() < 5 {
        return Err(AppError::field(
            "title",
            "Give the topic a title of at least 5 characters.",
        ));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(AppError::field(
            "title",
            format!("Keep the title under {MAX_TITLE} characters."),
        ));
    }
    Ok(title)
}

/// The longest description of a category or a status component, in characters.
pub const MAX_DESCRIPTION: usize = 500;

/// Checks a description of a category or a status component: at most
/// [`MAX_DESCRIPTION`] characters, counted trimmed.
pub fn check_description(text: Option<&str>) -> Result<(), AppError> {
    match text {
        Some(t) if t.trim().chars().count() > MAX_DESCRIPTION => Err(AppError::field(
            "description",
            format!("Keep the description to {MAX_DESCRIPTION} characters."),
        )),
        _ => Ok(()),
    }
}

/// Checks a post body: present and not too long.
pub fn check_body(raw: &str) -> Result<String, AppError> {
    check_text(raw, "post")
}

/// Checks the markdown of a post, note or announcement (`what`): at least 2
/// characters, at most [`MAX_BODY`] bytes.
pub fn check_text(raw: &str, what: &str) -> Result<String, AppError> {
    let body = raw.replace("\r\n", "\n");
    if body.trim().chars().count() < 2 {
        return Err(AppError::field(
            "body",
            format!("Write the {what}: at least 2 characters."),
        ));
    }
    if body.len() > MAX_BODY {
        return Err(AppError::field(
            "body",
            format!("Keep the {what} under {} KiB.", MAX_BODY / 1024),
        ));
    }
    Ok(body)
}

/// Renders markdown before a write and off the HTTP workers: rendering is CPU work
/// (milliseconds for the largest post) that must hold neither the write transaction
/// and the rows it locked, nor a pooled connection. Only the @mention lookup, when
/// the body has any, uses the database.
///
/// Long texts take turns (see [`long_text_turn`]), so that a flood of the largest
/// bodies cannot take every core from short replies and page reads.
pub async fn prerender(db: &Db, body: &str) -> Result<Rendered, AppError> {
    let _turn = long_text_turn(body).await?;
    let body: std::sync::Arc<str> = body.into();
    let text = body.clone();
    let handles = crate::db::run_blocking(move || Ok(markdown::mentions(&text))).await?;
    let known = if handles.is_empty() {
        HashSet::new()
    } else {
        db.read_quick(move |c| known_handles(c, &handles)).await?
    };
    crate::db::run_blocking(move || Ok(markdown::render(&body, &known))).await
}

/// A text longer than this renders in turn with the other long ones.
const LONG_TEXT: usize = 8 * 1024;

/// A turn to render `body`, when it is long: at most one long text per two cores
/// renders at a time, the others wait their turn in order. Short texts (nearly every
/// reply) need none.
pub async fn long_text_turn(body: &str) -> Result<Option<tokio::sync::SemaphorePermit<'static>>, AppError> {
    static TURNS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    if body.len() <= LONG_TEXT {
        return Ok(None);
    }
    let turns = TURNS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        tokio::sync::Semaphore::new((cores / 2).max(1))
    });
    let permit = turns
        .acquire()
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("render turns: {e}")))?;
    Ok(Some(permit))
}

/// Renders markdown, linking the @mentions of users that exist (for work already
/// off the HTTP workers: imports and the demo).
pub fn render_body(c: &mut AnyConnection, body: &str) -> Result<Rendered, AppError> {
    let known = known_handles(c, &markdown::mentions(body))?;
    Ok(markdown::render(body, &known))
}

/// Which of these handles are users.
fn known_handles(c: &mut AnyConnection, handles: &[String]) -> Result<HashSet<String>, AppError> {
    if handles.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(users::table
        .filter(users::username.eq_any(handles))
        .select(users::username.assume_not_null())
        .load::<String>(c)?
        .into_iter()
        .collect())
}

/// A live topic that must be in a category of `kind`; `what` names the feature for the
/// refusal ("Only ideas take votes ...").
pub fn topic_of_kind(
    c: &mut AnyConnection,
    topic_id: i64,
    kind: Kind,
    refusal: &str,
) -> Result<crate::db::models::Topic, AppError> {
    use crate::db::schema::{categories, topics};
    let (topic, found): (crate::db::models::Topic, String) = topics::table
        .inner_join(categories::table)
        .filter(topics::id.eq(topic_id))
        .select((crate::db::models::Topic::as_select(), categories::kind))
        .first(c)?;
    if topic.deleted_at.is_some() {
        return Err(AppError::NotFound);
    }
    if Kind::parse(&found) != Some(kind) {
        return Err(AppError::Conflict(refusal.to_string()));
    }
    Ok(topic)
}

/// Counts a new post against the member's posting limit (staff are not limited).
pub async fn check_post_rate(limiter: &Limiter, user: &AuthUser) -> Result<(), AppError> {
    if user.is_staff() {
        return Ok(());
    }
    limiter
        .check(
            crate::web::rate_limit::Action::Post,
            &[&format!("user:{}", user.id)],
        )
        .await
}

/// Records a change for the search indexer (see `search::outbox`), in the caller's
/// transaction, and marks the topic it touches as changed (see [`touch`]).
pub fn outbox(c: &mut AnyConnection, entity: &str, entity_id: i64) -> Result<(), AppError> {
    match entity {
        "topic" => touch(c, entity_id)?,
        "post" => {
            diesel::update(
                schema::topics::table.filter(
                    schema::topics::id.eq_any(
                        schema::posts::table
                            .filter(schema::posts::id.eq(entity_id))
                            .select(schema::posts::topic_id),
                    ),
                ),
            )
            .set(schema::topics::revision.eq(schema::topics::revision + 1))
            .execute(c)?;
        }
        _ => {}
    }
    crate::search::outbox::record(c, entity, entity_id)
}

/// Counts a change to a topic or anything on its page, in the caller's transaction:
/// cached pages of the topic are rebuilt on their next read, on every node.
pub fn touch(c: &mut AnyConnection, topic_id: i64) -> Result<(), AppError> {
    diesel::update(schema::topics::table.find(topic_id))
        .set(schema::topics::revision.eq(schema::topics::revision + 1))
        .execute(c)?;
    Ok(())
}

/// Mounts the forum pages and API.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // Pages first, see `server::routes`.
    pages::configure(cfg);
    api::configure(cfg);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            slugify("How do I reset ERR-1042 on 4.2.1?"),
            "how-do-i-reset-err-1042-on-4-2-1"
        );
        assert_eq!(slugify("  ¿Qué pasa?  "), "qué-pasa");
        assert_eq!(slugify("!!!"), "topic");
    }

    #[test]
    fn titles_and_bodies() {
        assert_eq!(
            check_title("  Hello   world  ").ok().as_deref(),
            Some("Hello world")
        );
        assert!(check_title("Hi").is_err());
        assert!(check_title(&"x".repeat(201)).is_err());
        assert!(check_body(" ").is_err());
        assert!(check_body(&"x".repeat(MAX_BODY + 1)).is_err());
        assert_eq!(check_body("a\r\nb").ok().as_deref(), Some("a\nb"));
    }
}
