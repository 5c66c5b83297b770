//! Signing in and out, passwords, tokens, CSRF and rate limits.

use super::*;

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
pub(super) async fn wrong_login(b: &mut crate::common::Browser) -> crate::common::Response {
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
