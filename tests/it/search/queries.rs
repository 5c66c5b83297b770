//! Queries: filters, counts, suggestions, and threads found by meaning.

use super::*;

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

/// Suggestions until `done` holds: threads are embedded in the background.
pub(super) async fn suggested_until(
    app: &TestApp,
    token: &str,
    q: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
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
    // Each thread is compared by its title's meaning too, and the question's mean
    // cosine with the forum is given for the cut.
    assert!(found[0]["title_cosine"].as_f64().is_some(), "{found:?}");
    assert!(found[0]["typical"].as_f64().is_some(), "{found:?}");
    // The way people ask it, the form shows that thread, and only that one.
    let asked = "I deleted a file by accident, how do I get it back?";
    let found = suggested_until(&app, &ann, asked, |f| !f.is_empty()).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["topic_id"], restore_id);
    let typical = found[0]["typical"].as_f64().unwrap();
    assert!(
        found[0]["fit"].as_f64().unwrap() - typical / 2.0 >= 0.6,
        "{found:?}"
    );
    // Every thread is embedded in the background, one after another: the readiness
    // report counts them as they come (the one found above may come before the others).
    let mut ready = Value::Null;
    for _ in 0..200 {
        ready = app.call(Method::GET, "/readyz", None, None).await.1;
        if ready["meaning"]["threads"] == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
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
    // Each row holds the whole thread's vector and its title's: 2 × 384 floats. A row
    // of the whole alone (stored before titles had one) keeps it, and gains the title's.
    let lengths = || -> Vec<usize> {
        use diesel::prelude::*;
        use parley::db::schema::topic_vectors;
        let mut c = app.state.db.get_read().unwrap();
        let rows: Vec<Vec<u8>> = topic_vectors::table
            .order(topic_vectors::topic_id)
            .select(topic_vectors::vector)
            .load(&mut *c)
            .unwrap();
        rows.iter().map(Vec::len).collect()
    };
    assert_eq!(lengths(), vec![2 * 384 * 4; 3]);
    {
        use diesel::prelude::*;
        use parley::db::schema::topic_vectors;
        let mut c = app.state.db.get_write().unwrap();
        let row = topic_vectors::table.find(restore_id);
        let whole: Vec<u8> = row.select(topic_vectors::vector).first(&mut *c).unwrap();
        diesel::update(row)
            .set(topic_vectors::vector.eq(&whole[..384 * 4]))
            .execute(&mut *c)
            .unwrap();
    }
    assert_eq!(lengths()[0], 384 * 4);
    app.state.search.meaning.touch([restore_id]);
    for _ in 0..200 {
        if lengths()[0] == 2 * 384 * 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(lengths(), vec![2 * 384 * 4; 3]);

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
