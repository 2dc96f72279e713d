//! Moving a relay between backends, and SQLite backups.
//!
//! `porchlight-relay migrate-storage --from DATA_DIR --to postgres://…`
//! copies every table of an SQLite relay into an empty PostgreSQL database
//! with the same ids (then moves PostgreSQL's id sequences past them), in
//! batches, saying how far it got. `backup` copies a live SQLite database
//! with SQLite's online backup API (consistent while a relay serves it);
//! `restore` puts a backup in place of a stopped relay's database.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use tokio_postgres::types::ToSql;

use super::StoreError;

/// Rows copied per PostgreSQL transaction.
const BATCH: usize = 500;

#[derive(Debug, Clone, Copy)]
enum Kind {
    Int,
    OptInt,
    /// INTEGER (32 bits) in PostgreSQL.
    Int32,
    OptInt32,
    Text,
    OptText,
    /// REAL in SQLite, DOUBLE PRECISION in PostgreSQL.
    OptReal,
    Bool,
    Bytes,
}

/// The tables in the order their references need, with their columns.
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    (
        "accounts",
        &[
            ("id", Kind::Int),
            ("email", Kind::Text),
            ("name", Kind::Text),
            ("password_hash", Kind::Text),
            ("is_admin", Kind::Bool),
            ("created_at", Kind::Int),
            ("time_zone", Kind::OptText),
            ("digest", Kind::Bool),
            ("digest_sent_on", Kind::OptText),
            ("digest_token", Kind::OptText),
            ("mention_mail", Kind::Bool),
        ],
    ),
    (
        "devices",
        &[
            ("id", Kind::Int),
            ("account_id", Kind::Int),
            ("name", Kind::Text),
            ("token_hash", Kind::Text),
            ("created_at", Kind::Int),
            ("last_used_at", Kind::Int),
            ("revoked", Kind::Bool),
        ],
    ),
    (
        "teams",
        &[
            ("id", Kind::Int),
            ("name", Kind::Text),
            ("workspace_doc", Kind::Text),
            ("created_at", Kind::Int),
            ("stored_bytes", Kind::Int),
            ("view_version", Kind::Int),
            ("deleted_task_days", Kind::OptInt32),
        ],
    ),
    (
        "members",
        &[
            ("team_id", Kind::Int),
            ("account_id", Kind::Int),
            ("role", Kind::Text),
        ],
    ),
    (
        "invites",
        &[
            ("code_hash", Kind::Text),
            ("team_id", Kind::Int),
            ("role", Kind::Text),
            ("expires_at", Kind::Int),
            ("created_by", Kind::Int),
        ],
    ),
    (
        "documents",
        &[
            ("doc_id", Kind::Text),
            ("team_id", Kind::Int),
            ("created_at", Kind::Int),
        ],
    ),
    (
        "api_keys",
        &[
            ("id", Kind::Int),
            ("team_id", Kind::Int),
            ("name", Kind::Text),
            ("scope", Kind::Text),
            ("token_hash", Kind::Text),
            ("created_by", Kind::Int),
            ("created_at", Kind::Int),
            ("expires_at", Kind::OptInt),
            ("last_used_at", Kind::OptInt),
            ("revoked", Kind::Bool),
        ],
    ),
    (
        "audit",
        &[
            ("id", Kind::Int),
            ("at", Kind::Int),
            ("event", Kind::Text),
            ("actor", Kind::OptInt),
            ("team_id", Kind::OptInt),
            ("source", Kind::OptText),
            ("target", Kind::OptText),
        ],
    ),
    (
        "chunks",
        &[
            ("id", Kind::Int),
            ("doc_id", Kind::Text),
            ("data", Kind::Bytes),
        ],
    ),
    (
        "view_boards",
        &[
            ("doc_id", Kind::Text),
            ("team_id", Kind::Int),
            ("name", Kind::Text),
            ("deleted", Kind::Bool),
            ("updated_at", Kind::Int),
        ],
    ),
    (
        "view_tasks",
        &[
            ("doc_id", Kind::Text),
            ("task_id", Kind::Text),
            ("team_id", Kind::Int),
            ("due_at", Kind::OptInt),
            ("done", Kind::Bool),
            ("deleted", Kind::Bool),
            ("updated_at", Kind::Int),
            ("data", Kind::Text),
        ],
    ),
    (
        "view_listings",
        &[
            ("doc_id", Kind::Text),
            ("listing_key", Kind::Text),
            ("team_id", Kind::Int),
            ("list_price", Kind::OptReal),
            ("status", Kind::OptText),
        ],
    ),
    (
        "calendar_feeds",
        &[
            ("id", Kind::Int),
            ("secret", Kind::Text),
            ("account_id", Kind::Int),
            ("team_id", Kind::Int),
            ("board", Kind::Text),
            ("mine", Kind::Bool),
            ("created_at", Kind::Int),
        ],
    ),
    (
        "webhooks",
        &[
            ("id", Kind::Int),
            ("team_id", Kind::Int),
            ("url", Kind::Text),
            ("secret", Kind::Text),
            ("events", Kind::Text),
            ("board", Kind::Text),
            ("format", Kind::Text),
            ("created_by", Kind::Int),
            ("created_at", Kind::Int),
            ("disabled_at", Kind::OptInt),
            ("removed", Kind::Bool),
        ],
    ),
    (
        "deliveries",
        &[
            ("id", Kind::Int),
            ("webhook_id", Kind::Int),
            ("event_id", Kind::Text),
            ("event", Kind::Text),
            ("body", Kind::Text),
            ("state", Kind::Text),
            ("attempts", Kind::Int32),
            ("next_at", Kind::Int),
            ("created_at", Kind::Int),
            ("last_status", Kind::OptInt32),
            ("last_error", Kind::OptText),
            ("latency_ms", Kind::OptInt),
            ("done_at", Kind::OptInt),
        ],
    ),
    (
        "mention_mail",
        &[
            ("id", Kind::Int),
            ("mention", Kind::Text),
            ("team_id", Kind::Int),
            ("name", Kind::Text),
            ("author", Kind::Text),
            ("board", Kind::Text),
            ("title", Kind::Text),
            ("text", Kind::Text),
            ("created_at", Kind::Int),
            ("claimed_at", Kind::OptInt),
            ("sent_at", Kind::OptInt),
        ],
    ),
    (
        "password_resets",
        &[
            ("code_hash", Kind::Text),
            ("account_id", Kind::Int),
            ("expires_at", Kind::Int),
            ("used", Kind::Bool),
        ],
    ),
];

