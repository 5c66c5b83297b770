//! Signing up: company addresses, organizations, refused domains, confirmation.

use super::*;

#[tokio::test]
async fn signup_refuses_what_is_not_a_company_address() {
    let app = TestApp::spawn().await;
    for (email, expect) in [
        ("someone@gmail.com", "free webmail"),
        ("someone@mailinator.com", "disposable"),
        ("not-an-address", "not an email address"),
    ] {
        let (status, body) = api_signup(&app, email, PW, "Someone").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{email}: {body}");
        let msg = body["errors"]["email"][0].as_str().unwrap();
        assert!(msg.contains(expect), "{email}: {msg}");
        assert_eq!(body["status"], 422);
    }
    let (status, body) = api_signup(&app, "ann@acme.test", "short", "Ann").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["errors"]["password"][0]
            .as_str()
            .unwrap()
            .contains("at least 10")
    );
    let (status, body) = api_signup(&app, "ann@acme.test", "ann@acme.test", "Ann").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["errors"]["password"][0]
            .as_str()
            .unwrap()
            .contains("email address")
    );
    let (status, body) = api_signup(&app, "ann@acme.test", PW, "  ").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["errors"]["display_name"].is_array());
    // Nothing was created by the refusals.
    assert!(app.mails().is_empty());
}

#[tokio::test]
async fn signup_page_shows_the_reason_and_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    let (status, html) = b.page("/signup").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("company email address"));
    let res = b
        .post(
            "/signup",
            &[
                ("email", "pat@gmail.com"),
                ("display_name", "Pat Q"),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("gmail.com is a free webmail provider"), "{html}");
    assert!(html.contains("value=\"pat@gmail.com\""));
    assert!(html.contains("value=\"Pat Q\""));
    assert!(!html.contains(PW), "the password must not be sent back");
}

#[tokio::test]
async fn duplicate_address_is_refused_with_a_field_message() {
    let app = TestApp::spawn().await;
    assert_eq!(
        api_signup(&app, "dup@acme.test", PW, "Dup").await.0,
        StatusCode::CREATED
    );
    let (status, body) = api_signup(&app, "DUP@acme.test", PW, "Dup again").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["errors"]["email"][0]
            .as_str()
            .unwrap()
            .contains("already exists")
    );
}

#[tokio::test]
async fn domains_join_their_organization_or_make_a_pending_one() {
    let app = TestApp::spawn().await;
    let mut admin = app
        .user_with_role("root@vendor.test", parley::accounts::Role::Admin, None)
        .await;
    let token = app.token("root@vendor.test", "operator password 1").await;
    let res = app
        .api()
        .post(app.url("/api/v1/admin/organizations"))
        .bearer_auth(&token)
        .json(&json!({"name": "Acme", "domains": ["acme.test"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let acme: Value = res.json().await.unwrap();

    let (_, joined) = api_signup(&app, "ann@acme.test", PW, "Ann").await;
    assert_eq!(joined["user"]["organization"]["id"], acme["id"]);
    assert_eq!(joined["organization_pending"], false);
    // A subdomain of an owned domain joins the same organization.
    let (_, sub) = api_signup(&app, "eve@eu.acme.test", PW, "Eve").await;
    assert_eq!(sub["user"]["organization"]["id"], acme["id"]);

    let (status, pending) = api_signup(&app, "bo@initech.test", PW, "Bo").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(pending["organization_pending"], true);
    assert_eq!(pending["user"]["organization"]["status"], "pending");
    let (_, colleague) = api_signup(&app, "cy@initech.test", PW, "Cy").await;
    assert_eq!(
        colleague["user"]["organization"]["id"],
        pending["user"]["organization"]["id"]
    );

    // A member of a pending organization signs in but cannot read the community yet.
    let mut bo = app.browser();
    bo.login("bo@initech.test", PW).await;
    let (_, home) = bo.page("/").await;
    assert!(home.contains("An administrator will approve it"), "{home}");

    // The admin approves it; members are told by mail and can read.
    let org_id = pending["user"]["organization"]["id"].as_i64().unwrap();
    let res = admin
        .post(&format!("/admin/organizations/{org_id}/approve"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(app.last_mail_to("bo@initech.test").contains("is approved"));
    let (_, home) = bo.page("/").await;
    assert!(home.contains("Questions &amp; Answers"), "{home}");

    // Refusing an organization closes signup for its domain.
    let res = app
        .api()
        .patch(app.url(&format!("/api/v1/admin/organizations/{org_id}")))
        .bearer_auth(&token)
        .json(&json!({"approved": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (status, body) = api_signup(&app, "dee@initech.test", PW, "Dee").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["detail"].as_str().unwrap().contains("closed"));
}

#[tokio::test]
async fn unknown_domains_can_be_refused_outright() {
    let app = TestApp::spawn_with(&["--unknown-domains=refuse"]).await;
    let (status, body) = api_signup(&app, "new@stranger.test", PW, "New").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("does not belong to a customer")
    );
}

#[tokio::test]
async fn admin_refused_domains_are_refused() {
    let app = TestApp::spawn().await;
    let mut admin = app
        .user_with_role("root@vendor.test", parley::accounts::Role::Admin, None)
        .await;
    admin.page("/admin/domains").await;
    let res = admin
        .post(
            "/admin/domains",
            &[("domain", "rival.test"), ("note", "competitor")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, body) = api_signup(&app, "spy@sales.rival.test", PW, "Spy").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("rival.test"));
}

#[tokio::test]
async fn verification_link_good_expired_and_tampered() {
    let app = TestApp::spawn().await;
    let (status, body) = api_signup(&app, "vic@acme.test", PW, "Vic").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["user"]["verified"], false);
    assert_eq!(body["verification_sent"], true);
    let mail = app.last_mail_to("vic@acme.test");
    assert!(mail.contains("Confirm your address"));
    let link = app.link_in(&mail, "/verify");

    let mut b = app.browser();
    // Tampered: one character of the signature changed.
    let mut tampered = link.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let (status, html) = b.page(&tampered).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("does not work"));

    // Expired: a link signed with the real key whose time is up.
    let user_id = body["user"]["id"].as_i64().unwrap();
    let mut claims = parley::keys::Keys::claims(
        parley::keys::Purpose::VerifyEmail,
        user_id,
        0,
        Some("vic@acme.test".into()),
        std::time::Duration::ZERO,
    );
    claims.exp = claims.iat - 3600;
    let expired = app.state.keys.sign(&claims).unwrap();
    let (status, html) = b.page(&format!("/verify?token={expired}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("has expired"));

    // Not verified yet.
    b.login("vic@acme.test", PW).await;
    let (_, home) = b.page("/").await;
    assert!(home.contains("Please confirm your address"));

    // Good.
    let res = b.get(&link).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/?notice=verified");
    let (_, home) = b.page("/?notice=verified").await;
    assert!(home.contains("your address is confirmed"));
    assert!(!home.contains("Please confirm your address"));
    let me: Value = b.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["verified"], true);
}
