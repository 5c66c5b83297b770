//! Who files and sees which tickets, on every route.

use super::*;

#[tokio::test]
async fn who_files_and_sees_which_tickets() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let p = people(&app).await;
    let (status, t) = file(&app, &p.ann, ticket("Export stops halfway", "normal")).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let id = t["ticket"]["id"].as_i64().unwrap();
    assert_eq!(t["ticket"]["status"], "open");
    assert_eq!(t["customer"], "Acme");

    // A colleague who is not an authorized contact neither files nor sees, and is
    // told whom to ask.
    let (status, problem) = file(&app, &p.bob, ticket("Me too, export", "normal")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("authorized contacts of Acme"),
        "{problem}"
    );
    app.expect(
        StatusCode::FORBIDDEN,
        Method::GET,
        &format!("/api/v1/tickets/{id}"),
        Some(&p.bob),
        None,
    )
    .await;
    // Another customer's contact: not found, and not in their list.
    app.expect(
        StatusCode::NOT_FOUND,
        Method::GET,
        &format!("/api/v1/tickets/{id}"),
        Some(&p.gil),
        None,
    )
    .await;
    let (_, list) = app.call(Method::GET, "/api/v1/tickets", Some(&p.gil), None).await;
    assert_eq!(list.as_array().unwrap().len(), 0);
    // A contact files only for their own organization.
    let (status, problem) = file(&app, &p.gil, json!({"organization_id": p.acme, "subject": "Globex for Acme", "priority": "normal", "description": "Trying to file for someone else."})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem["errors"]["organization_id"].is_array());
    // Staff see every ticket, and must say which customer they file for.
    let (_, list) = app.call(Method::GET, "/api/v1/tickets", Some(&p.sam), None).await;
    assert_eq!(list[0]["id"], id);
    // The subject filter ignores case on both databases, and takes wildcards literally.
    for (q, found) in [
        ("export", 1),
        ("EXPORT STOPS", 1),
        ("halfway", 1),
        ("%", 0),
        ("_", 0),
    ] {
        let path = format!(
            "/api/v1/tickets?q={}",
            url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
        );
        let list = app
            .expect(StatusCode::OK, Method::GET, &path, Some(&p.sam), None)
            .await;
        assert_eq!(list.as_array().unwrap().len(), found, "q={q}: {list}");
    }
    let (status, problem) = file(&app, &p.sam, ticket("On behalf of someone", "normal")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem["errors"]["organization_id"].is_array());

    // Every field is checked, each with what to fix.
    let (status, problem) = file(
        &app,
        &p.ann,
        json!({"subject": "Hm", "priority": "urgent", "description": "short"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["subject", "priority", "description"] {
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    // Environments and applications are the customer's own.
    let env = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            &format!("/api/v1/admin/organizations/{}/environments", p.acme),
            Some(&p.ada),
            Some(json!({"name": "Production"})),
        )
        .await;
    app.expect(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &format!("/api/v1/admin/organizations/{}/environments", p.acme),
        Some(&p.ada),
        Some(json!({"name": "Production"})),
    )
    .await;
    app.expect(
        StatusCode::FORBIDDEN,
        Method::POST,
        "/api/v1/admin/keywords",
        Some(&p.sam),
        Some(json!({"name": "Export"})),
    )
    .await;
    let env_id: i64 = env["id"].as_str().unwrap().parse().unwrap();
    let (status, problem) = file(&app, &p.gil, json!({"subject": "Using Acme's environment", "priority": "normal", "environment_id": env_id, "description": "This is not our environment."})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, t) = file(&app, &p.ann, json!({"subject": "Export in production", "priority": "high", "environment_id": env_id, "description": "The export fails in production."})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(t["environment"], "Production");
}

#[tokio::test]
async fn visibility_on_every_ticket_route() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let p = people(&app).await;
    let form = reqwest::multipart::Form::new()
        .text("subject", "Acme's private trouble")
        .text("priority", "normal")
        .text("description", "Only Acme and support may read this.")
        .part("files", part("private.txt", b"private"));
    let (_, t) = multipart(&app, "/api/v1/tickets", &p.ann, form).await;
    let id = t["ticket"]["id"].as_i64().unwrap();
    let file_id = t["attachments"][0]["id"].as_i64().unwrap();
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&p.sam), None).await;
    let sam_id = me["id"].as_i64().unwrap();
    // Every route of one ticket, and what each caller gets: the contact and staff go in
    // (staff-only changes refuse the contact with 403), another customer's contact gets
    // 404 everywhere, a colleague who is not a contact 403 everywhere (the portal is not
    // theirs at all, whichever number they try), and a missing ticket is 404 for all.
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/tickets/{id}"), None),
        (Method::GET, format!("/api/v1/tickets/{id}/transitions"), None),
        (
            Method::GET,
            format!("/api/v1/tickets/{id}/attachments/{file_id}"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/tickets/{id}/notes"),
            Some(json!({"body": "A note from the matrix"})),
        ),
        (
            Method::PUT,
            format!("/api/v1/tickets/{id}/status"),
            Some(json!({"status": "closed"})),
        ),
        (
            Method::PUT,
            format!("/api/v1/tickets/{id}/priority"),
            Some(json!({"priority": "high"})),
        ),
        (
            Method::PUT,
            format!("/api/v1/tickets/{id}/assignee"),
            Some(json!({"assignee_id": sam_id})),
        ),
    ];
    let staff_only = |path: &str| path.ends_with("/priority") || path.ends_with("/assignee");
    for (method, path, body) in &routes {
        for (who, token) in [("gil", &p.gil), ("bob", &p.bob), ("ann", &p.ann), ("sam", &p.sam)] {
            // Ann closes the ticket; staff then reopen it.
            let body = match (who, path.ends_with("/status")) {
                ("sam", true) => Some(json!({"status": "open"})),
                _ => body.clone(),
            };
            let res = app
                .api()
                .request(method.clone(), app.url(path))
                .bearer_auth(token)
                .json(body.as_ref().unwrap_or(&Value::Null))
                .send()
                .await
                .unwrap();
            let expected = match who {
                "gil" => StatusCode::NOT_FOUND,
                "bob" => StatusCode::FORBIDDEN,
                "ann" if staff_only(path) => StatusCode::FORBIDDEN,
                _ => res.status(),
            };
            assert_eq!(res.status(), expected, "{who} {method} {path}");
            if matches!(who, "ann" | "sam") && !(who == "ann" && staff_only(path)) {
                assert!(
                    res.status().is_success(),
                    "{who} {method} {path}: {}",
                    res.status()
                );
            }
        }
        let missing = path.replacen(&format!("/tickets/{id}"), "/tickets/999999", 1);
        for token in [&p.ann, &p.gil, &p.sam] {
            let res = app
                .api()
                .request(method.clone(), app.url(&missing))
                .bearer_auth(token)
                .json(body.as_ref().unwrap_or(&Value::Null))
                .send()
                .await
                .unwrap();
            assert!(
                matches!(res.status(), StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
                "{method} {missing}: {}",
                res.status()
            );
        }
    }
    // Attaching follows the same rule.
    let attach = format!("/api/v1/tickets/{id}/attachments");
    for (token, expected) in [(&p.gil, StatusCode::NOT_FOUND), (&p.bob, StatusCode::FORBIDDEN)] {
        let form = reqwest::multipart::Form::new().part("files", part("x.txt", b"x"));
        let (status, _) = multipart(&app, &attach, token, form).await;
        assert_eq!(status, expected);
    }
    // The pages too.
    let mut gil = app.browser();
    gil.login("gil@globex.test", PW).await;
    for path in [
        format!("/portal/tickets/{id}"),
        format!("/portal/tickets/{id}/attachments/{file_id}"),
    ] {
        assert_eq!(gil.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let (_, list) = gil.page("/portal/tickets").await;
    assert!(!list.contains("Acme's private trouble"));
}

#[tokio::test]
async fn an_id_that_names_nothing_is_a_field_to_fix() {
    let app = TestApp::spawn_with(&["--rate-limits=off", "--send-mail=off"]).await;
    let p = people(&app).await;
    // Staff filing for a customer that does not exist.
    let (status, problem) = file(
        &app,
        &p.sam,
        json!({"organization_id": 987654, "subject": "For nobody at all", "priority": "normal", "description": "Who is this customer?"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem["errors"]["organization_id"].is_array(), "{problem}");
}
