//! Several nodes of one site on one PostgreSQL database: what one node stores, counts
//! or changes, every other one serves, counts against and shows. (The cluster of
//! separate processes behind a real balancer, with a node killed, is
//! `tests/cluster/run.sh`.)

use crate::common::*;
use parley::web::rate_limit::Action;
use reqwest::StatusCode;

/// A second node on the same database, or `None` (and the test says so) on SQLite,
/// whose site one process serves.
async fn two_nodes(test: &str, args: &[&str]) -> Option<(TestApp, TestApp)> {
    let a = TestApp::spawn_with(args).await;
    if a.state.db.url().is_sqlite() {
        skipped(test, "one process serves a SQLite site");
        return None;
    }
    let b = a.another_node().await;
    Some((a, b))
}

#[tokio::test]
async fn a_limit_is_per_site_not_per_node() {
    let Some((a, b)) = two_nodes(
        "a_limit_is_per_site_not_per_node",
        &["--rate-limit-reset=3/minute"],
    )
    .await
    else {
        return;
    };
    // Ten attempts at once, half through each node: three pass, whichever node they
    // reached.
    let mut attempts = Vec::new();
    for n in 0..10 {
        let node = if n % 2 == 0 {
            a.state.clone()
        } else {
            b.state.clone()
        };
        attempts.push(tokio::spawn(async move {
            node.limiter
                .check(Action::Reset, &["ip:203.0.113.9"])
                .await
                .is_ok()
        }));
    }
    let mut passed = 0;
    for attempt in attempts {
        passed += usize::from(attempt.await.unwrap());
    }
    assert_eq!(passed, 3, "three a minute for the site");
    // The refusal says how long to wait: about one interval (20 s) on either node.
    for node in [&a, &b] {
        match node.state.limiter.check(Action::Reset, &["ip:203.0.113.9"]).await {
            Err(parley::error::AppError::RateLimited { retry_after }) => {
                assert!((1..=20).contains(&retry_after), "{retry_after}")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    // A key of any length (an address someone typed) is counted, not refused with a 500.
    let long = format!("email:{}@acme.test", "x".repeat(20_000));
    assert!(a.state.limiter.check(Action::Reset, &[&long]).await.is_ok());
    // Another key and another limit are counted apart.
    assert!(
        a.state
            .limiter
            .check(Action::Reset, &["ip:203.0.113.10"])
            .await
            .is_ok()
    );
    assert!(
        b.state
            .limiter
            .check(Action::Signup, &["ip:203.0.113.9"])
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_file_stored_through_one_node_downloads_through_another() {
    let Some((a, b)) = two_nodes("a_file_stored_through_one_node_downloads_through_another", &[]).await
    else {
        return;
    };
    let token = a.member_token("ann@acme.test").await;
    // Past one part (1 MiB), so that it is read back from several rows.
    let bytes: Vec<u8> = (0..1_300_000u32).map(|i| (i % 251) as u8).collect();
    let attached = a.upload(&token, "trace.log", &bytes).await;
    let url = attached["url"].as_str().unwrap();
    let sha = attached["sha256"].as_str().unwrap();
    let kept = b
        .data_dir
        .path()
        .join("files")
        .join(&sha[..2])
        .join(&sha[2..4])
        .join(sha);
    assert!(!kept.exists(), "the other node has no copy yet");
    let mut on_b = b.browser();
    on_b.login("ann@acme.test", PW).await;
    let res = on_b.get(url).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-length"], bytes.len().to_string().as_str());
    assert_eq!(res.bytes().await.unwrap().as_ref(), bytes.as_slice());
    assert!(kept.exists(), "served from its own copy afterwards");
    // A file only one node's folder holds (stored before files were kept in the
    // database) is put there when that node starts, and then served by the others.
    let old = b"a log stored on node B's disk alone";
    let old_sha: String = {
        use sha2::Digest;
        sha2::Sha256::digest(old)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect()
    };
    let on_disk = b
        .data_dir
        .path()
        .join("files")
        .join(&old_sha[..2])
        .join(&old_sha[2..4]);
    std::fs::create_dir_all(&on_disk).unwrap();
    std::fs::write(on_disk.join(&old_sha), old).unwrap();
    assert!(
        a.state.files.read(&old_sha).await.is_err(),
        "not yet in the database"
    );
    assert_eq!(b.state.files.share_local_files_now().await.unwrap(), 1);
    assert_eq!(a.state.files.read(&old_sha).await.unwrap(), old);
    assert_eq!(b.state.files.share_local_files_now().await.unwrap(), 0, "once");
    // A hash nobody stored is not found on either node.
    let missing = format!("/files/{}/x.log", "0".repeat(64));
    assert_eq!(on_b.get(&missing).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_change_on_one_node_is_heard_on_another() {
    let Some((a, b)) = two_nodes("a_change_on_one_node_is_heard_on_another", &[]).await else {
        return;
    };
    a.user_with_role("cy@acme.test", parley::accounts::Role::Member, Some("Acme"))
        .await;
    let mut on_b = b.browser();
    on_b.login("cy@acme.test", PW).await;
    assert_eq!(on_b.get("/").await.status(), StatusCode::OK);
    let token = a.token("cy@acme.test", PW).await;
    // Cy changes a setting through node A: node B hears of the write within a few of
    // its looks (every 200 ms), and reads what it kept again. Writes that change
    // nothing this site keeps in memory are not heard: another database on the same
    // server, and counting an attempt against a rate limit. (A window in which node B
    // wrote something itself is looked at again.)
    let admin_url = pg_url().unwrap();
    let mut quiet = false;
    for _ in 0..3 {
        let heard = b.state.db.writes();
        let url = admin_url.clone();
        tokio::task::spawn_blocking(move || {
            use diesel::Connection;
            use diesel::connection::SimpleConnection;
            let mut c = diesel::PgConnection::establish(&url).unwrap();
            c.batch_execute("CREATE TEMP TABLE elsewhere (n INTEGER); INSERT INTO elsewhere VALUES (1)")
                .unwrap();
        })
        .await
        .unwrap();
        a.state
            .limiter
            .check(Action::Login, &["ip:198.51.100.7"])
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
        if b.state.db.writes() == heard {
            quiet = true;
            break;
        }
    }
    assert!(quiet, "node B counted writes that were not this site's changes");
    let heard = b.state.db.writes();
    let (status, _) = a
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/time-zone",
            Some(&token),
            Some(serde_json::json!({"time_zone": "Europe/Paris"})),
        )
        .await;
    assert!(status.is_success(), "{status}");
    let mut waited = 0;
    while b.state.db.writes() == heard {
        assert!(waited < 100, "node B never heard of node A's write");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
}
