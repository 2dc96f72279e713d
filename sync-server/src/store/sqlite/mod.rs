//! The embedded backend: one SQLite file (WAL, synchronous=FULL). One
//! writer connection takes every write, in a transaction; a small pool of
//! readers answers sign-ins and REST reads without waiting for it. The
//! blocking calls run on tokio's blocking pool.
//!
//! Webhook deliveries (an outbox written about ten times per event and
//! again per attempt) live in a second file next to it, `relay.outbox.db`,
//! with a writer of its own: SQLite takes one writer per file, and with
//! the deliveries in the main file, their writes held the lock the hub
//! needs to make changes durable. Every connection attaches the other
//! file, so reads join across both.

mod accounts;
mod audit;
mod chunks;
mod digest;
mod erase;
mod listings;
mod mentions;
mod migrations;
mod storage;
mod teams;
mod view;
mod webhooks;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use std::time::Instant;

use prometheus_client::metrics::histogram::Histogram;
use rusqlite::{Connection, OpenFlags, Transaction};

use super::StoreError;

/// Reader connections (besides the writer).
const READERS: usize = 4;

/// The SQLite store; cheap to clone.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    /// Time spent waiting for a connection (the writer, or a reader).
    wait: Option<Histogram>,
    writer: Mutex<Connection>,
    /// The outbox file's writer (deliveries); the main file attached as `relay`.
    outbox: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

/// The outbox file that goes with the relay database `db`.
pub fn outbox_path(db: &Path) -> PathBuf {
    db.with_extension("outbox.db")
}

/// The outbox's tables (created in the schema `outbox` of a connection
/// that attached it, or in `main` of the outbox's own). A delivery names
/// its endpoint by id; endpoints are in the main file (no foreign key
/// across files; endpoints are only ever marked removed).
pub(crate) fn outbox_schema(schema: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {schema}.deliveries (
            id INTEGER PRIMARY KEY, webhook_id INTEGER NOT NULL,
            event_id TEXT NOT NULL, event TEXT NOT NULL, body TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending','delivered','failed')),
            attempts INTEGER NOT NULL, next_at INTEGER NOT NULL, created_at INTEGER NOT NULL,
            last_status INTEGER, last_error TEXT, latency_ms INTEGER, done_at INTEGER) STRICT;
         CREATE INDEX IF NOT EXISTS {schema}.deliveries_due ON deliveries (state, next_at);
         CREATE INDEX IF NOT EXISTS {schema}.deliveries_by_hook ON deliveries (webhook_id, id);
         CREATE UNIQUE INDEX IF NOT EXISTS {schema}.deliveries_once ON deliveries (webhook_id, event_id);"
    )
}

/// The columns of a delivery, in order.
pub(crate) const DELIVERY_COLUMNS: &str = "id, webhook_id, event_id, event, body, state, attempts, next_at, created_at, last_status, last_error, latency_ms, done_at";

pub(crate) fn attach(conn: &Connection, file: &Path, schema: &str) -> Result<(), StoreError> {
    let name = file.to_str().ok_or_else(|| {
        StoreError::Invalid(format!(
            "{} is not a UTF-8 path; give the relay a data directory whose path is",
            file.display()
        ))
    })?;
    conn.execute("ATTACH DATABASE ?1 AS ?2", [name, schema])?;
    Ok(())
}

