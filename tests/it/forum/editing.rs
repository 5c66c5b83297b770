//! Editing, deleting and the staff actions on topics.

use super::*;

#[tokio::test]
async fn editing_keeps_history_and_only_authors_or_staff_edit() {
    let app = TestApp::spawn().await;
    let ann = app.member_token("ann@acme.test").await;
    let bo = app.member_token("bo@acme.test").await;
    let support = staff(&app, "sam@vendor.test").await;
    let topic = ask(&app, &ann, "First title of the question", "first body", &[]).await;
    let (tid, pid) = (
        topic["topic"]["id"].as_i64().unwrap(),
        topic["opening"]["id"].as_i64().unwrap(),
    );

    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/posts/{pid}"),
            Some(&bo),
            Some(json!({"body": "vandalized"})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "members cannot edit another's post"
    );
    let page = app
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &format!("/api/v1/topics/{tid}"),
            Some(&ann),
            Some(json!({"title": "Better title of the question", "body": "second body", "tags": ["howto"]})),
        )
        .await;
    assert_eq!(page["topic"]["title"], "Better title of the question");
    assert_eq!(page["topic"]["slug"], "better-title-of-the-question");
    assert_eq!(page["topic"]["tags"], json!(["howto"]));
    assert_eq!(page["opening"]["edit_count"], 1);
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/posts/{pid}"),
            Some(&support),
            Some(json!({"body": "third body"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "staff edit anything");
    let (_, history) = app
        .call(
            Method::GET,
            &format!("/api/v1/posts/{pid}/history"),
            Some(&bo),
            None,
        )
        .await;
    assert_eq!(history["current"], "third body");
    let edits = history["edits"].as_array().unwrap();
    assert_eq!(edits.len(), 2);
    assert_eq!(edits[0]["body_markdown"], "second body");
    assert_eq!(edits[0]["editor"]["role"], "staff");
    assert_eq!(
        edits[0]["diff"],
        json!([{"change": "removed", "text": "second body"}, {"change": "added", "text": "third body"}])
    );
    assert_eq!(edits[1]["body_markdown"], "first body");
    assert_eq!(edits[1]["title"], "First title of the question");
    assert_eq!(edits[1]["new_title"], "Better title of the question");
    let mut b = app.browser();
    b.login("bo@acme.test", PW).await;
    let (status, html) = b.page(&format!("/p/{pid}/history")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<span class=\"diff-added\">+ third body</span>"),
        "{html}"
    );

    // Bad edits say what to fix.
    let problem = app
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            Method::PATCH,
            &format!("/api/v1/posts/{pid}"),
            Some(&ann),
            Some(json!({"body": " "})),
        )
        .await;
    assert!(problem["errors"]["body"].is_array());
}

