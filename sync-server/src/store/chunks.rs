//! The documents' Automerge chunks, appended as the hub commits them.

use super::*;

impl Store {
    /// Appends changes of several documents in one transaction (group commit).
    pub fn append_chunks(&self, chunks: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            {
                let mut stmt =
                    tx.prepare_cached("INSERT INTO chunks (doc_id, data) VALUES (?1, ?2)")?;
                let mut bytes = tx.prepare_cached(
                    "UPDATE teams SET stored_bytes = stored_bytes + ?1
                     WHERE id = (SELECT team_id FROM documents WHERE doc_id = ?2)",
                )?;
                for (doc, data) in chunks {
                    stmt.execute(params![doc, data])?;
                    bytes.execute(params![data.len() as i64, doc])?;
                }
            }
            tx.commit()
        })
    }

    /// Every chunk of a document, oldest first.
    pub fn load_chunks(&self, doc: &str) -> Result<Vec<Vec<u8>>, StoreError> {
        self.with(|c| {
            let mut stmt =
                c.prepare_cached("SELECT data FROM chunks WHERE doc_id = ?1 ORDER BY id")?;
            let rows = stmt.query_map([doc], |r| r.get(0))?;
            rows.collect()
        })
    }
}
