//! The application state and the HTTP server: every route, middleware and extractor
//! setting in one place.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use tracing_actix_web::TracingLogger;

use crate::accounts::domains::DomainLists;
use crate::config::Settings;
use crate::db::Db;
use crate::error::AppError;
use crate::keys::Keys;
use crate::mail::Mailer;
use crate::web::rate_limit::Limiter;
use crate::web::templates::Templates;
use crate::web::{assets, csrf, headers, ops};

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
    /// The search index and its indexer.
    pub search: std::sync::Arc<crate::search::Search>,
    /// Signed-in users read in the last second (see `web::session`).
    pub sessions: crate::web::session::Sessions,
    /// The category index with counts and latest topics, read at most every second.
    pub category_index: crate::db::Memo<Vec<crate::forum::categories::CategoryView>>,
    /// This process's name among the nodes, in which it claims mail to send.
    pub node: crate::node::Node,
    /// Requests refused because a dependency is away, logged once a minute.
    pub unavailable: crate::error::LogThrottle,
    /// Whether the data directory (and SQLite's folder) takes writes.
    pub disk: std::sync::Arc<crate::web::ops::DiskCheck>,
}

impl AppState {
    /// Builds the state from checked settings (with the secret resolved) and an open
    /// database.
    pub fn new(settings: Settings, db: Db) -> anyhow::Result<Self> {
        Ok(Self {
            templates: std::sync::Arc::new(Templates::load()?),
            keys: Keys::new(&settings.secret),
            limiter: Limiter::new(&settings.rate_limits),
            mailer: Mailer::from_settings(&settings)?,
            domain_lists: DomainLists::load(),
            files: crate::files::FileStore::new(&settings.data_dir),
            topic_cache: std::sync::Arc::new(crate::forum::cache::TopicCache::new(settings.page_cache_bytes)),
            search: std::sync::Arc::new(crate::search::Search::new(
                &settings.data_dir,
                settings.embedding_model.clone(),
            )),
            sessions: Default::default(),
            category_index: crate::db::Memo::new(std::time::Duration::from_secs(1)),
            node: crate::node::Node::claim(&settings.data_dir),
            unavailable: crate::error::LogThrottle::new(std::time::Duration::from_secs(60)),
            disk: std::sync::Arc::new(crate::web::ops::DiskCheck::new(
                &settings.data_dir,
                &settings.database,
            )),
            db,
            settings,
        })
    }

    /// Queues mail a person waits for (a confirmation or reset link) and, when this
    /// node sends mail, sends it at once (see [`crate::outbox::queue_now`]).
    pub async fn queue_mail_now(&self, event_key: String, mail: crate::mail::Mail) -> Result<(), AppError> {
        let claims = self.settings.send_mail.then(|| self.node.claims());
        crate::outbox::queue_now(&self.db, &self.mailer, claims.as_deref(), event_key, mail).await
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

/// Largest JSON or form body accepted.
const MAX_BODY: usize = 1 << 20;

fn bad_input(message: String) -> actix_web::Error {
    AppError::BadRequest(message).into()
}

/// Mounts every feature's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    // The router tries routes in order, each a pattern match: the forum's pages, which
    // people read most, come first.
    cfg.configure(crate::forum::configure)
        .route("/healthz", web::get().to(ops::healthz))
        .route("/readyz", web::get().to(ops::readyz))
        .route("/static/{path:.*}", web::get().to(assets::serve_static))
        .configure(crate::accounts::configure)
        .configure(crate::admin::configure)
        .configure(crate::search::configure)
        .configure(crate::portal::configure)
        .configure(crate::notify::configure)
        .configure(crate::status::configure)
        .configure(crate::openapi::configure);
}

/// Input settings: unreadable bodies and parameters become 400s that say what is wrong.
fn extractor_config(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(MAX_BODY)
            .error_handler(|err, _| {
                use actix_web::error::JsonPayloadError;
                if matches!(
                    err,
                    JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. }
                ) {
                    return AppError::TooLarge(format!("The body is larger than {MAX_BODY} bytes.")).into();
                }
                bad_input(match err {
                    JsonPayloadError::ContentType => {
                        "Send the body as JSON, with 'Content-Type: application/json'.".into()
                    }
                    JsonPayloadError::Deserialize(e) => format!("The JSON body does not fit: {e}"),
                    other => format!("The JSON body could not be read: {other}"),
                })
            }),
    )
    .app_data(
        web::FormConfig::default()
            .limit(MAX_BODY)
            .error_handler(|err, _| bad_input(format!("The form could not be read: {err}"))),
    )
    .app_data(
        web::QueryConfig::default().error_handler(|err, _| {
            bad_input(format!("The address has a parameter that does not fit: {err}"))
        }),
    )
    .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()));
}

/// What no route answers: a 405 naming the methods when the API has the address for
/// others (an unknown method such as TRACE included), else a 404.
async fn unrouted(req: actix_web::HttpRequest) -> Result<HttpResponse, AppError> {
    let allowed = crate::openapi::methods_at(req.path());
    if allowed.is_empty() {
        return Err(AppError::NotFound);
    }
    Err(AppError::MethodNotAllowed {
        method: req.method().to_string(),
        allowed: allowed.join(", "),
    })
}

/// The Prometheus registry and its `/metrics` endpoint.
pub fn metrics() -> anyhow::Result<PrometheusMetrics> {
    PrometheusMetricsBuilder::new("parley")
        .endpoint("/metrics")
        // Unknown paths share one label, so a scan cannot blow up the series count.
        .mask_unmatched_patterns("UNMATCHED")
        .build()
        .map_err(|e| anyhow::anyhow!("metrics registry: {e}"))
}

/// Starts the HTTP server on `listener`. The returned server runs until stopped.
pub fn serve(
    state: web::Data<AppState>,
    listener: TcpListener,
    workers: usize,
) -> anyhow::Result<actix_web::dev::Server> {
    let metrics = metrics()?;
    let https = state.settings.secure_cookies();
    crate::search::indexer::start(state.search.clone(), state.db.clone())?;
    crate::search::meaning::start(state.search.clone(), state.db.clone())?;
    if state.settings.send_mail {
        crate::outbox::start(
            state.db.clone(),
            state.mailer.clone(),
            state.node.name().to_string(),
            state.node.claims(),
        );
    }
    crate::notify::mail::start(state.db.clone(), crate::mail::MailContext::of(&state));
    crate::imap::start(state.clone());
    let archiving = state.clone();
    actix_web::rt::spawn(async move {
        let after = chrono::Duration::days(archiving.settings.archive_after_days as i64);
        let mut tick = actix_web::rt::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            match crate::portal::workflow::archive_closed(&archiving.db, after).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(tickets = n, "archived closed tickets"),
                Err(e) => tracing::warn!(error = ?e, "archiving closed tickets"),
            }
        }
    });
    let alerting = state.clone();
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let notices = crate::mail::MailContext::of(&alerting);
            if let Err(e) = crate::portal::alerts::run(&alerting.db, notices).await {
                tracing::warn!(error = ?e, "SLA alerts");
            }
        }
    });
    let pruning = state.clone();
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            pruning.limiter.prune();
        }
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .configure(extractor_config)
            .configure(routes)
            .default_service(web::to(unrouted))
            .wrap(from_fn(crate::web::characters::check))
            .wrap(from_fn(csrf::protect))
            .wrap(from_fn(crate::error::render_errors))
            .wrap(headers::security_headers(https))
            .wrap(metrics.clone())
            .wrap(TracingLogger::default())
    })
    .workers(workers.max(1))
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(server)
}
