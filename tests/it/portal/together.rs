//! Many people writing one ticket at once.

use super::*;

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
