//! The database layer: both migration trees agree, SQLite takes concurrent writes
//! without "database is locked", and the command line works on either backend.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::Stdio;

use crate::common::{TestApp, TestDb, parley_cmd, pg_url};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use parley::config::DatabaseUrl;
use parley::db::{AnyConnection, Db};
use reqwest::StatusCode;

fn migration_names(tree: &str) -> BTreeSet<String> {
    std::fs::read_dir(format!("{}/migrations/{tree}", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn both_trees_carry_the_same_migrations() {
    let sqlite = migration_names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, migration_names("postgres"));
    for name in &sqlite {
        for tree in ["sqlite", "postgres"] {
            for file in ["up.sql", "down.sql"] {
                let path = format!("{}/migrations/{tree}/{name}/{file}", env!("CARGO_MANIFEST_DIR"));
                assert!(std::path::Path::new(&path).is_file(), "{path} is missing");
            }
        }
    }
}

#[derive(QueryableByName, Debug)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = BigInt)]
    not_null: i64,
}

/// (table, column, type family, not null) for every column of the schema.
fn columns(db: &Db) -> BTreeSet<(String, String, String, bool)> {
    let mut conn = db.get_write().unwrap();
    let rows: Vec<ColumnRow> = match &mut *conn {
        AnyConnection::Sqlite(c) => diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
             CAST((p.\"notnull\" = 1 OR p.pk > 0) AS BIGINT) AS not_null \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '__diesel%'",
        )
        .load(c)
        .unwrap(),
        AnyConnection::Postgresql(c) => diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
             data_type::text AS data_type, CAST(is_nullable = 'NO' AS INT)::BIGINT AS not_null \
             FROM information_schema.columns WHERE table_schema = current_schema() \
             AND table_name NOT LIKE '__diesel%'",
        )
        .load(c)
        .unwrap(),
    };
    rows.into_iter()
        .map(|r| {
            let family = match r.data_type.to_lowercase().as_str() {
                "integer" | "bigint" | "int" | "int8" => "integer",
                "text" | "character varying" | "varchar" => "text",
                "boolean" | "bool" => "boolean",
                "timestamp" | "timestamp without time zone" => "timestamp",
                "date" => "date",
                "blob" | "bytea" => "bytes",
                other => panic!(
                    "{}.{} has a type the parity check does not know: {other}",
                    r.table_name, r.column_name
                ),
            };
            (r.table_name, r.column_name, family.to_string(), r.not_null == 1)
        })
        .collect()
}

#[test]
fn both_trees_make_the_same_tables_and_columns() {
    let Some(_) = pg_url() else {
        crate::common::skipped(
            "both_trees_make_the_same_tables_and_columns",
            "it compares with PostgreSQL; set PARLEY_TEST_PG_URL",
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Db::connect(&DatabaseUrl::Sqlite(dir.path().join("parity.db")), 2).unwrap();
    sqlite.migrate().unwrap();
    let pg_db = TestDb::new(dir.path());
    let pg = Db::connect(&pg_db.url, 2).unwrap();
    pg.migrate().unwrap();
    let (a, b) = (columns(&sqlite), columns(&pg));
    assert!(a.iter().any(|(t, c, _, _)| t == "users" && c == "email"));
    let only_sqlite: Vec<_> = a.difference(&b).collect();
    let only_pg: Vec<_> = b.difference(&a).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "only in SQLite: {only_sqlite:#?}\nonly in PostgreSQL: {only_pg:#?}"
    );
    drop(pg);
}

#[test]
fn migrations_apply_once_and_report_nothing_pending() {
    let dir = tempfile::tempdir().unwrap();
    let test_db = TestDb::new(dir.path());
    let db = Db::connect(&test_db.url, 2).unwrap();
    assert!(!db.pending_migrations().unwrap().is_empty());
    assert!(!db.migrate().unwrap().is_empty());
    assert!(db.migrate().unwrap().is_empty());
    assert!(db.pending_migrations().unwrap().is_empty());
}

#[tokio::test]
async fn concurrent_writes_never_meet_a_locked_database() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    // A second handle on the same database plays a second process (a CLI command)
    // writing at the same time as the server.
    let url = match &app.state.settings.database {
        DatabaseUrl::Sqlite(p) => DatabaseUrl::Sqlite(p.clone()),
        DatabaseUrl::Postgres(u) => DatabaseUrl::Postgres(u.clone()),
    };
    let outside = std::thread::spawn(move || {
        let db = Db::connect(&url, 2).unwrap();
        let mut conn = db.get_write().unwrap();
        for i in 0..30 {
            parley::accounts::service::upsert_operator_user(
                &mut conn,
                &parley::accounts::service::OperatorUser {
                    email: format!("cli{i}@outside.test"),
                    name: format!("Cli {i}"),
                    role: parley::accounts::Role::Member,
                    organization: Some("Outside".into()),
                    authorized_contact: false,
                    password: "outside password".into(),
                },
                false,
            )
            .unwrap();
        }
    });
    let client = app.api();
    let mut tasks = Vec::new();
    for i in 0..48 {
        let (client, url) = (client.clone(), app.url("/api/v1/auth/signup"));
        tasks.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .json(&serde_json::json!({
                    "email": format!("load{i}@concurrent{}.test", i % 4),
                    "password": "a sturdy passphrase",
                    "display_name": format!("Load {i}"),
                }))
                .send()
                .await
                .unwrap();
            (res.status(), res.text().await.unwrap())
        }));
    }
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    outside.join().unwrap();
    // Four organizations for four new domains, however the signups interleaved.
    let admin_view = app.state.db.read(|c| {
        use parley::db::schema::organizations::dsl::*;
        Ok(organizations
            .filter(name.like("concurrent%"))
            .count()
            .get_result::<i64>(c)?)
    });
    assert_eq!(admin_view.await.unwrap(), 4);
}

