//! Both migration trees: the same migrations, tables and columns, applied once.

use super::*;

pub(super) fn migration_names(tree: &str) -> BTreeSet<String> {
    std::fs::read_dir(format!("{}/migrations/{tree}", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn both_trees_carry_the_same_migrations() {
    let sqlite = migration_names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, migration_names("postgres"));
    for name in &sqlite {
        for tree in ["sqlite", "postgres"] {
            for file in ["up.sql", "down.sql"] {
                let path = format!("{}/migrations/{tree}/{name}/{file}", env!("CARGO_MANIFEST_DIR"));
                assert!(std::path::Path::new(&path).is_file(), "{path} is missing");
            }
        }
    }
}

#[derive(QueryableByName, Debug)]
pub(super) struct ColumnRow {
    #[diesel(sql_type = Text)]
    pub(super) table_name: String,
    #[diesel(sql_type = Text)]
    pub(super) column_name: String,
    #[diesel(sql_type = Text)]
    pub(super) data_type: String,
    #[diesel(sql_type = BigInt)]
    pub(super) not_null: i64,
}

/// (table, column, type family, not null) for every column of the schema.
pub(super) fn columns(db: &Db) -> BTreeSet<(String, String, String, bool)> {
    let mut conn = db.get_write().unwrap();
    let rows: Vec<ColumnRow> = match &mut *conn {
        AnyConnection::Sqlite(c) => diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
             CAST((p.\"notnull\" = 1 OR p.pk > 0) AS BIGINT) AS not_null \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '__diesel%'",
        )
        .load(c)
        .unwrap(),
        AnyConnection::Postgresql(c) => diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
             data_type::text AS data_type, CAST(is_nullable = 'NO' AS INT)::BIGINT AS not_null \
             FROM information_schema.columns WHERE table_schema = current_schema() \
             AND table_name NOT LIKE '__diesel%'",
        )
        .load(c)
        .unwrap(),
    };
    rows.into_iter()
        .map(|r| {
            let family = match r.data_type.to_lowercase().as_str() {
                "integer" | "bigint" | "int" | "int8" => "integer",
                "text" | "character varying" | "varchar" => "text",
                "boolean" | "bool" => "boolean",
                "timestamp" | "timestamp without time zone" => "timestamp",
                "date" => "date",
                "blob" | "bytea" => "bytes",
                other => panic!(
                    "{}.{} has a type the parity check does not know: {other}",
                    r.table_name, r.column_name
                ),
            };
            (r.table_name, r.column_name, family.to_string(), r.not_null == 1)
        })
        .collect()
}

#[test]
fn both_trees_make_the_same_tables_and_columns() {
    let Some(_) = pg_url() else {
        crate::common::skipped(
            "both_trees_make_the_same_tables_and_columns",
            "it compares with PostgreSQL; set PARLEY_TEST_PG_URL",
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Db::connect(&DatabaseUrl::Sqlite(dir.path().join("parity.db")), 2).unwrap();
    sqlite.migrate().unwrap();
    let pg_db = TestDb::new(dir.path());
    let pg = Db::connect(&pg_db.url, 2).unwrap();
    pg.migrate().unwrap();
    let (a, b) = (columns(&sqlite), columns(&pg));
    assert!(a.iter().any(|(t, c, _, _)| t == "users" && c == "email"));
    let only_sqlite: Vec<_> = a.difference(&b).collect();
    let only_pg: Vec<_> = b.difference(&a).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "only in SQLite: {only_sqlite:#?}\nonly in PostgreSQL: {only_pg:#?}"
    );
    drop(pg);
}

#[test]
fn migrations_apply_once_and_report_nothing_pending() {
    let dir = tempfile::tempdir().unwrap();
    let test_db = TestDb::new(dir.path());
    let db = Db::connect(&test_db.url, 2).unwrap();
    assert!(!db.pending_migrations().unwrap().is_empty());
    assert!(!db.migrate().unwrap().is_empty());
    assert!(db.migrate().unwrap().is_empty());
    assert!(db.pending_migrations().unwrap().is_empty());
}
