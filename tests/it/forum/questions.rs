//! Questions and answers: categories, votes, accepted answers, who may post what,
//! and quoting.

use super::*;

#[tokio::test]
async fn categories_are_made_on_first_start() {
    let app = TestApp::spawn().await;
    let token = app.member_token("ann@acme.test").await;
    let cats = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/v1/categories",
            Some(&token),
            None,
        )
        .await;
    let slugs: Vec<&str> = cats
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["questions", "releases", "ideas", "knowledge"]);
    assert_eq!(cats[0]["name"], "Questions & Answers");

    // Admins add sub-categories and rename; members may not.
    let admin = {
        app.user_with_role("root@vendor.test", Role::Admin, None).await;
        app.token("root@vendor.test", PW).await
    };
    let sub = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/api/v1/categories",
            Some(&admin),
            Some(json!({"parent": "questions", "name": "Widget Pro", "description": "All about Widget Pro"})),
        )
        .await;
    assert_eq!(sub["slug"], "widget-pro");
    assert_eq!(sub["kind"], "questions");
    app.expect(
        StatusCode::FORBIDDEN,
        Method::POST,
        "/api/v1/categories",
        Some(&token),
        Some(json!({"parent": "questions", "name": "X"})),
    )
    .await;
    let renamed = app
        .expect(
            StatusCode::OK,
            Method::PATCH,
            "/api/v1/categories/knowledge",
            Some(&admin),
            Some(json!({"name": "Tips & Articles", "position": 9})),
        )
        .await;
    assert_eq!(renamed["name"], "Tips & Articles");
    let (_, cats) = app
        .call(Method::GET, "/api/v1/categories", Some(&token), None)
        .await;
    assert_eq!(cats[0]["children"][0]["name"], "Widget Pro");
    assert_eq!(cats[3]["slug"], "knowledge");
}

