//! Page bodies kept between requests: the lists every visit passes through (the
//! category index, a topic list, the ticket lists, the dashboard) are the same for
//! every reader of one kind until something is written, so their body is rendered once
//! and kept, and only the layout around it (the header with the reader's name) is
//! rendered per request ([`PageCtx::render_around`]).
//!
//! A kept body's template begins with the page's title and what goes in its `<head>`,
//! each ended by a mark ([`TITLE_MARK`], [`HEAD_MARK`]), so that one layout
//! (`kept.html`) serves every such page.
//!
//! A kept body is current while [`Db::writes`] has not moved since it was loaded: any
//! write transaction of this node moves it at once, and one of another node within
//! `db::watch::EVERY`. A body also expires after [`MAX_AGE`], which bounds how long a
//! "3 minutes ago" stays as rendered (the browser keeps those current) and a change
//! that no write of this site made (none is known) could show. Forms in a kept body
//! carry the CSRF placeholder, filled with the reader's token per request.

use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::Weighter;
use quick_cache::sync::Cache;

use crate::db::Db;
use crate::error::AppError;
use crate::forum::cache::{CSRF_PLACEHOLDER, Fragment};
use crate::web::page::PageCtx;

/// How long a body serves at most, nothing written or not.
pub const MAX_AGE: Duration = Duration::from_secs(10);

/// Marks where a kept body goes in its layout.
pub const BODY_MARK: &str = "<!--parley:kept-body-->";

/// Ends the title a kept body's template begins with.
pub const TITLE_MARK: &str = "<!--parley:title-->";

/// Ends what a kept body's template puts in the page's `<head>`, after its title.
pub const HEAD_MARK: &str = "<!--parley:head-->";

/// A rendered page's title, head and body, with the write count it was loaded at.
#[derive(Debug)]
pub struct Kept {
    writes: u64,
    at: Instant,
    /// Escaped already.
    title: String,
    head: String,
    body: Fragment,
}

impl Kept {
    fn new(writes: u64, rendered: &str) -> Self {
        let (title, rest) = rendered.split_once(TITLE_MARK).unwrap_or(("", rendered));
        let (head, body) = rest.split_once(HEAD_MARK).unwrap_or(("", rest));
        Self {
            writes,
            at: Instant::now(),
            title: title.trim().to_string(),
            head: head.trim().to_string(),
            body: Fragment::new(body),
        }
    }
}

/// What the layout gets.
#[derive(serde::Serialize)]
struct Layout<'a> {
    kept_title: &'a str,
    kept_head: &'a str,
    body_mark: &'static str,
}

#[derive(Clone)]
struct Bytes;

impl Weighter<String, Arc<Kept>> for Bytes {
    fn weight(&self, key: &String, kept: &Arc<Kept>) -> u64 {
        (key.len() + kept.title.len() + kept.head.len() + kept.body.len_with(0)) as u64 + 128
    }
}

/// Locks that make one request render a missing body while the others asking for it
/// wait and take it (a key's lock is one of these, by its hash).
const RENDER_LOCKS: usize = 32;

/// The kept bodies; off when given no memory.
pub struct KeptPages {
    cache: Option<Cache<String, Arc<Kept>, Bytes>>,
    rendering: crate::db::Turns,
}

impl std::fmt::Debug for KeptPages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeptPages")
            .field("entries", &self.cache.as_ref().map(|c| c.len()))
            .finish()
    }
}

impl KeptPages {
    /// Keeps at most `bytes` of bodies, the least used leaving first.
    pub fn new(bytes: u64) -> Self {
        Self {
            cache: (bytes > 0).then(|| Cache::with_weighter((bytes / 16384).max(16) as usize, bytes, Bytes)),
            rendering: crate::db::Turns::new(RENDER_LOCKS),
        }
    }

    /// The body kept under `key` while nothing was written since, else `render`'s
    /// (rendered with the CSRF placeholder for the token), kept. The write count is
    /// read before rendering: a write that lands meanwhile makes the new body stale.
    pub async fn body<F, Fut>(&self, db: &Db, key: String, render: F) -> Result<Arc<Kept>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<String, AppError>>,
    {
        let Some(cache) = &self.cache else {
            return Ok(Arc::new(Kept::new(db.writes(), &render().await?)));
        };
        let current = |writes: u64| {
            cache
                .get(&key)
                .filter(|kept| kept.writes == writes && kept.at.elapsed() < MAX_AGE)
        };
        if let Some(kept) = current(db.writes()) {
            return Ok(kept);
        }
        // When many readers miss at once (after a write), one renders and the others
        // wait for it rather than each rendering the same body.
        let _turn = self.rendering.take(&key).await;
        let writes = db.writes();
        if let Some(kept) = current(writes) {
            return Ok(kept);
        }
        let kept = Arc::new(Kept::new(writes, &render().await?));
        cache.insert(key, kept.clone());
        Ok(kept)
    }
}

impl PageCtx {
    /// Renders a kept page: the layout (`kept.html`, the reader's header) around
    /// `kept`'s title, head and body, the body with this reader's CSRF token.
    pub fn render_kept(&self, kept: &Kept) -> Result<actix_web::HttpResponse, AppError> {
        let layout = self.render_string(
            "kept.html",
            &Layout {
                kept_title: &kept.title,
                kept_head: &kept.head,
                body_mark: BODY_MARK,
            },
        )?;
        let (head, foot) = layout.split_once(BODY_MARK).unwrap_or((&layout, ""));
        let token = &self.csrf_token;
        let mut html = String::with_capacity(head.len() + foot.len() + kept.body.len_with(token.len()));
        html.push_str(head);
        kept.body.write(token, &mut html);
        html.push_str(foot);
        Ok(crate::web::page::html_response(
            actix_web::http::StatusCode::OK,
            html,
        ))
    }

    /// Renders a kept page's template with the CSRF placeholder in its forms.
    pub fn render_kept_body(&self, template: &str, view: &impl serde::Serialize) -> Result<String, AppError> {
        self.render_string_with_token(template, view, CSRF_PLACEHOLDER)
    }
}
