//! Building an index from the database: a keyset scan over every post, beside the
//! serving index, then an atomic swap (`parley reindex`, and at start when the index is
//! missing, unreadable or of an older format).

use std::path::PathBuf;
use std::time::Instant;

use diesel::prelude::*;
use search_index::{IndexLayout, SearchIndex};

use super::docs::{self, Which};
use crate::db::Db;
use crate::db::schema::{posts, search_outbox};

/// Posts read per batch.
const BATCH: i64 = 2000;
/// Memory the writer buffers before it writes a segment.
pub const WRITER_HEAP: usize = 128 << 20;

/// What a rebuild did.
#[derive(Debug)]
pub struct Rebuilt {
    pub dir: PathBuf,
    pub index: SearchIndex,
    pub posts: u64,
    pub seconds: f64,
    pub bytes: u64,
}

/// Builds a new index in a fresh build directory and makes it the serving one.
/// `progress` is told the number of posts to scan, then each batch scanned.
pub fn rebuild(db: &Db, layout: &IndexLayout, progress: &dyn Fn(Progress)) -> anyhow::Result<Rebuilt> {
    let started = Instant::now();
    let mut conn = db.get_read()?;
    // Changes after this mark are applied by the indexer once the new index serves;
    // applying one twice is harmless.
    let mark: i64 = search_outbox::table
        .select(diesel::dsl::max(search_outbox::id))
        .first::<Option<i64>>(&mut *conn)?
        .unwrap_or(0);
    // Progress is told in post ids: the scan goes up to the highest.
    let highest: Option<i64> = posts::table
        .select(diesel::dsl::max(posts::id))
        .first(&mut *conn)?;
    progress(Progress::Total(highest.unwrap_or(0).max(0) as u64));
    let dir = layout.new_build_dir()?;
    // A build that fails (a full disk, the database away) leaves nothing behind.
    let built = build_into(&mut conn, &dir, mark, progress);
    if built.is_err() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let (index, indexed) = built?;
    layout.promote(&dir)?;
    let bytes = dir_size(&dir);
    Ok(Rebuilt {
        dir,
        index,
        posts: indexed,
        seconds: started.elapsed().as_secs_f64(),
        bytes,
    })
}

/// Writes every post into a new index in `dir`, committed with the outbox id `mark`.
fn build_into(
    conn: &mut crate::db::AnyConnection,
    dir: &std::path::Path,
    mark: i64,
    progress: &dyn Fn(Progress),
) -> anyhow::Result<(SearchIndex, u64)> {
    let index = SearchIndex::open(dir)?;
    let mut writer = index.writer(WRITER_HEAP)?;
    let mut after = 0;
    let mut indexed = 0u64;
    loop {
        let (batch, last) =
            docs::load(conn, Which::After { after, limit: BATCH }).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let Some(last) = last else { break };
        for doc in &batch {
            writer.add(doc)?;
        }
        indexed += batch.len() as u64;
        progress(Progress::At(last.max(0) as u64));
        after = last;
    }
    writer.commit(mark)?;
    writer.finish()?;
    index.reload()?;
    Ok((index, indexed))
}

/// What a rebuild reports as it goes, in post ids.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    /// The highest post id: where the scan ends.
    Total(u64),
    /// Every post up to this id is done.
    At(u64),
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}
