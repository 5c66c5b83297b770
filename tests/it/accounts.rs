//! Accounts through HTTP: signup rules, organizations by domain, verification links,
//! sign-in and out, password reset and change, tokens, CSRF and rate limits.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use crate::common::{TestApp, location};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const PW: &str = "a sturdy passphrase";

async fn api_signup(app: &TestApp, email: &str, password: &str, name: &str) -> (StatusCode, Value) {
    let body = json!({"email": email, "password": password, "display_name": name});
    app.call(Method::POST, "/api/v1/auth/signup", None, Some(body))
        .await
}

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

#[tokio::test]
async fn anonymous_requests_go_to_login_and_come_back() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    let res = b.get("/account?tab=tokens").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login?next=%2Faccount%3Ftab%3Dtokens");
    let (_, html) = b.page(&location(&res)).await;
    assert!(
        html.contains("name=\"next\" value=\"&#x2F;account?tab=tokens\""),
        "{html}"
    );
    app.verified_member("ret@acme.test", PW).await;
    let res = b
        .post(
            "/login",
            &[
                ("email", "ret@acme.test"),
                ("password", PW),
                ("next", "/account?tab=tokens"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/account?tab=tokens");
    // A foreign "next" is not followed.
    let mut other = app.browser();
    let res = other
        .post(
            "/login",
            &[
                ("email", "ret@acme.test"),
                ("password", PW),
                ("next", "https://evil.test/"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/");
    // Open endpoints stay open.
    for path in ["/healthz", "/readyz", "/static/app.css", "/login", "/signup"] {
        assert_eq!(app.browser().get(path).await.status(), StatusCode::OK, "{path}");
    }
    // The API says 401, not a redirect.
    let res = app.api().get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn login_failures_logout_and_sign_out_everywhere() {
    let app = TestApp::spawn().await;
    let mut b = app.verified_member("lou@acme.test", PW).await;
    let (status, _) = b.page("/account").await;
    assert_eq!(status, StatusCode::OK);

    let mut wrong = app.browser();
    for (email, pw) in [("lou@acme.test", "wrong password!"), ("nobody@acme.test", PW)] {
        let res = wrong.post("/login", &[("email", email), ("password", pw)]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text().await.unwrap();
        assert!(html.contains("not right"));
        assert!(html.contains(&format!("value=\"{email}\"")));
    }

    let res = b.post("/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.get("/account").await.status(), StatusCode::SEE_OTHER);

    // A copy of a session cookie stops working when its owner signs out, while the
    // owner's other sessions go on.
    let mut owner = app.browser();
    let res = owner
        .post("/login", &[("email", "lou@acme.test"), ("password", PW)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("parley_session="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_string();
    let mut other = app.browser();
    other.login("lou@acme.test", PW).await;
    let replay = || async {
        app.api()
            .get(app.url("/api/v1/me"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(replay().await, StatusCode::OK);
    owner.page("/account").await;
    assert_eq!(owner.post("/logout", &[]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(replay().await, StatusCode::UNAUTHORIZED);
    assert_eq!(other.get("/account").await.status(), StatusCode::OK);

    // Sign out everywhere ends another browser's session too.
    let mut one = app.browser();
    one.login("lou@acme.test", PW).await;
    let mut two = app.browser();
    two.login("lou@acme.test", PW).await;
    assert_eq!(
        one.post("/account/sessions/end", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(two.get("/account").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn password_change_ends_other_sessions_and_tokens() {
    let app = TestApp::spawn().await;
    let mut here = app.verified_member("pam@acme.test", PW).await;
    let mut elsewhere = app.browser();
    elsewhere.login("pam@acme.test", PW).await;
    let token = app.token("pam@acme.test", PW).await;
    let me = app
        .api()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);

    let res = here
        .post(
            "/account/password",
            &[
                ("current_password", "not it at all"),
                ("new_password", "another good one"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = here
        .post(
            "/account/password",
            &[("current_password", PW), ("new_password", "another good one")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    assert_eq!(
        here.get("/account").await.status(),
        StatusCode::OK,
        "this browser stays signed in"
    );
    assert_eq!(elsewhere.get("/account").await.status(), StatusCode::SEE_OTHER);
    let me = app
        .api()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    let mut fresh = app.browser();
    fresh.login("pam@acme.test", "another good one").await;
}

#[tokio::test]
async fn password_reset_by_mail_works_once() {
    let app = TestApp::spawn().await;
    app.verified_member("rae@acme.test", PW).await;
    let mut other_session = app.browser();
    other_session.login("rae@acme.test", PW).await;
    let mut b = app.browser();
    b.page("/password/forgot").await;
    let res = b.post("/password/forgot", &[("email", "rae@acme.test")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    // An unknown address gets the same page and no mail.
    let before = app.mails().len();
    let res = b.post("/password/forgot", &[("email", "ghost@acme.test")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Check your mail"));
    assert_eq!(app.mails().len(), before);

    let link = app.link_in(&app.last_mail_to("rae@acme.test"), "/password/reset");
    let (status, html) = b.page(&link).await;
    assert_eq!(status, StatusCode::OK);
    let token = link.split("token=").nth(1).unwrap().to_string();
    let res = b
        .post("/password/reset", &[("token", &token), ("password", "short")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Choose a new password"));
    let res = b
        .post(
            "/password/reset",
            &[("token", &token), ("password", "brand new secret")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.get("/account").await.status(), StatusCode::OK);
    assert_eq!(
        other_session.get("/account").await.status(),
        StatusCode::SEE_OTHER
    );
    // Used once: the same link no longer works.
    let res = b
        .post(
            "/password/reset",
            &[("token", &token), ("password", "yet another secret")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn api_tokens_issue_identify_and_revoke() {
    let app = TestApp::spawn().await;
    app.verified_member("tia@acme.test", PW).await;
    let wrong = json!({"email": "tia@acme.test", "password": "wrong password"});
    app.expect(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        "/api/v1/auth/token",
        None,
        Some(wrong),
    )
    .await;
    let token = app.token("tia@acme.test", PW).await;
    assert!(token.starts_with("plt_"));
    let me = app
        .expect(StatusCode::OK, Method::GET, "/api/v1/me", Some(&token), None)
        .await;
    assert_eq!(me["email"], "tia@acme.test");
    assert_eq!(me["verified"], true);
    assert_eq!(me["role"], "member");
    app.expect(
        StatusCode::UNAUTHORIZED,
        Method::GET,
        "/api/v1/me",
        Some("plt_nonsense"),
        None,
    )
    .await;
    app.expect(
        StatusCode::NO_CONTENT,
        Method::DELETE,
        "/api/v1/auth/token",
        Some(&token),
        None,
    )
    .await;
    let problem = app
        .expect(
            StatusCode::UNAUTHORIZED,
            Method::GET,
            "/api/v1/me",
            Some(&token),
            None,
        )
        .await;
    assert!(problem["detail"].as_str().unwrap().contains("revoked"));
    // Malformed JSON is a 400 that says so.
    let res = app
        .api()
        .post(app.url("/api/v1/auth/token"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("JSON"));
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    app.verified_member("cat@acme.test", PW).await;
    let mut b = app.browser();
    b.page("/login").await;
    let res = b
        .post_raw("/login", &[("email", "cat@acme.test"), ("password", PW)])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("reload the page"));
    let res = b
        .post_raw(
            "/login",
            &[
                ("email", "cat@acme.test"),
                ("password", PW),
                ("csrf_token", "forged"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // A token from another browser does not fit this browser's cookie.
    let mut other = app.browser();
    let (_, html) = other.page("/login").await;
    let foreign = crate::common::csrf_in(&html).unwrap();
    let res = b
        .post_raw(
            "/login",
            &[
                ("email", "cat@acme.test"),
                ("password", PW),
                ("csrf_token", &foreign),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    b.login("cat@acme.test", PW).await;
}

/// One sign-in attempt with a wrong password.
async fn wrong_login(b: &mut crate::common::Browser) -> crate::common::Response {
    b.post(
        "/login",
        &[("email", "x@acme.test"), ("password", "wrong password")],
    )
    .await
}

#[tokio::test]
async fn sign_in_is_rate_limited_with_retry_after() {
    let app = TestApp::spawn_with(&["--rate-limit-login=3/minute", "--rate-limit-signup=2/hour"]).await;
    let mut b = app.browser();
    for _ in 0..3 {
        let res = wrong_login(&mut b).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let res = wrong_login(&mut b).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(res.text().await.unwrap().contains("try again"));

    assert_eq!(
        api_signup(&app, "a1@acme.test", PW, "A").await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        api_signup(&app, "a2@acme.test", PW, "A").await.0,
        StatusCode::CREATED
    );
    let res = app
        .api()
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"email": "a3@acme.test", "password": PW, "display_name": "A"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn rate_limits_can_be_turned_off() {
    let app = TestApp::spawn_with(&["--rate-limit-login=1/hour", "--rate-limits=off"]).await;
    let mut b = app.browser();
    for _ in 0..5 {
        let res = wrong_login(&mut b).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
