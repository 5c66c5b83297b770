//! The migrations of both backends, embedded in the binary, applied under a lock so
//! that nodes starting together apply each once.

use super::*;

pub(super) const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

pub(super) const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Key of the PostgreSQL advisory lock held while migrating, so that several nodes
/// starting together apply each migration once.
pub(super) const MIGRATION_LOCK_KEY: i64 = 0x7061_726c_6579;

/// The newest migration this binary knows for a backend (its version, as applied
/// migrations are named).
pub fn newest_known_migration(url: &DatabaseUrl) -> Option<String> {
    use diesel::migration::MigrationSource;
    let versions: Vec<String> = match url {
        DatabaseUrl::Sqlite(_) => MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.name().version().to_string()).collect())
            .unwrap_or_default(),
        DatabaseUrl::Postgres(_) => MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.name().version().to_string()).collect())
            .unwrap_or_default(),
    };
    versions.into_iter().max()
}

/// Applies pending migrations on one connection. On PostgreSQL an advisory lock keeps
/// two nodes from migrating at once.
pub fn migrate(conn: &mut AnyConnection) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        AnyConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect::<Vec<_>>()),
        AnyConnection::Postgresql(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.iter().map(|m| m.to_string()).collect::<Vec<_>>());
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
            result
        }
    };
    applied.map_err(|e| anyhow::anyhow!("applying migrations: {e}"))
}
