//! The database's part of `parley backup` and `parley restore`: SQLite copies itself
//! with `VACUUM INTO` (one consistent snapshot while writers go on), PostgreSQL through
//! `pg_dump` (a snapshot too) and `pg_restore`, into an empty database only.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::Db;
use crate::config::DatabaseUrl;

/// The name of the database's copy in a backup, by backend.
pub fn copy_name(url: &DatabaseUrl) -> &'static str {
    match url {
        DatabaseUrl::Sqlite(_) => "parley.db",
        DatabaseUrl::Postgres(_) => "parley.pgdump",
    }
}

/// The backend's name, as a backup's manifest records it.
pub fn backend_name(url: &DatabaseUrl) -> &'static str {
    match url {
        DatabaseUrl::Sqlite(_) => "sqlite",
        DatabaseUrl::Postgres(_) => "postgres",
    }
}

impl Db {
    /// Writes a consistent copy of the whole database into `dir`; returns its path.
    pub fn snapshot(&self, dir: &Path) -> anyhow::Result<PathBuf> {
        let out = dir.join(copy_name(self.url()));
        match self.url() {
            DatabaseUrl::Sqlite(_) => {
                let target = out
                    .to_str()
                    .context("the backup's path is not valid UTF-8")?
                    .replace('\'', "''");
                let mut conn = self.get_read()?;
                conn.batch_execute(&format!("VACUUM INTO '{target}'"))
                    .context("copying the SQLite database (VACUUM INTO)")?;
            }
            DatabaseUrl::Postgres(url) => {
                let status = Command::new("pg_dump")
                    .args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
                    .arg(&out)
                    .arg(url)
                    .status()
                    .context("running pg_dump (install PostgreSQL's client tools: postgresql-client)")?;
                if !status.success() {
                    bail!("pg_dump failed ({status}); its message is above");
                }
            }
        }
        Ok(out)
    }
}

/// Restores a database copy made by [`Db::snapshot`] into `url`, which must be empty:
/// a restore never writes over a site's data.
pub fn restore(url: &DatabaseUrl, copy: &Path) -> anyhow::Result<()> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            if path.metadata().is_ok_and(|m| m.len() > 0) {
                bail!(
                    "{} already exists: a restore makes a new database; move it away or choose another DATABASE_URL",
                    path.display()
                );
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).with_context(|| format!("making {}", parent.display()))?;
            }
            std::fs::copy(copy, path)
                .with_context(|| format!("copying {} to {}", copy.display(), path.display()))?;
        }
        DatabaseUrl::Postgres(pg) => {
            let mut conn = PgConnection::establish(pg).context("connecting to the PostgreSQL database")?;
            #[derive(QueryableByName)]
            struct Count {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let tables = diesel::sql_query(
                "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = current_schema()",
            )
            .get_result::<Count>(&mut conn)?
            .n;
            if tables > 0 {
                bail!(
                    "the database already holds {tables} tables: a restore goes into an empty database (createdb a new one)"
                );
            }
            let status = Command::new("pg_restore")
                .args(["--no-owner", "--no-privileges", "--exit-on-error", "--dbname"])
                .arg(pg)
                .arg(copy)
                .status()
                .context("running pg_restore (install PostgreSQL's client tools: postgresql-client)")?;
            if !status.success() {
                bail!("pg_restore failed ({status}); its message is above");
            }
        }
    }
    Ok(())
}
