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

/// Two nodes archiving at once (PostgreSQL): each ticket is archived once, with one
/// event, by whichever node took the round.
#[tokio::test]
async fn archiving_on_two_nodes_at_once_archives_each_ticket_once() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    if app.state.db.url().is_sqlite() {
        return crate::common::skipped(
            "archiving_on_two_nodes_at_once_archives_each_ticket_once",
            "one process serves a SQLite site",
        );
    }
    let other = app.another_node().await;
    let p = people(&app).await;
    let mut ids = Vec::new();
    for n in 0..6 {
        let (_, t) = file(&app, &p.ann, ticket(&format!("Closed long ago {n}"), "normal")).await;
        let id = t["ticket"]["id"].as_i64().unwrap();
        force_status(&app, id, "closed", Some(20)).await;
        ids.push(id);
    }
    let after = chrono::Duration::days(14);
    let mut rounds = Vec::new();
    for round in 0..8 {
        let db = if round % 2 == 0 {
            app.state.db.clone()
        } else {
            other.state.db.clone()
        };
        rounds.push(tokio::spawn(async move {
            parley::portal::workflow::archive_closed(&db, after)
                .await
                .unwrap()
        }));
    }
    let mut archived = 0;
    for r in rounds {
        archived += r.await.unwrap();
    }
    assert_eq!(archived, ids.len(), "each ticket archived by exactly one round");
    let db = app.state.db.clone();
    let events: Vec<i64> = tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use parley::db::schema::ticket_events;
        ids.iter()
            .map(|id| {
                ticket_events::table
                    .filter(ticket_events::ticket_id.eq(id))
                    .filter(ticket_events::to_value.eq("archived"))
                    .count()
                    .get_result(&mut *db.get_read().unwrap())
                    .unwrap()
            })
            .collect()
    })
    .await
    .unwrap();
    assert_eq!(events, vec![1; 6], "one archiving event per ticket");
    // A job one node holds is refused to another until its transaction ends.
    let db = app.state.db.clone();
    let odb = other.state.db.clone();
    tokio::task::spawn_blocking(move || {
        use parley::db::locks::{Job, take_job};
        let mut holder = db.get_write().unwrap();
        parley::db::write_transaction(&mut holder, |c| {
            assert!(take_job(c, Job::Digests)?);
            let mut second = odb.get_write().unwrap();
            parley::db::write_transaction(&mut second, |c2| {
                assert!(!take_job(c2, Job::Digests)?, "held by the first node");
                assert!(take_job(c2, Job::SlaAlerts)?, "another job is free");
                Ok(())
            })
        })
        .unwrap();
        let mut second = odb.get_write().unwrap();
        parley::db::write_transaction(&mut second, |c2| {
            assert!(take_job(c2, Job::Digests)?, "free once the first committed");
            Ok(())
        })
        .unwrap();
    })
    .await
    .unwrap();
}
