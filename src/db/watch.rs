//! Hearing of other nodes' writes. What a node keeps in memory is current while
//! [`Db::writes`] stays the same. On a database several nodes share, every write
//! transaction moves the `parley_writes` sequence on once it has committed, and each
//! node looks at the sequence every [`EVERY`]: when it has moved, the node counts a
//! write, and reads again what it kept. So a change made through one node shows on
//! every other within about that time (docs/DEPLOYMENT.md has the measured figure), for
//! one tiny statement per write transaction (and the sequence's move sent with the `COMMIT`) and one per look; only this site's writes
//! count, and only transactions that wrote something.

use std::time::Duration;

use diesel::RunQueryDsl;
use diesel::sql_types::BigInt;

use super::{AnyConnection, Db};

/// How often a node looks.
pub const EVERY: Duration = Duration::from_millis(200);

#[derive(diesel::QueryableByName)]
struct Seen {
    #[diesel(sql_type = BigInt)]
    last_value: i64,
}

#[derive(diesel::QueryableByName)]
struct Xid {
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    xid: Option<i64>,
}

#[derive(diesel::QueryableByName)]
struct XidStatus {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    status: Option<String>,
}

/// Whether a write transaction wrote anything, and on PostgreSQL its id when it did.
pub(super) struct Wrote {
    pub(super) any: bool,
    xid: Option<i64>,
}

#[derive(diesel::QueryableByName)]
struct Changes {
    #[diesel(sql_type = BigInt)]
    changes: i64,
}

/// On SQLite, the rows the connection has changed since it opened, read when a write
/// transaction begins and compared with [`wrote`]'s at its end; nothing on PostgreSQL.
pub(super) fn changes(c: &mut AnyConnection) -> Option<i64> {
    match c {
        AnyConnection::Sqlite(lite) => diesel::sql_query("SELECT total_changes() AS changes")
            .get_result::<Changes>(lite)
            .ok()
            .map(|n| n.changes),
        AnyConnection::Postgresql(_) => None,
    }
}

/// Whether the transaction open on `c` has written anything (PostgreSQL gives a
/// transaction an id at its first write; on SQLite the connection's count of changed
/// rows has moved since `before`): a round of a job that found nothing to do tells no
/// cache and no other node anything. When unsure, yes.
pub(super) fn wrote(c: &mut AnyConnection, before: Option<i64>) -> Wrote {
    match c {
        AnyConnection::Postgresql(pg) => {
            match diesel::sql_query("SELECT txid_current_if_assigned() AS xid").get_result::<Xid>(pg) {
                Ok(Xid { xid }) => Wrote {
                    any: xid.is_some(),
                    xid,
                },
                Err(_) => Wrote { any: true, xid: None },
            }
        }
        AnyConnection::Sqlite(_) => Wrote {
            any: match (before, changes(c)) {
                (Some(before), Some(now)) => now != before,
                _ => true,
            },
            xid: None,
        },
    }
}

/// Commits the write transaction open on `c` and, when it wrote on PostgreSQL, tells
/// the other nodes, in one round trip: `COMMIT` and the sequence's move go to the server
/// as one batch, the move after the commit, so a node that hears of it reads what was
/// committed. The connection sees the transaction end and clears diesel's record of it.
/// When the commit fails the move is not made and the error is the commit's. When the
/// commit went through and only the move failed, the write stands and is reported as
/// done: its own node has counted it already, and failing to tell only delays the
/// others until their kept values expire. A transaction inside another (a savepoint)
/// is released as diesel does.
pub(super) fn commit(c: &mut AnyConnection, wrote: &Wrote) -> diesel::QueryResult<()> {
    use diesel::Connection;
    use diesel::connection::{SimpleConnection, TransactionManager};
    type Manager = <AnyConnection as Connection>::TransactionManager;
    let outermost = matches!(
        Manager::transaction_manager_status_mut(c).transaction_depth(),
        Ok(Some(depth)) if depth.get() == 1
    );
    match c {
        AnyConnection::Postgresql(pg) if wrote.any && outermost => {
            let Err(e) = pg.batch_execute("COMMIT; SELECT nextval('parley_writes')") else {
                return Ok(());
            };
            let status = wrote.xid.and_then(|xid| {
                diesel::sql_query("SELECT txid_status($1) AS status")
                    .bind::<BigInt, _>(xid)
                    .get_result::<XidStatus>(pg)
                    .ok()
                    .and_then(|s| s.status)
            });
            if status.as_deref() == Some("committed") {
                tracing::warn!(error = %e, "a write committed, but telling the other nodes failed");
                return Ok(());
            }
            Err(e)
        }
        _ => Manager::commit_transaction(c),
    }
}

/// Starts looking, on a database several nodes share; nothing to do otherwise.
pub fn start(db: Db) {
    if !db.shared_by_nodes() {
        return;
    }
    actix_web::rt::spawn(async move {
        let mut seen = None;
        let mut tick = actix_web::rt::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = db
                .read(|c| match c {
                    AnyConnection::Postgresql(pg) => Ok(Some(
                        diesel::sql_query("SELECT last_value FROM parley_writes")
                            .get_result::<Seen>(pg)?
                            .last_value,
                    )),
                    AnyConnection::Sqlite(_) => Ok(None),
                })
                .await
                // A database away is said by /readyz; when it answers again, what was
                // kept may be stale, so an error counts as a change too.
                .unwrap_or(None);
            if now.is_none() || now != seen {
                db.heard_of_writes();
                seen = now;
            }
        }
    });
}
