//! The database: one `AnyConnection` type over SQLite and PostgreSQL, pools, connection
//! setup, embedded migrations, and the small amount of backend branching Parley needs.
//!
//! Every query is written once in diesel's DSL against [`AnyConnection`]. Statements
//! that `MultiConnection` cannot express (`RETURNING`) go through [`with_backend!`],
//! which compiles the same body once per backend. No other module matches on the
//! backend.

pub mod models;
pub mod schema;

use std::time::Duration;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::DatabaseUrl;
use crate::error::AppError;

/// A connection to either backend, chosen at run time from `DATABASE_URL`.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Runs `$body` with `$c` bound to the concrete connection of whichever backend `$conn`
/// is, so that backend-specific statements such as `INSERT ... RETURNING` are compiled
/// once per backend from one piece of source.
#[macro_export]
macro_rules! with_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Postgresql($c) => $body,
            $crate::db::AnyConnection::Sqlite($c) => $body,
        }
    };
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Key of the PostgreSQL advisory lock held while migrating, so that several nodes
/// starting together apply each migration once.
const MIGRATION_LOCK_KEY: i64 = 0x7061_726c_6579;

type Manager = ConnectionManager<AnyConnection>;
/// A pooled connection.
pub type Conn = PooledConnection<Manager>;

/// Connection settings applied to every new connection.
#[derive(Debug, Clone, Copy)]
struct Setup;

impl CustomizeConnection<AnyConnection, diesel::r2d2::Error> for Setup {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), diesel::r2d2::Error> {
        let sql = match conn {
            // WAL lets readers run beside the writer; busy_timeout makes a second
            // process (a CLI command, a backup) wait instead of failing.
            AnyConnection::Sqlite(_) => {
                "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 15000; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
            }
            AnyConnection::Postgresql(_) => "SET TIME ZONE 'UTC';",
        };
        conn.batch_execute(sql).map_err(diesel::r2d2::Error::QueryError)
    }
}

/// The database handle kept in the application state.
///
/// On SQLite, writes go through a pool of exactly one connection, so that writers queue
/// in the process rather than meeting `SQLITE_BUSY`; reads use a separate pool and run
/// beside the writer thanks to WAL. On PostgreSQL both handles share one pool.
#[derive(Clone)]
pub struct Db {
    read: Pool<Manager>,
    write: Pool<Manager>,
    url: DatabaseUrl,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Db {
    /// Opens the pools (creating the SQLite file and its directory when needed).
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> anyhow::Result<Self> {
        let conn_url = match url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
                }
                path.to_string_lossy().into_owned()
            }
            DatabaseUrl::Postgres(u) => u.clone(),
        };
        let build = |size: u32| {
            Pool::builder()
                .max_size(size)
                // No connections opened in the background: a command that exits while a
                // pool thread is inside libpq's connect can crash at exit.
                .min_idle(Some(0))
                .connection_timeout(Duration::from_secs(30))
                .connection_customizer(Box::new(Setup))
                .build(ConnectionManager::<AnyConnection>::new(conn_url.clone()))
                .with_context(|| format!("connecting to {url}"))
        };
        let read = build(pool_size)?;
        let write = if url.is_sqlite() { build(1)? } else { read.clone() };
        Ok(Self {
            read,
            write,
            url: url.clone(),
        })
    }

    /// The database this handle points at (password hidden when displayed).
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// A connection for work outside a request (CLI commands, start-up).
    pub fn get_write(&self) -> anyhow::Result<Conn> {
        self.write.get().context("taking a database connection")
    }

    /// A read connection for work on a thread of its own (the search indexer).
    pub fn get_read(&self) -> anyhow::Result<Conn> {
        self.read.get().context("taking a database connection")
    }

    /// Runs read-only work on a blocking thread.
    pub async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, AppError> + Send + 'static,
    {
        let pool = self.read.clone();
        run_blocking(move || {
            let mut conn = pool.get().map_err(AppError::from_pool)?;
            f(&mut conn)
        })
        .await
    }

    /// Runs work in one transaction on the write connection, on a blocking thread. An
    /// error rolls the whole transaction back.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, AppError> + Send + 'static,
    {
        let pool = self.write.clone();
        run_blocking(move || {
            let mut conn = pool.get().map_err(AppError::from_pool)?;
            write_transaction(&mut conn, f)
        })
        .await
    }

    /// Applies pending migrations and returns the names of those applied.
    pub fn migrate(&self) -> anyhow::Result<Vec<String>> {
        let mut conn = self.get_write()?;
        migrate(&mut conn)
    }

    /// Names of migrations not yet applied.
    pub fn pending_migrations(&self) -> anyhow::Result<Vec<String>> {
        let mut conn = self.read.get().context("taking a database connection")?;
        let names = match &mut *conn {
            AnyConnection::Sqlite(c) => c
                .pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| v.iter().map(|m| m.name().to_string()).collect()),
            AnyConnection::Postgresql(c) => c
                .pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.iter().map(|m| m.name().to_string()).collect()),
        };
        names.map_err(|e| anyhow::anyhow!("reading applied migrations: {e}"))
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), AppError> {
        use diesel::RunQueryDsl;
        self.read(|c| {
            diesel::sql_query("SELECT 1").execute(c)?;
            Ok(())
        })
        .await
    }
}

