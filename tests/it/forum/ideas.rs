//! Ideas: votes, statuses, merges and the roadmap.

use super::*;

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

    // One vote mechanism per kind of topic: an idea's opening post takes no vote of its
    // own, through the API or on the page; replies to an idea still do.
    let page = app
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/api/v1/topics/{dark}"),
            Some(&bo),
            None,
        )
        .await;
    let opening = page["opening"]["id"].as_i64().unwrap();
    assert_eq!(page["opening"]["can_vote"], false, "{page}");
    let (status, problem) = put_vote(&app, bo.clone(), format!("/api/v1/posts/{opening}/vote"), 1).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("Vote for the idea itself")
    );
    let (_, answer) = reply(&app, &cy, dark, "A dark mode would also save battery on laptops.").await;
    let (status, _) = put_vote(
        &app,
        bo.clone(),
        format!("/api/v1/posts/{}/vote", answer["id"]),
        1,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "a reply to an idea is voted on as before");
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
