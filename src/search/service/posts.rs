//! Searching posts: the filters a reader sets, the query on a blocking thread, and
//! hits as views with addresses and category names.

use super::*;
use crate::db::Db;
use crate::search::Search;
use crate::search::costs::Part;
use std::sync::Arc;

pub(super) fn day(field: &str, raw: &Option<String>, end: bool, errors: &mut FieldErrors) -> Option<i64> {
    let raw = raw.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) => {
            let t = if end {
                d.and_hms_opt(23, 59, 59)
            } else {
                d.and_hms_opt(0, 0, 0)
            };
            t.map(|t| t.and_utc().timestamp())
        }
        Err(_) => {
            errors.insert(
                field.into(),
                vec![format!("'{raw}' is not a date like 2026-11-23.")],
            );
            None
        }
    }
}

pub(super) fn some(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Runs a search for a reader.
pub async fn search(state: &AppState, user: &AuthUser, p: SearchParams) -> Result<SearchResults, AppError> {
    require_read(user)?;
    let mut errors = FieldErrors::new();
    let q = p.q.trim().to_string();
    if q.chars().count() > MAX_QUERY {
        errors.insert(
            "q".into(),
            vec![format!("Search for at most {MAX_QUERY} characters.")],
        );
    }
    let since = day("since", &p.since, false, &mut errors);
    let until = day("until", &p.until, true, &mut errors);
    let solved = match p.solved.as_deref().map(str::trim) {
        None | Some("") | Some("any") => None,
        Some("yes") | Some("true") => Some(true),
        Some("no") | Some("false") => Some(false),
        Some(other) => {
            errors.insert(
                "solved".into(),
                vec![format!("'{other}' should be yes, no or any.")],
            );
            None
        }
    };
    // The last page that can be asked; a larger number is refused before any
    // arithmetic on it.
    let last = search_index::query::MAX_OFFSET / PER_PAGE + 1;
    let page = p.page.unwrap_or(1).clamp(1, last + 1);
    if page > last {
        errors.insert(
            "page".into(),
            vec!["That page is too far: narrow the search instead.".into()],
        );
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid {
            message: "The search has a field to fix.".into(),
            fields: errors,
        });
    }
    let all = category_list(&state.db, &state.search).await?;
    let in_category = match some(&p.category) {
        None => Vec::new(),
        Some(slug) => {
            let root = all
                .iter()
                .find(|(_, _, s, _)| *s == slug)
                .ok_or_else(|| AppError::field("category", format!("There is no category '{slug}'.")))?;
            all.iter()
                .filter(|(id, parent, _, _)| *id == root.0 || *parent == Some(root.0))
                .map(|(_, _, s, _)| s.clone())
                .collect()
        }
    };
    let names: HashMap<&str, &str> = all.iter().map(|(_, _, s, n)| (s.as_str(), n.as_str())).collect();
    let query = search_index::SearchQuery {
        text: q.clone(),
        categories: in_category,
        product: some(&p.product),
        tag: some(&p.tag),
        solved,
        author: some(&p.author),
        since,
        until,
        offset: (page - 1) * PER_PAGE,
        limit: PER_PAGE,
    };
    let index = index(&state.search)?;
    // The threads that answer a question are looked for beside the posts when they can
    // be filtered as the posts are: by category and solved state.
    let answering = page == 1
        && !q.is_empty()
        && [&p.tag, &p.product, &p.author, &p.since, &p.until]
            .iter()
            .all(|f| some(f).is_none());
    // The posts and the threads that answer are looked for side by side: on an idle
    // server a search costs the slower of the two.
    let answers = async {
        if !answering {
            return Ok(Vec::new());
        }
        let related = related_to(&state.search, index.clone(), query.text.clone(), ANSWERS * 2).await?;
        Ok(search_index::shown(related)
            .into_iter()
            .filter(|r| query.categories.is_empty() || query.categories.contains(&r.thread.category))
            .filter(|r| query.solved.is_none_or(|s| s == r.thread.solved))
            .take(ANSWERS)
            .collect::<Vec<_>>())
    };
    let asked = query.clone();
    let posts_index = index.clone();
    let found = off_thread(&state.search, Some(Part::Posts), move || {
        posts_index.search(&asked)
    });
    let (found, answers) = futures_util::future::try_join(found, answers).await?;
    let name_of = |slug: &str| {
        names
            .get(slug)
            .map_or_else(|| slug.to_string(), |n| n.to_string())
    };
    let hits = found
        .hits
        .into_iter()
        .map(|h| HitView {
            url: post_url(h.topic_id, &h.slug, h.post_id, h.number),
            category_name: name_of(&h.category),
            created_at: chrono::DateTime::from_timestamp(h.created_at, 0)
                .unwrap_or_default()
                .naive_utc(),
            snippet_html: SafeHtml::from_stored(h.snippet_html),
            post_id: h.post_id,
            topic_id: h.topic_id,
            number: h.number,
            title: h.title,
            category: h.category,
            kind: h.kind,
            author: h.author,
            author_name: h.author_name,
            votes: h.votes,
            solved: h.solved,
            accepted: h.accepted,
            official: h.official,
            status: h.status,
            tags: h.tags,
            score: h.score,
        })
        .collect();
    let categories = found
        .categories
        .into_iter()
        .map(|(slug, count)| CategoryCount {
            name: name_of(&slug),
            slug,
            count,
        })
        .collect();
    Ok(SearchResults {
        q,
        total: found.total,
        approximate: found.approximate,
        page,
        pages: found.total.div_ceil(PER_PAGE).max(1),
        matched: match found.matched {
            search_index::Match::AllWords => "all_words",
            search_index::Match::Typos => "typos",
            search_index::Match::AnyWord => "any_word",
        },
        hits,
        answers: answers.into_iter().map(suggestion_view).collect(),
        categories,
    })
}

/// Categories as (id, parent, slug, name): every search needs them, and they change
/// only when an admin edits them.
pub(super) async fn category_list(
    db: &Db,
    search: &Arc<Search>,
) -> Result<std::sync::Arc<Vec<CategoryRow>>, AppError> {
    search
        .categories
        .get(db, |c| {
            Ok(categories::table
                .select((
                    categories::id,
                    categories::parent_id,
                    categories::slug,
                    categories::name,
                ))
                .load(c)?)
        })
        .await
}

/// A category as (id, parent, slug, name).
pub type CategoryRow = (i64, Option<i64>, String, String);

/// Where post `post_id` (number `number` of its topic) is read.
pub(super) fn post_url(topic_id: u64, slug: &str, post_id: u64, number: u64) -> String {
    let per_page = POSTS_PER_PAGE as u64;
    let page = if number <= 1 {
        1
    } else {
        (number - 2) / per_page + 1
    };
    if page == 1 {
        format!("/t/{topic_id}/{slug}#post-{post_id}")
    } else {
        format!("/t/{topic_id}/{slug}?page={page}#post-{post_id}")
    }
}
