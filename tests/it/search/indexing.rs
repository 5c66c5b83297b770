//! The index: following every change, restarts, rebuilds and escaping.

use super::*;

#[tokio::test]
async fn the_index_follows_every_change() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let (ann, sam) = people(&app).await;
    let topic = post_topic(
        &app,
        &ann,
        "questions",
        "Backups fail after upgrade",
        "Since 4.2.1 the job stops with ERR-1042.",
    )
    .await;
    let opening = topic["opening"]["id"].as_i64().unwrap();
    let id = topic["topic"]["id"].as_i64().unwrap();
    let found = eventually(&app, &ann, "q=ERR-1042", |f| post_ids(f) == [opening]).await;
    assert_eq!(found["hits"][0]["title"], "Backups fail after upgrade");
    let snippet = found["hits"][0]["snippet_html"].as_str().unwrap();
    assert!(
        snippet.contains("<mark>ERR</mark>-<mark>1042</mark>"),
        "{snippet}"
    );
    assert!(
        found["hits"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("/t/{id}/"))
    );

    // A reply is found; an edit replaces what was found.
    let (_, reply) = app
        .call(
            Method::POST,
            &format!("/api/v1/topics/{id}/posts"),
            Some(&sam),
            Some(json!({"body": "Run vacuum-store before the backup."})),
        )
        .await;
    let reply_id = reply["id"].as_i64().unwrap();
    eventually(&app, &ann, "q=vacuum-store", |f| post_ids(f) == [reply_id]).await;
    app.call(
        Method::PATCH,
        &format!("/api/v1/posts/{reply_id}"),
        Some(&sam),
        Some(json!({"body": "Run compact-store first."})),
    )
    .await;
    eventually(&app, &ann, "q=compact-store", |f| post_ids(f) == [reply_id]).await;
    eventually(&app, &ann, "q=vacuum-store", |f| f["total"] == 0).await;

    // Accepting marks the answer and the question solved.
    app.call(
        Method::POST,
        &format!("/api/v1/posts/{reply_id}/accept"),
        Some(&ann),
        None,
    )
    .await;
    let found = eventually(&app, &ann, "q=compact-store&solved=yes", |f| {
        post_ids(f).contains(&reply_id)
    })
    .await;
    assert!(
        found["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["accepted"] == true)
    );

    // Hidden by staff, then restored; deleted: gone.
    app.call(
        Method::POST,
        &format!("/api/v1/posts/{reply_id}/flags"),
        Some(&ann),
        Some(json!({"reason": "spam"})),
    )
    .await;
    app.call(
        Method::POST,
        &format!("/api/v1/review/{reply_id}"),
        Some(&sam),
        Some(json!({"action": "hide"})),
    )
    .await;
    eventually(&app, &ann, "q=compact-store", |f| f["total"] == 0).await;
    app.call(
        Method::POST,
        &format!("/api/v1/review/{reply_id}"),
        Some(&sam),
        Some(json!({"action": "restore"})),
    )
    .await;
    eventually(&app, &ann, "q=compact-store", |f| post_ids(f) == [reply_id]).await;
    app.expect(
        StatusCode::NO_CONTENT,
        Method::DELETE,
        &format!("/api/v1/topics/{id}"),
        Some(&sam),
        None,
    )
    .await;
    eventually(&app, &ann, "q=ERR-1042", |f| f["total"] == 0).await;
    eventually(&app, &ann, "q=compact-store", |f| f["total"] == 0).await;
}

#[tokio::test]
async fn hostile_text_comes_back_escaped() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let (ann, _) = people(&app).await;
    post_topic(
        &app,
        &ann,
        "questions",
        "Pasted markup breaks",
        "The field shows `<script>alert(1)</script>` and <img src=x onerror=alert(2)> backupfield",
    )
    .await;
    let found = eventually(&app, &ann, "q=backupfield", |f| f["total"] == 1).await;
    let snippet = found["hits"][0]["snippet_html"].as_str().unwrap();
    assert!(
        !snippet.contains("<script") && !snippet.contains("<img"),
        "{snippet}"
    );
    let mut b = app.browser();
    b.login("ann@acme.test", PW).await;
    let (_, html) = b.page("/search?q=backupfield").await;
    assert!(
        !html.contains("<script>alert(1)") && !html.contains("onerror=alert"),
        "{html}"
    );
}

