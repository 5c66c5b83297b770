//! Search: the tantivy replica of the public forum, kept in step with the database by
//! one indexer per process, and the pages and API that query it.
//!
//! The database is the truth. Every content change writes a `search_outbox` row in its
//! own transaction ([`crate::forum::outbox`]); the indexer ([`indexer`]) applies those
//! rows in id order and records the last one applied with each commit, so a restart
//! resumes where it stopped. `parley reindex` ([`rebuild`]) builds a fresh index beside
//! the serving one and swaps it in.

pub mod api;
pub mod costs;
pub mod docs;
pub mod indexer;
pub mod meaning;
pub mod outbox;
pub mod pages;
pub mod rebuild;
pub mod service;

use std::path::Path;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use search_index::{IndexLayout, IndexState, SearchIndex};

/// The serving index of this process, shared by handlers and the indexer.
pub struct Search {
    layout: IndexLayout,
    serving: RwLock<Option<(std::path::PathBuf, SearchIndex)>>,
    stop: AtomicBool,
    /// Queries the serving index failed to answer since it was last built.
    failures: AtomicU32,
    /// Similar topics per topic, with when they were found.
    similar: quick_cache::sync::Cache<i64, (std::time::Instant, SimilarTopics)>,
    /// The categories, with when they were read (see `service::category_list`).
    categories: crate::db::Memo<Vec<service::CategoryRow>>,
    /// Threads by meaning, when a model is set.
    pub meaning: meaning::Meaning,
    /// The processor time each part of a query takes, for `/metrics`.
    pub costs: costs::Costs,
    /// How far this index was behind the database when last looked at (every two
    /// seconds, see `web::ops::NodeGauges`), for `/readyz` to say at once.
    lag: std::sync::Mutex<Option<indexer::Lag>>,
}

/// Topics similar to one, shared between the pages that show them.
pub type SimilarTopics = std::sync::Arc<Vec<service::SuggestionView>>;

impl std::fmt::Debug for Search {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Search")
            .field("layout", &self.layout)
            .finish_non_exhaustive()
    }
}

impl Search {
    /// The index under `<data dir>/search-index`, opened if a current build is there;
    /// otherwise the indexer builds one when it starts. With `model`, threads are also
    /// found by meaning once [`meaning::start`] has run.
    pub fn new(data_dir: &Path, model: Option<std::path::PathBuf>) -> Self {
        let costs = costs::Costs::new();
        let search = Self {
            layout: IndexLayout::new(data_dir.join("search-index")),
            serving: RwLock::new(None),
            stop: AtomicBool::new(false),
            failures: AtomicU32::new(0),
            similar: quick_cache::sync::Cache::new(10_000),
            categories: crate::db::Memo::new(std::time::Duration::from_secs(5)),
            meaning: meaning::Meaning::new(model, costs.clone()),
            costs,
            lag: std::sync::Mutex::new(None),
        };
        if let Ok(IndexState::Current { dir }) = search.layout.state() {
            match SearchIndex::open(&dir).and_then(|i| i.validate().map(|()| i)) {
                Ok(index) => search.serve(dir, index),
                Err(e) => tracing::warn!(error = %e, "the search index cannot be read; it will be rebuilt"),
            }
        }
        search
    }

    pub fn layout(&self) -> &IndexLayout {
        &self.layout
    }

    /// The serving index, or `None` while the first build runs.
    pub fn index(&self) -> Option<SearchIndex> {
        self.serving.read().ok()?.as_ref().map(|(_, i)| i.clone())
    }

    /// The directory of the serving index.
    pub fn serving_dir(&self) -> Option<std::path::PathBuf> {
        self.serving.read().ok()?.as_ref().map(|(d, _)| d.clone())
    }

    fn serve(&self, dir: std::path::PathBuf, index: SearchIndex) {
        if let Ok(mut s) = self.serving.write() {
            *s = Some((dir, index));
        }
        self.failures.store(0, Ordering::Relaxed);
    }

    /// Counts a query the serving index failed to answer.
    pub fn failed(&self) {
        self.failures.fetch_add(1, Ordering::Relaxed);
    }

    /// A query was answered: only failures in a row count toward a rebuild.
    pub fn answered(&self) {
        if self.failures.load(Ordering::Relaxed) != 0 {
            self.failures.store(0, Ordering::Relaxed);
        }
    }

    /// Queries in a row the serving index failed to answer.
    fn failures(&self) -> u32 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Keeps the lag last measured.
    pub fn note_lag(&self, lag: Option<indexer::Lag>) {
        if let Ok(mut kept) = self.lag.lock() {
            *kept = lag;
        }
    }

    /// The lag last measured; `None` before the first look or while the index is built.
    pub fn last_lag(&self) -> Option<indexer::Lag> {
        self.lag.lock().ok().and_then(|l| *l)
    }

    /// Asks the indexer to stop after its current batch.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.meaning.touch([]);
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// Mounts the search page and API.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    api::configure(cfg);
    pages::configure(cfg);
}
