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
        // Read before loading: a write that lands during the load makes the value stale.
        let writes = db.writes();
        if let Some((value, seen, at)) = self.slot.lock().ok().and_then(|s| s.clone())
            && (seen == writes || !self.follow_writes)
            && at.elapsed() < self.max_age
        {
            return Ok(value);
        }
        let value = Arc::new(db.read(load).await?);
        if let Ok(mut slot) = self.slot.lock() {
            *slot = Some((value.clone(), writes, Instant::now()));
        }
        Ok(value)
    }
}
