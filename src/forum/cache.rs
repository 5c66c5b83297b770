//! Topic pages kept in memory between requests.
//!
//! A topic page is the same for every reader but for a few parts: the reader's votes,
//! which buttons they get and the CSRF token in each form. So the cache holds three
//! things, all keyed by the topic's `revision` (a counter every change to the topic
//! or its posts bumps in its own transaction, see [`super::touch`]):
//!
//! - the page's data as loaded from the database (topic, posts, authors, downloads),
//!   one entry per topic, page and kind of reader (staff see hidden posts);
//! - each post rendered to HTML, one entry per post and combination of the reader's
//!   buttons, with a placeholder where the CSRF token goes;
//! - the page's body around the replies, one entry per kind of reader (staff or not,
//!   may reply, verified, voted for the idea, buttons on the opening post and accepted
//!   answer), also with CSRF placeholders. Only the layout around it (the header with
//!   the reader's name) is rendered per request.
//!
//! A request reads the topic's revision (one indexed lookup), and on a hit only the
//! reader's own votes. Because the revision lives in the database, a change made on
//! another node is seen at once; entries also expire after [`MAX_AGE`], which bounds
//! how long a renamed author's old name (or, in a staff body, a renamed category in
//! the move menu, and the similar topics) can show.
//!
//! Before that, the page as last built for the same reader is reused while nothing was
//! written since (`Db::writes`, which counts this node's writes and, within
//! `db::watch::EVERY`, another node's) and for at most [`READER_MAX_AGE`]: a reader
//! paging back and forth, or a topic many readers keep open, costs no query at all. On
//! PostgreSQL the two lookups were a round trip per page view, and with 64 readers at
//! once the pool's connections were what pages waited for.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use quick_cache::Weighter;
use quick_cache::sync::Cache;

use super::views::{PostView, TopicCard};
use crate::db::models::Download;

/// How long an entry serves before it is loaded again, changed or not.
pub const MAX_AGE: Duration = Duration::from_secs(60);

/// How long a reader's built page is reused when nothing is written: the same bound as
/// a kept list's, one rule for every page kept per reader.
pub const READER_MAX_AGE: Duration = crate::web::kept::MAX_AGE;

/// Readers' built pages kept at most (a few kilobytes each: the shared data is not
/// copied).
const READERS: usize = 4096;

/// A reader's built page, the write count it was built at, and when.
type KeptReader = (Arc<super::reading::ReaderPage>, u64, Instant);

/// A reader's page: the topic, the page asked for, and who reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReaderKey {
    pub topic_id: i64,
    pub page: i64,
    pub user_id: i64,
    pub staff: bool,
    pub can_post: bool,
}

/// Stands for the CSRF token in cached post HTML; replaced per request.
pub const CSRF_PLACEHOLDER: &str = "PARLEYCSRFTOKENPLACEHOLDER";

/// A topic page's data, the same for every reader of one kind.
#[derive(Debug)]
pub struct PageData {
    pub revision: i64,
    /// Unique to this load: rendered posts are keyed by it, so they expire with it.
    pub generation: u64,
    pub loaded_at: Instant,
    pub topic: TopicCard,
    /// The topic's author, who may accept answers.
    pub topic_user_id: i64,
    /// The author's organization, whose authorized contacts may escalate a question.
    pub topic_user_org: Option<i64>,
    pub locked: bool,
    pub deleted: bool,
    pub accepted_post_id: Option<i64>,
    pub is_question: bool,
    /// Every post on the page, the opening post and the accepted answer included,
    /// with the reader's parts left empty; each beside its author's id.
    pub posts: Vec<(PostView, i64)>,
    pub first: i64,
    pub last: i64,
    pub page: i64,
    pub pages: i64,
    pub idea: Option<super::ideas::IdeaView>,
    pub downloads: Vec<Download>,
    /// The ticket a question was escalated to (escalating bumps the revision).
    pub escalated_ticket: Option<i64>,
    /// Links to other topics (duplicates, releases, articles), both ways.
    pub links: Vec<crate::portal::links::LinkView>,
}

/// Which page of which topic, for which kind of reader.
pub type PageKey = (i64, i64, bool);

/// One post as one kind of reader sees it: post id, the [`PageData::generation`] it
/// came from, the reader's buttons as bits, and the label shown beside it.
pub type FragmentKey = (i64, u64, u8, u8);

/// A topic page's body for one kind of reader: the [`PageData::generation`], whether
/// the reader is staff, may reply, has a verified address and voted for the idea, and
/// the reader's buttons on the opening post and on the accepted answer, and whether
/// the reader may escalate the question.
pub type BodyKey = (u64, bool, bool, bool, bool, u8, u8, bool);

/// A rendered topic body, cut where the replies go.
#[derive(Debug)]
pub struct Body {
    pub before: Fragment,
    pub after: Fragment,
}

impl Body {
    /// Cuts rendered HTML at `at`, where the replies go.
    pub fn new(html: &str, at: usize) -> Self {
        Self {
            before: Fragment::new(&html[..at]),
            after: Fragment::new(&html[at..]),
        }
    }
}

#[derive(Clone)]
struct Bytes;

impl Weighter<BodyKey, Arc<Body>> for Bytes {
    fn weight(&self, _: &BodyKey, b: &Arc<Body>) -> u64 {
        (b.before.html.len() + b.after.html.len()) as u64 + 128
    }
}

impl Weighter<PageKey, Arc<PageData>> for Bytes {
    fn weight(&self, _: &PageKey, page: &Arc<PageData>) -> u64 {
        let posts: usize = page.posts.iter().map(|(p, _)| p.html.as_str().len() + 256).sum();
        (posts + 1024) as u64
    }
}

