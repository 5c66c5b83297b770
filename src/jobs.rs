//! The background jobs, each started here and owning its loop: the search indexer and
//! the meaning backfill (threads of their own), the mail outbox sender, notification
//! digests, the IMAP mailbox reader, archiving closed tickets, SLA alerts, writing topic views,
//! pruning the rate limiter, and forgetting form visits past their retention. Status-page subscriptions are mailed through the outbox.

use std::time::Duration;

use actix_web::web;

use crate::app::AppState;

/// Starts every background job of a serving node.
pub fn start(state: &web::Data<AppState>) -> anyhow::Result<()> {
    crate::db::watch::start(state.db.clone());
    state.files.share_local_files();
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
    crate::notify::mail::start(state.db.clone(), state.mailing.clone());
    crate::imap::start(state.clone());
    crate::forum::counting::ViewCounter::start(state.views.clone(), state.db.clone());
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
            let notices = alerting.mailing.clone();
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
            pruning.limiter.prune().await;
        }
    });
    let forgetting = state.clone();
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let days = forgetting.settings.deflection_retention_days;
            match crate::portal::deflection::prune(&forgetting.db, days).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(visits = n, "forgot form visits past their retention"),
                Err(e) => tracing::warn!(error = ?e, "forgetting form visits"),
            }
        }
    });
    Ok(())
}