/// Tables whose `id` comes from a sequence in PostgreSQL.
const SEQUENCED: &[&str] = &[
    "accounts",
    "devices",
    "teams",
    "api_keys",
    "audit",
    "chunks",
    "calendar_feeds",
    "webhooks",
    "deliveries",
    "mention_mail",
];

#[derive(Debug)]
enum Cell {
    Int(i64),
    OptInt(Option<i64>),
    Int32(i32),
    OptInt32(Option<i32>),
    Text(String),
    OptText(Option<String>),
    OptReal(Option<f64>),
    Bool(bool),
    Bytes(Vec<u8>),
}

impl Cell {
    fn read(row: &rusqlite::Row<'_>, i: usize, kind: Kind) -> rusqlite::Result<Self> {
        Ok(match kind {
            Kind::Int => Cell::Int(row.get(i)?),
            Kind::OptInt => Cell::OptInt(row.get(i)?),
            Kind::Int32 => Cell::Int32(row.get(i)?),
            Kind::OptInt32 => Cell::OptInt32(row.get(i)?),
            Kind::Text => Cell::Text(row.get(i)?),
            Kind::OptText => Cell::OptText(row.get(i)?),
            Kind::OptReal => Cell::OptReal(row.get(i)?),
            Kind::Bool => Cell::Bool(row.get::<_, i64>(i)? != 0),
            Kind::Bytes => Cell::Bytes(row.get(i)?),
        })
    }

    fn sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Cell::Int(v) => v,
            Cell::OptInt(v) => v,
            Cell::Int32(v) => v,
            Cell::OptInt32(v) => v,
            Cell::Text(v) => v,
            Cell::OptText(v) => v,
            Cell::OptReal(v) => v,
            Cell::Bool(v) => v,
            Cell::Bytes(v) => v,
        }
    }
}

