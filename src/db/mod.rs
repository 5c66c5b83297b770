//! The database: one `AnyConnection` type over SQLite and PostgreSQL, pools, connection
//! setup, embedded migrations, and the small amount of backend branching Parley needs.
//!
//! Every query is written once in diesel's DSL against [`AnyConnection`]. Statements
//! that `MultiConnection` cannot express (`RETURNING`) go through [`with_backend!`],
//! which compiles the same body once per backend. No other module matches on the
//! backend.

use crate::config::DatabaseUrl;
use crate::error::AppError;
use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use pool::{Manager, Setup};
use std::time::Duration;

mod errors;
mod group;
mod migrating;
mod pool;

pub use errors::*;
pub use migrating::*;

pub mod backup;
pub mod limits;
pub mod locks;
pub mod watch;

mod memo;

pub mod models;

pub mod schema;

pub use memo::{Memo, Turns};

diesel::define_sql_function! {
    /// SQL `LOWER`, the same on both backends (for ASCII; SQLite leaves other letters).
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

diesel::define_sql_function! {
    /// SQL `COALESCE` of a number that may be missing (an aggregate over no row) and the
    /// number to take then.
    fn coalesce(x: diesel::sql_types::Nullable<diesel::sql_types::BigInt>, y: diesel::sql_types::BigInt) -> diesel::sql_types::BigInt;
}

/// A `LIKE` pattern that finds `s` anywhere, for use with `.escape('\\')`: wildcards
/// typed by a person are taken literally, so a search for "50%" finds "50%". `LIKE`
/// alone differs between the backends (SQLite ignores case, PostgreSQL does not):
/// compare `lower(column)` with `lower(pattern)`, so that the database lower-cases both
/// sides by the same rule.
pub fn like_pattern(s: &str) -> String {
    let escaped = s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

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

/// A pooled connection.
pub struct Conn(PooledConnection<Manager>);

impl std::ops::Deref for Conn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.0
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.0
    }
}

