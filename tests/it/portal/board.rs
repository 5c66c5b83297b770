//! The dashboard, announcements and SLA reports.

use super::*;

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
    assert_eq!(lines.len(), 7, "{csv}");
    assert!(lines.contains(&"customer,Acme,2,1,1,0,50.0,0,0"), "{csv}");
    assert!(lines.contains(&"plan,Standard,3,1,1,1,50.0,0,0"), "{csv}");
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
