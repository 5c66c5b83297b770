//! Threads by meaning: each public thread's sentence-embedding vector (its title,
//! question and accepted answer), kept in the database and in memory, and the vector of
//! a question being typed.
//!
//! With a model set (`PARLEY_EMBEDDING_MODEL`), one thread per process loads it, then
//! walks every thread once: a vector already in `topic_vectors` for the same model and
//! the same text (by digest) is read, any other is computed and stored, so the work is
//! done once for every node and every rebuild of the index. Afterwards the indexer tells
//! it which threads changed, and a changed thread is found by meaning within seconds.
//! Until the walk is done, related threads are found by words alone.

use super::Search;
use crate::db::Db;
use crate::db::schema::{posts, topic_vectors, topics};
use diesel::prelude::*;
use embedding::Encoder;
use search_index::Vectors;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

mod batch;
mod stored;
mod walk;

pub use stored::*;
pub use walk::*;

/// Threads read and embedded per round.
const BATCH: i64 = 32;

/// Question vectors kept, by question text.
const QUERY_CACHE: usize = 4096;

/// Tokens of a question read for its meaning: a question is asked in its first words,
/// and its cost on the typing path grows with its length (about 12 ms for 8 words,
/// 18 ms for 24, 36 ms for 64 on one core; BENCHMARKS.md). Reading 24, 32 or 48 tokens
/// measured the same on the labelled questions.
const QUERY_TOKENS: usize = 32;

/// The model, the threads' vectors, and the threads waiting to be embedded.
pub struct Meaning {
    model_dir: Option<PathBuf>,
    encoder: OnceLock<(Arc<Encoder>, String)>,
    vectors: OnceLock<Vectors>,
    /// Every thread has been looked at once since start.
    ready: AtomicBool,
    /// Threads embedded (not read from the database) since start.
    embedded: AtomicU64,
    pending: Mutex<BTreeSet<i64>>,
    wake: Condvar,
    /// Question vectors by the token ids read (so a longer question with the same
    /// first tokens is not encoded again).
    queries: quick_cache::sync::Cache<Vec<u32>, Arc<Vec<f32>>>,
    /// The last `search_outbox` id looked at by [`Meaning::follow`].
    followed: std::sync::atomic::AtomicI64,
    /// Threads that embed at once: one in a server (the cores answer requests), every
    /// core in `parley reindex`.
    workers: usize,
    /// Where the encoding of questions is counted.
    costs: crate::search::costs::Costs,
    /// Questions asked at once, encoded together.
    batcher: batch::Batcher,
}

impl std::fmt::Debug for Meaning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meaning")
            .field("model_dir", &self.model_dir)
            .field("ready", &self.is_ready())
            .finish_non_exhaustive()
    }
}

/// What `parley check-config` and `/readyz` say of meaning search.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MeaningState {
    /// `off` (no model set), `loading` (walking the threads) or `ready`.
    pub state: &'static str,
    pub threads: usize,
}

impl Meaning {
    pub fn new(model_dir: Option<PathBuf>, costs: crate::search::costs::Costs) -> Self {
        Self {
            model_dir,
            encoder: OnceLock::new(),
            vectors: OnceLock::new(),
            ready: AtomicBool::new(false),
            embedded: AtomicU64::new(0),
            pending: Mutex::new(BTreeSet::new()),
            wake: Condvar::new(),
            queries: quick_cache::sync::Cache::new(QUERY_CACHE),
            followed: std::sync::atomic::AtomicI64::new(-1),
            workers: 1,
            costs,
            batcher: batch::Batcher::default(),
        }
    }

