//! The indexer: one thread per process that owns the index writer and applies the
//! `search_outbox` in id order.
//!
//! Each outbox row names a post or a topic; applying it reloads that post (or every
//! post of that topic) from the database and puts what is public into the index, or
//! takes it out. Applying a row twice is harmless, which makes the rest simple:
//!
//! - the commit records the outbox id up to which everything is applied, and a
//!   restart (or a crash) resumes right after it;
//! - on PostgreSQL a transaction can commit after one that took a higher id, so ids
//!   skipped over are watched for a while ([`GAP_WAIT`]) and applied when they appear;
//!   the recorded id stays below them meanwhile;
//! - a second process on the same data directory finds the writer locked and only
//!   reads, its readers following the other's commits.
//!
//! The next batch is read at once only when this one was full; else after [`IDLE`]. A
//! batch is committed as soon as it is applied when the last commit is at least
//! [`COMMIT_EVERY`] old, and otherwise with a later batch once it is: a lone change is
//! searchable within [`IDLE`], and a steady stream of changes makes about one commit a
//! second. Every commit makes a new segment, seven new files, and later merging; at a
//! commit per batch, those files (with SQLite's temporary files, see `db::pool`) made
//! creating and deleting files a quarter of the server's time under writes at
//! 1,000,000 posts.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use search_index::{IndexState, SearchError, SearchIndex, Writer};

use super::Search;
use super::docs::{self, Which};
use super::rebuild;
use crate::db::Db;
use crate::db::schema::search_outbox;

/// Outbox rows read per batch.
const BATCH: i64 = 1000;
/// Pause between polls when the last one found less than a full batch.
const IDLE: Duration = Duration::from_millis(150);
/// The least time between two commits while changes keep coming.
const COMMIT_EVERY: Duration = Duration::from_secs(1);

/// How long an id skipped over is waited for before it is taken as rolled back.
const GAP_WAIT: Duration = Duration::from_secs(10);

/// Starts the indexer thread.
pub fn start(search: Arc<Search>, db: Db) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("search-indexer".into())
        .spawn(move || run(&search, &db))
}

struct Tail {
    /// The build directory written to.
    dir: std::path::PathBuf,
    writer: Writer,
    /// Every id up to here is applied.
    applied: i64,
    /// The highest id applied.
    seen: i64,
    /// Ids below `seen` not applied yet, with when they were first missed.
    gaps: BTreeMap<i64, Instant>,
    /// When the writer last committed, and whether it holds changes since.
    committed_at: Instant,
    uncommitted: bool,
}

impl Tail {
    /// Commits what is applied when the last commit is old enough, or when `now`.
    fn commit_if_due(&mut self, now: bool) -> anyhow::Result<()> {
        if self.uncommitted && (now || self.committed_at.elapsed() >= COMMIT_EVERY) {
            self.writer.commit(self.applied)?;
            self.committed_at = Instant::now();
            self.uncommitted = false;
        }
        Ok(())
    }
}

/// Index failures in a row after which the index is taken as broken and rebuilt.
const BROKEN_AFTER: u32 = 3;

/// When a rebuild may run: at once the first time, then, after each that failed (a
/// full disk, the database away), twice as long later, up to half an hour, so that a
/// failing rebuild does not scan the whole database every second.
struct Rebuilds {
    wait: Duration,
    not_before: Option<Instant>,
}

impl Rebuilds {
    const FIRST_WAIT: Duration = Duration::from_secs(30);
    const LONGEST_WAIT: Duration = Duration::from_secs(1800);

    fn due(&self) -> bool {
        self.not_before.is_none_or(|t| Instant::now() >= t)
    }

    fn failed(&mut self) {
        self.not_before = Some(Instant::now() + self.wait);
        self.wait = (self.wait * 2).min(Self::LONGEST_WAIT);
    }

    fn succeeded(&mut self) {
        self.wait = Self::FIRST_WAIT;
        self.not_before = None;
    }
}

