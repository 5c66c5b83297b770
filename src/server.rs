//! The HTTP server: every route, middleware and extractor setting in one place.

use std::net::TcpListener;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use tracing_actix_web::TracingLogger;

use crate::app::AppState;
use crate::error::AppError;
use crate::web::{assets, csrf, headers, ops};

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
pub fn metrics(registry: prometheus::Registry) -> anyhow::Result<PrometheusMetrics> {
    PrometheusMetricsBuilder::new("parley")
        .registry(registry)
        .endpoint("/metrics")
        // Unknown paths share one label, so a scan cannot blow up the series count.
        .mask_unmatched_patterns("UNMATCHED")
        .build()
        .map_err(|e| anyhow::anyhow!("metrics registry: {e}"))
}

/// Starts the background jobs and the HTTP server on `listener`. The returned server
/// runs until stopped.
pub fn serve(
    state: web::Data<AppState>,
    listener: TcpListener,
    workers: usize,
) -> anyhow::Result<actix_web::dev::Server> {
    let registry = prometheus::Registry::new();
    crate::web::ops::NodeGauges::register(&registry)?.keep(state.clone());
    state.search.costs.register(&registry)?;
    let metrics = metrics(registry)?;
    let https = state.settings.secure_cookies();
    crate::jobs::start(&state)?;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .configure(extractor_config)
            .configure(routes)
            .default_service(web::to(unrouted))
            .wrap(from_fn(crate::web::characters::check))
            .wrap(from_fn(csrf::protect))
            .wrap(from_fn(crate::web::errors::render_errors))
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
