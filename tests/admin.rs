//! Administration through HTTP: only admins get in; users, organizations and refused
//! domains can be managed from the pages and the API.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

mod common;

use common::TestApp;
use parley::accounts::Role;
use reqwest::StatusCode;
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
        let res = app
            .api()
            .get(app.url(path))
            .bearer_auth(&staff_token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["status"], 403);
        let res = app.api().get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[tokio::test]
async fn onboarding_through_the_api() {
    let app = TestApp::spawn().await;
    app.user_with_role("al@vendor.test", Role::Admin, None).await;
    let token = app.token("al@vendor.test", "operator password 1").await;
    let api = app.api();

    let res = api
        .post(app.url("/api/v1/admin/organizations"))
        .bearer_auth(&token)
        .json(&json!({"name": "Umbrella", "domains": ["umbrella.test", "@Umbrella-Labs.TEST"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let org: Value = res.json().await.unwrap();
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
        let res = api
            .post(app.url("/api/v1/admin/organizations"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let problem: Value = res.json().await.unwrap();
        assert!(problem["errors"][field].is_array(), "{problem}");
    }
    let all: Vec<Value> = api
        .get(app.url("/api/v1/admin/organizations"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all.len(), 1);

    // A user signs up, and the admin makes them an authorized contact.
    let res = api
        .post(app.url("/api/v1/auth/signup"))
        .json(
            &json!({"email": "uma@umbrella.test", "password": "a sturdy passphrase", "display_name": "Uma"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let found: Vec<Value> = api
        .get(app.url("/api/v1/admin/users?email=UMA@umbrella.test"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let uid = found[0]["id"].as_i64().unwrap();
    let res = api
        .patch(app.url(&format!("/api/v1/admin/users/{uid}")))
        .bearer_auth(&token)
        .json(&json!({"authorized_contact": true, "role": "staff"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let user: Value = res.json().await.unwrap();
    assert_eq!(user["authorized_contact"], true);
    assert_eq!(user["role"], "staff");
    assert_eq!(user["organization"]["name"], "Umbrella");

    // Taking the organization away from an authorized contact is refused with a reason.
    let res = api
        .patch(app.url(&format!("/api/v1/admin/users/{uid}")))
        .bearer_auth(&token)
        .json(&json!({"organization": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = api
        .patch(app.url(&format!("/api/v1/admin/users/{uid}")))
        .bearer_auth(&token)
        .json(&json!({"role": "overlord"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = api
        .patch(app.url("/api/v1/admin/users/999999"))
        .bearer_auth(&token)
        .json(&json!({"role": "member"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Domains can be replaced, and the last admin cannot be demoted.
    let oid = org["id"].as_i64().unwrap();
    let res = api
        .patch(app.url(&format!("/api/v1/admin/organizations/{oid}")))
        .bearer_auth(&token)
        .json(&json!({"domains": ["umbrella.test"], "name": "Umbrella Corp"}))
        .send()
        .await
        .unwrap();
    let org: Value = res.json().await.unwrap();
    assert_eq!(org["domains"], json!(["umbrella.test"]));
    assert_eq!(org["name"], "Umbrella Corp");
    let me: Value = api
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let res = api
        .patch(app.url(&format!("/api/v1/admin/users/{}", me["id"])))
        .bearer_auth(&token)
        .json(&json!({"role": "member"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
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
