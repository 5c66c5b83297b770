//! Search through HTTP: the index follows every change, finds codes, versions and
//! misspellings, filters and counts, suggests while typing, survives a restart, and is
//! rebuilt by `parley reindex` while the server keeps serving.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::TestApp;
use parley::accounts::Role;
use parley::search::Search;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::PW;

async fn post_topic(app: &TestApp, token: &str, category: &str, title: &str, body: &str) -> Value {
    app.expect(
        StatusCode::CREATED,
        Method::POST,
        "/api/v1/topics",
        Some(token),
        Some(json!({"category": category, "title": title, "body": body, "tags": ["backup"]})),
    )
    .await
}

async fn search(app: &TestApp, token: &str, query: &str) -> Value {
    app.expect(
        StatusCode::OK,
        Method::GET,
        &format!("/api/v1/search?{query}"),
        Some(token),
        None,
    )
    .await
}

fn post_ids(found: &Value) -> Vec<i64> {
    found["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["post_id"].as_i64().unwrap())
        .collect()
}

/// Searches until `done` holds: the indexer applies changes in the background. The
/// deadline only keeps a broken indexer from hanging the suite.
async fn eventually(app: &TestApp, token: &str, query: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, found) = app
            .call(Method::GET, &format!("/api/v1/search?{query}"), Some(token), None)
            .await;
        if status == StatusCode::OK && done(&found) {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "search for {query} never got there: {status} {found}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn people(app: &TestApp) -> (String, String) {
    app.user_with_role("ann@acme.test", Role::Member, Some("Acme"))
        .await;
    app.user_with_role("sam@vendor.test", Role::Staff, None).await;
    (
        app.token("ann@acme.test", PW).await,
        app.token("sam@vendor.test", PW).await,
    )
}

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
async fn queries_filters_counts_and_suggestions() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let (ann, sam) = people(&app).await;
    post_topic(
        &app,
        &ann,
        "questions",
        "Installer fails with 0x80004005",
        "Windows setup aborts at 40%.",
    )
    .await;
    post_topic(
        &app,
        &ann,
        "questions",
        "Proxy answers HTTP 502",
        "Behind nginx every call fails.",
    )
    .await;
    let article = post_topic(
        &app,
        &sam,
        "knowledge",
        "Backups explained",
        "How the nightly backup keeps seven days.",
    )
    .await;
    let article_post = article["opening"]["id"].as_i64().unwrap();
    eventually(&app, &ann, "q=backup", |f| f["total"] == 1).await;

    let found = search(&app, &ann, "q=0x80004005").await;
    assert_eq!(found["total"], 1);
    let found = search(&app, &ann, "q=HTTP+502").await;
    assert_eq!(found["hits"][0]["title"], "Proxy answers HTTP 502");
    // A misspelling still finds the post, and says it matched loosely.
    let found = search(&app, &ann, "q=proxxy").await;
    assert_eq!(found["matched"], "typos");
    assert_eq!(found["hits"][0]["title"], "Proxy answers HTTP 502");
    // Filters and counts per category (the counts ignore the category chosen).
    let found = search(&app, &ann, "q=fails&category=knowledge").await;
    assert_eq!(found["total"], 0);
    let found = search(&app, &ann, "q=backup&category=knowledge&tag=backup").await;
    assert_eq!(post_ids(&found), [article_post]);
    let found = search(&app, &ann, "q=fails").await;
    let counts = found["categories"].as_array().unwrap();
    assert!(
        counts.iter().any(|c| c["slug"] == "questions" && c["count"] == 2),
        "{counts:?}"
    );
    let found = search(&app, &ann, "q=fails&author=nobody").await;
    assert_eq!(found["total"], 0);
    // What to fix, not a failure.
    let problem = app
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            Method::GET,
            "/api/v1/search?q=x&since=yesterday",
            Some(&ann),
            None,
        )
        .await;
    assert!(
        problem["errors"]["since"][0]
            .as_str()
            .unwrap()
            .contains("2026-11-23")
    );
    app.expect(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::GET,
        "/api/v1/search?q=x&category=nope",
        Some(&ann),
        None,
    )
    .await;
    app.expect(
        StatusCode::UNAUTHORIZED,
        Method::GET,
        "/api/v1/search?q=backup",
        None,
        None,
    )
    .await;
    // Punctuation alone finds nothing; a pasted wall of text is refused with a reason.
    let found = search(&app, &ann, "q=%21%40%23%24%25%5E%26*()%22%22").await;
    assert_eq!(found["total"], 0);
    let wall = "backup ".repeat(1500);
    let problem = app
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            Method::GET,
            &format!("/api/v1/search?q={}", wall.replace(' ', "+")),
            Some(&ann),
            None,
        )
        .await;
    assert!(
        problem["errors"]["q"][0]
            .as_str()
            .unwrap()
            .contains("200 characters")
    );
    app.expect(
        StatusCode::OK,
        Method::GET,
        &format!("/api/v1/search/suggest?q={}", wall.replace(' ', "+")),
        Some(&ann),
        None,
    )
    .await;

    // Suggestions complete the last word of a title being typed.
    let suggested = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/v1/search/suggest?q=installer%20fa",
            Some(&ann),
            None,
        )
        .await;
    assert_eq!(suggested[0]["title"], "Installer fails with 0x80004005");
    assert!(suggested.as_array().unwrap().len() <= 8);

    // The pages: a search box everywhere, results with marked snippets, the question
    // form ready for suggestions, similar topics under a topic.
    let mut b = app.browser();
    b.login("ann@acme.test", PW).await;
    let (_, home) = b.page("/").await;
    assert!(home.contains(r#"action="/search""#));
    let (status, html) = b.page("/search?q=nightly+backup").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Backups explained") && html.contains("<mark>"),
        "{html}"
    );
    let (status, html) = b.page("/search?q=x&since=nope").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("is not a date"));
    let (_, form) = b.page("/c/questions/new").await;
    assert!(form.contains(r#"data-suggest-for="title""#));
    let first = search(&app, &ann, "q=installer").await["hits"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, topic_page) = b.page(first.split('#').next().unwrap()).await;
    assert!(
        !topic_page.contains("Similar topics"),
        "nothing else is about installers: {topic_page}"
    );
    // Similar topics share what the topic is about; unrelated ones stay out.
    let halfway = post_topic(
        &app,
        &ann,
        "questions",
        "Windows installer fails halfway",
        "Setup stops at 40% every time.",
    )
    .await;
    eventually(&app, &ann, "q=halfway", |f| f["total"] == 1).await;
    let (_, suggested) = app
        .call(
            Method::GET,
            "/api/v1/search/suggest?q=the%20installer%20fails%20on%20windows",
            Some(&ann),
            None,
        )
        .await;
    let titles: Vec<&str> = suggested
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    // Both hold every word of the question: both come first, in either order.
    let mut first_two = titles[..2].to_vec();
    first_two.sort_unstable();
    assert_eq!(
        first_two,
        [
            "Installer fails with 0x80004005",
            "Windows installer fails halfway"
        ]
    );
    assert!(suggested[0]["share"].as_f64().unwrap() > 0.9, "{suggested}");
    // A thread that shares only "fails" comes after both, with a smaller share.
    if let Some(at) = titles.iter().position(|t| *t == "Proxy answers HTTP 502") {
        assert!(at >= 2, "{titles:?}");
        assert!(suggested[at]["share"].as_f64().unwrap() < 0.5, "{suggested}");
    }
    // (A page keeps its similar topics for a few minutes: a new topic's page is fresh.)
    let (_, topic_page) = b
        .page(&format!(
            "/t/{}/{}",
            halfway["topic"]["id"],
            halfway["topic"]["slug"].as_str().unwrap()
        ))
        .await;
    assert!(
        topic_page.contains("Similar topics") && topic_page.contains(">Installer fails with 0x80004005<"),
        "{topic_page}"
    );
    assert!(!topic_page.contains(">Proxy answers HTTP 502<"), "{topic_page}");
    // A question nothing here answers gets no suggestion, however many common words it shares.
    let (_, suggested) = app
        .call(
            Method::GET,
            "/api/v1/search/suggest?q=how%20do%20I%20rotate%20kubernetes%20certificates%20after%20the%20upgrade",
            Some(&ann),
            None,
        )
        .await;
    assert_eq!(suggested, json!([]), "{suggested}");
    // The search page shows the threads that answer a question above the posts, with the
    // forms' ranking and cut, on the first page and in the category asked for.
    let answers = |found: &Value| -> Vec<String> {
        found["answers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["title"].as_str().unwrap().to_string())
            .collect()
    };
    let found = search(&app, &ann, "q=the+installer+fails+on+windows").await;
    assert!(
        answers(&found).contains(&"Windows installer fails halfway".to_string()),
        "{found}"
    );
    let found = search(&app, &ann, "q=the+installer+fails+on+windows&category=ideas").await;
    assert_eq!(found["answers"], json!([]), "{found}");
    let found = search(&app, &ann, "q=the+installer+fails+on+windows&page=2").await;
    assert_eq!(found["answers"], json!([]), "{found}");
    let found = search(
        &app,
        &ann,
        "q=how+do+I+rotate+kubernetes+certificates+after+the+upgrade",
    )
    .await;
    assert_eq!(found["answers"], json!([]), "{found}");
    let (_, html) = b.page("/search?q=the+installer+fails+on+windows").await;
    assert!(html.contains("Threads that may answer this"), "{html}");
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

/// Suggestions until `done` holds: threads are embedded in the background.
async fn suggested_until(app: &TestApp, token: &str, q: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let path = format!(
        "/api/v1/search/suggest?q={}",
        q.replace(' ', "+").replace('?', "%3F")
    );
    loop {
        let (status, found) = app.call(Method::GET, &path, Some(token), None).await;
        // 503: the index is still being built.
        assert!(
            status == StatusCode::OK || status == StatusCode::SERVICE_UNAVAILABLE,
            "{status} {found}"
        );
        let found = found.as_array().cloned().unwrap_or_default();
        if status == StatusCode::OK && done(&found) {
            return found;
        }
        assert!(Instant::now() < deadline, "{q}: still {found:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// With a sentence-embedding model (the folder in PARLEY_TEST_EMBEDDING_MODEL, which
/// `.ci/run` fetches with `embedding/fetch-model.sh`), a question finds the thread that
/// answers it in other words, a new thread is found by meaning within seconds, nothing
/// is shown for a question no thread answers, and a deleted thread is no longer offered.
#[tokio::test]
async fn questions_find_threads_by_meaning() {
    let Some(model) = std::env::var_os("PARLEY_TEST_EMBEDDING_MODEL") else {
        // CI must test it: .ci/run fetches the model and sets the variable.
        assert!(
            std::env::var_os("CI").is_none(),
            "PARLEY_TEST_EMBEDDING_MODEL is not set under CI"
        );
        crate::common::skipped(
            "meaning",
            "set PARLEY_TEST_EMBEDDING_MODEL=$(embedding/fetch-model.sh); .ci/run does",
        );
        return;
    };
    let model = format!("--embedding-model={}", model.to_string_lossy());
    let app = TestApp::spawn_with(&["--rate-limits=off", &model]).await;
    let (ann, sam) = people(&app).await;
    let restore = post_topic(
        &app,
        &ann,
        "questions",
        "Restoring a deleted file from the nightly snapshot",
        "Snapshots run at 2am. Copy the file back from /srv/snapshots/DATE/ and keep its owner.",
    )
    .await;
    post_topic(
        &app,
        &ann,
        "questions",
        "Proxy answers HTTP 502",
        "Behind nginx every call fails.",
    )
    .await;
    post_topic(
        &app,
        &ann,
        "questions",
        "Log rotation fills the disk",
        "logrotate leaves huge files behind; use copytruncate.",
    )
    .await;
    let restore_id = restore["topic"]["id"].as_i64().unwrap();

    // No word of this question is in the thread: by words alone nothing would come.
    let question = "how can I recover a document I removed by mistake";
    let found = suggested_until(&app, &ann, &format!("{question}&all=true"), |f| {
        f.first()
            .is_some_and(|s| s["topic_id"] == restore_id && s["cosine"].as_f64().is_some_and(|c| c > 0.3))
    })
    .await;
    assert_eq!(found[0]["share"], 0.0, "{found:?}");
    // The way people ask it, the form shows that thread, and only that one.
    let asked = "I deleted a file by accident, how do I get it back?";
    let found = suggested_until(&app, &ann, asked, |f| !f.is_empty()).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["topic_id"], restore_id);
    assert!(found[0]["fit"].as_f64().unwrap() >= 0.575, "{found:?}");
    let (_, ready) = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready["meaning"]["state"], "ready", "{ready}");
    assert_eq!(ready["meaning"]["threads"], 3, "{ready}");

    // A question nothing answers shows nothing, though the uncut list has threads.
    let unanswered = "what is the capital city of France";
    let (_, none) = app
        .call(
            Method::GET,
            &format!("/api/v1/search/suggest?q={}", unanswered.replace(' ', "+")),
            Some(&ann),
            None,
        )
        .await;
    assert_eq!(none, json!([]));
    // The search page finds the thread by meaning too, above the posts.
    let found = search(&app, &ann, &format!("q={}", asked.replace(' ', "+"))).await;
    assert_eq!(found["answers"][0]["topic_id"], restore_id, "{found}");

    // The vectors are stored once, for the model that made them.
    let stored: Vec<(i64, String)> = {
        use diesel::prelude::*;
        use parley::db::schema::topic_vectors;
        let mut c = app.state.db.get_read().unwrap();
        topic_vectors::table
            .select((topic_vectors::topic_id, topic_vectors::model))
            .load(&mut *c)
            .unwrap()
    };
    assert_eq!(stored.len(), 3);
    assert!(
        stored.iter().all(|(_, m)| m.starts_with("all-MiniLM-L6-v2-")),
        "{stored:?}"
    );

    // A deleted thread is no longer offered.
    let (status, body) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/topics/{restore_id}"),
            Some(&sam),
            None,
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    suggested_until(&app, &ann, asked, |f| f.is_empty()).await;
}
