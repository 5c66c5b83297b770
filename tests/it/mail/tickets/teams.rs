//! Team lists: who hears of every critical ticket, and the admins' pages for teams
//! and received mail.

use super::*;

#[tokio::test]
async fn team_lists_hear_of_every_critical_ticket() {
    let app = TestApp::spawn_with(&["--rate-limits=off", "--send-mail=off"]).await;
    app.contact("ann@acme.test", "Acme").await;
    app.user_with_role("root@vendor.test", Role::Admin, None).await;
    app.user_with_role("sam@vendor.test", Role::Staff, None).await;
    app.user_with_role("ada@vendor.test", Role::Staff, None).await;
    app.user_with_role("kim@vendor.test", Role::Staff, None).await;
    app.user_with_role("bob@acme.test", Role::Member, Some("Acme"))
        .await;
    let root = app.token("root@vendor.test", PW).await;
    let ann = app.token("ann@acme.test", PW).await;
    let kim = app.token("kim@vendor.test", PW).await;

    // Admins choose the members: staff accounts only, and a list address.
    let put = async |token: &str, team: &str, body: Value| {
        app.call(
            Method::PUT,
            &format!("/api/v1/admin/teams/{team}"),
            Some(token),
            Some(body),
        )
        .await
    };
    let (status, v) = put(
        &root,
        "support",
        json!({"members": ["bob@acme.test", "nobody@vendor.test"]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let text = v.to_string();
    assert!(text.contains("bob@acme.test is not a member of staff"), "{text}");
    assert!(text.contains("nobody@vendor.test"), "{text}");
    let (status, v) = put(&root, "infrastructure", json!({"list_address": "not an address"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(
        put(&kim, "support", json!({"members": []})).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        put(&root, "marketing", json!({"members": []})).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, v) = put(&root, "support", json!({"members": ["Sam@vendor.test"]})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["members"][0]["email"], "sam@vendor.test");
    let body =
        json!({"members": ["ada@vendor.test", "sam@vendor.test"], "list_address": "infra-list@vendor.test"});
    assert_eq!(put(&root, "infrastructure", body).await.0, StatusCode::OK);
    let (_, teams) = app
        .call(Method::GET, "/api/v1/admin/teams", Some(&root), None)
        .await;
    let slugs: Vec<&str> = teams
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["slug"].as_str().unwrap())
        .collect();
    assert_eq!(
        slugs,
        ["support", "infrastructure", "framework", "customer-success"]
    );
    assert_eq!(teams[1]["list_address"], "infra-list@vendor.test");
    assert_eq!(teams[1]["members"].as_array().unwrap().len(), 2);

    let file = async |subject: &str, priority: &str| {
        let t = app
            .expect(
                StatusCode::CREATED,
                Method::POST,
                "/api/v1/tickets",
                Some(&ann),
                Some(json!({"subject": subject, "priority": priority, "description": "Everything stopped."})),
            )
            .await;
        t["ticket"]["id"].as_i64().unwrap()
    };
    let critical_to = |mails: &[String], address: &str| {
        crate::common::mails_to(mails, address)
            .into_iter()
            .filter(|m| m.contains("Critical: "))
            .count()
    };
    let before = app.mails().len();
    // "Production Down" from a contact makes the ticket Critical: every team member and
    // the list hear of it once; staff outside the teams do not.
    let down = file("Production Down: the API gateway", "normal").await;
    let mails = mails_once_delivered(&app, before + 4).await;
    let new: Vec<String> = mails[before..].to_vec();
    assert_eq!(
        critical_to(&new, "sam@vendor.test"),
        1,
        "sam is in two teams, mailed once"
    );
    assert_eq!(critical_to(&new, "ada@vendor.test"), 1);
    assert_eq!(critical_to(&new, "infra-list@vendor.test"), 1);
    assert_eq!(critical_to(&new, "kim@vendor.test"), 0);
    assert_eq!(
        critical_to(&new, "ann@acme.test"),
        0,
        "the customer gets the receipt only"
    );
    let alert = crate::common::mails_to(&new, "ada@vendor.test").pop().unwrap();
    assert!(alert.contains(&format!("[#{down}]")), "{alert}");
    assert!(alert.contains("Production Down"), "{alert}");

    // A High ticket is not; raised to Critical by staff, it is.
    let high = file("Slow reports", "high").await;
    let before = app.mails().len();
    let (status, v) = app
        .call(
            Method::PUT,
            &format!("/api/v1/tickets/{high}/priority"),
            Some(&kim),
            Some(json!({"priority": "critical"})),
        )
        .await;
    assert!(status.is_success(), "{v}");
    let mails = mails_once_delivered(&app, before + 3).await;
    let new: Vec<String> = mails[before..].to_vec();
    assert_eq!(critical_to(&new, "sam@vendor.test"), 1);
    assert_eq!(critical_to(&new, "infra-list@vendor.test"), 1);
    let raised = crate::common::mails_to(&new, "sam@vendor.test").pop().unwrap();
    assert!(
        raised.contains(&format!("[#{high}]")) && raised.contains("raised its priority"),
        "{raised}"
    );
    // Every critical mail went once: the outbox holds one row per event and address.
    let rows: i64 = with_conn(&app.state.db, |c| {
        mail_outbox::table
            .filter(mail_outbox::event_key.like("ticket-critical:%"))
            .count()
            .get_result(c)
            .unwrap()
    })
    .await;
    assert_eq!(rows, 6);
}

#[tokio::test]
async fn admins_manage_teams_and_read_received_mail_in_pages() {
    let app = TestApp::spawn_with(&["--rate-limits=off", "--send-mail=off"]).await;
    app.user_with_role("sam@vendor.test", Role::Staff, None).await;
    app.user_with_role("bob@acme.test", Role::Member, None).await;
    let mut admin = app.user_with_role("root@vendor.test", Role::Admin, None).await;
    let (status, page) = admin.page("/admin/teams").await;
    assert_eq!(status, StatusCode::OK);
    for team in ["Support", "Infrastructure", "Framework", "Customer Success"] {
        assert!(page.contains(team), "{team}");
    }
    // A refused form comes back with the reason and what was typed.
    let res = admin
        .post(
            "/admin/teams/framework",
            &[
                ("members", "sam@vendor.test\nbob@acme.test"),
                ("list_address", "fw@vendor.test"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.contains("bob@acme.test is not a member of staff"), "{body}");
    assert!(body.contains("fw@vendor.test"), "the form keeps what was typed");
    let res = admin
        .post(
            "/admin/teams/framework",
            &[("members", "sam@vendor.test"), ("list_address", "fw@vendor.test")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = admin.page("/admin/teams").await;
    assert!(
        page.contains("fw@vendor.test") && page.contains("sam@vendor.test"),
        "{page}"
    );
    let (status, page) = admin.page("/admin/inbound-mail").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Received mail"), "{page}");
    // Staff who are not admins are refused.
    let mut sam = app.browser();
    sam.login("sam@vendor.test", PW).await;
    assert_eq!(sam.page("/admin/teams").await.0, StatusCode::FORBIDDEN);
    assert_eq!(sam.page("/admin/inbound-mail").await.0, StatusCode::FORBIDDEN);
}