/// Runs `f` in a write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, taking
/// the write lock up front: a deferred transaction that reads and then writes fails at
/// once with `SQLITE_BUSY` when another process wrote in between, whatever the busy
/// timeout. Transactions opened inside `f` become savepoints.
pub fn write_transaction<T, F>(conn: &mut AnyConnection, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, AppError>,
{
    use diesel::Connection;
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Manager = <AnyConnection as Connection>::TransactionManager;
    match conn {
        AnyConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        AnyConnection::Postgresql(_) => Manager::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            if let Err(rollback) = Manager::rollback_transaction(conn) {
                tracing::error!(error = %rollback, "rolling back a transaction failed");
            }
            Err(e)
        }
    }
}

/// Applies pending migrations on one connection. On PostgreSQL an advisory lock keeps
/// two nodes from migrating at once.
pub fn migrate(conn: &mut AnyConnection) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        AnyConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect::<Vec<_>>()),
        AnyConnection::Postgresql(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.iter().map(|m| m.to_string()).collect::<Vec<_>>());
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
            result
        }
    };
    applied.map_err(|e| anyhow::anyhow!("applying migrations: {e}"))
}

async fn run_blocking<T, F>(f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("database task failed: {e}")))?
}

/// Turns a unique-constraint violation on `constraint` into a 422 on `field`.
pub trait ResultExt<T> {
    fn on_unique(self, constraint: &str, field: &str, message: &str) -> Result<T, AppError>;
}

impl<T> ResultExt<T> for Result<T, diesel::result::Error> {
    fn on_unique(self, constraint: &str, field: &str, message: &str) -> Result<T, AppError> {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info))
                if violates(info.as_ref(), constraint) =>
            {
                Err(AppError::field(field, message))
            }
            other => other.map_err(AppError::from),
        }
    }
}

/// PostgreSQL names the constraint; SQLite names the table and columns instead
/// ("UNIQUE constraint failed: users.email"), so both are matched against the
/// `<table>_<column>_key` naming the migrations use.
fn violates(info: &dyn diesel::result::DatabaseErrorInformation, constraint: &str) -> bool {
    if info.constraint_name() == Some(constraint) {
        return true;
    }
    // "UNIQUE constraint failed: flags.post_id, flags.user_id" -> flags_post_id_user_id_key
    let Some(cols) = info.message().strip_prefix("UNIQUE constraint failed: ") else {
        return false;
    };
    let mut table = "";
    let mut names = Vec::new();
    for col in cols.split(", ") {
        let Some((t, c)) = col.split_once('.') else {
            return false;
        };
        table = t;
        names.push(c);
    }
    constraint == format!("{table}_{}_key", names.join("_"))
}

/// The current time, as stored (UTC, microsecond precision on both backends).
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}
