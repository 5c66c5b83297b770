//! `parley import`: brings an existing forum in from JSON lines, one record a line, in
//! this order: users, then topics, then their posts.
//!
//! ```json
//! {"type":"user","email":"ann@acme.com","name":"Ann","organization":"Acme"}
//! {"type":"topic","id":"q1","category":"questions","title":"...","body":"...","author":"ann@acme.com","tags":["api"],"created_at":"2024-05-01T10:00:00Z"}
//! {"type":"post","topic":"q1","author":"bo@acme.com","body":"...","created_at":"2024-05-01T11:00:00Z"}
//! ```
//!
//! Imported accounts are verified and have no password: they sign in after a password
//! reset. Bodies are rendered and sanitized like any post. Rows go in batches inside
//! transactions; the counters of topics and categories are recomputed at the end.

use std::collections::HashMap;
use std::io::BufRead;

use anyhow::Context;
use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;
use serde::Deserialize;

use crate::db::schema::{categories, organizations, posts, topics, users};
use crate::db::{AnyConnection, Db, now, write_transaction};
use crate::error::AppError;
use crate::forum::{check_body, check_title, render_body, slugify};
use crate::with_backend;

/// Rows written per transaction.
const BATCH: usize = 500;

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Record {
    User {
        email: String,
        name: String,
        #[serde(default)]
        role: Option<String>,
        #[serde(default)]
        organization: Option<String>,
    },
    Topic {
        id: String,
        category: String,
        title: String,
        body: String,
        author: String,
        #[serde(default)]
        tags: Vec<String>,
        #[serde(default)]
        created_at: Option<String>,
    },
    Post {
        topic: String,
        author: String,
        body: String,
        #[serde(default)]
        created_at: Option<String>,
        /// The accepted answer of its question.
        #[serde(default)]
        accepted: bool,
    },
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub users: u64,
    pub topics: u64,
    pub posts: u64,
    /// Lines refused, with the reason (the first 20 are kept).
    pub skipped: u64,
    pub problems: Vec<String>,
}

fn parse_time(raw: Option<&str>) -> Option<NaiveDateTime> {
    raw.and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.naive_utc())
}

struct PendingPost {
    topic_id: i64,
    user_id: i64,
    body: String,
    created_at: NaiveDateTime,
    accepted: bool,
}