#[tokio::test]
async fn question_answers_votes_and_acceptance() {
    let app = TestApp::spawn().await;
    let asker = app.member_token("ann@acme.test").await;
    let helper = app.member_token("bo@acme.test").await;
    let other = app.member_token("cy@acme.test").await;
    let support = staff(&app, "sam@vendor.test").await;

    let topic = ask(
        &app,
        &asker,
        "How do I clear ERR-1042 after upgrading?",
        "It appears on **4.2.1**.",
        &["upgrade", "Errors"],
    )
    .await;
    let tid = topic["topic"]["id"].as_i64().unwrap();
    assert_eq!(topic["topic"]["tags"], json!(["errors", "upgrade"]));
    assert!(
        topic["opening"]["html"]
            .as_str()
            .unwrap()
            .contains("<strong>4.2.1</strong>")
    );

    let answer = |token: &str, body: &str| {
        let (app, token, body) = (&app, token.to_string(), body.to_string());
        async move {
            let post = app
                .expect(
                    StatusCode::CREATED,
                    Method::POST,
                    &format!("/api/v1/topics/{tid}/posts"),
                    Some(&token),
                    Some(json!({"body": body})),
                )
                .await;
            post["id"].as_i64().unwrap()
        }
    };
    let a1 = answer(&helper, "Restart the agent.").await;
    let a2 = answer(&other, "Clear the cache in /var/cache, then restart.").await;

    // Voting: one vote each, changeable, never on one's own post.
    let vote = |token: &str, post: i64, value: i32| {
        put_vote(
            &app,
            token.to_string(),
            format!("/api/v1/posts/{post}/vote"),
            value,
        )
    };
    assert_eq!(vote(&asker, a2, 1).await.1["score"], 1);
    assert_eq!(
        vote(&asker, a2, 1).await.1["score"],
        1,
        "voting twice counts once"
    );
    assert_eq!(vote(&helper, a2, 1).await.1["score"], 2);
    assert_eq!(
        vote(&helper, a2, -1).await.1["score"],
        0,
        "a changed vote moves the score by two"
    );
    assert_eq!(vote(&helper, a2, 0).await.1["score"], 1);
    let (status, _) = vote(&other, a2, 1).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no votes on one's own post");
    let (status, _) = vote(&other, a1, 5).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Only the asker or staff accept; accepting another replaces it.
    app.expect(
        StatusCode::FORBIDDEN,
        Method::POST,
        &format!("/api/v1/posts/{a2}/accept"),
        Some(&helper),
        None,
    )
    .await;
    app.expect(
        StatusCode::OK,
        Method::POST,
        &format!("/api/v1/posts/{a1}/accept"),
        Some(&asker),
        None,
    )
    .await;
    let (_, page) = app
        .call(Method::GET, &format!("/api/v1/topics/{tid}"), Some(&other), None)
        .await;
    assert_eq!(page["accepted"]["id"], a1);
    assert_eq!(page["topic"]["solved"], true);
    app.expect(
        StatusCode::OK,
        Method::POST,
        &format!("/api/v1/posts/{a2}/accept"),
        Some(&support),
        None,
    )
    .await;
    let (_, page) = app
        .call(Method::GET, &format!("/api/v1/topics/{tid}"), Some(&asker), None)
        .await;
    assert_eq!(page["accepted"]["id"], a2);
    assert_eq!(page["accepted"]["my_vote"], 1);
    let replies: Vec<i64> = page["replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(replies, [a1, a2]);

    // The accepted answer shows right under the question on the page.
    let mut browser = app.browser();
    browser.login("cy@acme.test", PW).await;
    let full = location(&browser.get(&format!("/t/{tid}")).await);
    let (status, html) = browser.page(&full).await;
    assert_eq!(status, StatusCode::OK);
    let question_at = html.find("It appears on").unwrap();
    let accepted_at = html.find("Accepted answer").unwrap();
    let first_reply_at = html.find("Restart the agent.").unwrap();
    assert!(question_at < accepted_at && accepted_at < first_reply_at);

    // Filters and sorts.
    ask(&app, &other, "Unanswered question about licences", "Anyone?", &[]).await;
    let list = |q: &str| {
        let (app, q, t) = (&app, q.to_string(), asker.clone());
        async move {
            let (status, body) = app
                .call(Method::GET, &format!("/api/v1/topics?{q}"), Some(&t), None)
                .await;
            assert_eq!(status, StatusCode::OK, "{q}: {body}");
            body["topics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["title"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list("category=questions&filter=solved").await,
        ["How do I clear ERR-1042 after upgrading?"]
    );
    assert_eq!(
        list("category=questions&filter=unanswered").await,
        ["Unanswered question about licences"]
    );
    assert_eq!(
        list("category=questions&filter=mine").await,
        ["How do I clear ERR-1042 after upgrading?"]
    );
    assert_eq!(
        list("tag=upgrade").await,
        ["How do I clear ERR-1042 after upgrading?"]
    );
    assert_eq!(
        list("category=questions&sort=newest").await[0],
        "Unanswered question about licences"
    );
    assert_eq!(
        list("category=questions&sort=latest").await[0],
        "Unanswered question about licences"
    );
    let problem = app
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            Method::GET,
            "/api/v1/topics?sort=sideways",
            Some(&asker),
            None,
        )
        .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("latest, newest, votes or trending")
    );
}

#[tokio::test]
async fn who_may_post_what() {
    let app = TestApp::spawn().await;
    let ann = app.member_token("ann@acme.test").await;
    let support = staff(&app, "sam@vendor.test").await;
    let release = json!({"category": "releases", "title": "Widget 4.3.0 is out", "body": "Notes",
        "product": "Widget", "version": "4.3.0", "released_on": "2026-11-20"});
    let (status, _) = app
        .call(Method::POST, "/api/v1/topics", Some(&ann), Some(release.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "members cannot post releases");
    let page = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/api/v1/topics",
            Some(&support),
            Some(release),
        )
        .await;
    assert_eq!(page["topic"]["version"], "4.3.0");
    assert_eq!(page["topic"]["released_on"], "2026-11-20");
    app.expect(StatusCode::UNPROCESSABLE_ENTITY, Method::POST,
            "/api/v1/topics",
            Some(&support),
            Some(json!({"category": "releases", "title": "Widget next", "body": "Notes", "product": "Widget", "version": "4 3", "released_on": "soon"}))).await;

    // An unverified member reads but cannot post.
    let res = app
        .api()
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"email": "new@acme.test", "password": "a sturdy passphrase", "display_name": "New"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let newbie = app.token("new@acme.test", "a sturdy passphrase").await;
    app.expect(StatusCode::OK, Method::GET, "/api/v1/topics", Some(&newbie), None)
        .await;
    let problem = app
        .expect(
            StatusCode::FORBIDDEN,
            Method::POST,
            "/api/v1/topics",
            Some(&newbie),
            Some(json!({"category": "questions", "title": "Can I post yet?", "body": "hi"})),
        )
        .await;
    assert!(problem["detail"].as_str().unwrap().contains("Confirm your email"));

    // A member of a pending organization cannot read.
    let res = app
        .api()
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"email": "x@pending.test", "password": "a sturdy passphrase", "display_name": "X"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let pending = app.token("x@pending.test", "a sturdy passphrase").await;
    app.expect(
        StatusCode::FORBIDDEN,
        Method::GET,
        "/api/v1/topics",
        Some(&pending),
        None,
    )
    .await;

    // Bad topics name every field to fix at once.
    let problem = app
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            Method::POST,
            "/api/v1/topics",
            Some(&ann),
            Some(json!({"category": "questions", "title": "Hi", "body": "", "tags": ["ok", "not ok!"]})),
        )
        .await;
    for field in ["title", "body", "tags"] {
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
}

#[tokio::test]
async fn quoting_a_post_starts_the_reply_with_it() {
    let app = TestApp::spawn().await;
    let ann = app.member_token("ann@acme.test").await;
    app.member_token("bo@acme.test").await;
    let topic = ask(
        &app,
        &ann,
        "What does ERR-7 mean?",
        "It shows at start.\nThen it stops.",
        &[],
    )
    .await;
    let (tid, pid) = (
        topic["topic"]["id"].as_i64().unwrap(),
        topic["opening"]["id"].as_i64().unwrap(),
    );
    let mut b = app.browser();
    b.login("bo@acme.test", PW).await;
    let res = b.get(&format!("/t/{tid}?quote={pid}")).await;
    let (status, html) = b.page(&location(&res)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("@ann wrote:\n\n&gt; It shows at start.\n&gt; Then it stops."),
        "{html}"
    );
    let res = b
        .post(
            &format!("/t/{tid}/reply"),
            &[(
                "body",
                "@ann wrote:\n\n> It shows at start.\n\nIt means the disk is full.",
            )],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = app
        .call(Method::GET, &format!("/api/v1/topics/{tid}"), Some(&ann), None)
        .await;
    let html = page["replies"][0]["html"].as_str().unwrap();
    assert!(
        html.contains("<blockquote>") && html.contains("href=\"/u/ann\""),
        "{html}"
    );
    let (status, _) = b.page(&format!("/t/{tid}/x?quote=999999")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
