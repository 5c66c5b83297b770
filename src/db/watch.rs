//! Hearing of other nodes' writes. What a node keeps in memory is current while
//! [`Db::writes`] stays the same; on a database several nodes share, each node also
//! looks, a few times a second, whether any transaction has ended on the server since
//! it last looked (PostgreSQL's current snapshot changes when one does), and counts
//! that as a write. So a change made through one node shows on every other within
//! about [`EVERY`], for the price of one tiny query per node, and nothing on the write
//! path.

use std::time::Duration;

use diesel::RunQueryDsl;
use diesel::sql_types::Text;

use super::{AnyConnection, Db};

/// How often a node looks.
pub const EVERY: Duration = Duration::from_millis(200);

#[derive(diesel::QueryableByName)]
struct Snapshot {
    #[diesel(sql_type = Text)]
    snapshot: String,
}

/// Starts looking, on a database several nodes share; nothing to do otherwise.
pub fn start(db: Db) {
    if !db.shared_by_nodes() {
        return;
    }
    actix_web::rt::spawn(async move {
        let mut seen = String::new();
        let mut tick = actix_web::rt::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = db
                .read(|c| match c {
                    AnyConnection::Postgresql(pg) => Ok(diesel::sql_query(
                        "SELECT pg_current_snapshot()::text AS snapshot",
                    )
                    .get_result::<Snapshot>(pg)?
                    .snapshot),
                    AnyConnection::Sqlite(_) => Ok(String::new()),
                })
                .await;
            // A database away is said by /readyz; when it answers again, what was kept
            // may be stale, so it counts as a change too.
            let now = now.unwrap_or_default();
            if now != seen {
                db.heard_of_writes();
                seen = now;
            }
        }
    });
}
