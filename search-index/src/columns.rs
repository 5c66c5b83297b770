//! A stored number of many documents, read through a searcher.
//!
//! Opening a fast-field column reads its index of blocks (for a segment of a million
//! posts, thousands of them), which costs far more than reading one value. A query that
//! reads a value of each of its 200 best posts opened the column for each: at
//! 1,000,000 posts that was a quarter of the server's time under suggestions. A
//! [`Columns`] opens each segment's column once, when first needed, for one query.

use tantivy::columnar::Column;
use tantivy::fastfield::FastFieldReaders;
use tantivy::{DocAddress, Searcher};

/// How a column of values `T` is opened.
type Open<T> = fn(&FastFieldReaders, &str) -> tantivy::Result<Column<T>>;

/// The column `name` of every segment of a searcher, opened at first use.
pub(crate) struct Columns<'s, T: PartialOrd + Copy + std::fmt::Debug + Send + Sync + 'static> {
    searcher: &'s Searcher,
    name: &'static str,
    open: Open<T>,
    segments: Vec<Option<Column<T>>>,
}

impl<'s> Columns<'s, u64> {
    pub(crate) fn u64(searcher: &'s Searcher, name: &'static str) -> Self {
        Self::new(searcher, name, |ff, name| ff.u64(name))
    }
}

impl<'s> Columns<'s, i64> {
    pub(crate) fn i64(searcher: &'s Searcher, name: &'static str) -> Self {
        Self::new(searcher, name, |ff, name| ff.i64(name))
    }
}

impl<'s, T: PartialOrd + Copy + std::fmt::Debug + Send + Sync + 'static> Columns<'s, T> {
    fn new(searcher: &'s Searcher, name: &'static str, open: Open<T>) -> Self {
        Self {
            searcher,
            name,
            open,
            segments: vec![None; searcher.segment_readers().len()],
        }
    }

    /// The first value of the document at `addr`, if it has one.
    pub(crate) fn first(&mut self, addr: DocAddress) -> tantivy::Result<Option<T>> {
        let ord = addr.segment_ord as usize;
        if ord >= self.segments.len() {
            return Ok(None);
        }
        if self.segments[ord].is_none() {
            let ff = self.searcher.segment_reader(addr.segment_ord).fast_fields();
            self.segments[ord] = Some((self.open)(ff, self.name)?);
        }
        Ok(self.segments[ord].as_ref().and_then(|c| c.first(addr.doc_id)))
    }
}
