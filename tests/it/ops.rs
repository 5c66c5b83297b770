//! Operations and the edges of every request: health, readiness, metrics, security
//! headers, error pages and problem bodies.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use crate::common::TestApp;
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
    // How far this node's search replica is behind the database, once it serves.
    let mut waited = 0;
    let ready = loop {
        let ready: Value = b.get("/readyz").await.json().await.unwrap();
        if ready["search_lag"]["changes"] == 0 || waited == 100 {
            break ready;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    };
    assert_eq!(ready["search"], "ok", "{ready}");
    assert_eq!(ready["search_lag"]["changes"], 0, "{ready}");
    assert_eq!(ready["search_lag"]["seconds"], 0.0, "{ready}");
    b.page("/login").await;
    b.page("/no-such-page").await;
    let (status, metrics) = b.page("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(metrics.contains("parley_http_requests_total"), "{metrics}");
    assert!(metrics.contains("parley_http_requests_duration_seconds_bucket"));
    assert!(metrics.contains("endpoint=\"/login\""));
    assert!(metrics.contains("status=\"404\""));
    assert!(metrics.contains("\nparley_search_lag_changes "), "{metrics}");
    assert!(metrics.contains("\nparley_search_lag_seconds "), "{metrics}");
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

/// A small tmpfs mounted over a folder for one test, unmounted after it.
struct Mount(std::path::PathBuf);

impl Mount {
    /// `None` when this machine does not let the test mount (not root, or no
    /// permission in a container).
    fn tmpfs(dir: &std::path::Path, size: &str) -> Option<Self> {
        let done = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        done.then(|| Self(dir.to_path_buf()))
    }

    fn remount(&self, how: &str) {
        let status = std::process::Command::new("mount")
            .args(["-o", &format!("remount,{how}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success(), "remount {how}");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

/// Asks `/readyz` until `want` holds of its status and body, for up to 10 seconds.
async fn readiness(base: &str, want: impl Fn(StatusCode, &Value) -> bool) -> (StatusCode, Value) {
    let client = reqwest::Client::new();
    let mut last = (StatusCode::OK, Value::Null);
    for _ in 0..100 {
        if let Ok(res) = client.get(format!("{base}/readyz")).send().await {
            let status = res.status();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            if want(status, &body) {
                return (status, body);
            }
            last = (status, body);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    last
}

#[tokio::test]
async fn a_read_only_or_full_data_directory_is_reported_and_heals() {
    let outer = tempfile::tempdir().unwrap();
    let data = outer.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let Some(mount) = Mount::tmpfs(&data, "8m") else {
        eprintln!("SKIPPED: this machine does not let the test mount a small disk (run as root)");
        return;
    };
    let test_db = crate::common::TestDb::new(outer.path());
    let url = match &test_db.url {
        parley::config::DatabaseUrl::Sqlite(_) => parley::config::DatabaseUrl::Sqlite(data.join("parley.db")),
        pg => pg.clone(),
    };
    let sqlite = url.is_sqlite();
    let mut create = crate::common::parley_cmd(&data, &url)
        .args(["user", "create", "--email", "ann@acme.test", "--name", "Ann"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = create.stdin.take().unwrap();
        stdin.write_all(b"a good long password\n").unwrap();
    }
    assert!(create.wait().unwrap().success());
    let port = crate::common::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let serve = || {
        crate::common::parley_cmd(&data, &url)
            .arg("serve")
            .env("PARLEY_BIND", format!("127.0.0.1:{port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut server = serve();
    let (status, _) = readiness(&base, |s, _| s == StatusCode::OK).await;
    assert_eq!(status, StatusCode::OK);
    let client = reqwest::Client::new();
    let token: Value = client
        .post(format!("{base}/api/v1/auth/token"))
        .json(&serde_json::json!({"email": "ann@acme.test", "password": "a good long password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["token"].as_str().unwrap().to_string();
    let ask = |title: &'static str| {
        client
            .post(format!("{base}/api/v1/topics"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"category": "questions", "title": title, "body": "Asked while the disk is in trouble."}))
            .send()
    };

    // Full: /readyz says so and why, and a write is refused as unavailable (on SQLite,
    // whose file is on that disk), never an internal error; freed, all is well again.
    let filler = data.join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![7u8; 64 * 1024];
        while f.write_all(&block).and_then(|()| f.sync_all()).is_ok() {}
    }
    let (status, body) = readiness(&base, |s, _| s == StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["disk"], "failing");
    assert!(body["reason"].as_str().unwrap().contains("No space"), "{body}");
    let answer = ask("Asked on a full disk, with a long body to store")
        .await
        .unwrap()
        .status();
    // On SQLite the write is refused as unavailable when its log has to grow, and taken
    // when the log has room from earlier writes (it starts again from its beginning once
    // copied into the database, which the checkpoint thread does within 50 ms): either
    // way no internal error, and nothing taken is lost.
    if sqlite {
        assert!(
            [StatusCode::SERVICE_UNAVAILABLE, StatusCode::CREATED].contains(&answer),
            "{answer}"
        );
    } else {
        assert_eq!(answer, StatusCode::CREATED);
    }
    std::fs::remove_file(&filler).unwrap();
    let (status, body) = readiness(&base, |s, _| s == StatusCode::OK).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        ask("Asked once the disk has room").await.unwrap().status(),
        StatusCode::CREATED
    );
    server.kill().unwrap();
    server.wait().unwrap();

    // Started on a read-only disk: the log says so at once, and why; on PostgreSQL the
    // server serves reads, and /readyz says what is wrong.
    mount.remount("ro");
    let mut server = serve();
    let (status, body) = readiness(&base, |s, _| s == StatusCode::SERVICE_UNAVAILABLE).await;
    server.kill().unwrap();
    let out = server.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("Read-only"), "{log}");
    if !sqlite {
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(body["reason"].as_str().unwrap().contains("Read-only"), "{body}");
        assert!(log.contains("the disk does not take writes"), "{log}");
    }
    mount.remount("rw");
}
