//! The status table as every role meets it, and archiving on a set clock.

use super::*;

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
