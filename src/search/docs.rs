//! What the index holds of the database: public posts as [`PostDoc`]s.
//!
//! A post is public when neither it nor its topic is deleted and staff have not hidden
//! it. Nothing else (tickets, staff notes, hidden or deleted posts) is ever loaded here.

use std::collections::HashMap;

use diesel::prelude::*;
use search_index::PostDoc;

use crate::db::AnyConnection;
use crate::db::schema::{categories, posts, tags, topic_tags, topics, users};
use crate::error::AppError;

/// Which posts to load.
pub enum Which<'a> {
    Posts(&'a [i64]),
    Topics(&'a [i64]),
    /// The next `limit` posts after post id `after`, for a rebuild.
    After {
        after: i64,
        limit: i64,
    },
}

type Row = (
    (i64, i64, i64, String, i64, chrono::NaiveDateTime, bool, bool),
    (
        String,
        String,
        Option<i64>,
        bool,
        Option<String>,
        Option<String>,
        bool,
    ),
    (String, String),
    (Option<String>, String),
);

/// Public posts, with their topic, category, author and tags; beside them the highest
/// post id looked at, public or not (where a rebuild's next batch starts).
pub fn load(c: &mut AnyConnection, which: Which<'_>) -> Result<(Vec<PostDoc>, Option<i64>), AppError> {
    let mut q = posts::table
        .inner_join(topics::table.on(topics::id.eq(posts::topic_id)))
        .inner_join(categories::table.on(categories::id.eq(topics::category_id)))
        .inner_join(users::table.on(users::id.eq(posts::user_id)))
        .select((
            (
                posts::id,
                posts::topic_id,
                posts::number,
                posts::body_markdown,
                posts::score,
                posts::created_at,
                posts::hidden,
                posts::deleted_at.is_not_null(),
            ),
            (
                topics::title,
                topics::slug,
                topics::accepted_post_id,
                topics::official,
                topics::status,
                topics::product,
                topics::deleted_at.is_not_null(),
            ),
            (categories::slug, categories::kind),
            (users::username, users::display_name),
        ))
        .into_boxed();
    q = match which {
        Which::Posts(ids) => q.filter(posts::id.eq_any(ids.to_vec())),
        Which::Topics(ids) => q.filter(posts::topic_id.eq_any(ids.to_vec())),
        Which::After { after, limit } => q.filter(posts::id.gt(after)).order(posts::id.asc()).limit(limit),
    };
    let rows: Vec<Row> = q.load(c)?;
    let last = rows.iter().map(|r| r.0.0).max();
    let topic_ids: Vec<i64> = rows.iter().map(|r| r.0.1).collect();
    let tags = tags_of(c, &topic_ids)?;
    let docs = rows
        .into_iter()
        .filter(|(p, t, _, _)| !p.6 && !p.7 && !t.6)
        .map(|(p, t, cat, author)| {
            let (id, topic_id, number, markdown, score, created_at, _, _) = p;
            let (title, slug, accepted, official, status, product, _) = t;
            PostDoc {
                post_id: id as u64,
                topic_id: topic_id as u64,
                number: number as u64,
                kind: cat.1,
                category: cat.0,
                product,
                tags: tags.get(&topic_id).cloned().unwrap_or_default(),
                title,
                slug,
                body: crate::markdown::to_plain_text(&markdown),
                author: author.0.unwrap_or_default(),
                author_name: author.1,
                created_at: created_at.and_utc().timestamp(),
                votes: score,
                solved: accepted.is_some(),
                accepted: accepted == Some(id),
                official: official && number == 1,
                status,
            }
        })
        .collect();
    Ok((docs, last))
}

fn tags_of(c: &mut AnyConnection, topic_ids: &[i64]) -> Result<HashMap<i64, Vec<String>>, AppError> {
    let mut ids = topic_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(i64, String)> = topic_tags::table
        .inner_join(tags::table)
        .filter(topic_tags::topic_id.eq_any(ids))
        .select((topic_tags::topic_id, tags::name))
        .load(c)?;
    for (topic, name) in rows {
        out.entry(topic).or_default().push(name);
    }
    Ok(out)
}
