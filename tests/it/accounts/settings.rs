//! A member's own settings: the time zone pages show times in.

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
