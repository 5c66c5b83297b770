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

/// `GET /readyz`: the database answers and every migration is applied. It also says
/// whether threads are found by meaning yet (`off`, `loading`, `ready`), which does not
/// decide readiness: until then they are found by words.
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
    let ready = database.is_ok() && migrations.is_ok();
    if !ready {
        tracing::warn!(?database, ?migrations, "not ready");
    }
    let show = |r: &Result<(), String>| match r {
        Ok(()) => "ok".to_string(),
        Err(_) => "failing".to_string(),
    };
    let body = json!({
        "status": if ready { "ready" } else { "not ready" },
        "database": show(&database),
        "migrations": show(&migrations),
        "meaning": state.search.meaning.state(),
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
