//! Senders: refused ones, forged addresses, and tickets staff make of refused mail.

use super::*;

#[tokio::test]
async fn a_refused_sender_hears_why_once_a_day_and_machines_never() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    app.contact("ann@acme.test", "Acme").await;
    let replies = |app: &TestApp| {
        let mails = app.mails();
        mails
            .into_iter()
            .filter(|m| m.contains("not taken in"))
            .collect::<Vec<_>>()
    };

    // A stranger is told why and what to do, in a reply marked as automatic.
    let o = take(
        &app,
        &plain(
            "zoe@stranger.test",
            "Cannot log in",
            "r1",
            "The login page says my account is locked.",
        ),
    )
    .await;
    assert_eq!(o.outcome, "refused", "{o:?}");
    crate::common::delivered(&app).await;
    let sent = replies(&app);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let reply = &sent[0];
    assert!(reply.contains("To: zoe@stranger.test"), "{reply}");
    assert!(reply.contains("Auto-Submitted: auto-replied"), "{reply}");
    assert!(reply.contains("In-Reply-To: <r1@mail.test>"), "{reply}");
    assert!(reply.contains("not the address of an account"), "{reply}");
    assert!(reply.contains("/signup"), "{reply}");
    // Its subject is not repeated to a sender nobody verified.
    assert!(!reply.contains("Cannot log in"), "{reply}");

    // The same stranger again the same day: refused, not answered again.
    let o = take(
        &app,
        &plain(
            "zoe@stranger.test",
            "Still locked",
            "r2",
            "The account is still locked today.",
        ),
    )
    .await;
    assert_eq!(o.outcome, "refused");
    crate::common::delivered(&app).await;
    assert_eq!(replies(&app).len(), 1);

    // Machine-made mail is refused and never answered.
    let machines = [
        "From: robot@stranger.test\nSubject: Out of office\nMessage-ID: <a1@mail.test>\nAuto-Submitted: auto-replied\n\nI am away until Monday.\n",
        "From: list@stranger.test\nSubject: Weekly news\nMessage-ID: <a2@mail.test>\nList-Id: <news.stranger.test>\n\nThis week in news.\n",
        "Return-Path: <>\nFrom: someone@stranger.test\nSubject: Undeliverable\nMessage-ID: <a3@mail.test>\n\nYour message could not be delivered.\n",
        "From: bulk@stranger.test\nSubject: Offer\nMessage-ID: <a4@mail.test>\nPrecedence: bulk\n\nBuy now.\n",
        "From: MAILER-DAEMON@stranger.test\nSubject: Failure\nMessage-ID: <a5@mail.test>\n\nDelivery failed.\n",
    ];
    for raw in machines {
        let o = take(&app, raw).await;
        assert_eq!(o.outcome, "refused", "{raw}");
    }
    crate::common::delivered(&app).await;
    assert_eq!(replies(&app).len(), 1);

    // Every mail Parley sends says it is automatic: here, a ticket's receipt.
    let o = take(
        &app,
        &plain(
            "ann@acme.test",
            "Export stops",
            "r3",
            "The nightly export stops at 40%.",
        ),
    )
    .await;
    assert_eq!(o.outcome, "ticket");
    let mails = crate::common::delivered(&app).await;
    assert!(!mails.is_empty());
    for m in &mails {
        assert!(
            m.contains("Auto-Submitted: auto-generated") || m.contains("Auto-Submitted: auto-replied"),
            "{m}"
        );
    }
}

