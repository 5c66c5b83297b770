//! The forum through HTTP: categories, questions and answers, votes, accepted answers,
//! edits with history, deletion, staff actions, lists, and who may do what.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use crate::common::{TestApp, location};
use parley::accounts::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::PW;

/// A verified member of an approved organization, with an API token.
async fn staff(app: &TestApp, email: &str) -> String {
    app.user_with_role(email, Role::Staff, None).await;
    app.token(email, PW).await
}

async fn ask(app: &TestApp, token: &str, title: &str, body: &str, tags: &[&str]) -> Value {
    app.expect(
        StatusCode::CREATED,
        Method::POST,
        "/api/v1/topics",
        Some(token),
        Some(json!({"category": "questions", "title": title, "body": body, "tags": tags})),
    )
    .await
}

/// Votes on an answer or an idea (`path` names which) through the API.
async fn put_vote(app: &TestApp, token: String, path: String, value: i32) -> (StatusCode, Value) {
    app.call(Method::PUT, &path, Some(&token), Some(json!({"value": value})))
        .await
}

/// Replies to a topic through the API; the status and the new post.
async fn reply(app: &TestApp, token: &str, topic_id: i64, body: &str) -> (StatusCode, Value) {
    let path = format!("/api/v1/topics/{topic_id}/posts");
    app.call(Method::POST, &path, Some(token), Some(json!({"body": body})))
        .await
}

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
async fn pages_work_without_javascript() {
    let app = TestApp::spawn().await;
    app.user_with_role("ann@acme.test", Role::Member, Some("Acme"))
        .await;
    let mut b = app.browser();
    b.login("ann@acme.test", PW).await;
    let (status, index) = b.page("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(index.contains("Ideas &amp; Feature Requests"));
    let (status, _) = b.page("/c/questions/new").await;
    assert_eq!(status, StatusCode::OK);
    // A refused form comes back filled in.
    let res = b
        .post(
            "/c/questions/new",
            &[("title", "Hm"), ("body", "Some **details**"), ("tags", "a, b")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Some **details**") && html.contains("at least 5 characters"));
    let res = b
        .post(
            "/c/questions/new",
            &[
                ("title", "How to rotate the logs?"),
                ("body", "Some **details**"),
                ("tags", "logs"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let topic_url = location(&res);
    assert!(
        topic_url.starts_with("/t/") && topic_url.ends_with("/how-to-rotate-the-logs"),
        "{topic_url}"
    );
    let id: i64 = topic_url.split('/').nth(2).unwrap().parse().unwrap();
    let res = b.get(&format!("/t/{id}")).await;
    assert_eq!(location(&res), topic_url);

    let res = b.post(&format!("/t/{id}/reply"), &[("body", "")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = b
        .post(
            &format!("/t/{id}/reply"),
            &[("body", "Answering myself: use logrotate")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.page(&topic_url).await;
    assert!(html.contains("<strong>details</strong>") && html.contains("use logrotate"));
    let (_, list) = b.page("/c/questions").await;
    assert!(list.contains("How to rotate the logs?"));
    let (status, _) = b.page("/c/no-such-category").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = b.page("/t/999999/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn topic_lists_page_by_cursor() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let ann = app.member_token("ann@acme.test").await;
    for i in 0..35 {
        ask(&app, &ann, &format!("Question number {i:02}"), "body", &[]).await;
    }
    let (_, first) = app
        .call(Method::GET, "/api/v1/topics?category=questions", Some(&ann), None)
        .await;
    assert_eq!(first["topics"].as_array().unwrap().len(), 30);
    assert_eq!(first["topics"][0]["title"], "Question number 34");
    let next = first["next"].as_str().unwrap();
    let (_, second) = app
        .call(
            Method::GET,
            &format!("/api/v1/topics?category=questions&after={next}"),
            Some(&ann),
            None,
        )
        .await;
    let titles: Vec<&str> = second["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Question number 04",
            "Question number 03",
            "Question number 02",
            "Question number 01",
            "Question number 00"
        ]
    );
    assert!(second["next"].is_null());
    // A cursor that is not one is a field to fix, named.
    let problem = app
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            Method::GET,
            "/api/v1/topics?after=garbage",
            Some(&ann),
            None,
        )
        .await;
    assert!(problem["errors"]["after"].is_array(), "{problem}");
}

async fn suggest(app: &TestApp, token: &str, title: &str) -> i64 {
    let page = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/api/v1/topics",
            Some(token),
            Some(json!({"category": "ideas", "title": title, "body": "It would help us a lot."})),
        )
        .await;
    assert_eq!(page["idea"]["status"], "new");
    page["topic"]["id"].as_i64().unwrap()
}

#[tokio::test]
async fn ideas_votes_statuses_merges_and_roadmap() {
    let app = TestApp::spawn().await;
    let ann = app.member_token("ann@acme.test").await;
    let bo = app.member_token("bo@acme.test").await;
    let cy = app.member_token("cy@acme.test").await;
    let support = staff(&app, "sam@vendor.test").await;
    let dark = suggest(&app, &ann, "Add a dark mode to the dashboard").await;
    let night = suggest(&app, &bo, "Night theme for the dashboard please").await;
    let export = suggest(&app, &cy, "Export reports as CSV files").await;

    let vote = |token: &str, id: i64, value: i32| {
        put_vote(
            &app,
            token.to_string(),
            format!("/api/v1/topics/{id}/vote"),
            value,
        )
    };
    assert_eq!(vote(&ann, dark, 1).await.1["votes"], 1);
    assert_eq!(vote(&ann, dark, 1).await.1["votes"], 1, "one vote per member");
    assert_eq!(vote(&bo, dark, 1).await.1["votes"], 2);
    assert_eq!(vote(&bo, night, 1).await.1["votes"], 1);
    assert_eq!(vote(&cy, night, 1).await.1["votes"], 2);
    assert_eq!(vote(&cy, export, 1).await.1["votes"], 1);
    assert_eq!(vote(&cy, export, 0).await.1["votes"], 0, "votes toggle off");
    assert_eq!(vote(&cy, export, 2).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    app.expect(
        StatusCode::OK,
        Method::PUT,
        &format!("/api/v1/topics/{dark}/vote"),
        Some(&ann),
        Some(json!({"value": 1})),
    )
    .await;

    // Only staff set statuses, with an official response shown at the top.
    let status_body = json!({"status": "planned", "response": "Coming in **5.0**."});
    app.expect(
        StatusCode::FORBIDDEN,
        Method::PUT,
        &format!("/api/v1/topics/{dark}/status"),
        Some(&ann),
        Some(status_body.clone()),
    )
    .await;
    let page = app
        .expect(
            StatusCode::OK,
            Method::PUT,
            &format!("/api/v1/topics/{dark}/status"),
            Some(&support),
            Some(status_body),
        )
        .await;
    assert_eq!(page["idea"]["status"], "planned");
    assert!(
        page["idea"]["response"]
            .as_str()
            .unwrap()
            .contains("<strong>5.0</strong>")
    );
    app.expect(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::PUT,
        &format!("/api/v1/topics/{export}/status"),
        Some(&support),
        Some(json!({"status": "someday"})),
    )
    .await;

    // Merging a duplicate moves its voters without counting anyone twice.
    app.expect(
        StatusCode::FORBIDDEN,
        Method::POST,
        &format!("/api/v1/topics/{night}/merge"),
        Some(&bo),
        Some(json!({"into": dark})),
    )
    .await;
    let merged = app
        .expect(
            StatusCode::OK,
            Method::POST,
            &format!("/api/v1/topics/{night}/merge"),
            Some(&support),
            Some(json!({"into": dark})),
        )
        .await;
    assert_eq!(merged["votes"], 3, "ann and bo once each, plus cy");
    let (_, page) = app
        .call(Method::GET, &format!("/api/v1/topics/{night}"), Some(&bo), None)
        .await;
    assert_eq!(page["idea"]["status"], "duplicate");
    assert_eq!(page["idea"]["merged_into"], dark);
    assert_eq!(vote(&bo, night, 1).await.0, StatusCode::CONFLICT);
    let (_, list) = app
        .call(
            Method::GET,
            "/api/v1/topics?category=ideas&sort=votes",
            Some(&ann),
            None,
        )
        .await;
    let ids: Vec<i64> = list["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [dark, export], "the duplicate leaves the list");
    let (_, list) = app
        .call(
            Method::GET,
            "/api/v1/topics?category=ideas&status=planned",
            Some(&ann),
            None,
        )
        .await;
    assert_eq!(list["topics"].as_array().unwrap().len(), 1);
    let (_, trending) = app
        .call(
            Method::GET,
            "/api/v1/topics?category=ideas&sort=trending",
            Some(&ann),
            None,
        )
        .await;
    assert_eq!(trending["topics"][0]["id"], dark, "{trending}");

    // Ideas only: answers cannot be accepted there, and questions take no idea votes.
    let (_, q) = app
        .call(
            Method::POST,
            "/api/v1/topics",
            Some(&ann),
            Some(json!({"category": "questions", "title": "A plain question", "body": "Why so?"})),
        )
        .await;
    assert_eq!(
        vote(&bo, q["topic"]["id"].as_i64().unwrap(), 1).await.0,
        StatusCode::CONFLICT
    );

    // The roadmap shows planned ideas, as JSON and as a page.
    let (_, roadmap) = app.call(Method::GET, "/api/v1/roadmap", Some(&cy), None).await;
    assert_eq!(roadmap["planned"][0]["id"], dark);
    let mut b = app.browser();
    b.login("cy@acme.test", PW).await;
    let (status, html) = b.page("/roadmap").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Add a dark mode to the dashboard"));
    let full = location(&b.get(&format!("/t/{dark}")).await);
    let (_, html) = b.page(&full).await;
    assert!(html.contains("Official response") && html.contains("Remove my vote"));
}

#[tokio::test]
async fn demo_fills_every_category_once() {
    let app = TestApp::spawn().await;
    let db = app.state.db.clone();
    let accounts = tokio::task::spawn_blocking(move || {
        parley::demo::populate(&db).unwrap();
        parley::demo::populate(&db).unwrap()
    })
    .await
    .unwrap();
    let alice = accounts.iter().find(|a| a.email == "alice@acme.test").unwrap();
    let token = app.token("alice@acme.test", &alice.password).await;
    let (_, cats) = app
        .call(Method::GET, "/api/v1/categories", Some(&token), None)
        .await;
    // The showcase topics, and the 200 community threads (170 questions, 30 articles)
    // once, though populated twice.
    for cat in cats.as_array().unwrap() {
        let count = cat["topic_count"].as_i64().unwrap();
        match cat["slug"].as_str().unwrap() {
            "questions" => assert_eq!(count, 2 + 170),
            "knowledge" => assert_eq!(count, 1 + 30),
            slug => assert!((1..=2).contains(&count), "{slug}: {count}"),
        }
    }
    let (_, solved) = app
        .call(
            Method::GET,
            "/api/v1/topics?category=questions&filter=solved",
            Some(&token),
            None,
        )
        .await;
    let solved = solved["topics"].as_array().unwrap();
    assert_eq!(solved[0]["title"], "ERR-1042 after upgrading to 4.2.1");
    assert!(solved.len() > 1);
    let (_, roadmap) = app.call(Method::GET, "/api/v1/roadmap", Some(&token), None).await;
    assert_eq!(roadmap["planned"][0]["title"], "Dark mode for the dashboard");
}

#[tokio::test]
async fn profiles_list_topics_answers_and_accepted_answers() {
    let app = TestApp::spawn().await;
    let ann = app.member_token("ann@acme.test").await;
    let bo = app.member_token("bo.b@acme.test").await;
    let topic = ask(
        &app,
        &ann,
        "Where are the logs kept?",
        "Looking for them, @bo.b",
        &[],
    )
    .await;
    // A mention of an existing user links to their profile.
    assert!(
        topic["opening"]["html"]
            .as_str()
            .unwrap()
            .contains("<a href=\"/u/bo.b\""),
        "{topic}"
    );
    let tid = topic["topic"]["id"].as_i64().unwrap();
    let (_, reply) = reply(&app, &bo, tid, "In /var/log/widget.").await;
    app.call(
        Method::POST,
        &format!("/api/v1/posts/{}/accept", reply["id"]),
        Some(&ann),
        None,
    )
    .await;
    let profile = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/v1/users/bo.b",
            Some(&ann),
            None,
        )
        .await;
    assert_eq!(profile["answer_count"], 1);
    assert_eq!(profile["accepted_count"], 1);
    assert_eq!(profile["answers"][0]["accepted"], true);
    assert!(profile["email"].is_null(), "members do not see addresses");
    let (_, profile) = app.call(Method::GET, "/api/v1/users/ann", Some(&ann), None).await;
    assert_eq!(profile["topic_count"], 1);
    assert_eq!(profile["topics"][0]["title"], "Where are the logs kept?");
    app.expect(
        StatusCode::NOT_FOUND,
        Method::GET,
        "/api/v1/users/nobody-here",
        Some(&ann),
        None,
    )
    .await;
    let mut b = app.browser();
    b.login("ann@acme.test", PW).await;
    let (status, html) = b.page("/u/bo.b").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("1 answer, 1 accepted"), "{html}");
}

async fn release(app: &TestApp, token: &str, product: &str, version: &str) -> i64 {
    let page = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/api/v1/topics",
            Some(token),
            Some(
                json!({"category": "releases", "title": format!("{product} {version} released"),
                "body": "## Fixed\n\n- ERR-1042", "product": product, "version": version}),
            ),
        )
        .await;
    page["topic"]["id"].as_i64().unwrap()
}

#[tokio::test]
async fn release_downloads_and_feeds() {
    let app = TestApp::spawn().await;
    let ann = app.member_token("ann@acme.test").await;
    let support = staff(&app, "sam@vendor.test").await;
    let widget = release(&app, &support, "Widget", "4.3.0").await;
    release(&app, &support, "Gadget", "1.0.0").await;

    let upload = |token: &str| {
        let form = reqwest::multipart::Form::new()
            .text("label", "Linux installer")
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"installer bytes".to_vec())
                    .file_name("../widget-4.3.0.tar.gz"),
            );
        app.api()
            .post(app.url(&format!("/api/v1/topics/{widget}/downloads")))
            .bearer_auth(token)
            .multipart(form)
    };
    assert_eq!(upload(&ann).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let res = upload(&support).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let file: Value = res.json().await.unwrap();
    assert_eq!(
        file["filename"], "widget-4.3.0.tar.gz",
        "the path part of the name is dropped"
    );
    assert_eq!(file["size"], 15);
    assert_eq!(
        file["sha256"],
        "e34210a6de4f653edf588301431c3d69a633638cbf587345cc50a7fed9f38f4c"
    );
    app.expect(
        StatusCode::CREATED,
        Method::POST,
        &format!("/api/v1/topics/{widget}/downloads"),
        Some(&support),
        Some(json!({"label": "Mirror", "url": "https://mirror.example.test/widget-4.3.0.tar.gz"})),
    )
    .await;
    app.expect(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &format!("/api/v1/topics/{widget}/downloads"),
        Some(&support),
        Some(json!({"url": "javascript:alert(1)"})),
    )
    .await;
    let (_, page) = app
        .call(Method::GET, &format!("/api/v1/topics/{widget}"), Some(&ann), None)
        .await;
    assert_eq!(page["downloads"].as_array().unwrap().len(), 2);

    // Members fetch the file with headers that keep it inert; strangers are sent to sign in.
    let mut b = app.browser();
    b.login("ann@acme.test", PW).await;
    let path = format!("/files/{}/widget-4.3.0.tar.gz", file["sha256"].as_str().unwrap());
    let res = b.get(&path).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"installer bytes");
    assert_eq!(app.browser().get(&path).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        b.get(&format!("/files/{}/x", "0".repeat(64))).await.status(),
        StatusCode::NOT_FOUND
    );

    // The feeds parse as Atom, per product too; a token in the address works for readers.
    let res = b.get("/releases.atom").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let feed = atom_syndication::Feed::read_from(&res.bytes().await.unwrap()[..]).unwrap();
    assert_eq!(feed.entries().len(), 2);
    let product_feed = b.get("/releases/Widget.atom").await.bytes().await.unwrap();
    let feed = atom_syndication::Feed::read_from(&product_feed[..]).unwrap();
    assert_eq!(feed.entries().len(), 1);
    assert_eq!(
        feed.entries()[0].title().as_str(),
        "Widget 4.3.0: Widget 4.3.0 released"
    );
    assert!(
        feed.entries()[0]
            .content()
            .unwrap()
            .value()
            .unwrap()
            .contains("ERR-1042")
    );
    assert_eq!(
        app.api()
            .get(app.url("/releases.atom"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let res = app
        .api()
        .get(app.url(&format!("/releases.atom?token={ann}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Staff add downloads from the page too, as a browser sends the form (the token
    // first, the file input always present): an uploaded file, and a link with no file.
    let mut staff_browser = app.browser();
    staff_browser.login("sam@vendor.test", PW).await;
    let (_, html) = staff_browser.page(&format!("/t/{widget}/x")).await;
    assert!(!html.contains("csrf_token="), "no token in a form's address");
    let res = staff_browser
        .post_multipart(
            &format!("/t/{widget}/downloads"),
            &[("label", "Checksums"), ("url", "")],
            &[("file", Some(("SHA256SUMS.txt", b"sums")))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = staff_browser
        .post_multipart(
            &format!("/t/{widget}/downloads"),
            &[
                ("label", "Mirror"),
                ("url", "https://mirror.example.com/widget.tar.gz"),
            ],
            &[("file", None)],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    let res = staff_browser
        .post_multipart(
            &format!("/t/{widget}/downloads"),
            &[("label", "Nothing"), ("url", "")],
            &[("file", None)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Choose a file to upload, or give a link.")
    );
    // Without the token the form is refused, wherever the token would have been.
    let form = reqwest::multipart::Form::new()
        .text("label", "Forged")
        .text("url", "https://evil.example.com/x");
    let res = staff_browser
        .client
        .post(app.url(&format!("/t/{widget}/downloads")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, html) = staff_browser.page(&format!("/t/{widget}/x")).await;
    assert!(html.contains("Checksums") && html.contains("4 B"), "{html}");
    assert!(
        html.contains("mirror.example.com") && !html.contains("Forged"),
        "{html}"
    );
}

#[tokio::test]
async fn feeds_can_be_public() {
    let app = TestApp::spawn_with(&["--public-feeds=on"]).await;
    let support = staff(&app, "sam@vendor.test").await;
    release(&app, &support, "Widget", "5.0.0").await;
    let res = app.api().get(app.url("/releases.atom")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let feed = atom_syndication::Feed::read_from(&res.bytes().await.unwrap()[..]).unwrap();
    assert_eq!(feed.entries().len(), 1);
}

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

#[tokio::test]
async fn attachments_in_posts() {
    let app = TestApp::spawn_with(&["--max-upload-mb=1"]).await;
    let ann = app.member_token("ann@acme.test").await;
    let png: &[u8] = b"\x89PNG\r\n\x1a\nnot really an image";
    let send = |name: &'static str, bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name));
        app.api()
            .post(app.url("/api/v1/uploads"))
            .bearer_auth(&ann)
            .multipart(form)
            .send()
    };
    let res = send("screen shot.png", png.to_vec()).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let attached: Value = res.json().await.unwrap();
    let url = attached["url"].as_str().unwrap().to_string();
    assert_eq!(attached["markdown"], format!("![screen_shot.png]({url})"));
    for (name, bytes) in [
        ("page.html", b"<script>".to_vec()),
        ("logo.svg", b"<svg/>".to_vec()),
        ("big.png", vec![0u8; 1024 * 1024 + 1]),
    ] {
        let res = send(name, bytes).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        let problem: Value = res.json().await.unwrap();
        assert!(problem["errors"]["file"].is_array(), "{problem}");
    }
    // The image shows in a post and is served inline, inert.
    let topic = ask(
        &app,
        &ann,
        "Look at this screenshot",
        attached["markdown"].as_str().unwrap(),
        &[],
    )
    .await;
    assert!(
        topic["opening"]["html"]
            .as_str()
            .unwrap()
            .contains(&format!("<img src=\"{url}\"")),
        "{topic}"
    );
    let mut b = app.browser();
    b.login("ann@acme.test", PW).await;
    let res = b.get(&url).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    // The same bytes attached by someone else under another name and type keep theirs;
    // the first link keeps its own.
    let res = send("notes.txt", png.to_vec()).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["sha256"], attached["sha256"]);
    let res = b.get(again["url"].as_str().unwrap()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.contains("notes.txt"), "{disposition}");
    let res = b.get(&url).await;
    assert_eq!(res.headers()["content-type"], "image/png");

    // Without JavaScript: Attach posts the whole reply form with the file, and the topic
    // comes back with the draft typed so far and the file's markdown after it.
    let tid = topic["topic"]["id"].as_i64().unwrap();
    let (_, html) = b.page(&format!("/t/{tid}/x")).await;
    assert!(html.contains(r#"formaction="/t/"#), "{html}");
    let res = b
        .post_multipart(
            &format!("/t/{tid}/attach"),
            &[("body", "The agent stops here, see the log:")],
            &[("file", Some(("agent.log", b"log line")))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("The agent stops here, see the log:\n\n[agent.log](&#x2F;files&#x2F;"),
        "{html}"
    );
    // No file chosen, or a refused one: the draft comes back as it was, with the reason.
    for (file, reason) in [
        (None, "Choose a file to attach."),
        (
            Some(("run.sh", &b"rm"[..])),
            "run.sh is not a type you can attach",
        ),
    ] {
        let res = b
            .post_multipart(
                &format!("/t/{tid}/attach"),
                &[("body", "Keep my draft")],
                &[("file", file)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text().await.unwrap();
        assert!(html.contains("Keep my draft") && html.contains(reason), "{html}");
    }
}

#[tokio::test]
async fn uploads_from_a_browser_need_the_csrf_token() {
    let app = TestApp::spawn().await;
    let support = staff(&app, "sam@vendor.test").await;
    let widget = release(&app, &support, "Widget", "6.0.0").await;
    let mut b = app.browser();
    b.login("sam@vendor.test", PW).await;
    let form = || {
        reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("a.txt"),
        )
    };
    // A page form posted without the token in its address, or with a forged one.
    for path in [
        format!("/t/{widget}/downloads"),
        format!("/t/{widget}/downloads?csrf_token=forged"),
    ] {
        let res = b
            .client
            .post(app.url(&path))
            .multipart(form())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // A forged token in the first part, or the real one only after the file.
    let (_, html) = b.page(&format!("/t/{widget}/x")).await;
    let token = crate::common::csrf_in(&html).unwrap();
    for form in [
        reqwest::multipart::Form::new().text("csrf_token", "forged").part(
            "file",
            reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("a.txt"),
        ),
        form().text("csrf_token", token),
    ] {
        let res = b
            .client
            .post(app.url(&format!("/t/{widget}/downloads")))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    // The JSON API with the session cookie but no X-CSRF-Token header.
    let res = b
        .client
        .post(app.url("/api/v1/uploads"))
        .multipart(form())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, page) = app
        .call(
            Method::GET,
            &format!("/api/v1/topics/{widget}"),
            Some(&support),
            None,
        )
        .await;
    assert!(
        page["downloads"].as_array().unwrap().is_empty(),
        "nothing was stored"
    );
}

#[tokio::test]
async fn the_releases_page_lists_newest_first() {
    let app = TestApp::spawn().await;
    let support = staff(&app, "sam@vendor.test").await;
    let older = release(&app, &support, "Widget", "1.0.0").await;
    release(&app, &support, "Widget", "2.0.0").await;
    // A comment on the older release does not lift it above the newer one.
    let (status, _) = reply(&app, &support, older, "A late note.").await;
    assert_eq!(status, StatusCode::CREATED);
    let mut b = app.browser();
    b.login("sam@vendor.test", PW).await;
    let (_, html) = b.page("/c/releases").await;
    let newer_at = html.find("Widget 2.0.0 released").unwrap();
    let older_at = html.find("Widget 1.0.0 released").unwrap();
    assert!(newer_at < older_at);
}

/// The statuses of `n` calls made at the same moment.
async fn at_once<F, Fut>(n: usize, call: F) -> Vec<StatusCode>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = (StatusCode, Value)>,
{
    futures_util::future::join_all((0..n).map(call))
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect()
}

#[tokio::test]
async fn many_writers_on_one_row_get_answers_not_errors() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let ann = app.member_token("ann@acme.test").await;
    let mut people = Vec::new();
    for i in 0..16 {
        people.push(app.member_token(&format!("writer{i}@acme.test")).await);
    }
    let topic = ask(&app, &ann, "Sixteen people answer at once", "body", &[]).await;
    let tid = topic["topic"]["id"].as_i64().unwrap();

    // Sixteen replies to one topic: each gets its own number, none is lost.
    let statuses = at_once(16, |i| reply(&app, &people[i], tid, "an answer from someone")).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED), "{statuses:?}");
    let (_, page) = app
        .call(Method::GET, &format!("/api/v1/topics/{tid}"), Some(&ann), None)
        .await;
    assert_eq!(page["topic"]["reply_count"], 16, "{page}");
    let mut numbers: Vec<i64> = page["replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["number"].as_i64().unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (2..=17).collect::<Vec<_>>());
    let answer = page["replies"][0]["id"].as_i64().unwrap();

    // One person's vote sent sixteen times at once (a double click, many times over)
    // counts once; sixteen people's votes count sixteen times.
    let app = &app;
    let vote = |token: String, value: i64| async move {
        let path = format!("/api/v1/posts/{answer}/vote");
        app.call(Method::PUT, &path, Some(&token), Some(json!({"value": value})))
            .await
    };
    let statuses = at_once(16, |_| vote(ann.clone(), 1)).await;
    assert!(statuses.iter().all(|s| s.is_success()), "{statuses:?}");
    // Its author among the sixteen may not vote on it: one 403.
    let statuses = at_once(16, |i| vote(people[i].clone(), 1)).await;
    assert_eq!(
        statuses.iter().filter(|s| s.is_success()).count(),
        15,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::FORBIDDEN).count(),
        1,
        "{statuses:?}"
    );
    let (_, page) = app
        .call(Method::GET, &format!("/api/v1/topics/{tid}"), Some(&ann), None)
        .await;
    let score = page["replies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == answer)
        .unwrap()["score"]
        .clone();
    assert_eq!(score, 16, "{page}");

    // The asker accepts while others unaccept and accept again: one answer is accepted.
    let statuses = at_once(16, |i| {
        let path = format!("/api/v1/posts/{}/accept", page["replies"][i % 4]["id"]);
        let ann = ann.clone();
        async move { app.call(Method::POST, &path, Some(&ann), None).await }
    })
    .await;
    assert!(
        statuses
            .iter()
            .all(|s| s.is_success() || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    let (_, after) = app
        .call(Method::GET, &format!("/api/v1/topics/{tid}"), Some(&ann), None)
        .await;
    assert!(after["accepted"]["id"].is_i64(), "{after}");

    // An idea voted by sixteen people at once, and by one person sixteen times.
    let idea = suggest(app, &ann, "Dark mode for the dashboard").await;
    let idea_vote = |token: String| async move {
        let path = format!("/api/v1/topics/{idea}/vote");
        app.call(Method::PUT, &path, Some(&token), Some(json!({"value": 1})))
            .await
    };
    let statuses = at_once(16, |i| idea_vote(people[i].clone())).await;
    assert!(statuses.iter().all(|s| s.is_success()), "{statuses:?}");
    let statuses = at_once(16, |_| idea_vote(ann.clone())).await;
    assert!(statuses.iter().all(|s| s.is_success()), "{statuses:?}");
    let (_, page) = app
        .call(Method::GET, &format!("/api/v1/topics/{idea}"), Some(&ann), None)
        .await;
    assert_eq!(page["idea"]["votes"], 17, "{page}");
}

#[tokio::test]
async fn sixty_four_people_at_once_each_get_an_answer_and_every_answer_counts() {
    use diesel::prelude::*;
    use parley::db::schema::{post_revisions, post_votes, posts, topic_votes, topics};

    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let ann = app.member_token("ann@acme.test").await;
    let mut people = Vec::new();
    for i in 0..32 {
        people.push(app.member_token(&format!("crowd{i}@acme.test")).await);
    }
    let topic = ask(&app, &ann, "Everyone answers this at once", "The question.", &[]).await;
    let tid = topic["topic"]["id"].as_i64().unwrap();
    let opening = topic["opening"]["id"].as_i64().unwrap();
    let (status, answer) = reply(&app, &people[31], tid, "An early answer.").await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let (_, page) = app
        .call(Method::GET, &format!("/api/v1/topics/{tid}"), Some(&ann), None)
        .await;
    let answer = page["replies"][0]["id"].as_i64().unwrap();
    let idea = suggest(&app, &ann, "Export the audit log as CSV").await;

    // Sixty-four calls at the same moment: replies, edits of one post, votes on one
    // answer and on one idea, and new questions.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum Kind {
        Reply,
        Edit,
        Vote,
        IdeaVote,
        Ask,
    }
    let kind = |i: usize| match i {
        0..16 => Kind::Reply,
        16..24 => Kind::Edit,
        24..40 => Kind::Vote,
        40..56 => Kind::IdeaVote,
        _ => Kind::Ask,
    };
    let app = &app;
    let statuses = at_once(64, |i| {
        let (ann, people) = (ann.clone(), people.clone());
        async move {
            match kind(i) {
                Kind::Reply => reply(app, &people[i], tid, &format!("Answer number {i}.")).await,
                Kind::Edit => {
                    let path = format!("/api/v1/posts/{opening}");
                    let body = json!({"body": format!("The question, edit {i}.")});
                    app.call(Method::PATCH, &path, Some(&ann), Some(body)).await
                }
                Kind::Vote => {
                    let path = format!("/api/v1/posts/{answer}/vote");
                    let token = &people[i - 24];
                    app.call(Method::PUT, &path, Some(token), Some(json!({"value": 1})))
                        .await
                }
                Kind::IdeaVote => {
                    let path = format!("/api/v1/topics/{idea}/vote");
                    let token = &people[i - 40 + 16];
                    app.call(Method::PUT, &path, Some(token), Some(json!({"value": 1})))
                        .await
                }
                Kind::Ask => {
                    let body = json!({
                        "category": "questions",
                        "title": format!("A crowd question number {i}"),
                        "body": "Asked with everyone else.",
                    });
                    app.call(Method::POST, "/api/v1/topics", Some(&people[i - 56]), Some(body))
                        .await
                }
            }
        }
    })
    .await;
    let answered = |s: &StatusCode| {
        s.is_success() || *s == StatusCode::CONFLICT || *s == StatusCode::UNPROCESSABLE_ENTITY
    };
    assert!(statuses.iter().all(answered), "{statuses:?}");
    let acknowledged = |k: Kind| {
        (0..64)
            .filter(|i| kind(*i) == k && statuses[*i].is_success())
            .count() as i64
    };

    // What the database holds is what was acknowledged, no more and no less.
    let counts = app
        .state
        .db
        .read(move |c| {
            let replies: Vec<i64> = posts::table
                .filter(posts::topic_id.eq(tid))
                .filter(posts::number.gt(1))
                .select(posts::number)
                .order(posts::number.asc())
                .load(c)?;
            let revisions: i64 = post_revisions::table
                .filter(post_revisions::post_id.eq(opening))
                .count()
                .get_result(c)?;
            let votes: i64 = post_votes::table
                .filter(post_votes::post_id.eq(answer))
                .count()
                .get_result(c)?;
            let idea_votes: i64 = topic_votes::table
                .filter(topic_votes::topic_id.eq(idea))
                .count()
                .get_result(c)?;
            let asked: i64 = topics::table
                .filter(topics::title.like("A crowd question number %"))
                .count()
                .get_result(c)?;
            Ok((replies, revisions, votes, idea_votes, asked))
        })
        .await
        .unwrap();
    let (replies, revisions, votes, idea_votes, asked) = counts;
    // The early answer is number 2; each acknowledged reply has a number of its own.
    let expected: Vec<i64> = (2..=2 + acknowledged(Kind::Reply)).collect();
    assert_eq!(replies, expected);
    assert_eq!(revisions, acknowledged(Kind::Edit));
    assert_eq!(votes, acknowledged(Kind::Vote));
    assert_eq!(idea_votes, acknowledged(Kind::IdeaVote));
    assert_eq!(asked, acknowledged(Kind::Ask));
    // And in this run every call was acknowledged.
    assert_eq!(acknowledged(Kind::Reply) + acknowledged(Kind::Ask), 24);
}