#[tokio::test]
async fn a_restart_resumes_where_the_indexer_stopped_and_a_bad_index_is_rebuilt() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let (ann, _) = people(&app).await;
    post_topic(
        &app,
        &ann,
        "questions",
        "First question about quotas",
        "quota-alpha",
    )
    .await;
    eventually(&app, &ann, "q=quota-alpha", |f| f["total"] == 1).await;
    // The indexer stops (as in a crash) while changes go on being written.
    app.state.search.stop();
    tokio::time::sleep(Duration::from_millis(500)).await;
    post_topic(
        &app,
        &ann,
        "questions",
        "Second question about quotas",
        "quota-beta",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(search(&app, &ann, "q=quota-beta").await["total"], 0);
    // A new process on the same data directory resumes from the recorded change.
    let restarted = Arc::new(Search::new(app.data_dir.path(), None));
    parley::search::indexer::start(restarted.clone(), app.state.db.clone()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = restarted.index().unwrap().search(&search_index::SearchQuery {
            text: "quota-beta".into(),
            limit: 5,
            ..Default::default()
        });
        if found.is_ok_and(|r| r.total == 1) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the restarted indexer did not catch up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    restarted.stop();
    tokio::time::sleep(Duration::from_millis(500)).await;

    // A pointer to nothing readable: the next start rebuilds from the database.
    let root = app.data_dir.path().join("search-index");
    std::fs::write(root.join("CURRENT"), "not-a-build").unwrap();
    let rebuilt = Arc::new(Search::new(app.data_dir.path(), None));
    assert!(rebuilt.index().is_none());
    parley::search::indexer::start(rebuilt.clone(), app.state.db.clone()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while rebuilt.index().is_none_or(|i| i.num_docs() < 2) {
        assert!(Instant::now() < deadline, "the index was not rebuilt");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    rebuilt.stop();

    // A damaged build: its meta.json garbled, or a segment file gone. The next start
    // does not serve it (search answers 503 meanwhile) and builds a new one.
    let mut last = rebuilt;
    for damage in ["meta.json garbled", "a segment file gone"] {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let dir = last.serving_dir().unwrap();
        if damage.starts_with("meta") {
            std::fs::write(dir.join("meta.json"), "{ not json").unwrap();
        } else {
            let segment = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.extension().is_some_and(|x| x == "store"))
                .expect("a segment's store file");
            std::fs::remove_file(segment).unwrap();
        }
        let next = Arc::new(Search::new(app.data_dir.path(), None));
        assert!(
            next.index().is_none(),
            "{damage}: the damaged index is not served"
        );
        parley::search::indexer::start(next.clone(), app.state.db.clone()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while next.index().is_none_or(|i| i.num_docs() < 2) {
            assert!(Instant::now() < deadline, "{damage}: the index was not rebuilt");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_ne!(next.serving_dir().unwrap(), dir, "{damage}: a new build serves");
        next.stop();
        last = next;
    }
}

#[tokio::test]
async fn reindex_builds_beside_the_serving_index_and_swaps() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let (ann, _) = people(&app).await;
    post_topic(
        &app,
        &ann,
        "questions",
        "Licence server unreachable",
        "licence-gamma",
    )
    .await;
    eventually(&app, &ann, "q=licence-gamma", |f| f["total"] == 1).await;
    let before = app.state.search.serving_dir().unwrap();
    let settings = &app.state.settings;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_parley"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PARLEY_DATA_DIR", &settings.data_dir)
        .env("DATABASE_URL", settings.database.to_string())
        .env("PARLEY_LOG", "warn")
        .arg("reindex")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("Indexed 1 posts"), "{said}");
    // The server follows the swap, and goes on indexing into the new build.
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.state.search.serving_dir().as_ref() == Some(&before) {
        assert!(
            Instant::now() < deadline,
            "the server did not follow the new index"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(search(&app, &ann, "q=licence-gamma").await["total"], 1);
    post_topic(&app, &ann, "questions", "Licence renewal", "licence-delta").await;
    eventually(&app, &ann, "q=licence-delta", |f| f["total"] == 1).await;
}
