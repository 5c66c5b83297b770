//! Support plans through HTTP: seeded plans, a plan per organization applied to tickets
//! filed afterwards, pauses, an organization's own calendar, partners that support their
//! own customers, escalating a case, and authorized contacts kept by the account team.

use super::*;
use crate::common::{delivered, mails_to};

async fn plans(app: &TestApp, token: &str) -> Vec<Value> {
    app.expect(
        StatusCode::OK,
        Method::GET,
        "/api/v1/admin/plans",
        Some(token),
        None,
    )
    .await
    .as_array()
    .unwrap()
    .clone()
}

fn plan_id(plans: &[Value], name: &str) -> i64 {
    plans.iter().find(|p| p["name"] == name).unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn set_support(app: &TestApp, admin: &str, org: i64, body: Value) -> Value {
    app.expect(
        StatusCode::OK,
        Method::PUT,
        &format!("/api/v1/admin/organizations/{org}/support"),
        Some(admin),
        Some(body),
    )
    .await
}

async fn move_to(app: &TestApp, token: &str, id: i64, status: &str) {
    app.expect(
        StatusCode::OK,
        Method::PUT,
        &format!("/api/v1/tickets/{id}/status"),
        Some(token),
        Some(json!({"status": status})),
    )
    .await;
}

async fn get_ticket(app: &TestApp, token: &str, id: i64) -> Value {
    app.expect(
        StatusCode::OK,
        Method::GET,
        &format!("/api/v1/tickets/{id}"),
        Some(token),
        None,
    )
    .await
}

fn when(v: &Value) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// Cara, a member of staff to be a customer success manager: her token and her account.
async fn cara(app: &TestApp) -> (String, Value) {
    app.user_with_role("cara@vendor.test", Role::Staff, None).await;
    let token = app.token("cara@vendor.test", PW).await;
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&token), None).await;
    (token, me)
}

#[tokio::test]
async fn plans_are_seeded_and_a_new_plan_applies_to_tickets_filed_afterwards() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let p = people(&app).await;
    let all = plans(&app, &p.sam).await;
    let names: Vec<&str> = all.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Standard", "Premium", "Enterprise"]);
    let standard = &all[0];
    assert_eq!(standard["critical"], json!({"amount": 2, "unit": "hours"}));
    assert_eq!(standard["high"], json!({"amount": 1, "unit": "business_days"}));
    assert_eq!(standard["normal"], json!({"amount": 2, "unit": "business_days"}));
    assert_eq!(standard["escalation"], false);
    // Members do not read plans; staff do not write them.
    app.expect(
        StatusCode::FORBIDDEN,
        Method::GET,
        "/api/v1/admin/plans",
        Some(&p.ann),
        None,
    )
    .await;
    let mut enterprise = all.iter().find(|p| p["name"] == "Enterprise").unwrap().clone();
    let enterprise_id = enterprise["id"].as_i64().unwrap();
    app.expect(
        StatusCode::FORBIDDEN,
        Method::PUT,
        &format!("/api/v1/admin/plans/{enterprise_id}"),
        Some(&p.sam),
        Some(enterprise.clone()),
    )
    .await;

    // Filed under Standard: Critical due 2 hours after.
    let (_, before) = file(&app, &p.ann, ticket("Gateway answers 502 on login", "critical")).await;
    let before_id = before["ticket"]["id"].as_i64().unwrap();
    assert_eq!(before["plan"]["name"], "Standard");
    let created = when(&before["ticket"]["created_at"]);
    assert_eq!((when(&before["sla"]["due"]) - created).num_minutes(), 120);

    // Acme moves to Enterprise, whose Critical target an admin sets to 45 minutes.
    enterprise["critical"] = json!({"amount": 45, "unit": "minutes"});
    let saved = app
        .expect(
            StatusCode::OK,
            Method::PUT,
            &format!("/api/v1/admin/plans/{enterprise_id}"),
            Some(&p.ada),
            Some(enterprise.clone()),
        )
        .await;
    assert_eq!(saved["critical"]["amount"], 45);
    let support = set_support(&app, &p.ada, p.acme, json!({"plan_id": enterprise_id})).await;
    assert_eq!(support["plan_id"], enterprise_id);
    let (_, after) = file(&app, &p.ann, ticket("Gateway answers 502 again", "critical")).await;
    assert_eq!(after["plan"]["name"], "Enterprise");
    assert_eq!(after["sla"]["target_amount"], 45);
    assert_eq!(after["sla"]["target_unit"], "minutes");
    let created = when(&after["ticket"]["created_at"]);
    assert_eq!((when(&after["sla"]["due"]) - created).num_minutes(), 45);
    // The first ticket keeps the plan it was filed under, and its due time.
    let kept = get_ticket(&app, &p.ann, before_id).await;
    assert_eq!(kept["plan"]["name"], "Standard");
    assert_eq!(kept["sla"]["due"], before["sla"]["due"]);

    // The report counts by plan.
    let report = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/v1/reports/sla",
            Some(&p.sam),
            None,
        )
        .await;
    let by_plan: Vec<(&str, i64)> = report["by_plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap(), a["tickets"].as_i64().unwrap()))
        .collect();
    assert_eq!(by_plan, [("Enterprise", 1), ("Standard", 1)]);
}

