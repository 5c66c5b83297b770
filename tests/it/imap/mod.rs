//! The support mailbox read over IMAP, against a real Dovecot that the test configures
//! and starts (Debian's `dovecot-imapd`, which `.ci/run` installs): every message taken
//! in once and moved to its folder only after its outcome is stored; a reader that
//! stopped in between neither loses nor doubles one; two readers take each once; and
//! `parley serve` picks new mail up while it runs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use crate::common::TestApp;
use futures_util::TryStreamExt;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

mod dovecot;

use dovecot::*;

const USER: &str = "support";

const PASSWORD: &str = "mailbox password 1";

fn message(from: &str, subject: &str, id: Option<&str>, body: &str) -> String {
    let id = id
        .map(|i| format!("Message-ID: <{i}@mail.test>\n"))
        .unwrap_or_default();
    format!(
        "From: {from}\nTo: help@vendor.test\nSubject: {subject}\n{id}Content-Type: text/plain\n\n{body}\n"
    )
}

async fn tickets(app: &TestApp) -> Vec<(i64, String)> {
    use diesel::prelude::*;
    use parley::db::schema::tickets;
    app.state
        .db
        .read(|c| {
            Ok(tickets::table
                .order(tickets::id.asc())
                .select((tickets::id, tickets::subject))
                .load(c)?)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn the_mailbox_is_read_each_message_once_and_moved_after_its_outcome() {
    let Some(dovecot) = Dovecot::start() else { return };
    // The server does not read the mailbox itself here: each pass is the test's.
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    app.contact("ann@acme.test", "Acme").await;
    let imap = dovecot.settings();

    // A ticket, a refusal, and a message with no Message-ID.
    dovecot
        .deliver(
            "INBOX",
            &message(
                "ann@acme.test",
                "Export stops at 40%",
                Some("i1"),
                "The nightly export stops at 40%.",
            ),
        )
        .await;
    dovecot
        .deliver(
            "INBOX",
            &message(
                "zoe@stranger.test",
                "Hello there",
                Some("i2"),
                "Who reads this mailbox?",
            ),
        )
        .await;
    let no_id = message(
        "ann@acme.test",
        "Login page is slow",
        None,
        "The login page takes ten seconds.",
    );
    dovecot.deliver("INBOX", &no_id).await;
    let pass = parley::imap::fetch_once(parley::imap::Mailbox::of(&app.state, &imap))
        .await
        .unwrap();
    assert_eq!((pass.taken, pass.refused, pass.busy), (3, 1, false));
    assert_eq!(dovecot.count("INBOX").await, 0);
    assert_eq!(
        dovecot.subjects("Processed").await,
        ["Export stops at 40%", "Login page is slow"]
    );
    assert_eq!(dovecot.subjects("Refused").await, ["Hello there"]);
    assert_eq!(tickets(&app).await.len(), 2);

    // A reader that stopped after storing an outcome and before moving the message:
    // read again, the message (with or without a Message-ID) is a duplicate and moved.
    dovecot
        .deliver(
            "INBOX",
            &message(
                "ann@acme.test",
                "Export stops at 40%",
                Some("i1"),
                "The nightly export stops at 40%.",
            ),
        )
        .await;
    dovecot.deliver("INBOX", &no_id).await;
    let pass = parley::imap::fetch_once(parley::imap::Mailbox::of(&app.state, &imap))
        .await
        .unwrap();
    assert_eq!(pass.taken, 2);
    assert_eq!(tickets(&app).await.len(), 2, "nothing taken in twice");
    assert_eq!(dovecot.count("INBOX").await, 0);
    assert_eq!(dovecot.count("Processed").await, 4);

    // Two readers at once: one reads, the other is told the mailbox is busy.
    for i in 0..5 {
        dovecot
            .deliver(
                "INBOX",
                &message(
                    "ann@acme.test",
                    &format!("Report {i} is empty"),
                    Some(&format!("r{i}")),
                    "The report has no rows today.",
                ),
            )
            .await;
    }
    // A second node on the same database and data directory (it gets a name of its own).
    let other = parley::app::AppState::new(app.state.settings.clone(), app.state.db.clone()).unwrap();
    let (a, b) = tokio::join!(
        parley::imap::fetch_once(parley::imap::Mailbox::of(&app.state, &imap)),
        parley::imap::fetch_once(parley::imap::Mailbox::of(&other, &imap))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.taken + b.taken, 5, "{a:?} {b:?}");
    assert!(a.busy || b.busy || a.taken == 0 || b.taken == 0, "{a:?} {b:?}");
    assert_eq!(tickets(&app).await.len(), 7);

    // A message larger than Parley takes is refused by its size, never downloaded, and
    // moved out of the way.
    let line = format!("{}\n", "x".repeat(76));
    let huge = message(
        "ann@acme.test",
        "Full dump",
        Some("big1"),
        &line.repeat(26 * 1024 * 1024 / 77 + 1000),
    );
    dovecot.deliver("INBOX", &huge).await;
    let pass = parley::imap::fetch_once(parley::imap::Mailbox::of(&app.state, &imap))
        .await
        .unwrap();
    assert_eq!((pass.taken, pass.refused), (1, 1));
    assert_eq!(dovecot.count("INBOX").await, 0);
    assert!(
        dovecot
            .subjects("Refused")
            .await
            .contains(&"Full dump".to_string())
    );

    // `parley mail fetch`, as cron runs it, with the password from a file.
    dovecot
        .deliver(
            "INBOX",
            &message(
                "ann@acme.test",
                "Sync job did not run",
                Some("c1"),
                "The sync job did not run last night.",
            ),
        )
        .await;
    let secret = app.data_dir.path().join("imap-password");
    std::fs::write(&secret, format!("{PASSWORD}\n")).unwrap();
    let settings = &app.state.settings;
    let out = crate::common::parley_cmd(&settings.data_dir, &settings.database)
        .env("PARLEY_SECRET", "test-secret-test-secret-test-secret-0123")
        .env("PARLEY_IMAP_URL", dovecot.url().trim_start_matches("--imap-url="))
        .env("PARLEY_IMAP_PASSWORD_FILE", &secret)
        .args(["mail", "fetch"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.starts_with("1 message(s) taken in"), "{said}");
    assert_eq!(tickets(&app).await.len(), 8);
}

#[tokio::test]
async fn serve_takes_new_mail_in_while_it_runs() {
    let Some(dovecot) = Dovecot::start() else { return };
    let app = TestApp::spawn_with(&[
        "--rate-limits=off",
        &dovecot.url(),
        &format!("--imap-password={PASSWORD}"),
    ])
    .await;
    app.contact("ann@acme.test", "Acme").await;
    // The server's reader is waiting on the mailbox (IDLE); a new message comes.
    tokio::time::sleep(Duration::from_secs(1)).await;
    dovecot
        .deliver(
            "INBOX",
            &message(
                "ann@acme.test",
                "Invoices are missing",
                Some("s1"),
                "No invoices were made this month.",
            ),
        )
        .await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if tickets(&app)
            .await
            .iter()
            .any(|(_, s)| s == "Invoices are missing")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not take the new mail in:\n{}",
            dovecot.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while dovecot.count("INBOX").await != 0 {
        assert!(Instant::now() < deadline, "the message was not moved");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(dovecot.subjects("Processed").await, ["Invoices are missing"]);
}

#[tokio::test]
async fn tls_and_starttls_with_the_servers_authority_trusted() {
    let Some(dovecot) = Dovecot::start_with(true) else {
        return;
    };
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    app.contact("ann@acme.test", "Acme").await;
    let ca = dovecot.dir.path().join("ca.pem");
    let starttls = parley::config::ImapSettings {
        tls: parley::config::ImapTls::StartTls,
        ca_file: Some(ca.clone()),
        ..dovecot.settings()
    };
    let tls = parley::config::ImapSettings {
        tls: parley::config::ImapTls::Tls,
        port: dovecot.tls_port.unwrap(),
        ca_file: Some(ca),
        ..dovecot.settings()
    };
    for (i, imap) in [starttls, tls].iter().enumerate() {
        let subject = format!("Backups fail on node {i}");
        let raw = message(
            "ann@acme.test",
            &subject,
            Some(&format!("t{i}")),
            "The backup job fails every night.",
        );
        dovecot.deliver("INBOX", &raw).await;
        let pass = parley::imap::fetch_once(parley::imap::Mailbox::of(&app.state, imap))
            .await
            .unwrap();
        assert_eq!(pass.taken, 1, "{imap:?}");
        // Without the authority, the certificate is not trusted and nothing is read.
        dovecot
            .deliver("INBOX", &raw.replace("Message-ID: <t", "Message-ID: <u"))
            .await;
        let untrusted = parley::config::ImapSettings {
            ca_file: None,
            ..imap.clone()
        };
        let err = parley::imap::fetch_once(parley::imap::Mailbox::of(&app.state, &untrusted))
            .await
            .unwrap_err();
        assert!(format!("{err:#}").contains("TLS"), "{err:#}");
        assert_eq!(dovecot.count("INBOX").await, 1);
        parley::imap::fetch_once(parley::imap::Mailbox::of(&app.state, imap))
            .await
            .unwrap();
    }
    assert_eq!(tickets(&app).await.len(), 4);
}
