//! Compaction: a document's stored chunks folded into one snapshot, in the
//! background. A shard asks ([`Compactor::request`]) once a document has
//! gathered enough chunks or bytes; this task reads the chunks back from
//! storage, builds the document off the shard's thread, and replaces the
//! chunks it read with the snapshot in one transaction. Chunks written
//! meanwhile have higher ids and stay, so no writer waits and nothing is
//! lost; two nodes folding the same document at once leave two snapshots
//! of the same changes, which the next fold merges.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use automerge::AutoCommit;
use tokio::sync::mpsc;

use crate::hub::Metrics;
use crate::store::Store;

/// Documents waiting to be folded; past it, requests are dropped (the
/// document asks again after its next chunks).
const QUEUE: usize = 1024;

/// Where shards send documents to fold.
#[derive(Debug, Clone)]
pub struct Compactor {
    tx: mpsc::Sender<String>,
    pending: Arc<Mutex<HashSet<String>>>,
}

impl Compactor {
    /// Starts the background task on the current runtime.
    pub fn spawn(store: Store, metrics: Arc<Metrics>) -> Self {
        let (tx, mut rx) = mpsc::channel::<String>(QUEUE);
        let pending: Arc<Mutex<HashSet<String>>> = Arc::default();
        let done = pending.clone();
        tokio::spawn(async move {
            while let Some(doc) = rx.recv().await {
                match fold(&store, &doc).await {
                    Ok(Some(saved)) => {
                        metrics.compactions.inc();
                        tracing::debug!(%doc, saved, "document compacted");
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::error!(%doc, error = %e, "compaction failed; the chunks stay")
                    }
                }
                if let Ok(mut p) = done.lock() {
                    p.remove(&doc);
                }
            }
        });
        Self { tx, pending }
    }

    /// Asks for `doc` to be folded; `false` when it could not be queued.
    pub fn request(&self, doc: &str) -> bool {
        let Ok(mut pending) = self.pending.lock() else {
            return false;
        };
        if !pending.insert(doc.to_string()) {
            return true;
        }
        if self.tx.try_send(doc.to_string()).is_err() {
            pending.remove(doc);
            return false;
        }
        true
    }
}

/// Folds `doc`: the bytes saved, or `None` when there was nothing to fold.
pub async fn fold(store: &Store, doc: &str) -> anyhow::Result<Option<i64>> {
    let chunks = store.load_chunks(doc).await?;
    if chunks.len() < 2 {
        return Ok(None);
    }
    let upto = chunks.iter().map(|c| c.id).max().unwrap_or(0);
    let before: i64 = chunks.iter().map(|c| c.data.len() as i64).sum();
    let snapshot = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<u8>> {
        let mut am = AutoCommit::new();
        for chunk in &chunks {
            am.load_incremental(&chunk.data)?;
        }
        Ok(am.save())
    })
    .await??;
    let after = snapshot.len() as i64;
    store.compact(doc, upto, &snapshot).await?;
    Ok(Some(before - after))
}
