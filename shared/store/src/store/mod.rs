//! The profile database: one SQLite file holding Automerge chunks (the source
//! of truth) and the tables materialized from them.
//!
//! All SQL for this database lives in this module and its children. Writes go
//! through [`Store::write`], an `IMMEDIATE` transaction: a chunk and the rows
//! materialized from it commit together or not at all, and the caller reports
//! an operation done only after the commit returns.

pub(crate) mod chunks;
pub(crate) mod materialize;
mod migrations;
pub(crate) mod query;

pub use chunks::{Chunk, ChunkKind};
pub use query::{DueFilter, TaskQuery};
pub(crate) use query::{decode_row, task_json as query_task_json, tasks as query_tasks};

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::error::{CoreError, Result};

#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// `PRAGMA data_version` when last looked at: it changes when another
    /// connection (another process, or this one's sync task) commits.
    seen_version: std::cell::Cell<Option<i64>>,
}

/// How long a writer waits for another process (the app and the CLI may share
/// a profile) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Prepared statements kept per connection: every statement of the write
/// and read paths, with room to spare (rusqlite keeps 16 by default).
pub(crate) const STATEMENT_CACHE: usize = 256;

impl Store {
    /// True when another connection has committed to this database since
    /// the last call: another program on this device (the CLI), or this
    /// process's sync task. The first call only takes note and says false.
    pub fn changed_elsewhere(&self) -> Result<bool> {
        let now: i64 = self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?;
        Ok(self
            .seen_version
            .replace(Some(now))
            .is_some_and(|was| was != now))
    }

    /// Opens (creating if needed) the database at `path` and migrates it.
    pub fn open(path: &Path) -> Result<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| corrupt(path, &e))?;
        Self::init(conn, path.to_path_buf())
    }

    /// A private in-memory database, for tests.
    pub fn open_in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?, PathBuf::from(":memory:"))
    }

    fn init(mut conn: Connection, path: PathBuf) -> Result<Self> {
        let setup = |conn: &mut Connection| -> rusqlite::Result<()> {
            conn.busy_timeout(BUSY_TIMEOUT)?;
            // Reading the header first turns "file is not a database" into an
            // error here rather than on some later query.
            conn.query_row("PRAGMA schema_version", [], |_| Ok(()))?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            // FULL: a commit is on disk when it returns, so "done" survives a
            // power cut, not only a crash.
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
            // One add alone runs more than rusqlite's default 16 distinct
            // statements, so with the default every add prepared most of
            // them again (a sixth of its CPU time).
            conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
            // Plans that do not depend on bound values: otherwise SQLite
            // compiles a statement on `tasks` again at each new binding (it
            // weighs the partial indexes against the values), which every
            // add paid for its position lookup. The partial indexes are
            // still used: a comparison with any value implies their
            // `IS NOT NULL` (tested in the profile tests).
            conn.set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
                true,
            )?;
            Ok(())
        };
        setup(&mut conn).map_err(|e| corrupt(&path, &e))?;
        migrations::apply(&mut conn, &path)?;
        Ok(Self {
            conn,
            path,
            seen_version: std::cell::Cell::new(None),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` in an IMMEDIATE transaction and commits. If `f` fails, or the
    /// commit does, nothing is written.
    pub fn write<T>(&mut self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| classify(&path, e))?;
        let out = f(&tx)?;
        tx.commit().map_err(|e| classify(&path, e))?;
        Ok(out)
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        meta_get(&self.conn, key)
    }
}

pub fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

pub fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

fn corrupt(path: &Path, e: &rusqlite::Error) -> CoreError {
    CoreError::CorruptDatabase {
        path: path.to_path_buf(),
        reason: describe(e),
    }
}

fn describe(e: &rusqlite::Error) -> String {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => "the file is not a SQLite database".into(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => "the database is corrupt".into(),
        Some(rusqlite::ErrorCode::CannotOpen) => "the file cannot be opened".into(),
        Some(rusqlite::ErrorCode::ReadOnly) => "the file is read-only".into(),
        Some(rusqlite::ErrorCode::PermissionDenied) => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Storage errors that mean the file itself is bad become `CorruptDatabase`.
pub(crate) fn classify(path: &Path, e: rusqlite::Error) -> CoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
            corrupt(path, &e)
        }
        _ => CoreError::Storage(e),
    }
}

#[cfg(test)]
mod tests;
