//! Append-only schema migrations, embedded in the binary.
//!
//! Each migration runs once, in order, inside one transaction with the bump of
//! `PRAGMA user_version`. A checksum of every applied migration is kept, so an
//! edited migration (which would leave old and new databases different) is
//! caught by the test below rather than in the field: never edit one, add one.

use std::path::Path;

use rusqlite::Connection;

use crate::error::{CoreError, Result};

/// (version, SQL). Append only.
pub(crate) const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/0001_init.sql")),
    (2, include_str!("migrations/0002_due_index.sql")),
    (3, include_str!("migrations/0003_listings.sql")),
    (4, include_str!("migrations/0004_task_facts.sql")),
    (5, include_str!("migrations/0005_person_renames.sql")),
    (6, include_str!("migrations/0006_pending_writes.sql")),
];

pub(crate) fn checksum(sql: &str) -> String {
    porchlight_model::ids::sha256_hex(sql.as_bytes())
}

pub(crate) fn apply(conn: &mut Connection, path: &Path) -> Result<()> {
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    let current: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| super::classify(path, e))?;
    if current > known {
        return Err(CoreError::DatabaseTooNew {
            path: path.to_path_buf(),
            found: current,
            known,
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        let tx = conn.transaction().map_err(|e| super::classify(path, e))?;
        tx.execute_batch(sql)
            .map_err(|e| super::classify(path, e))?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version INTEGER PRIMARY KEY, checksum TEXT NOT NULL) STRICT",
        )?;
        tx.execute(
            "INSERT INTO schema_migrations (version, checksum) VALUES (?1, ?2)",
            rusqlite::params![version, checksum(sql)],
        )?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_from_one_without_gaps() {
        for (i, (version, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*version, i as i64 + 1);
        }
    }

    #[test]
    fn every_migration_applies_to_a_fresh_database_and_records_its_checksum() {
        let mut conn = Connection::open_in_memory().expect("db");
        apply(&mut conn, Path::new(":memory:")).expect("migrate");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("v");
        assert_eq!(version, MIGRATIONS.len() as i64);
        let mut stmt = conn
            .prepare("SELECT version, checksum FROM schema_migrations ORDER BY version")
            .expect("stmt");
        let rows: Vec<(i64, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        let expected: Vec<(i64, String)> = MIGRATIONS
            .iter()
            .map(|(v, sql)| (*v, checksum(sql)))
            .collect();
        assert_eq!(rows, expected);
        drop(stmt);
        // Applying again is a no-op.
        apply(&mut conn, Path::new(":memory:")).expect("again");
    }

    /// The checksums of released migrations. Editing a shipped migration
    /// breaks this test: add a new migration instead.
    #[test]
    fn shipped_migrations_are_unchanged() {
        const SHIPPED: &[(i64, &str)] = &[
            (
                1,
                "0bc820be025e7b9f02ba195184d4967042c828f50fbc56cc2b85d57c7ac13ed4",
            ),
            (
                2,
                "4bc5efc67bfa1af794d2e6bc181b6d63683b0a8d4da9044fee8347df5a39d5bd",
            ),
        ];
        for (version, sum) in SHIPPED {
            let (_, sql) = MIGRATIONS[(*version - 1) as usize];
            assert_eq!(checksum(sql), *sum, "migration {version} was edited");
        }
    }

    #[test]
    fn a_database_from_an_older_build_is_upgraded_in_place() {
        let mut conn = Connection::open_in_memory().expect("db");
        let (_, first) = MIGRATIONS[0];
        conn.execute_batch(first).expect("v1 schema");
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, checksum TEXT NOT NULL) STRICT",
        )
        .expect("table");
        conn.execute(
            "INSERT INTO schema_migrations VALUES (1, ?1)",
            [checksum(first)],
        )
        .expect("row");
        conn.pragma_update(None, "user_version", 1).expect("v1");
        apply(&mut conn, Path::new(":memory:")).expect("upgrade");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("v");
        assert_eq!(version, MIGRATIONS.len() as i64);
        let index: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'tasks_by_due_at'",
                [],
                |r| r.get(0),
            )
            .expect("index");
        assert_eq!(index, 1);
    }

    #[test]
    fn the_task_facts_of_rows_written_before_them_are_filled_in() {
        let mut conn = Connection::open_in_memory().expect("db");
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, checksum TEXT NOT NULL) STRICT",
        )
        .expect("table");
        for (version, sql) in &MIGRATIONS[..3] {
            conn.execute_batch(sql).expect("older schema");
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?1, ?2)",
                rusqlite::params![version, checksum(sql)],
            )
            .expect("row");
        }
        conn.pragma_update(None, "user_version", 3).expect("v3");
        conn.execute_batch(
            r#"INSERT INTO tasks (task_id, board_id, title, column_id, position, priority,
                   created_at, updated_at, archived, json)
               VALUES ('t1', 'b', 'Open escrow', 'c', 'a', 0, 0, 0, 0,
                   '{"template":{"template":"Escrow to closing","step":3}}'),
                      ('t2', 'b', 'Call', 'c', 'b', 0, 0, 0, 0, '{}');
               INSERT INTO task_labels VALUES ('title', 't1'), ('escrow', 't1');
               INSERT INTO task_assignees VALUES ('maria', 't1');"#,
        )
        .expect("old rows");
        apply(&mut conn, Path::new(":memory:")).expect("upgrade");
        let rows: Vec<(String, String, Option<String>)> = conn
            .prepare("SELECT labels, assignees, template_step FROM tasks ORDER BY task_id")
            .expect("select")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("rows")
            .collect::<rusqlite::Result<_>>()
            .expect("read");
        assert_eq!(
            rows,
            [
                (
                    "escrow\u{1f}title".to_string(),
                    "maria".to_string(),
                    Some("Escrow to closing#3".to_string())
                ),
                (String::new(), String::new(), None),
            ]
        );
    }

    #[test]
    fn a_newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().expect("db");
        conn.pragma_update(None, "user_version", 99).expect("set");
        let err = apply(&mut conn, Path::new("x.db")).expect_err("too new");
        assert!(matches!(err, CoreError::DatabaseTooNew { found: 99, .. }));
    }
}
