//! Administration through HTTP: only admins get in; users, organizations and refused
//! domains can be managed from the pages and the API.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use crate::common::TestApp;
use parley::accounts::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn admin_pages_and_api_need_an_admin() {
    let app = TestApp::spawn().await;
    let mut member = app.verified_member("mo@acme.test", "member password").await;
    let mut staff = app.user_with_role("sue@vendor.test", Role::Staff, None).await;
    let mut admin = app.user_with_role("al@vendor.test", Role::Admin, None).await;
    for path in [
        "/admin/users",
        "/admin/organizations",
        "/admin/domains",
        "/admin/users/1",
    ] {
        let (status, html) = member.page(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "member on {path}");
        assert!(html.contains("Only administrators"), "{html}");
        assert_eq!(staff.page(path).await.0, StatusCode::FORBIDDEN, "staff on {path}");
        assert_eq!(admin.page(path).await.0, StatusCode::OK, "admin on {path}");
    }
    // A member cannot change their own role by posting the admin form.
    member.page("/account").await;
    let res = member
        .post("/admin/users/1", &[("role", "admin"), ("organization", "")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let staff_token = app.token("sue@vendor.test", "operator password 1").await;
    for path in [
        "/api/v1/admin/users",
        "/api/v1/admin/organizations",
        "/api/v1/admin/blocked-domains",
    ] {
        let (status, body) = app.call(Method::GET, path, Some(&staff_token), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(body["status"], 403);
        let (status, _) = app.call(Method::GET, path, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[tokio::test]
async fn onboarding_through_the_api() {
    let app = TestApp::spawn().await;
    app.user_with_role("al@vendor.test", Role::Admin, None).await;
    let token = app.token("al@vendor.test", "operator password 1").await;
    let t = Some(token.as_str());

    let org = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/api/v1/admin/organizations",
            t,
            Some(json!({"name": "Umbrella", "domains": ["umbrella.test", "@Umbrella-Labs.TEST"]})),
        )
        .await;
    assert_eq!(org["status"], "approved");
    assert_eq!(org["domains"], json!(["umbrella-labs.test", "umbrella.test"]));

    // Bad input names the field and creates nothing.
    for (body, field) in [
        (json!({"name": "", "domains": []}), "name"),
        (
            json!({"name": "Webmail Inc", "domains": ["gmail.com"]}),
            "domains",
        ),
        (json!({"name": "Other", "domains": ["umbrella.test"]}), "domains"),
        (json!({"name": "Bad", "domains": ["not a domain"]}), "domains"),
    ] {
        let (status, problem) = app
            .call(Method::POST, "/api/v1/admin/organizations", t, Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(problem["errors"][field].is_array(), "{problem}");
    }
    let (_, all) = app
        .call(Method::GET, "/api/v1/admin/organizations", t, None)
        .await;
    assert_eq!(all.as_array().unwrap().len(), 1);

    // A user signs up, and the admin makes them an authorized contact.
    app.expect(
        StatusCode::CREATED,
        Method::POST,
        "/api/v1/auth/signup",
        None,
        Some(json!({"email": "uma@umbrella.test", "password": "a sturdy passphrase", "display_name": "Uma"})),
    )
    .await;
    let (_, found) = app
        .call(
            Method::GET,
            "/api/v1/admin/users?email=UMA@umbrella.test",
            t,
            None,
        )
        .await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    let user_path = format!("/api/v1/admin/users/{}", found[0]["id"]);
    let user = app
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &user_path,
            t,
            Some(json!({"authorized_contact": true, "role": "staff"})),
        )
        .await;
    assert_eq!(user["authorized_contact"], true);
    assert_eq!(user["role"], "staff");
    assert_eq!(user["organization"]["name"], "Umbrella");

    // Refusals say why: an authorized contact needs an organization; roles are known;
    // organizations must exist; users must exist.
    for (path, body, status) in [
        (
            user_path.as_str(),
            json!({"organization": null}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            user_path.as_str(),
            json!({"role": "overlord"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            user_path.as_str(),
            json!({"organization": "No Such Org"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/api/v1/admin/users/999999",
            json!({"role": "member"}),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (got, problem) = app.call(Method::PATCH, path, t, Some(body.clone())).await;
        assert_eq!(got, status, "{body}: {problem}");
        assert!(problem["detail"].is_string());
    }
    let (_, user) = app
        .call(
            Method::PATCH,
            &user_path,
            t,
            Some(json!({"organization": org["id"]})),
        )
        .await;
    assert_eq!(user["organization"]["id"], org["id"]);

    // Domains can be replaced and the organization renamed.
    let org_path = format!("/api/v1/admin/organizations/{}", org["id"]);
    let (_, org) = app
        .call(
            Method::PATCH,
            &org_path,
            t,
            Some(json!({"domains": ["umbrella.test"], "name": "Umbrella Corp"})),
        )
        .await;
    assert_eq!(org["domains"], json!(["umbrella.test"]));
    assert_eq!(org["name"], "Umbrella Corp");
    assert_eq!(org["members"], 1);

    // The last admin cannot be demoted.
    let (_, me) = app.call(Method::GET, "/api/v1/me", t, None).await;
    app.expect(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::PATCH,
        &format!("/api/v1/admin/users/{}", me["id"]),
        t,
        Some(json!({"role": "member"})),
    )
    .await;

    // Refused domains through the API.
    let blocked = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/api/v1/admin/blocked-domains",
            t,
            Some(json!({"domain": "rival.test"})),
        )
        .await;
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/admin/blocked-domains",
            t,
            Some(json!({"domain": "umbrella.test"})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an owned domain cannot be refused"
    );
    app.expect(
        StatusCode::NO_CONTENT,
        Method::DELETE,
        &format!("/api/v1/admin/blocked-domains/{}", blocked["id"]),
        t,
        None,
    )
    .await;
}

#[tokio::test]
async fn admin_pages_manage_users_and_organizations() {
    let app = TestApp::spawn().await;
    let mut admin = app.user_with_role("al@vendor.test", Role::Admin, None).await;
    admin.page("/admin/organizations").await;
    // A refused form comes back filled in.
    let res = admin
        .post(
            "/admin/organizations",
            &[("name", "Hooli"), ("domains", "gmail.com")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("value=\"Hooli\""));
    assert!(html.contains("free or disposable"));
    let res = admin
        .post(
            "/admin/organizations",
            &[("name", "Hooli"), ("domains", "hooli.test\nhooli-xyz.test")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    app.verified_member("gav@hooli.test", "a sturdy passphrase").await;
    let (status, html) = admin.page("/admin/users?q=gav").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("gav@hooli.test"));
    let (_, none) = admin.page("/admin/users?q=nobody-like-this").await;
    assert!(none.contains("No user matches"));
    let users: Vec<Value> = admin.get("/api/v1/admin/users?q=gav").await.json().await.unwrap();
    let uid = users[0]["id"].as_i64().unwrap();
    let org_id = users[0]["organization"]["id"].as_i64().unwrap().to_string();
    admin.page(&format!("/admin/users/{uid}")).await;
    let res = admin
        .post(
            &format!("/admin/users/{uid}"),
            &[
                ("role", "member"),
                ("organization", &org_id),
                ("authorized_contact", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = admin.page(&format!("/admin/users/{uid}")).await;
    assert!(html.contains("id=\"authorized_contact\" name=\"authorized_contact\" type=\"checkbox\" checked"));
}
