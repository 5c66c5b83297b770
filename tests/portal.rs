//! The support portal through HTTP: who files and sees which tickets, the Production
//! Down rule, the status table, notes (internal ones hidden from customers), the SLA,
//! priority and assignment, archiving, and the pages.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

mod common;

use common::TestApp;
use parley::accounts::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const PW: &str = "operator password 1";

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
    let (status, _) = app
        .call(Method::GET, &format!("/api/v1/tickets/{id}"), Some(&p.bob), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Another customer's contact: not found, and not in their list.
    let (status, _) = app
        .call(Method::GET, &format!("/api/v1/tickets/{id}"), Some(&p.gil), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = app.call(Method::GET, "/api/v1/tickets", Some(&p.gil), None).await;
    assert_eq!(list.as_array().unwrap().len(), 0);
    // A contact files only for their own organization.
    let (status, problem) = file(&app, &p.gil, json!({"organization_id": p.acme, "subject": "Globex for Acme", "priority": "normal", "description": "Trying to file for someone else."})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem["errors"]["organization_id"].is_array());
    // Staff see every ticket, and must say which customer they file for.
    let (_, list) = app.call(Method::GET, "/api/v1/tickets", Some(&p.sam), None).await;
    assert_eq!(list[0]["id"], id);
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
    let (status, env) = app
        .call(
            Method::POST,
            &format!("/api/v1/admin/organizations/{}/environments", p.acme),
            Some(&p.ada),
            Some(json!({"name": "Production"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/admin/organizations/{}/environments", p.acme),
            Some(&p.ada),
            Some(json!({"name": "Production"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/admin/keywords",
            Some(&p.sam),
            Some(json!({"name": "Export"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
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
    let (status, problem) = app
        .call(
            Method::PUT,
            &path,
            Some(&p.ann),
            Some(json!({"status": "in_progress"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(problem["detail"].as_str().unwrap().contains("close"));
    let (status, _) = app
        .call(
            Method::PUT,
            &path,
            Some(&p.sam),
            Some(json!({"status": "archived"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app
        .call(
            Method::PUT,
            &path,
            Some(&p.sam),
            Some(json!({"status": "nonsense"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, t2) = app
        .call(
            Method::PUT,
            &path,
            Some(&p.sam),
            Some(json!({"status": "triaging"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(t2["ticket"]["status"], "triaging");

    // Notes: an internal one is never shown to the customer; the first public staff
    // note answers the SLA.
    let notes = format!("/api/v1/tickets/{id}/notes");
    let (status, _) = app
        .call(
            Method::POST,
            &notes,
            Some(&p.sam),
            Some(json!({"body": "Looks like the disk on node 3", "internal": true})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, seen) = app
        .call(Method::GET, &format!("/api/v1/tickets/{id}"), Some(&p.ann), None)
        .await;
    assert!(!seen.to_string().contains("node 3"), "{seen}");
    assert!(seen["sla"]["responded_at"].is_null());
    let (status, _) = app
        .call(
            Method::POST,
            &notes,
            Some(&p.ann),
            Some(json!({"body": "Secret aside", "public": false})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
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
    let (status, _) = app
        .call(
            Method::PUT,
            &prio,
            Some(&p.ann),
            Some(json!({"priority": "normal"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, t3) = app
        .call(
            Method::PUT,
            &prio,
            Some(&p.sam),
            Some(json!({"priority": "normal"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(t3["sla"]["due"], t["sla"]["due"]);
    // Assignment: to staff only.
    let assign = format!("/api/v1/tickets/{id}/assignee");
    let (_, sam_me) = app.call(Method::GET, "/api/v1/me", Some(&p.sam), None).await;
    let (_, ann_me) = app.call(Method::GET, "/api/v1/me", Some(&p.ann), None).await;
    let (status, _) = app
        .call(
            Method::PUT,
            &assign,
            Some(&p.sam),
            Some(json!({"assignee_id": ann_me["id"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, t4) = app
        .call(
            Method::PUT,
            &assign,
            Some(&p.sam),
            Some(json!({"assignee_id": sam_me["id"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(t4["assignee"], "Operator Made");
    let (_, mine) = app
        .call(Method::GET, "/api/v1/tickets?queue=mine", Some(&p.sam), None)
        .await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let (status, _) = app
        .call(Method::GET, "/api/v1/tickets?queue=mine", Some(&p.ann), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
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
    let (status, _) = app
        .call(
            Method::PUT,
            &path,
            Some(&p.ann),
            Some(json!({"status": "closed"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
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
        let (status, problem) = app
            .call(Method::PUT, &path, Some(token), Some(json!({"status": "open"})))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains("follow-up"));
        let (status, _) = app
            .call(
                Method::POST,
                &format!("/api/v1/tickets/{id}/notes"),
                Some(token),
                Some(json!({"body": "One more thing"})),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
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
    let url = common::location(&res);
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
    let res = ann
        .post(&format!("/portal/tickets/{id}/status"), &[("status", "closed")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = ann.page(&format!("/portal/tickets/{id}")).await;
    assert!(page.contains("Firefox") && page.contains("closed"));
    let (_, list) = ann.page("/portal/tickets?status=closed").await;
    assert!(list.contains("Dashboard is blank"));
}
