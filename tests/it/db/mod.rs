//! The database layer: both migration trees agree, SQLite takes concurrent writes
//! without "database is locked", and the command line works on either backend.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use crate::common::{TestApp, TestDb, parley_cmd, pg_url};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use parley::config::DatabaseUrl;
use parley::db::{AnyConnection, Db};
use reqwest::StatusCode;
use std::collections::BTreeSet;
use std::io::Write;
use std::process::Stdio;

mod outages;
mod schema;

/// Many writes at once, some failing after they wrote: each stands or falls alone (on
/// SQLite they are committed in groups, each in its own savepoint), every caller gets
/// its own answer, and the count of writes has moved by the time an answer comes.
#[tokio::test]
async fn writes_at_once_stand_or_fall_each_alone() {
    let app = TestApp::spawn_with(&["--rate-limits=off"]).await;
    let db = app.state.db.clone();
    db.write(|c| {
        diesel::sql_query("CREATE TABLE group_probe (n BIGINT NOT NULL)").execute(c)?;
        Ok(())
    })
    .await
    .unwrap();
    let mut tasks = Vec::new();
    for n in 0..200i64 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let before = db.writes();
            let answer = db
                .write(move |c| {
                    diesel::sql_query("INSERT INTO group_probe (n) VALUES ($1)")
                        .bind::<BigInt, _>(n)
                        .execute(c)?;
                    if n % 3 == 0 {
                        return Err(parley::error::AppError::Conflict(format!("{n} is refused")));
                    }
                    if n % 5 == 1 {
                        // A transaction of its own inside, which fails and is let go:
                        // only what it wrote goes.
                        use diesel::Connection;
                        let inner: Result<(), diesel::result::Error> = c.transaction(|c| {
                            diesel::sql_query("INSERT INTO group_probe (n) VALUES ($1)")
                                .bind::<BigInt, _>(-n)
                                .execute(c)?;
                            Err(diesel::result::Error::RollbackTransaction)
                        });
                        assert!(inner.is_err());
                    }
                    Ok(n * 10)
                })
                .await;
            assert!(
                db.writes() > before,
                "the write of {n} was not counted before its answer"
            );
            (n, answer)
        }));
    }
    for t in tasks {
        let (n, answer) = t.await.unwrap();
        match answer {
            Ok(v) => assert!(n % 3 != 0 && v == n * 10, "{n}: {v}"),
            Err(e) => assert!(
                n % 3 == 0 && e.to_string().contains(&format!("{n} is refused")),
                "{n}: {e}"
            ),
        }
    }
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let kept: BTreeSet<i64> = db
        .read(|c| Ok(diesel::sql_query("SELECT n FROM group_probe").load::<Row>(c)?))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.n)
        .collect();
    assert_eq!(kept, (0..200).filter(|n| n % 3 != 0).collect::<BTreeSet<_>>());
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
