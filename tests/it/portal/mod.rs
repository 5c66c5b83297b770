//! The support portal through HTTP: who files and sees which tickets, the Production
//! Down rule, the status table, notes (internal ones hidden from customers), the SLA,
//! priority and assignment, archiving, and the pages.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use crate::common::PW;
use crate::common::TestApp;
use parley::accounts::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

mod board;
mod deflection;
mod filing;
mod lifecycle;
mod pages;
mod plans;
mod together;

struct People {
    ann: String,
    bob: String,
    gil: String,
    sam: String,
    ada: String,
    acme: i64,
}

/// Ann is an authorized contact of Acme, Bob a colleague who is not, Gil a contact of
/// Globex, Sam staff, Ada admin.
async fn people(app: &TestApp) -> People {
    app.contact("ann@acme.test", "Acme").await;
    app.user_with_role("bob@acme.test", Role::Member, Some("Acme"))
        .await;
    app.contact("gil@globex.test", "Globex").await;
    app.user_with_role("sam@vendor.test", Role::Staff, None).await;
    app.user_with_role("ada@vendor.test", Role::Admin, None).await;
    let ann = app.token("ann@acme.test", PW).await;
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&ann), None).await;
    People {
        acme: me["organization"]["id"].as_i64().unwrap(),
        ann,
        bob: app.token("bob@acme.test", PW).await,
        gil: app.token("gil@globex.test", PW).await,
        sam: app.token("sam@vendor.test", PW).await,
        ada: app.token("ada@vendor.test", PW).await,
    }
}

async fn file(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::POST, "/api/v1/tickets", Some(token), Some(body))
        .await
}

fn ticket(subject: &str, priority: &str) -> Value {
    json!({"subject": subject, "priority": priority, "description": "The nightly export stops at 40% since Monday."})
}

fn part(name: &str, bytes: &[u8]) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string())
}

/// Sends a multipart call with a bearer token.
async fn multipart(
    app: &TestApp,
    path: &str,
    token: &str,
    form: reqwest::multipart::Form,
) -> (StatusCode, Value) {
    let res = app
        .api()
        .post(app.url(path))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Puts a ticket in a status directly, as if it had got there.
async fn force_status(app: &TestApp, id: i64, status: &str, closed_days_ago: Option<i64>) {
    use diesel::prelude::*;
    use parley::db::schema::tickets;
    let db = app.state.db.clone();
    let status = status.to_string();
    tokio::task::spawn_blocking(move || {
        let closed = closed_days_ago.map(|d| chrono::Utc::now().naive_utc() - chrono::Duration::days(d));
        diesel::update(tickets::table.find(id))
            .set((tickets::status.eq(status), tickets::closed_at.eq(closed)))
            .execute(&mut *db.get_write().unwrap())
            .unwrap();
    })
    .await
    .unwrap();
}