/// A write connection taken out of the pool; counts as one write when dropped.
pub struct WriteConn {
    conn: Conn,
    writes: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl std::ops::Deref for WriteConn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for WriteConn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

impl Drop for WriteConn {
    fn drop(&mut self) {
        self.writes.fetch_add(1, std::sync::atomic::Ordering::Release);
    }
}

/// The database handle kept in the application state.
///
/// On SQLite, writes go through a pool of exactly one connection, so that writers queue
/// in the process rather than meeting `SQLITE_BUSY`, and [`Db::write`] hands its work to
/// one thread that commits what is waiting together (`group`); reads use a separate
/// pool and run beside the writer thanks to WAL. On PostgreSQL both handles share one
/// pool.
#[derive(Clone)]
pub struct Db {
    read: Pool<Manager>,
    write: Pool<Manager>,
    /// SQLite's writing thread.
    writer: Option<group::Writer>,
    url: DatabaseUrl,
    /// Write transactions this process has finished; see [`Db::writes`].
    writes: std::sync::Arc<std::sync::atomic::AtomicU64>,
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
                // The folder is not made here: a mistyped path would leave a database
                // somewhere nobody looks (the data directory's own is made at start).
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
                    && !dir.is_dir()
                {
                    anyhow::bail!(
                        "the folder {} of the SQLite database does not exist: create it, or correct DATABASE_URL",
                        dir.display()
                    );
                }
                path.to_string_lossy().into_owned()
            }
            DatabaseUrl::Postgres(u) => {
                let u = with_timeouts(u);
                // One connection first, straight through libpq, so that a server that is
                // away, a refused password or a missing database is said as it is,
                // within seconds, before anything starts.
                use diesel::Connection;
                diesel::PgConnection::establish(&u)
                    .map_err(|e| anyhow::anyhow!("connecting to {url}: {}", e.to_string().trim()))?;
                u
            }
        };
        // How long a request waits for a connection. A PostgreSQL server that is away
        // must turn into a 503 within seconds, not a request hanging; SQLite's one
        // writer may have a queue to wait behind.
        let wait = if url.is_sqlite() {
            Duration::from_secs(30)
        } else {
            PG_WAIT
        };
        let build = |size: u32, checkpoints: bool| {
            Pool::builder()
                .max_size(size)
                // No connections opened in the background: a command that exits while a
                // pool thread is inside libpq's connect can crash at exit.
                .min_idle(Some(0))
                .connection_timeout(wait)
                .connection_customizer(Box::new(Setup { checkpoints }))
                .build(Manager::new(conn_url.clone()))
                .with_context(|| format!("connecting to {url}"))
        };
        let read = build(pool_size, true)?;
        let writes: std::sync::Arc<std::sync::atomic::AtomicU64> = Default::default();
        let (write, writer) = if url.is_sqlite() {
            // The writer seldom copies the log into the database itself: a thread of its
            // own does most of it, with a connection of its own, so that its waits for
            // the disk hold no write up (`group`).
            let write = build(1, false)?;
            let writer = group::Writer::start(write.clone(), build(1, true)?, writes.clone())
                .context("starting the database writer")?;
            (write, Some(writer))
        } else {
            (read.clone(), None)
        };
        Ok(Self {
            read,
            write,
            writer,
            url: url.clone(),
            writes,
        })
    }

    /// The database this handle points at (password hidden when displayed).
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Whether several nodes may share this database (PostgreSQL): what they must agree
    /// on (rate limits, stored files) is then kept in it rather than in each process.
    pub fn shared_by_nodes(&self) -> bool {
        !self.url.is_sqlite()
    }

    /// How many write transactions this process has finished, or heard another node
    /// finish (see [`watch`]). Anything kept in memory beside the number read before
    /// loading it is current for as long as the number stays the same (see
    /// `web::session`).
    pub fn writes(&self) -> u64 {
        self.writes.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Counts a write made elsewhere (another node), so that what this node keeps in
    /// memory is read again (see [`watch`]).
    pub fn heard_of_writes(&self) {
        self.writes.fetch_add(1, std::sync::atomic::Ordering::Release);
    }

    /// A connection for work outside a request (CLI commands, start-up).
    /// Its writes are counted in [`Db::writes`] when it is given back.
    pub fn get_write(&self) -> anyhow::Result<WriteConn> {
        Ok(WriteConn {
            conn: Conn(self.write.get().context("taking a database connection")?),
            writes: self.writes.clone(),
        })
    }

    /// A read connection for work on a thread of its own (the search indexer).
    pub fn get_read(&self) -> anyhow::Result<Conn> {
        self.read.get().map(Conn).context("taking a database connection")
    }

    /// Runs a short read (a few indexed lookups) on the calling thread when the
    /// database is SQLite and a connection is free at once: a hop to a blocking thread
    /// costs more than such a read. Otherwise (PostgreSQL, which answers over the
    /// network, or every connection busy) it runs as [`Db::read`] does.
    pub async fn read_quick<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, AppError> + Send + 'static,
    {
        if self.url.is_sqlite()
            && let Some(mut conn) = self.read.try_get()
        {
            return f(&mut conn);
        }
        self.read(f).await
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
            let done = f(&mut conn);
            if done.is_err() {
                conn.distrust();
            }
            done
        })
        .await
    }

    /// Runs work in one transaction on the write connection: on PostgreSQL on a
    /// blocking thread, on SQLite on the writer thread, in a savepoint of a group that
    /// commits together (see `group`). An error
    /// rolls the whole of this work back, and only it.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, AppError> + Send + 'static,
    {
        if let Some(writer) = &self.writer {
            return writer.write(f).await;
        }
        let pool = self.write.clone();
        let writes = self.writes.clone();
        run_blocking(move || {
            let mut conn = pool.get().map_err(AppError::from_pool)?;
            let (done, wrote) = counted_write_transaction(&mut conn, f);
            if done.is_err() {
                conn.distrust();
            }
            // A failure is counted too, so that no cache has to reason about rollbacks;
            // a transaction that changed nothing (a job's round with nothing to do) is
            // not, so that it leaves kept pages be.
            if wrote || done.is_err() {
                writes.fetch_add(1, std::sync::atomic::Ordering::Release);
            }
            done
        })
        .await
    }

    /// Applies pending migrations and returns the names of those applied.
    pub fn migrate(&self) -> anyhow::Result<Vec<String>> {
        let mut conn = self.get_write()?;
        migrate(&mut conn)
    }

    /// Versions of the migrations applied to this database.
    pub fn applied_migrations(&self) -> anyhow::Result<Vec<String>> {
        let mut conn = self.read.get().context("taking a database connection")?;
        let versions = match &mut **conn {
            AnyConnection::Sqlite(c) => c
                .applied_migrations()
                .map(|v| v.iter().map(ToString::to_string).collect()),
            AnyConnection::Postgresql(c) => c
                .applied_migrations()
                .map(|v| v.iter().map(ToString::to_string).collect()),
        };
        versions.map_err(|e| anyhow::anyhow!("reading applied migrations: {e}"))
    }

    /// Names of migrations not yet applied.
    pub fn pending_migrations(&self) -> anyhow::Result<Vec<String>> {
        let mut conn = self.read.get().context("taking a database connection")?;
        let names = match &mut **conn {
            AnyConnection::Sqlite(c) => c
                .pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| v.iter().map(|m| m.name().to_string()).collect()),
            AnyConnection::Postgresql(c) => c
                .pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.iter().map(|m| m.name().to_string()).collect()),
        };
        names.map_err(|e| anyhow::anyhow!("reading applied migrations: {e}"))
    }

    /// Checks that the database answers, waiting at most a second for a connection.
    pub async fn ping(&self) -> Result<(), AppError> {
        use diesel::RunQueryDsl;
        let pool = self.read.clone();
        run_blocking(move || {
            let mut c = pool
                .get_timeout(Duration::from_secs(1))
                .map_err(AppError::from_pool)?;
            diesel::sql_query("SELECT 1").execute(&mut **c)?;
            Ok(())
        })
        .await
    }
}