#[tokio::test]
async fn a_forged_contact_address_never_makes_a_critical_ticket() {
    let app = TestApp::spawn_with(&["--rate-limits=off", "--mail-trusted-authserv-id=mx.vendor.test"]).await;
    app.contact("ann@acme.test", "Acme").await;
    app.contact("cat@acme.test", "Acme").await;
    app.user_with_role("ada@vendor.test", Role::Admin, None).await;
    let ann = app.token("ann@acme.test", PW).await;
    let cat = app.token("cat@acme.test", PW).await;
    let ada = app.token("ada@vendor.test", PW).await;
    let down = |id: &str, results: &str| {
        format!(
            "{results}{}",
            plain(
                "ann@acme.test",
                "Production Down: nothing loads",
                id,
                "Every page is blank since 9am."
            )
        )
    };

    // Verified by the trusted server: Critical, verified, no question asked.
    let o = take(&app, &down("v1", "Authentication-Results: mx.vendor.test; spf=pass smtp.mailfrom=ann@acme.test; dkim=pass header.d=acme.test\n")).await;
    assert_eq!(
        (o.outcome.as_str(), o.reason.as_deref()),
        ("ticket", None),
        "{o:?}"
    );
    let t = ticket(&app, &ann, o.ticket_id.unwrap()).await;
    assert_eq!(t["ticket"]["priority"], "critical");
    assert_eq!(t["ticket"]["sender_verified"], true);

    // Failed, absent, or written by the sender under another server's id or below the
    // trusted server's own: High and flagged, not verified, and Ann is asked by mail.
    let cases = [
        (
            "f1",
            "Authentication-Results: mx.vendor.test; dmarc=fail header.from=acme.test\n",
            "fail (dmarc)",
        ),
        ("f2", "", "none"),
        (
            "f3",
            "Authentication-Results: evil.test; dmarc=pass header.from=acme.test\n",
            "none",
        ),
        (
            "f4",
            "Authentication-Results: mx.vendor.test; spf=fail smtp.mailfrom=acme.test\nAuthentication-Results: mx.vendor.test; dmarc=pass header.from=acme.test\n",
            "fail (spf)",
        ),
    ];
    let mut unverified = Vec::new();
    for (id, results, check) in cases {
        let o = take(&app, &down(id, results)).await;
        assert_eq!(o.outcome, "ticket", "{id}: {o:?}");
        assert!(
            o.reason.as_deref().unwrap().contains("Sender not verified"),
            "{id}: {o:?}"
        );
        let t = ticket(&app, &ann, o.ticket_id.unwrap()).await;
        assert_eq!(t["ticket"]["priority"], "high", "{id}");
        assert_eq!(t["ticket"]["flagged"], true, "{id}");
        assert_eq!(t["ticket"]["sender_verified"], false, "{id}");
        assert_eq!(t["can_confirm_sender"], true, "{id}");
        unverified.push((o.ticket_id.unwrap(), check));
    }
    let (_, received) = app
        .call(Method::GET, "/api/v1/admin/inbound-mail", Some(&ada), None)
        .await;
    let checks: Vec<&str> = received
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|r| r["sender_check"].as_str().unwrap())
        .collect();
    assert_eq!(
        checks,
        ["pass (dkim)", "fail (dmarc)", "none", "none", "fail (spf)"]
    );
    let mails = crate::common::delivered(&app).await;
    for (id, _) in &unverified {
        assert!(
            mails
                .iter()
                .any(|m| m.contains("ann@acme.test") && m.contains(&format!("Did you send ticket #{id}"))),
            "no confirmation asked for #{id}: {mails:?}"
        );
    }

    // A stranger whose address the trusted server found forged is refused and not
    // answered (the reply would go to the person whose address was used).
    let forged = format!(
        "Authentication-Results: mx.vendor.test; dmarc=fail header.from=victim.test\n{}",
        plain(
            "someone@victim.test",
            "Your invoice",
            "f9",
            "Please open the attached invoice."
        )
    );
    assert_eq!(take(&app, &forged).await.outcome, "refused");
    let mails = crate::common::delivered(&app).await;
    assert!(
        !mails.iter().any(|m| m.contains("someone@victim.test")),
        "the forged sender was answered"
    );

    // A reply by mail from a staff address that is not verified is refused: it would
    // speak for staff to the customer.
    let (id, _) = unverified[0];
    let staff_reply = plain(
        "ada@vendor.test",
        &format!("Re: [#{id}] Production Down: nothing loads"),
        "n1",
        "Please send us your password so we can look.",
    );
    let o = take(&app, &staff_reply).await;
    assert_eq!(o.outcome, "refused", "{o:?}");
    assert!(o.reason.as_deref().unwrap().contains("staff address"), "{o:?}");

    // Only Ann confirms; then her ticket is Critical.
    let path = format!("/api/v1/tickets/{id}/sender-confirmation");
    app.expect(StatusCode::FORBIDDEN, Method::POST, &path, Some(&cat), None)
        .await;
    let t = app
        .expect(StatusCode::OK, Method::POST, &path, Some(&ann), None)
        .await;
    assert_eq!(t["ticket"]["sender_verified"], true);
    assert_eq!(t["ticket"]["priority"], "critical");
    assert_eq!(t["ticket"]["flagged"], false);
    assert_eq!(t["can_confirm_sender"], false);
    // Again: nothing changes.
    let again = app
        .expect(StatusCode::OK, Method::POST, &path, Some(&ann), None)
        .await;
    assert_eq!(
        again["events"].as_array().unwrap().len(),
        t["events"].as_array().unwrap().len()
    );
}

