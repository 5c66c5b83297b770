//! Topic pages are kept in memory between requests: every change must show on the
//! next read, on this node and when another node made it, and one reader's votes and
//! buttons must never show on another reader's page.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use crate::common::TestApp;
use parley::accounts::Role;
use parley::app::AppState;
use parley::db::Db;
use parley::forum::posts::{self, PostEdit};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::PW;

async fn api(app: &TestApp, method: Method, path: &str, token: &str, body: Value) -> Value {
    let (status, value) = app.call(method, path, Some(token), Some(body)).await;
    assert!(status.is_success(), "{path}: {status} {value}");
    value
}

/// Counts the answer's "Vote up" buttons shown as already pressed.
fn pressed(html: &str) -> usize {
    html.matches(r#"class="link on" aria-label="Vote up""#).count()
}

#[tokio::test]
async fn cached_topic_pages_follow_changes_and_keep_readers_apart() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    for who in ["ann@acme.test", "bob@acme.test", "cy@acme.test"] {
        app.user_with_role(who, Role::Member, Some("Acme")).await;
    }
    app.user_with_role("sam@vendor.test", Role::Staff, None).await;
    let ann = app.token("ann@acme.test", PW).await;
    let bob = app.token("bob@acme.test", PW).await;
    let sam = app.token("sam@vendor.test", PW).await;
    let topic = api(
        &app,
        Method::POST,
        "/api/v1/topics",
        &ann,
        json!({"category": "questions", "title": "Backups fail with ERR-77", "body": "Since 4.2"}),
    )
    .await;
    let id = topic["topic"]["id"].as_i64().unwrap();
    let answer = api(
        &app,
        Method::POST,
        &format!("/api/v1/topics/{id}/posts"),
        &bob,
        json!({"body": "Try the first fix"}),
    )
    .await;
    let answer_id = answer["id"].as_i64().unwrap();
    let path = format!("/t/{id}/{}", topic["topic"]["slug"].as_str().unwrap());

    let mut ann_b = app.browser();
    ann_b.login("ann@acme.test", PW).await;
    let mut bob_b = app.browser();
    bob_b.login("bob@acme.test", PW).await;
    let mut cy_b = app.browser();
    cy_b.login("cy@acme.test", PW).await;
    let mut sam_b = app.browser();
    sam_b.login("sam@vendor.test", PW).await;
    for b in [&mut ann_b, &mut bob_b, &mut cy_b, &mut sam_b] {
        let (status, html) = b.page(&path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Try the first fix"));
    }

    // Ann's vote shows pressed to Ann only; the new score shows to all.
    api(
        &app,
        Method::PUT,
        &format!("/api/v1/posts/{answer_id}/vote"),
        &ann,
        json!({"value": 1}),
    )
    .await;
    let (_, html) = ann_b.page(&path).await;
    assert_eq!(pressed(&html), 1);
    assert!(html.contains(r#"<span class="score">1</span>"#));
    let (_, html) = cy_b.page(&path).await;
    assert_eq!(pressed(&html), 0);
    assert!(html.contains(r#"<span class="score">1</span>"#));
    // Each reader's forms carry their own CSRF token, not a cached one.
    let ann_csrf = crate::common::csrf_in(&ann_b.page(&path).await.1).unwrap();
    let (_, cy_html) = cy_b.page(&path).await;
    assert!(!cy_html.contains(&ann_csrf));
    assert!(!cy_html.contains("PARLEYCSRFTOKENPLACEHOLDER"));
    // Only the author gets Edit; only the asker (and staff) get Accept.
    let edit = format!("/p/{answer_id}/edit");
    let accept = format!("/p/{answer_id}/accept");
    let (_, bob_html) = bob_b.page(&path).await;
    assert!(bob_html.contains(&edit) && !bob_html.contains(&accept));
    let (_, ann_html) = ann_b.page(&path).await;
    assert!(!ann_html.contains(&edit) && ann_html.contains(&accept));
    assert!(!cy_html.contains(&edit) && !cy_html.contains(&accept));

    // An edit, an acceptance and a new answer show on the next read.
    api(
        &app,
        Method::PATCH,
        &format!("/api/v1/posts/{answer_id}"),
        &bob,
        json!({"body": "Try the second fix"}),
    )
    .await;
    api(
        &app,
        Method::POST,
        &format!("/api/v1/posts/{answer_id}/accept"),
        &ann,
        json!({}),
    )
    .await;
    api(
        &app,
        Method::POST,
        &format!("/api/v1/topics/{id}/posts"),
        &sam,
        json!({"body": "Staff here: fixed in 4.2.1"}),
    )
    .await;
    let (_, html) = cy_b.page(&path).await;
    assert!(html.contains("Try the second fix") && !html.contains("Try the first fix"));
    assert!(html.contains("Accepted answer") && html.contains("fixed in 4.2.1"));

    // Staff delete the answer: members see it gone, staff still see what it said.
    app.expect(
        StatusCode::NO_CONTENT,
        Method::DELETE,
        &format!("/api/v1/posts/{answer_id}"),
        Some(&sam),
        None,
    )
    .await;
    let (_, html) = cy_b.page(&path).await;
    assert!(html.contains("This post was deleted.") && !html.contains("Try the second fix"));
    let (_, html) = sam_b.page(&path).await;
    assert!(html.contains("Try the second fix"));

    // A change made by another node on the same database shows here: on PostgreSQL
    // once this node hears of the write (`db::watch::EVERY`, 200 ms); on SQLite, where
    // one process serves the site and another (a command) may write, once the reader's
    // kept page ages out (`forum::cache::READER_MAX_AGE`).
    let settings = app.state.settings.clone();
    let other = tokio::task::spawn_blocking(move || {
        let db = Db::connect(&settings.database, 2).unwrap();
        AppState::new(settings, db).unwrap()
    })
    .await
    .unwrap();
    let opening = topic["opening"]["id"].as_i64().unwrap();
    let ann_user = parley::accounts::service::load_auth_user(
        &other.db,
        topic["topic"]["author"]["id"].as_i64().unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let change = PostEdit {
        body: Some("Since 4.2, edited on another node".into()),
        ..PostEdit::default()
    };
    posts::edit(&other.db, &ann_user, opening, change).await.unwrap();
    let mut seen = false;
    for _ in 0..60 {
        let (_, html) = bob_b.page(&path).await;
        if html.contains("edited on another node") {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(seen, "the other node's edit never showed");
}
