//! The forum as pages: forms without JavaScript, topic lists, profiles.

use super::*;

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

#[tokio::test]
async fn views_count_each_reader_once_without_a_write_per_read() {
    let app = TestApp::spawn().await;
    app.user_with_role("ann@acme.test", Role::Member, Some("Acme"))
        .await;
    app.user_with_role("bo@acme.test", Role::Member, Some("Acme"))
        .await;
    let mut ann = app.browser();
    ann.login("ann@acme.test", PW).await;
    let mut bo = app.browser();
    bo.login("bo@acme.test", PW).await;
    let res = ann
        .post(
            "/c/questions/new",
            &[
                ("title", "How are views counted?"),
                ("body", "Once a reader, I hope."),
                ("tags", ""),
            ],
        )
        .await;
    let topic = location(&res);
    let id = topic.split('/').nth(2).unwrap().to_string();
    // Reading writes nothing: four reads make at most one write, the background
    // flush of what they counted.
    let writes = app.state.db.writes();
    for _ in 0..3 {
        assert_eq!(ann.page(&topic).await.0, StatusCode::OK);
    }
    assert_eq!(bo.page(&topic).await.0, StatusCode::OK);
    assert!(
        app.state.db.writes() - writes <= 1,
        "{} writes",
        app.state.db.writes() - writes
    );
    app.state.views.flush(&app.state.db).await.unwrap();

    let (_, list) = ann.page("/c/questions").await;
    assert!(list.contains("2 views"), "two readers, however often they read");
    // The filter tabs keep the other choices, each encoded, and lead where they say.
    let (_, list) = ann.page("/c/questions?tag=a%26b&sort=newest").await;
    let unanswered = "/c/questions?filter=unanswered&amp;tag=a%26b&amp;sort=newest";
    assert!(list.contains(unanswered), "{list}");
    let (status, _) = ann.page(&unanswered.replace("&amp;", "&")).await;
    assert_eq!(status, StatusCode::OK);
    let token = app.token("ann@acme.test", PW).await;
    let topics = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/v1/topics?category=questions",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(topics["topics"][0]["id"].to_string(), id);
    assert_eq!(topics["topics"][0]["views"], 2);
}
