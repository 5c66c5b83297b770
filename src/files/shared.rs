//! Stored files kept in the database as well, when several nodes share it
//! (PostgreSQL): a file stored through any node can then be served by every node.
//!
//! A file is written in parts of up to 1 MiB with its `shared_files` row, in one
//! transaction, so the row names a file whose parts are all there. A node that is asked
//! for a file its own folder lacks copies it from the database into the folder, part by
//! part (one part in memory at a time), checks its hash and serves it from there; the
//! folder is that node's copy of what the database holds.

use std::io::{Read, Write};
use std::path::Path;

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::{file_parts, shared_files};
use crate::db::{Db, now, write_transaction};
use crate::error::AppError;

/// The largest part of a file in one row.
const PART: usize = 1 << 20;

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{e}"))
}

/// Copies the stored file at `path` into the database, unless it is there already.
pub(super) fn put(db: &Db, path: &Path, sha256: &str, size: i64) -> Result<(), AppError> {
    let mut c = db.get_write().map_err(AppError::Internal)?;
    write_transaction(&mut c, |c| {
        let there: i64 = shared_files::table
            .filter(shared_files::sha256.eq(sha256))
            .count()
            .get_result(c)?;
        if there > 0 {
            return Ok(());
        }
        let mut file = std::fs::File::open(path).map_err(internal)?;
        let mut buf = vec![0u8; PART];
        let mut parts: i32 = 0;
        let mut hasher = Sha256::new();
        loop {
            let n = read_full(&mut file, &mut buf).map_err(internal)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            let row = (
                file_parts::sha256.eq(sha256),
                file_parts::part.eq(parts),
                file_parts::bytes.eq(&buf[..n]),
            );
            // Another node storing the same bytes at once: its parts are the same.
            crate::with_backend!(c, |c| diesel::insert_into(file_parts::table)
                .values(row)
                .on_conflict_do_nothing()
                .execute(c))?;
            parts += 1;
        }
        // A copy damaged on this disk is never given to the other nodes.
        let got = crate::keys::hex(&hasher.finalize());
        if got != sha256 {
            return Err(internal(format!(
                "{} reads as {got}, not as its name says",
                path.display()
            )));
        }
        let row = (
            shared_files::sha256.eq(sha256),
            shared_files::size.eq(size),
            shared_files::parts.eq(parts),
            shared_files::created_at.eq(now()),
        );
        crate::with_backend!(c, |c| diesel::insert_into(shared_files::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c))?;
        Ok(())
    })
}

/// Copies the file `sha256` from the database to `target` (through a file in
/// `tmp_dir`); false when the database does not hold it.
pub(super) fn fetch(db: &Db, sha256: &str, target: &Path, tmp_dir: &Path) -> Result<bool, AppError> {
    let mut c = db.get_read().map_err(AppError::Internal)?;
    let parts: Option<i32> = shared_files::table
        .find(sha256)
        .select(shared_files::parts)
        .first(&mut *c)
        .optional()?;
    let Some(parts) = parts else {
        return Ok(false);
    };
    std::fs::create_dir_all(tmp_dir).map_err(internal)?;
    let tmp = tmp_dir.join(format!("fetch-{}", rand::random::<u64>()));
    let copied = (|| {
        let mut file = std::fs::File::create(&tmp).map_err(internal)?;
        let mut hasher = Sha256::new();
        for part in 0..parts {
            let bytes: Vec<u8> = file_parts::table
                .find((sha256, part))
                .select(file_parts::bytes)
                .first(&mut *c)?;
            hasher.update(&bytes);
            file.write_all(&bytes).map_err(internal)?;
        }
        let got = crate::keys::hex(&hasher.finalize());
        if got != sha256 {
            return Err(internal(format!("the stored file {sha256} reads back as {got}")));
        }
        file.sync_all().map_err(internal)?;
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(internal)?;
        }
        std::fs::rename(&tmp, target).map_err(internal)
    })();
    let _ = std::fs::remove_file(&tmp);
    copied.map(|()| true)
}

/// Reads until `buf` is full or the file ends.
fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Puts every file in `root` that the database lacks into it: files stored on one
/// node's disk before they were kept in the database too. Returns how many; a file that
/// cannot be read, or whose bytes are not what its name says, is logged and left.
pub(super) fn share_local(db: &Db, root: &Path) -> Result<usize, AppError> {
    let mut found: Vec<(String, std::path::PathBuf)> = Vec::new();
    for top in read_dirs(root) {
        for mid in read_dirs(&top) {
            if let Ok(entries) = std::fs::read_dir(&mid) {
                for e in entries.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if super::is_hash(&name) {
                        found.push((name, e.path()));
                    }
                }
            }
        }
    }
    let mut shared = 0;
    for batch in found.chunks(500) {
        let names: Vec<&str> = batch.iter().map(|f| f.0.as_str()).collect();
        let known: Vec<String> = {
            let mut c = db.get_read().map_err(AppError::Internal)?;
            shared_files::table
                .filter(shared_files::sha256.eq_any(&names))
                .select(shared_files::sha256)
                .load(&mut *c)?
        };
        for (sha, path) in batch.iter().filter(|f| !known.contains(&f.0)) {
            let size = std::fs::metadata(path).map_err(internal)?.len() as i64;
            // One unreadable or damaged file does not keep the others from being shared.
            match put(db, path, sha, size) {
                Ok(()) => shared += 1,
                Err(e) => {
                    tracing::warn!(error = ?e, file = %path.display(), "a stored file cannot be shared")
                }
            }
        }
    }
    Ok(shared)
}

/// The folders in `dir` (none when it cannot be read).
fn read_dirs(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}
