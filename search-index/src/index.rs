//! Opening an index, its one writer, and the readers that reload on commit.

use std::path::Path;

use tantivy::directory::error::LockError;
use tantivy::schema::Term;
use tantivy::{DateTime, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, TantivyError};

use crate::schema::{self, CODES, EXACT, Fields, STEMMED};

/// Errors of the index.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// Another process (or task) holds the writer of this index.
    #[error("another process is writing this search index")]
    Locked,
    #[error("search index: {0}")]
    Tantivy(#[from] TantivyError),
    #[error("search index: {0}")]
    Layout(#[from] crate::LayoutError),
}

/// One post as the index sees it: what the database says, in plain text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PostDoc {
    pub post_id: u64,
    pub topic_id: u64,
    pub number: u64,
    /// questions, releases, ideas or knowledge.
    pub kind: String,
    /// The slug of the topic's category.
    pub category: String,
    pub product: Option<String>,
    pub tags: Vec<String>,
    pub title: String,
    pub slug: String,
    /// The post's text, markdown stripped.
    pub body: String,
    pub author: String,
    pub author_name: String,
    /// Seconds since the Unix epoch.
    pub created_at: i64,
    pub votes: i64,
    pub solved: bool,
    pub accepted: bool,
    pub official: bool,
    pub status: Option<String>,
}

/// Decompressed blocks of stored posts kept per segment (16 KB or more each), the last
/// read. A page reads 20 posts from anywhere in the store, so few reads find their block
/// kept whatever the number; 1,000 held 68 MiB of the server's memory at 1,000,000
/// posts, 100 (tantivy's default) a tenth of that (BENCHMARKS.md).
const STORE_BLOCKS_KEPT: usize = 100;

/// An open index: the schema's fields and a reader that follows commits.
#[derive(Clone)]
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating an empty one if the directory is empty.
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        let (schema, fields) = schema::build();
        let files = crate::directory::Files::open(dir)?;
        let index = Index::open_or_create(files, schema)?;
        // A query walks the segments on the thread that asked it: with a thread pool
        // for the segments, one search at a time was no faster at 1,000,000 posts, and
        // under many its time went to waking the pool and was not counted as the
        // query's (`parley_search_cpu_seconds_total`; BENCHMARKS.md).
        index.tokenizers().register(STEMMED, schema::stemmed());
        index.tokenizers().register(EXACT, schema::exact());
        index.tokenizers().register(CODES, schema::codes());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .doc_store_cache_num_blocks(STORE_BLOCKS_KEPT)
            .try_into()?;
        Ok(Self {
            index,
            reader,
            fields,
        })
    }

    /// Checks that every file the index names is there and readable.
    pub fn validate(&self) -> Result<(), SearchError> {
        let searcher = self.reader.searcher();
        for segment in searcher.segment_readers() {
            segment.get_store_reader(1).map_err(TantivyError::from)?;
        }
        Ok(())
    }

    /// The one writer of this index, or [`SearchError::Locked`] when another process
    /// has it. `heap_bytes` (at least [`SMALLEST_WRITER_HEAP`]) bounds the memory it
    /// buffers before writing a segment.
    pub fn writer(&self, heap_bytes: usize) -> Result<Writer, SearchError> {
        match self
            .index
            .writer_with_num_threads(1, heap_bytes.max(SMALLEST_WRITER_HEAP))
        {
            Ok(w) => Ok(Writer {
                inner: w,
                fields: self.fields.clone(),
                reader: self.reader.clone(),
            }),
            Err(TantivyError::LockFailure(LockError::LockBusy, _)) => Err(SearchError::Locked),
            Err(e) => Err(e.into()),
        }
    }

    /// The last change applied, as recorded with the latest commit.
    pub fn applied(&self) -> Result<Option<i64>, SearchError> {
        let metas = self.index.load_metas()?;
        Ok(metas.payload.and_then(|p| p.trim().parse().ok()))
    }

    /// Reloads the reader now rather than when it notices the commit.
    pub fn reload(&self) -> Result<(), SearchError> {
        Ok(self.reader.reload()?)
    }

    /// Documents in the index.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub(crate) fn reader(&self) -> &IndexReader {
        &self.reader
    }

    pub(crate) fn fields(&self) -> &Fields {
        &self.fields
    }
}

/// The least memory a writer buffers in (tantivy refuses less).
pub const SMALLEST_WRITER_HEAP: usize = 15_000_000;

/// The one writer of an index.
pub struct Writer {
    inner: IndexWriter,
    fields: Fields,
    reader: IndexReader,
}

impl Writer {
    /// Adds a post not in the index (a rebuild, or after `delete_post` or
    /// `delete_topic` took out its old version, as the indexer does).
    pub fn add(&mut self, post: &PostDoc) -> Result<(), SearchError> {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.post_id, post.post_id);
        doc.add_u64(f.topic_id, post.topic_id);
        doc.add_u64(f.number, post.number);
        doc.add_u64(f.opening, u64::from(post.number == 1));
        doc.add_text(f.kind, &post.kind);
        doc.add_text(f.category, &post.category);
        if let Some(p) = &post.product {
            doc.add_text(f.product, p.to_lowercase());
        }
        for tag in &post.tags {
            doc.add_text(f.tags, tag.to_lowercase());
        }
        if post.number == 1 {
            doc.add_text(f.title, &post.title);
            doc.add_text(f.title_exact, &post.title);
        }
        doc.add_text(f.topic_title, &post.title);
        doc.add_text(f.slug, &post.slug);
        doc.add_text(f.body, &post.body);
        doc.add_text(f.body_exact, &post.body);
        if post.number == 1 || post.accepted {
            doc.add_text(f.thread_body, &post.body);
            doc.add_text(f.thread_body_exact, &post.body);
        }
        doc.add_text(f.author, post.author.to_lowercase());
        doc.add_text(f.author_name, &post.author_name);
        doc.add_date(f.created_at, DateTime::from_timestamp_secs(post.created_at));
        doc.add_i64(f.votes, post.votes);
        doc.add_u64(f.solved, u64::from(post.solved));
        doc.add_u64(f.accepted, u64::from(post.accepted));
        doc.add_u64(f.official, u64::from(post.official));
        doc.add_u64(f.bucket, post.post_id % schema::BUCKETS);
        if let Some(s) = &post.status {
            doc.add_text(f.status, s);
        }
        self.inner.add_document(doc)?;
        Ok(())
    }

    /// Removes a post.
    pub fn delete_post(&mut self, post_id: u64) {
        self.inner
            .delete_term(Term::from_field_u64(self.fields.post_id, post_id));
    }

    /// Removes every post of a topic.
    pub fn delete_topic(&mut self, topic_id: u64) {
        self.inner
            .delete_term(Term::from_field_u64(self.fields.topic_id, topic_id));
    }

    /// Removes everything (a rebuild in place).
    pub fn clear(&mut self) -> Result<(), SearchError> {
        self.inner.delete_all_documents()?;
        Ok(())
    }

    /// Makes every change so far durable and visible, recording `applied` (the last
    /// change applied) with it, so that a restart resumes right after it.
    pub fn commit(&mut self, applied: i64) -> Result<(), SearchError> {
        let mut prepared = self.inner.prepare_commit()?;
        prepared.set_payload(&applied.to_string());
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Waits for background merges, then releases the writer lock.
    pub fn finish(self) -> Result<(), SearchError> {
        self.inner.wait_merging_threads()?;
        Ok(())
    }
}
