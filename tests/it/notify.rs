//! Forum notifications: each event reaches the people it concerns and only them (in
//! the site, with the unread count, and by mail at once or in a digest, as each
//! chose), watches and follows, one-click unsubscribe.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use crate::common::{TestApp, delivered, ok};
use parley::accounts::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::PW;

async fn person(app: &TestApp, email: &str, role: Role) -> String {
    app.user_with_role(email, role, None).await;
    app.token(email, PW).await
}

/// The kinds of someone's notifications, newest first.
async fn kinds(app: &TestApp, token: &str) -> Vec<String> {
    let list = ok(app, token, Method::GET, "/api/v1/notifications", None).await;
    list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_string())
        .collect()
}

async fn unread(app: &TestApp, token: &str) -> i64 {
    ok(app, token, Method::GET, "/api/v1/notifications", None).await["unread"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn each_event_reaches_whom_it_concerns_and_only_them() {
    let app = TestApp::spawn_with(&["--rate-limits=off", "--send-mail=off"]).await;
    let ann = person(&app, "ann@acme.test", Role::Member).await;
    let bob = person(&app, "bob@acme.test", Role::Member).await;
    let carl = person(&app, "carl@acme.test", Role::Member).await;
    let dora = person(&app, "dora@acme.test", Role::Member).await;
    let sam = person(&app, "sam@vendor.test", Role::Staff).await;

    // Carl watches Questions for new topics; Dora for every post.
    let watch = json!({"level": "new_topics"});
    ok(
        &app,
        &carl,
        Method::PUT,
        "/api/v1/categories/questions/watch",
        Some(watch),
    )
    .await;
    let every = json!({"level": "all_posts"});
    ok(
        &app,
        &dora,
        Method::PUT,
        "/api/v1/categories/questions/watch",
        Some(every),
    )
    .await;
    let v = app
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            Method::PUT,
            "/api/v1/categories/questions/watch",
            Some(&dora),
            Some(json!({"level": "loud"})),
        )
        .await;
    assert!(v.to_string().contains("new_topics, all_posts or off"), "{v}");

    // Ann asks: the category's watchers hear of it; Ann does not hear of her own post.
    let body =
        json!({"category": "questions", "title": "Backups stop at 40%", "body": "Nightly backups stop."});
    let topic = ok(&app, &ann, Method::POST, "/api/v1/topics", Some(body)).await;
    let tid = topic["topic"]["id"].as_i64().unwrap();
    assert_eq!(kinds(&app, &carl).await, ["watched_category"]);
    assert_eq!(kinds(&app, &dora).await, ["watched_category"]);
    assert!(kinds(&app, &ann).await.is_empty());

    // Bob answers and mentions Carl: Ann hears of a reply to her topic, Carl of the
    // mention (not also as a watcher), Dora as a watcher of every post.
    let path = format!("/api/v1/topics/{tid}/posts");
    let answer = ok(
        &app,
        &bob,
        Method::POST,
        &path,
        Some(json!({"body": "Raise the timeout. @carl saw this too."})),
    )
    .await;
    let answer_id = answer["id"].as_i64().unwrap();
    assert_eq!(kinds(&app, &ann).await, ["reply"]);
    assert_eq!(kinds(&app, &carl).await, ["mention", "watched_category"]);
    assert_eq!(kinds(&app, &dora).await, ["watched_category", "watched_category"]);
    assert!(kinds(&app, &bob).await.is_empty());
    assert_eq!(unread(&app, &ann).await, 1);

    // Bob watches the topic; Ann's next reply reaches him as a watcher.
    ok(
        &app,
        &bob,
        Method::PUT,
        &format!("/api/v1/topics/{tid}/watch"),
        Some(json!({"watching": true})),
    )
    .await;
    ok(
        &app,
        &ann,
        Method::POST,
        &path,
        Some(json!({"body": "Thanks, trying it."})),
    )
    .await;
    assert_eq!(kinds(&app, &bob).await, ["watched_topic"]);

    // Staff accept Bob's answer: Bob and the asker hear of it.
    ok(
        &app,
        &sam,
        Method::POST,
        &format!("/api/v1/posts/{answer_id}/accept"),
        None,
    )
    .await;
    assert_eq!(kinds(&app, &bob).await[0], "accepted");
    assert_eq!(kinds(&app, &ann).await[0], "accepted");
    assert!(
        kinds(&app, &sam).await.is_empty(),
        "the one who accepted is not told"
    );

    // An idea's status reaches its author and its voters, and nobody else.
    let idea = json!({"category": "ideas", "title": "Dark mode", "body": "Please."});
    let idea = ok(&app, &dora, Method::POST, "/api/v1/topics", Some(idea)).await;
    let iid = idea["topic"]["id"].as_i64().unwrap();
    ok(
        &app,
        &ann,
        Method::PUT,
        &format!("/api/v1/topics/{iid}/vote"),
        Some(json!({"value": 1})),
    )
    .await;
    let before_carl = kinds(&app, &carl).await.len();
    ok(
        &app,
        &sam,
        Method::PUT,
        &format!("/api/v1/topics/{iid}/status"),
        Some(json!({"status": "planned"})),
    )
    .await;
    let list = ok(&app, &ann, Method::GET, "/api/v1/notifications", None).await;
    assert_eq!(list["notifications"][0]["kind"], "idea_status");
    assert_eq!(list["notifications"][0]["detail"], "planned");
    assert_eq!(kinds(&app, &dora).await[0], "idea_status");
    assert_eq!(kinds(&app, &carl).await.len(), before_carl);

    // A release reaches the followers of its product.
    ok(
        &app,
        &carl,
        Method::PUT,
        "/api/v1/products/Widget/follow",
        Some(json!({"following": true})),
    )
    .await;
    let release = json!({"category": "releases", "title": "Widget 4.3.0", "body": "Notes",
        "product": "Widget", "version": "4.3.0", "released_on": "2026-11-20"});
    ok(&app, &sam, Method::POST, "/api/v1/topics", Some(release)).await;
    assert_eq!(kinds(&app, &carl).await[0], "release");
    assert!(!kinds(&app, &bob).await.contains(&"release".to_string()));

    // A sub-category's topics and replies reach the watchers of its parent: Carl (new
    // topics) hears of the topic only, Dora (every post) of the topic and its reply.
    let root = {
        app.user_with_role("root@vendor.test", Role::Admin, None).await;
        app.token("root@vendor.test", PW).await
    };
    let sub = json!({"parent": "questions", "name": "Widget Pro", "description": "Widget Pro"});
    app.expect(
        StatusCode::CREATED,
        Method::POST,
        "/api/v1/categories",
        Some(&root),
        Some(sub),
    )
    .await;
    let (carl_before, dora_before) = (kinds(&app, &carl).await.len(), kinds(&app, &dora).await.len());
    let asked = json!({"category": "widget-pro", "title": "Pro licence keys", "body": "Where are they?"});
    let asked = ok(&app, &bob, Method::POST, "/api/v1/topics", Some(asked)).await;
    let pro = asked["topic"]["id"].as_i64().unwrap();
    ok(
        &app,
        &ann,
        Method::POST,
        &format!("/api/v1/topics/{pro}/posts"),
        Some(json!({"body": "Under Settings, Licences."})),
    )
    .await;
    let carl_now = kinds(&app, &carl).await;
    assert_eq!(carl_now.len(), carl_before + 1, "{carl_now:?}");
    assert_eq!(carl_now[0], "watched_category");
    let dora_now = kinds(&app, &dora).await;
    assert_eq!(dora_now.len(), dora_before + 2, "{dora_now:?}");
    assert_eq!(dora_now[..2], ["watched_category", "watched_category"]);
    assert_eq!(
        kinds(&app, &bob).await[0],
        "reply",
        "the asker hears of the reply"
    );

    // Reading: one, then all; someone else's notification is not found.
    let list = ok(&app, &ann, Method::GET, "/api/v1/notifications", None).await;
    let first = list["notifications"][0]["id"].as_i64().unwrap();
    let n = unread(&app, &ann).await;
    let left = ok(
        &app,
        &ann,
        Method::POST,
        "/api/v1/notifications/read",
        Some(json!({"ids": [first]})),
    )
    .await;
    assert_eq!(left["unread"], n - 1);
    let mut b = app.browser();
    b.login("bob@acme.test", PW).await;
    let res = b.get(&format!("/notifications/{first}/open")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (_, page) = b.page("/notifications").await;
    assert!(page.contains("accepted an answer"), "{page}");
    assert!(page.contains(r#"unread">"#), "the header shows the unread count");
    b.post("/notifications/read", &[]).await;
    assert_eq!(unread(&app, &bob).await, 0);

    // The pages: a topic's Watch page and form, a category's, the settings page.
    let (status, page) = b.page(&format!("/watch/t/{iid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Watch this topic"), "{page}");
    let res = b.post(&format!("/watch/t/{iid}"), &[("watching", "yes")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = b.post("/watch/c/ideas", &[("level", "all_posts")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = b.page("/notifications/settings").await;
    assert!(
        page.contains("Dark mode") && page.contains("every post"),
        "{page}"
    );
    let (status, _) = b.page("/watch/c/no-such-category").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let slug = topic["topic"]["slug"].as_str().unwrap().to_string();
    let (_, topic_page) = b.page(&format!("/t/{tid}/{slug}")).await;
    assert!(
        topic_page.contains(&format!("/watch/t/{tid}")),
        "the topic page links to its Watch page"
    );
    let (_, page) = b.page("/notifications").await;
    assert!(!page.contains(r#"unread">"#), "no count once all are read");
}

#[tokio::test]
async fn mail_comes_at_once_or_in_a_digest_and_one_click_stops_it() {
    let app = TestApp::spawn_with(&["--rate-limits=off", "--send-mail=off"]).await;
    let ann = person(&app, "ann@acme.test", Role::Member).await;
    let bob = person(&app, "bob@acme.test", Role::Member).await;
    let carl = person(&app, "carl@acme.test", Role::Member).await;
    ok(
        &app,
        &bob,
        Method::PUT,
        "/api/v1/notifications/settings",
        Some(json!({"email": "digest"})),
    )
    .await;
    ok(
        &app,
        &carl,
        Method::PUT,
        "/api/v1/notifications/settings",
        Some(json!({"email": "off"})),
    )
    .await;
    app.expect(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::PUT,
        "/api/v1/notifications/settings",
        Some(&carl),
        Some(json!({"email": "sometimes"})),
    )
    .await;
    for who in [&bob, &carl] {
        let watch = json!({"level": "all_posts"});
        ok(
            &app,
            who,
            Method::PUT,
            "/api/v1/categories/questions/watch",
            Some(watch),
        )
        .await;
    }
    let before = app.mails().len();
    let body = json!({"category": "questions", "title": "Proxy returns 502", "body": "Behind nginx."});
    let topic = ok(&app, &ann, Method::POST, "/api/v1/topics", Some(body)).await;
    let tid = topic["topic"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/topics/{tid}/posts");
    ok(
        &app,
        &bob,
        Method::POST,
        &path,
        Some(json!({"body": "Check the upstream timeout."})),
    )
    .await;
    ok(
        &app,
        &carl,
        Method::POST,
        &path,
        Some(json!({"body": "Same here."})),
    )
    .await;

    // Ann wants mail at once: one per reply, with a link and a one-click unsubscribe.
    let mails = delivered(&app).await;
    let new = &mails[before..];
    let ann_mail = crate::common::mails_to(new, "ann@acme.test");
    assert_eq!(ann_mail.len(), 2, "{new:?}");
    let mail = crate::common::decode_qp(ann_mail[0]);
    assert!(
        mail.contains("replied to your topic: Proxy returns 502"),
        "{mail}"
    );
    assert!(
        mail.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{mail}"
    );
    // Bob chose the digest and Carl no mail: nothing yet for either.
    assert!(crate::common::mails_to(new, "bob@acme.test").is_empty());
    assert!(crate::common::mails_to(new, "carl@acme.test").is_empty());

    // The digest gathers Bob's notifications in one mail, once.
    let mailing = app.state.mailing.clone();
    assert_eq!(
        parley::notify::mail::send_due_digests(&app.state.db, &mailing)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        parley::notify::mail::send_due_digests(&app.state.db, &mailing)
            .await
            .unwrap(),
        0
    );
    let mails = delivered(&app).await;
    let digests = crate::common::mails_to(&mails, "bob@acme.test");
    assert_eq!(digests.len(), 1);
    let digest = crate::common::decode_qp(digests[0]);
    assert!(
        digest.contains("posted in a category you watch: Proxy returns 502"),
        "{digest}"
    );
    assert!(
        crate::common::mails_to(&mails, "carl@acme.test").is_empty(),
        "mail off means none, digest or not"
    );

    // One click from the mail's header turns Ann's mail off; a forged token is refused.
    let link = mail
        .lines()
        .find_map(|l| l.strip_prefix("List-Unsubscribe: <"))
        .map(|l| l.trim_end_matches('>').to_string())
        .unwrap();
    let path = link
        .split_once("/api/")
        .map(|(_, p)| format!("/api/{p}"))
        .unwrap();
    let res = app
        .api()
        .post(app.url(&path))
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let settings = ok(&app, &ann, Method::GET, "/api/v1/notifications/settings", None).await;
    assert_eq!(settings["email"], "off");
    let res = app
        .api()
        .post(app.url("/api/v1/unsubscribe?token=forged"))
        .send()
        .await
        .unwrap();
    // A forged link is a field to fix, named.
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: serde_json::Value = res.json().await.unwrap();
    assert!(problem["errors"]["token"].is_array(), "{problem}");
    let before = app.mails().len();
    ok(
        &app,
        &bob,
        Method::POST,
        &format!("/api/v1/topics/{tid}/posts"),
        Some(json!({"body": "Any news?"})),
    )
    .await;
    assert_eq!(delivered(&app).await.len(), before, "no mail once off");
    assert_eq!(unread(&app, &ann).await, 3, "still shown in the site");
}
