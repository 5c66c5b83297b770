//! Deflection measured through HTTP: form visits that search, open, say "this answered
//! it" and file, told apart in the report, with the content gaps and the retention.

use super::*;
use std::time::{Duration, Instant};

fn visit_in(html: &str) -> String {
    let at = html.find("data-visit=\"").expect("a visit token") + "data-visit=\"".len();
    html[at..at + 32].to_string()
}

/// Asks for suggestions as the form's script does, until `done` holds (the indexer
/// works in the background); the answer.
async fn suggest(app: &TestApp, token: &str, query: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, found) = app
            .call(
                Method::GET,
                &format!("/api/v1/search/suggest?{query}"),
                Some(token),
                None,
            )
            .await;
        if status == StatusCode::OK && done(&found) {
            return found;
        }
        assert!(Instant::now() < deadline, "{query}: {status} {found}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Moves every visit back by `by`, as if it had happened that much earlier.
async fn backdate(app: &TestApp, by: chrono::Duration) {
    use diesel::prelude::*;
    use parley::db::schema::deflection_visits;
    app.state
        .db
        .write(move |c| {
            let visits: Vec<(i64, chrono::NaiveDateTime, chrono::NaiveDateTime)> = deflection_visits::table
                .select((
                    deflection_visits::id,
                    deflection_visits::started_at,
                    deflection_visits::last_at,
                ))
                .load(c)?;
            for (id, started, last) in visits {
                diesel::update(deflection_visits::table.find(id))
                    .set((
                        deflection_visits::started_at.eq(started - by),
                        deflection_visits::last_at.eq(last - by),
                    ))
                    .execute(c)?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn visits_are_deflected_abandoned_or_filed_and_gaps_are_listed() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let p = people(&app).await;
    let thread = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/api/v1/topics",
            Some(&p.sam),
            Some(json!({
                "category": "questions",
                "title": "Nightly export stops at 40 percent",
                "body": "The nightly export job halts at 40 percent when the archive volume is full; free space on the archive volume and rerun it."
            })),
        )
        .await;
    let topic = thread["topic"]["id"].as_i64().unwrap();
    let slug = thread["topic"]["slug"].as_str().unwrap().to_string();

    // Gil, on the ticket form: searches, opens the thread, says it answered him.
    let mut gil = app.browser_as("gil@globex.test").await;
    let (_, form) = gil.page("/portal/tickets/new").await;
    let a = visit_in(&form);
    let found = suggest(
        &app,
        &p.gil,
        &format!("q=nightly+export+stops+at+40+percent&visit={a}&form=ticket&priority=high"),
        |f| f.as_array().is_some_and(|l| !l.is_empty()),
    )
    .await;
    assert_eq!(found[0]["topic_id"], topic);
    let (status, page) = gil.page(&format!("/t/{topic}/{slug}?visit={a}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("This answered my question"), "{page}");
    // Without the visit, or with someone else's, the thread does not ask.
    let (_, plain) = gil.page(&format!("/t/{topic}/{slug}")).await;
    assert!(!plain.contains("This answered my question"));
    let mut sam = app.browser_as("sam@vendor.test").await;
    let (_, foreign) = sam.page(&format!("/t/{topic}/{slug}?visit={a}")).await;
    assert!(!foreign.contains("This answered my question"));
    let res = gil
        .post(
            "/deflection/answered",
            &[("visit", a.as_str()), ("topic_id", &topic.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Ann, on the ticket form: her words find nothing, and she files.
    let mut ann = app.browser_as("ann@acme.test").await;
    let (_, form) = ann.page("/portal/tickets/new").await;
    let b = visit_in(&form);
    let nothing = suggest(
        &app,
        &p.ann,
        &format!("q=zqxw+vbnm+plork&visit={b}&form=ticket&priority=normal"),
        |f| f.is_array(),
    )
    .await;
    assert_eq!(nothing, json!([]));
    let (_, filed) = file(&app, &p.ann, ticket("Plork daemon zqxw crashes", "high")).await;
    let ticket_id = filed["ticket"]["id"].as_i64().unwrap();

    // Bob, on the ask form: sees the thread, opens nothing, asks nothing.
    let mut bob = app.browser_as("bob@acme.test").await;
    let (_, form) = bob.page("/c/questions/new").await;
    let c = visit_in(&form);
    suggest(
        &app,
        &p.bob,
        &format!("q=export+stops+at+40&visit={c}&form=ask&category=questions"),
        |f| f.as_array().is_some_and(|l| !l.is_empty()),
    )
    .await;
    // A token used by another account records nothing for it.
    suggest(&app, &p.sam, &format!("q=export+stops&visit={c}&form=ask"), |f| {
        f.is_array()
    })
    .await;

    // Within the half hour, what was not filed is not decided yet.
    let report = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/v1/reports/deflection",
            Some(&p.sam),
            None,
        )
        .await;
    let o = &report["overall"];
    assert_eq!(
        (
            o["pending"].as_i64(),
            o["filed"].as_i64(),
            o["deflected"].as_i64()
        ),
        (Some(2), Some(1), Some(0)),
        "{report}"
    );
    // Half an hour later (the clock is moved back, not waited for): decided.
    backdate(&app, chrono::Duration::minutes(31)).await;
    let report = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/v1/reports/deflection",
            Some(&p.sam),
            None,
        )
        .await;
    let o = &report["overall"];
    assert_eq!(o["pending"], 0);
    assert_eq!(
        (
            o["visits"].as_i64(),
            o["deflected"].as_i64(),
            o["answered"].as_i64(),
            o["abandoned"].as_i64(),
            o["filed"].as_i64()
        ),
        (Some(3), Some(1), Some(1), Some(1), Some(1)),
        "{report}"
    );
    let names: Vec<&str> = report["by_category"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Support tickets") && names.len() == 2,
        "{names:?}"
    );
    let high = report["by_priority"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "high")
        .unwrap();
    assert_eq!(high["deflected"], 1, "{report}");
    // Ann's filed ticket took the priority it was filed with.
    let filed_high = report["by_priority"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["filed"].as_i64().unwrap())
        .sum::<i64>();
    assert_eq!(filed_high, 1);
    let gaps = report["content_gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 1, "{report}");
    assert_eq!(gaps[0]["query"], "zqxw vbnm plork");
    assert_eq!(gaps[0]["link"], format!("/portal/tickets/{ticket_id}"));
    // The page and the CSV say the same.
    let (status, html) = sam.page("/portal/deflection").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("zqxw vbnm plork") && html.contains(&format!("/portal/tickets/{ticket_id}")),
        "{html}"
    );
    let (_, csv) = sam.page("/portal/deflection.csv").await;
    assert!(csv.starts_with("group,name,visits,deflected"), "{csv}");
    assert!(csv.contains("all,all,3,1,1,1,1,0,33.3,"), "{csv}");
    // Staff only.
    app.expect(
        StatusCode::FORBIDDEN,
        Method::GET,
        "/api/v1/reports/deflection",
        Some(&p.ann),
        None,
    )
    .await;

    // Visits older than the retention are forgotten.
    backdate(&app, chrono::Duration::days(200)).await;
    assert_eq!(
        parley::portal::deflection::prune(&app.state.db, 180)
            .await
            .unwrap(),
        3
    );
}
