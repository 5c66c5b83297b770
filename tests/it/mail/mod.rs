//! The mail outbox and ticket mail: every ticket event reaches the right people once
//! (internal notes never a customer), queued mail survives a restart and goes once, and
//! a refusing SMTP server is tried again until it accepts.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use crate::common::PW;
use crate::common::TestApp;
use diesel::prelude::*;
use parley::accounts::Role;
use parley::db::schema::mail_outbox;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

mod delivery;
mod tickets;

/// Delivers what is due until `n` mails are on disk (the server's own sender may take
/// some first; each goes once either way).
async fn mails_once_delivered(app: &TestApp, n: usize) -> Vec<String> {
    for _ in 0..100 {
        parley::outbox::deliver_due(&app.state.db, &app.state.mailer, &app.state.node.claims())
            .await
            .unwrap();
        let mails = app.mails();
        if mails.len() >= n {
            return mails;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    app.mails()
}

/// Runs `f` on a write connection of `db`.
async fn with_conn<T: Send + 'static>(
    db: &parley::db::Db,
    f: impl FnOnce(&mut parley::db::AnyConnection) -> T + Send + 'static,
) -> T {
    let db = db.clone();
    tokio::task::spawn_blocking(move || f(&mut db.get_write().unwrap()))
        .await
        .unwrap()
}
