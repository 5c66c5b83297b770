//! Search for readers: checks who may search and what they asked, runs the query on
//! a blocking thread, and turns hits into views with addresses and category names.

use crate::search::Search;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::db::schema::categories;
use crate::error::{AppError, FieldErrors};
use crate::forum::require_read;
use crate::forum::topics::POSTS_PER_PAGE;
use crate::markdown::SafeHtml;
use crate::web::AuthUser;

/// Results per page.
pub const PER_PAGE: usize = 20;
/// Most threads shown above the posts as answering a search.
const ANSWERS: usize = 5;
/// Longest query accepted.
const MAX_QUERY: usize = 200;

/// What a search asks, from the page's query string or the API's.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words, "quoted phrases", error codes and versions: at most 200 characters.
    #[serde(default)]
    #[param(max_length = 200)]
    pub q: String,
    /// A category slug; its sub-categories are included.
    pub category: Option<String>,
    pub tag: Option<String>,
    pub product: Option<String>,
    /// `yes` (or `true`) for solved questions only, `no` (or `false`) for unsolved,
    /// `any` or blank for both.
    #[param(pattern = "^\\s*(yes|no|any|true|false|)\\s*$")]
    pub solved: Option<String>,
    /// A username.
    pub author: Option<String>,
    /// Posts written on or after this day (YYYY-MM-DD).
    #[param(pattern = "^\\s*(\\d{4}-\\d{1,2}-\\d{1,2})?\\s*$")]
    pub since: Option<String>,
    /// Posts written on or before this day (YYYY-MM-DD).
    #[param(pattern = "^\\s*(\\d{4}-\\d{1,2}-\\d{1,2})?\\s*$")]
    pub until: Option<String>,
    /// From 1 to 51 (the first thousand posts found); 0 is taken as 1.
    #[param(maximum = 51)]
    pub page: Option<usize>,
}

/// One post found.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HitView {
    pub post_id: u64,
    pub topic_id: u64,
    /// 1 for a topic's opening post.
    pub number: u64,
    pub title: String,
    /// Where the post is: its topic's page, at the post.
    pub url: String,
    pub category: String,
    pub category_name: String,
    pub kind: String,
    pub author: String,
    pub author_name: String,
    #[serde(serialize_with = "crate::web::time::utc")]
    pub created_at: chrono::NaiveDateTime,
    pub votes: i64,
    pub solved: bool,
    /// This post is the accepted answer.
    pub accepted: bool,
    pub official: bool,
    pub status: Option<String>,
    pub tags: Vec<String>,
    /// Escaped text with the matched words in `<mark>`.
    #[schema(value_type = String)]
    pub snippet_html: SafeHtml,
    /// How well the post matches: BM25 over its title and body, times its boosts
    /// (accepted answer, official article, votes); results come best first.
    pub score: f32,
}

/// Matches in one category.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryCount {
    pub slug: String,
    pub name: String,
    pub count: u64,
}

/// A page of results.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub q: String,
    pub total: usize,
    /// The total and the counts per category are estimates (a very broad query).
    pub approximate: bool,
    pub page: usize,
    pub pages: usize,
    /// `all_words`, `typos` (a misspelled word was matched loosely) or `any_word`.
    pub matched: &'static str,
    pub hits: Vec<HitView>,
    /// Threads that may answer the words as a question, shown above the posts: on the
    /// first page of a search with words and no filter beyond category and solved state,
    /// up to 5 threads by the ask form's ranking (meaning and words) that clear its cut;
    /// otherwise empty.
    pub answers: Vec<SuggestionView>,
    /// Matches per category, whatever category was chosen.
    pub categories: Vec<CategoryCount>,
}

/// A topic offered while a title is typed, or as similar to another.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SuggestionView {
    pub topic_id: u64,
    pub title: String,
    pub url: String,
    pub category: String,
    pub kind: String,
    pub solved: bool,
    pub official: bool,
    pub votes: i64,
    /// How well the thread matches: BM25 over its title, question and accepted answer.
    pub score: f32,
    /// The part of the question's weight the thread holds, 0 to 1 (see
    /// `search_index::shown` for what the forms show).
    pub share: f32,
    /// The cosine of the question's meaning with the thread's, when meaning is compared
    /// (a model is set and every thread has been embedded).
    pub cosine: Option<f32>,
    /// What the order follows: with meaning, the cosine plus 0.4 times the share; by
    /// words alone, the score weighed by the share.
    pub fit: f32,
}

fn index(search: &Arc<Search>) -> Result<search_index::SearchIndex, AppError> {
    search.index().ok_or_else(|| {
        AppError::Unavailable(anyhow::anyhow!(
            "The search index is being built; try again in a minute."
        ))
    })
}

