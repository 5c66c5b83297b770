//! The system status page: components follow their incidents, subscriptions are
//! confirmed before anything is sent and reach only those who chose the component,
//! one click stops them, and an incident shows above the ticket forms.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use crate::common::{TestApp, delivered, ok};
use parley::accounts::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::PW;

async fn public_status(app: &TestApp) -> Value {
    let res = app.api().get(app.url("/api/v1/status")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

fn state_of(status: &Value, slug: &str) -> String {
    status["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == slug)
        .map(|c| c["state"].as_str().unwrap().to_string())
        .unwrap()
}

fn count_to(mails: &[String], address: &str, needle: &str) -> usize {
    mails
        .iter()
        .filter(|m| m.lines().any(|l| l.starts_with("To:") && l.contains(address)))
        .filter(|m| m.contains(needle))
        .count()
}

async fn subscribe(app: &TestApp, email: &str, components: &[&str]) {
    let res = app
        .api()
        .post(app.url("/api/v1/status/subscriptions"))
        .json(&json!({"email": email, "components": components}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
}

async fn confirm(app: &TestApp, email: &str) {
    let mails = delivered(app).await;
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.contains(&format!("<{email}>")) || m.contains(&format!("To: {email}")))
        .cloned()
        .unwrap_or_else(|| panic!("no confirmation mail to {email}"));
    let link = app.link_in(&mail, "/status/confirm");
    let res = app.api().get(app.url(&link)).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{link}: {}",
        res.text().await.unwrap_or_default()
    );
}

#[tokio::test]
async fn components_follow_incidents_and_subscribers_hear_of_them() {
    let app = TestApp::spawn_with(&["--rate-limits=off", "--send-mail=off"]).await;
    app.user_with_role("root@vendor.test", Role::Admin, None).await;
    let root = app.token("root@vendor.test", PW).await;
    app.user_with_role("sam@vendor.test", Role::Staff, None).await;
    let sam = app.token("sam@vendor.test", PW).await;
    let mut ann_b = app.contact("ann@acme.test", "Acme").await;

    // Admins add components; staff may not; the same name twice is refused.
    let comp = |name: &str| json!({"name": name, "description": "The public REST API"});
    ok(
        &app,
        &root,
        Method::POST,
        "/api/v1/admin/status/components",
        Some(comp("API")),
    )
    .await;
    ok(
        &app,
        &root,
        Method::POST,
        "/api/v1/admin/status/components",
        Some(comp("Dashboard")),
    )
    .await;
    app.expect(
        StatusCode::FORBIDDEN,
        Method::POST,
        "/api/v1/admin/status/components",
        Some(&sam),
        Some(comp("Billing")),
    )
    .await;
    app.expect(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        "/api/v1/admin/status/components",
        Some(&root),
        Some(comp("API")),
    )
    .await;

    // Public, without signing in.
    let res = app.api().get(app.url("/status")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("All systems operational"));
    assert_eq!(public_status(&app).await["overall"], "operational");

    // Three subscribers: two confirmed (API only; all), one never confirms.
    subscribe(&app, "api-fan@customer.test", &["api"]).await;
    subscribe(&app, "everything@customer.test", &[]).await;
    subscribe(&app, "dash@customer.test", &["dashboard"]).await;
    subscribe(&app, "lazy@customer.test", &[]).await;
    confirm(&app, "api-fan@customer.test").await;
    confirm(&app, "everything@customer.test").await;
    confirm(&app, "dash@customer.test").await;
    app.expect(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        "/api/v1/status/subscriptions",
        None,
        Some(json!({"email": "not an address"})),
    )
    .await;

    // Bad incidents are refused with what to fix.
    let v = app
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            Method::POST,
            "/api/v1/status/incidents",
            Some(&sam),
            Some(json!({"title": "Errors", "impact": "meh", "body": "Looking."})),
        )
        .await;
    assert!(
        v.to_string().contains("impact") && v.to_string().contains("components"),
        "{v}"
    );
    app.expect(
        StatusCode::FORBIDDEN,
        Method::POST,
        "/api/v1/status/incidents",
        Some(&ann_b_token(&app).await),
        Some(json!({})),
    )
    .await;

    // An incident on the API: the component and the page follow it.
    let incident = json!({"title": "API errors", "impact": "major_outage", "components": ["api"], "body": "Requests fail with 502."});
    let i = ok(
        &app,
        &sam,
        Method::POST,
        "/api/v1/status/incidents",
        Some(incident),
    )
    .await;
    let id = i["id"].as_i64().unwrap();
    let s = public_status(&app).await;
    assert_eq!(state_of(&s, "api"), "major_outage");
    assert_eq!(state_of(&s, "dashboard"), "operational");
    assert_eq!(s["overall"], "major_outage");
    let api = s["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "api")
        .unwrap()
        .clone();
    assert_eq!(api["history"].as_array().unwrap().len(), 90);
    assert_eq!(api["history"][89]["worst"], "major_outage", "today");
    assert_eq!(api["history"][0]["worst"], "operational");

    // Filing a ticket meanwhile: the incident is shown first.
    let (_, form) = ann_b.page("/portal/tickets/new").await;
    assert!(form.contains("Known incident: API errors"), "{form}");
    let (_, dash) = ann_b.page("/portal").await;
    assert!(
        dash.contains("Happening now") && dash.contains("API errors"),
        "{dash}"
    );

    // Updates to resolution; each reaches the API's subscribers, not the dashboard's.
    for (state, body) in [
        ("identified", "A bad deploy."),
        ("monitoring", "Rolled back."),
        ("resolved", "All good."),
    ] {
        let path = format!("/api/v1/status/incidents/{id}/updates");
        ok(
            &app,
            &sam,
            Method::POST,
            &path,
            Some(json!({"state": state, "body": body})),
        )
        .await;
    }
    let mails = delivered(&app).await;
    assert_eq!(count_to(&mails, "api-fan@customer.test", "API errors"), 4);
    assert_eq!(count_to(&mails, "everything@customer.test", "API errors"), 4);
    assert_eq!(count_to(&mails, "dash@customer.test", "API errors"), 0);
    assert_eq!(
        count_to(&mails, "lazy@customer.test", "API errors"),
        0,
        "not confirmed, not mailed"
    );
    assert_eq!(state_of(&public_status(&app).await, "api"), "operational");
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/status/incidents/{id}/updates"),
            Some(&sam),
            Some(json!({"state": "monitoring", "body": "Again?"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a resolved incident is over");

    // The feed has every update.
    let res = app.api().get(app.url("/status.atom")).send().await.unwrap();
    let feed: atom_syndication::Feed = res.text().await.unwrap().parse().unwrap();
    assert_eq!(feed.entries().len(), 4);

    // One click from a mail's header stops the mail.
    let mail = mails
        .iter()
        .find(|m| m.contains("api-fan@customer.test") && m.contains("List-Unsubscribe:"))
        .cloned()
        .unwrap();
    assert!(
        mail.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{mail}"
    );
    let header = mail
        .lines()
        .find_map(|l| l.strip_prefix("List-Unsubscribe: <"))
        .unwrap();
    assert!(header.contains("/api/v1/status/unsubscribe?token"), "{header}");
    // The header is not quoted-printable, and the test helper decodes the whole mail:
    // take the same token from the text's link.
    let link = app.link_in(&mail, "/status/unsubscribe");
    let path = format!("/api/v1{link}");
    let res = app
        .api()
        .post(app.url(&path))
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    // Maintenance: scheduled leaves the component operational; in progress shows it.
    let m = json!({"title": "Database upgrade", "kind": "maintenance", "components": ["api"], "body": "Short pause.",
        "starts_at": "2030-01-01T02:00", "ends_at": "2030-01-01T03:00"});
    let m = ok(&app, &sam, Method::POST, "/api/v1/status/incidents", Some(m)).await;
    let s = public_status(&app).await;
    assert_eq!(state_of(&s, "api"), "operational");
    assert_eq!(s["scheduled"].as_array().unwrap().len(), 1);
    let path = format!("/api/v1/status/incidents/{}/updates", m["id"]);
    ok(
        &app,
        &sam,
        Method::POST,
        &path,
        Some(json!({"state": "in_progress", "body": "Started."})),
    )
    .await;
    assert_eq!(state_of(&public_status(&app).await, "api"), "maintenance");
    let mails = delivered(&app).await;
    assert_eq!(
        count_to(&mails, "api-fan@customer.test", "Database upgrade"),
        0,
        "unsubscribed"
    );
    assert_eq!(
        count_to(&mails, "everything@customer.test", "Database upgrade"),
        2
    );
    let v = app
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            Method::POST,
            "/api/v1/status/incidents",
            Some(&sam),
            Some(json!({"title": "Later", "kind": "maintenance", "components": ["api"], "body": "Soon."})),
        )
        .await;
    assert!(v.to_string().contains("starts_at"), "{v}");
}

async fn ann_b_token(app: &TestApp) -> String {
    app.token("ann@acme.test", PW).await
}

#[tokio::test]
async fn staff_report_incidents_and_people_subscribe_through_the_pages() {
    let app = TestApp::spawn_with(&["--rate-limits=off", "--send-mail=off"]).await;
    let mut root = app.user_with_role("root@vendor.test", Role::Admin, None).await;
    let res = root
        .post(
            "/status/manage/components",
            &[("name", "Search"), ("description", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // A refused incident comes back with the reason and what was typed.
    let res = root
        .post(
            "/status/manage/incidents",
            &[
                ("title", "Slow search"),
                ("impact", "degraded"),
                ("body", "Queries take seconds."),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Choose the components") && body.contains("Queries take seconds."),
        "{body}"
    );
    let res = root
        .post(
            "/status/manage/incidents",
            &[
                ("title", "Slow search"),
                ("impact", "degraded"),
                ("components", "search"),
                ("body", "Queries take seconds."),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let mut visitor = app.browser();
    let (status, page) = visitor.page("/status").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Slow search") && page.contains("Degraded performance"),
        "{page}"
    );
    let res = visitor
        .post(
            "/status/subscribe",
            &[("email", "me@customer.test"), ("components", "search")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = visitor
        .post(
            "/status/subscribe",
            &[("email", "me@customer.test"), ("components", "nope")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mails = delivered(&app).await;
    assert_eq!(count_to(&mails, "me@customer.test", "/status/confirm?token="), 1);
}
