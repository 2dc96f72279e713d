//! The documents' Automerge chunks: appended as the hub commits them,
//! folded into a snapshot by compaction.

use rusqlite::{OptionalExtension, params};

use super::Inner;
use crate::store::{Chunk, StoreError};

impl Inner {
    pub(super) fn append_chunks(&self, chunks: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut insert =
                tx.prepare_cached("INSERT INTO chunks (doc_id, data) VALUES (?1, ?2)")?;
            let mut bytes = tx.prepare_cached(
                "UPDATE teams SET stored_bytes = stored_bytes + ?1
                 WHERE id = (SELECT team_id FROM documents WHERE doc_id = ?2)",
            )?;
            for (doc, data) in chunks {
                insert.execute(params![doc, data])?;
                bytes.execute(params![data.len() as i64, doc])?;
            }
            Ok(())
        })
    }

    pub(super) fn load_chunks(&self, doc: &str) -> Result<Vec<Chunk>, StoreError> {
        self.read(|c| {
            let mut stmt =
                c.prepare_cached("SELECT id, data FROM chunks WHERE doc_id = ?1 ORDER BY id")?;
            let rows = stmt.query_map([doc], |r| {
                Ok(Chunk {
                    id: r.get(0)?,
                    data: r.get(1)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub(super) fn compact(
        &self,
        doc: &str,
        ids: &[i64],
        snapshot: &[u8],
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut folded: i64 = 0;
            let mut delete = tx.prepare_cached(
                "DELETE FROM chunks WHERE doc_id = ?1 AND id = ?2 RETURNING length(data)",
            )?;
            for id in ids {
                let gone: Option<i64> = delete
                    .query_row(params![doc, id], |r| r.get(0))
                    .optional()?;
                folded += gone.unwrap_or(0);
            }
            drop(delete);
            tx.execute(
                "INSERT INTO chunks (doc_id, data) VALUES (?1, ?2)",
                params![doc, snapshot],
            )?;
            tx.execute(
                "UPDATE teams SET stored_bytes = MAX(0, stored_bytes - ?1 + ?2)
                 WHERE id = (SELECT team_id FROM documents WHERE doc_id = ?3)",
                params![folded, snapshot.len() as i64, doc],
            )?;
            Ok(())
        })
    }
}
