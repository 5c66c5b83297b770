//! `parley backup` of a site taking writes, and `parley restore` of it elsewhere.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed step should stop a test loudly.

use crate::common::{TestApp, TestDb, parley_cmd};
use diesel::prelude::*;
use parley::db::Db;
use parley::db::schema::{posts, topics, uploads};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

#[tokio::test]
async fn a_backup_taken_under_writes_restores_elsewhere() {
    let app = TestApp::spawn().await;
    let token = app.member_token("ann@acme.test").await;
    // Staff write without the members' pace limit, so the replies keep coming.
    app.user_with_role("sam@parley.test", parley::accounts::Role::Staff, None)
        .await;
    let staff = app.token("sam@parley.test", crate::common::PW).await;
    // A question with an image, before the backup.
    let png: &[u8] = b"\x89PNG\r\n\x1a\nthe bytes of a screenshot";
    let attached = app.upload(&token, "screen.png", png).await;
    let sha = attached["sha256"].as_str().unwrap().to_string();
    let topic = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/api/v1/topics",
            Some(&token),
            Some(json!({
                "category": "questions",
                "title": "Where does the importer keep its lock?",
                "body": format!("It says the lock is held. {}", attached["markdown"].as_str().unwrap()),
            })),
        )
        .await;
    let topic_id = topic["topic"]["id"].as_i64().unwrap();

    // Replies keep coming while the backup is taken.
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (stop, acknowledged) = (stop.clone(), acknowledged.clone());
        let (client, url, token) = (
            app.api(),
            app.url(&format!("/api/v1/topics/{topic_id}/posts")),
            staff.clone(),
        );
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let res = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"body": format!("Still held, try {n}.")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
                acknowledged.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    while acknowledged.load(Ordering::SeqCst) < 5 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let before = acknowledged.load(Ordering::SeqCst);
    let url = app.state.settings.database.clone();
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path().join("backup");
    let (data, db_url) = (app.data_dir.path().to_path_buf(), url.clone());
    let out = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || {
            parley_cmd(&data, &db_url)
                .arg("backup")
                .arg(&dir)
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("Backed up") && said.contains("1 files"), "{said}");
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    let after = acknowledged.load(Ordering::SeqCst);
    let manifest: Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["files"], 1);
    // The folder holds password hashes and private tickets: its owner's alone.
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(manifest["database"].as_str().unwrap())), 0o600);
    }

    // A second backup into the same folder is refused: nothing is written over.
    let again = parley_cmd(app.data_dir.path(), &url)
        .arg("backup")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));

    // Restored into a new data directory and an empty database.
    let elsewhere = tempfile::tempdir().unwrap();
    let target = TestDb::new(elsewhere.path());
    let restored = parley_cmd(elsewhere.path(), &target.url)
        .arg("restore")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        restored.status.success(),
        "{}{}",
        String::from_utf8_lossy(&restored.stdout),
        String::from_utf8_lossy(&restored.stderr)
    );
    assert!(String::from_utf8_lossy(&restored.stdout).contains("Indexed"));

    let db = Db::connect(&target.url, 2).unwrap();
    let sha_wanted = sha.clone();
    let (title, replies, files): (String, i64, i64) = db
        .read(move |c| {
            Ok((
                topics::table.find(topic_id).select(topics::title).first(c)?,
                posts::table
                    .filter(posts::topic_id.eq(topic_id))
                    .filter(posts::number.gt(1))
                    .count()
                    .get_result(c)?,
                uploads::table
                    .filter(uploads::sha256.eq(&sha_wanted))
                    .count()
                    .get_result(c)?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(title, "Where does the importer keep its lock?");
    assert_eq!(files, 1);
    // Every reply acknowledged before the backup began is in it; none after it ended.
    assert!(
        (before as i64..=after as i64).contains(&replies),
        "{before} acknowledged before, {after} by the end, {replies} restored"
    );
    let store = parley::files::FileStore::new(elsewhere.path());
    assert_eq!(store.read(&sha).await.unwrap(), png);
    assert!(
        elsewhere.path().join("search-index").exists(),
        "the index is built anew"
    );
    drop(db);

    // Restoring over a site's data is refused.
    let over = parley_cmd(elsewhere.path(), &target.url)
        .arg("restore")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!over.status.success());
    let why = String::from_utf8_lossy(&over.stderr);
    assert!(why.contains("already"), "{why}");
}
