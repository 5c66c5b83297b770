//! The portal as pages, without JavaScript; and files on tickets.

use super::*;

#[tokio::test]
async fn the_portal_pages_work_without_javascript() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let mut ann = app.contact("ann@acme.test", "Acme").await;
    let mut bob = app
        .user_with_role("bob@acme.test", Role::Member, Some("Acme"))
        .await;
    let (status, html) = bob.page("/portal/tickets").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("authorized contacts"));
    // Error pages keep the reader's own header: signed in, with their links.
    assert!(html.contains("Sign out") && !html.contains(">Sign up<"), "{html}");
    let (status, html) = bob.page("/t/987654/gone").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Sign out") && !html.contains(">Sign up<"), "{html}");
    let (status, form) = ann.page("/portal/tickets/new").await;
    assert_eq!(status, StatusCode::OK);
    for promise in ["2 hours", "1 business day", "2 business days"] {
        assert!(form.contains(promise), "{promise}");
    }
    assert!(form.contains(r#"data-suggest-for="subject""#));
    // A refused form comes back filled in.
    let res = ann
        .post(
            "/portal/tickets/new",
            &[
                ("subject", "Hm"),
                ("priority", "normal"),
                ("description", "Keep this text please"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Keep this text please") && html.contains("at least 5 characters"));
    let res = ann
        .post(
            "/portal/tickets/new",
            &[
                ("subject", "Dashboard is blank"),
                ("priority", "high"),
                ("environment_id", ""),
                ("description", "The dashboard shows nothing since the upgrade."),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let url = crate::common::location(&res);
    let (status, page) = ann.page(url.split('?').next().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Dashboard is blank") && page.contains("Close this ticket"));
    let id = url
        .trim_start_matches("/portal/tickets/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let res = ann
        .post(&format!("/portal/tickets/{id}/note"), &[("body", "")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = ann
        .post(
            &format!("/portal/tickets/{id}/note"),
            &[("body", "It also happens on Firefox.")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // A customer with one move (closing) gets a button for it, not a menu of one; a
    // status form sent with no move changes nothing.
    let (_, page) = ann.page(&format!("/portal/tickets/{id}")).await;
    assert!(page.contains(r#"name="status" value="closed""#), "{page}");
    assert!(!page.contains(r#"<option value="" selected>Choose"#), "{page}");
    let res = ann
        .post(&format!("/portal/tickets/{id}/status"), &[("status", "")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Choose the status"));
    let (_, page) = ann.page(&format!("/portal/tickets/{id}")).await;
    assert!(!page.contains("changed the status"), "{page}");
    let res = ann
        .post(&format!("/portal/tickets/{id}/status"), &[("status", "closed")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = ann.page(&format!("/portal/tickets/{id}")).await;
    assert!(page.contains("Firefox") && page.contains("closed"));
    let (_, list) = ann.page("/portal/tickets?status=closed").await;
    assert!(list.contains("Dashboard is blank"));
    assert!(list.contains("<h1>Closed tickets</h1>"), "{list}");

    // The form as a browser sends it: multipart, token first, and a file input left
    // empty sent as a part with an empty name. Both buttons file the ticket when files
    // were chosen; "Upload" without any asks for them and keeps what was typed.
    let fields = |action: &'static str| {
        [
            ("subject", "Exports fail on Mondays"),
            ("priority", "normal"),
            ("environment_id", ""),
            ("description", "Every Monday the export stops with ERR-7."),
            ("action", action),
        ]
    };
    let res = ann
        .post_multipart("/portal/tickets/new", &fields("submit"), &[("files", None)])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    let res = ann
        .post_multipart("/portal/tickets/new", &fields("upload"), &[("files", None)])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Choose the files to upload") && html.contains("Every Monday the export"));
    let res = ann
        .post_multipart(
            "/portal/tickets/new",
            &fields("upload"),
            &[
                ("files", Some(("monday.log", b"ERR-7 at 02:00"))),
                ("files", Some(("page.png", b"\x89PNG"))),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    let with_files = crate::common::location(&res)
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let (_, page) = ann.page(&with_files).await;
    assert!(page.contains("monday.log") && page.contains("page.png"), "{page}");
    // A refused file sends the form back filled in.
    let res = ann
        .post_multipart(
            "/portal/tickets/new",
            &fields("submit"),
            &[("files", Some(("tool.exe", b"MZ")))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("tool.exe is not a type") && html.contains("Every Monday the export"));
    // The ticket page's upload with no file chosen asks for one.
    let res = ann
        .post_multipart(&format!("{with_files}/attachments"), &[], &[("files", None)])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Choose at least one file"));
}

#[tokio::test]
async fn attachments_follow_the_ticket() {
    let app = TestApp::spawn_with(&["--rate-limits=off", "--max-upload-mb=1"]).await;
    let p = people(&app).await;
    // Filed with files in one multipart call.
    let form = reqwest::multipart::Form::new()
        .text("subject", "Export crashes with a stack trace")
        .text("priority", "normal")
        .text("description", "The export crashes; the log is attached.")
        .part("files", part("export.log", b"ERROR 42 at line 7"))
        .part("files", part("screen.png", b"\x89PNG fake"));
    let (status, t) = multipart(&app, "/api/v1/tickets", &p.ann, form).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let id = t["ticket"]["id"].as_i64().unwrap();
    let files = t["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["filename"], "export.log");
    assert_eq!(files[0]["size"], 18);
    let kinds: Vec<&str> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "attachment", "attachment"]);
    let file_id = files[0]["id"].as_i64().unwrap();

    // Types and sizes are checked, each refusal naming the file; nothing is filed.
    let form = reqwest::multipart::Form::new()
        .text("subject", "A script for you")
        .text("priority", "normal")
        .text("description", "Please run the attached script.")
        .part("files", part("run.exe", b"MZ"));
    let (status, problem) = multipart(&app, "/api/v1/tickets", &p.ann, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["errors"]["files"][0]
            .as_str()
            .unwrap()
            .contains("run.exe"),
        "{problem}"
    );
    let big = vec![b'x'; 1024 * 1024 + 1];
    let form = reqwest::multipart::Form::new().part("files", part("huge.log", &big));
    let (status, problem) = multipart(&app, &format!("/api/v1/tickets/{id}/attachments"), &p.ann, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem["errors"]["files"][0].as_str().unwrap().contains("1 MiB"),
        "{problem}"
    );
    let (_, list) = app.call(Method::GET, "/api/v1/tickets", Some(&p.ann), None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    // The file is served to whoever sees the ticket, and to nobody else.
    let path = format!("/api/v1/tickets/{id}/attachments/{file_id}");
    for (token, expected) in [
        (&p.ann, StatusCode::OK),
        (&p.sam, StatusCode::OK),
        (&p.gil, StatusCode::NOT_FOUND),
        (&p.bob, StatusCode::FORBIDDEN),
    ] {
        let res = app
            .api()
            .get(app.url(&path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), expected);
        if expected == StatusCode::OK {
            assert!(
                res.headers()["content-disposition"]
                    .to_str()
                    .unwrap()
                    .starts_with("attachment")
            );
            assert_eq!(res.bytes().await.unwrap().as_ref(), b"ERROR 42 at line 7");
        }
    }
    // Another ticket's number with this file's id is not a way in.
    let (_, other) = file(&app, &p.gil, ticket("Globex has its own problem", "normal")).await;
    let other_id = other["ticket"]["id"].as_i64().unwrap();
    let res = app
        .api()
        .get(app.url(&format!("/api/v1/tickets/{other_id}/attachments/{file_id}")))
        .bearer_auth(&p.gil)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Gil cannot attach to Ann's ticket either.
    let form = reqwest::multipart::Form::new().part("files", part("mine.txt", b"hello"));
    let (status, _) = multipart(&app, &format!("/api/v1/tickets/{id}/attachments"), &p.gil, form).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Staff add one later; it shows as an event.
    let form = reqwest::multipart::Form::new().part("files", part("patch.zip", b"PK zip"));
    let (status, t) = multipart(&app, &format!("/api/v1/tickets/{id}/attachments"), &p.sam, form).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    assert_eq!(t["attachments"].as_array().unwrap().len(), 3);

    // From the page: "Upload Attachments and Submit" with no file is sent back filled
    // in; with a file the ticket is filed with it.
    let mut ann = app.browser();
    ann.login("ann@acme.test", PW).await;
    let (_, html) = ann.page("/portal/tickets/new").await;
    assert!(html.contains("Upload Attachments and Submit"));
    let token = crate::common::csrf_in(&html).unwrap();
    let send = |form: reqwest::multipart::Form| {
        ann.client
            .post(app.url(&format!("/portal/tickets/new?csrf_token={token}")))
            .multipart(form)
            .send()
    };
    let fields = || {
        reqwest::multipart::Form::new()
            .text("subject", "Upload from the page")
            .text("priority", "normal")
            .text("description", "Keep this description please.")
            .text("action", "upload")
    };
    let res = send(fields()).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Keep this description please.") && html.contains("Choose the files"));
    let res = send(fields().part("files", part("trace.txt", b"trace")))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let url = crate::common::location(&res);
    let (_, page) = ann.page(url.split('?').next().unwrap()).await;
    assert!(
        page.contains("trace.txt") && page.contains("attached trace.txt"),
        "{page}"
    );
    let href = page
        .split("href=\"")
        .find(|s| s.contains("/attachments/"))
        .unwrap();
    let href: String = href.chars().take_while(|c| *c != '"').collect();
    let res = ann.get(&href).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"trace");
    let mut gil = app.browser();
    gil.login("gil@globex.test", PW).await;
    assert_eq!(gil.get(&href).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn staff_take_a_ticket_in_one_click() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let p = people(&app).await;
    let (status, t) = file(&app, &p.ann, ticket("Exports stop at 40%", "normal")).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = t["ticket"]["id"].as_i64().unwrap();
    let mut sam = app.browser();
    sam.login("sam@vendor.test", PW).await;
    let (_, page) = sam.page(&format!("/portal/tickets/{id}")).await;
    assert!(page.contains("Take it"), "{page}");
    let me: Value = app.call(Method::GET, "/api/v1/me", Some(&p.sam), None).await.1;
    let res = sam
        .post(
            &format!("/portal/tickets/{id}/assign"),
            &[("assignee_id", &me["id"].to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = sam.page(&format!("/portal/tickets/{id}")).await;
    assert!(!page.contains("Take it"), "taken");
    assert!(page.contains("assigned the ticket to"), "{page}");
    // The customer never sees it.
    let mut ann = app.browser();
    ann.login("ann@acme.test", PW).await;
    let (_, page) = ann.page(&format!("/portal/tickets/{id}")).await;
    assert!(!page.contains("Take it"));
}
