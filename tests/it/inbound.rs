//! Tickets by mail: real-world shapes of messages (plain, replies with quotes, HTML only,
//! attachments, Latin-1, auto-replies, bounces, garbage) each end as a ticket, a note or
//! a refusal with its reason, never a panic; through the library, the webhook and the
//! `parley mail ingest` command.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use crate::common::TestApp;
use parley::accounts::Role;
use parley::portal::inbound::{Outcome, ingest};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::common::PW;
const TOKEN: &str = "inbound-secret-0123456789abcdef";

async fn take(app: &TestApp, raw: &str) -> Outcome {
    ingest(&app.state, raw.replace('\n', "\r\n").as_bytes())
        .await
        .unwrap()
}

fn plain(from: &str, subject: &str, id: &str, body: &str) -> String {
    format!(
        "From: Someone <{from}>\nTo: help@vendor.test\nSubject: {subject}\nMessage-ID: <{id}@mail.test>\nDate: Mon, 23 Nov 2026 09:00:00 +0000\nContent-Type: text/plain; charset=utf-8\n\n{body}\n"
    )
}

async fn ticket(app: &TestApp, token: &str, id: i64) -> Value {
    app.call(Method::GET, &format!("/api/v1/tickets/{id}"), Some(token), None)
        .await
        .1
}

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

/// A multipart message with `parts` (each its own headers, a blank line and a body)
/// under boundary `b`.
fn multipart(from: &str, subject: &str, id: &str, kind: &str, parts: &[&str]) -> String {
    let mut raw = format!(
        "From: {from}\nTo: help@vendor.test\nSubject: {subject}\nMessage-ID: <{id}@mail.test>\nMIME-Version: 1.0\nContent-Type: multipart/{kind}; boundary=\"b\"\n\n"
    );
    for p in parts {
        raw.push_str(&format!("--b\n{p}\n"));
    }
    raw.push_str("--b--\n");
    raw
}

#[tokio::test]
async fn the_text_a_person_wrote_is_kept_whatever_the_shape_of_the_message() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    app.contact("ann@acme.test", "Acme").await;
    let ann = app.token("ann@acme.test", PW).await;
    let description = |t: &Value| t["ticket"]["description_markdown"].as_str().unwrap().to_string();

    // A message that starts with a bare "--" line is not all signature.
    let o = take(
        &app,
        &plain(
            "ann@acme.test",
            "Dashes first",
            "d1",
            "--\nThe importer skips every row after a blank line.\nIt started with 5.2.",
        ),
    )
    .await;
    assert_eq!(o.outcome, "ticket", "{o:?}");
    let t = ticket(&app, &ann, o.ticket_id.unwrap()).await;
    assert!(description(&t).contains("skips every row"), "{t}");

    // An image first, the text after it: the text is the description, the image kept.
    let gif = "R0lGODlhAQABAAAAACw=";
    let o = take(
        &app,
        &multipart(
            "ann@acme.test",
            "Screenshot of the error",
            "d2",
            "mixed",
            &[
                &format!("Content-Type: image/gif\nContent-Description: error dialog\nContent-Transfer-Encoding: base64\n\n{gif}"),
                "Content-Type: text/plain; charset=utf-8\n\nThe save button shows the dialog above every time.",
            ],
        ),
    )
    .await;
    assert_eq!(o.outcome, "ticket", "{o:?}");
    let t = ticket(&app, &ann, o.ticket_id.unwrap()).await;
    assert!(description(&t).contains("save button shows the dialog"), "{t}");
    let names: Vec<&str> = t["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["error_dialog.gif"], "{t}");

    // A forwarded message is kept whole as an .eml; a part named without an extension
    // gets its type's.
    let forwarded = "From: ops@acme.test\nSubject: Disk alert\n\nThe disk is full.";
    let o = take(
        &app,
        &multipart(
            "ann@acme.test",
            "Fwd: Disk alert",
            "d3",
            "mixed",
            &[
                "Content-Type: text/plain\n\nForwarding the alert we got this morning.",
                &format!("Content-Type: message/rfc822\n\n{forwarded}"),
                "Content-Type: application/pdf; name=\"report\"\nContent-Disposition: attachment; filename=\"report\"\nContent-Transfer-Encoding: base64\n\nJVBERi0=",
            ],
        ),
    )
    .await;
    assert_eq!(o.outcome, "ticket", "{o:?}");
    assert!(
        !o.reason.as_deref().unwrap_or_default().contains("left out"),
        "{o:?}"
    );
    let t = ticket(&app, &ann, o.ticket_id.unwrap()).await;
    let mut names: Vec<&str> = t["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["filename"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["Disk_alert.eml", "report.pdf"], "{t}");

    // A broken multipart (the closing boundary misspelt, a part's headers in the text):
    // none of its structure reaches the note.
    let broken = "From: ann@acme.test\nSubject: Broken structure\nMessage-ID: <d4@mail.test>\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"outer\"\n\n--outer\nContent-Type: text/plain; charset=utf-8\n\nThe report page is blank since Monday.\n--inner-7f3a\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\nPHA+VGhlIHJlcG9ydCBwYWdlIGlzIGJsYW5rPC9wPg==\n--outer-\n";
    let o = take(&app, broken).await;
    assert_eq!(o.outcome, "ticket", "{o:?}");
    let d = description(&ticket(&app, &ann, o.ticket_id.unwrap()).await);
    assert!(d.contains("blank since Monday"), "{d}");
    assert!(
        !d.contains("Content-Type") && !d.contains("--inner") && !d.contains("PHA+"),
        "{d}"
    );

    // A second, malformed From line does not replace the first.
    let two_froms = "From: Ann <ann@acme.test>\nTo: help@vendor.test\nSubject: Two senders\nMessage-ID: <d5@mail.test>\nFrom : mallory@elsewhere.test\nContent-Type: text/plain\n\nThe sync job has not run since the upgrade.\n";
    let o = take(&app, two_froms).await;
    assert_eq!(o.outcome, "ticket", "{o:?}");
    let t = ticket(&app, &ann, o.ticket_id.unwrap()).await;
    assert!(description(&t).contains("sync job"), "{t}");

    // A reply with nothing new in it and no file: refused, not an empty note.
    let id = o.ticket_id.unwrap();
    let before = ticket(&app, &ann, id).await["events"].as_array().unwrap().len();
    let empty = plain(
        "ann@acme.test",
        &format!("Re: [#{id}] Two senders"),
        "d6",
        "On Mon, 23 Nov 2026 at 10:00, Support <help@vendor.test> wrote:\n> What version?",
    );
    let o = take(&app, &empty).await;
    assert_eq!(o.outcome, "refused", "{o:?}");
    assert!(o.reason.as_deref().unwrap().contains("no text"), "{o:?}");
    assert_eq!(
        ticket(&app, &ann, id).await["events"].as_array().unwrap().len(),
        before
    );
}

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
        ingest(&app.state, raw.as_bytes()),
        ingest(&app.state, raw.as_bytes())
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
