//! The relay's schema as a numbered, append-only list of migrations, each
//! applied once in its own transaction with `PRAGMA user_version`. Never
//! edit a shipped migration: add one.

use std::path::Path;

use rusqlite::Connection;

use super::StoreError;

/// (version, SQL). Append only.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/0001_init.sql")),
    (2, include_str!("migrations/0002_security.sql")),
    (3, include_str!("migrations/0003_view.sql")),
    (4, include_str!("migrations/0004_webhooks.sql")),
    (5, include_str!("migrations/0005_mail.sql")),
    (6, include_str!("migrations/0006_view_version.sql")),
    (7, include_str!("migrations/0007_digest.sql")),
    (8, include_str!("migrations/0008_event_once.sql")),
    (9, include_str!("migrations/0009_mentions.sql")),
];

pub(super) fn apply(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > known {
        return Err(StoreError::TooNew {
            path: path.display().to_string(),
            found: current,
            known,
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_database_gets_every_migration_and_a_newer_one_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("relay.db");
        let mut conn = Connection::open(&path).expect("db");
        apply(&mut conn, &path).expect("migrate");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(version, MIGRATIONS.len() as i64);
        // Again: nothing to do.
        apply(&mut conn, &path).expect("again");
        conn.pragma_update(None, "user_version", 99).expect("newer");
        let e = apply(&mut conn, &path).expect_err("too new");
        assert!(e.to_string().contains("upgrade the relay"), "{e}");
    }

    #[test]
    fn a_relay_from_before_numbered_migrations_keeps_its_data() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("relay.db");
        let mut conn = Connection::open(&path).expect("db");
        // As the relay left it: the tables, user_version 0, some rows.
        conn.execute_batch(MIGRATIONS[0].1).expect("old schema");
        conn.execute(
            "INSERT INTO accounts (email, name, password_hash, is_admin, created_at) VALUES ('a@x', 'A', 'h', 1, 0)",
            [],
        )
        .expect("row");
        apply(&mut conn, &path).expect("migrate");
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get(0))
            .expect("count");
        assert_eq!(n, 1);
    }
}
