//! The walk over every thread at start (and `parley reindex`'s backfill), then the
//! loop that embeds the threads the indexer says changed.

use super::*;

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
    progress: &dyn Fn(crate::search::rebuild::Progress),
) -> anyhow::Result<Backfilled> {
    use crate::search::rebuild::Progress;
    let started = Instant::now();
    let (encoder, model) = load(dir)?;
    let mut m = Meaning::new(Some(dir.to_path_buf()), Default::default());
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

pub(super) use crate::keys::hex;

pub(super) fn run(search: &Search, db: &Db) {
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
pub(super) fn walk_step(m: &Meaning, db: &Db, after: i64) -> anyhow::Result<Option<i64>> {
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
