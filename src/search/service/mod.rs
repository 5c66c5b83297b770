//! Search for readers: checks who may search and what they asked, runs the query on
//! a blocking thread, and turns hits into views with addresses and category names.

use crate::app::AppState;
use crate::db::schema::categories;
use crate::error::{AppError, FieldErrors};
use crate::forum::require_read;
use crate::forum::topics::POSTS_PER_PAGE;
use crate::markdown::SafeHtml;
use crate::search::Search;
use crate::web::AuthUser;
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

mod posts;
mod threads;

pub use posts::*;
pub use threads::*;

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
    /// The cosine of the question's meaning with the thread's title's, when meaning is
    /// compared.
    pub title_cosine: Option<f32>,
    /// The question's mean cosine with every thread of the forum, when meaning is
    /// compared: the forms show threads when the first one's `fit` less half of this
    /// is at least 0.6.
    pub typical: Option<f32>,
    /// What the order follows: with meaning, the cosine plus 0.1 times the title's
    /// cosine plus 0.4 times the share; by words alone, the score weighed by the share.
    pub fit: f32,
}

fn index(search: &Arc<Search>) -> Result<search_index::SearchIndex, AppError> {
    search.index().ok_or_else(|| {
        AppError::Unavailable(anyhow::anyhow!(
            "The search index is being built; try again in a minute."
        ))
    })
}