    /// Whether a model is set.
    pub fn enabled(&self) -> bool {
        self.model_dir.is_some()
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    pub fn state(&self) -> MeaningState {
        MeaningState {
            state: match (&self.model_dir, self.is_ready()) {
                (None, _) => "off",
                (Some(_), false) => "loading",
                (Some(_), true) => "ready",
            },
            threads: self.vectors.get().map_or(0, Vectors::len),
        }
    }

    /// Threads whose text may have changed: they are looked at again soon.
    pub fn touch(&self, topics: impl IntoIterator<Item = i64>) {
        if !self.enabled() {
            return;
        }
        if let Ok(mut p) = self.pending.lock() {
            p.extend(topics);
            self.wake.notify_one();
        }
    }

    /// The threads' vectors, once every thread has one.
    pub fn threads(&self) -> Option<&Vectors> {
        self.vectors.get().filter(|_| self.is_ready())
    }

    /// The vector of a question and the threads' vectors, once every thread has one.
    pub fn query(&self, text: &str) -> Option<(Arc<Vec<f32>>, &Vectors)> {
        let vectors = self.threads()?;
        let (encoder, _) = self.encoder.get()?;
        let ids = encoder.tokens(text, QUERY_TOKENS);
        let v = match self.queries.get(&ids) {
            Some(v) => v,
            None => {
                let v = Arc::new(self.batcher.encode(encoder, &self.costs, ids.clone())?);
                self.queries.insert(ids, v.clone());
                v
            }
        };
        Some((v, vectors))
    }

    /// For a process whose indexer only reads (another process writes the index on the
    /// same data directory): the threads changed since the last look, from the outbox,
    /// are looked at again. The first call only marks where to start.
    pub fn follow(&self, db: &Db) -> anyhow::Result<()> {
        use crate::db::schema::search_outbox;
        if !self.enabled() {
            return Ok(());
        }
        let mut c = db.get_read()?;
        let seen = self.followed.load(Ordering::Acquire);
        if seen < 0 {
            let top: Option<i64> = search_outbox::table
                .select(diesel::dsl::max(search_outbox::id))
                .first(&mut *c)?;
            self.followed.store(top.unwrap_or(0), Ordering::Release);
            return Ok(());
        }
        let rows: Vec<(i64, String, i64)> = search_outbox::table
            .filter(search_outbox::id.gt(seen))
            .order(search_outbox::id.asc())
            .limit(1000)
            .select((search_outbox::id, search_outbox::entity, search_outbox::entity_id))
            .load(&mut *c)?;
        let Some(last) = rows.last().map(|r| r.0) else {
            return Ok(());
        };
        let topics: Vec<i64> = rows.iter().filter(|r| r.1 == "topic").map(|r| r.2).collect();
        let posts: Vec<i64> = rows.iter().filter(|r| r.1 == "post").map(|r| r.2).collect();
        let of_posts = topics_of_posts(&mut c, &posts)?;
        self.touch(topics.into_iter().chain(of_posts));
        self.followed.store(last, Ordering::Release);
        Ok(())
    }
}

impl Meaning {
    /// Puts a loaded encoder (and its model's name) to use, with an empty set of thread
    /// vectors of its length.
    fn install(&self, encoder: (Arc<Encoder>, String)) {
        let _ = self.vectors.set(Vectors::new(encoder.0.dimensions()));
        let _ = self.encoder.set(encoder);
    }

    /// The vector of thread `topic` (computed from `title` if it has none yet) and the
    /// threads' vectors, once every thread has one.
    pub fn of_thread(&self, topic: i64, title: &str) -> Option<(Arc<Vec<f32>>, &Vectors)> {
        let vectors = self.vectors.get()?;
        match vectors.get(topic as u64) {
            Some(v) if self.is_ready() => Some((Arc::new(v), vectors)),
            _ => self.query(title),
        }
    }
}

/// Starts the thread that loads the model and keeps the threads' vectors, when a model
/// is set.
pub fn start(search: Arc<Search>, db: Db) -> std::io::Result<()> {
    let Some(dir) = search.meaning.model_dir.clone() else {
        return Ok(());
    };
    std::thread::Builder::new()
        .name("search-meaning".into())
        .spawn(move || {
            let started = Instant::now();
            let encoder = match load(&dir) {
                Ok(e) => e,
                Err(e) => {
                    tracing::error!(error = %e, "the embedding model cannot be used; related threads are found by words alone");
                    return;
                }
            };
            tracing::info!(model = %encoder.1, seconds = started.elapsed().as_secs_f64(), "embedding model loaded");
            search.meaning.install(encoder);
            run(&search, &db);
        })
        .map(|_| ())
}

/// Loads the encoder in `dir` and names its model (folder name and a digest of its
/// files' identity), so that vectors of another model are never compared.
pub fn load(dir: &std::path::Path) -> anyhow::Result<(Arc<Encoder>, String)> {
    let encoder = Encoder::load(dir)?;
    let mut h = Sha256::new();
    for name in ["config.json", "vocab.txt"] {
        h.update(std::fs::read(dir.join(name))?);
    }
    h.update(
        std::fs::metadata(dir.join("model.safetensors"))?
            .len()
            .to_le_bytes(),
    );
    let digest = h.finalize();
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    let id = format!("{name}-{}", hex(&digest[..8]));
    Ok((Arc::new(encoder), id))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    #[test]
    fn vectors_survive_the_database_bytes() {
        let v = [0.25f32, -1.5, 3.0e-7];
        assert_eq!(from_bytes(&to_bytes(&v)), v);
        assert!(from_bytes(&[1, 2, 3]).is_empty());
    }

    /// The model in PARLEY_TEST_EMBEDDING_MODEL (which `.ci/run` sets), for the tests
    /// that need real vectors; `None` outside CI when it is not set.
    pub(super) fn test_encoder() -> Option<Encoder> {
        let Some(dir) = std::env::var_os("PARLEY_TEST_EMBEDDING_MODEL") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "PARLEY_TEST_EMBEDDING_MODEL is not set under CI"
            );
            return None;
        };
        Some(Encoder::load(std::path::Path::new(&dir)).unwrap())
    }

    /// Texts shared out over several threads come back in their order.
    #[test]
    fn texts_embedded_on_several_threads_keep_their_order() {
        let Some(encoder) = test_encoder() else { return };
        let texts = [
            "Restoring a deleted file from the nightly snapshot, with its owner kept",
            "Proxy answers HTTP 502",
            "Log rotation fills the disk",
            "Why does the backup agent stop after the upgrade to 4.2.1?",
            "SSO",
        ];
        let one: Vec<Vec<f32>> = texts.iter().map(|t| encoder.embed(t)).collect();
        for workers in [2, 3, 8] {
            assert_eq!(
                embed_all(&encoder, &texts, workers).unwrap(),
                one,
                "{workers} threads"
            );
        }
    }
}
