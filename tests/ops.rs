//! Operations and the edges of every request: health, readiness, metrics, security
//! headers, error pages and problem bodies.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

mod common;

use common::TestApp;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    let (status, body) = b.page("/healthz").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok\n"));
    let ready: Value = b.get("/readyz").await.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"], "ok");
    assert_eq!(ready["migrations"], "ok");
    b.page("/login").await;
    b.page("/no-such-page").await;
    let (status, metrics) = b.page("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(metrics.contains("parley_http_requests_total"), "{metrics}");
    assert!(metrics.contains("parley_http_requests_duration_seconds_bucket"));
    assert!(metrics.contains("endpoint=\"/login\""));
    assert!(metrics.contains("status=\"404\""));
    assert!(
        !metrics.contains("/no-such-page"),
        "unknown paths share one label"
    );
}

#[tokio::test]
async fn every_response_carries_security_headers() {
    let app = TestApp::spawn().await;
    for path in ["/login", "/no-such-page", "/api/v1/me", "/static/app.css"] {
        let res = app.browser().get(path).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
    }
    let res = app.browser().get("/login").await;
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http in tests");
}

#[tokio::test]
async fn cookies_are_secure_behind_https() {
    let app = TestApp::spawn_with(&["--base-url=https://community.example.test"]).await;
    let res = app.browser().get("/login").await;
    assert!(res.headers().contains_key("strict-transport-security"));
    let csrf = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(csrf.contains("Secure") && csrf.contains("HttpOnly"), "{csrf}");
    // The session cookie is built by the same rule the login handler uses.
    let session = parley::web::session::session_cookie(&app.state, 1, 0).unwrap();
    assert_eq!(session.secure(), Some(true));
    assert_eq!(session.http_only(), Some(true));
    assert_eq!(session.same_site(), Some(actix_web::cookie::SameSite::Lax));
}

#[tokio::test]
async fn errors_are_pages_for_people_and_problems_for_programs() {
    let app = TestApp::spawn().await;
    let res = app.browser().get("/no-such-page").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("We could not find that page") && html.contains("<header class=\"site-header\">"));

    let res = app
        .api()
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], 404);

    // A body that is not JSON, or JSON of the wrong shape, is a 400 that says so.
    let res = app
        .api()
        .post(app.url("/api/v1/auth/signup"))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("application/json"));
    let res = app
        .api()
        .post(app.url("/api/v1/auth/signup"))
        .json(&serde_json::json!({"email": 42}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // A path parameter of the wrong type is a 404, not a 500.
    let mut admin = app
        .user_with_role("al@vendor.test", parley::accounts::Role::Admin, None)
        .await;
    assert_eq!(
        admin.page("/admin/users/not-a-number").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(admin.page("/admin/users/99999").await.0, StatusCode::NOT_FOUND);
}
