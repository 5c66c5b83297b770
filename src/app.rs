//! The application state: the infrastructure every request and every background job
//! shares (database, settings, templates, keys, mailer, caches, the search index),
//! built once at start. The HTTP server is in `server.rs`, the background jobs in
//! `jobs.rs`.

use crate::accounts::domains::DomainLists;
use crate::config::Settings;
use crate::db::Db;
use crate::keys::Keys;
use crate::mail::Mailer;
use crate::web::rate_limit::Limiter;
use crate::web::templates::Templates;

/// Everything a request may need, built once at start and shared by every worker.
#[derive(Debug)]
pub struct AppState {
    pub settings: Settings,
    pub db: Db,
    pub templates: std::sync::Arc<Templates>,
    pub keys: Keys,
    pub limiter: Limiter,
    pub mailer: Mailer,
    pub domain_lists: DomainLists,
    pub files: crate::files::FileStore,
    /// Topic pages kept between requests (see `forum::cache`).
    pub topic_cache: std::sync::Arc<crate::forum::cache::TopicCache>,
    /// List pages' bodies kept between requests (see `web::kept`).
    pub kept: std::sync::Arc<crate::web::kept::KeptPages>,
    /// The search index and its indexer.
    pub search: std::sync::Arc<crate::search::Search>,
    /// Signed-in users read in the last second (see `web::session`).
    pub sessions: crate::web::sessions::Sessions,
    /// The category index with counts and latest topics, read at most every second.
    pub category_index: crate::forum::categories::CategoryIndex,
    /// The navigation's links (documentation), read at most once a second.
    pub site_links: crate::forum::communities::SiteLinksMemo,
    /// This process's name among the nodes, in which it claims mail to send.
    pub node: crate::node::Node,
    /// Requests refused because a dependency is away, logged once a minute.
    pub unavailable: crate::error::LogThrottle,
    /// Whether the data directory (and SQLite's folder) takes writes.
    pub disk: std::sync::Arc<crate::disk::DiskCheck>,
    /// What building mail needs: the templates, the site's address, the keys.
    pub mailing: crate::mail::MailContext,
    /// Sends mail a person waits for at once (see [`crate::outbox::Postman`]).
    pub postman: crate::outbox::Postman,
    /// Topic views counted on this node, written every few seconds.
    pub views: std::sync::Arc<crate::forum::counting::ViewCounter>,
}

impl AppState {
    /// Builds the state from checked settings (with the secret resolved) and an open
    /// database.
    pub fn new(settings: Settings, db: Db) -> anyhow::Result<Self> {
        let templates = std::sync::Arc::new(Templates::load()?);
        let keys = Keys::new(&settings.secret);
        let mailer = Mailer::from_settings(&settings)?;
        let node = crate::node::Node::claim(&settings.data_dir);
        Ok(Self {
            postman: crate::outbox::Postman {
                db: db.clone(),
                mailer: mailer.clone(),
                claims: settings.send_mail.then(|| node.claims()),
            },
            mailing: crate::mail::MailContext {
                templates: templates.clone(),
                base_url: settings.base_url.clone(),
                keys: keys.clone(),
            },
            templates,
            keys,
            limiter: Limiter::for_site(&settings.rate_limits, &db),
            mailer,
            domain_lists: DomainLists::load(),
            files: crate::files::FileStore::for_site(&settings.data_dir, &db),
            // Lists are few and small beside topic pages: an eighth of the memory.
            topic_cache: std::sync::Arc::new(crate::forum::cache::TopicCache::new(
                settings.page_cache_bytes - settings.page_cache_bytes / 8,
            )),
            kept: std::sync::Arc::new(crate::web::kept::KeptPages::new(settings.page_cache_bytes / 8)),
            search: std::sync::Arc::new(crate::search::Search::new(
                &settings.data_dir,
                settings.embedding_model.clone(),
            )),
            sessions: Default::default(),
            views: Default::default(),
            category_index: crate::db::Memo::new(std::time::Duration::from_secs(1)),
            site_links: crate::db::Memo::timed(std::time::Duration::from_secs(1)),
            node,
            unavailable: crate::error::LogThrottle::new(std::time::Duration::from_secs(60)),
            disk: std::sync::Arc::new(crate::disk::DiskCheck::new(
                &settings.data_dir,
                &settings.database,
            )),
            db,
            settings,
        })
    }
}

/// Applies pending migrations and makes the data every Parley needs (the four root
/// categories); returns the migrations applied. Run at every start.
pub fn prepare(db: &Db) -> anyhow::Result<Vec<String>> {
    let applied = db.migrate()?;
    let mut conn = db.get_write()?;
    crate::forum::categories::seed(&mut conn).map_err(|e| anyhow::anyhow!("making the categories: {e:?}"))?;
    Ok(applied)
}
