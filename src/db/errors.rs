//! Database errors as a person reads them: which constraint a write broke.

use super::*;

/// Turns a unique-constraint violation on `constraint` into a 422 on `field`.
pub trait ResultExt<T> {
    fn on_unique(self, constraint: &str, field: &str, message: &str) -> Result<T, AppError>;

    /// Turns any unique violation into `err`: for an insert whose only unique rules
    /// all mean "it is there already" (a link, an escalation).
    fn on_duplicate(self, err: impl FnOnce() -> AppError) -> Result<T, AppError>;
}

/// PostgreSQL names the constraint; SQLite names the table and columns instead
/// ("UNIQUE constraint failed: users.email"), so both are matched against the
/// `<table>_<column>_key` naming the migrations use.
pub(super) fn violates(info: &dyn diesel::result::DatabaseErrorInformation, constraint: &str) -> bool {
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
