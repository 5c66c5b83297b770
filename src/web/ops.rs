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
