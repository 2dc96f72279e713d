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

/// Whether stored bytes are a whole saved document (a snapshot), as
/// opposed to changes: automerge's chunk header is 4 magic bytes, a
/// 4-byte checksum, then the chunk type, 0 for a document.
fn is_snapshot(bytes: &[u8]) -> bool {
    bytes.len() > 8 && bytes[..4] == [0x85, 0x6f, 0x4a, 0x83] && bytes[8] == 0
}

/// A document from its stored chunks: the largest snapshot (after a
/// compaction there is one) loaded whole, then the other chunks merged
/// into it; with no snapshot, every chunk merged into an empty document.
pub fn load_document(chunks: &[crate::store::Chunk]) -> anyhow::Result<AutoCommit> {
    let snapshot = chunks
        .iter()
        .enumerate()
        .filter(|(_, c)| is_snapshot(&c.data))
        .max_by_key(|(_, c)| c.data.len())
        .map(|(i, _)| i);
    let mut doc = match snapshot {
        Some(i) => AutoCommit::load(&chunks[i].data)?,
        None => AutoCommit::new(),
    };
    for (i, chunk) in chunks.iter().enumerate() {
        if Some(i) != snapshot {
            doc.load_incremental(&chunk.data)?;
        }
    }
    Ok(doc)
}

/// Folds `doc`: the bytes saved, or `None` when there was nothing to fold.
pub async fn fold(store: &Store, doc: &str) -> anyhow::Result<Option<i64>> {
    let chunks = store.load_chunks(doc).await?;
    if chunks.len() < 2 {
        return Ok(None);
    }
    // Exactly the chunks read: on PostgreSQL a chunk with a lower id than
    // these may still be committing, and is not in the snapshot.
    let folded: Vec<i64> = chunks.iter().map(|c| c.id).collect();
    let before: i64 = chunks.iter().map(|c| c.data.len() as i64).sum();
    let snapshot = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<u8>> {
        Ok(load_document(&chunks)?.save())
    })
    .await??;
    let after = snapshot.len() as i64;
    store.compact(doc, &folded, &snapshot).await?;
    Ok(Some(before - after))
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{ROOT, ReadDoc};

    use super::*;
    use crate::store::Chunk;

    #[test]
    fn a_document_loads_from_changes_alone_or_from_a_snapshot_and_changes() {
        let mut doc = AutoCommit::new();
        let mut chunks = Vec::new();
        let mut heads = doc.get_heads();
        let mut after_three = Vec::new();
        for i in 0..5i64 {
            doc.put(ROOT, format!("k{i}"), i).expect("put");
            doc.commit();
            // The largest chunk is a change whose parents are elsewhere.
            chunks.push(Chunk {
                id: i,
                data: doc.save_after(&heads),
            });
            heads = doc.get_heads();
            if i == 2 {
                after_three = doc.save();
            }
        }
        let loaded = load_document(&chunks).expect("changes alone");
        assert_eq!(loaded.clone().get_heads(), doc.get_heads());
        assert!(!is_snapshot(&chunks[0].data));
        // A snapshot of the first three changes, the last two as changes,
        // the snapshot's id after theirs (as a compaction leaves it).
        let snapshot = Chunk {
            id: 9,
            data: after_three,
        };
        assert!(is_snapshot(&snapshot.data));
        let mixed = vec![chunks[3].clone(), chunks[4].clone(), snapshot];
        let mut loaded = load_document(&mixed).expect("snapshot and changes");
        assert_eq!(loaded.get_heads(), doc.get_heads());
        assert!(loaded.get(ROOT, "k0").expect("get").is_some());
        assert!(load_document(&[]).expect("nothing").get_heads().is_empty());
    }
}
