//! Logging a recurring error once a period, not once a request.

/// Says a failing state once, then at most once per interval, with how many times it
/// happened in between.
#[derive(Debug)]
pub struct LogThrottle {
    pub(super) interval: std::time::Duration,
    pub(super) state: std::sync::Mutex<(Option<std::time::Instant>, u64)>,
}

impl LogThrottle {
    pub fn new(interval: std::time::Duration) -> Self {
        Self {
            interval,
            state: std::sync::Mutex::new((None, 0)),
        }
    }

    /// Counts one occurrence; returns how many there were since the last one logged
    /// when this one should be logged.
    pub fn note(&self) -> Option<u64> {
        let mut guard = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (last, count) = &mut *guard;
        *count += 1;
        if last.is_some_and(|t| t.elapsed() < self.interval) {
            return None;
        }
        *last = Some(std::time::Instant::now());
        Some(std::mem::take(count))
    }
}
