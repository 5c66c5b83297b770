//! The support portal through HTTP: who files and sees which tickets, the Production
//! Down rule, the status table, notes (internal ones hidden from customers), the SLA,
//! priority and assignment, archiving, and the pages.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use crate::common::TestApp;
use parley::accounts::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::PW;

struct People {
    ann: String,
    bob: String,
    gil: String,
    sam: String,
    ada: String,
    acme: i64,
}

/// Ann is an authorized contact of Acme, Bob a colleague who is not, Gil a contact of
/// Globex, Sam staff, Ada admin.
async fn people(app: &TestApp) -> People {
    app.contact("ann@acme.test", "Acme").await;
    app.user_with_role("bob@acme.test", Role::Member, Some("Acme"))
        .await;
    app.contact("gil@globex.test", "Globex").await;
    app.user_with_role("sam@vendor.test", Role::Staff, None).await;
    app.user_with_role("ada@vendor.test", Role::Admin, None).await;
    let ann = app.token("ann@acme.test", PW).await;
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&ann), None).await;
    People {
        acme: me["organization"]["id"].as_i64().unwrap(),
        ann,
        bob: app.token("bob@acme.test", PW).await,
        gil: app.token("gil@globex.test", PW).await,
        sam: app.token("sam@vendor.test", PW).await,
        ada: app.token("ada@vendor.test", PW).await,
    }
}

async fn file(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::POST, "/api/v1/tickets", Some(token), Some(body))
        .await
}

