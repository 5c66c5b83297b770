//! Parley's full-text index, a derived and rebuildable replica of the database.
//!
//! This crate owns everything about the index (tantivy) and knows nothing of the
//! database or of HTTP:
//!
//! - the on-disk layout: each build lives in its own versioned directory (`v<N>-<n>`)
//!   and a `CURRENT` file names the one that serves, so a rebuild runs beside the
//!   serving index and is swapped in atomically;
//! - [`schema`]: the fields of a post and how text is cut into terms;
//! - [`SearchIndex`] and its one [`Writer`], whose commits record the last change
//!   applied, and readers that reload on commit;
//! - [`query`]: search with filters, snippets and counts, suggestions, similar topics;
//!   `plan`: how a broad or misspelled query is run fast on a large index;
//! - [`related`]: threads that may answer a question, by words and, given the threads'
//!   [`Vectors`], by meaning.

mod boosts;
mod columns;
mod directory;
pub mod index;
mod plan;
pub mod query;
pub mod related;
pub mod schema;
pub mod vectors;

pub use index::{PostDoc, SMALLEST_WRITER_HEAP, SearchError, SearchIndex, Writer};
pub use query::{Hit, Match, Results, SearchQuery, Suggestion};
pub use related::{Found, Meaning, Related, shown};
pub use vectors::Vectors;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Version of the index format. Raising it makes every node rebuild at start.
pub const FORMAT_VERSION: u32 = 4;

const CURRENT_FILE: &str = "CURRENT";

/// Errors of the index layout.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    #[error("search index at {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("search index at {path}: CURRENT names '{found}', which is not a build directory")]
    BadPointer { path: PathBuf, found: String },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> LayoutError + '_ {
    move |source| LayoutError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The directory holding every build of the index.
#[derive(Debug, Clone)]
pub struct IndexLayout {
    root: PathBuf,
}

/// What the layout says about the serving index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexState {
    /// No index was ever built here.
    Missing,
    /// A build of an older (or newer) format serves; it must be rebuilt.
    Outdated { dir: PathBuf, version: u32 },
    /// A build of this format serves.
    Current { dir: PathBuf },
}

impl IndexLayout {
    /// The layout under `root` (for example `data/search-index`).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Reads `CURRENT` and says whether the serving build can be used as it is.
    pub fn state(&self) -> Result<IndexState, LayoutError> {
        let pointer = self.root.join(CURRENT_FILE);
        let name = match fs::read_to_string(&pointer) {
            Ok(s) => s.trim().to_string(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(IndexState::Missing),
            Err(e) => return Err(io_err(&pointer)(e)),
        };
        let version = parse_build_name(&name).ok_or_else(|| LayoutError::BadPointer {
            path: pointer.clone(),
            found: name.clone(),
        })?;
        let dir = self.root.join(&name);
        if !dir.is_dir() {
            return Ok(IndexState::Missing);
        }
        Ok(if version == FORMAT_VERSION {
            IndexState::Current { dir }
        } else {
            IndexState::Outdated { dir, version }
        })
    }

    /// Makes a fresh, empty directory for a new build of the current format.
    pub fn new_build_dir(&self) -> Result<PathBuf, LayoutError> {
        fs::create_dir_all(&self.root).map_err(io_err(&self.root))?;
        for n in 0u32.. {
            let dir = self.root.join(format!("v{FORMAT_VERSION}-{n}"));
            match fs::create_dir(&dir) {
                Ok(()) => return Ok(dir),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io_err(&dir)(e)),
            }
        }
        Err(io_err(&self.root)(io::Error::other(
            "no free build directory name",
        )))
    }

    /// Makes `build` the serving index: `CURRENT` is replaced by a rename, so a reader
    /// sees the old build or the new one, never a half-written pointer.
    pub fn promote(&self, build: &Path) -> Result<(), LayoutError> {
        let name = build
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| parse_build_name(n).is_some() && build.parent() == Some(self.root.as_path()))
            .ok_or_else(|| LayoutError::BadPointer {
                path: self.root.join(CURRENT_FILE),
                found: build.display().to_string(),
            })?;
        let tmp = self.root.join(format!("{CURRENT_FILE}.tmp"));
        let mut file = fs::File::create(&tmp).map_err(io_err(&tmp))?;
        file.write_all(name.as_bytes()).map_err(io_err(&tmp))?;
        file.sync_all().map_err(io_err(&tmp))?;
        fs::rename(&tmp, self.root.join(CURRENT_FILE)).map_err(io_err(&self.root))
    }

    /// Removes every build directory except the serving one.
    pub fn remove_stale(&self) -> Result<usize, LayoutError> {
        let serving = match self.state()? {
            IndexState::Current { dir } | IndexState::Outdated { dir, .. } => Some(dir),
            IndexState::Missing => None,
        };
        let mut removed = 0;
        for entry in fs::read_dir(&self.root).map_err(io_err(&self.root))? {
            let path = entry.map_err(io_err(&self.root))?.path();
            let is_build = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| parse_build_name(n).is_some());
            if is_build && path.is_dir() && Some(&path) != serving.as_ref() {
                fs::remove_dir_all(&path).map_err(io_err(&path))?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// `v3-0` -> 3.
fn parse_build_name(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('v')?;
    let (version, seq) = rest.split_once('-')?;
    seq.parse::<u32>().ok()?;
    version.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_then_built_then_promoted() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let layout = IndexLayout::new(tmp.path().join("search-index"));
        assert_eq!(layout.state().expect("state"), IndexState::Missing);
        let first = layout.new_build_dir().expect("build dir");
        layout.promote(&first).expect("promote");
        assert_eq!(
            layout.state().expect("state"),
            IndexState::Current { dir: first.clone() }
        );
        let second = layout.new_build_dir().expect("second");
        assert_ne!(first, second);
        layout.promote(&second).expect("promote");
        assert_eq!(layout.remove_stale().expect("clean"), 1);
        assert!(!first.exists() && second.exists());
    }

    #[test]
    fn an_older_format_must_be_rebuilt() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let layout = IndexLayout::new(tmp.path());
        let old = tmp.path().join("v0-0");
        fs::create_dir(&old).expect("mkdir");
        fs::write(tmp.path().join(CURRENT_FILE), "v0-0").expect("write");
        assert_eq!(
            layout.state().expect("state"),
            IndexState::Outdated { dir: old, version: 0 }
        );
    }

    #[test]
    fn a_corrupt_pointer_is_an_error_not_a_panic() {
        let tmp = tempfile::tempdir().expect("tempdir");
        fs::write(tmp.path().join(CURRENT_FILE), "../../etc").expect("write");
        let layout = IndexLayout::new(tmp.path());
        assert!(matches!(layout.state(), Err(LayoutError::BadPointer { .. })));
        assert!(layout.promote(Path::new("/etc")).is_err());
    }
}
