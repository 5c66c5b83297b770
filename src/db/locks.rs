//! Row locks that serialize writers of the same row.
//!
//! On SQLite every write transaction already holds the database's one write lock from
//! its first statement (`BEGIN IMMEDIATE`), so two writers never interleave. On
//! PostgreSQL transactions run side by side: two replies to one topic would both read
//! the same highest post number, and two clicks of one vote would both find no vote and
//! both insert one. A writer that reads a row to decide what to write therefore locks
//! the row first (`SELECT ... FOR UPDATE`); the second writer waits for the first to
//! commit and then reads what it wrote.

use diesel::RunQueryDsl;
use diesel::sql_types::BigInt;

use super::AnyConnection;
use crate::error::AppError;

/// A row that writers lock before reading it to decide what to write.
#[derive(Debug, Clone, Copy)]
pub enum Row {
    Topic(i64),
    Post(i64),
    Ticket(i64),
}

impl Row {
    fn statement(self) -> (&'static str, i64) {
        match self {
            Row::Topic(id) => ("SELECT 1 FROM topics WHERE id = $1 FOR UPDATE", id),
            Row::Post(id) => ("SELECT 1 FROM posts WHERE id = $1 FOR UPDATE", id),
            Row::Ticket(id) => ("SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE", id),
        }
    }
}

/// Locks `row` until the transaction ends (PostgreSQL; SQLite's write lock is already
/// held). A row that does not exist locks nothing: the caller's own lookup says 404.
pub fn lock(c: &mut AnyConnection, row: Row) -> Result<(), AppError> {
    if let AnyConnection::Postgresql(pg) = c {
        let (sql, id) = row.statement();
        diesel::sql_query(sql).bind::<BigInt, _>(id).execute(pg)?;
    }
    Ok(())
}

/// Background work that one node of a cluster does at a time. On PostgreSQL each is an
/// advisory lock held by a transaction, so the database lets go of it when the node
/// holding it dies (its connection closes) and another node takes the work up on its
/// next round. On SQLite one process does all the work, and these lock nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    ArchiveClosed = 1,
    SlaAlerts = 2,
    Digests = 3,
    /// Computing threads' vectors: the node that waited reads what the other stored.
    Embedding = 4,
    PruneLimits = 5,
}

/// The first half of every job lock's key, apart from any other use of advisory locks.
const JOB_LOCK_CLASS: i32 = 0x5041_524c;

/// Takes `job` for the rest of the transaction, or answers false at once when another
/// node has it (that node is doing the work this round).
pub fn take_job(c: &mut AnyConnection, job: Job) -> Result<bool, AppError> {
    use diesel::sql_types::{Bool, Integer};
    #[derive(diesel::QueryableByName)]
    struct Taken {
        #[diesel(sql_type = Bool)]
        taken: bool,
    }
    let AnyConnection::Postgresql(pg) = c else {
        return Ok(true);
    };
    let row: Taken = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1, $2) AS taken")
        .bind::<Integer, _>(JOB_LOCK_CLASS)
        .bind::<Integer, _>(job as i32)
        .get_result(pg)?;
    Ok(row.taken)
}

/// How long a node waits for another to finish computing before computing itself.
const WAIT_FOR_OTHER_NODE: std::time::Duration = std::time::Duration::from_secs(60);

impl super::Db {
    /// Runs `work` while this node alone holds `job` across the cluster, when it can:
    /// it waits (polling, one connection held) while another node holds it, for at most
    /// a minute, then goes ahead anyway. So `work` must give the same result when two
    /// nodes do it at once; the lock only saves the second one the effort. `work` is
    /// told whether it waited, and uses connections of its own. The lock is a session
    /// lock, let go of when `work` returns (or the node dies), never held by an idle
    /// transaction that a server's timeout could end halfway.
    pub fn one_node_at_a_time<T>(
        &self,
        job: Job,
        work: impl FnOnce(bool) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        use diesel::sql_types::{Bool, Integer};
        #[derive(diesel::QueryableByName)]
        struct Taken {
            #[diesel(sql_type = Bool)]
            taken: bool,
        }
        // One process serves a SQLite site: nothing to wait for, no connection to hold.
        if !self.shared_by_nodes() {
            return work(false);
        }
        let mut holder = self.get_read()?;
        let AnyConnection::Postgresql(pg) = &mut *holder else {
            return work(false);
        };
        let started = std::time::Instant::now();
        let mut waited = false;
        let taken = loop {
            let row: Taken = diesel::sql_query("SELECT pg_try_advisory_lock($1, $2) AS taken")
                .bind::<Integer, _>(JOB_LOCK_CLASS)
                .bind::<Integer, _>(job as i32)
                .get_result(pg)?;
            if row.taken || started.elapsed() > WAIT_FOR_OTHER_NODE {
                break row.taken;
            }
            waited = true;
            std::thread::sleep(std::time::Duration::from_millis(250));
        };
        let result = work(waited);
        if taken {
            let unlocked = diesel::sql_query("SELECT pg_advisory_unlock($1, $2)")
                .bind::<Integer, _>(JOB_LOCK_CLASS)
                .bind::<Integer, _>(job as i32)
                .execute(pg);
            if let Err(e) = unlocked {
                // The connection is broken, and with it the session that held the lock.
                tracing::warn!(error = %e, "letting go of a job lock");
            }
        }
        result
    }
}
