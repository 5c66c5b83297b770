//! Releases: downloads, feeds and their order.

use super::*;

#[tokio::test]
async fn release_downloads_and_feeds() {
    let app = TestApp::spawn().await;
    let ann = app.member_token("ann@acme.test").await;
    let support = staff(&app, "sam@vendor.test").await;
    let widget = release(&app, &support, "Widget", "4.3.0").await;
    release(&app, &support, "Gadget", "1.0.0").await;

    let upload = |token: &str| {
        let form = reqwest::multipart::Form::new()
            .text("label", "Linux installer")
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"installer bytes".to_vec())
                    .file_name("../widget-4.3.0.tar.gz"),
            );
        app.api()
            .post(app.url(&format!("/api/v1/topics/{widget}/downloads")))
            .bearer_auth(token)
            .multipart(form)
    };
    assert_eq!(upload(&ann).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let res = upload(&support).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let file: Value = res.json().await.unwrap();
    assert_eq!(
        file["filename"], "widget-4.3.0.tar.gz",
        "the path part of the name is dropped"
    );
    assert_eq!(file["size"], 15);
    assert_eq!(
        file["sha256"],
        "e34210a6de4f653edf588301431c3d69a633638cbf587345cc50a7fed9f38f4c"
    );
    app.expect(
        StatusCode::CREATED,
        Method::POST,
        &format!("/api/v1/topics/{widget}/downloads"),
        Some(&support),
        Some(json!({"label": "Mirror", "url": "https://mirror.example.test/widget-4.3.0.tar.gz"})),
    )
    .await;
    app.expect(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &format!("/api/v1/topics/{widget}/downloads"),
        Some(&support),
        Some(json!({"url": "javascript:alert(1)"})),
    )
    .await;
    let (_, page) = app
        .call(Method::GET, &format!("/api/v1/topics/{widget}"), Some(&ann), None)
        .await;
    assert_eq!(page["downloads"].as_array().unwrap().len(), 2);

    // Members fetch the file with headers that keep it inert; strangers are sent to sign in.
    let mut b = app.browser();
    b.login("ann@acme.test", PW).await;
    let path = format!("/files/{}/widget-4.3.0.tar.gz", file["sha256"].as_str().unwrap());
    let res = b.get(&path).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"installer bytes");
    assert_eq!(app.browser().get(&path).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        b.get(&format!("/files/{}/x", "0".repeat(64))).await.status(),
        StatusCode::NOT_FOUND
    );

    // The feeds parse as Atom, per product too; a token in the address works for readers.
    let res = b.get("/releases.atom").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let feed = atom_syndication::Feed::read_from(&res.bytes().await.unwrap()[..]).unwrap();
    assert_eq!(feed.entries().len(), 2);
    let product_feed = b.get("/releases/Widget.atom").await.bytes().await.unwrap();
    let feed = atom_syndication::Feed::read_from(&product_feed[..]).unwrap();
    assert_eq!(feed.entries().len(), 1);
    assert_eq!(
        feed.entries()[0].title().as_str(),
        "Widget 4.3.0: Widget 4.3.0 released"
    );
    assert!(
        feed.entries()[0]
            .content()
            .unwrap()
            .value()
            .unwrap()
            .contains("ERR-1042")
    );
    assert_eq!(
        app.api()
            .get(app.url("/releases.atom"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let res = app
        .api()
        .get(app.url(&format!("/releases.atom?token={ann}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Staff add downloads from the page too, as a browser sends the form (the token
    // first, the file input always present): an uploaded file, and a link with no file.
    let mut staff_browser = app.browser();
    staff_browser.login("sam@vendor.test", PW).await;
    let (_, html) = staff_browser.page(&format!("/t/{widget}/x")).await;
    assert!(!html.contains("csrf_token="), "no token in a form's address");
    let res = staff_browser
        .post_multipart(
            &format!("/t/{widget}/downloads"),
            &[("label", "Checksums"), ("url", "")],
            &[("file", Some(("SHA256SUMS.txt", b"sums")))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = staff_browser
        .post_multipart(
            &format!("/t/{widget}/downloads"),
            &[
                ("label", "Mirror"),
                ("url", "https://mirror.example.com/widget.tar.gz"),
            ],
            &[("file", None)],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    let res = staff_browser
        .post_multipart(
            &format!("/t/{widget}/downloads"),
            &[("label", "Nothing"), ("url", "")],
            &[("file", None)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Choose a file to upload, or give a link.")
    );
    // Without the token the form is refused, wherever the token would have been.
    let form = reqwest::multipart::Form::new()
        .text("label", "Forged")
        .text("url", "https://evil.example.com/x");
    let res = staff_browser
        .client
        .post(app.url(&format!("/t/{widget}/downloads")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, html) = staff_browser.page(&format!("/t/{widget}/x")).await;
    assert!(html.contains("Checksums") && html.contains("4 B"), "{html}");
    assert!(
        html.contains("mirror.example.com") && !html.contains("Forged"),
        "{html}"
    );
}

#[tokio::test]
async fn feeds_can_be_public() {
    let app = TestApp::spawn_with(&["--public-feeds=on"]).await;
    let support = staff(&app, "sam@vendor.test").await;
    release(&app, &support, "Widget", "5.0.0").await;
    let res = app.api().get(app.url("/releases.atom")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let feed = atom_syndication::Feed::read_from(&res.bytes().await.unwrap()[..]).unwrap();
    assert_eq!(feed.entries().len(), 1);
}

#[tokio::test]
async fn the_releases_page_lists_newest_first() {
    let app = TestApp::spawn().await;
    let support = staff(&app, "sam@vendor.test").await;
    let older = release(&app, &support, "Widget", "1.0.0").await;
    release(&app, &support, "Widget", "2.0.0").await;
    // A comment on the older release does not lift it above the newer one.
    let (status, _) = reply(&app, &support, older, "A late note.").await;
    assert_eq!(status, StatusCode::CREATED);
    let mut b = app.browser();
    b.login("sam@vendor.test", PW).await;
    let (_, html) = b.page("/c/releases").await;
    let newer_at = html.find("Widget 2.0.0 released").unwrap();
    let older_at = html.find("Widget 1.0.0 released").unwrap();
    assert!(newer_at < older_at);
}
