//! What the pools hold: a connection set up for Parley, and a manager that asks a
//! PostgreSQL connection whether it still answers only when it has not been asked for a
//! while.
//!
//! r2d2's own check sends `SELECT 1` before every use. On PostgreSQL that is a round trip
//! per request (three for a reply through the API: its token, its write, its read), and
//! round trips, not the statements, were most of the server's time under writes: the
//! thread sleeps, PostgreSQL's process wakes, twice per trip. A connection that answered
//! less than [`TRUSTED_FOR`] ago is handed out without one. A connection lost in that
//! window (the server restarted) fails one request and is asked, and dropped, at its
//! next use after it; so is one whose last work failed, at once. A SQLite connection
//! is a file opened in the process, and has no one to lose.

use super::AnyConnection;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Error, ManageConnection};
use std::time::{Duration, Instant};

/// How long a connection that answered is handed out without asking it again.
pub const TRUSTED_FOR: Duration = Duration::from_millis(500);

/// A pooled connection and when it last answered.
pub struct Pooled {
    conn: AnyConnection,
    answered: Instant,
    /// The last work on it failed: asked again before its next use.
    suspect: bool,
}

impl Pooled {
    /// Marks the connection to be asked before its next use (its work failed, perhaps
    /// because the server went away).
    pub fn distrust(&mut self) {
        self.suspect = true;
    }
}

impl std::ops::Deref for Pooled {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

/// Opens connections for a pool and checks them before use (see the module's comment).
pub struct Manager(ConnectionManager<AnyConnection>);

impl Manager {
    pub fn new(url: String) -> Self {
        Self(ConnectionManager::new(url))
    }
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = Error;

    fn connect(&self) -> Result<Pooled, Error> {
        Ok(Pooled {
            conn: self.0.connect()?,
            answered: Instant::now(),
            suspect: false,
        })
    }

    fn is_valid(&self, c: &mut Pooled) -> Result<(), Error> {
        let sqlite = matches!(c.conn, AnyConnection::Sqlite(_));
        if sqlite || (!c.suspect && c.answered.elapsed() < TRUSTED_FOR) {
            return Ok(());
        }
        self.0.is_valid(&mut c.conn)?;
        c.answered = Instant::now();
        c.suspect = false;
        Ok(())
    }

    /// Only a successful check or a new connection counts as an answer: a request that
    /// failed on a lost connection must not make it look fresh.
    fn has_broken(&self, c: &mut Pooled) -> bool {
        self.0.has_broken(&mut c.conn)
    }
}

/// Connection settings applied to every new connection. `checkpoints: false` (the
/// SQLite writer's) leaves most of the copying of the log into the database to another
/// connection (`group::checkpoint_until`): the writer itself copies only once the log
/// passes 4,096 pages, which bounds it.
#[derive(Debug, Clone, Copy)]
pub struct Setup {
    pub checkpoints: bool,
}

impl CustomizeConnection<Pooled, Error> for Setup {
    fn on_acquire(&self, conn: &mut Pooled) -> Result<(), Error> {
        let sql = match &mut conn.conn {
            // WAL lets readers run beside the writer; busy_timeout makes a second
            // process (a CLI command, a backup) wait instead of failing. Temporary
            // tables and indexes (an `IN` list, a sort without an index) stay in memory:
            // as files, each was a file created and deleted, dozens a second under
            // writes.
            AnyConnection::Sqlite(_) if self.checkpoints => {
                "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 15000; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                 PRAGMA temp_store = MEMORY;"
            }
            AnyConnection::Sqlite(_) => {
                "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 15000; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                 PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 4096;"
            }
            AnyConnection::Postgresql(_) => "SET TIME ZONE 'UTC';",
        };
        conn.conn.batch_execute(sql).map_err(Error::QueryError)
    }
}
