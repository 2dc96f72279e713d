//! Which stored chunks of a document the view has read.
//!
//! On SQLite chunk ids become visible in the order they are handed out
//! (one writer), so "every chunk after the largest id read" is exact. On
//! PostgreSQL an id is handed out when a chunk is inserted and becomes
//! visible when its transaction commits: another node's chunk 5 can
//! appear after this node has read chunk 6. A cursor that only kept the
//! largest id would never read chunk 5, and the view (and the webhooks)
//! would miss its change until a reindex.
//!
//! So the cursor keeps a floor (every chunk at or below it has been read,
//! or will never appear) and the ids above it that it has read, each with
//! the time it was first seen. A chunk with a lower id than chunk 6 took
//! its id before chunk 6 did, so before chunk 6 was seen; once `late`
//! has passed since then, any such chunk has committed (or rolled back),
//! and the floor moves up to 6. Until then each read asks for the chunks
//! above the floor that it has not read.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::store::{Chunk, Store};

/// How long a transaction may hold a chunk id before committing, as far
/// as the view is concerned (on PostgreSQL).
pub const LATE_COMMIT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct ChunkCursor {
    floor: i64,
    recent: BTreeMap<i64, Instant>,
    late: Duration,
}

impl ChunkCursor {
    /// A cursor that has read nothing; `late`: zero when ids become
    /// visible in order.
    pub fn new(late: Duration) -> Self {
        Self {
            floor: 0,
            recent: BTreeMap::new(),
            late,
        }
    }

    /// The chunks of `doc` stored that this cursor has not read, oldest
    /// first, noted as read.
    pub async fn unread(&mut self, store: &Store, doc: &str) -> anyhow::Result<Vec<Chunk>> {
        let chunks = store
            .load_chunks_after(doc, self.after(), &self.read_already())
            .await?;
        self.read(chunks.iter().map(|c| c.id), Instant::now());
        Ok(chunks)
    }

    /// Read the chunks after this id...
    fn after(&self) -> i64 {
        self.floor
    }

    /// ...except these, read already.
    fn read_already(&self) -> Vec<i64> {
        self.recent.keys().copied().collect()
    }

    /// Notes the chunks `ids` as read at `now`, and moves the floor up
    /// over every id read at least `late` ago.
    pub fn read(&mut self, ids: impl IntoIterator<Item = i64>, now: Instant) {
        for id in ids {
            if id > self.floor {
                self.recent.entry(id).or_insert(now);
            }
        }
        let settled = self
            .recent
            .iter()
            .filter(|(_, seen)| now.saturating_duration_since(**seen) >= self.late)
            .map(|(id, _)| *id)
            .max();
        if let Some(top) = settled {
            self.floor = top;
            self.recent = self.recent.split_off(&(top + 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_ids_move_the_floor_at_once() {
        let mut c = ChunkCursor::new(Duration::ZERO);
        let t = Instant::now();
        c.read([3, 7], t);
        assert_eq!((c.after(), c.read_already()), (7, vec![]));
        c.read([], t);
        assert_eq!(c.after(), 7);
    }

    #[test]
    fn a_lower_id_that_commits_late_is_still_asked_for() {
        let late = Duration::from_secs(30);
        let mut c = ChunkCursor::new(late);
        let t = Instant::now();
        // Chunks 4 and 6 are visible; 5 is still committing.
        c.read([4, 6], t);
        assert_eq!(c.after(), 0, "the floor waits for chunks that commit late");
        assert_eq!(c.read_already(), vec![4, 6]);
        // The next read asks for ids above 0 but 4 and 6: chunk 5 comes.
        c.read([5], t + Duration::from_secs(1));
        assert_eq!(c.read_already(), vec![4, 5, 6]);
        // 31 s after 4 and 6 were seen (30 s after 5) the floor passes
        // them all.
        c.read([9], t + Duration::from_secs(31));
        assert_eq!(c.after(), 6);
        assert_eq!(c.read_already(), vec![9]);
        c.read([], t + Duration::from_secs(62));
        assert_eq!((c.after(), c.read_already()), (9, vec![]));
    }

    #[test]
    fn ids_at_or_below_the_floor_are_not_kept() {
        let mut c = ChunkCursor::new(Duration::from_secs(1));
        let t = Instant::now();
        c.read([10], t);
        c.read([], t + Duration::from_secs(2));
        assert_eq!(c.after(), 10);
        // A compaction's snapshot has a new, higher id; an old id read
        // again (a reload) is not kept.
        c.read([8, 12], t + Duration::from_secs(2));
        assert_eq!(c.read_already(), vec![12]);
    }
}
