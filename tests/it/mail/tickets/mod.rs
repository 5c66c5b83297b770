//! Ticket mail: who hears of what, once; followers, team lists, SLA alerts, the
//! one-click unfollow; and the admins' pages for teams and received mail.

use super::*;

mod teams;

/// Ann, a contact of Acme, files a Normal ticket, and Sam is staff: their tokens and
/// the ticket's id.
async fn ann_files(app: &TestApp, subject: &str, description: &str) -> (String, String, i64) {
    app.contact("ann@acme.test", "Acme").await;
    app.user_with_role("sam@vendor.test", Role::Staff, None).await;
    let ann = app.token("ann@acme.test", PW).await;
    let sam = app.token("sam@vendor.test", PW).await;
    let t = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/api/v1/tickets",
            Some(&ann),
            Some(json!({"subject": subject, "priority": "normal", "description": description})),
        )
        .await;
    (ann, sam, t["ticket"]["id"].as_i64().unwrap())
}

#[tokio::test]
async fn ticket_events_reach_the_right_people_once() {
    let app = TestApp::spawn_with(&["--rate-limits=off", "--send-mail=off"]).await;
    app.contact("ann@acme.test", "Acme").await;
    app.user_with_role("sam@vendor.test", Role::Staff, None).await;
    app.user_with_role("ada@vendor.test", Role::Staff, None).await;
    let ann = app.token("ann@acme.test", PW).await;
    let sam = app.token("sam@vendor.test", PW).await;
    let ada_id = {
        let ada = app.token("ada@vendor.test", PW).await;
        let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&ada), None).await;
        me["id"].as_i64().unwrap()
    };
    let before = app.mails().len();
    let t = app.expect(StatusCode::CREATED, Method::POST,
            "/api/v1/tickets",
            Some(&ann),
            Some(json!({"subject": "Nightly export fails", "priority": "normal", "description": "It stops at 40% every night."}))).await;
    let id = t["ticket"]["id"].as_i64().unwrap();
    let call = async |token: &str, method: Method, path: &str, body: Value| {
        let (status, v) = app
            .call(
                method,
                &format!("/api/v1/tickets/{id}{path}"),
                Some(token),
                Some(body),
            )
            .await;
        assert!(status.is_success(), "{path}: {v}");
    };
    call(&sam, Method::PUT, "/assignee", json!({"assignee_id": ada_id})).await;
    call(
        &sam,
        Method::POST,
        "/notes",
        json!({"body": "Secret plan: blame the network", "internal": true}),
    )
    .await;
    call(
        &sam,
        Method::POST,
        "/notes",
        json!({"body": "We are looking at the export job."}),
    )
    .await;
    call(&sam, Method::PUT, "/status", json!({"status": "in_progress"})).await;
    call(&sam, Method::PUT, "/priority", json!({"priority": "high"})).await;
    call(
        &ann,
        Method::POST,
        "/notes",
        json!({"body": "Thanks, it failed again tonight."}),
    )
    .await;

    // Ann: the receipt, the assignment, the public note, status, priority (not her own
    // note, not the internal one). Ada (assignee): the internal note, the public notes,
    // status and priority. Sam acted on everything: nothing.
    let mails = mails_once_delivered(&app, before + 11).await;
    let mails = &mails[before..];
    let ann_mails = crate::common::mails_to(mails, "ann@acme.test");
    let ada_mails = crate::common::mails_to(mails, "ada@vendor.test");
    assert_eq!(ann_mails.len(), 5, "{ann_mails:#?}");
    assert_eq!(ada_mails.len(), 6, "{ada_mails:#?}");
    assert!(crate::common::mails_to(mails, "sam@vendor.test").is_empty());
    assert_eq!(mails.len(), 11);
    assert!(ann_mails.iter().all(|m| !m.contains("Secret plan")));
    assert!(
        ada_mails
            .iter()
            .any(|m| m.contains("Secret plan") && m.contains("internal note"))
    );
    assert!(ann_mails[0].contains("filed the ticket"));
    assert!(ann_mails.iter().any(|m| m.contains("assigned the ticket to")));
    assert!(ada_mails.iter().any(|m| m.contains("it failed again tonight")));
    // Threaded under the ticket, with its number in the subject.
    for m in mails {
        assert!(
            m.contains(&format!("Subject: [#{id}] Nightly export fails")),
            "{m}"
        );
        assert!(m.contains(&format!("In-Reply-To: <ticket-{id}@")), "{m}");
        assert!(m.contains(&format!("References: <ticket-{id}@")), "{m}");
        assert!(m.contains(&format!("Message-ID: <ticket-{id}.")), "{m}");
    }
    // Delivering again sends nothing more.
    let round = parley::outbox::deliver_due(&app.state.db, &app.state.mailer, &app.state.node.claims())
        .await
        .unwrap();
    assert_eq!(round, parley::outbox::Round::default());
    assert_eq!(app.mails().len(), before + 11);
}

