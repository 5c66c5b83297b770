//! Escalate to ticket and the answer back: who may escalate, exactly one linked ticket,
//! what each reader of the thread sees, and the solution published to the question.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use crate::common::PW;
use crate::common::{TestApp, ok};
use parley::accounts::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

mod links;

async fn ask(app: &TestApp, token: &str, title: &str) -> (i64, String) {
    let body = json!({"category": "questions", "title": title, "body": "The nightly export stops at 40%.\nLogs say timeout."});
    let t = ok(app, token, Method::POST, "/api/v1/topics", Some(body)).await;
    (
        t["topic"]["id"].as_i64().unwrap(),
        t["topic"]["slug"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn a_question_becomes_one_linked_ticket_and_its_solution_comes_back() {
    let app = TestApp::spawn_with(&["--rate-limits=off", "--send-mail=off"]).await;
    let mut ann_b = app.contact("ann@acme.test", "Acme").await;
    let ann = app.token("ann@acme.test", PW).await;
    app.user_with_role("bob@acme.test", Role::Member, Some("Acme"))
        .await;
    let bob = app.token("bob@acme.test", PW).await;
    let mut carl_b = app.user_with_role("carl@other.test", Role::Member, None).await;
    let carl = app.token("carl@other.test", PW).await;
    app.user_with_role("sam@vendor.test", Role::Staff, None).await;
    let sam = app.token("sam@vendor.test", PW).await;

    let (q, slug) = ask(&app, &ann, "Nightly export stops at 40%").await;
    let page = format!("/t/{q}/{slug}");
    let (_, html) = ann_b.page(&page).await;
    assert!(
        html.contains(&format!("/escalate/t/{q}")),
        "the asker sees Escalate"
    );
    let (_, html) = carl_b.page(&page).await;
    assert!(!html.contains("/escalate/t/"), "other members do not");

    // Only the asker (a contact) or staff; someone else's question is refused.
    let path = format!("/api/v1/topics/{q}/escalate");
    app.expect(
        StatusCode::FORBIDDEN,
        Method::POST,
        &path,
        Some(&carl),
        Some(json!({})),
    )
    .await;

    // A body that does not fit is said to be so, and files nothing.
    app.expect(
        StatusCode::BAD_REQUEST,
        Method::POST,
        &path,
        Some(&ann),
        Some(json!({"organization_id": "many"})),
    )
    .await;

    // The asker escalates: one ticket, filled in from the thread, linked both ways.
    let t = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            &path,
            Some(&ann),
            Some(json!({})),
        )
        .await;
    let ticket = t["ticket"]["id"].as_i64().unwrap();
    assert_eq!(t["ticket"]["source"], "escalation");
    assert_eq!(t["ticket"]["subject"], "Nightly export stops at 40%");
    assert_eq!(t["customer"], "Acme");
    let description = t["ticket"]["description_markdown"].as_str().unwrap();
    assert!(
        description.contains("> The nightly export stops at 40%."),
        "{description}"
    );
    assert!(description.contains(&format!("/t/{q}/{slug}")), "{description}");
    assert_eq!(t["community"]["topic_id"], q);
    // Twice, by anyone allowed, is still the one ticket.
    let again = app
        .expect(StatusCode::OK, Method::POST, &path, Some(&ann), Some(json!({})))
        .await;
    assert_eq!(again["ticket"]["id"], ticket);
    let again = app
        .expect(StatusCode::OK, Method::POST, &path, Some(&sam), Some(json!({})))
        .await;
    assert_eq!(again["ticket"]["id"], ticket);
    let list = ok(&app, &sam, Method::GET, "/api/v1/tickets", None).await;
    assert_eq!(
        list.to_string().matches("Nightly export stops at 40%").count(),
        1,
        "{list}"
    );

    // The thread: the asker sees the ticket and its status, others only that it went to support.
    let (_, html) = ann_b.page(&page).await;
    assert!(html.contains(&format!("ticket #{ticket}</a>, Open")), "{html}");
    let (_, html) = carl_b.page(&page).await;
    assert!(html.contains("This question was escalated to support."), "{html}");
    assert!(
        !html.contains(&format!("ticket #{ticket}")),
        "no ticket number for others"
    );
    assert!(
        !html.contains("/portal/tickets/"),
        "no link to the ticket for others"
    );

    // Publishing waits for a solution; then staff publish it, accepted.
    let tpath = format!("/api/v1/tickets/{ticket}");
    ok(
        &app,
        &sam,
        Method::POST,
        &format!("{tpath}/notes"),
        Some(json!({"body": "Raise `export.timeout` to 120 s on Acme's host db7."})),
    )
    .await;
    let publish = format!("{tpath}/publish");
    app.expect(
        StatusCode::CONFLICT,
        Method::POST,
        &publish,
        Some(&sam),
        Some(json!({})),
    )
    .await;
    for s in ["in_progress", "solution_provided"] {
        ok(
            &app,
            &sam,
            Method::PUT,
            &format!("{tpath}/status"),
            Some(json!({"status": s})),
        )
        .await;
    }
    let (status, _) = app
        .call(Method::POST, &publish, Some(&ann), Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only staff publish");
    let before = ok(&app, &ann, Method::GET, "/api/v1/notifications", None).await["unread"]
        .as_i64()
        .unwrap();
    let answer = json!({"body": "Raise `export.timeout` to 120 s.", "accept": true});
    let r = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            &publish,
            Some(&sam),
            Some(answer),
        )
        .await;
    let topic = ok(&app, &ann, Method::GET, &format!("/api/v1/topics/{q}"), None).await;
    assert_eq!(topic["accepted"]["id"], r["id"], "{topic}");
    assert!(
        topic
            .to_string()
            .contains("Raise <code>export.timeout</code> to 120 s."),
        "{topic}"
    );
    let after = ok(&app, &ann, Method::GET, "/api/v1/notifications", None).await["unread"]
        .as_i64()
        .unwrap();
    assert!(after > before, "the asker hears of the answer");

    // The ticket page offers staff the way back and an article.
    let mut sam_b = app.browser();
    sam_b.login("sam@vendor.test", PW).await;
    let (_, html) = sam_b.page(&format!("/portal/tickets/{ticket}")).await;
    assert!(
        html.contains(&format!("/portal/tickets/{ticket}/publish")),
        "{html}"
    );
    let (status, html) = sam_b.page(&format!("/portal/tickets/{ticket}/publish")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("db7"),
        "the preview starts from the note, to be edited: {html}"
    );
    let (status, html) = sam_b.page(&format!("/portal/tickets/{ticket}/article")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("## The solution"), "{html}");

    // A member who is not a contact learns whom to ask, and cannot file.
    let (bq, _) = ask(&app, &bob, "Proxy returns 502 on login").await;
    let mut bob_b = app.browser();
    bob_b.login("bob@acme.test", PW).await;
    let (status, html) = bob_b.page(&format!("/escalate/t/{bq}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Ask a contact of your organization") && html.contains("Operator Made"),
        "{html}"
    );
    app.expect(
        StatusCode::FORBIDDEN,
        Method::POST,
        &format!("/api/v1/topics/{bq}/escalate"),
        Some(&bob),
        Some(json!({})),
    )
    .await;

    // Only questions escalate.
    let idea = ok(
        &app,
        &ann,
        Method::POST,
        "/api/v1/topics",
        Some(json!({"category": "ideas", "title": "Dark mode please", "body": "For the dashboard."})),
    )
    .await;
    let iid = idea["topic"]["id"].as_i64().unwrap();
    app.expect(
        StatusCode::CONFLICT,
        Method::POST,
        &format!("/api/v1/topics/{iid}/escalate"),
        Some(&sam),
        Some(json!({})),
    )
    .await;
}

#[tokio::test]
async fn the_escalation_form_is_filled_in_and_files_once() {
    let app = TestApp::spawn_with(&["--rate-limits=off", "--send-mail=off"]).await;
    let mut ann_b = app.contact("ann@acme.test", "Acme").await;
    let ann = app.token("ann@acme.test", PW).await;
    let (q, _) = ask(&app, &ann, "License check fails after upgrade").await;
    let (status, html) = ann_b.page(&format!("/escalate/t/{q}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Escalate to a ticket"), "{html}");
    assert!(
        html.contains(r#"value="License check fails after upgrade""#),
        "{html}"
    );
    // A subject too short comes back with the reason and the rest kept.
    let fields = [
        ("subject", "Lic"),
        ("priority", "high"),
        ("description", "Quoted question and more detail."),
    ];
    let res = ann_b.post(&format!("/escalate/t/{q}"), &fields).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("at least 5 characters") && body.contains("Quoted question and more detail."),
        "{body}"
    );
    let fields = [
        ("subject", "License check fails after upgrade"),
        ("priority", "high"),
        ("description", "Quoted question and more detail."),
    ];
    let res = ann_b.post(&format!("/escalate/t/{q}"), &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = crate::common::location(&res);
    assert!(
        to.contains("/portal/tickets/") && to.contains("ticket_filed"),
        "{to}"
    );
    let res = ann_b.post(&format!("/escalate/t/{q}"), &fields).await;
    assert!(crate::common::location(&res).contains("already_escalated"));
    let list = ok(&app, &ann, Method::GET, "/api/v1/tickets", None).await;
    assert_eq!(
        list.to_string()
            .matches("License check fails after upgrade")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_contact_escalates_a_colleagues_question_from_the_page() {
    let app = TestApp::spawn_with(&["--rate-limits=off", "--send-mail=off"]).await;
    let mut ann = app.contact("ann@acme.test", "Acme").await;
    let mut bob_b = app
        .user_with_role("bob@acme.test", Role::Member, Some("Acme"))
        .await;
    let bob = app.token("bob@acme.test", PW).await;
    let mut carl = app.contact("carl@other.test", "Other").await;

    let (q, slug) = ask(&app, &bob, "Reports time out after the upgrade").await;
    let page = format!("/t/{q}/{slug}");
    // Bob, not a contact, is told who can escalate it; that person can.
    let (status, html) = bob_b.page(&format!("/escalate/t/{q}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Operator Made"), "names the contacts: {html}");
    let (_, html) = ann.page(&page).await;
    assert!(
        html.contains(&format!("/escalate/t/{q}")),
        "Ann sees Escalate: {html}"
    );
    let (_, html) = carl.page(&page).await;
    assert!(
        !html.contains("/escalate/t/"),
        "a contact of another customer does not"
    );
    let (status, _) = carl.page(&format!("/escalate/t/{q}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Ann sends the filled-in form as a browser does: no file chosen is an empty part.
    let (status, form) = ann.page(&format!("/escalate/t/{q}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("Reports time out after the upgrade"));
    let res = ann
        .post_multipart(
            &format!("/escalate/t/{q}"),
            &[
                ("subject", "Reports time out after the upgrade"),
                ("priority", "normal"),
                ("environment_id", ""),
                ("application_id", ""),
                ("keyword_id", ""),
                ("description", "Bob's question, escalated by Ann."),
                ("action", "submit"),
            ],
            &[("files", None)],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    let ticket_url = crate::common::location(&res);
    assert!(ticket_url.starts_with("/portal/tickets/"), "{ticket_url}");
    // The thread shows Ann the ticket, as it shows the asker.
    let (_, html) = ann.page(&page).await;
    assert!(
        html.contains("Escalated to support: <a href=\"/portal/tickets/"),
        "{html}"
    );
    let (_, html) = bob_b.page(&page).await;
    assert!(html.contains("Escalated to support"), "{html}");
}
