//! The embedded backend: one SQLite file (WAL, synchronous=FULL). One
//! writer connection takes every write, in a transaction; a small pool of
//! readers answers sign-ins and REST reads without waiting for it. The
//! blocking calls run on tokio's blocking pool.

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
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
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
        migrations::apply(&mut writer, path)?;
        let readers = (0..READERS)
            .map(|_| {
                let c = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure(&c)?;
                Ok(Mutex::new(c))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                wait,
                writer: Mutex::new(writer),
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

    /// Copies the live database to `to` with SQLite's online backup: a
    /// consistent copy while the relay serves (writers wait only for the
    /// steps that copy pages).
    pub fn backup_to(&self, to: &Path) -> Result<(), StoreError> {
        let src = self
            .inner
            .writer
            .lock()
            .map_err(|_| StoreError::Internal("store lock poisoned".into()))?;
        let mut dst = Connection::open(to)
            .map_err(|e| StoreError::Internal(format!("cannot create {}: {e}", to.display())))?;
        let backup = rusqlite::backup::Backup::new(&src, &mut dst)?;
        backup.run_to_completion(256, std::time::Duration::from_millis(5), None)?;
        Ok(())
    }
}

impl Inner {
    /// One write transaction on the writer connection.
    fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let asked = Instant::now();
        let mut conn = self
            .writer
            .lock()
            .map_err(|_| StoreError::Internal("store lock poisoned".into()))?;
        self.waited(asked);
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
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
