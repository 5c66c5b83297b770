//! Product communities: their own four categories, their own Releases feed and
//! documentation link, beside the main community; and the navigation's documentation
//! link.

use super::*;

#[tokio::test]
async fn a_product_community_has_its_own_categories_feed_and_documentation() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let sam = staff(&app, "sam@vendor.test").await;
    app.user_with_role("ada@vendor.test", Role::Admin, None).await;
    let ada_token = app.token("ada@vendor.test", PW).await;
    app.user_with_role("mia@acme.test", Role::Member, Some("Acme"))
        .await;
    let mia = app.token("mia@acme.test", PW).await;
    let mut ada = app.browser_as("ada@vendor.test").await;

    // Added through the admin page; a bad address comes back with what was typed.
    let res = ada
        .post(
            "/admin/communities",
            &[
                ("name", "Data Loader"),
                ("slug", "Data Loader!"),
                ("description", "Moving data in bulk."),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Moving data in bulk."));
    let res = ada
        .post(
            "/admin/communities",
            &[
                ("name", "Data Loader"),
                ("slug", ""),
                ("description", "Moving data in bulk."),
                ("docs_url", "https://docs.vendor.test/data-loader"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/communities/data-loader?notice=saved");
    // Its name is its own.
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/admin/communities",
            Some(&ada_token),
            Some(json!({"name": "Data Loader", "slug": "loader-two"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem["errors"]["name"].is_array());
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/admin/communities",
            Some(&sam),
            Some(json!({"name": "Other"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let listed = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/v1/communities",
            Some(&mia),
            None,
        )
        .await;
    assert_eq!(listed[0]["slug"], "data-loader");
    let community = listed[0]["id"].clone();
    let (_, categories) = app
        .call(Method::GET, "/api/v1/categories", Some(&mia), None)
        .await;
    let own: Vec<&str> = categories
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["community_id"] == community)
        .map(|c| c["slug"].as_str().unwrap())
        .collect();
    assert_eq!(
        own,
        [
            "data-loader-questions",
            "data-loader-releases",
            "data-loader-ideas",
            "data-loader-knowledge"
        ]
    );

    // A release in each community: each feed has its own; the site's feed has both.
    release(&app, &sam, "Widget", "4.3.0").await;
    app.expect(
        StatusCode::CREATED,
        Method::POST,
        "/api/v1/topics",
        Some(&sam),
        Some(
            json!({"category": "data-loader-releases", "title": "Data Loader 2.0 released",
                    "body": "## New\n\n- Parallel loads", "product": "Data Loader", "version": "2.0.0"}),
        ),
    )
    .await;
    let mut mia_b = app.browser_as("mia@acme.test").await;
    let (status, feed) = mia_b.page("/communities/data-loader/releases.atom").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        feed.contains("Data Loader 2.0.0") && !feed.contains("Widget 4.3.0"),
        "{feed}"
    );
    assert!(feed.contains("Data Loader releases"));
    let (_, all) = mia_b.page("/releases.atom").await;
    assert!(all.contains("Data Loader 2.0.0") && all.contains("Widget 4.3.0"));
    assert_eq!(
        mia_b.page("/communities/nothing-here").await.0,
        StatusCode::NOT_FOUND
    );

    // Its home: its categories, its documentation, asking in it.
    let (status, home) = mia_b.page("/communities/data-loader").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        home.contains("/c/data-loader-questions/new") && home.contains("docs.vendor.test"),
        "{home}"
    );
    assert!(home.contains("/c/data-loader-ideas"));
    // Its categories lead back to it, and its Releases category to its own feed.
    let (_, releases) = mia_b.page("/c/data-loader-releases").await;
    assert!(
        releases.contains(r#"href="/communities/data-loader">Data Loader</a>"#),
        "{releases}"
    );
    assert!(releases.contains("/communities/data-loader/releases.atom"));
    let (_, ask) = mia_b.page("/c/data-loader-questions/new").await;
    assert!(ask.contains(r#"href="/communities/data-loader">Data Loader</a>"#));
    // The main home lists the community, and keeps its categories to itself.
    let (_, main) = mia_b.page("/").await;
    assert!(main.contains("/communities/data-loader") && !main.contains("/c/data-loader-ideas"));
    // A question asked there is found by search like any other.
    app.expect(
        StatusCode::CREATED,
        Method::POST,
        "/api/v1/topics",
        Some(&mia),
        Some(
            json!({"category": "data-loader-questions", "title": "Bulk insert skips rows with quotes",
                    "body": "Rows whose text holds a double quote are skipped without a message."}),
        ),
    )
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, found) = app
            .call(
                Method::GET,
                "/api/v1/search?q=bulk+insert+quotes",
                Some(&mia),
                None,
            )
            .await;
        if found["hits"].as_array().is_some_and(|h| !h.is_empty()) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{found}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_documentation_link_is_in_the_navigation_of_every_page() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    app.user_with_role("ada@vendor.test", Role::Admin, None).await;
    app.user_with_role("mia@acme.test", Role::Member, Some("Acme"))
        .await;
    let mut ada = app.browser_as("ada@vendor.test").await;
    let mut mia = app.browser_as("mia@acme.test").await;
    assert!(!mia.page("/").await.1.contains("docs-link"));
    let res = ada
        .post(
            "/admin/site-links",
            &[("docs_url", "javascript:alert(1)"), ("docs_label", "Docs")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("an address starting with https:")
    );
    let res = ada
        .post(
            "/admin/site-links",
            &[("docs_url", "https://docs.vendor.test/"), ("docs_label", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    for path in ["/", "/status", "/account"] {
        let (_, html) = mia.page(path).await;
        assert!(html.contains("class=\"docs-link\">Documentation</a>"), "{path}");
    }
    let token = app.token("mia@acme.test", PW).await;
    let links = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/v1/site-links",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(links["docs_url"], "https://docs.vendor.test/");
}
