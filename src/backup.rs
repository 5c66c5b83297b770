//! `parley backup DIR` and `parley restore DIR`: a site's data in one folder.
//!
//! A backup holds the database's copy (SQLite's `VACUUM INTO` or PostgreSQL's
//! `pg_dump`, each one consistent snapshot while the site keeps serving), the stored
//! files, the signing secret when it lives in the data directory, and a manifest
//! written last: a folder without one is an unfinished backup and is never restored.
//! The database is copied before the files, and a file is stored before any row names
//! it, so every file the copied rows name is in the backup. The search index is not
//! kept: a restore builds it from the restored data.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::db::Db;

/// What a backup holds, written as `manifest.json`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// The layout of the folder; a restore refuses one it does not know.
    pub format: u32,
    /// `sqlite` or `postgres`: a backup is restored into the same kind of database.
    pub backend: String,
    /// The database's copy, inside the folder.
    pub database: String,
    /// The newest migration the copied database had.
    pub schema: Option<String>,
    pub files: u64,
    pub file_bytes: u64,
    /// Whether the signing secret is in the folder (`secret`); when it was set by
    /// `PARLEY_SECRET` instead, the operator keeps it.
    pub secret: bool,
    pub parley_version: String,
    pub taken_at: chrono::DateTime<chrono::Utc>,
}

const FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";

/// Makes a backup of a running (or stopped) site in `dir`, which must not exist yet or
/// be empty.
pub fn backup(settings: &Settings, db: &Db, dir: &Path) -> anyhow::Result<Manifest> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_some()
    {
        bail!("{} is not empty: a backup goes into a new folder", dir.display());
    }
    make_private_dir(dir)?;
    let schema = db.applied_migrations()?.into_iter().max();
    let copy = db.snapshot(dir)?;
    let (files, file_bytes) = copy_tree(&settings.data_dir.join("files"), &dir.join("files"))?;
    let secret_file = settings.data_dir.join("secret");
    let secret = secret_file.exists();
    if secret {
        copy_private(&secret_file, &dir.join("secret"))?;
    }
    let manifest = Manifest {
        format: FORMAT,
        backend: crate::db::backup::backend_name(db.url()).into(),
        database: file_name(&copy),
        schema,
        files,
        file_bytes,
        secret,
        parley_version: env!("CARGO_PKG_VERSION").into(),
        taken_at: chrono::Utc::now(),
    };
    let written = dir.join(format!("{MANIFEST}.partial"));
    std::fs::write(&written, serde_json::to_vec_pretty(&manifest)?)
        .with_context(|| format!("writing {}", written.display()))?;
    std::fs::rename(&written, dir.join(MANIFEST))?;
    Ok(manifest)
}

/// Restores the backup in `dir` into the configured data directory and an empty
/// database: the files and secret first, the database last and whole, so a restore
/// stopped halfway is run again. Migrations newer than the backup are applied by the
/// caller, and the search index is built anew.
pub fn restore(settings: &Settings, dir: &Path) -> anyhow::Result<Manifest> {
    let manifest: Manifest = serde_json::from_slice(
        &std::fs::read(dir.join(MANIFEST))
            .with_context(|| format!("{} has no {MANIFEST}: it is not a finished backup", dir.display()))?,
    )
    .with_context(|| format!("reading {}", dir.join(MANIFEST).display()))?;
    if manifest.format != FORMAT {
        bail!(
            "this backup has layout {}; this Parley reads layout {FORMAT}",
            manifest.format
        );
    }
    let backend = crate::db::backup::backend_name(&settings.database);
    if manifest.backend != backend {
        bail!(
            "this is a {} backup and DATABASE_URL names a {backend} database: restore it into the same kind",
            manifest.backend
        );
    }
    if let (Some(theirs), Some(ours)) = (
        &manifest.schema,
        crate::db::newest_known_migration(&settings.database),
    ) && *theirs > ours
    {
        bail!(
            "this backup's schema ({theirs}) is newer than this Parley knows ({ours}): restore it with the version that made it"
        );
    }
    crate::db::backup::check_empty(&settings.database)?;
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("making {}", settings.data_dir.display()))?;
    // The files first and the database last: a restore stopped halfway leaves no
    // database, so it is simply run again.
    copy_tree(&dir.join("files"), &settings.data_dir.join("files"))?;
    let secret = settings.data_dir.join("secret");
    if manifest.secret && !secret.exists() {
        copy_private(&dir.join("secret"), &secret)?;
    } else if manifest.secret {
        tracing::warn!(
            "{} exists and was kept: sessions and links signed before the backup verify only with the backup's secret",
            secret.display()
        );
    }
    // Whatever index the data directory had described other data.
    let index = settings.data_dir.join("search-index");
    if index.exists() {
        std::fs::remove_dir_all(&index).with_context(|| format!("removing {}", index.display()))?;
    }
    crate::db::backup::restore(&settings.database, &dir.join(&manifest.database))?;
    Ok(manifest)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Copies every file under `from` to the same place under `to`, leaving files already
/// there (stored files are named by their content); returns how many and their bytes.
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<(u64, u64)> {
    let (mut count, mut bytes) = (0, 0);
    if !from.exists() {
        return Ok((0, 0));
    }
    let mut pending: Vec<PathBuf> = vec![from.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).with_context(|| format!("reading {}", folder.display()))? {
            let entry = entry?;
            let path = entry.path();
            let kind = entry.file_type()?;
            if kind.is_dir() {
                // Uploads being received are not stored files yet.
                if folder == from && entry.file_name() == "tmp" {
                    continue;
                }
                pending.push(path);
            } else if kind.is_file() {
                let relative = path.strip_prefix(from)?;
                let target = to.join(relative);
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                if !target.exists() {
                    // A partial copy never takes a stored file's name.
                    let partial = target.with_extension("partial");
                    std::fs::copy(&path, &partial).with_context(|| format!("copying {}", path.display()))?;
                    std::fs::rename(&partial, &target)?;
                }
                count += 1;
                bytes += entry.metadata()?.len();
            }
        }
    }
    Ok((count, bytes))
}

/// Makes the backup's folder, readable by its owner only (it holds the database).
fn make_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder
            .create(dir)
            .with_context(|| format!("making {}", dir.display()))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    #[cfg(not(unix))]
    builder
        .create(dir)
        .with_context(|| format!("making {}", dir.display()))?;
    Ok(())
}

/// Copies the secret, readable by its owner only.
fn copy_private(from: &Path, to: &Path) -> anyhow::Result<()> {
    let secret = std::fs::read_to_string(from).with_context(|| format!("reading {}", from.display()))?;
    crate::config::write_private(to, &secret).with_context(|| format!("writing {}", to.display()))
}
