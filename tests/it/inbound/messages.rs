//! Messages to tickets, notes or refusals; the webhook's secret; a message twice.

use super::*;

#[tokio::test]
async fn messages_become_tickets_notes_or_refusals() {
    let app = TestApp::spawn_with(&[
        "--rate-limits=off",
        &format!("--inbound-mail-token={TOKEN}"),
        "--mail-trusted-authserv-id=mx.vendor.test",
    ])
    .await;
    app.contact("ann@acme.test", "Acme").await;
    app.user_with_role("bob@acme.test", Role::Member, Some("Acme"))
        .await;
    app.user_with_role("ada@vendor.test", Role::Admin, None).await;
    let ann = app.token("ann@acme.test", PW).await;
    let ada = app.token("ada@vendor.test", PW).await;

    // A plain message from an authorized contact: a ticket, from "email".
    let o = take(
        &app,
        &plain(
            "Ann@Acme.test",
            "Export stops at 40%",
            "m1",
            "The nightly export stops at 40%.\n\n-- \nAnn Smith, Acme",
        ),
    )
    .await;
    assert_eq!(o.outcome, "ticket", "{o:?}");
    let id = o.ticket_id.unwrap();
    let t = ticket(&app, &ann, id).await;
    assert_eq!(t["ticket"]["source"], "email");
    assert_eq!(t["ticket"]["subject"], "Export stops at 40%");
    assert_eq!(
        t["ticket"]["description_markdown"],
        "The nightly export stops at 40%."
    );
    // The same message again (an MTA retrying): not a second ticket.
    let again = take(
        &app,
        &plain(
            "ann@acme.test",
            "Export stops at 40%",
            "m1",
            "The nightly export stops at 40%.",
        ),
    )
    .await;
    assert_eq!((again.outcome.as_str(), again.ticket_id), ("duplicate", Some(id)));

    // A reply: a public note on the ticket, quoted text and signature cut.
    let reply = format!(
        "From: ann@acme.test\nTo: help@vendor.test\nSubject: Re: [#{id}] Export stops at 40%\nMessage-ID: <m2@mail.test>\nIn-Reply-To: <ticket-{id}.1.2@parley.test>\nContent-Type: text/plain; charset=utf-8\n\nIt happened again tonight.\n\nOn Mon, 23 Nov 2026 at 10:00, Support <help@vendor.test> wrote:\n> Please send the log.\n"
    );
    let o = take(&app, &reply).await;
    assert_eq!((o.outcome.as_str(), o.ticket_id), ("note", Some(id)), "{o:?}");
    // Matched by the thread header alone, too.
    let threaded = format!(
        "From: ann@acme.test\nSubject: Re: export\nMessage-ID: <m3@mail.test>\nReferences: <x@y> <ticket-{id}@parley.test>\nContent-Type: text/plain\n\nAnd the night before.\n"
    );
    assert_eq!(take(&app, &threaded).await.ticket_id, Some(id));
    let t = ticket(&app, &ann, id).await;
    let notes: Vec<&str> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "note")
        .map(|e| e["body_html"].as_str().unwrap())
        .collect();
    assert_eq!(notes.len(), 2);
    assert!(notes[0].contains("It happened again tonight.") && !notes[0].contains("Please send the log"));

    // HTML only, in Latin-1 quoted-printable: text, decoded, no tags.
    let html = "From: ann@acme.test\nSubject: =?ISO-8859-1?Q?Caf=E9_report_empty?=\nMessage-ID: <m4@mail.test>\nMIME-Version: 1.0\nContent-Type: text/html; charset=ISO-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n<html><body><p>The <b>caf=E9</b> report is empty.</p><script>alert(1)</script></body></html>\n";
    let o = take(&app, html).await;
    assert_eq!(o.outcome, "ticket", "{o:?}");
    let t = ticket(&app, &ann, o.ticket_id.unwrap()).await;
    assert_eq!(t["ticket"]["subject"], "Café report empty");
    let description = t["ticket"]["description_markdown"].as_str().unwrap();
    assert!(
        description.contains("café") && !description.contains('<'),
        "{description}"
    );

    // Attachments: the log is kept, the program left out and said so.
    let attached = "From: ann@acme.test\nSubject: Logs attached\nMessage-ID: <m5@mail.test>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\nHere are the logs.\n--b1\nContent-Type: text/plain; name=\"export.log\"\nContent-Disposition: attachment; filename=\"export.log\"\nContent-Transfer-Encoding: base64\n\nRVJST1IgNDIK\n--b1\nContent-Type: application/octet-stream; name=\"fix.exe\"\nContent-Disposition: attachment; filename=\"fix.exe\"\nContent-Transfer-Encoding: base64\n\nTVo=\n--b1--\n";
    let o = take(&app, attached).await;
    assert_eq!(o.outcome, "ticket", "{o:?}");
    assert!(o.reason.as_deref().unwrap().contains("fix.exe"));
    let t = ticket(&app, &ann, o.ticket_id.unwrap()).await;
    assert_eq!(t["attachments"].as_array().unwrap().len(), 1);
    assert_eq!(t["attachments"][0]["filename"], "export.log");
    assert_eq!(t["attachments"][0]["size"], 9);

    // Production Down from an authorized contact, verified by the receiving server:
    // Critical.
    let o = take(
        &app,
        &format!(
            "Authentication-Results: mx.vendor.test; dmarc=pass header.from=acme.test\n{}",
            plain(
                "ann@acme.test",
                "PRODUCTION DOWN since 9am",
                "m6",
                "Nothing loads.",
            )
        ),
    )
    .await;
    assert_eq!(
        ticket(&app, &ann, o.ticket_id.unwrap()).await["ticket"]["priority"],
        "critical"
    );

    // Refused, each with its reason, and kept for admins.
    let refusals = [
        (plain("stranger@else.test", "Hello", "r1", "Who are you?"), "not the address of an account"),
        (plain("bob@acme.test", "Me too", "r2", "Bob here."), "authorized contacts"),
        (
            "From: ann@acme.test\nSubject: Out of office\nMessage-ID: <r3@mail.test>\nAuto-Submitted: auto-replied\n\nI am away.\n".to_string(),
            "automatic reply",
        ),
        (
            "From: MAILER-DAEMON@mail.acme.test\nSubject: Undelivered Mail\nMessage-ID: <r4@mail.test>\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\n\n--r\nContent-Type: text/plain\n\nCould not deliver.\n--r--\n".to_string(),
            "bounce",
        ),
        ("\u{0}\u{1}binary garbage without headers".to_string(), "not a mail message"),
        (
            "Subject: [#\nFrom: ann@acme.test\nContent-Type: text/plain; charset=x-unknown-charset\n\n\u{ff}\u{fe} broken\n".to_string(),
            "",
        ),
    ];
    for (raw, why) in &refusals {
        let o = take(&app, raw).await;
        if why.is_empty() {
            // A broken header and an unknown charset: taken in or refused, never a panic.
            assert!(["ticket", "refused"].contains(&o.outcome.as_str()), "{o:?}");
            continue;
        }
        assert_eq!(o.outcome, "refused", "{raw}: {o:?}");
        assert!(o.reason.as_deref().unwrap().contains(why), "{why}: {o:?}");
    }
    app.expect(
        StatusCode::FORBIDDEN,
        Method::GET,
        "/api/v1/admin/inbound-mail",
        Some(&ann),
        None,
    )
    .await;
    let (_, received) = app
        .call(Method::GET, "/api/v1/admin/inbound-mail", Some(&ada), None)
        .await;
    let outcomes: Vec<&str> = received
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert!(
        outcomes.iter().filter(|o| **o == "refused").count() >= 5,
        "{outcomes:?}"
    );

    // The webhook: closed without the secret, open with it.
    let send = |token: &str| {
        app.api()
            .post(app.url("/api/v1/inbound-mail"))
            .bearer_auth(token)
            .header("content-type", "message/rfc822")
            .body(
                plain(
                    "ann@acme.test",
                    "By webhook",
                    "w1",
                    "Sent through the mail service.",
                )
                .replace('\n', "\r\n"),
            )
            .send()
    };
    assert_eq!(send("wrong").await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let res = send(TOKEN).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let o: Value = res.json().await.unwrap();
    assert_eq!(o["outcome"], "ticket");

    // The command an MTA pipes to.
    let settings = &app.state.settings;
    let mut child = crate::common::parley_cmd(&settings.data_dir, &settings.database)
        .env("PARLEY_SECRET", "test-secret-test-secret-test-secret-0123")
        .args(["mail", "ingest"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(
                plain(
                    "ann@acme.test",
                    "From the MTA",
                    "c1",
                    "Piped in by the mail server.",
                )
                .replace('\n', "\r\n")
                .as_bytes(),
            )
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("ticket #"), "{said}");
    // Too short to be a ticket: refused with what was wrong.
    let o = take(&app, &plain("ann@acme.test", "Hi", "s1", "x")).await;
    assert_eq!(o.outcome, "refused");
    assert!(
        o.reason.as_deref().unwrap().contains("at least 5 characters"),
        "{o:?}"
    );
}

#[tokio::test]
async fn the_webhook_is_closed_without_a_secret() {
    let app = TestApp::spawn().await;
    let res = app
        .api()
        .post(app.url("/api/v1/inbound-mail"))
        .body("From: a@b.test\r\n\r\nhello\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn control_characters_in_mail_are_dropped_and_the_message_kept() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    app.contact("ann@acme.test", "Acme").await;
    let ann = app.token("ann@acme.test", PW).await;
    // NUL cannot be stored by PostgreSQL: a message holding one in its subject and text
    // is taken in without it, never refused or failed for its content.
    let o = take(
        &app,
        &plain(
            "ann@acme.test",
            "Export\u{0} stops",
            "nul1",
            "The export\u{0} stops at 40%\u{7} every night.",
        ),
    )
    .await;
    assert_eq!(o.outcome, "ticket", "{o:?}");
    assert!(
        o.reason
            .as_deref()
            .unwrap_or_default()
            .contains("2 control character"),
        "{o:?}"
    );
    let t = ticket(&app, &ann, o.ticket_id.unwrap()).await;
    assert_eq!(t["ticket"]["subject"], "Export stops");
    assert_eq!(
        t["ticket"]["description_markdown"],
        "The export stops at 40% every night."
    );
}

#[tokio::test]
async fn the_same_message_twice_at_once_makes_one_ticket() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    app.contact("ann@acme.test", "Acme").await;
    let raw = plain(
        "ann@acme.test",
        "Exports are empty",
        "same1",
        "Every export is empty since Monday.",
    )
    .replace('\n', "\r\n");
    let (a, b) = tokio::join!(
        ingest(
            &app.state.db,
            &app.state.mailing,
            &app.state.settings,
            &app.state.files,
            raw.as_bytes()
        ),
        ingest(
            &app.state.db,
            &app.state.mailing,
            &app.state.settings,
            &app.state.files,
            raw.as_bytes()
        )
    );
    let outcomes: Vec<String> = [a, b]
        .into_iter()
        .map(|r| match r {
            Ok(o) => o.outcome,
            Err(e) => format!("error: {e}"),
        })
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| *o == "ticket").count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .any(|o| o == "duplicate" || o.contains("unavailable")),
        "{outcomes:?}"
    );
    // A Message-ID longer than an index holds is kept by its hash, on both databases.
    let long = "x".repeat(3000);
    let o = take(
        &app,
        &plain(
            "ann@acme.test",
            "Long identifier",
            &long,
            "A mail client with a very long id.",
        ),
    )
    .await;
    assert_eq!(o.outcome, "ticket", "{o:?}");
    let again = take(
        &app,
        &plain(
            "ann@acme.test",
            "Long identifier",
            &long,
            "A mail client with a very long id.",
        ),
    )
    .await;
    assert_eq!(again.outcome, "duplicate");
}
