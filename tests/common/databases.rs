//! A database of a test's own: a SQLite file, or a PostgreSQL database made and
//! dropped when `PARLEY_TEST_PG_URL` is set.

use super::*;

/// The PostgreSQL server to test against, if any.
pub fn pg_url() -> Option<String> {
    std::env::var("PARLEY_TEST_PG_URL").ok().filter(|u| !u.is_empty())
}

/// A database made for one test and dropped after it.
pub struct TestDb {
    pub url: DatabaseUrl,
    pub(super) pg_admin: Option<(String, String)>,
}

impl TestDb {
    pub fn new(dir: &std::path::Path) -> Self {
        match pg_url() {
            None => Self {
                url: DatabaseUrl::Sqlite(dir.join("test.db")),
                pg_admin: None,
            },
            Some(admin) => {
                let name = format!(
                    "parley_test_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::SeqCst),
                    rand_suffix()
                );
                let mut conn =
                    diesel::PgConnection::establish(&admin).expect("connect to PARLEY_TEST_PG_URL");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create database");
                let mut url = url::Url::parse(&admin).expect("PARLEY_TEST_PG_URL is a URL");
                url.set_path(&name);
                Self {
                    url: DatabaseUrl::Postgres(url.to_string()),
                    pg_admin: Some((admin, name)),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg_admin
            && let Ok(mut conn) = diesel::PgConnection::establish(admin)
        {
            let _ =
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn);
        }
    }
}

pub(super) fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    );
    h.finish() % 1_000_000
}
