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
}

/// Counts one attempt at `key` at `now_ms`; `None` when allowed, or the milliseconds
/// to wait when refused (nothing is counted then).
pub fn take(
    c: &mut AnyConnection,
    key: &str,
    now_ms: i64,
    interval_ms: i64,
    period_ms: i64,
) -> Result<Option<i64>, AppError> {
    let later = match c {
        AnyConnection::Postgresql(_) => "GREATEST",
        AnyConnection::Sqlite(_) => "MAX",
    };
    let sql = format!(
        "INSERT INTO rate_limits (key, full_at_ms) VALUES ($1, $2 + $3) \
         ON CONFLICT (key) DO UPDATE SET full_at_ms = {later}(rate_limits.full_at_ms, $2) + $3 \
         WHERE {later}(rate_limits.full_at_ms, $2) + $3 - $2 <= $4 \
         RETURNING full_at_ms"
    );
    let taken: Vec<FullAt> = crate::with_backend!(c, |c| diesel::sql_query(&sql)
        .bind::<Text, _>(key)
        .bind::<BigInt, _>(now_ms)
        .bind::<BigInt, _>(interval_ms)
        .bind::<BigInt, _>(period_ms)
        .load(c))?;
    if !taken.is_empty() {
        return Ok(None);
    }
    let held: Vec<FullAt> = crate::with_backend!(c, |c| diesel::sql_query(
        "SELECT full_at_ms FROM rate_limits WHERE key = $1"
    )
    .bind::<Text, _>(key)
    .load(c))?;
    let full_at = held.first().map_or(now_ms, |h| h.full_at_ms);
    Ok(Some(
        (full_at.max(now_ms) + interval_ms - period_ms - now_ms).max(1),
    ))
}

/// Forgets keys whose allowance is whole again; returns how many.
pub fn prune(c: &mut AnyConnection, now_ms: i64) -> Result<usize, AppError> {
    Ok(crate::with_backend!(c, |c| diesel::sql_query(
        "DELETE FROM rate_limits WHERE full_at_ms <= $1"
    )
    .bind::<BigInt, _>(now_ms)
    .execute(c))?)
}
