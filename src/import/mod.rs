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

use crate::db::schema::{categories, organizations, posts, topics, users};
use crate::db::{AnyConnection, Db, now, write_transaction};
use crate::error::AppError;
use crate::forum::{check_body, check_title, render_body, slugify};
use crate::with_backend;
use anyhow::Context;
use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;
use serde::Deserialize;
use std::collections::HashMap;
use std::io::BufRead;

mod records;

use records::*;

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
