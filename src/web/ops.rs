//! Operations endpoints: liveness, readiness and Prometheus metrics.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::app::AppState;

/// `GET /healthz`: the process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok\n")
}

/// `GET /readyz`: the database answers, every migration is applied and the disk takes
/// writes. It also says whether threads are found by meaning yet (`off`, `loading`,
/// `ready`) and whether the search index serves, neither of which decides readiness:
/// until then threads are found by words, and search answers 503 while its index is
/// built.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = match state.db.ping().await {
        Ok(()) => Ok(()),
        Err(e) => Err(format!("{e}")),
    };
    let db = state.db.clone();
    let migrations = match database.is_ok() {
        // Not asked of a database that did not answer: /readyz answers at once.
        false => Err("the database did not answer".to_string()),
        true => match tokio::task::spawn_blocking(move || db.pending_migrations()).await {
            Ok(Ok(pending)) if pending.is_empty() => Ok(()),
            Ok(Ok(pending)) => Err(format!("{} pending: {}", pending.len(), pending.join(", "))),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        },
    };
    let disk = state.disk.check().await;
    let ready = database.is_ok() && migrations.is_ok() && disk.is_ok();
    if !ready && state.unavailable.note().is_some() {
        tracing::warn!(?database, ?migrations, ?disk, "not ready");
    }
    let show = |r: &Result<(), String>| match r {
        Ok(()) => "ok".to_string(),
        Err(_) => "failing".to_string(),
    };
    let mut body = json!({
        "status": if ready { "ready" } else { "not ready" },
        "database": show(&database),
        "migrations": show(&migrations),
        "disk": show(&disk),
        "search": if state.search.index().is_some() { "ok" } else { "building" },
        "meaning": state.search.meaning.state(),
    });
    // How far this node's own search replica is behind the database, as last measured
    // (every two seconds): it does not decide readiness (pages and writes work
    // meanwhile), but a balancer's operator watches it.
    if let Some(lag) = state.search.last_lag() {
        body["search_lag"] = json!(lag);
    }
    // What the operator must fix, when it is theirs to fix. A database error may name
    // hosts and users, so it stays in the log.
    if let Err(reason) = &disk {
        body["reason"] = json!(reason);
    }
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// What `/metrics` shows of this node beside its requests: how far its search replica
/// is behind the database, in changes and in seconds (also kept for `/readyz`, which
/// answers a balancer's frequent checks without counting anything).
pub struct NodeGauges {
    lag_changes: prometheus::IntGauge,
    lag_seconds: prometheus::Gauge,
}

impl NodeGauges {
    /// The gauges, registered in `registry`.
    pub fn register(registry: &prometheus::Registry) -> anyhow::Result<Self> {
        let lag_changes = prometheus::IntGauge::new(
            "parley_search_lag_changes",
            "Changes in the database not yet applied to this node's search index",
        )?;
        let lag_seconds = prometheus::Gauge::new(
            "parley_search_lag_seconds",
            "How long the oldest change not yet in this node's search index has waited",
        )?;
        registry.register(Box::new(lag_changes.clone()))?;
        registry.register(Box::new(lag_seconds.clone()))?;
        Ok(Self {
            lag_changes,
            lag_seconds,
        })
    }

    /// Keeps the gauges current, every two seconds.
    pub fn keep(self, state: web::Data<AppState>) {
        actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(std::time::Duration::from_secs(2));
            loop {
                tick.tick().await;
                match crate::search::indexer::lag(&state.search, &state.db).await {
                    Ok(Some(lag)) => {
                        self.lag_changes.set(lag.changes);
                        self.lag_seconds.set(lag.seconds);
                        state.search.note_lag(Some(lag));
                    }
                    // Being built: the whole database is yet to be applied.
                    Ok(None) => state.search.note_lag(None),
                    // The database away: /readyz says so; the last figures stand.
                    Err(_) => {}
                }
            }
        });
    }
}
