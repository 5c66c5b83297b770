//! Links between threads, tickets, ideas, releases and articles.

use super::*;

#[tokio::test]
async fn links_between_threads_tickets_ideas_releases_and_articles() {
    let app = TestApp::spawn_with(&["--rate-limits=off", "--send-mail=off"]).await;
    app.contact("ann@acme.test", "Acme").await;
    let ann = app.token("ann@acme.test", PW).await;
    let mut sam_b = app.user_with_role("sam@vendor.test", Role::Staff, None).await;
    let sam = app.token("sam@vendor.test", PW).await;
    let topic = |body: Value| async {
        ok(&app, &sam, Method::POST, "/api/v1/topics", Some(body)).await["topic"].clone()
    };
    let release = topic(json!({"category": "releases", "title": "Widget 4.3.0", "body": "Notes", "product": "Widget", "version": "4.3.0", "released_on": "2026-11-20"})).await;
    let article =
        topic(json!({"category": "knowledge", "title": "Tuning export timeouts", "body": "How to."})).await;
    let idea = ok(
        &app,
        &ann,
        Method::POST,
        "/api/v1/topics",
        Some(json!({"category": "ideas", "title": "Faster exports", "body": "Please."})),
    )
    .await["topic"]
        .clone();
    let (q, _) = ask(&app, &ann, "Export is slow").await;
    let ticket = ok(&app, &ann, Method::POST, "/api/v1/tickets", Some(json!({"subject": "Export is slow for us", "priority": "normal", "description": "Takes an hour now."}))).await["ticket"]["id"].as_i64().unwrap();
    let (rid, aid, iid) = (
        release["id"].as_i64().unwrap(),
        article["id"].as_i64().unwrap(),
        idea["id"].as_i64().unwrap(),
    );
    ok(
        &app,
        &ann,
        Method::PUT,
        &format!("/api/v1/topics/{iid}/vote"),
        Some(json!({"value": 1})),
    )
    .await;
    let link = |from: (&str, i64), relation: &str, to: (&str, i64)| json!({"from": {"kind": from.0, "id": from.1}, "relation": relation, "to": {"kind": to.0, "id": to.1}});

    // Only staff link; the kinds must fit the relation.
    app.expect(
        StatusCode::FORBIDDEN,
        Method::POST,
        "/api/v1/links",
        Some(&ann),
        Some(link(("topic", iid), "fixed_in", ("topic", rid))),
    )
    .await;
    app.expect(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        "/api/v1/links",
        Some(&sam),
        Some(link(("topic", q), "duplicate_of", ("topic", iid))),
    )
    .await;
    app.expect(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        "/api/v1/links",
        Some(&sam),
        Some(link(("topic", q), "fixed_in", ("topic", 999_999))),
    )
    .await;
    app.expect(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        "/api/v1/links",
        Some(&sam),
        Some(link(("topic", q), "blessed_by", ("topic", aid))),
    )
    .await;

    // An idea fixed in a release is Shipped, and its voters hear of it.
    app.expect(
        StatusCode::CREATED,
        Method::POST,
        "/api/v1/links",
        Some(&sam),
        Some(link(("topic", iid), "fixed_in", ("topic", rid))),
    )
    .await;
    let idea_now = ok(&app, &ann, Method::GET, &format!("/api/v1/topics/{iid}"), None).await;
    assert_eq!(idea_now["topic"]["status"], "shipped", "{idea_now}");
    let notes = ok(&app, &ann, Method::GET, "/api/v1/notifications", None).await;
    assert!(
        notes["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "idea_status" && n["detail"] == "shipped"),
        "{notes}"
    );
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/links",
            Some(&sam),
            Some(link(("topic", iid), "fixed_in", ("topic", rid))),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "linked once");

    // A ticket fixed in a release gets a note its customer reads.
    ok(
        &app,
        &sam,
        Method::POST,
        "/api/v1/links",
        Some(link(("ticket", ticket), "fixed_in", ("topic", rid))),
    )
    .await;
    let t = ok(
        &app,
        &ann,
        Method::GET,
        &format!("/api/v1/tickets/{ticket}"),
        None,
    )
    .await;
    assert!(t.to_string().contains("Fixed in Widget 4.3.0"), "{t}");

    // An article from a ticket waits for its solution (any ticket, escalated or not).
    let (status, _) = sam_b.page(&format!("/portal/tickets/{ticket}/article")).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A question answered by an article: both pages show it.
    ok(
        &app,
        &sam,
        Method::POST,
        "/api/v1/links",
        Some(link(("topic", q), "answered_by", ("topic", aid))),
    )
    .await;
    let (_, page) = sam_b.page(&format!("/t/{q}/export-is-slow")).await;
    assert!(
        page.contains("Answered by") && page.contains("Tuning export timeouts"),
        "{page}"
    );
    let slug = release["slug"].as_str().unwrap();
    let (_, page) = sam_b.page(&format!("/t/{rid}/{slug}")).await;
    assert!(
        page.contains("Fixes") && page.contains("Faster exports"),
        "{page}"
    );
    assert!(
        !page.contains("Export is slow for us"),
        "tickets never show on a public page"
    );

    // Staff list and remove links.
    let all = ok(
        &app,
        &sam,
        Method::GET,
        &format!("/api/v1/links?kind=topic&id={rid}"),
        None,
    )
    .await;
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
    let id = all[0]["id"].as_i64().unwrap();
    app.expect(
        StatusCode::NO_CONTENT,
        Method::DELETE,
        &format!("/api/v1/links/{id}"),
        Some(&sam),
        None,
    )
    .await;
    let all = ok(
        &app,
        &sam,
        Method::GET,
        &format!("/api/v1/links?kind=topic&id={rid}"),
        None,
    )
    .await;
    assert_eq!(all.as_array().unwrap().len(), 1);
}