#[tokio::test]
async fn plans_refuse_what_cannot_be_counted_with_what_to_fix() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let p = people(&app).await;
    let bad = json!({
        "name": "  ",
        "critical": {"amount": 0, "unit": "hours"},
        "high": {"amount": 4, "unit": "fortnights"},
        "normal": {"amount": 1, "unit": "business_days"},
        "calendar": {"zone": "Mars/Olympus", "opens": "18:00", "closes": "09:00", "days": "", "holidays": "next week"},
        "pauses": ["closed"],
        "escalation": true,
        "hotline": ""
    });
    let (status, problem) = app
        .call(Method::POST, "/api/v1/admin/plans", Some(&p.ada), Some(bad))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    for field in [
        "name",
        "critical_amount",
        "high_unit",
        "zone",
        "closes",
        "days",
        "holidays",
        "pauses",
        "hotline",
    ] {
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    // A duplicate name says so.
    let all = plans(&app, &p.ada).await;
    let mut copy = all[0].clone();
    copy["name"] = json!("Premium");
    let (status, problem) = app
        .call(
            Method::POST,
            "/api/v1/admin/plans",
            Some(&p.ada),
            Some(copy.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem["errors"]["name"].is_array(), "{problem}");
    copy["name"] = json!("Gold");
    let gold = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/api/v1/admin/plans",
            Some(&p.ada),
            Some(copy),
        )
        .await;
    assert!(gold["id"].as_i64().unwrap() > 3);
    // An organization's support terms are checked too.
    let (status, problem) = app
        .call(
            Method::PUT,
            &format!("/api/v1/admin/organizations/{}/support", p.acme),
            Some(&p.ada),
            Some(json!({"plan_id": 9999, "time_zone": "Nowhere/Land", "success_manager_id": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem["errors"]["time_zone"].is_array(), "{problem}");
    let (status, problem) = app
        .call(
            Method::PUT,
            &format!("/api/v1/admin/organizations/{}/support", p.acme),
            Some(&p.ada),
            Some(json!({"plan_id": 9999})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem["errors"]["plan_id"].is_array(), "{problem}");
}

#[tokio::test]
async fn the_clock_pauses_while_waiting_on_the_customer_and_never_breaches_then() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let p = people(&app).await;
    let all = plans(&app, &p.ada).await;
    let enterprise = plan_id(&all, "Enterprise");
    set_support(&app, &p.ada, p.acme, json!({"plan_id": enterprise})).await;
    let (_, t) = file(&app, &p.ann, ticket("Exports fail for one region", "critical")).await;
    let id = t["ticket"]["id"].as_i64().unwrap();
    let due = when(&t["sla"]["due"]);
    assert_eq!(t["sla"]["paused"], false);
    move_to(&app, &p.sam, id, "customer_pending").await;
    let paused = get_ticket(&app, &p.sam, id).await;
    assert_eq!(paused["sla"]["paused"], true, "{}", paused["sla"]);
    assert_eq!(paused["ticket"]["sla_paused"], true);
    assert_eq!(paused["sla"]["breached"], false);
    // The list says paused, and the breaching queue leaves it out.
    let (_, html) = app
        .browser_as("sam@vendor.test")
        .await
        .page("/portal/tickets")
        .await;
    assert!(
        html.contains(r#"<span class="sla paused">paused</span>"#),
        "{html}"
    );
    let (_, breaching) = app
        .call(Method::GET, "/api/v1/tickets?queue=breaching", Some(&p.sam), None)
        .await;
    assert!(breaching.as_array().unwrap().iter().all(|r| r["id"] != id));
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    // The customer answers: the clock runs again, the due time moved on by the pause.
    app.expect(
        StatusCode::CREATED,
        Method::POST,
        &format!("/api/v1/tickets/{id}/notes"),
        Some(&p.ann),
        Some(json!({"body": "Here are the logs you asked for."})),
    )
    .await;
    let resumed = get_ticket(&app, &p.sam, id).await;
    assert_eq!(resumed["ticket"]["status"], "in_progress");
    assert_eq!(resumed["sla"]["paused"], false);
    let moved = when(&resumed["sla"]["due"]) - due;
    assert!(moved.num_milliseconds() >= 1000, "moved by {moved}");
    // The stored due time (lists, alerts) agrees with the page, to the second.
    assert_eq!(
        resumed["ticket"]["sla_due_at"].as_str().unwrap()[..19],
        resumed["sla"]["due"].as_str().unwrap()[..19]
    );
    // Standard never pauses.
    set_support(&app, &p.ada, p.acme, json!({"plan_id": 1})).await;
    let (_, s) = file(
        &app,
        &p.ann,
        ticket("Exports fail for another region", "critical"),
    )
    .await;
    let sid = s["ticket"]["id"].as_i64().unwrap();
    move_to(&app, &p.sam, sid, "customer_pending").await;
    assert_eq!(get_ticket(&app, &p.sam, sid).await["sla"]["paused"], false);
}

#[tokio::test]
async fn an_organizations_own_time_zone_moves_its_business_hours() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let p = people(&app).await;
    let (_, t) = file(&app, &p.ann, ticket("Slow dashboard every afternoon", "normal")).await;
    let id = t["ticket"]["id"].as_i64().unwrap();
    let utc_due = t["sla"]["due"].clone();
    // Kiritimati is 14 hours ahead: the same local hours fall elsewhere in UTC.
    set_support(
        &app,
        &p.ada,
        p.acme,
        json!({"plan_id": 1, "time_zone": "Pacific/Kiritimati", "holidays": ""}),
    )
    .await;
    let after = get_ticket(&app, &p.ann, id).await;
    assert_ne!(after["sla"]["due"], utc_due);
    assert_eq!(
        after["ticket"]["sla_due_at"].as_str().unwrap()[..16],
        after["sla"]["due"].as_str().unwrap()[..16]
    );
    let back = app
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/api/v1/admin/organizations/{}/support", p.acme),
            Some(&p.sam),
            None,
        )
        .await;
    assert_eq!(back["time_zone"], "Pacific/Kiritimati");
}

#[tokio::test]
async fn a_partners_customers_file_with_the_partner() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let p = people(&app).await;
    let partner = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/api/v1/admin/partners",
            Some(&p.ada),
            Some(json!({
                "name": "Northwind Integrators",
                "support_email": "Help@Northwind.test",
                "support_url": "https://support.northwind.test",
                "filing": "mail"
            })),
        )
        .await;
    assert_eq!(partner["support_email"], "help@northwind.test");
    let pid = partner["id"].as_i64().unwrap();
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&p.gil), None).await;
    let globex = me["organization"]["id"].as_i64().unwrap();
    set_support(&app, &p.ada, globex, json!({"plan_id": 1, "partner_id": pid})).await;

    // Through the API: mailed to the partner, no ticket here.
    let (status, sent) = file(&app, &p.gil, ticket("License server refuses our seats", "high")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    assert_eq!(sent["name"], "Northwind Integrators");
    let mails = delivered(&app).await;
    let to_partner = mails_to(&mails, "help@northwind.test");
    assert_eq!(to_partner.len(), 1);
    assert!(to_partner[0].contains("License server refuses our seats"));
    assert!(to_partner[0].contains("gil@globex.test"));
    let (_, list) = app.call(Method::GET, "/api/v1/tickets", Some(&p.sam), None).await;
    assert!(list.as_array().unwrap().is_empty(), "{list}");

    // Through the pages: the form names the partner and sends it on.
    let mut gil = app.browser_as("gil@globex.test").await;
    let (_, form) = gil.page("/portal/tickets/new").await;
    assert!(form.contains("supported by Northwind Integrators"), "{form}");
    assert!(!form.contains(r#"name="files""#));
    let res = gil
        .post(
            "/portal/tickets/new",
            &[
                ("subject", "Seats again"),
                ("priority", "normal"),
                ("description", "Still refused after the restart."),
                ("action", "submit"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(crate::common::location(&res), "/portal?notice=sent_to_partner");
    let (_, dash) = gil.page("/portal").await;
    assert!(dash.contains("support.northwind.test"), "{dash}");
    // The community stays open to them.
    let (status, _) = gil.page("/").await;
    assert_eq!(status, StatusCode::OK);

    // A partner that does not take tickets by mail: refused with the way to go.
    let mut refusing = partner.clone();
    refusing["filing"] = json!("refuse");
    app.expect(
        StatusCode::OK,
        Method::PUT,
        &format!("/api/v1/admin/partners/{pid}"),
        Some(&p.ada),
        Some(refusing),
    )
    .await;
    let (status, problem) = file(&app, &p.gil, ticket("License server refuses our seats", "high")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("support.northwind.test"),
        "{problem}"
    );
    let (_, form) = gil.page("/portal/tickets/new").await;
    assert!(form.contains("Go to Northwind Integrators support") && !form.contains(r#"name="subject""#));
    // Staff still file for that customer.
    let mut for_globex = ticket("Filed by support for Globex", "normal");
    for_globex["organization_id"] = json!(globex);
    let (status, _) = file(&app, &p.sam, for_globex).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn an_enterprise_contact_escalates_and_the_account_team_hears_of_it() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let p = people(&app).await;
    let (cara_token, cara) = cara(&app).await;
    app.expect(
        StatusCode::OK,
        Method::PUT,
        "/api/v1/admin/teams/support",
        Some(&p.ada),
        Some(json!({"members": ["sam@vendor.test"]})),
    )
    .await;
    let (_, t) = file(&app, &p.ann, ticket("Checkout fails for every user", "high")).await;
    let id = t["ticket"]["id"].as_i64().unwrap();
    // Standard does not include escalation: refused, with the way to the account team.
    assert_eq!(t["escalation"]["offered"], false);
    let (status, problem) = app
        .call(
            Method::POST,
            &format!("/api/v1/tickets/{id}/escalation"),
            Some(&p.ann),
            Some(json!({"reason": "Every sale is lost while this lasts."})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let mut ann = app.browser_as("ann@acme.test").await;
    let (_, page) = ann.page(&format!("/portal/tickets/{id}")).await;
    assert!(page.contains("Reach your account team") && !page.contains(">Escalate</a>"));

    // On Enterprise, with Cara as success manager.
    let enterprise = plan_id(&plans(&app, &p.ada).await, "Enterprise");
    set_support(
        &app,
        &p.ada,
        p.acme,
        json!({"plan_id": enterprise, "success_manager_id": cara["id"]}),
    )
    .await;
    let (_, t) = file(
        &app,
        &p.ann,
        ticket("Checkout fails for every user again", "high"),
    )
    .await;
    let id = t["ticket"]["id"].as_i64().unwrap();
    assert_eq!(t["escalation"]["can_escalate"], true);
    assert_eq!(t["escalation"]["account_team"]["name"], "Operator Made");
    // A reason too short is refused, and the typed text comes back in the form.
    let res = ann
        .post(&format!("/portal/tickets/{id}/escalate"), &[("reason", "asap")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(">asap</textarea>") && html.contains("+1 555 0100"),
        "{html}"
    );
    let res = ann
        .post(
            &format!("/portal/tickets/{id}/escalate"),
            &[(
                "reason",
                "Every sale is lost while this lasts; the launch is tomorrow.",
            )],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let after = get_ticket(&app, &p.ann, id).await;
    assert_eq!(after["ticket"]["escalation_level"], 1);
    assert_eq!(after["escalation"]["hotline"], "+1 555 0100");
    let logged = after["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "escalated")
        .unwrap();
    assert_eq!(logged["to_value"], "1");
    // Cara (success manager) and Sam (Support team) are mailed, once each.
    let mails = delivered(&app).await;
    for who in ["cara@vendor.test", "sam@vendor.test"] {
        let got: Vec<_> = mails_to(&mails, who)
            .into_iter()
            .filter(|m| m.contains("Escalated (level 1)"))
            .collect();
        assert_eq!(got.len(), 1, "{who}");
        assert!(got[0].contains("the launch is tomorrow"));
    }
    // Pressed again at once: refused, naming the hotline; nobody is mailed twice.
    let (status, problem) = app
        .call(
            Method::POST,
            &format!("/api/v1/tickets/{id}/escalation"),
            Some(&p.ann),
            Some(json!({"reason": "Did anyone see this? Still down."})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("+1 555 0100"));
    // Half an hour later (moved back, not waited for): level 2; the queue shows it,
    // latest first, marked as Cara's.
    {
        use diesel::prelude::*;
        use parley::db::schema::tickets;
        let earlier = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(31);
        app.state
            .db
            .write(move |c| {
                diesel::update(tickets::table.find(id))
                    .set(tickets::escalated_at.eq(earlier))
                    .execute(c)?;
                Ok(())
            })
            .await
            .unwrap();
    }
    app.expect(
        StatusCode::OK,
        Method::POST,
        &format!("/api/v1/tickets/{id}/escalation"),
        Some(&p.ann),
        Some(json!({"reason": "Still down an hour later, nobody called back."})),
    )
    .await;
    let queue = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/v1/escalations",
            Some(&cara_token),
            None,
        )
        .await;
    assert_eq!(queue[0]["id"], id);
    assert_eq!(queue[0]["level"], 2);
    assert_eq!(queue[0]["mine"], true);
    assert!(
        queue[0]["reason"]
            .as_str()
            .unwrap()
            .contains("nobody called back")
    );
    app.expect(
        StatusCode::FORBIDDEN,
        Method::GET,
        "/api/v1/escalations",
        Some(&p.ann),
        None,
    )
    .await;
    let mut sam = app.browser_as("sam@vendor.test").await;
    let (_, html) = sam.page("/portal/escalations").await;
    assert!(html.contains("level 2") && html.contains("Checkout fails for every user again"));
    // The report counts it.
    let report = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/v1/reports/sla",
            Some(&p.sam),
            None,
        )
        .await;
    assert_eq!(report["overall"]["escalated"], 1);
    // A closed ticket is not escalated.
    move_to(&app, &p.sam, id, "closed").await;
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/tickets/{id}/escalation"),
            Some(&p.ann),
            Some(json!({"reason": "Reopen this please, it is back."})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_account_team_keeps_the_authorized_contacts() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let p = people(&app).await;
    let (cara_token, cara) = cara(&app).await;
    set_support(
        &app,
        &p.ada,
        p.acme,
        json!({"plan_id": 1, "success_manager_id": cara["id"]}),
    )
    .await;

    // Bob, not a contact, is told who the contacts are and asks to become one.
    let mut bob = app.browser_as("bob@acme.test").await;
    let (status, dash) = bob.page("/portal").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        dash.contains("ann@acme.test") && dash.contains("Ask to become an authorized contact"),
        "{dash}"
    );
    assert!(
        dash.contains("Operator Made"),
        "the account team is named: {dash}"
    );
    let res = bob
        .post(
            "/portal/contact-request",
            &[("reason", "I run the nightly exports.")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, dash) = bob.page("/portal").await;
    assert!(dash.contains("You asked to become an authorized contact"));
    // Once only.
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/me/contact-request",
            Some(&p.bob),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let mails = delivered(&app).await;
    assert_eq!(
        mails_to(&mails, "cara@vendor.test")
            .iter()
            .filter(|m| m.contains("asks to become an authorized contact"))
            .count(),
        1
    );

    // In Cara's queue, not in Sam's (who manages nobody), not for a member.
    let queue = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/v1/account-team",
            Some(&cara_token),
            None,
        )
        .await;
    assert_eq!(queue["requests"].as_array().unwrap().len(), 1);
    let request = queue["requests"][0]["id"].as_i64().unwrap();
    assert!(
        queue["requests"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("nightly exports")
    );
    let sams = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/v1/account-team",
            Some(&p.sam),
            None,
        )
        .await;
    assert!(sams["requests"].as_array().unwrap().is_empty());
    app.expect(
        StatusCode::FORBIDDEN,
        Method::GET,
        "/api/v1/account-team",
        Some(&p.bob),
        None,
    )
    .await;
    // Sam may not grant it: he is not Acme's account team.
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/account-team/requests/{request}"),
            Some(&p.sam),
            Some(json!({"grant": true})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Cara grants it on her page; Bob now files tickets.
    let mut cara_b = app.browser_as("cara@vendor.test").await;
    let (_, html) = cara_b.page("/portal/account-team").await;
    assert!(html.contains("I run the nightly exports."));
    let res = cara_b
        .post(
            &format!("/portal/account-team/requests/{request}"),
            &[("decision", "grant")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, _) = file(&app, &p.bob, ticket("Exports stop at 40%", "normal")).await;
    assert_eq!(status, StatusCode::CREATED);
    let mails = delivered(&app).await;
    assert!(
        mails_to(&mails, "bob@acme.test")
            .iter()
            .any(|m| m.contains("You are now an authorized contact of Acme"))
    );
    // Settled once.
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/account-team/requests/{request}"),
            Some(&cara_token),
            Some(json!({"grant": false})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    // And removed again: Bob's tickets are out of his reach.
    let bob_id = queue["organizations"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "bob@acme.test")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    app.expect(
        StatusCode::NO_CONTENT,
        Method::PUT,
        &format!("/api/v1/account-team/members/{bob_id}"),
        Some(&cara_token),
        Some(json!({"authorized_contact": false})),
    )
    .await;
    let (status, _) = app.call(Method::GET, "/api/v1/tickets", Some(&p.bob), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn admins_keep_plans_partners_and_support_terms_through_the_pages() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let p = people(&app).await;
    let mut ada = app.browser_as("ada@vendor.test").await;
    let (status, html) = ada.page("/admin/plans").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Enterprise") && html.contains("30 minutes, day and night"),
        "{html}"
    );
    // A new plan starts as a copy of Standard; a bad field comes back with what was typed.
    let (status, form) = ada.page("/admin/plans/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(r#"name="critical_amount""#) && form.contains(r#"value="2""#));
    let fields = [
        ("name", "Gold"),
        ("critical_amount", "one"),
        ("critical_unit", "hours"),
        ("high_amount", "4"),
        ("high_unit", "business_hours"),
        ("normal_amount", "1"),
        ("normal_unit", "business_days"),
        ("zone", "Europe/Paris"),
        ("opens", "08:00"),
        ("closes", "18:00"),
        ("day_mon", "on"),
        ("day_tue", "on"),
        ("holidays", "2026-12-25"),
        ("pause_customer_pending", "on"),
        ("escalation", "on"),
        ("hotline", "+33 1 00 00 00 00"),
    ];
    let res = ada.post("/admin/plans", &fields).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("whole number") && html.contains("+33 1 00 00 00 00"),
        "{html}"
    );
    let mut good = fields.to_vec();
    good[1] = ("critical_amount", "1");
    let res = ada.post("/admin/plans", &good).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let gold = plan_id(&plans(&app, &p.ada).await, "Gold");
    let saved = &plans(&app, &p.ada)
        .await
        .into_iter()
        .find(|x| x["id"] == gold)
        .unwrap();
    assert_eq!(saved["calendar"]["days"], "mon,tue");
    assert_eq!(saved["pauses"], json!(["customer_pending"]));
    assert_eq!(saved["escalation"], true);
    // Editing it keeps the checkboxes.
    let (_, edit) = ada.page(&format!("/admin/plans/{gold}")).await;
    assert!(edit.contains(r#"name="day_tue" checked"#) && !edit.contains(r#"name="day_wed" checked"#));

    // A partner, added and then named on Globex with Gold and a success manager.
    let res = ada
        .post(
            "/admin/partners",
            &[
                ("name", "Northwind"),
                ("support_email", "not an address"),
                ("support_url", "https://support.northwind.test"),
                ("filing", "mail"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = ada
        .post(
            "/admin/partners",
            &[
                ("name", "Northwind"),
                ("support_email", "help@northwind.test"),
                ("support_url", "https://support.northwind.test"),
                ("filing", "refuse"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = ada.page("/admin/partners").await;
    assert!(html.contains("help@northwind.test"));
    let partner = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/v1/admin/partners",
            Some(&p.ada),
            None,
        )
        .await[0]["id"]
        .as_i64()
        .unwrap();
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&p.sam), None).await;
    let sam_id = me["id"].as_i64().unwrap().to_string();
    let (status, page) = ada.page(&format!("/admin/organizations/{}", p.acme)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Customer success manager") && page.contains("Gold"));
    let res = ada
        .post(
            &format!("/admin/organizations/{}/support", p.acme),
            &[
                ("plan_id", &gold.to_string()),
                ("time_zone", "Asia/Tokyo"),
                ("holidays", "2027-01-02"),
                ("success_manager_id", &sam_id),
                ("partner_id", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let support = app
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/api/v1/admin/organizations/{}/support", p.acme),
            Some(&p.sam),
            None,
        )
        .await;
    assert_eq!(support["plan_id"], gold);
    assert_eq!(support["time_zone"], "Asia/Tokyo");
    assert_eq!(support["success_manager_id"], me["id"]);
    assert_eq!(support["partner_id"], Value::Null);
    // A bad zone comes back on the page, not as an error page.
    let res = ada
        .post(
            &format!("/admin/organizations/{}/support", p.acme),
            &[
                ("plan_id", &gold.to_string()),
                ("time_zone", "Moon/Base"),
                ("partner_id", &partner.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("is not a time zone") && html.contains("Moon&#x2F;Base"),
        "{html}"
    );
    // Ann's new ticket form names her plan and its targets.
    let mut ann = app.browser_as("ann@acme.test").await;
    let (_, form) = ann.page("/portal/tickets/new").await;
    assert!(
        form.contains("Under your Gold plan") && form.contains("4 business hours"),
        "{form}"
    );
    // Members and staff who are not admins do not reach these pages.
    let mut sam = app.browser_as("sam@vendor.test").await;
    assert_eq!(sam.page("/admin/plans").await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn escalations_pressed_at_once_make_one() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let p = people(&app).await;
    let enterprise = plan_id(&plans(&app, &p.ada).await, "Enterprise");
    set_support(&app, &p.ada, p.acme, json!({"plan_id": enterprise})).await;
    let (_, t) = file(&app, &p.ann, ticket("Replication stalls under load", "critical")).await;
    let id = t["ticket"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/tickets/{id}/escalation");
    let calls = (0..8).map(|i| {
        let (app, path, token) = (&app, path.clone(), p.ann.clone());
        async move {
            app.call(
                Method::POST,
                &path,
                Some(&token),
                Some(json!({"reason": format!("Still stalled, call number {i} from the team.")})),
            )
            .await
        }
    });
    let answers = futures_util::future::join_all(calls).await;
    let statuses: Vec<StatusCode> = answers.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{answers:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count(),
        7,
        "{answers:?}"
    );
    let after = get_ticket(&app, &p.ann, id).await;
    assert_eq!(after["ticket"]["escalation_level"], 1);
    let mut levels: Vec<i64> = after["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "escalated")
        .map(|e| e["to_value"].as_str().unwrap().parse().unwrap())
        .collect();
    levels.sort_unstable();
    assert_eq!(levels, [1]);
}

#[tokio::test]
async fn an_answer_while_paused_settles_the_stored_due_time_too() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let p = people(&app).await;
    let enterprise = plan_id(&plans(&app, &p.ada).await, "Enterprise");
    set_support(&app, &p.ada, p.acme, json!({"plan_id": enterprise})).await;
    let (_, t) = file(&app, &p.ann, ticket("Backups stop after the upgrade", "critical")).await;
    let id = t["ticket"]["id"].as_i64().unwrap();
    move_to(&app, &p.sam, id, "awaiting_authorization").await;
    app.expect(
        StatusCode::CREATED,
        Method::POST,
        &format!("/api/v1/tickets/{id}/notes"),
        Some(&p.sam),
        Some(json!({"body": "Found it: the retention job; approve the fix and we roll it out.", "public": true})),
    )
    .await;
    let after = get_ticket(&app, &p.sam, id).await;
    assert_eq!(after["sla"]["breached"], false);
    assert_eq!(after["sla"]["paused"], false);
    assert_eq!(after["ticket"]["sla_paused"], false);
    assert_eq!(
        after["ticket"]["sla_due_at"].as_str().unwrap()[..19],
        after["sla"]["due"].as_str().unwrap()[..19]
    );
    let (_, list) = app.call(Method::GET, "/api/v1/tickets", Some(&p.sam), None).await;
    let row = list.as_array().unwrap().iter().find(|r| r["id"] == id).unwrap();
    assert_eq!(row["breached"], false, "{row}");
}
