//! Tickets by mail: real-world shapes of messages (plain, replies with quotes, HTML only,
//! attachments, Latin-1, auto-replies, bounces, garbage) each end as a ticket, a note or
//! a refusal with its reason, never a panic; through the library, the webhook and the
//! `parley mail ingest` command.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use crate::common::PW;
use crate::common::TestApp;
use parley::accounts::Role;
use parley::portal::inbound::{Outcome, ingest};
use reqwest::{Method, StatusCode};
use serde_json::Value;

mod messages;
mod senders;
mod shapes;

const TOKEN: &str = "inbound-secret-0123456789abcdef";

async fn take(app: &TestApp, raw: &str) -> Outcome {
    ingest(
        &app.state.db,
        &app.state.mailing,
        &app.state.settings,
        &app.state.files,
        raw.replace('\n', "\r\n").as_bytes(),
    )
    .await
    .unwrap()
}

fn plain(from: &str, subject: &str, id: &str, body: &str) -> String {
    format!(
        "From: Someone <{from}>\nTo: help@vendor.test\nSubject: {subject}\nMessage-ID: <{id}@mail.test>\nDate: Mon, 23 Nov 2026 09:00:00 +0000\nContent-Type: text/plain; charset=utf-8\n\n{body}\n"
    )
}

async fn ticket(app: &TestApp, token: &str, id: i64) -> Value {
    app.call(Method::GET, &format!("/api/v1/tickets/{id}"), Some(token), None)
        .await
        .1
}

/// A multipart message with `parts` (each its own headers, a blank line and a body)
/// under boundary `b`.
fn multipart(from: &str, subject: &str, id: &str, kind: &str, parts: &[&str]) -> String {
    let mut raw = format!(
        "From: {from}\nTo: help@vendor.test\nSubject: {subject}\nMessage-ID: <{id}@mail.test>\nMIME-Version: 1.0\nContent-Type: multipart/{kind}; boundary=\"b\"\n\n"
    );
    for p in parts {
        raw.push_str(&format!("--b\n{p}\n"));
    }
    raw.push_str("--b--\n");
    raw
}
