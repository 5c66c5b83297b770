//! A member's own settings: the time zone pages show times in, and their picture.

use super::*;

#[tokio::test]
async fn a_member_picks_the_time_zone_their_pages_show() {
    let app = TestApp::spawn().await;
    app.verified_member("zoe@acme.test", PW).await;
    let token = app.token("zoe@acme.test", PW).await;
    let me = app
        .expect(StatusCode::OK, Method::GET, "/api/v1/me", Some(&token), None)
        .await;
    assert_eq!(
        me["time_zone"],
        Value::Null,
        "no zone until one is chosen: the browser's"
    );

    let set = |zone: Value| json!({ "time_zone": zone });
    let me = app
        .expect(
            StatusCode::OK,
            Method::PUT,
            "/api/v1/me/time-zone",
            Some(&token),
            Some(set(json!("Europe/Paris"))),
        )
        .await;
    assert_eq!(me["time_zone"], "Europe/Paris");
    let me = app
        .expect(StatusCode::OK, Method::GET, "/api/v1/me", Some(&token), None)
        .await;
    assert_eq!(me["time_zone"], "Europe/Paris", "kept");

    // Not a zone: a message on the field, and the zone kept.
    let refused = app
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            Method::PUT,
            "/api/v1/me/time-zone",
            Some(&token),
            Some(set(json!("Mars/Olympus_Mons"))),
        )
        .await;
    assert!(refused["errors"]["time_zone"].is_array(), "{refused}");
    let me = app
        .expect(StatusCode::OK, Method::GET, "/api/v1/me", Some(&token), None)
        .await;
    assert_eq!(me["time_zone"], "Europe/Paris");

    // Pages carry the zone for the script that shows times in it.
    let mut browser = app.browser();
    browser.login("zoe@acme.test", PW).await;
    let (status, home) = browser.page("/").await;
    assert_eq!(status, StatusCode::OK);
    // Tera writes the slash as `&#x2F;`, which the browser reads back as `/`.
    let zone = r#"Europe&#x2F;Paris"#;
    assert!(
        home.contains(&format!(r#"<body data-tz="{zone}">"#)),
        "the page names the zone"
    );
    // And the account page's form chooses it; a zone that is not one is refused there too.
    let (_, account) = browser.page("/account").await;
    assert!(
        account.contains(&format!(r#"<option value="{zone}" selected>"#)),
        "the form shows the zone"
    );
    let res = browser
        .post("/account/time-zone", &[("time_zone", "Nowhere/Else")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Choose a time zone from the list")
    );

    // Empty: back to the browser's zone.
    let me = app
        .expect(
            StatusCode::OK,
            Method::PUT,
            "/api/v1/me/time-zone",
            Some(&token),
            Some(set(json!(""))),
        )
        .await;
    assert_eq!(me["time_zone"], Value::Null);
}

/// A photo as a phone makes one: wider than tall, in colour.
fn photo(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn a_member_uploads_a_picture_shown_beside_what_they_write() {
    let app = TestApp::spawn().await;
    let mut b = app
        .user_with_role("pia@acme.test", parley::accounts::Role::Member, Some("Acme"))
        .await;

    // The form sent with no file chosen (a browser's empty part): what to do, nothing lost.
    let res = b
        .post_multipart("/account/picture", &[], &[("picture", None)])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Choose a picture to upload."));
    // Not an image, whatever its name says.
    let fake = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";
    let res = b
        .post_multipart(
            "/account/picture",
            &[],
            &[("picture", Some(("me.png", &fake[..])))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("PNG, JPEG, GIF or WebP"));

    let res = b
        .post_multipart(
            "/account/picture",
            &[],
            &[("picture", Some(("holiday.jpg", &photo(1200, 800)[..])))],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    let (_, account) = b.page("/account").await;
    let src = account
        .split(r#"<img class="avatar large" src=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the picture on the account page")
        .replace("&#x2F;", "/");
    assert!(src.starts_with("/avatars/"), "{src}");

    // Served as a small square JPEG, cached for good, inert.
    let res = b.get(&src).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let served = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((served.width(), served.height()), (192, 192));

    // Beside what they write: their post shows the picture, not initials.
    let res = b
        .post(
            "/c/questions/new",
            &[
                ("title", "Where are the logs kept?"),
                ("body", "On Linux, that is."),
                ("tags", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, topic) = b.page(&location(&res)).await;
    let escaped = src.replace('/', "&#x2F;");
    assert!(topic.contains(&escaped), "the post shows the picture");
    let (_, list) = b.page("/c/questions").await;
    assert!(list.contains(&escaped), "the list shows the picture");

    // Another stored file is never served through the pictures' address: a real
    // attachment's hash leads to the picture, not to the attachment.
    let token = app.token("pia@acme.test", crate::common::PW).await;
    let attached = app
        .upload(&token, "private.txt", b"a private log nobody else should read")
        .await;
    let (id, _) = src.trim_start_matches("/avatars/").split_once('/').unwrap();
    let other = format!("/avatars/{id}/{}", attached["sha256"].as_str().unwrap());
    let res = b.get(&other).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(location(&res), src, "to the current picture");
    let res = b.get(&format!("/avatars/{id}/not-a-hash")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Back to initials: the old address is gone.
    let res = b.post("/account/picture/remove", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.get(&src).await.status(), StatusCode::NOT_FOUND);
    let (_, account) = b.page("/account").await;
    assert!(account.contains(r#"class="avatar large c"#), "initials again");

    // The same through the API, with or without a file name.
    let send = |bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new().part("picture", reqwest::multipart::Part::bytes(bytes));
        app.api()
            .put(app.url("/api/v1/me/picture"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
    };
    let res = send(b"GIF89a but not really".to_vec()).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    assert!(problem["errors"]["picture"].is_array(), "{problem}");
    let res = send(photo(300, 600)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let me: Value = res.json().await.unwrap();
    let url = me["avatar"].as_str().unwrap().to_string();
    let me = app
        .expect(StatusCode::OK, Method::GET, "/api/v1/me", Some(&token), None)
        .await;
    assert_eq!(me["avatar"], url.as_str());
    let me = app
        .expect(
            StatusCode::OK,
            Method::DELETE,
            "/api/v1/me/picture",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(me["avatar"], Value::Null);
}