/// Copies the SQLite relay database at `from` into the empty PostgreSQL
/// database at `url` (migrated first); `progress` hears (table, rows so far).
pub async fn sqlite_to_postgres(
    from: &Path,
    url: &str,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<Vec<(String, u64)>, StoreError> {
    if !from.exists() {
        return Err(StoreError::Invalid(format!(
            "there is no relay database at {}; give the relay's --data-dir",
            from.display()
        )));
    }
    // Brings the source's schema up to date (an older relay's file).
    super::SqliteStore::open(from)?;
    let src = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    super::sqlite::attach(&src, &super::sqlite::outbox_path(from), "outbox")?;
    let target = super::PgStore::connect(url).await?;
    let mut client = target.client().await?;
    let existing: i64 = client
        .query_one("SELECT COUNT(*) FROM accounts", &[])
        .await?
        .get(0);
    if existing > 0 {
        return Err(StoreError::Invalid(format!(
            "the PostgreSQL database already has {existing} accounts; migrate into an empty database (createdb a new one)"
        )));
    }
    let mut report = Vec::new();
    for (table, columns) in TABLES {
        let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
        let select = format!("SELECT {} FROM {table} ORDER BY rowid", names.join(", "));
        let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
        let insert = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            placeholders.join(", ")
        );
        let mut stmt = src.prepare(&select)?;
        let mut rows = stmt.query([])?;
        let mut batch: Vec<Vec<Cell>> = Vec::with_capacity(BATCH);
        let mut copied = 0u64;
        loop {
            let row = rows.next()?;
            if let Some(row) = row {
                let cells = columns
                    .iter()
                    .enumerate()
                    .map(|(i, (_, kind))| Cell::read(row, i, *kind))
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                batch.push(cells);
            }
            if batch.len() >= BATCH || (row.is_none() && !batch.is_empty()) {
                let tx = client.transaction().await?;
                let statement = tx.prepare(&insert).await?;
                for cells in &batch {
                    let params: Vec<&(dyn ToSql + Sync)> = cells.iter().map(Cell::sql).collect();
                    tx.execute(&statement, &params).await?;
                }
                tx.commit().await?;
                copied += batch.len() as u64;
                batch.clear();
                progress(table, copied);
            }
            if row.is_none() {
                break;
            }
        }
        report.push((table.to_string(), copied));
    }
    for table in SEQUENCED {
        client
            .execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1))"
                ),
                &[],
            )
            .await?;
    }
    Ok(report)
}

/// A consistent copy of the SQLite database at `from` (live or not) in
/// the new file `to`.
pub fn backup(from: &Path, to: &Path) -> Result<(), StoreError> {
    if !from.exists() {
        return Err(StoreError::Invalid(format!(
            "there is no relay database at {}; give the relay's --data-dir",
            from.display()
        )));
    }
    if to.exists() {
        return Err(StoreError::Invalid(format!(
            "{} exists; name a new file for the backup",
            to.display()
        )));
    }
    let src = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut dst = Connection::open(to)?;
    {
        let backup = rusqlite::backup::Backup::new(&src, &mut dst)?;
        backup.run_to_completion(256, std::time::Duration::from_millis(5), None)?;
    }
    // The webhook deliveries (their own file) go into the backup's main
    // file, read in one transaction; the relay moves them back into an
    // outbox file when it opens the restored database. Deliveries made
    // between the two copies may name an endpoint the copy does not have;
    // such a delivery is never sent.
    let outbox = super::sqlite::outbox_path(from);
    if outbox.exists() {
        super::sqlite::attach(&dst, &outbox, "outbox")?;
        let tx = dst.transaction()?;
        tx.execute_batch(&super::sqlite::outbox_schema("main"))?;
        tx.execute(
            &format!(
                "INSERT OR IGNORE INTO main.deliveries ({cols}) SELECT {cols} FROM outbox.deliveries",
                cols = super::sqlite::DELIVERY_COLUMNS
            ),
            [],
        )?;
        tx.commit()?;
        dst.execute("DETACH DATABASE outbox", [])?;
    }
    Ok(())
}

