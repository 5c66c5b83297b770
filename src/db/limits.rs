//! Rate-limit allowances kept in the database, so that every node of a cluster counts
//! against the same ones (`web::rate_limit` decides when they are used).
//!
//! Each key holds the time its allowance is whole again (the generic cell rate
//! algorithm): an attempt moves that time on by one interval (the period divided by the
//! count) from now or from where it stood, whichever is later, and is refused when that
//! would put it more than one period ahead. One statement reads and moves it, under the
//! row's lock, so attempts on several nodes at once are counted one after the other.

use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Text};

use super::AnyConnection;
use crate::error::AppError;

#[derive(diesel::QueryableByName)]
struct FullAt {
    #[diesel(sql_type = BigInt)]
    full_at_ms: i64,
    #[diesel(sql_type = BigInt)]
    now_ms: i64,
}

/// The database server's clock in milliseconds since 1970, the same throughout one
/// statement: every node counts on the same clock, whatever its own says.
fn clock(c: &AnyConnection) -> &'static str {
    match c {
        AnyConnection::Postgresql(_) => "CAST(EXTRACT(EPOCH FROM statement_timestamp()) * 1000 AS BIGINT)",
        AnyConnection::Sqlite(_) => "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
    }
}

/// Counts one attempt at `key`; `None` when allowed, or the milliseconds to wait when
/// refused (nothing is counted then). The key is stored as its SHA-256, so a key of
/// any length (an address someone typed) takes one small row.
pub fn take(
    c: &mut AnyConnection,
    key: &str,
    interval_ms: i64,
    period_ms: i64,
) -> Result<Option<i64>, AppError> {
    use sha2::Digest;
    let key = crate::keys::hex(&sha2::Sha256::digest(key.as_bytes()));
    let later = match c {
        AnyConnection::Postgresql(_) => "GREATEST",
        AnyConnection::Sqlite(_) => "MAX",
    };
    let now = clock(c);
    let sql = format!(
        "INSERT INTO rate_limits (key, full_at_ms) VALUES ($1, {now} + $2) \
         ON CONFLICT (key) DO UPDATE SET full_at_ms = {later}(rate_limits.full_at_ms, {now}) + $2 \
         WHERE {later}(rate_limits.full_at_ms, {now}) + $2 - {now} <= $3 \
         RETURNING full_at_ms, {now} AS now_ms"
    );
    let taken: Vec<FullAt> = crate::with_backend!(c, |c| diesel::sql_query(&sql)
        .bind::<Text, _>(&key)
        .bind::<BigInt, _>(interval_ms)
        .bind::<BigInt, _>(period_ms)
        .load(c))?;
    if !taken.is_empty() {
        return Ok(None);
    }
    let sql = format!("SELECT full_at_ms, {now} AS now_ms FROM rate_limits WHERE key = $1");
    let held: Vec<FullAt> =
        crate::with_backend!(c, |c| diesel::sql_query(&sql).bind::<Text, _>(&key).load(c))?;
    Ok(Some(held.first().map_or(1, |h| {
        (h.full_at_ms.max(h.now_ms) + interval_ms - period_ms - h.now_ms).max(1)
    })))
}

/// Forgets keys whose allowance is whole again; returns how many.
pub fn prune(c: &mut AnyConnection) -> Result<usize, AppError> {
    let sql = format!("DELETE FROM rate_limits WHERE full_at_ms <= {}", clock(c));
    Ok(crate::with_backend!(c, |c| diesel::sql_query(&sql).execute(c))?)
}