fn ticket(subject: &str, priority: &str) -> Value {
    json!({"subject": subject, "priority": priority, "description": "The nightly export stops at 40% since Monday."})
}

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
async fn production_down_statuses_notes_and_the_sla() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let p = people(&app).await;
    // "Production Down" from an authorized contact: Critical, due in two hours.
    let (_, t) = file(&app, &p.ann, ticket("URGENT production down since 9am", "normal")).await;
    let id = t["ticket"]["id"].as_i64().unwrap();
    assert_eq!(t["ticket"]["priority"], "critical");
    assert!(!t["ticket"]["flagged"].as_bool().unwrap());
    let left = t["sla"]["minutes_left"].as_i64().unwrap();
    assert!((118..=120).contains(&left), "{left}");
    // From anyone else (staff filing for a customer): High, flagged for staff.
    let (_, other) = file(&app, &p.sam, json!({"organization_id": p.acme, "subject": "Production down at Acme, says sales", "priority": "normal", "description": "Heard from the account manager."})).await;
    assert_eq!(other["ticket"]["priority"], "high");
    assert!(other["ticket"]["flagged"].as_bool().unwrap());

    // The status table: the customer may only close; staff move freely; the menu
    // offers exactly what is allowed.
    let ann_targets: Vec<&str> = t["next_statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ann_targets, ["closed"]);
    let (_, listed) = app
        .call(
            Method::GET,
            &format!("/api/v1/tickets/{id}/transitions"),
            Some(&p.ann),
            None,
        )
        .await;
    assert_eq!(listed[0]["id"], "closed");
    let (_, listed) = app
        .call(
            Method::GET,
            &format!("/api/v1/tickets/{id}/transitions"),
            Some(&p.sam),
            None,
        )
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 8);
    let path = format!("/api/v1/tickets/{id}/status");
    let problem = app
        .expect(
            StatusCode::FORBIDDEN,
            Method::PUT,
            &path,
            Some(&p.ann),
            Some(json!({"status": "in_progress"})),
        )
        .await;
    assert!(problem["detail"].as_str().unwrap().contains("close"));
    app.expect(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::PUT,
        &path,
        Some(&p.sam),
        Some(json!({"status": "archived"})),
    )
    .await;
    app.expect(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::PUT,
        &path,
        Some(&p.sam),
        Some(json!({"status": "nonsense"})),
    )
    .await;
    let t2 = app
        .expect(
            StatusCode::OK,
            Method::PUT,
            &path,
            Some(&p.sam),
            Some(json!({"status": "triaging"})),
        )
        .await;
    assert_eq!(t2["ticket"]["status"], "triaging");

    // Notes: an internal one is never shown to the customer; the first public staff
    // note answers the SLA.
    let notes = format!("/api/v1/tickets/{id}/notes");
    app.expect(
        StatusCode::CREATED,
        Method::POST,
        &notes,
        Some(&p.sam),
        Some(json!({"body": "Looks like the disk on node 3", "internal": true})),
    )
    .await;
    let (_, seen) = app
        .call(Method::GET, &format!("/api/v1/tickets/{id}"), Some(&p.ann), None)
        .await;
    assert!(!seen.to_string().contains("node 3"), "{seen}");
    assert!(seen["sla"]["responded_at"].is_null());
    app.expect(
        StatusCode::FORBIDDEN,
        Method::POST,
        &notes,
        Some(&p.ann),
        Some(json!({"body": "Secret aside", "public": false})),
    )
    .await;
    app.call(
        Method::POST,
        &notes,
        Some(&p.sam),
        Some(json!({"body": "We are on it: restarting the export service."})),
    )
    .await;
    let (_, seen) = app
        .call(Method::GET, &format!("/api/v1/tickets/{id}"), Some(&p.ann), None)
        .await;
    assert!(seen["sla"]["responded_at"].is_string());
    assert!(!seen["sla"]["breached"].as_bool().unwrap());
    let (_, staff_view) = app
        .call(Method::GET, &format!("/api/v1/tickets/{id}"), Some(&p.sam), None)
        .await;
    assert!(staff_view.to_string().contains("node 3"));

    // A customer's answer on a ticket waiting for them moves it back to In Progress.
    app.call(
        Method::PUT,
        &path,
        Some(&p.sam),
        Some(json!({"status": "customer_pending"})),
    )
    .await;
    app.call(
        Method::POST,
        &notes,
        Some(&p.ann),
        Some(json!({"body": "Here are the logs you asked for."})),
    )
    .await;
    let (_, seen) = app
        .call(Method::GET, &format!("/api/v1/tickets/{id}"), Some(&p.ann), None)
        .await;
    assert_eq!(seen["ticket"]["status"], "in_progress");

    // Priority: staff only, and the due time follows from the creation.
    let prio = format!("/api/v1/tickets/{id}/priority");
    app.expect(
        StatusCode::FORBIDDEN,
        Method::PUT,
        &prio,
        Some(&p.ann),
        Some(json!({"priority": "normal"})),
    )
    .await;
    let t3 = app
        .expect(
            StatusCode::OK,
            Method::PUT,
            &prio,
            Some(&p.sam),
            Some(json!({"priority": "normal"})),
        )
        .await;
    assert_ne!(t3["sla"]["due"], t["sla"]["due"]);
    // Assignment: to staff only.
    let assign = format!("/api/v1/tickets/{id}/assignee");
    let (_, sam_me) = app.call(Method::GET, "/api/v1/me", Some(&p.sam), None).await;
    let (_, ann_me) = app.call(Method::GET, "/api/v1/me", Some(&p.ann), None).await;
    app.expect(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::PUT,
        &assign,
        Some(&p.sam),
        Some(json!({"assignee_id": ann_me["id"]})),
    )
    .await;
    let t4 = app
        .expect(
            StatusCode::OK,
            Method::PUT,
            &assign,
            Some(&p.sam),
            Some(json!({"assignee_id": sam_me["id"]})),
        )
        .await;
    assert_eq!(t4["assignee"], "Operator Made");
    let (_, mine) = app
        .call(Method::GET, "/api/v1/tickets?queue=mine", Some(&p.sam), None)
        .await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    app.expect(
        StatusCode::FORBIDDEN,
        Method::GET,
        "/api/v1/tickets?queue=mine",
        Some(&p.ann),
        None,
    )
    .await;
    // Every step is in the log.
    let kinds: Vec<&str> = t4["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in ["created", "status", "note", "priority", "assigned"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
}