#[tokio::test]
async fn staff_make_a_ticket_of_a_refused_message_for_the_customer_they_choose() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    app.contact("ann@acme.test", "Acme").await;
    app.user_with_role("bob@acme.test", Role::Member, Some("Acme"))
        .await;
    app.user_with_role("ada@vendor.test", Role::Admin, None).await;
    let ann = app.token("ann@acme.test", PW).await;
    let bob = app.token("bob@acme.test", PW).await;
    let ada = app.token("ada@vendor.test", PW).await;
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&ann), None).await;
    let acme = me["organization"]["id"].as_i64().unwrap();

    // A stranger's message with a log: refused, and kept whole.
    let raw = multipart(
        "Zoe <zoe@stranger.test>",
        "Importer crashes on empty rows",
        "k1",
        "mixed",
        &[
            "Content-Type: text/plain\n\nThe importer crashes when a row is empty; log attached.",
            "Content-Type: text/plain; name=\"import.log\"\nContent-Disposition: attachment; filename=\"import.log\"\n\nERROR empty row 17",
        ],
    );
    assert_eq!(take(&app, &raw).await.outcome, "refused");
    let garbage = take(&app, "\u{0}\u{1} not mail").await;
    assert_eq!(garbage.outcome, "refused");
    let (_, received) = app
        .call(Method::GET, "/api/v1/admin/inbound-mail", Some(&ada), None)
        .await;
    let rows = received.as_array().unwrap();
    assert_eq!(rows[0]["kept"], false, "what is not mail is not kept: {received}");
    assert_eq!(rows[1]["kept"], true, "{received}");
    let id = rows[1]["id"].as_i64().unwrap();
    let path = format!("/api/v1/admin/inbound-mail/{id}/ticket");
    let make = async |token: &str, organization_id: i64| {
        let body = serde_json::json!({ "organization_id": organization_id });
        app.call(Method::POST, &path, Some(token), Some(body)).await
    };

    // Not staff: refused. No such customer: 422, and the message stays refused.
    let (status, _) = make(&bob, acme).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = make(&ada, 987654).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (_, received) = app
        .call(Method::GET, "/api/v1/admin/inbound-mail", Some(&ada), None)
        .await;
    assert_eq!(received[1]["outcome"], "refused");

    // For Acme: a ticket from "email" with the text, the sender named, and the log; the
    // customer's contact sees it.
    let (status, t) = make(&ada, acme).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let ticket_id = t["ticket"]["id"].as_i64().unwrap();
    assert_eq!(t["ticket"]["source"], "email");
    assert_eq!(t["ticket"]["subject"], "Importer crashes on empty rows");
    let d = t["ticket"]["description_markdown"].as_str().unwrap();
    assert!(d.starts_with("Received by mail from zoe@stranger.test."), "{d}");
    assert!(d.contains("crashes when a row is empty"), "{d}");
    assert_eq!(t["attachments"][0]["filename"], "import.log");
    let seen = ticket(&app, &ann, ticket_id).await;
    assert_eq!(seen["ticket"]["id"], ticket_id);
    let (_, received) = app
        .call(Method::GET, "/api/v1/admin/inbound-mail", Some(&ada), None)
        .await;
    assert_eq!(received[1]["outcome"], "ticket");
    assert_eq!(received[1]["ticket_id"], ticket_id);
    // Once only.
    let (status, _) = make(&ada, acme).await;
    assert_eq!(status, StatusCode::CONFLICT);
}
