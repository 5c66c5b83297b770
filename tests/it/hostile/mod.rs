//! Hostile input, on whichever database the run uses (SQLite, or PostgreSQL with
//! PARLEY_TEST_PG_URL): control characters in every kind of input, the pathological
//! markdown, lists of 100,000 items and the attachment that shares its bytes with
//! another. None of it is a 5xx, and another member reading and replying at the same
//! time is answered within a second throughout.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use crate::common::PW;
use crate::common::TestApp;
use parley::accounts::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

mod inputs;

use inputs::*;

#[tokio::test]
async fn hostile_input_is_refused_or_bounded_while_others_use_the_site() {
    let app = Arc::new(
        // Alone on the machine: the other member's answers are timed.
        TestApp::spawn_alone(&["--rate-limits=off", &format!("--inbound-mail-token={INBOUND}")]).await,
    );
    let ann = app.member_token("ann@acme.test").await;
    let bea = app.member_token("bea@acme.test").await;
    app.contact("cid@acme.test", "Acme").await;
    let cid = app.token("cid@acme.test", PW).await;
    app.user_with_role("ada@vendor.test", Role::Admin, None).await;
    let ada = app.token("ada@vendor.test", PW).await;
    let tid = ask(&app, &ann, "Agent stops after the upgrade").await;
    let theirs = ask(&app, &bea, "Upgrade stops the agent on Windows").await;

    let stop = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(bystander(app.clone(), bea.clone(), theirs, stop.clone()));
    // Every hostile answer, to check for 5xx at the end.
    let mut answers: Vec<(String, StatusCode)> = Vec::new();

    // 1. Control characters: a 422 naming the field, in JSON, forms, multipart, query
    //    strings and paths, signed in or not; the same on both databases.
    let json_cases: Vec<(String, Option<&str>, Value, &str)> = vec![
        (
            "/api/v1/topics".into(),
            Some(&ann),
            json!({"category": "questions", "title": "Null\u{0} byte", "body": "x"}),
            "title",
        ),
        (
            format!("/api/v1/topics/{tid}/posts"),
            Some(&ann),
            json!({"body": "escape \u{1b}[31m red"}),
            "body",
        ),
        (
            "/api/v1/auth/token".into(),
            None,
            json!({"email": "ann@acme.test\u{0}", "password": "x"}),
            "email",
        ),
        (
            "/api/v1/auth/signup".into(),
            None,
            json!({"email": "new@acme.test", "password": "long enough pass", "display_name": "N\u{0}"}),
            "display_name",
        ),
        (
            "/api/v1/topics".into(),
            Some(&ann),
            json!({"category": "questions", "title": "ok title", "body": "x", "tags": ["a", "b\u{ffff}"]}),
            "tags[1]",
        ),
        (
            "/api/v1/tickets".into(),
            Some(&cid),
            json!({"subject": "Export\u{0}", "priority": "normal", "description": "It stops at 40%."}),
            "subject",
        ),
        (
            "/api/v1/status/subscriptions".into(),
            None,
            json!({"email": "ann@acme.test", "components": ["api\u{0}"]}),
            "components[0]",
        ),
        (
            "/api/v1/admin/organizations".into(),
            Some(&ada),
            json!({"name": "Initech\u{0}", "domains": ["initech.test"]}),
            "name",
        ),
    ];
    for (path, token, body, field) in json_cases {
        let (status, answer) = app.call(Method::POST, &path, token, Some(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {answer}");
        assert_eq!(fields_of(&answer), [field], "{path}: {answer}");
        assert!(answer.to_string().contains("Remove the"), "{answer}");
        answers.push((path, status));
    }
    // A JSON body that is not an object.
    for body in [json!(["questions", "A title", "x"]), json!("text"), json!(7)] {
        let answer = app
            .expect(
                StatusCode::BAD_REQUEST,
                Method::POST,
                "/api/v1/topics",
                Some(&ann),
                Some(body),
            )
            .await;
        assert!(
            answer["detail"].as_str().unwrap().contains("JSON object"),
            "{answer}"
        );
    }
    // The query string and the path, of the API and of pages.
    for (path, field) in [
        ("/api/v1/search?q=a%00b", "q"),
        ("/api/v1/search/suggest?q=a%1bb", "q"),
        ("/api/v1/topics/a%00b", "path"),
        ("/api/v1/tickets?q=%00", "q"),
    ] {
        let (status, answer) = app.call(Method::GET, path, Some(&ann), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {answer}");
        assert_eq!(fields_of(&answer), [field], "{path}: {answer}");
        answers.push((path.into(), status));
    }
    let mut b = app.browser();
    b.login("ann@acme.test", PW).await;
    for path in [
        format!("/t/{tid}/a%00b"),
        "/search?q=%00".into(),
        "/u/ann%00".into(),
    ] {
        let (status, html) = b.page(&path).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(html.contains("U+0000"), "{path}: {html}");
        answers.push((path, status));
    }
    // Forms, urlencoded and multipart: a 422 page, nothing stored.
    let res = b
        .post(&format!("/t/{tid}/reply"), &[("body", "a reply\u{0}")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("U+0000"));
    let res = b
        .post_multipart(
            &format!("/t/{tid}/attach"),
            &[("body", "see the log\u{0}")],
            &[("file", Some(("agent.log", b"log\0line")))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mut customer = app.browser();
    customer.login("cid@acme.test", PW).await;
    let res = customer
        .post_multipart(
            "/portal/tickets/new",
            &[
                ("subject", "Export stops"),
                ("priority", "normal"),
                ("description", "It stops\u{0} at 40%."),
            ],
            &[("files", None)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .api()
        .post(app.url("/login"))
        .form(&[("email", "ann@acme.test\u{0}"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    // Received mail keeps its message and loses the characters: never a temporary
    // failure for its content.
    let raw = "From: Cid <cid@acme.test>\r\nTo: help@vendor.test\r\nSubject: Export\0 stops\r\n\
               Message-ID: <nul@mail.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
               The export\0 stops at 40%.\r\n";
    let res = app
        .api()
        .post(app.url("/api/v1/inbound-mail"))
        .bearer_auth(INBOUND)
        .header("content-type", "message/rfc822")
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let outcome: Value = res.json().await.unwrap();
    assert_eq!(outcome["outcome"], "ticket", "{outcome}");
    let (_, posts) = app
        .call(Method::GET, &format!("/api/v1/topics/{tid}"), Some(&ann), None)
        .await;
    assert_eq!(posts["replies"].as_array().unwrap().len(), 0, "{posts}");

    // 2. Pathological markdown as large as a post may be, replied at once and
    //    previewed eight at a time: each is taken, none holds the others up.
    let mut writes = Vec::new();
    for (name, body) in pathological() {
        let (app, ann) = (app.clone(), ann.clone());
        writes.push(tokio::spawn(async move {
            let (status, answer) = app
                .call(
                    Method::POST,
                    &format!("/api/v1/topics/{tid}/posts"),
                    Some(&ann),
                    Some(json!({"body": body})),
                )
                .await;
            (name, status, answer)
        }));
    }
    for (name, body) in pathological() {
        for _ in 0..8 {
            let (app, ann, body) = (app.clone(), ann.clone(), body.clone());
            writes.push(tokio::spawn(async move {
                let (status, answer) = app
                    .call(
                        Method::POST,
                        "/api/v1/markdown/preview",
                        Some(&ann),
                        Some(json!({"body": body})),
                    )
                    .await;
                (name, status, answer)
            }));
        }
    }
    for w in writes {
        let (name, status, answer) = w.await.unwrap();
        assert!(status.is_success(), "{name}: {status} {answer}");
        answers.push((name.into(), status));
    }
    let (status, _) = b.page(&format!("/t/{tid}/x")).await;
    assert_eq!(status, StatusCode::OK);

    // 3. Lists of 100,000 items are refused by their count as they are read, before
    //    any item is looked at (the items here would be refused on their own too).
    let many = |prefix: &str| -> Vec<String> { (0..100_000).map(|i| format!("{prefix}{i}")).collect() };
    for (method, path, token, body, field) in [
        (
            Method::POST,
            "/api/v1/topics".to_string(),
            Some(&ann),
            json!({"category": "questions", "title": "Too many tags", "body": "x y", "tags": many("t")}),
            "tags",
        ),
        (
            Method::POST,
            "/api/v1/status/subscriptions".into(),
            None,
            json!({"email": "ann@acme.test", "components": many("c")}),
            "components",
        ),
        (
            Method::POST,
            "/api/v1/admin/organizations".into(),
            Some(&ada),
            json!({"name": "Initech", "domains": many("d")}),
            "domains",
        ),
        (
            Method::PUT,
            "/api/v1/admin/teams/support".into(),
            Some(&ada),
            json!({"members": many("m")}),
            "members",
        ),
    ] {
        let (status, answer) = app
            .call(method, &path, token.map(|t| t.as_str()), Some(body))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {answer}");
        assert!(
            answer["errors"][field][0]
                .as_str()
                .unwrap_or_default()
                .contains("at most"),
            "{path}: {answer}"
        );
        answers.push((path, status));
    }
    // A body past the limit is a 413 that says it.
    let answer = app
        .expect(
            StatusCode::PAYLOAD_TOO_LARGE,
            Method::POST,
            "/api/v1/topics",
            Some(&ann),
            Some(json!({"category": "questions", "title": "Too long", "body": "x".repeat(2 << 20)})),
        )
        .await;
    assert!(
        answer["detail"].as_str().unwrap().contains("larger than"),
        "{answer}"
    );
    let mut form = reqwest::multipart::Form::new()
        .text("subject", "A thousand files")
        .text("priority", "normal")
        .text("description", "Every log we have.");
    for i in 0..1000 {
        form = form.part(
            "files",
            reqwest::multipart::Part::bytes(b"log".to_vec()).file_name(format!("{i}.log")),
        );
    }
    let res = app
        .api()
        .post(app.url("/api/v1/tickets"))
        .bearer_auth(&cid)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answer: Value = res.json().await.unwrap();
    assert!(
        answer["errors"]["files"][0].as_str().unwrap().contains("at most"),
        "{answer}"
    );

    // 4. An attachment keeps its own name and type, whatever shares its bytes.
    let ticket = app.expect(StatusCode::CREATED, Method::POST,
            "/api/v1/tickets",
            Some(&cid),
            Some(json!({"subject": "Two names, one file", "priority": "normal", "description": "Attaching twice."}))).await;
    let ticket_id = ticket["ticket"]["id"].as_i64().unwrap();
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    let mut ids = Vec::new();
    for name in ["screen.png", "notes.txt"] {
        let form = reqwest::multipart::Form::new().part(
            "files",
            reqwest::multipart::Part::bytes(png.to_vec()).file_name(name.to_string()),
        );
        let res = app
            .api()
            .post(app.url(&format!("/api/v1/tickets/{ticket_id}/attachments")))
            .bearer_auth(&cid)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let answer: Value = res.json().await.unwrap();
        let file = answer["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["filename"] == name)
            .unwrap_or_else(|| panic!("{name} in {answer}"))
            .clone();
        ids.push((name, file["id"].as_i64().unwrap()));
    }
    for (name, id) in ids {
        let res = app
            .api()
            .get(app.url(&format!("/api/v1/tickets/{ticket_id}/attachments/{id}")))
            .bearer_auth(&cid)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let kind = res.headers()["content-type"].to_str().unwrap().to_string();
        let disposition = res.headers()["content-disposition"].to_str().unwrap().to_string();
        let expected = if name.ends_with(".png") {
            "image/png"
        } else {
            "text/plain"
        };
        assert!(kind.starts_with(expected), "{name}: {kind}");
        assert!(disposition.contains(name), "{name}: {disposition}");
    }

    stop.store(true, Ordering::Relaxed);
    let seen = watcher.await.unwrap();
    for (what, status) in &answers {
        assert!(!status.is_server_error(), "{what}: {status}");
    }
    assert!(
        seen.requests >= 8,
        "the other member made only {} requests",
        seen.requests
    );
    assert!(
        seen.wrong.is_empty(),
        "the other member saw {:?} (worst {:?} over {} requests)",
        seen.wrong,
        seen.worst,
        seen.requests
    );
}
