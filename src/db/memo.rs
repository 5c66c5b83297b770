//! A value read from the database and kept in memory while it is current: until this
//! node writes anything (see [`super::Db::writes`]) and for at most a set age, after
//! which a change made on another node shows. A timed memo ignores writes and lasts its
//! age, unless the one place that changes the value forgets it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{AnyConnection, Db};
use crate::error::AppError;

/// One kept value.
pub struct Memo<T> {
    max_age: Duration,
    /// Read again after any write of this node; off for a value read on every page and
    /// changed in one known place, which then [forgets](Memo::forget) it.
    follow_writes: bool,
    slot: Mutex<Option<(Arc<T>, u64, Instant)>>,
    /// One load at a time (see [`Turns`]).
    loading: Turns,
}

impl<T> std::fmt::Debug for Memo<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo")
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

impl<T: Send + Sync + 'static> Memo<T> {
    pub fn new(max_age: Duration) -> Self {
        Self {
            max_age,
            follow_writes: true,
            slot: Mutex::new(None),
            loading: Turns::new(1),
        }
    }

    /// A value read again only after `max_age` (or when forgotten), whatever is
    /// written meanwhile: for what every page reads and only an admin changes.
    pub fn timed(max_age: Duration) -> Self {
        Self {
            follow_writes: false,
            ..Self::new(max_age)
        }
    }

    /// Drops the kept value: the next read loads it (after this node changed it).
    pub fn forget(&self) {
        if let Ok(mut slot) = self.slot.lock() {
            *slot = None;
        }
    }

    /// The kept value, or `load` run on a read connection and kept.
    pub async fn get(
        &self,
        db: &Db,
        load: fn(&mut AnyConnection) -> Result<T, AppError>,
    ) -> Result<Arc<T>, AppError> {
        let current = |writes: u64| {
            self.slot
                .lock()
                .ok()
                .and_then(|s| s.clone())
                .filter(|(_, seen, at)| {
                    (*seen == writes || !self.follow_writes) && at.elapsed() < self.max_age
                })
                .map(|(value, _, _)| value)
        };
        if let Some(value) = current(db.writes()) {
            return Ok(value);
        }
        // One reader loads; the others wait and take its copy.
        let _turn = self.loading.take(&()).await;
        // Read before loading: a write that lands during the load makes the value stale.
        let writes = db.writes();
        if let Some(value) = current(writes) {
            return Ok(value);
        }
        let value = Arc::new(db.read(load).await?);
        if let Ok(mut slot) = self.slot.lock() {
            *slot = Some((value.clone(), writes, Instant::now()));
        }
        Ok(value)
    }
}

/// Turns at loading something kept: a few locks, one per key's hash. When many readers
/// find the same kept value stale at once (after a write, or when it ages out), the
/// first loads it and the others wait for its copy instead of each loading it again.
/// Without this, on PostgreSQL a second's end sent dozens of identical reads at the
/// pool at once, and some requests waited seconds for a connection.
pub struct Turns(Vec<tokio::sync::Mutex<()>>);

impl Turns {
    pub fn new(stripes: usize) -> Self {
        Self((0..stripes.max(1)).map(|_| tokio::sync::Mutex::new(())).collect())
    }

    /// Waits for the turn of `key`; the turn ends when the guard is dropped.
    pub async fn take<K: std::hash::Hash + ?Sized>(&self, key: &K) -> tokio::sync::MutexGuard<'_, ()> {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(key) as usize;
        self.0[hash % self.0.len()].lock().await
    }
}
