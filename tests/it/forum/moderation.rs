//! Flags, the review queue, and importing a forum.

use super::*;

#[tokio::test]
async fn flags_and_the_review_queue() {
    let app = TestApp::spawn().await;
    let ann = app.member_token("ann@acme.test").await;
    let bo = app.member_token("bo@acme.test").await;
    let cy = app.member_token("cy@acme.test").await;
    let support = staff(&app, "sam@vendor.test").await;
    let topic = ask(&app, &ann, "A perfectly normal question", "Hello there", &[]).await;
    let tid = topic["topic"]["id"].as_i64().unwrap();
    let (_, spam) = reply(&app, &bo, tid, "BUY CHEAP WIDGETS").await;
    let spam_id = spam["id"].as_i64().unwrap();
    let flag = |token: &str, body: Value| {
        let (app, token) = (&app, token.to_string());
        async move {
            app.call(
                Method::POST,
                &format!("/api/v1/posts/{spam_id}/flags"),
                Some(&token),
                Some(body),
            )
            .await
            .0
        }
    };
    assert_eq!(
        flag(&bo, json!({"reason": "spam"})).await,
        StatusCode::FORBIDDEN,
        "not one's own post"
    );
    assert_eq!(
        flag(&ann, json!({"reason": "boring"})).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        flag(&ann, json!({"reason": "other"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "other needs a note"
    );
    assert_eq!(flag(&ann, json!({"reason": "spam"})).await, StatusCode::CREATED);
    assert_eq!(
        flag(&ann, json!({"reason": "spam"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "once per member"
    );
    assert_eq!(
        flag(&cy, json!({"reason": "other", "note": "advertising"})).await,
        StatusCode::CREATED
    );

    app.expect(
        StatusCode::FORBIDDEN,
        Method::GET,
        "/api/v1/review",
        Some(&ann),
        None,
    )
    .await;
    let (_, queue) = app
        .call(Method::GET, "/api/v1/review", Some(&support), None)
        .await;
    assert_eq!(queue[0]["post_id"], spam_id);
    assert_eq!(queue[0]["flags"].as_array().unwrap().len(), 2);
    app.expect(
        StatusCode::NO_CONTENT,
        Method::POST,
        &format!("/api/v1/review/{spam_id}"),
        Some(&support),
        Some(json!({"action": "hide"})),
    )
    .await;
    let (_, page) = app
        .call(Method::GET, &format!("/api/v1/topics/{tid}"), Some(&cy), None)
        .await;
    assert_eq!(page["replies"][0]["hidden"], true);
    assert_eq!(page["replies"][0]["html"], "", "members no longer read it");
    let (_, queue) = app
        .call(Method::GET, "/api/v1/review", Some(&support), None)
        .await;
    assert!(queue.as_array().unwrap().is_empty());
    app.expect(
        StatusCode::NO_CONTENT,
        Method::POST,
        &format!("/api/v1/review/{spam_id}"),
        Some(&support),
        Some(json!({"action": "restore"})),
    )
    .await;
    let (_, page) = app
        .call(Method::GET, &format!("/api/v1/topics/{tid}"), Some(&cy), None)
        .await;
    assert_eq!(page["replies"][0]["hidden"], false);

    // From the pages: a member flags, staff dismiss.
    let mut b = app.browser();
    b.login("cy@acme.test", PW).await;
    let opening = topic["opening"]["id"].as_i64().unwrap();
    let (status, html) = b.page(&format!("/p/{opening}/flag")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Flag this post") && html.contains(r#"value="off_topic""#));
    // Without a reason the form comes back with the note kept.
    let res = b
        .post(&format!("/p/{opening}/flag"), &[("note", "keep this note")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("keep this note"));
    let res = b
        .post(&format!("/p/{opening}/flag"), &[("reason", "off_topic")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let mut s = app.browser();
    s.login("sam@vendor.test", PW).await;
    let (status, html) = s.page("/review").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("A perfectly normal question") && html.contains("off topic"));
    let res = s
        .post(&format!("/review/{opening}"), &[("action", "dismiss")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = s.page("/review").await;
    assert!(html.contains("Nothing to review"));
}

#[tokio::test]
async fn import_brings_a_forum_in_and_says_what_it_skipped() {
    let app = TestApp::spawn().await;
    let lines = [
        r#"{"type":"user","email":"ann@old.test","name":"Ann","organization":"Oldco"}"#,
        r#"{"type":"user","email":"bo@old.test","name":"Bo"}"#,
        r#"{"type":"user","email":"not an address","name":"X"}"#,
        r#"{"type":"topic","id":"q1","category":"questions","title":"How do I rotate keys?","body":"Using **4.2**","author":"ann@old.test","tags":["keys"],"created_at":"2024-05-01T10:00:00Z"}"#,
        r#"{"type":"post","topic":"q1","author":"bo@old.test","body":"Run `rotate` <script>alert(1)</script>","created_at":"2024-05-01T11:00:00Z","accepted":true}"#,
        r#"{"type":"post","topic":"q1","author":"ann@old.test","body":"Thanks!"}"#,
        r#"{"type":"post","topic":"nope","author":"ann@old.test","body":"lost"}"#,
        r#"{"type":"topic","id":"q2","category":"nowhere","title":"Somewhere else","body":"x y","author":"ann@old.test"}"#,
        "this is not json",
    ]
    .join("\n");
    // The server's index is built before the import, so that the import must reach it
    // as a change.
    let token = app.member_token("reader@acme.test").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while app
        .call(Method::GET, "/api/v1/search?q=anything", Some(&token), None)
        .await
        .0
        != StatusCode::OK
    {
        assert!(std::time::Instant::now() < deadline, "the index was not built");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let db = app.state.db.clone();
    let summary =
        tokio::task::spawn_blocking(move || parley::import::run(&db, lines.as_bytes(), |_| {}).unwrap())
            .await
            .unwrap();
    assert_eq!(
        (summary.users, summary.topics, summary.posts, summary.skipped),
        (2, 1, 2, 4),
        "{summary:?}"
    );
    assert!(
        summary.problems.iter().any(|p| p.starts_with("line 9:")),
        "{:?}",
        summary.problems
    );

    let (_, list) = app
        .call(
            Method::GET,
            "/api/v1/topics?category=questions",
            Some(&token),
            None,
        )
        .await;
    let topic = &list["topics"][0];
    assert_eq!(topic["title"], "How do I rotate keys?");
    assert_eq!(topic["reply_count"], 2);
    // The running server's index takes the imported thread in, as any change.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, found) = app
            .call(Method::GET, "/api/v1/search?q=rotate+keys", Some(&token), None)
            .await;
        if status == StatusCode::OK && found["total"].as_u64() > Some(0) {
            assert_eq!(found["hits"][0]["title"], "How do I rotate keys?");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{status} {found}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(topic["tags"], json!(["keys"]));
    let (_, page) = app
        .call(
            Method::GET,
            &format!("/api/v1/topics/{}", topic["id"]),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(page["accepted"]["id"], page["replies"][0]["id"], "{page}");
    let reply = page["replies"][0]["html"].as_str().unwrap();
    assert!(
        reply.contains("<code>rotate</code>") && !reply.contains("<script"),
        "{reply}"
    );
    let (_, cats) = app
        .call(Method::GET, "/api/v1/categories", Some(&token), None)
        .await;
    assert_eq!(cats[0]["topic_count"], 1);
    assert_eq!(cats[0]["post_count"], 3);
    // Imported people have no password until they reset it.
    app.expect(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        "/api/v1/auth/token",
        None,
        Some(json!({"email": "ann@old.test", "password": "!imported"})),
    )
    .await;
}