fn run(search: &Search, db: &Db) {
    let mut tail: Option<Tail> = None;
    let mut last_warning: Option<Instant> = None;
    let mut index_failures = 0;
    let mut rebuilds = Rebuilds {
        wait: Rebuilds::FIRST_WAIT,
        not_before: None,
    };
    while !search.stopping() {
        let rebuild = index_failures >= BROKEN_AFTER || search.failures() >= BROKEN_AFTER;
        match step(search, db, &mut tail, rebuild, &mut rebuilds) {
            Ok(busy) => {
                index_failures = 0;
                if !busy {
                    std::thread::sleep(IDLE);
                }
            }
            Err(e) => {
                // The database or the disk is away, or the index is damaged: say so now
                // and then, and retry; an index failing again and again is rebuilt.
                if e.downcast_ref::<SearchError>().is_some() {
                    index_failures += 1;
                } else if rebuild {
                    // The rebuild itself failed on the database: try it again later.
                } else {
                    index_failures = 0;
                }
                if last_warning.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                    tracing::warn!(error = %format!("{e:#}"), "search indexer");
                    last_warning = Some(Instant::now());
                }
                tail = None;
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

/// Builds a new index from the database and serves it, when a rebuild is due; the
/// index served until then (if any) goes on serving.
fn rebuild_and_serve(
    search: &Search,
    db: &Db,
    tail: &mut Option<Tail>,
    rebuilds: &mut Rebuilds,
) -> anyhow::Result<bool> {
    if !rebuilds.due() {
        return Ok(false);
    }
    *tail = None;
    tracing::info!("building the search index");
    let layout = search.layout();
    match rebuild::rebuild(db, layout, &|_| {}) {
        Ok(built) => {
            rebuilds.succeeded();
            tracing::info!(posts = built.posts, seconds = built.seconds, "search index built");
            search.serve(built.dir, built.index);
            let _ = layout.remove_stale();
            Ok(true)
        }
        Err(e) => {
            rebuilds.failed();
            Err(e.context(format!(
                "building the search index; next try in {:?} or more",
                rebuilds.wait / 2
            )))
        }
    }
}

/// One round: make sure the right index serves and the writer is ours, then apply one
/// batch. Says whether there was anything to apply. With `rebuild`, the index is taken
/// as broken and built again first.
fn step(
    search: &Search,
    db: &Db,
    tail: &mut Option<Tail>,
    rebuild: bool,
    rebuilds: &mut Rebuilds,
) -> anyhow::Result<bool> {
    if rebuild && rebuilds.due() {
        tracing::warn!("the search index keeps failing; rebuilding it from the database");
        return rebuild_and_serve(search, db, tail, rebuilds);
    }
    let layout = search.layout();
    let current_dir = match layout.state() {
        Ok(IndexState::Current { dir }) => Some(dir),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(error = %e, "search index pointer unreadable; rebuilding");
            None
        }
    };
    let Some(dir) = current_dir else {
        // Missing, of another format, or unreadable: build one, then serve it.
        return rebuild_and_serve(search, db, tail, rebuilds);
    };
    if search.serving_dir().as_ref() != Some(&dir) {
        // At start with an index that could not be read, or after `parley reindex`
        // swapped in a new build: serve it and write to it, or build one if it cannot
        // be read (search answers 503 meanwhile).
        *tail = None;
        match SearchIndex::open(&dir).and_then(|i| i.validate().map(|()| i)) {
            Ok(index) => search.serve(dir.clone(), index),
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    dir = %dir.display(),
                    "the search index cannot be read; rebuilding it from the database"
                );
                return rebuild_and_serve(search, db, tail, rebuilds);
            }
        }
    }
    if tail.as_ref().is_none_or(|t| t.dir != dir) {
        *tail = None;
        let Some(index) = search.index() else {
            return Ok(false);
        };
        // The least memory a writer takes: a batch is far smaller, and the writer sizes the
        // tables it allocates for every commit by it.
        match index.writer(search_index::SMALLEST_WRITER_HEAP) {
            Ok(writer) => {
                let applied = index.applied()?.unwrap_or(0);
                *tail = Some(Tail {
                    dir,
                    writer,
                    applied,
                    seen: applied,
                    gaps: BTreeMap::new(),
                    committed_at: Instant::now()
                        .checked_sub(COMMIT_EVERY)
                        .unwrap_or_else(Instant::now),
                    uncommitted: false,
                });
            }
            Err(SearchError::Locked) => {
                // Another process writes this index; its commits reach our readers.
                // Its changes still reach this process's thread vectors.
                *tail = None;
                search.meaning.follow(db)?;
                std::thread::sleep(Duration::from_secs(1));
                return Ok(false);
            }
            Err(e) => return Err(e.into()),
        }
    }
    let Some(t) = tail.as_mut() else { return Ok(false) };
    apply_batch(db, t, &search.meaning)
}