/// Imports records from `input`, reporting progress through `progress(lines_done)`.
pub fn run(db: &Db, input: impl BufRead, mut progress: impl FnMut(u64)) -> anyhow::Result<Summary> {
    let mut conn = db.get_write()?;
    let c = &mut *conn;
    let mut summary = Summary::default();
    let mut user_ids: HashMap<String, i64> = users::table
        .select((users::email, users::id))
        .load::<(String, i64)>(c)?
        .into_iter()
        .collect();
    let category_ids: HashMap<String, i64> = categories::table
        .select((categories::slug, categories::id))
        .load::<(String, i64)>(c)?
        .into_iter()
        .collect();
    let mut topic_ids: HashMap<String, (i64, i64)> = HashMap::new();
    let mut next_number: HashMap<i64, i64> = HashMap::new();
    let mut pending: Vec<PendingPost> = Vec::with_capacity(BATCH);
    let skip = |summary: &mut Summary, line: u64, why: String| {
        summary.skipped += 1;
        if summary.problems.len() < 20 {
            summary.problems.push(format!("line {line}: {why}"));
        }
    };
    for (index, line) in input.lines().enumerate() {
        let number = index as u64 + 1;
        let line = line.with_context(|| format!("reading line {number}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let record: Record = match serde_json::from_str(&line) {
            Ok(r) => r,
            Err(e) => {
                skip(&mut summary, number, format!("not a record: {e}"));
                continue;
            }
        };
        match record {
            Record::User {
                email,
                name,
                role,
                organization,
            } => {
                flush(c, &mut pending, &mut summary)?;
                match import_user(c, &email, &name, role.as_deref(), organization.as_deref()) {
                    Ok(id) => {
                        user_ids.insert(email.trim().to_lowercase(), id);
                        summary.users += 1;
                    }
                    Err(e) => skip(&mut summary, number, error_text(&e)),
                }
            }
            Record::Topic {
                id,
                category,
                title,
                body,
                author,
                tags,
                created_at,
            } => {
                flush(c, &mut pending, &mut summary)?;
                let Some(&user_id) = user_ids.get(&author.trim().to_lowercase()) else {
                    skip(&mut summary, number, format!("unknown author {author}"));
                    continue;
                };
                let Some(&category_id) = category_ids.get(&category) else {
                    skip(&mut summary, number, format!("unknown category {category}"));
                    continue;
                };
                let at = parse_time(created_at.as_deref()).unwrap_or_else(now);
                match import_topic(c, category_id, user_id, &title, &body, &tags, at) {
                    Ok(topic_id) => {
                        topic_ids.insert(id, (topic_id, category_id));
                        next_number.insert(topic_id, 2);
                        summary.topics += 1;
                    }
                    Err(e) => skip(&mut summary, number, error_text(&e)),
                }
            }
            Record::Post {
                topic,
                author,
                body,
                created_at,
                accepted,
            } => {
                let Some(&(topic_id, _)) = topic_ids.get(&topic) else {
                    skip(&mut summary, number, format!("unknown topic {topic}"));
                    continue;
                };
                let Some(&user_id) = user_ids.get(&author.trim().to_lowercase()) else {
                    skip(&mut summary, number, format!("unknown author {author}"));
                    continue;
                };
                let body = match check_body(&body) {
                    Ok(b) => b,
                    Err(e) => {
                        skip(&mut summary, number, error_text(&e));
                        continue;
                    }
                };
                pending.push(PendingPost {
                    topic_id,
                    user_id,
                    body,
                    created_at: parse_time(created_at.as_deref()).unwrap_or_else(now),
                    accepted,
                });
                if pending.len() >= BATCH {
                    flush_numbered(c, &mut pending, &mut next_number, &mut summary)?;
                }
            }
        }
        progress(number);
    }
    flush_numbered(c, &mut pending, &mut next_number, &mut summary)?;
    recount(c)?;
    // The search index (and the threads' meaning) follow the outbox: a server whose
    // index already exists picks the imported threads up as it does any change.
    let imported: Vec<i64> = topic_ids.values().map(|(id, _)| *id).collect();
    for chunk in imported.chunks(1000) {
        crate::db::write_transaction(c, |c| {
            for &id in chunk {
                crate::forum::outbox(c, "topic", id)?;
            }
            Ok(())
        })
        .map_err(|e| anyhow::anyhow!("recording the imported threads for search: {e:?}"))?;
    }
    Ok(summary)
}

fn error_text(e: &AppError) -> String {
    match e {
        AppError::Invalid { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

fn import_user(
    c: &mut AnyConnection,
    email: &str,
    name: &str,
    role: Option<&str>,
    organization: Option<&str>,
) -> Result<i64, AppError> {
    let address = crate::accounts::domains::parse_email(email).map_err(|m| AppError::field("email", m))?;
    let role = role.unwrap_or("member");
    if crate::accounts::Role::parse(role).is_none() {
        return Err(AppError::field("role", format!("'{role}' is not a role")));
    }
    write_transaction(c, |c| {
        let org_id = match organization {
            None => None,
            Some(org) => {
                let found: Option<i64> = organizations::table
                    .filter(organizations::name.eq(org))
                    .select(organizations::id)
                    .first(c)
                    .optional()?;
                match found {
                    Some(id) => Some(id),
                    None => Some(crate::accounts::service::create_organization(c, org, "approved", &[])?.id),
                }
            }
        };
        let t = now();
        let user = crate::accounts::service::insert_user(
            c,
            &crate::db::models::NewUser {
                email: &address.address,
                display_name: name.trim(),
                // Not a hash: no password matches until the person resets it.
                password_hash: "!imported",
                role,
                organization_id: org_id,
                authorized_contact: false,
                email_verified_at: Some(t),
                created_at: t,
                updated_at: t,
                username: None,
            },
        )?;
        Ok(user.id)
    })
}

fn import_topic(
    c: &mut AnyConnection,
    category_id: i64,
    user_id: i64,
    title: &str,
    body: &str,
    tags: &[String],
    at: NaiveDateTime,
) -> Result<i64, AppError> {
    let title = check_title(title)?;
    let body = check_body(body)?;
    let tags = crate::forum::topics::check_tags(tags)?;
    write_transaction(c, |c| {
        let html = render_body(c, &body)?.html.into_string();
        let values = (
            topics::category_id.eq(category_id),
            topics::user_id.eq(user_id),
            topics::title.eq(&title),
            topics::slug.eq(slugify(&title)),
            topics::last_posted_at.eq(at),
            topics::last_post_user_id.eq(user_id),
            topics::created_at.eq(at),
            topics::updated_at.eq(at),
        );
        let topic_id: i64 = with_backend!(c, |c| diesel::insert_into(topics::table)
            .values(values)
            .returning(topics::id)
            .get_result(c))?;
        diesel::insert_into(posts::table)
            .values((
                posts::topic_id.eq(topic_id),
                posts::user_id.eq(user_id),
                posts::number.eq(1),
                posts::body_markdown.eq(&body),
                posts::body_html.eq(&html),
                posts::created_at.eq(at),
                posts::updated_at.eq(at),
            ))
            .execute(c)?;
        crate::forum::topics::set_tags(c, topic_id, &tags)?;
        Ok(topic_id)
    })
}

fn flush(
    c: &mut AnyConnection,
    pending: &mut Vec<PendingPost>,
    summary: &mut Summary,
) -> Result<(), AppError> {
    let mut numbers = HashMap::new();
    flush_numbered(c, pending, &mut numbers, summary)
}

/// Writes the pending replies in one transaction, numbering them after the posts their
/// topics already have.
fn flush_numbered(
    c: &mut AnyConnection,
    pending: &mut Vec<PendingPost>,
    next_number: &mut HashMap<i64, i64>,
    summary: &mut Summary,
) -> Result<(), AppError> {
    if pending.is_empty() {
        return Ok(());
    }
    let batch = std::mem::take(pending);
    write_transaction(c, |c| {
        let mut rows = Vec::with_capacity(batch.len());
        let mut accepted = Vec::new();
        for p in &batch {
            let number = match next_number.get(&p.topic_id) {
                Some(n) => *n,
                None => {
                    posts::table
                        .filter(posts::topic_id.eq(p.topic_id))
                        .select(diesel::dsl::max(posts::number))
                        .first::<Option<i64>>(c)?
                        .unwrap_or(0)
                        + 1
                }
            };
            next_number.insert(p.topic_id, number + 1);
            if p.accepted {
                accepted.push((p.topic_id, number));
            }
            let html = render_body(c, &p.body)?.html.into_string();
            rows.push((
                posts::topic_id.eq(p.topic_id),
                posts::user_id.eq(p.user_id),
                posts::number.eq(number),
                posts::body_markdown.eq(p.body.clone()),
                posts::body_html.eq(html),
                posts::created_at.eq(p.created_at),
                posts::updated_at.eq(p.created_at),
            ));
        }
        for chunk in rows.chunks(100) {
            with_backend!(c, |c| diesel::insert_into(posts::table)
                .values(chunk.to_vec())
                .execute(c))?;
        }
        for (topic_id, number) in accepted {
            let post_id: i64 = posts::table
                .filter(posts::topic_id.eq(topic_id))
                .filter(posts::number.eq(number))
                .select(posts::id)
                .first(c)?;
            diesel::update(topics::table.find(topic_id))
                .set(topics::accepted_post_id.eq(Some(post_id)))
                .execute(c)?;
        }
        Ok(())
    })?;
    summary.posts += batch.len() as u64;
    Ok(())
}

/// Recomputes reply counts, last activity and category counters from the rows, then
/// refreshes the planner's statistics: right after a bulk load PostgreSQL believes the
/// tables are empty and sorts whole categories instead of reading an index in order.
fn recount(c: &mut AnyConnection) -> Result<(), AppError> {
    use diesel::connection::SimpleConnection;
    c.batch_execute(
        "UPDATE topics SET
            reply_count = (SELECT COUNT(*) FROM posts p WHERE p.topic_id = topics.id AND p.number > 1 AND p.deleted_at IS NULL),
            last_posted_at = COALESCE((SELECT MAX(p.created_at) FROM posts p WHERE p.topic_id = topics.id), topics.created_at);
         UPDATE categories SET
            topic_count = (SELECT COUNT(*) FROM topics t WHERE t.category_id = categories.id AND t.deleted_at IS NULL),
            post_count = (SELECT COUNT(*) FROM posts p JOIN topics t ON t.id = p.topic_id
                          WHERE t.category_id = categories.id AND t.deleted_at IS NULL AND p.deleted_at IS NULL),
            last_posted_at = (SELECT MAX(t.last_posted_at) FROM topics t WHERE t.category_id = categories.id AND t.deleted_at IS NULL),
            last_topic_id = (SELECT t.id FROM topics t WHERE t.category_id = categories.id AND t.deleted_at IS NULL
                             ORDER BY t.last_posted_at DESC, t.id DESC LIMIT 1);",
    )
    .map_err(|e| AppError::Internal(e.into()))?;
    crate::db::analyze(c).map_err(|e| AppError::Internal(e.into()))
}
