//! Search through HTTP: the index follows every change, finds codes, versions and
//! misspellings, filters and counts, suggests while typing, survives a restart, and is
//! rebuilt by `parley reindex` while the server keeps serving.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use crate::common::PW;
use crate::common::TestApp;
use parley::accounts::Role;
use parley::search::Search;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod indexing;
mod queries;

async fn post_topic(app: &TestApp, token: &str, category: &str, title: &str, body: &str) -> Value {
    app.expect(
        StatusCode::CREATED,
        Method::POST,
        "/api/v1/topics",
        Some(token),
        Some(json!({"category": category, "title": title, "body": body, "tags": ["backup"]})),
    )
    .await
}

async fn search(app: &TestApp, token: &str, query: &str) -> Value {
    app.expect(
        StatusCode::OK,
        Method::GET,
        &format!("/api/v1/search?{query}"),
        Some(token),
        None,
    )
    .await
}

fn post_ids(found: &Value) -> Vec<i64> {
    found["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["post_id"].as_i64().unwrap())
        .collect()
}

/// Searches until `done` holds: the indexer applies changes in the background. The
/// deadline only keeps a broken indexer from hanging the suite.
async fn eventually(app: &TestApp, token: &str, query: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, found) = app
            .call(Method::GET, &format!("/api/v1/search?{query}"), Some(token), None)
            .await;
        if status == StatusCode::OK && done(&found) {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "search for {query} never got there: {status} {found}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn people(app: &TestApp) -> (String, String) {
    app.user_with_role("ann@acme.test", Role::Member, Some("Acme"))
        .await;
    app.user_with_role("sam@vendor.test", Role::Staff, None).await;
    (
        app.token("ann@acme.test", PW).await,
        app.token("sam@vendor.test", PW).await,
    )
}
