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
