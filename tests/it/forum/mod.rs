//! The forum through HTTP: categories, questions and answers, votes, accepted answers,
//! edits with history, deletion, staff actions, lists, and who may do what.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use crate::common::PW;
use crate::common::{TestApp, location};
use parley::accounts::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

mod communities;
mod editing;
mod ideas;
mod moderation;
mod pages;
mod questions;
mod releases;
mod together;
mod uploads;

/// A verified member of an approved organization, with an API token.
async fn staff(app: &TestApp, email: &str) -> String {
    app.user_with_role(email, Role::Staff, None).await;
    app.token(email, PW).await
}

async fn ask(app: &TestApp, token: &str, title: &str, body: &str, tags: &[&str]) -> Value {
    app.expect(
        StatusCode::CREATED,
        Method::POST,
        "/api/v1/topics",
        Some(token),
        Some(json!({"category": "questions", "title": title, "body": body, "tags": tags})),
    )
    .await
}

/// Votes on an answer or an idea (`path` names which) through the API.
async fn put_vote(app: &TestApp, token: String, path: String, value: i32) -> (StatusCode, Value) {
    app.call(Method::PUT, &path, Some(&token), Some(json!({"value": value})))
        .await
}

/// Replies to a topic through the API; the status and the new post.
async fn reply(app: &TestApp, token: &str, topic_id: i64, body: &str) -> (StatusCode, Value) {
    let path = format!("/api/v1/topics/{topic_id}/posts");
    app.call(Method::POST, &path, Some(token), Some(json!({"body": body})))
        .await
}

async fn suggest(app: &TestApp, token: &str, title: &str) -> i64 {
    let page = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/api/v1/topics",
            Some(token),
            Some(json!({"category": "ideas", "title": title, "body": "It would help us a lot."})),
        )
        .await;
    assert_eq!(page["idea"]["status"], "new");
    page["topic"]["id"].as_i64().unwrap()
}

async fn release(app: &TestApp, token: &str, product: &str, version: &str) -> i64 {
    let page = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/api/v1/topics",
            Some(token),
            Some(
                json!({"category": "releases", "title": format!("{product} {version} released"),
                "body": "## Fixed\n\n- ERR-1042", "product": product, "version": version}),
            ),
        )
        .await;
    page["topic"]["id"].as_i64().unwrap()
}