#[tokio::test]
async fn deleting_posts_and_topics() {
    let app = TestApp::spawn().await;
    let ann = app.member_token("ann@acme.test").await;
    let bo = app.member_token("bo@acme.test").await;
    let support = staff(&app, "sam@vendor.test").await;
    let topic = ask(&app, &ann, "A question to be answered", "body", &[]).await;
    let tid = topic["topic"]["id"].as_i64().unwrap();
    let (_, reply) = reply(&app, &bo, tid, "an answer").await;
    let rid = reply["id"].as_i64().unwrap();
    app.call(
        Method::POST,
        &format!("/api/v1/posts/{rid}/accept"),
        Some(&ann),
        None,
    )
    .await;

    // The page offers only what the reader may do: the asker may edit the question but
    // not delete it once answered; the answerer may delete the answer.
    let mut ann_b = app.browser();
    ann_b.login("ann@acme.test", PW).await;
    let (_, html) = ann_b.page(&format!("/t/{tid}/x")).await;
    assert!(html.contains("/edit\">Edit</a>"), "{html}");
    assert!(!html.contains("/delete\""), "no Delete for the asker: {html}");
    let mut bo_b = app.browser();
    bo_b.login("bo@acme.test", PW).await;
    let (_, html) = bo_b.page(&format!("/t/{tid}/x")).await;
    assert!(html.contains(&format!("/p/{rid}/delete\"")), "{html}");

    let (status, _) = app
        .call(Method::DELETE, &format!("/api/v1/posts/{rid}"), Some(&ann), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not one's own post");
    app.expect(
        StatusCode::NO_CONTENT,
        Method::DELETE,
        &format!("/api/v1/posts/{rid}"),
        Some(&bo),
        None,
    )
    .await;
    let (_, page) = app
        .call(Method::GET, &format!("/api/v1/topics/{tid}"), Some(&ann), None)
        .await;
    assert_eq!(page["replies"][0]["deleted"], true);
    assert_eq!(page["replies"][0]["html"], "");
    assert!(
        page["accepted"].is_null(),
        "a deleted answer is no longer accepted"
    );
    let (_, page) = app
        .call(
            Method::GET,
            &format!("/api/v1/topics/{tid}"),
            Some(&support),
            None,
        )
        .await;
    assert_eq!(
        page["replies"][0]["html"], "<p>an answer</p>\n",
        "staff still see it"
    );

    // The author cannot delete a topic that has replies; staff can.
    app.expect(
        StatusCode::FORBIDDEN,
        Method::DELETE,
        &format!("/api/v1/topics/{tid}"),
        Some(&ann),
        None,
    )
    .await;
    app.expect(
        StatusCode::NO_CONTENT,
        Method::DELETE,
        &format!("/api/v1/topics/{tid}"),
        Some(&support),
        None,
    )
    .await;
    app.expect(
        StatusCode::NOT_FOUND,
        Method::GET,
        &format!("/api/v1/topics/{tid}"),
        Some(&ann),
        None,
    )
    .await;
    let (_, cats) = app
        .call(Method::GET, "/api/v1/categories", Some(&ann), None)
        .await;
    assert_eq!(cats[0]["topic_count"], 0);
}

#[tokio::test]
async fn staff_lock_pin_and_move_and_members_cannot() {
    let app = TestApp::spawn().await;
    let ann = app.member_token("ann@acme.test").await;
    let bo = app.member_token("bo@acme.test").await;
    let support = staff(&app, "sam@vendor.test").await;
    let first = ask(&app, &ann, "An older question here", "body", &[]).await;
    ask(&app, &ann, "A newer question here", "body", &[]).await;
    let tid = first["topic"]["id"].as_i64().unwrap();
    let moderate = |token: &str, body: Value| {
        let (app, token) = (&app, token.to_string());
        async move {
            app.call(
                Method::POST,
                &format!("/api/v1/topics/{tid}/moderate"),
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    assert_eq!(
        moderate(&ann, json!({"action": "lock"})).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        moderate(&support, json!({"action": "lock"})).await.0,
        StatusCode::OK
    );
    let (status, _) = reply(&app, &bo, tid, "late answer").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a locked topic takes no member replies"
    );
    let (status, _) = reply(&app, &support, tid, "staff note").await;
    assert_eq!(status, StatusCode::CREATED);

    assert_eq!(
        moderate(&support, json!({"action": "pin"})).await.0,
        StatusCode::OK
    );
    let (_, list) = app
        .call(Method::GET, "/api/v1/topics?category=questions", Some(&ann), None)
        .await;
    assert_eq!(list["pinned"][0]["id"], tid);
    assert_eq!(list["topics"].as_array().unwrap().len(), 1);

    let (status, _) = moderate(&support, json!({"action": "move", "category": "knowledge"})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, cats) = app
        .call(Method::GET, "/api/v1/categories", Some(&ann), None)
        .await;
    assert_eq!(cats[0]["topic_count"], 1);
    assert_eq!(cats[3]["topic_count"], 1);
    assert_eq!(cats[3]["post_count"], 2);
    let (status, _) = moderate(&support, json!({"action": "move", "category": "nowhere"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