impl Weighter<FragmentKey, Arc<Fragment>> for Bytes {
    fn weight(&self, _: &FragmentKey, f: &Arc<Fragment>) -> u64 {
        (f.html.len() + f.holes.len() * 8) as u64 + 64
    }
}

/// A rendered post with the CSRF token cut out: the places where it goes are kept, so
/// that filling it in per request is a copy, not a search.
#[derive(Debug)]
pub struct Fragment {
    html: String,
    holes: Vec<usize>,
}

impl Fragment {
    /// Cuts [`CSRF_PLACEHOLDER`] out of rendered HTML.
    pub fn new(rendered: &str) -> Self {
        let mut html = String::with_capacity(rendered.len());
        let mut holes = Vec::new();
        let mut rest = rendered;
        while let Some(at) = rest.find(CSRF_PLACEHOLDER) {
            html.push_str(&rest[..at]);
            holes.push(html.len());
            rest = &rest[at + CSRF_PLACEHOLDER.len()..];
        }
        html.push_str(rest);
        Self { html, holes }
    }

    /// Bytes once filled in with a token of `token_len`.
    pub fn len_with(&self, token_len: usize) -> usize {
        self.html.len() + self.holes.len() * token_len
    }

    /// Appends the HTML with `token` in every form.
    pub fn write(&self, token: &str, out: &mut String) {
        let mut from = 0;
        for &hole in &self.holes {
            out.push_str(&self.html[from..hole]);
            out.push_str(token);
            from = hole;
        }
        out.push_str(&self.html[from..]);
    }
}

/// The two caches; off when given no memory.
pub struct TopicCache {
    pages: Option<Cache<PageKey, Arc<PageData>, Bytes>>,
    fragments: Option<Cache<FragmentKey, Arc<Fragment>, Bytes>>,
    bodies: Option<Cache<BodyKey, Arc<Body>, Bytes>>,
    /// Each reader's page as last built, with the write count it was built at.
    readers: Option<Cache<ReaderKey, KeptReader>>,
}

impl std::fmt::Debug for TopicCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TopicCache")
            .field("pages", &self.pages.as_ref().map(|c| c.len()))
            .field("fragments", &self.fragments.as_ref().map(|c| c.len()))
            .finish()
    }
}

impl TopicCache {
    /// Shares `bytes` between page data and rendered posts.
    pub fn new(bytes: u64) -> Self {
        if bytes == 0 {
            return Self {
                pages: None,
                fragments: None,
                bodies: None,
                readers: None,
            };
        }
        let third = bytes / 3;
        // quick_cache sizes its tables from an estimate of the number of entries.
        Self {
            pages: Some(Cache::with_weighter(
                (third / 65536).max(16) as usize,
                third,
                Bytes,
            )),
            fragments: Some(Cache::with_weighter(
                (third / 2048).max(64) as usize,
                third,
                Bytes,
            )),
            bodies: Some(Cache::with_weighter(
                (third / 16384).max(16) as usize,
                third,
                Bytes,
            )),
            readers: Some(Cache::new(READERS)),
        }
    }

    /// The reader's page built at `writes`, if no older than [`READER_MAX_AGE`].
    pub fn reader(&self, key: &ReaderKey, writes: u64) -> Option<super::reading::ReaderPage> {
        self.readers
            .as_ref()?
            .get(key)
            .filter(|(_, at_writes, at)| *at_writes == writes && at.elapsed() < READER_MAX_AGE)
            .map(|(page, _, _)| page.as_ref().clone())
    }

    /// Keeps the reader's page as built when the write count was `writes`.
    pub fn keep_reader(&self, key: ReaderKey, writes: u64, page: &super::reading::ReaderPage) {
        if let Some(readers) = &self.readers {
            readers.insert(key, (Arc::new(page.clone()), writes, Instant::now()));
        }
    }

    /// The page's data if it was loaded at this revision and is not too old.
    pub fn page(&self, key: PageKey, revision: i64) -> Option<Arc<PageData>> {
        self.pages
            .as_ref()?
            .get(&key)
            .filter(|p| p.revision == revision && p.loaded_at.elapsed() < MAX_AGE)
    }

    pub fn keep_page(&self, key: PageKey, data: Arc<PageData>) {
        if let Some(pages) = &self.pages {
            pages.insert(key, data);
        }
    }

    /// A rendered post, or renders it with `render` and keeps it.
    pub fn fragment<E>(
        &self,
        key: FragmentKey,
        render: impl FnOnce() -> Result<String, E>,
    ) -> Result<Arc<Fragment>, E> {
        if let Some(html) = self.fragments.as_ref().and_then(|f| f.get(&key)) {
            return Ok(html);
        }
        let html = Arc::new(Fragment::new(&render()?));
        if let Some(fragments) = &self.fragments {
            fragments.insert(key, html.clone());
        }
        Ok(html)
    }
}

impl TopicCache {
    /// A rendered body kept for this kind of reader.
    pub fn body(&self, key: &BodyKey) -> Option<Arc<Body>> {
        self.bodies.as_ref()?.get(key)
    }

    pub fn keep_body(&self, key: BodyKey, body: Arc<Body>) {
        if let Some(bodies) = &self.bodies {
            bodies.insert(key, body);
        }
    }
}

/// A number no other [`PageData`] of this process has.
pub fn next_generation() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The reader's buttons on a post, as the bits of a [`FragmentKey`].
pub fn reader_bits(p: &super::reading::Mine, staff: bool) -> u8 {
    (p.can_vote as u8)
        | (p.can_accept as u8) << 1
        | (p.can_edit as u8) << 2
        | (staff as u8) << 3
        | (p.can_delete as u8) << 6
        | (p.can_flag as u8) << 7
        | match p.my_vote {
            1 => 1 << 4,
            -1 => 1 << 5,
            _ => 0,
        }
}
