//! Delivery through the outbox: across restarts, past a refusing SMTP server, and
//! after a sender is killed.

use super::*;

pub(super) fn test_mail(subject: &str) -> parley::mail::Mail {
    parley::mail::Mail {
        to: parley::mail::mailbox("Zed", "zed@acme.test").unwrap(),
        subject: subject.into(),
        text: "text".into(),
        html: "<p>html</p>".into(),
        message_id: None,
        in_reply_to: None,
        list_unsubscribe: Some("https://parley.test/unsubscribe/x".into()),
        auto_submitted: parley::mail::AutoSubmitted::Generated,
    }
}

#[tokio::test]
async fn queued_mail_survives_a_restart_and_goes_once() {
    let app = TestApp::spawn_with(&["--send-mail=off"]).await;
    // Queued by a process that stops before sending; the same event queues nothing more.
    let settings = app.state.settings.clone();
    let first = with_conn(&app.state.db, |c| {
        let a = parley::outbox::enqueue(c, "test:restart", &test_mail("Queued before a crash")).unwrap();
        let b = parley::outbox::enqueue(c, "test:restart", &test_mail("Queued before a crash")).unwrap();
        (a, b)
    })
    .await;
    assert_eq!(first, (true, false));
    // A message a dead sender had claimed: its lease ran out.
    with_conn(&app.state.db, |c| {
        parley::outbox::enqueue(c, "test:claimed", &test_mail("Claimed by a dead node")).unwrap();
        let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(10);
        diesel::update(mail_outbox::table.filter(mail_outbox::event_key.eq("test:claimed")))
            .set((
                mail_outbox::status.eq("sending"),
                mail_outbox::lease_until.eq(past),
            ))
            .execute(c)
            .unwrap();
    })
    .await;
    // The next process starts and sends both, once.
    let restarted = tokio::task::spawn_blocking(move || {
        let db = parley::db::Db::connect(&settings.database, 2).unwrap();
        parley::app::AppState::new(settings, db).unwrap()
    })
    .await
    .unwrap();
    let round = parley::outbox::deliver_due(&restarted.db, &restarted.mailer, &restarted.node.claims())
        .await
        .unwrap();
    assert_eq!(round.sent, 2);
    let again = parley::outbox::deliver_due(&restarted.db, &restarted.mailer, &restarted.node.claims())
        .await
        .unwrap();
    assert_eq!(again.sent, 0);
    let mails = app.mails();
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.contains("Queued before a crash"))
            .count(),
        1
    );
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.contains("Claimed by a dead node"))
            .count(),
        1
    );
    assert!(mails[0].contains("List-Unsubscribe: <https://parley.test/unsubscribe/x>"));
    let statuses: Vec<(String, i32)> = with_conn(&app.state.db, |c| {
        mail_outbox::table
            .order(mail_outbox::id.asc())
            .select((mail_outbox::status, mail_outbox::attempts))
            .load(c)
            .unwrap()
    })
    .await;
    assert_eq!(statuses, [("sent".to_string(), 1), ("sent".to_string(), 1)]);
}

/// A small SMTP server: refuses the first `refuse` messages at RCPT (451), then takes
/// every message and keeps it.
pub(super) async fn smtp_server(refuse: usize) -> (u16, Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(std::sync::Mutex::new(Vec::new()));
    let refused = Arc::new(AtomicUsize::new(0));
    let kept = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let (kept, refused) = (kept.clone(), refused.clone());
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 test ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            kept.lock().unwrap().push(std::mem::take(body));
                            data = None;
                            write.write_all(b"250 kept\r\n").await.unwrap();
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 test\r\n",
                        "RCPT" if refused.fetch_add(1, Ordering::SeqCst) < refuse => {
                            b"451 try again later\r\n"
                        }
                        "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 ok\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go on\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"502 no\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, received)
}

#[tokio::test]
async fn a_refusing_smtp_server_is_tried_again() {
    let app = TestApp::spawn_with(&["--send-mail=off"]).await;
    let (port, received) = smtp_server(1).await;
    let mut settings = app.state.settings.clone();
    settings.smtp = Some(parley::config::SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        tls: parley::config::SmtpTls::None,
        username: None,
        password: None,
    });
    let mailer = parley::mail::Mailer::from_settings(&settings).unwrap();
    with_conn(&app.state.db, |c| {
        parley::outbox::enqueue(c, "test:smtp", &test_mail("Over real SMTP")).unwrap();
    })
    .await;
    let round = parley::outbox::deliver_due(&app.state.db, &mailer, &app.state.node.claims())
        .await
        .unwrap();
    assert_eq!(round, parley::outbox::Round { sent: 0, failed: 1 });
    let (status, attempts, error, next): (String, i32, Option<String>, chrono::NaiveDateTime) =
        with_conn(&app.state.db, |c| {
            mail_outbox::table
                .select((
                    mail_outbox::status,
                    mail_outbox::attempts,
                    mail_outbox::last_error,
                    mail_outbox::next_attempt_at,
                ))
                .first(c)
                .unwrap()
        })
        .await;
    assert_eq!((status.as_str(), attempts), ("pending", 1));
    assert!(error.unwrap().contains("try again later"));
    assert!(next > chrono::Utc::now().naive_utc());
    // Not due yet: nothing happens; once due, it goes.
    let round = parley::outbox::deliver_due(&app.state.db, &mailer, &app.state.node.claims())
        .await
        .unwrap();
    assert_eq!(round, parley::outbox::Round::default());
    with_conn(&app.state.db, |c| {
        diesel::update(mail_outbox::table)
            .set(mail_outbox::next_attempt_at.eq(chrono::Utc::now().naive_utc()))
            .execute(c)
            .unwrap();
    })
    .await;
    let round = parley::outbox::deliver_due(&app.state.db, &mailer, &app.state.node.claims())
        .await
        .unwrap();
    assert_eq!(round.sent, 1);
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert!(got[0].contains("Subject: Over real SMTP"));
    let status: String = with_conn(&app.state.db, |c| {
        mail_outbox::table.select(mail_outbox::status).first(c).unwrap()
    })
    .await;
    assert_eq!(status, "sent");
}

