//! A ticket's life: Production Down, statuses, notes, the SLA, closing, reopening
//! and archiving.

use super::*;

mod statuses;

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
