//! How many times a topic was read, without a write per read: each node counts in
//! memory, once per person and topic an hour, and adds what it counted to
//! `topics.views` every few seconds in one transaction. Adding (`views = views + n`)
//! rather than setting keeps every node's counts when several serve one database.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use diesel::prelude::*;

use crate::db::Db;
use crate::db::schema::topics;
use crate::error::AppError;

/// Readers remembered per hour; past it the hour starts again early, so that a flood
/// of readers costs bounded memory (and counts a few readers twice at worst).
const MAX_REMEMBERED: usize = 100_000;

/// How long a reader's view of a topic counts once.
const WINDOW: Duration = Duration::from_secs(3600);

/// How often counted views are written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug)]
struct Counts {
    seen: HashSet<(i64, i64)>,
    since: Instant,
    pending: HashMap<i64, i64>,
}

/// This node's views not yet written.
#[derive(Debug)]
pub struct ViewCounter {
    counts: Mutex<Counts>,
}

impl Default for ViewCounter {
    fn default() -> Self {
        Self {
            counts: Mutex::new(Counts {
                seen: HashSet::new(),
                since: Instant::now(),
                pending: HashMap::new(),
            }),
        }
    }
}

impl ViewCounter {
    /// Counts a read of `topic` by the person `reader`, unless they read it within the
    /// hour (reading takes an account, so every reader is known).
    pub fn saw(&self, topic: i64, reader: i64) {
        let Ok(mut counts) = self.counts.lock() else {
            return;
        };
        if counts.since.elapsed() >= WINDOW || counts.seen.len() >= MAX_REMEMBERED {
            counts.seen.clear();
            counts.since = Instant::now();
        }
        if counts.seen.insert((topic, reader)) {
            *counts.pending.entry(topic).or_default() += 1;
        }
    }

    /// The views counted since the last call, by topic.
    fn take(&self) -> Vec<(i64, i64)> {
        match self.counts.lock() {
            Ok(mut counts) => counts.pending.drain().collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Adds what was counted to the topics, in one transaction (as every write is). Views that could not
    /// be written (the database away) are counted again for the next try.
    pub async fn flush(&self, db: &Db) -> Result<usize, AppError> {
        let mut batch = self.take();
        if batch.is_empty() {
            return Ok(0);
        }
        // The same order on every node, so that two flushes never wait on each other.
        batch.sort_unstable();
        let written = batch.clone();
        let outcome = db
            .write(move |c| {
                for (topic, n) in &written {
                    diesel::update(topics::table.find(topic))
                        .set(topics::views.eq(topics::views + n))
                        .execute(c)?;
                }
                Ok(written.len())
            })
            .await;
        if outcome.is_err()
            && let Ok(mut counts) = self.counts.lock()
        {
            for (topic, n) in batch {
                *counts.pending.entry(topic).or_default() += n;
            }
        }
        outcome
    }

    /// Writes what was counted every [`FLUSH_EVERY`], for as long as the node serves.
    pub fn start(counter: std::sync::Arc<Self>, db: Db) {
        actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(FLUSH_EVERY);
            loop {
                tick.tick().await;
                if let Err(e) = counter.flush(&db).await {
                    tracing::warn!(error = ?e, "writing topic views");
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_counts_once_an_hour_and_each_topic_apart() {
        let counter = ViewCounter::default();
        for _ in 0..3 {
            counter.saw(1, 7);
        }
        counter.saw(1, 8);
        counter.saw(2, 7);
        let mut taken = counter.take();
        taken.sort_unstable();
        assert_eq!(taken, vec![(1, 2), (2, 1)]);
        // Taken once: the next flush has nothing, and a known reader still counts once.
        counter.saw(1, 7);
        assert!(counter.take().is_empty());
    }

    #[test]
    fn memory_stays_bounded_under_a_flood_of_readers() {
        let counter = ViewCounter::default();
        for i in 0..(MAX_REMEMBERED as i64 + 10) {
            counter.saw(1, i);
        }
        let remembered = counter.counts.lock().map(|c| c.seen.len()).unwrap_or(usize::MAX);
        assert!(remembered <= MAX_REMEMBERED, "{remembered}");
        assert_eq!(counter.take(), vec![(1, MAX_REMEMBERED as i64 + 10)]);
    }
}