#[tokio::test]
async fn account_mail_goes_through_the_outbox_and_waits_for_a_sender() {
    // A node that does not send queues the confirmation link; nothing is lost.
    let app = TestApp::spawn_with(&["--rate-limits=off", "--send-mail=off"]).await;
    let res = app
        .api()
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"email": "new@acme.test", "password": PW, "display_name": "New"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let status = |app: &TestApp| {
        let db = app.state.db.clone();
        async move {
            with_conn(&db, |c| {
                mail_outbox::table
                    .filter(mail_outbox::event_key.like("verify:%"))
                    .select(mail_outbox::status)
                    .load::<String>(c)
                    .unwrap()
            })
            .await
        }
    };
    assert_eq!(status(&app).await, ["pending"]);
    assert!(crate::common::mails_to(&app.mails(), "new@acme.test").is_empty());
    let mails = mails_once_delivered(&app, 1).await;
    assert_eq!(crate::common::mails_to(&mails, "new@acme.test").len(), 1);
    assert_eq!(status(&app).await, ["sent"]);

    // A node that sends delivers it before answering, as before.
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    app.verified_member("quick@acme.test", PW).await;
    assert_eq!(status(&app).await, ["sent"]);
}

/// The status and claim of every queued message, oldest first.
pub(super) fn outbox_rows(db: &parley::db::Db) -> Vec<(String, Option<String>)> {
    mail_outbox::table
        .order(mail_outbox::id.asc())
        .select((mail_outbox::status, mail_outbox::claimed_by))
        .load(&mut *db.get_write().unwrap())
        .unwrap()
}

/// Polls `check` every 100 ms for up to `seconds`.
pub(super) fn within(seconds: u64, mut check: impl FnMut() -> bool) -> bool {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while std::time::Instant::now() < until {
        if check() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    check()
}

#[test]
fn mail_a_killed_sender_had_claimed_goes_out_when_it_starts_again() {
    let dir = tempfile::tempdir().unwrap();
    let test_db = crate::common::TestDb::new(dir.path());
    let db = parley::db::Db::connect(&test_db.url, 2).unwrap();
    parley::app::prepare(&db).unwrap();
    for i in 0..3 {
        let mut c = db.get_write().unwrap();
        parley::outbox::enqueue(
            &mut c,
            &format!("test:crash:{i}"),
            &test_mail(&format!("Mail {i}")),
        )
        .unwrap();
    }
    // An SMTP server that takes the connection and never answers: the sender claims
    // the messages and waits on it.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let smtp_port = silent.local_addr().unwrap().port().to_string();
    let serve = |smtp: bool| {
        let mut cmd = crate::common::parley_cmd(dir.path(), &test_db.url);
        cmd.arg("serve")
            .env("PARLEY_BIND", format!("127.0.0.1:{}", crate::common::free_port()))
            .stdout(std::process::Stdio::null());
        if smtp {
            cmd.env("PARLEY_SMTP_HOST", "127.0.0.1")
                .env("PARLEY_SMTP_PORT", &smtp_port)
                .env("PARLEY_SMTP_TLS", "none");
        }
        cmd.spawn().unwrap()
    };
    let mut first = serve(true);
    let claimed = within(30, || outbox_rows(&db).iter().all(|(s, _)| s == "sending"));
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(claimed, "the sender claims the mail: {:?}", outbox_rows(&db));
    let node = std::fs::read_to_string(dir.path().join("node-id")).unwrap();
    for (_, by) in outbox_rows(&db) {
        assert!(
            by.as_deref().unwrap().starts_with(&format!("{}-0/", node.trim())),
            "claimed in the node's kept name: {by:?}"
        );
    }

    // Started again (mail now written to files), the node takes back its claims and
    // sends them well before their lease would have let anyone else.
    let lease = parley::outbox::LEASE.as_secs();
    let mut second = serve(false);
    let sent = within(lease / 2, || outbox_rows(&db).iter().all(|(s, _)| s == "sent"));
    second.kill().unwrap();
    second.wait().unwrap();
    assert!(sent, "sent after the restart: {:?}", outbox_rows(&db));
    let files = std::fs::read_dir(dir.path().join("mail")).unwrap().count();
    assert_eq!(files, 3, "each message once");
    drop(silent);
}