#[test]
fn a_sqlite_url_whose_folder_does_not_exist_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder");
    let url = DatabaseUrl::Sqlite(missing.join("parley.db"));
    for command in [&["migrate"][..], &["serve"]] {
        let out = parley_cmd(&dir.path().join("data"), &url)
            .args(command)
            .env("PARLEY_BIND", format!("127.0.0.1:{}", crate::common::free_port()))
            .output()
            .unwrap();
        assert!(!out.status.success());
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            said.contains(&format!(
                "the folder {} of the SQLite database does not exist",
                missing.display()
            )),
            "{command:?}: {said}"
        );
        assert!(!missing.exists(), "nothing is made where the URL points");
    }
    // The data directory's own database is made with the data directory.
    let out = parley_cmd(
        &dir.path().join("fresh"),
        &DatabaseUrl::Sqlite(dir.path().join("fresh/parley.db")),
    )
    .arg("migrate")
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn command_line_creates_users_and_checks_settings() {
    let dir = tempfile::tempdir().unwrap();
    let test_db = TestDb::new(dir.path());

    let out = parley_cmd(dir.path(), &test_db.url)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("applied"));

    let mut child = parley_cmd(dir.path(), &test_db.url)
        .args([
            "user",
            "create",
            "--email",
            "ops@vendor.test",
            "--name",
            "Ops",
            "--role",
            "admin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"typed password 123\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Created Ops <ops@vendor.test> as admin"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("typed password"),
        "a typed password is never echoed"
    );

    // No password on stdin: one is generated and printed.
    let out = parley_cmd(dir.path(), &test_db.url)
        .args([
            "user",
            "create",
            "--email",
            "mem@acme.test",
            "--name",
            "Mem",
            "--org",
            "Acme",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Password: "))
        .expect("a printed password");
    assert_eq!(password.len(), 20);

    let out = parley_cmd(dir.path(), &test_db.url)
        .args(["user", "create", "--email", "ops@vendor.test", "--name", "Again"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));

    let out = parley_cmd(dir.path(), &test_db.url)
        .arg("check-config")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{:?}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("The configuration is valid."));

    let out = parley_cmd(dir.path(), &test_db.url)
        .arg("check-config")
        .env("PARLEY_BIND", "nowhere")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("PARLEY_BIND"));

    for cmd in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["user", "create", "--help"],
        vec!["migrate", "--help"],
    ] {
        let out = parley_cmd(dir.path(), &test_db.url).args(&cmd).output().unwrap();
        assert!(out.status.success(), "{cmd:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("PARLEY_DATA_DIR"),
            "{cmd:?}"
        );
    }
}

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
struct Relay {
    port: u16,
    open: std::sync::Arc<std::sync::atomic::AtomicBool>,
    streams: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl Relay {
    fn start(upstream: std::net::SocketAddr) -> Self {
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

    fn set(&self, open: bool) {
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