fn apply_batch(db: &Db, t: &mut Tail, meaning: &super::meaning::Meaning) -> anyhow::Result<bool> {
    let mut conn = db.get_read()?;
    // The gaps (all below `seen`) first, then what follows `seen`, in two statements:
    // as one, with an `OR`, PostgreSQL walked the outbox from its start.
    let gaps: Vec<i64> = t.gaps.keys().copied().collect();
    let entry = (search_outbox::id, search_outbox::entity, search_outbox::entity_id);
    let mut rows: Vec<(i64, String, i64)> = if gaps.is_empty() {
        Vec::new()
    } else {
        search_outbox::table
            .filter(search_outbox::id.eq_any(&gaps))
            .order(search_outbox::id.asc())
            .limit(BATCH)
            .select(entry)
            .load(&mut *conn)?
    };
    let room = BATCH - i64::try_from(rows.len()).unwrap_or(BATCH);
    if room > 0 {
        rows.extend(
            search_outbox::table
                .filter(search_outbox::id.gt(t.seen))
                .order(search_outbox::id.asc())
                .limit(room)
                .select(entry)
                .load::<(i64, String, i64)>(&mut *conn)?,
        );
    }
    let now = Instant::now();
    let expired = t.gaps.values().any(|since| now.duration_since(*since) > GAP_WAIT);
    if rows.is_empty() && !expired {
        t.commit_if_due(false)?;
        return Ok(false);
    }
    let mut post_ids = Vec::new();
    let mut topic_ids = Vec::new();
    for (id, entity, entity_id) in &rows {
        match entity.as_str() {
            "post" => post_ids.push(*entity_id),
            "topic" => topic_ids.push(*entity_id),
            _ => {}
        }
        if *id > t.seen {
            t.gaps.extend((t.seen + 1..*id).map(|missing| (missing, now)));
            t.seen = *id;
        } else {
            t.gaps.remove(id);
        }
    }
    t.gaps.retain(|_, since| now.duration_since(*since) <= GAP_WAIT);
    topic_ids.sort_unstable();
    topic_ids.dedup();
    post_ids.sort_unstable();
    post_ids.dedup();
    let mut load = |w: Which<'_>| {
        docs::load(&mut conn, w)
            .map(|(d, _)| d)
            .map_err(|e| anyhow::anyhow!("{e:?}"))
    };
    // Posts first: a topic's own reload then replaces every post of it, these too.
    if !post_ids.is_empty() {
        let docs = load(Which::Posts(&post_ids))?;
        for id in &post_ids {
            t.writer.delete_post(*id as u64);
        }
        for doc in &docs {
            t.writer.add(doc)?;
        }
    }
    if !topic_ids.is_empty() {
        let docs = load(Which::Topics(&topic_ids))?;
        for id in &topic_ids {
            t.writer.delete_topic(*id as u64);
        }
        for doc in &docs {
            t.writer.add(doc)?;
        }
    }
    // A thread's meaning follows its title, question and accepted answer: the threads
    // changed are named before the batch counts as applied.
    if meaning.enabled() {
        let of_posts = super::meaning::topics_of_posts(&mut conn, &post_ids)?;
        meaning.touch(topic_ids.iter().copied().chain(of_posts));
    }
    t.applied = t.gaps.keys().next().map_or(t.seen, |first| first - 1);
    t.uncommitted = true;
    // More is waiting only when the batch was full; a full batch is committed at once,
    // so that the writer's buffer stays one batch.
    let full = rows.len() as i64 >= BATCH;
    t.commit_if_due(full)?;
    Ok(full)
}

/// How far this node's index is behind the changes in the database's outbox.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Lag {
    /// Changes in the outbox past the last one this index applied.
    pub changes: i64,
    /// How long the oldest of them has waited (0 when there are none).
    pub seconds: f64,
}

/// This node's lag; `None` while its index is being built.
pub async fn lag(search: &Search, db: &Db) -> Result<Option<Lag>, crate::error::AppError> {
    let Some(index) = search.index() else {
        return Ok(None);
    };
    let applied = crate::db::run_blocking(move || {
        index
            .applied()
            .map_err(|e| crate::error::AppError::Internal(e.into()))
    })
    .await?
    .unwrap_or(0);
    db.read_quick(move |c| {
        let (changes, oldest): (i64, Option<chrono::NaiveDateTime>) = search_outbox::table
            .filter(search_outbox::id.gt(applied))
            .select((
                diesel::dsl::count_star(),
                diesel::dsl::min(search_outbox::created_at),
            ))
            .first(c)?;
        let seconds = oldest.map_or(0.0, |at| {
            ((crate::db::now() - at).num_milliseconds().max(0) as f64) / 1000.0
        });
        Ok(Some(Lag { changes, seconds }))
    })
    .await
}
