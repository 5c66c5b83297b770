//! The search outbox: one row per change to something searchable, written in the
//! transaction that makes the change, read in id order by every node's indexer
//! (`indexer.rs`) and by the meaning follower (`meaning.rs`).

use diesel::prelude::*;

use crate::db::schema::search_outbox;
use crate::db::{AnyConnection, now};
use crate::error::AppError;

/// Records that `entity` (`"topic"` or `"post"`) number `entity_id` changed, in the
/// caller's transaction: it is indexed again once that transaction commits.
pub fn record(c: &mut AnyConnection, entity: &str, entity_id: i64) -> Result<(), AppError> {
    diesel::insert_into(search_outbox::table)
        .values((
            search_outbox::entity.eq(entity),
            search_outbox::entity_id.eq(entity_id),
            search_outbox::created_at.eq(now()),
        ))
        .execute(c)?;
    Ok(())
}