/// Puts the backup `from` in place as the database `to` of a stopped
/// relay; refuses a file that is not a relay database, and (unless
/// `force`) an existing database.
pub fn restore(from: &Path, to: &Path, force: bool) -> Result<(), StoreError> {
    let check = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| StoreError::Invalid(format!("{} cannot be read: {e}", from.display())))?;
    let is_relay: bool = check
        .query_row(
            "SELECT COUNT(*) = 2 FROM sqlite_master WHERE name IN ('accounts', 'chunks')",
            [],
            |r| r.get(0),
        )
        .map_err(|e| {
            StoreError::Invalid(format!("{} is not a relay database: {e}", from.display()))
        })?;
    if !is_relay {
        return Err(StoreError::Invalid(format!(
            "{} is not a relay database (no accounts or chunks)",
            from.display()
        )));
    }
    drop(check);
    if to.exists() && !force {
        return Err(StoreError::Invalid(format!(
            "{} exists; stop the relay and add --force to replace it",
            to.display()
        )));
    }
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Internal(format!("cannot create {}: {e}", dir.display())))?;
    }
    let partial = to.with_extension("db.restoring");
    std::fs::copy(from, &partial)
        .map_err(|e| StoreError::Internal(format!("cannot copy {}: {e}", from.display())))?;
    // The restored file carries its deliveries; the old outbox goes.
    let outbox = super::sqlite::outbox_path(to);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", to.display()));
        let _ = std::fs::remove_file(format!("{}{suffix}", outbox.display()));
    }
    let _ = std::fs::remove_file(&outbox);
    std::fs::rename(&partial, to)
        .map_err(|e| StoreError::Internal(format!("cannot put the backup in place: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Storage;

    #[tokio::test]
    async fn a_backup_carries_the_pending_webhook_deliveries_into_the_restored_relay() {
        let dir = tempfile::tempdir().expect("dir");
        let live = dir.path().join("live/relay.db");
        std::fs::create_dir_all(live.parent().expect("dir")).expect("mkdir");
        let (store, team, hook) = crate::store::sqlite::tests::with_deliveries(&live, 3).await;
        let copy = dir.path().join("backup.db");
        backup(&live, &copy).expect("backup");
        drop(store);

        let restored = dir.path().join("restored/relay.db");
        // An outbox already there (an older relay's) is replaced.
        std::fs::create_dir_all(restored.parent().expect("dir")).expect("mkdir");
        std::fs::write(crate::store::sqlite::outbox_path(&restored), b"stale").expect("stale");
        restore(&copy, &restored, false).expect("restore");
        let store = crate::store::SqliteStore::open(&restored).expect("open");
        let log = store.deliveries(team, hook, None, 10).await.expect("log");
        assert_eq!(log.len(), 3);
        assert!(log.iter().all(|d| d.state == "pending"));
    }

    /// A table added to the schema but not to [`TABLES`] would be left
    /// behind by `migrate-storage`.
    #[test]
    fn every_table_and_column_of_the_sqlite_schema_is_copied() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("relay.db");
        drop(crate::store::SqliteStore::open(&path).expect("store"));
        let conn = Connection::open(&path).expect("db");
        crate::store::sqlite::attach(&conn, &crate::store::sqlite::outbox_path(&path), "outbox")
            .expect("outbox");
        let mut stmt = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table'
                 UNION ALL SELECT name FROM outbox.sqlite_master WHERE type = 'table' ORDER BY name",
            )
            .expect("tables");
        let tables: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        let mut known: Vec<&str> = TABLES.iter().map(|(t, _)| *t).collect();
        known.sort_unstable();
        assert_eq!(tables, known);
        for (table, columns) in TABLES {
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
                ))
                .expect("columns");
            let mut have: Vec<String> = stmt
                .query_map([], |r| r.get(0))
                .expect("query")
                .collect::<rusqlite::Result<_>>()
                .expect("rows");
            have.sort();
            let mut copied: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
            copied.sort_unstable();
            assert_eq!(have, copied, "{table}");
        }
    }
}
