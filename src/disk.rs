//! Whether the disk takes writes: checked by `/readyz` and before the jobs that write.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Whether the folders Parley writes to take a write: the data directory (uploads, the
/// search index, mail files) and, on SQLite, the database's folder. A small file is
/// written, flushed to disk and removed in each, so a read-only or full disk shows
/// here before it shows as failed writes. The answer is kept for a couple of seconds,
/// so that asking often costs nothing.
#[derive(Debug)]
pub struct DiskCheck {
    folders: Vec<PathBuf>,
    last: Mutex<Option<(Instant, Result<(), String>)>>,
}

/// How long an answer of [`DiskCheck`] is kept.
const DISK_CHECK_AGE: Duration = Duration::from_secs(2);

impl DiskCheck {
    pub fn new(data_dir: &Path, database: &crate::config::DatabaseUrl) -> Self {
        let mut folders = vec![data_dir.to_path_buf()];
        if let crate::config::DatabaseUrl::Sqlite(path) = database
            && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !folders.iter().any(|f| f == dir)
        {
            folders.push(dir.to_path_buf());
        }
        Self {
            folders,
            last: Mutex::new(None),
        }
    }

    /// Checks now, on the calling thread: what is wrong, or nothing.
    pub fn check_now(&self) -> Result<(), String> {
        let outcome = self.folders.iter().try_for_each(|dir| probe(dir));
        if let Ok(mut last) = self.last.lock() {
            *last = Some((Instant::now(), outcome.clone()));
        }
        outcome
    }

    /// The last answer while it is fresh, else a new one (on a blocking thread).
    pub async fn check(self: &std::sync::Arc<Self>) -> Result<(), String> {
        if let Some((at, outcome)) = self.last.lock().ok().and_then(|l| l.clone())
            && at.elapsed() < DISK_CHECK_AGE
        {
            return outcome;
        }
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.check_now())
            .await
            .unwrap_or_else(|e| Err(format!("checking the disk: {e}")))
    }
}

/// Writes, flushes and removes a small file in `dir`.
fn probe(dir: &Path) -> Result<(), String> {
    use std::io::Write;
    // A name of its own, so that probes at once (or by another process) never meet.
    let path = dir.join(format!(
        ".parley-write-check-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    let written = std::fs::File::create(&path).and_then(|mut f| {
        f.write_all(&[0u8; 16 * 1024])?;
        f.sync_all()
    });
    let removed = match std::fs::remove_file(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    };
    written
        .and(removed)
        .map_err(|e| format!("{} cannot be written: {e}", dir.display()))
}
