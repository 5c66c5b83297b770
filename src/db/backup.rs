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

/// `pg_dump` or `pg_restore` on `url`, with its password (if any) in `PGPASSWORD`
/// rather than on the command line, where other users' `ps` would show it.
fn pg_tool(tool: &str, url: &str) -> anyhow::Result<(Command, String)> {
    let mut parsed = url::Url::parse(url).context("reading DATABASE_URL")?;
    let mut cmd = Command::new(tool);
    if let Some(password) = parsed.password() {
        let password = percent_decode(password);
        cmd.env("PGPASSWORD", password);
        let _ = parsed.set_password(None);
    }
    Ok((cmd, parsed.to_string()))
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Makes a file readable by its owner only: a database copy holds password hashes and
/// private tickets.
fn private(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("making {} private", path.display()))?;
    }
    Ok(())
}

impl Db {
    /// Writes a consistent copy of the whole database into `dir`, readable by its
    /// owner only; returns its path.
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
                let (mut cmd, url) = pg_tool("pg_dump", url)?;
                let status = cmd
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
        private(&out)?;
        Ok(out)
    }
}

/// Refuses a database that holds anything: a restore never writes over a site's data.
pub fn check_empty(url: &DatabaseUrl) -> anyhow::Result<()> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            if path.metadata().is_ok_and(|m| m.len() > 0) {
                bail!(
                    "{} already exists: a restore makes a new database; move it away or choose another DATABASE_URL",
                    path.display()
                );
            }
            // A journal left beside the file would be replayed into the restored one.
            for suffix in ["-wal", "-shm", "-journal"] {
                let mut side = path.as_os_str().to_owned();
                side.push(suffix);
                if Path::new(&side).exists() {
                    bail!(
                        "{} is left from an earlier database: remove it before restoring",
                        Path::new(&side).display()
                    );
                }
            }
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
        }
    }
    Ok(())
}

/// Restores a database copy made by [`Db::snapshot`] into `url` (checked empty first),
/// whole or not at all: SQLite's copy takes its name only once complete, PostgreSQL's
/// restore is one transaction.
pub fn restore(url: &DatabaseUrl, copy: &Path) -> anyhow::Result<()> {
    check_empty(url)?;
    match url {
        DatabaseUrl::Sqlite(path) => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).with_context(|| format!("making {}", parent.display()))?;
            }
            let mut partial = path.as_os_str().to_owned();
            partial.push(".partial");
            let partial = PathBuf::from(partial);
            std::fs::copy(copy, &partial)
                .with_context(|| format!("copying {} to {}", copy.display(), partial.display()))?;
            private(&partial)?;
            std::fs::rename(&partial, path)?;
        }
        DatabaseUrl::Postgres(pg) => {
            let (mut cmd, pg) = pg_tool("pg_restore", pg)?;
            let status = cmd
                .args([
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--exit-on-error",
                    "--dbname",
                ])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_goes_by_the_environment_not_the_command_line() {
        let (cmd, url) =
            pg_tool("pg_dump", "postgres://parley:p%40ss+word@db.example:5432/site").expect("url");
        assert_eq!(url, "postgres://parley@db.example:5432/site");
        let password: Vec<_> = cmd.get_envs().filter(|(k, _)| *k == "PGPASSWORD").collect();
        assert_eq!(password.len(), 1);
        assert_eq!(password[0].1.and_then(|v| v.to_str()), Some("p@ss+word"));
        let (cmd, url) = pg_tool("pg_restore", "postgres://postgres@127.0.0.1/x").expect("url");
        assert_eq!(url, "postgres://postgres@127.0.0.1/x");
        assert_eq!(cmd.get_envs().count(), 0);
    }
}
