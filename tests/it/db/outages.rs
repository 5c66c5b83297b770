//! A database that cannot be reached, or goes away and comes back.

use super::*;

#[test]
fn a_postgres_url_that_cannot_connect_says_why_at_once() {
    // Nothing listens on port 1: refused at once, with libpq's reason, not a pool
    // timing out after half a minute.
    let err = Db::connect(
        &DatabaseUrl::Postgres("postgres://postgres@127.0.0.1:1/parley".into()),
        2,
    )
    .expect_err("no server on port 1");
    let said = format!("{err:#}");
    assert!(said.contains("refused"), "{said}");
    assert!(!said.contains("multiconnection"), "{said}");
    // A database that does not exist, on a server that answers.
    if let Some(admin) = pg_url() {
        let missing = format!("{}/parley_no_such_database", admin.rsplit_once('/').unwrap().0);
        let err = Db::connect(&DatabaseUrl::Postgres(missing), 2).expect_err("no such database");
        assert!(format!("{err:#}").contains("does not exist"), "{err:#}");
    }
}

/// A TCP relay to PostgreSQL that can be cut (every connection dropped, no new one
/// taken) and restored on the same port: the database going away and coming back.
pub(super) struct Relay {
    pub(super) port: u16,
    pub(super) open: std::sync::Arc<std::sync::atomic::AtomicBool>,
    pub(super) streams: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl Relay {
    pub(super) fn start(upstream: std::net::SocketAddr) -> Self {
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let relay = Relay {
            port: listener.local_addr().unwrap().port(),
            open: Default::default(),
            streams: Default::default(),
        };
        relay.open.store(true, Ordering::SeqCst);
        let (open, streams) = (relay.open.clone(), relay.streams.clone());
        std::thread::spawn(move || {
            loop {
                match listener.accept() {
                    Ok((client, _)) if open.load(Ordering::SeqCst) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(server) = std::net::TcpStream::connect(upstream) else {
                            continue;
                        };
                        let mut list = streams.lock().unwrap();
                        for (mut from, mut to) in [
                            (client.try_clone().unwrap(), server.try_clone().unwrap()),
                            (server.try_clone().unwrap(), client.try_clone().unwrap()),
                        ] {
                            std::thread::spawn(move || {
                                let _ = std::io::copy(&mut from, &mut to);
                                let _ = to.shutdown(std::net::Shutdown::Both);
                            });
                        }
                        list.extend([client, server]);
                    }
                    Ok((refused, _)) => drop(refused),
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
                }
            }
        });
        relay
    }

    pub(super) fn set(&self, open: bool) {
        self.open.store(open, std::sync::atomic::Ordering::SeqCst);
        if !open {
            for s in self.streams.lock().unwrap().drain(..) {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        }
    }
}

#[tokio::test]
async fn postgres_going_away_is_a_503_within_seconds_and_coming_back_heals() {
    let Some(_) = pg_url() else {
        crate::common::skipped(
            "postgres_going_away_is_a_503_within_seconds_and_coming_back_heals",
            "the database going away is a PostgreSQL case; set PARLEY_TEST_PG_URL",
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let test_db = TestDb::new(dir.path());
    let DatabaseUrl::Postgres(direct) = &test_db.url else {
        unreachable!()
    };
    let mut through = url::Url::parse(direct).unwrap();
    let upstream = std::net::ToSocketAddrs::to_socket_addrs(&(
        through.host_str().unwrap().to_string(),
        through.port().unwrap_or(5432),
    ))
    .unwrap()
    .next()
    .unwrap();
    let relay = Relay::start(upstream);
    through.set_host(Some("127.0.0.1")).unwrap();
    through.set_port(Some(relay.port)).unwrap();
    let db = Db::connect(&DatabaseUrl::Postgres(through.to_string()), 4).unwrap();
    let select = || {
        db.read(|c| {
            diesel::sql_query("SELECT 1").execute(c)?;
            Ok(())
        })
    };
    select().await.unwrap();
    db.ping().await.unwrap();

    // Away: every request is refused as unavailable (a 503), within seconds, never a
    // hang and never an internal error.
    relay.set(false);
    for _ in 0..3 {
        let answer = tokio::time::timeout(std::time::Duration::from_secs(20), select())
            .await
            .expect("a request while the database is away must not hang");
        let err = answer.expect_err("the database is away");
        assert!(
            matches!(err, parley::error::AppError::Unavailable(_)),
            "a 503, not {err:?}"
        );
    }
    let ping = tokio::time::timeout(std::time::Duration::from_secs(10), db.ping())
        .await
        .expect("ping must not hang");
    assert!(ping.is_err());

    // Back: the next request works, with no restart.
    relay.set(true);
    let mut healed = false;
    for _ in 0..50 {
        if select().await.is_ok() {
            healed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(healed, "requests work again once the database is back");
    db.ping().await.unwrap();
}

/// A write whose `COMMIT` went through stands, and is answered as done, when telling
/// the other nodes (the `parley_writes` sequence's move, sent in the same round trip)
/// fails: a reply answered 500 after it was stored would be sent again, and doubled.
#[tokio::test]
async fn a_committed_write_is_done_even_when_the_other_nodes_cannot_be_told() {
    if pg_url().is_none() {
        crate::common::skipped(
            "a_committed_write_is_done_even_when_the_other_nodes_cannot_be_told",
            "the other nodes are told through PostgreSQL; set PARLEY_TEST_PG_URL",
        );
        return;
    }
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    app.user_with_role("ann@acme.test", parley::accounts::Role::Member, None)
        .await;
    let token = app.token("ann@acme.test", crate::common::PW).await;
    let body = serde_json::json!({"category": "questions", "title": "Backups stop at night", "body": "Why?"});
    let topic = crate::common::ok(&app, &token, reqwest::Method::POST, "/api/v1/topics", Some(body)).await;
    let path = format!("/api/v1/topics/{}/posts", topic["topic"]["id"]);
    let rename = |from: &'static str, to: &'static str| {
        app.state.db.write(move |c| {
            diesel::sql_query(format!("ALTER SEQUENCE {from} RENAME TO {to}")).execute(c)?;
            Ok(())
        })
    };
    // Renaming it is itself such a write: it commits, then the move finds no sequence.
    rename("parley_writes", "parley_writes_away").await.unwrap();
    let reply = serde_json::json!({"body": "Raise the timeout."});
    let posted = app
        .expect(
            StatusCode::CREATED,
            reqwest::Method::POST,
            &path,
            Some(&token),
            Some(reply),
        )
        .await;
    rename("parley_writes_away", "parley_writes").await.unwrap();
    let thread = crate::common::ok(
        &app,
        &token,
        reqwest::Method::GET,
        &path.replace("/posts", ""),
        None,
    )
    .await;
    let stored = thread.to_string().matches("Raise the timeout.").count();
    assert_eq!(stored, 1, "the reply is stored once: {posted} {thread}");
}
