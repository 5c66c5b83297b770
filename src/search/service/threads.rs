//! Threads that may answer a question: suggestions while typing, the answers above
//! search results, and similar topics; words and meaning ranked together.

use super::*;
use crate::search::Search;
use crate::search::costs::Part;
use std::sync::Arc;

pub(super) fn suggestion_view(r: search_index::Related) -> SuggestionView {
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
        title_cosine: r.title_cosine,
        typical: r.typical,
        fit: r.fit,
    }
}

/// The most text of a question or ticket that suggestions read.
pub(super) const MAX_SUGGEST_TEXT: usize = 2000;

/// Up to 8 threads and articles that may answer what is being typed (a title, or a
/// title and description), those that clear the calibrated cut unless `all`.
pub async fn suggest(
    search: &Arc<Search>,
    user: &AuthUser,
    q: &str,
    all: bool,
) -> Result<Vec<SuggestionView>, AppError> {
    require_read(user)?;
    let q: String = q.chars().take(MAX_SUGGEST_TEXT).collect();
    if q.trim().chars().count() < 2 {
        return Ok(Vec::new());
    }
    let found = related_to(search, index(search)?, q, 8).await?;
    Ok(shown(found, all))
}

/// The threads related to `text`, by meaning too when a model is set: its words are
/// looked up while it is encoded, each on a thread of its own, and the two then ranked
/// together.
pub(super) async fn related_to(
    search: &Arc<Search>,
    index: search_index::SearchIndex,
    text: String,
    limit: usize,
) -> Result<Vec<search_index::Related>, AppError> {
    let by_words = {
        let (index, text) = (index.clone(), text.clone());
        off_thread(search, Some(Part::Words), move || {
            index.related_by_words(&text, None, limit)
        })
    };
    let encoded = {
        let shared = search.clone();
        // Counted as `encode` when the question is encoded, not read from memory.
        off_thread(search, None, move || {
            Ok(shared.meaning.query(&text).map(|(v, _)| v))
        })
    };
    let (found, vector) = futures_util::future::try_join(by_words, encoded).await?;
    let shared = search.clone();
    off_thread(search, Some(Part::Meaning), move || {
        let threads = shared.meaning.threads();
        let m = vector.as_deref().zip(threads).map(|(v, t)| meaning(v, t));
        found.rank(&index, m)
    })
    .await
}

/// A question's vector and the threads' vectors, as the index compares them.
pub(super) fn meaning<'a>(
    vector: &'a [f32],
    threads: &'a search_index::Vectors,
) -> search_index::Meaning<'a> {
    search_index::Meaning {
        query: vector,
        threads,
    }
}

/// The threads that clear the cut (all of them when asked), as views.
pub(super) fn shown(found: Vec<search_index::Related>, all: bool) -> Vec<SuggestionView> {
    let found = if all { found } else { search_index::shown(found) };
    found.into_iter().map(suggestion_view).collect()
}

/// How long a topic's similar topics are kept before they are looked up again.
pub(super) const SIMILAR_AGE: std::time::Duration = std::time::Duration::from_secs(300);

/// Runs a query on the blocking pool: a broad one takes milliseconds of CPU, which
/// must not hold an HTTP worker. Its processor time is counted as `part`. An index that
/// fails to answer is a 503, and is told to the indexer, which rebuilds an index that
/// keeps failing.
pub(super) async fn off_thread<T: Send + 'static>(
    search: &crate::search::Search,
    part: Option<Part>,
    f: impl FnOnce() -> Result<T, search_index::SearchError> + Send + 'static,
) -> Result<T, AppError> {
    let costs = search.costs.clone();
    let answer = tokio::task::spawn_blocking(move || match part {
        Some(part) => costs.measure(part, f),
        None => f(),
    })
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
pub async fn similar(search: &Arc<Search>, topic_id: i64, title: &str) -> crate::search::SimilarTopics {
    let cache = &search.similar;
    if let Some((_, found)) = cache.get(&topic_id).filter(|(at, _)| at.elapsed() < SIMILAR_AGE) {
        return found;
    }
    let Some(index) = search.index() else {
        return Default::default();
    };
    let title = title.to_string();
    let shared = search.clone();
    let found: crate::search::SimilarTopics = match off_thread(search, Some(Part::Meaning), move || {
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