/// Moves deliveries kept in the main file (a relay from before the outbox
/// file, or a restored backup) into the outbox, in one transaction.
fn move_deliveries(writer: &mut Connection) -> Result<(), StoreError> {
    let there: bool = writer.query_row(
        "SELECT EXISTS (SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = 'deliveries')",
        [],
        |r| r.get(0),
    )?;
    if !there {
        return Ok(());
    }
    let tx = writer.transaction()?;
    tx.execute_batch(&format!(
        "INSERT OR IGNORE INTO outbox.deliveries ({DELIVERY_COLUMNS})
           SELECT {DELIVERY_COLUMNS} FROM main.deliveries ORDER BY id;
         DROP TABLE main.deliveries;"
    ))?;
    tx.commit()?;
    Ok(())
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // The writer alone runs more distinct statements (chunks, view,
    // webhooks, mentions, audit) than rusqlite's default cache of 16, which
    // would compile them again in turn.
    conn.set_prepared_statement_cache_capacity(256);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating) the database at `path` and brings its schema up to
    /// date; a database from a newer relay is refused in words.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, None)
    }

    /// [`SqliteStore::open`], observing the time spent waiting for a
    /// connection in `wait`.
    pub fn open_with(path: &Path, wait: Option<Histogram>) -> Result<Self, StoreError> {
        let mut writer = Connection::open(path)
            .map_err(|e| StoreError::Internal(format!("cannot open {}: {e}", path.display())))?;
        configure(&writer)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        writer.pragma_update(None, "synchronous", "FULL")?;
        let outbox_file = outbox_path(path);
        attach(&writer, &outbox_file, "outbox")?;
        writer.pragma_update(Some("outbox"), "journal_mode", "WAL")?;
        writer.pragma_update(Some("outbox"), "synchronous", "FULL")?;
        writer.execute_batch(&outbox_schema("outbox"))?;
        migrations::apply(&mut writer, path)?;
        move_deliveries(&mut writer)?;
        // The writer works on the main file alone: `BEGIN IMMEDIATE` takes
        // the write lock of every attached file.
        writer.execute("DETACH DATABASE outbox", [])?;
        let outbox = Connection::open(&outbox_file).map_err(|e| {
            StoreError::Internal(format!("cannot open {}: {e}", outbox_file.display()))
        })?;
        configure(&outbox)?;
        outbox.pragma_update(None, "synchronous", "FULL")?;
        attach(&outbox, path, "relay")?;
        let readers = (0..READERS)
            .map(|_| {
                let c = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure(&c)?;
                attach(&c, &outbox_file, "outbox")?;
                Ok(Mutex::new(c))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                wait,
                writer: Mutex::new(writer),
                outbox: Mutex::new(outbox),
                readers,
                next_reader: AtomicUsize::new(0),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` on the blocking pool.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Inner) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .map_err(|e| StoreError::Internal(format!("storage task: {e}")))?
    }
}

impl Inner {
    /// One write transaction on the writer connection.
    fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transaction(&self.writer, rusqlite::TransactionBehavior::Immediate, f)
    }

    /// One write transaction on the outbox's writer. Deferred, not
    /// immediate: an immediate one would take the write lock of the
    /// attached main file too. Only this connection writes the outbox (it
    /// is behind a mutex), so the deferred start never meets a writer.
    fn write_outbox<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transaction(&self.outbox, rusqlite::TransactionBehavior::Deferred, f)
    }

    fn transaction<T>(
        &self,
        connection: &Mutex<Connection>,
        behavior: rusqlite::TransactionBehavior,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let asked = Instant::now();
        let mut conn = connection
            .lock()
            .map_err(|_| StoreError::Internal("store lock poisoned".into()))?;
        self.waited(asked);
        let tx = conn.transaction_with_behavior(behavior)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// A read on one of the readers (a free one if any, else the next in
    /// turn).
    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        for reader in &self.readers {
            if let Ok(conn) = reader.try_lock() {
                return f(&conn);
            }
        }
        let asked = Instant::now();
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        let conn = self.readers[i]
            .lock()
            .map_err(|_| StoreError::Internal("store lock poisoned".into()))?;
        self.waited(asked);
        f(&conn)
    }

    fn waited(&self, asked: Instant) {
        if let Some(h) = &self.wait {
            h.observe(asked.elapsed().as_secs_f64());
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::{NewEvent, Storage, Webhook};

    /// A store with an account, a team and one webhook taking every event,
    /// and `events` events queued for it; (store, team, hook).
    pub(crate) async fn with_deliveries(path: &Path, events: usize) -> (SqliteStore, i64, i64) {
        let store = SqliteStore::open(path).expect("store");
        let account = store
            .create_account("lead@example.com", "Lead", "phc", None)
            .await
            .expect("account")
            .account;
        let team = store
            .create_team(account, "Elm", "workspace-doc", 10)
            .await
            .expect("team");
        let hook = store
            .create_webhook(&Webhook {
                id: 0,
                team,
                url: "https://hooks.example.com/in".into(),
                secret: "whsec_test".into(),
                events: Vec::new(),
                board: String::new(),
                format: "standard".into(),
                created_by: account,
                created_at: 0,
                disabled_at: None,
            })
            .await
            .expect("hook");
        let events: Vec<NewEvent> = (0..events)
            .map(|i| NewEvent {
                id: format!("evt_{i}"),
                kind: "task.created".into(),
                board: "board-doc".into(),
                body: format!("{{\"n\":{i}}}"),
            })
            .collect();
        store
            .enqueue_events(team, None, &events)
            .await
            .expect("enqueue");
        (store, team, hook)
    }

    fn tables(path: &Path) -> Vec<String> {
        let conn = Connection::open(path).expect("open");
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .expect("tables");
        stmt.query_map([], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
    }

    #[tokio::test]
    async fn deliveries_live_in_their_own_file_and_a_busy_outbox_holds_up_no_other_write() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("relay.db");
        let (store, _, _) = with_deliveries(&path, 3).await;
        assert!(!tables(&path).contains(&"deliveries".to_string()));
        assert_eq!(tables(&outbox_path(&path)), vec!["deliveries".to_string()]);
        let due = store
            .claim_deliveries(now_ms() + 1, now_ms() + 60_000, 10)
            .await
            .expect("claim");
        assert_eq!(due.len(), 3);

        // Another writer holds the outbox's lock (as the delivery task
        // does while it records a batch): accounts, chunks and the view,
        // all in the main file, are written meanwhile.
        let mut other = Connection::open(outbox_path(&path)).expect("outbox");
        let held = other
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .expect("lock");
        let write = store.create_account("agent@example.com", "Agent", "phc", None);
        let created = tokio::time::timeout(std::time::Duration::from_secs(5), write)
            .await
            .expect("a write to the main file did not wait for the outbox")
            .expect("account");
        assert!(!created.admin);
        drop(held);

        // And the other way: the main file's lock held (as the hub does
        // while it commits), events are queued and deliveries recorded.
        let mut other = Connection::open(&path).expect("main");
        let held = other
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .expect("lock");
        let event = NewEvent {
            id: "evt_late".into(),
            kind: "task.created".into(),
            board: "board-doc".into(),
            body: "{}".into(),
        };
        let team = due[0].hook.team;
        let queued = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            store.enqueue_events(team, None, std::slice::from_ref(&event)),
        )
        .await
        .expect("queueing an event did not wait for the main file")
        .expect("enqueue");
        assert_eq!(queued, 1);
        drop(held);
    }

    fn now_ms() -> i64 {
        crate::store::now_ms()
    }

    #[tokio::test]
    async fn deliveries_in_the_main_file_move_to_the_outbox_when_the_relay_opens() {
        // As a relay from before the outbox file left them (or a restored
        // backup): the deliveries table in relay.db, no outbox file.
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("relay.db");
        let (store, _, hook) = with_deliveries(&path, 2).await;
        drop(store);
        {
            let conn = Connection::open(&path).expect("db");
            attach(&conn, &outbox_path(&path), "outbox").expect("attach");
            conn.execute_batch(&outbox_schema("main"))
                .expect("old table");
            conn.execute(
                &format!(
                    "INSERT INTO main.deliveries ({DELIVERY_COLUMNS}) SELECT {DELIVERY_COLUMNS} FROM outbox.deliveries"
                ),
                [],
            )
            .expect("copy");
        }
        std::fs::remove_file(outbox_path(&path)).expect("no outbox");
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", outbox_path(&path).display()));
        }

        let store = SqliteStore::open(&path).expect("reopen");
        assert!(!tables(&path).contains(&"deliveries".to_string()));
        let due = store
            .claim_deliveries(now_ms() + 1, now_ms() + 60_000, 10)
            .await
            .expect("claim");
        let mut ids: Vec<&str> = due.iter().map(|d| d.event_id.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(ids, ["evt_0", "evt_1"]);
        assert!(due.iter().all(|d| d.hook.id == hook));
        // Opening again moves nothing twice.
        drop(store);
        let store = SqliteStore::open(&path).expect("again");
        let log = store
            .deliveries(due[0].hook.team, hook, None, 10)
            .await
            .expect("log");
        assert_eq!(log.len(), 2);
    }
}
