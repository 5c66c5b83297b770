//! Files in posts.

use super::*;

#[tokio::test]
async fn attachments_in_posts() {
    let app = TestApp::spawn_with(&["--max-upload-mb=1"]).await;
    let ann = app.member_token("ann@acme.test").await;
    let png: &[u8] = b"\x89PNG\r\n\x1a\nnot really an image";
    let send = |name: &'static str, bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name));
        app.api()
            .post(app.url("/api/v1/uploads"))
            .bearer_auth(&ann)
            .multipart(form)
            .send()
    };
    let res = send("screen shot.png", png.to_vec()).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let attached: Value = res.json().await.unwrap();
    let url = attached["url"].as_str().unwrap().to_string();
    assert_eq!(attached["markdown"], format!("![screen_shot.png]({url})"));
    for (name, bytes) in [
        ("page.html", b"<script>".to_vec()),
        ("logo.svg", b"<svg/>".to_vec()),
        ("big.png", vec![0u8; 1024 * 1024 + 1]),
    ] {
        let res = send(name, bytes).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        let problem: Value = res.json().await.unwrap();
        assert!(problem["errors"]["file"].is_array(), "{problem}");
    }
    // The image shows in a post and is served inline, inert.
    let topic = ask(
        &app,
        &ann,
        "Look at this screenshot",
        attached["markdown"].as_str().unwrap(),
        &[],
    )
    .await;
    assert!(
        topic["opening"]["html"]
            .as_str()
            .unwrap()
            .contains(&format!("<img src=\"{url}\"")),
        "{topic}"
    );
    let mut b = app.browser();
    b.login("ann@acme.test", PW).await;
    let res = b.get(&url).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    // The same bytes attached by someone else under another name and type keep theirs;
    // the first link keeps its own.
    let res = send("notes.txt", png.to_vec()).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["sha256"], attached["sha256"]);
    let res = b.get(again["url"].as_str().unwrap()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.contains("notes.txt"), "{disposition}");
    let res = b.get(&url).await;
    assert_eq!(res.headers()["content-type"], "image/png");

    // Without JavaScript: Attach posts the whole reply form with the file, and the topic
    // comes back with the draft typed so far and the file's markdown after it.
    let tid = topic["topic"]["id"].as_i64().unwrap();
    let (_, html) = b.page(&format!("/t/{tid}/x")).await;
    assert!(html.contains(r#"formaction="/t/"#), "{html}");
    let res = b
        .post_multipart(
            &format!("/t/{tid}/attach"),
            &[("body", "The agent stops here, see the log:")],
            &[("file", Some(("agent.log", b"log line")))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("The agent stops here, see the log:\n\n[agent.log](&#x2F;files&#x2F;"),
        "{html}"
    );
    // No file chosen, or a refused one: the draft comes back as it was, with the reason.
    for (file, reason) in [
        (None, "Choose a file to attach."),
        (
            Some(("run.sh", &b"rm"[..])),
            "run.sh is not a type you can attach",
        ),
    ] {
        let res = b
            .post_multipart(
                &format!("/t/{tid}/attach"),
                &[("body", "Keep my draft")],
                &[("file", file)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text().await.unwrap();
        assert!(html.contains("Keep my draft") && html.contains(reason), "{html}");
    }
}

#[tokio::test]
async fn uploads_from_a_browser_need_the_csrf_token() {
    let app = TestApp::spawn().await;
    let support = staff(&app, "sam@vendor.test").await;
    let widget = release(&app, &support, "Widget", "6.0.0").await;
    let mut b = app.browser();
    b.login("sam@vendor.test", PW).await;
    let form = || {
        reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("a.txt"),
        )
    };
    // A page form posted without the token in its address, or with a forged one.
    for path in [
        format!("/t/{widget}/downloads"),
        format!("/t/{widget}/downloads?csrf_token=forged"),
    ] {
        let res = b
            .client
            .post(app.url(&path))
            .multipart(form())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // A forged token in the first part, or the real one only after the file.
    let (_, html) = b.page(&format!("/t/{widget}/x")).await;
    let token = crate::common::csrf_in(&html).unwrap();
    for form in [
        reqwest::multipart::Form::new().text("csrf_token", "forged").part(
            "file",
            reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("a.txt"),
        ),
        form().text("csrf_token", token),
    ] {
        let res = b
            .client
            .post(app.url(&format!("/t/{widget}/downloads")))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    // The JSON API with the session cookie but no X-CSRF-Token header.
    let res = b
        .client
        .post(app.url("/api/v1/uploads"))
        .multipart(form())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, page) = app
        .call(
            Method::GET,
            &format!("/api/v1/topics/{widget}"),
            Some(&support),
            None,
        )
        .await;
    assert!(
        page["downloads"].as_array().unwrap().is_empty(),
        "nothing was stored"
    );
}