#[tokio::test]
async fn sla_alerts_go_to_staff_once_per_due_time() {
    let app = TestApp::spawn_with(&["--rate-limits=off", "--send-mail=off"]).await;
    let (_, sam, id) = ann_files(&app, "Production down since 9am", "Nothing loads for anyone.").await;
    let alerts = async || {
        parley::portal::alerts::run(&app.state.db, app.state.mailing.clone())
            .await
            .unwrap()
    };
    let due_in = async |minutes: i64| {
        with_conn(&app.state.db, move |c| {
            use parley::db::schema::tickets;
            let due = chrono::Utc::now().naive_utc() + chrono::Duration::minutes(minutes);
            diesel::update(tickets::table.find(id))
                .set(tickets::sla_due_at.eq(due))
                .execute(c)
                .unwrap();
        })
        .await
    };
    // Critical: due in two hours, no alert yet.
    assert_eq!(alerts().await, 0);
    due_in(30).await;
    assert_eq!(alerts().await, 1);
    assert_eq!(alerts().await, 0);
    due_in(-5).await;
    assert_eq!(alerts().await, 1);
    assert_eq!(alerts().await, 0);
    let mails = mails_once_delivered(&app, 3).await;
    let sam_mails = crate::common::mails_to(&mails, "sam@vendor.test");
    assert_eq!(sam_mails.len(), 2, "{sam_mails:#?}");
    assert!(sam_mails[0].contains("SLA due within the hour") && sam_mails[1].contains("SLA breached"));
    assert!(
        crate::common::mails_to(&mails, "ann@acme.test")
            .iter()
            .all(|m| !m.contains("SLA"))
    );
    // Answered: no more alerts, whatever the due time.
    app.call(
        Method::POST,
        &format!("/api/v1/tickets/{id}/notes"),
        Some(&sam),
        Some(json!({"body": "On it."})),
    )
    .await;
    due_in(-20).await;
    assert_eq!(alerts().await, 0);
}

#[tokio::test]
async fn followers_hear_of_a_ticket_and_can_stop() {
    let app = TestApp::spawn_with(&["--rate-limits=off", "--send-mail=off"]).await;
    app.contact("ann@acme.test", "Acme").await;
    app.contact("cy@acme.test", "Acme").await;
    app.contact("gil@globex.test", "Globex").await;
    app.user_with_role("sam@vendor.test", Role::Staff, None).await;
    let ann = app.token("ann@acme.test", PW).await;
    let cy = app.token("cy@acme.test", PW).await;
    let gil = app.token("gil@globex.test", PW).await;
    let sam = app.token("sam@vendor.test", PW).await;
    let (_, t) = app
        .call(
            Method::POST,
            "/api/v1/tickets",
            Some(&ann),
            Some(json!({"subject": "Reports load slowly", "priority": "normal", "description": "Every report takes a minute."})),
        )
        .await;
    let id = t["ticket"]["id"].as_i64().unwrap();
    assert_eq!(t["following"], true);
    let follow = async |token: &str, on: bool| {
        app.call(
            Method::PUT,
            &format!("/api/v1/tickets/{id}/following"),
            Some(token),
            Some(json!({"following": on})),
        )
        .await
    };
    // A colleague who is a contact follows; another customer cannot even find it.
    let (status, seen) = follow(&cy, true).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen["following"], true);
    assert_eq!(follow(&gil, true).await.0, StatusCode::NOT_FOUND);
    let status_to = async |status: &str| {
        let (s, v) = app
            .call(
                Method::PUT,
                &format!("/api/v1/tickets/{id}/status"),
                Some(&sam),
                Some(json!({"status": status})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    };
    status_to("in_progress").await;
    // The requester stops following: the next change reaches Cy only.
    follow(&ann, false).await;
    status_to("customer_pending").await;
    let mails = mails_once_delivered(&app, 4).await;
    let ann_mails = crate::common::mails_to(&mails, "ann@acme.test");
    let cy_mails = crate::common::mails_to(&mails, "cy@acme.test");
    assert_eq!(ann_mails.len(), 2, "receipt and the first change: {ann_mails:#?}");
    assert_eq!(cy_mails.len(), 2, "{cy_mails:#?}");
    assert!(cy_mails[1].contains("Customer Pending"));
    assert!(crate::common::mails_to(&mails, "gil@globex.test").is_empty());
}

#[tokio::test]
async fn one_click_in_ticket_mail_stops_following_the_ticket() {
    let app = TestApp::spawn_with(&["--rate-limits=off", "--send-mail=off"]).await;
    let (ann, sam, id) = ann_files(&app, "Reports are empty", "Since Monday every report is empty.").await;
    let note = |body: &str| json!({"body": body});
    let path = format!("/api/v1/tickets/{id}/notes");
    app.call(Method::POST, &path, Some(&sam), Some(note("Which report?")))
        .await;
    let mails = mails_once_delivered(&app, 2).await;
    let mail = crate::common::mails_to(&mails, "ann@acme.test").pop().unwrap();
    assert!(
        mail.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{mail}"
    );
    let link = mail
        .lines()
        .find_map(|l| l.strip_prefix("List-Unsubscribe: <"))
        .map(|l| l.trim_end_matches('>').to_string())
        .unwrap();
    let api = link
        .split_once("/api/")
        .map(|(_, p)| format!("/api/{p}"))
        .unwrap();
    assert!(api.starts_with("/api/v1/ticket-mail/unfollow?token="), "{api}");
    let res = app
        .api()
        .post(app.url(&api))
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .api()
        .post(app.url("/api/v1/ticket-mail/unfollow?token=forged"))
        .send()
        .await
        .unwrap();
    // A forged link is a field to fix, named.
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = res.json().await.unwrap();
    assert!(problem["errors"]["token"].is_array(), "{problem}");
    let before = crate::common::mails_to(&app.mails(), "ann@acme.test").len();
    app.call(Method::POST, &path, Some(&sam), Some(note("Still there?")))
        .await;
    let mails = mails_once_delivered(&app, before + 1).await;
    assert_eq!(
        crate::common::mails_to(&mails, "ann@acme.test").len(),
        before,
        "no longer following, no more mail"
    );
    let view = app
        .call(Method::GET, &format!("/api/v1/tickets/{id}"), Some(&ann), None)
        .await
        .1;
    assert_eq!(view["following"], false);
}
