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

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use embedding::Encoder;
use search_index::Vectors;
use sha2::{Digest, Sha256};

use super::Search;
use crate::db::Db;
use crate::db::schema::{posts, topic_vectors, topics};

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
    pub fn new(model_dir: Option<PathBuf>) -> Self {
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
                let v = Arc::new(encoder.embed_ids(&ids));
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

/// The threads the posts `ids` belong to.
pub fn topics_of_posts(c: &mut crate::db::AnyConnection, ids: &[i64]) -> anyhow::Result<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(posts::table
        .filter(posts::id.eq_any(ids))
        .select(posts::topic_id)
        .distinct()
        .load(c)?)
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

/// What [`backfill`] did.
#[derive(Debug)]
pub struct Backfilled {
    pub model: String,
    pub threads: usize,
    pub embedded: u64,
    pub seconds: f64,
}

/// Gives every public thread a vector of the model in `dir` now, in this process (what
/// `parley reindex` does, so that a server starts with every thread findable by meaning).
/// `progress` is told the highest topic id, then each topic id reached.
pub fn backfill(
    db: &Db,
    dir: &std::path::Path,
    progress: &dyn Fn(super::rebuild::Progress),
) -> anyhow::Result<Backfilled> {
    use super::rebuild::Progress;
    let started = Instant::now();
    let (encoder, model) = load(dir)?;
    let mut m = Meaning::new(Some(dir.to_path_buf()));
    m.workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    m.install((encoder, model.clone()));
    let highest: Option<i64> = {
        let mut c = db.get_read()?;
        topics::table
            .select(diesel::dsl::max(topics::id))
            .first(&mut *c)?
    };
    progress(Progress::Total(highest.unwrap_or(0).max(0) as u64));
    let mut after = 0;
    while let Some(next) = walk_step(&m, db, after)? {
        progress(Progress::At(next.max(0) as u64));
        after = next;
    }
    Ok(Backfilled {
        model,
        threads: m.vectors.get().map_or(0, Vectors::len),
        embedded: m.embedded.load(Ordering::Relaxed),
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn run(search: &Search, db: &Db) {
    let m = &search.meaning;
    // The walk over every thread, then the threads the indexer names.
    let mut after = 0;
    let mut last_warning: Option<Instant> = None;
    let started = Instant::now();
    while !search.stopping() {
        match walk_step(m, db, after) {
            Ok(Some(next)) => after = next,
            Ok(None) => break,
            Err(e) => {
                if last_warning.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                    tracing::warn!(error = %e, "embedding threads");
                    last_warning = Some(Instant::now());
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
    m.ready.store(true, Ordering::Release);
    tracing::info!(
        threads = m.vectors.get().map_or(0, Vectors::len),
        embedded = m.embedded.load(Ordering::Relaxed),
        seconds = started.elapsed().as_secs_f64(),
        "threads can be found by meaning"
    );
    while !search.stopping() {
        let batch: Vec<i64> = {
            let Ok(mut p) = m.pending.lock() else { return };
            if p.is_empty() {
                p = match m.wake.wait_timeout(p, Duration::from_millis(500)) {
                    Ok((p, _)) => p,
                    Err(_) => return,
                };
            }
            let take: Vec<i64> = p.iter().take(BATCH as usize).copied().collect();
            for t in &take {
                p.remove(t);
            }
            take
        };
        if batch.is_empty() {
            continue;
        }
        if let Err(e) = refresh(m, db, &batch) {
            if last_warning.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                tracing::warn!(error = %e, "embedding threads");
                last_warning = Some(Instant::now());
            }
            m.touch(batch);
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

/// Looks at the next threads after id `after`; `None` when there are none.
fn walk_step(m: &Meaning, db: &Db, after: i64) -> anyhow::Result<Option<i64>> {
    let ids: Vec<i64> = {
        let mut c = db.get_read()?;
        topics::table
            .filter(topics::id.gt(after))
            .order(topics::id.asc())
            .limit(BATCH)
            .select(topics::id)
            .load(&mut *c)?
    };
    let Some(&last) = ids.last() else { return Ok(None) };
    refresh(m, db, &ids)?;
    Ok(Some(last))
}

/// The text of each public thread of `ids`: title, question, accepted answer.
pub fn thread_texts(c: &mut crate::db::AnyConnection, ids: &[i64]) -> anyhow::Result<HashMap<i64, String>> {
    let heads: Vec<(i64, String, Option<i64>)> = topics::table
        .filter(topics::id.eq_any(ids))
        .filter(topics::deleted_at.is_null())
        .select((topics::id, topics::title, topics::accepted_post_id))
        .load(c)?;
    let accepted: Vec<i64> = heads.iter().filter_map(|h| h.2).collect();
    let bodies: Vec<(i64, i64, i64, String)> = posts::table
        .filter(posts::topic_id.eq_any(ids))
        .filter(posts::number.eq(1).or(posts::id.eq_any(&accepted)))
        .filter(posts::hidden.eq(false))
        .filter(posts::deleted_at.is_null())
        .select((posts::id, posts::topic_id, posts::number, posts::body_markdown))
        .load(c)?;
    let mut out = HashMap::new();
    for (topic, title, accepted) in heads {
        let Some(opening) = bodies.iter().find(|b| b.1 == topic && b.2 == 1) else {
            continue;
        };
        let mut text = format!("{title}\n\n{}", crate::markdown::to_plain_text(&opening.3));
        if let Some(answer) = accepted.and_then(|a| bodies.iter().find(|b| b.0 == a && b.1 == topic)) {
            text.push_str("\n\n");
            text.push_str(&crate::markdown::to_plain_text(&answer.3));
        }
        out.insert(topic, text);
    }
    Ok(out)
}

type Stored = (i64, String, String, Vec<u8>);

/// The vectors of `texts`, in order, embedded by up to `workers` threads.
fn embed_all(encoder: &Encoder, texts: &[&str], workers: usize) -> anyhow::Result<Vec<Vec<f32>>> {
    let workers = workers.clamp(1, texts.len().max(1));
    if workers == 1 {
        return Ok(texts.iter().map(|t| encoder.embed(t)).collect());
    }
    let per = texts.len().div_ceil(workers);
    std::thread::scope(|s| {
        let parts: Vec<_> = texts
            .chunks(per)
            .map(|part| s.spawn(move || part.iter().map(|t| encoder.embed(t)).collect::<Vec<_>>()))
            .collect();
        let mut out = Vec::with_capacity(texts.len());
        for part in parts {
            out.extend(
                part.join()
                    .map_err(|_| anyhow::anyhow!("a thread embedding texts stopped"))?,
            );
        }
        Ok(out)
    })
}

/// Brings the vectors of `ids` up to date: read when stored for this model and text,
/// computed and stored otherwise, forgotten for threads that are not public.
fn refresh(m: &Meaning, db: &Db, ids: &[i64]) -> anyhow::Result<()> {
    let (Some((encoder, model)), Some(vectors)) = (m.encoder.get(), m.vectors.get()) else {
        return Ok(());
    };
    let (texts, stored) = {
        let mut c = db.get_read()?;
        let texts = thread_texts(&mut c, ids)?;
        let stored: Vec<Stored> = topic_vectors::table
            .filter(topic_vectors::topic_id.eq_any(ids))
            .select((
                topic_vectors::topic_id,
                topic_vectors::model,
                topic_vectors::digest,
                topic_vectors::vector,
            ))
            .load(&mut *c)?;
        (texts, stored)
    };
    let mut fresh = Vec::new();
    let mut gone = Vec::new();
    let mut unknown: Vec<(i64, &str, String)> = Vec::new();
    for &id in ids {
        let Some(text) = texts.get(&id) else {
            // Deleted or hidden: nothing derived from its text is kept.
            vectors.remove(id as u64);
            if stored.iter().any(|s| s.0 == id) {
                gone.push(id);
            }
            continue;
        };
        let digest = hex(&Sha256::digest(text.as_bytes()));
        let known = stored
            .iter()
            .find(|s| s.0 == id && &s.1 == model && s.2 == digest)
            .map(|s| from_bytes(&s.3));
        match known {
            Some(v) if v.len() == encoder.dimensions() => vectors.set(id as u64, &v),
            _ => unknown.push((id, text, digest)),
        }
    }
    let texts: Vec<&str> = unknown.iter().map(|u| u.1).collect();
    for ((id, _, digest), v) in unknown.into_iter().zip(embed_all(encoder, &texts, m.workers)?) {
        vectors.set(id as u64, &v);
        m.embedded.fetch_add(1, Ordering::Relaxed);
        fresh.push((id, digest, to_bytes(&v)));
    }
    if fresh.is_empty() && gone.is_empty() {
        return Ok(());
    }
    let now = crate::db::now();
    let mut c = db.get_write()?;
    c.transaction::<_, anyhow::Error, _>(|c| {
        if !gone.is_empty() {
            diesel::delete(topic_vectors::table.filter(topic_vectors::topic_id.eq_any(&gone))).execute(c)?;
        }
        // A thread deleted meanwhile has no row to refer to: nothing to store for it.
        let fresh_ids: Vec<i64> = fresh.iter().map(|f| f.0).collect();
        let existing: Vec<i64> = topics::table
            .filter(topics::id.eq_any(&fresh_ids))
            .select(topics::id)
            .load(c)?;
        for (id, digest, bytes) in fresh.iter().filter(|f| existing.contains(&f.0)) {
            let row = (
                topic_vectors::topic_id.eq(id),
                topic_vectors::model.eq(model),
                topic_vectors::digest.eq(digest),
                topic_vectors::vector.eq(bytes),
                topic_vectors::updated_at.eq(now),
            );
            crate::with_backend!(c, |c| diesel::insert_into(topic_vectors::table)
                .values(row)
                .on_conflict(topic_vectors::topic_id)
                .do_update()
                .set((
                    topic_vectors::model.eq(model),
                    topic_vectors::digest.eq(digest),
                    topic_vectors::vector.eq(bytes),
                    topic_vectors::updated_at.eq(now),
                ))
                .execute(c))?;
        }
        Ok(())
    })?;
    Ok(())
}

fn to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn from_bytes(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_survive_the_database_bytes() {
        let v = [0.25f32, -1.5, 3.0e-7];
        assert_eq!(from_bytes(&to_bytes(&v)), v);
        assert!(from_bytes(&[1, 2, 3]).is_empty());
    }
}