/// How long a request waits for a PostgreSQL connection before it is a 503.
const PG_WAIT: Duration = Duration::from_secs(3);

/// A PostgreSQL URL with libpq's timeouts added unless it sets them: connecting gives
/// up after 3 seconds, and a connection whose server stopped answering (a host gone, a
/// network cut) is dropped after 10 seconds of unacknowledged data instead of the
/// minutes TCP would wait.
fn with_timeouts(url: &str) -> String {
    let mut out = url.to_string();
    for (key, value) in [("connect_timeout", "3"), ("tcp_user_timeout", "10000")] {
        if !url.contains(&format!("{key}=")) {
            out.push(if out.contains('?') { '&' } else { '?' });
            out.push_str(&format!("{key}={value}"));
        }
    }
    out
}

/// Runs `f` in a write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, taking
/// the write lock up front: a deferred transaction that reads and then writes fails at
/// once with `SQLITE_BUSY` when another process wrote in between, whatever the busy
/// timeout. Transactions opened inside `f` become savepoints.
pub fn write_transaction<T, F>(conn: &mut AnyConnection, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, AppError>,
{
    counted_write_transaction(conn, f).0
}

/// [`write_transaction`], and whether it committed a change.
fn counted_write_transaction<T, F>(conn: &mut AnyConnection, f: F) -> (Result<T, AppError>, bool)
where
    F: FnOnce(&mut AnyConnection) -> Result<T, AppError>,
{
    match begin_and_run(conn, f) {
        Ok((value, wrote)) => (Ok(value), wrote),
        Err(e) => (Err(e), true),
    }
}

/// Begins a write transaction: on SQLite `BEGIN IMMEDIATE`, the write lock up front (see
/// [`write_transaction`]); on PostgreSQL a plain `BEGIN`.
fn begin(conn: &mut AnyConnection) -> diesel::QueryResult<()> {
    use diesel::Connection;
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    match conn {
        AnyConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"),
        AnyConnection::Postgresql(_) => {
            <AnyConnection as Connection>::TransactionManager::begin_transaction(conn)
        }
    }
}

fn begin_and_run<T, F>(conn: &mut AnyConnection, f: F) -> Result<(T, bool), AppError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, AppError>,
{
    use diesel::Connection;
    use diesel::connection::TransactionManager;
    type Manager = <AnyConnection as Connection>::TransactionManager;
    begin(conn)?;
    let before = watch::changes(conn);
    match f(conn) {
        Ok(value) => {
            let wrote = watch::wrote(conn, before);
            watch::commit(conn, &wrote)?;
            Ok((value, wrote.any))
        }
        Err(e) => {
            if let Err(rollback) = Manager::rollback_transaction(conn) {
                tracing::error!(error = %rollback, "rolling back a transaction failed");
            }
            Err(e)
        }
    }
}

/// Runs CPU or blocking work on the blocking pool, off the HTTP workers.
pub async fn run_blocking<T, F>(f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("database task failed: {e}")))?
}

/// Gathers the statistics the query planner chooses indexes by (after a bulk load).
///
/// On SQLite only the per-index summary is kept (`sqlite_stat1`): with the value
/// samples of `sqlite_stat4` present, SQLite compiles again, on every run, each
/// statement whose plan could depend on a bound value, which costs more than the
/// query itself on the pages Parley serves.
pub fn analyze(c: &mut AnyConnection) -> diesel::QueryResult<()> {
    match c {
        AnyConnection::Sqlite(c) => {
            c.batch_execute("ANALYZE; DELETE FROM sqlite_stat4; ANALYZE sqlite_schema;")
        }
        AnyConnection::Postgresql(c) => c.batch_execute("ANALYZE;"),
    }
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

    fn on_duplicate(self, err: impl FnOnce() -> AppError) -> Result<T, AppError> {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Err(err()),
            other => other.map_err(AppError::from),
        }
    }
}

/// The current time, as stored (UTC, microsecond precision on both backends).
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}
