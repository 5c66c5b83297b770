//! The lists every visit passes through (home, topic lists, ticket lists, the
//! dashboard) are kept between requests: every change must show on the next read,
//! on this node and, on PostgreSQL, soon after another node made it; and what one
//! reader may see or do must never show on another reader's copy.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use crate::common::{PW, TestApp, ok};
use parley::accounts::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn kept_lists_follow_changes_and_keep_readers_apart() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    for who in ["ann@acme.test", "bob@acme.test"] {
        app.user_with_role(who, Role::Member, Some("Acme")).await;
    }
    app.user_with_role("sam@vendor.test", Role::Staff, None).await;
    let ann = app.token("ann@acme.test", PW).await;
    let sam = app.token("sam@vendor.test", PW).await;
    let mut ann_b = app.browser();
    ann_b.login("ann@acme.test", PW).await;
    let mut bob_b = app.browser();
    bob_b.login("bob@acme.test", PW).await;
    let mut sam_b = app.browser();
    sam_b.login("sam@vendor.test", PW).await;

    // Read first, so that the lists are kept, then change them.
    for b in [&mut ann_b, &mut bob_b] {
        let (status, html) = b.page("/c/questions").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("No topics here yet."));
        b.page("/").await;
    }
    ok(
        &app,
        &ann,
        Method::POST,
        "/api/v1/topics",
        Some(json!({"category": "questions", "title": "Backups fail with ERR-77", "body": "Since 4.2"})),
    )
    .await;
    for b in [&mut ann_b, &mut bob_b] {
        let (_, html) = b.page("/c/questions").await;
        assert!(html.contains("Backups fail with ERR-77"), "{html}");
        let (_, html) = b.page("/").await;
        assert!(html.contains("Backups fail with ERR-77"));
    }
    // "Mine" is each reader's own; the header is each reader's own.
    let (_, html) = ann_b.page("/c/questions?filter=mine").await;
    assert!(html.contains("Backups fail with ERR-77"));
    let (_, html) = bob_b.page("/c/questions?filter=mine").await;
    assert!(!html.contains("Backups fail with ERR-77"));
    let (_, html) = bob_b.page("/c/questions").await;
    assert!(
        html.contains("Operator Made") || html.contains("bob"),
        "the header is Bob's"
    );
    assert!(!html.contains("ann@acme.test"));
    // Who may post: members do not see "Post a release", staff do, whoever read first.
    let (_, html) = bob_b.page("/c/releases").await;
    assert!(!html.contains("Post a release"));
    let (_, html) = sam_b.page("/c/releases").await;
    assert!(html.contains("Post a release"));
    assert!(
        html.contains(r#"type="application/atom+xml""#),
        "the feed is in the head"
    );
    let (_, html) = bob_b.page("/c/releases").await;
    assert!(!html.contains("Post a release"));
    // A bad sort is refused, and nothing wrong is kept.
    let (status, _) = bob_b.page("/c/questions?sort=sideways").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Tickets: each customer's contacts see their own; staff see all.
    let mut acme = app.contact("ada@acme.test", "Acme").await;
    let mut beta = app.contact("bea@beta.test", "Beta").await;
    let beta_token = app.token("bea@beta.test", PW).await;
    for b in [&mut acme, &mut beta, &mut sam_b] {
        let (status, _) = b.page("/portal/tickets").await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = b.page("/portal").await;
        assert_eq!(status, StatusCode::OK);
    }
    let filed = ok(
        &app,
        &beta_token,
        Method::POST,
        "/api/v1/tickets",
        Some(json!({"subject": "Beta gateway is down", "priority": "high", "description": "Since the upgrade."})),
    )
    .await;
    let ticket = filed["ticket"]["id"].as_i64().unwrap();
    let (_, html) = beta.page("/portal/tickets").await;
    assert!(html.contains("Beta gateway is down"));
    let (_, html) = acme.page("/portal/tickets").await;
    assert!(!html.contains("Beta gateway is down"));
    let (_, html) = sam_b.page("/portal/tickets").await;
    assert!(html.contains("Beta gateway is down"));
    // The dashboard counts it at once, for staff and for Beta, and names each reader's
    // own company.
    let (_, html) = sam_b.page("/portal").await;
    assert!(html.contains("Beta gateway is down"), "due soon, for staff");
    let (_, html) = beta.page("/portal").await;
    assert!(html.contains("Beta gateway is down") && html.contains("<h2>Beta</h2>"));
    let (_, html) = acme.page("/portal").await;
    assert!(!html.contains("Beta gateway is down") && html.contains("<h2>Acme</h2>"));
    // A queue of one's own: Sam takes the ticket; another staff member's "mine" is empty.
    app.user_with_role("tia@vendor.test", Role::Staff, None).await;
    let mut tia_b = app.browser();
    tia_b.login("tia@vendor.test", PW).await;
    let (_, html) = tia_b.page("/portal/tickets?queue=mine").await;
    assert!(!html.contains("Beta gateway is down"));
    let me = ok(&app, &sam, Method::GET, "/api/v1/me", None).await;
    ok(
        &app,
        &sam,
        Method::PUT,
        &format!("/api/v1/tickets/{ticket}/assignee"),
        Some(json!({"assignee_id": me["id"]})),
    )
    .await;
    let (_, html) = sam_b.page("/portal/tickets?queue=mine").await;
    assert!(html.contains("Beta gateway is down"));
    let (_, html) = tia_b.page("/portal/tickets?queue=mine").await;
    assert!(!html.contains("Beta gateway is down"));
    // The kept body carries each reader's own CSRF token in its forms.
    let (_, html) = bob_b.page("/portal").await;
    if let Some(token) = crate::common::csrf_in(&html) {
        assert!(!token.contains("PLACEHOLDER"), "{token}");
    }
}

#[tokio::test]
async fn a_list_follows_a_change_made_on_another_node() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    if !app.state.db.shared_by_nodes() {
        crate::common::skipped(
            "a_list_follows_a_change_made_on_another_node",
            "one process serves a SQLite site",
        );
        return;
    }
    let other = app.another_node().await;
    app.user_with_role("ann@acme.test", Role::Member, Some("Acme"))
        .await;
    let ann = other.token("ann@acme.test", PW).await;
    let mut ann_b = app.browser();
    ann_b.login("ann@acme.test", PW).await;
    let (_, html) = ann_b.page("/c/questions").await;
    assert!(!html.contains("Made on the other node"));
    ok(
        &other,
        &ann,
        Method::POST,
        "/api/v1/topics",
        Some(json!({"category": "questions", "title": "Made on the other node", "body": "Hello there"})),
    )
    .await;
    // The other node's write is heard within `db::watch::EVERY` (200 ms).
    let mut seen = false;
    for _ in 0..30 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let (_, html) = ann_b.page("/c/questions").await;
        if html.contains("Made on the other node") {
            seen = true;
            break;
        }
    }
    assert!(seen, "the list never showed the other node's topic");
}