fn day(field: &str, raw: &Option<String>, end: bool, errors: &mut FieldErrors) -> Option<i64> {
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

fn some(v: &Option<String>) -> Option<String> {
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
    let all = category_list(state).await?;
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
    let found = off_thread(&state.search, move || posts_index.search(&asked));
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
async fn category_list(state: &AppState) -> Result<std::sync::Arc<Vec<CategoryRow>>, AppError> {
    state
        .search
        .categories
        .get(&state.db, |c| {
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
fn post_url(topic_id: u64, slug: &str, post_id: u64, number: u64) -> String {
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

fn suggestion_view(r: search_index::Related) -> SuggestionView {
    let s = r.thread;
    SuggestionView {
        url: format!("/t/{}/{}", s.topic_id, s.slug),
        topic_id: s.topic_id,
        title: s.title,
        category: s.category,
        kind: s.kind,
        solved: s.solved,
        official: s.official,
        votes: s.votes,
        score: r.score,
        share: r.share,
        cosine: r.cosine,
        fit: r.fit,
    }
}

/// The most text of a question or ticket that suggestions read.
const MAX_SUGGEST_TEXT: usize = 2000;

/// Up to 8 threads and articles that may answer what is being typed (a title, or a
/// title and description), those that clear the calibrated cut unless `all`.
pub async fn suggest(
    state: &AppState,
    user: &AuthUser,
    q: &str,
    all: bool,
) -> Result<Vec<SuggestionView>, AppError> {
    require_read(user)?;
    let q: String = q.chars().take(MAX_SUGGEST_TEXT).collect();
    if q.trim().chars().count() < 2 {
        return Ok(Vec::new());
    }
    let found = related_to(&state.search, index(&state.search)?, q, 8).await?;
    Ok(shown(found, all))
}

/// The threads related to `text`, by meaning too when a model is set: its words are
/// looked up while it is encoded, each on a thread of its own, and the two then ranked
/// together.
async fn related_to(
    search: &Arc<Search>,
    index: search_index::SearchIndex,
    text: String,
    limit: usize,
) -> Result<Vec<search_index::Related>, AppError> {
    let by_words = {
        let (index, text) = (index.clone(), text.clone());
        off_thread(search, move || index.related_by_words(&text, None, limit))
    };
    let encoded = {
        let shared = search.clone();
        off_thread(search, move || Ok(shared.meaning.query(&text).map(|(v, _)| v)))
    };
    let (found, vector) = futures_util::future::try_join(by_words, encoded).await?;
    let shared = search.clone();
    off_thread(search, move || {
        let threads = shared.meaning.threads();
        let m = vector.as_deref().zip(threads).map(|(v, t)| meaning(v, t));
        found.rank(&index, m)
    })
    .await
}

/// A question's vector and the threads' vectors, as the index compares them.
fn meaning<'a>(vector: &'a [f32], threads: &'a search_index::Vectors) -> search_index::Meaning<'a> {
    search_index::Meaning {
        query: vector,
        threads,
    }
}

/// The threads that clear the cut (all of them when asked), as views.
fn shown(found: Vec<search_index::Related>, all: bool) -> Vec<SuggestionView> {
    let found = if all { found } else { search_index::shown(found) };
    found.into_iter().map(suggestion_view).collect()
}

/// How long a topic's similar topics are kept before they are looked up again.
const SIMILAR_AGE: std::time::Duration = std::time::Duration::from_secs(300);

/// Runs a query on the blocking pool: a broad one takes milliseconds of CPU, which
/// must not hold an HTTP worker. An index that fails to answer is a 503, and is told
/// to the indexer, which rebuilds an index that keeps failing.
async fn off_thread<T: Send + 'static>(
    search: &super::Search,
    f: impl FnOnce() -> Result<T, search_index::SearchError> + Send + 'static,
) -> Result<T, AppError> {
    let answer = tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("search thread: {e}")))?;
    match answer {
        Ok(found) => {
            search.answered();
            Ok(found)
        }
        Err(e) => {
            search.failed();
            Err(AppError::Unavailable(
                anyhow::Error::new(e).context("the search index failed to answer"),
            ))
        }
    }
}

/// Up to 5 topics like this one, kept for a few minutes; empty while the index is
/// being built.
pub async fn similar(search: &Arc<Search>, topic_id: i64, title: &str) -> super::SimilarTopics {
    let cache = &search.similar;
    if let Some((_, found)) = cache.get(&topic_id).filter(|(at, _)| at.elapsed() < SIMILAR_AGE) {
        return found;
    }
    let Some(index) = search.index() else {
        return Default::default();
    };
    let title = title.to_string();
    let shared = search.clone();
    let found: super::SimilarTopics = match off_thread(search, move || {
        let found = shared.meaning.of_thread(topic_id, &title);
        let m = found.as_ref().map(|(v, t)| meaning(v, t));
        index.related(&title, m, Some(topic_id as u64), 5)
    })
    .await
    {
        Ok(found) => std::sync::Arc::new(shown(found, false)),
        Err(e) => {
            tracing::warn!(error = ?e, "similar topics");
            return Default::default();
        }
    };
    cache.insert(topic_id, (std::time::Instant::now(), found.clone()));
    found
}