#[tokio::test]
async fn closing_reopening_and_archiving() {
    let app = TestApp::spawn_with(&["--rate-limits=off", "--archive-after-days=0"]).await;
    let p = people(&app).await;
    let (_, t) = file(&app, &p.ann, ticket("Report totals are wrong", "normal")).await;
    let id = t["ticket"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/tickets/{id}/status");
    app.call(
        Method::PUT,
        &path,
        Some(&p.sam),
        Some(json!({"status": "solution_provided"})),
    )
    .await;
    // Solved: the customer may reopen or close.
    let (_, seen) = app
        .call(Method::GET, &format!("/api/v1/tickets/{id}"), Some(&p.ann), None)
        .await;
    let targets: Vec<&str> = seen["next_statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["open", "closed"]);
    app.expect(
        StatusCode::OK,
        Method::PUT,
        &path,
        Some(&p.ann),
        Some(json!({"status": "closed"})),
    )
    .await;
    let (_, current) = app.call(Method::GET, "/api/v1/tickets", Some(&p.ann), None).await;
    assert!(current.as_array().unwrap().is_empty());
    // Closed for longer than the setting (0 days here): the system archives it.
    let archived = parley::portal::workflow::archive_closed(&app.state.db, chrono::Duration::zero())
        .await
        .unwrap();
    assert_eq!(archived, 1);
    let (_, seen) = app
        .call(Method::GET, &format!("/api/v1/tickets/{id}"), Some(&p.ann), None)
        .await;
    assert_eq!(seen["ticket"]["status"], "archived");
    assert!(seen["next_statuses"].as_array().unwrap().is_empty());
    // Archived is final, for everyone.
    for token in [&p.ann, &p.sam] {
        let problem = app
            .expect(
                StatusCode::CONFLICT,
                Method::PUT,
                &path,
                Some(token),
                Some(json!({"status": "open"})),
            )
            .await;
        assert!(problem["detail"].as_str().unwrap().contains("follow-up"));
        app.expect(
            StatusCode::CONFLICT,
            Method::POST,
            &format!("/api/v1/tickets/{id}/notes"),
            Some(token),
            Some(json!({"body": "One more thing"})),
        )
        .await;
    }
    let (_, archived_list) = app
        .call(Method::GET, "/api/v1/tickets?status=archived", Some(&p.ann), None)
        .await;
    assert_eq!(archived_list[0]["id"], id);
    // A follow-up links to it.
    let mut follow = ticket("Totals still wrong after the fix", "normal");
    follow["follows_ticket_id"] = json!(id);
    let (status, f) = file(&app, &p.ann, follow).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(f["ticket"]["follows_ticket_id"], id);
    let mut foreign = ticket("Following someone else's ticket", "normal");
    foreign["follows_ticket_id"] = json!(id);
    let (status, _) = file(&app, &p.gil, foreign).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

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
    assert!(page.contains("Dashboard is blank") && page.contains("Update status"));
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
    // The status menu offers moves but chooses none: sending it untouched changes nothing.
    let (_, page) = ann.page(&format!("/portal/tickets/{id}")).await;
    assert!(page.contains(r#"<option value="" selected>"#), "{page}");
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

fn part(name: &str, bytes: &[u8]) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string())
}

/// Sends a multipart call with a bearer token.
async fn multipart(
    app: &TestApp,
    path: &str,
    token: &str,
    form: reqwest::multipart::Form,
) -> (StatusCode, Value) {
    let res = app
        .api()
        .post(app.url(path))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
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
async fn the_dashboard_and_its_announcements() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let p = people(&app).await;
    app.call(
        Method::POST,
        &format!("/api/v1/admin/organizations/{}/environments", p.acme),
        Some(&p.ada),
        Some(json!({"name": "Staging"})),
    )
    .await;
    app.call(
        Method::POST,
        &format!("/api/v1/admin/organizations/{}/applications", p.acme),
        Some(&p.ada),
        Some(json!({"name": "Billing"})),
    )
    .await;
    let (_, t) = file(&app, &p.ann, ticket("Invoices are late", "high")).await;
    let id = t["ticket"]["id"].as_i64().unwrap();

    // Staff write announcements; members may not; each field is checked.
    let announce = async |token: &str, body: Value| {
        app.call(Method::POST, "/api/v1/announcements", Some(token), Some(body))
            .await
    };
    let (status, _) = announce(&p.ann, json!({"title": "Hello", "body": "From a customer"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = announce(&p.sam, json!({"title": "", "body": "", "ends_at": "next week"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["title", "body", "ends_at"] {
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    let (status, plain) = announce(
        &p.sam,
        json!({"title": "Maintenance on Sunday", "body": "The portal is **read-only** from 02:00."}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{plain}");
    assert!(
        plain["body_html"]
            .as_str()
            .unwrap()
            .contains("<strong>read-only</strong>")
    );
    let (_, pinned) = announce(&p.sam, json!({"title": "Version 5 is out", "body": "Upgrade notes inside.", "pinned": true, "ends_at": "2999-01-01"})).await;
    let (_, ended) = announce(
        &p.sam,
        json!({"title": "Old news", "body": "Already over.", "ends_at": "2000-01-01T10:00"}),
    )
    .await;
    assert_eq!(ended["ended"], true);

    // The contact's dashboard: current announcements, pinned first; the organization;
    // open tickets by status; what is due.
    let d = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/v1/portal/dashboard",
            Some(&p.ann),
            None,
        )
        .await;
    let titles: Vec<&str> = d["announcements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Version 5 is out", "Maintenance on Sunday"]);
    assert_eq!(d["organizations"][0]["name"], "Acme");
    assert_eq!(d["organizations"][0]["environments"], json!(["Staging"]));
    assert_eq!(d["organizations"][0]["applications"], json!(["Billing"]));
    let people: Vec<&str> = d["organizations"][0]["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["email"].as_str().unwrap())
        .collect();
    assert!(people.contains(&"ann@acme.test") && people.contains(&"bob@acme.test"));
    assert_eq!(
        d["open_by_status"],
        json!([{"status": "open", "label": "Open", "count": 1}])
    );
    assert_eq!(d["due_soon"][0]["id"], id);
    // Another customer's contact sees none of Acme's tickets.
    let (_, d) = app
        .call(Method::GET, "/api/v1/portal/dashboard", Some(&p.gil), None)
        .await;
    assert_eq!(d["open_by_status"], json!([]));
    assert_eq!(d["due_soon"], json!([]));
    // A colleague who is not a contact reads the news and is told why tickets are not shown.
    let (_, d) = app
        .call(Method::GET, "/api/v1/portal/dashboard", Some(&p.bob), None)
        .await;
    assert_eq!(d["portal"], false);
    assert!(
        d["portal_refusal"]
            .as_str()
            .unwrap()
            .contains("authorized contacts")
    );
    assert_eq!(d["announcements"].as_array().unwrap().len(), 2);

    // Staff see ended ones in their list, change and remove them.
    let (_, all) = app
        .call(Method::GET, "/api/v1/announcements?all=true", Some(&p.sam), None)
        .await;
    assert_eq!(all.as_array().unwrap().len(), 3);
    let (_, current) = app
        .call(Method::GET, "/api/v1/announcements?all=true", Some(&p.ann), None)
        .await;
    assert_eq!(current.as_array().unwrap().len(), 2);
    let path = format!("/api/v1/announcements/{}", plain["id"]);
    let changed = app
        .expect(
            StatusCode::OK,
            Method::PUT,
            &path,
            Some(&p.sam),
            Some(json!({"title": "Maintenance moved to Monday", "body": "Same hours."})),
        )
        .await;
    assert_eq!(changed["title"], "Maintenance moved to Monday");
    app.expect(StatusCode::FORBIDDEN, Method::DELETE, &path, Some(&p.ann), None)
        .await;
    app.expect(StatusCode::NO_CONTENT, Method::DELETE, &path, Some(&p.sam), None)
        .await;
    app.expect(StatusCode::NOT_FOUND, Method::DELETE, &path, Some(&p.sam), None)
        .await;
    let _ = pinned;

    // The pages.
    let mut ann = app.browser();
    ann.login("ann@acme.test", PW).await;
    let (status, html) = ann.page("/portal").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Version 5 is out") && html.contains("Staging") && html.contains("Invoices are late")
    );
    assert!(!html.contains("Old news"));
    let mut sam = app.browser();
    sam.login("sam@vendor.test", PW).await;
    let (status, html) = sam.page("/portal/announcements").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Old news"));
    let res = sam
        .post(
            "/portal/announcements",
            &[("title", "No"), ("body", "Too short a title, keep me")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Too short a title, keep me"));
    let res = sam
        .post(
            "/portal/announcements",
            &[
                ("title", "Holiday hours"),
                ("body", "Closed on the 25th."),
                ("pinned", "on"),
                ("ends_at", "2999-12-26T00:00"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = ann.page("/portal").await;
    assert!(html.contains("Holiday hours"));
    let (status, _) = ann.page("/portal/announcements").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sla_reports_for_staff() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let p = people(&app).await;
    let (_, a) = file(&app, &p.ann, ticket("Answered in time", "normal")).await;
    let (_, b) = file(&app, &p.ann, ticket("Answered too late", "high")).await;
    file(&app, &p.gil, ticket("Still waiting, not due", "normal")).await;
    let (a, b) = (
        a["ticket"]["id"].as_i64().unwrap(),
        b["ticket"]["id"].as_i64().unwrap(),
    );
    // The second one was due long ago: its answer comes after the due time.
    {
        use diesel::prelude::*;
        use parley::db::schema::tickets;
        let db = app.state.db.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = db.get_write().unwrap();
            let past = chrono::NaiveDate::from_ymd_opt(2000, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap();
            diesel::update(tickets::table.find(b))
                .set(tickets::sla_due_at.eq(past))
                .execute(&mut *c)
                .unwrap();
        })
        .await
        .unwrap();
    }
    for id in [a, b] {
        app.expect(
            StatusCode::CREATED,
            Method::POST,
            &format!("/api/v1/tickets/{id}/notes"),
            Some(&p.sam),
            Some(json!({"body": "Looking at it now."})),
        )
        .await;
    }
    app.expect(
        StatusCode::FORBIDDEN,
        Method::GET,
        "/api/v1/reports/sla",
        Some(&p.ann),
        None,
    )
    .await;
    let r = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/v1/reports/sla",
            Some(&p.sam),
            None,
        )
        .await;
    let counts = |a: &Value| {
        (
            a["name"].as_str().unwrap().to_string(),
            a["tickets"].as_i64().unwrap(),
            a["met"].as_i64().unwrap(),
            a["breached"].as_i64().unwrap(),
            a["pending"].as_i64().unwrap(),
        )
    };
    assert_eq!(counts(&r["overall"]), ("all".into(), 3, 1, 1, 1));
    assert_eq!(r["overall"]["attainment_percent"], 50.0);
    assert_eq!(r["overall"]["median_first_response_minutes"], 0);
    let by_priority: Vec<_> = r["by_priority"].as_array().unwrap().iter().map(counts).collect();
    assert_eq!(
        by_priority,
        [("high".into(), 1, 0, 1, 0), ("normal".into(), 2, 1, 0, 1)]
    );
    let by_customer: Vec<_> = r["by_customer"].as_array().unwrap().iter().map(counts).collect();
    assert_eq!(
        by_customer,
        [("Acme".into(), 2, 1, 1, 0), ("Globex".into(), 1, 0, 0, 1)]
    );
    assert_eq!(r["by_customer"][1]["attainment_percent"], Value::Null);
    // CSV, and a period in the future holds nothing.
    let res = app
        .api()
        .get(app.url("/api/v1/reports/sla.csv"))
        .bearer_auth(&p.sam)
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 6, "{csv}");
    assert!(lines.contains(&"customer,Acme,2,1,1,0,50.0,0"), "{csv}");
    let (_, later) = app
        .call(
            Method::GET,
            "/api/v1/reports/sla?from=2999-01-01&to=2999-01-31",
            Some(&p.sam),
            None,
        )
        .await;
    assert_eq!(later["overall"]["tickets"], 0);
    let problem = app
        .expect(
            StatusCode::UNPROCESSABLE_ENTITY,
            Method::GET,
            "/api/v1/reports/sla?from=2026-13-01",
            Some(&p.sam),
            None,
        )
        .await;
    assert!(problem["errors"]["from"].is_array());
    // The page and its download.
    let mut sam = app.browser();
    sam.login("sam@vendor.test", PW).await;
    let (status, html) = sam.page("/portal/reports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Globex") && html.contains("Download CSV"));
    let (status, html) = sam.page("/portal/reports?from=someday").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("is not a day"));
    let res = sam.get("/portal/reports.csv").await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// Puts a ticket in a status directly, as if it had got there.
async fn force_status(app: &TestApp, id: i64, status: &str, closed_days_ago: Option<i64>) {
    use diesel::prelude::*;
    use parley::db::schema::tickets;
    let db = app.state.db.clone();
    let status = status.to_string();
    tokio::task::spawn_blocking(move || {
        let closed = closed_days_ago.map(|d| chrono::Utc::now().naive_utc() - chrono::Duration::days(d));
        diesel::update(tickets::table.find(id))
            .set((tickets::status.eq(status), tickets::closed_at.eq(closed)))
            .execute(&mut *db.get_write().unwrap())
            .unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn every_status_move_by_every_role() {
    // The table, written out here rather than read from the code under test.
    const STATUSES: [&str; 10] = [
        "open",
        "triaging",
        "in_progress",
        "customer_pending",
        "awaiting_authorization",
        "meeting_scheduled",
        "on_hold",
        "solution_provided",
        "closed",
        "archived",
    ];
    // A customer closes their ticket, and reopens one that is solved or closed.
    let customer_may = |from: &str, to: &str| match from {
        "archived" => false,
        "solution_provided" => matches!(to, "open" | "closed"),
        "closed" => to == "open",
        _ => to == "closed",
    };
    // Staff move a ticket to any other status but archived (only Parley archives).
    let staff_may = |from: &str, to: &str| from != "archived" && to != "archived" && from != to;
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let p = people(&app).await;
    let (_, t) = file(&app, &p.ann, ticket("Moves every which way", "normal")).await;
    let id = t["ticket"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/tickets/{id}/status");
    for (token, customer) in [(&p.ann, true), (&p.sam, false)] {
        for from in STATUSES {
            for to in STATUSES {
                force_status(&app, id, from, None).await;
                let (status, body) = app
                    .call(Method::PUT, &path, Some(token), Some(json!({"status": to})))
                    .await;
                let may = if customer {
                    customer_may(from, to)
                } else {
                    staff_may(from, to)
                };
                let expected = if may {
                    StatusCode::OK
                } else if from == "archived" {
                    StatusCode::CONFLICT
                } else if staff_may(from, to) {
                    // Refused by role: 403; a move nobody may make: 422.
                    StatusCode::FORBIDDEN
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                };
                assert_eq!(status, expected, "customer {customer}: {from} -> {to}: {body}");
                if status == StatusCode::OK {
                    assert_eq!(body["ticket"]["status"], to);
                } else {
                    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
                }
            }
        }
    }
    // The menu offers exactly the allowed moves.
    for from in STATUSES {
        force_status(&app, id, from, None).await;
        let (_, offered) = app
            .call(
                Method::GET,
                &format!("/api/v1/tickets/{id}/transitions"),
                Some(&p.ann),
                None,
            )
            .await;
        let offered: Vec<&str> = offered
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        let expected: Vec<&str> = STATUSES.into_iter().filter(|to| customer_may(from, to)).collect();
        assert_eq!(offered, expected, "{from}");
    }
}

#[tokio::test]
async fn archiving_after_fourteen_days_on_a_set_clock() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let p = people(&app).await;
    let mut ids = Vec::new();
    for (subject, days) in [("Closed fifteen days ago", 15), ("Closed thirteen days ago", 13)] {
        let (_, t) = file(&app, &p.ann, ticket(subject, "normal")).await;
        let id = t["ticket"]["id"].as_i64().unwrap();
        force_status(&app, id, "closed", Some(days)).await;
        ids.push(id);
    }
    let archived = parley::portal::workflow::archive_closed(&app.state.db, chrono::Duration::days(14))
        .await
        .unwrap();
    assert_eq!(archived, 1);
    let status_of = async |id: i64| {
        let (_, t) = app
            .call(Method::GET, &format!("/api/v1/tickets/{id}"), Some(&p.sam), None)
            .await;
        t["ticket"]["status"].as_str().unwrap().to_string()
    };
    assert_eq!(status_of(ids[0]).await, "archived");
    assert_eq!(status_of(ids[1]).await, "closed");
    // Running again archives nothing more; the other one goes once its day comes.
    assert_eq!(
        parley::portal::workflow::archive_closed(&app.state.db, chrono::Duration::days(14))
            .await
            .unwrap(),
        0
    );
    force_status(&app, ids[1], "closed", Some(14)).await;
    assert_eq!(
        parley::portal::workflow::archive_closed(&app.state.db, chrono::Duration::days(14))
            .await
            .unwrap(),
        1
    );
    assert_eq!(status_of(ids[1]).await, "archived");
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
async fn many_writers_on_one_ticket_get_answers_not_errors() {
    let app = TestApp::spawn_with(&["--rate-limits=off", "--send-mail=off"]).await;
    let p = people(&app).await;
    let (_, t) = file(&app, &p.ann, ticket("Exports stop at 40%", "normal")).await;
    let id = t["ticket"]["id"].as_i64().unwrap();
    let app = &app;
    // Sixteen notes at once, from the customer and staff: all kept, none doubled.
    let statuses = futures_util::future::join_all((0..16).map(|i| {
        let token = if i % 2 == 0 { p.ann.clone() } else { p.sam.clone() };
        async move {
            let path = format!("/api/v1/tickets/{id}/notes");
            let body = json!({"body": format!("Note number {i} about the export.")});
            app.call(Method::POST, &path, Some(&token), Some(body)).await.0
        }
    }))
    .await;
    assert!(statuses.iter().all(|s| s.is_success()), "{statuses:?}");
    let (_, view) = app
        .call(Method::GET, &format!("/api/v1/tickets/{id}"), Some(&p.sam), None)
        .await;
    let notes = view.to_string().matches("about the export.").count();
    assert_eq!(notes, 16, "{view}");
    // Staff move it at the same moment, to the same and to other statuses: each move is
    // made, or refused with a reason; none is a server error.
    let targets = [
        "in_progress",
        "customer_pending",
        "in_progress",
        "solution_provided",
    ];
    let statuses = futures_util::future::join_all((0..16).map(|i| {
        let token = p.sam.clone();
        async move {
            let path = format!("/api/v1/tickets/{id}/status");
            let body = json!({"status": targets[i % targets.len()]});
            app.call(Method::PUT, &path, Some(&token), Some(body)).await.0
        }
    }))
    .await;
    assert!(
        statuses
            .iter()
            .all(|s| s.is_success() || *s == StatusCode::CONFLICT || *s == StatusCode::UNPROCESSABLE_ENTITY),
        "{statuses:?}"
    );
    assert!(statuses.iter().any(|s| s.is_success()), "{statuses:?}");
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

#[tokio::test]
async fn one_due_time_everywhere_when_the_business_calendar_changes() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let p = people(&app).await;
    let (status, t) = file(&app, &p.ann, ticket("Reports time out at night", "normal")).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let id = t["ticket"]["id"].as_i64().unwrap();
    // The due time the queue shows and the one the ticket page shows, to the minute.
    let due_times = || async {
        let (_, list) = app.call(Method::GET, "/api/v1/tickets", Some(&p.sam), None).await;
        let row = list
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone();
        let (_, page) = app
            .call(Method::GET, &format!("/api/v1/tickets/{id}"), Some(&p.sam), None)
            .await;
        let minute = |v: &Value| v.as_str().unwrap()[..16].to_string();
        (minute(&row["sla_due_at"]), minute(&page["sla"]["due"]))
    };
    let (listed, shown) = due_times().await;
    assert_eq!(listed, shown);

    // Two working hours a week, far away: the due time moves, in the list too.
    let calendar = json!({
        "zone": "Pacific/Auckland",
        "opens": "10:00",
        "closes": "12:00",
        "days": "tue",
        "holidays": "",
    });
    app.expect(
        StatusCode::OK,
        Method::PUT,
        "/api/v1/admin/business-calendar",
        Some(&p.ada),
        Some(calendar),
    )
    .await;
    let (listed_after, shown_after) = due_times().await;
    assert_eq!(listed_after, shown_after);
    assert_ne!(listed_after, listed, "the due time follows the calendar");
}
