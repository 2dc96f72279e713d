//! The documents' Automerge chunks: appended as the hub commits them,
//! folded into a snapshot by compaction.

use super::PgStore;
use crate::store::{Chunk, StoreError};

impl PgStore {
    pub(super) async fn pg_append_chunks(
        &self,
        chunks: &[(String, Vec<u8>)],
    ) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let insert = tx
            .prepare("INSERT INTO chunks (doc_id, data) VALUES ($1, $2)")
            .await?;
        let bytes = tx
            .prepare(
                "UPDATE teams SET stored_bytes = stored_bytes + $1
                 WHERE id = (SELECT team_id FROM documents WHERE doc_id = $2)",
            )
            .await?;
        for (doc, data) in chunks {
            tx.execute(&insert, &[doc, data]).await?;
            tx.execute(&bytes, &[&(data.len() as i64), doc]).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn pg_load_chunks(&self, doc: &str) -> Result<Vec<Chunk>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT id, data FROM chunks WHERE doc_id = $1 ORDER BY id",
                &[&doc],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| Chunk {
                id: r.get(0),
                data: r.get(1),
            })
            .collect())
    }

    pub(super) async fn pg_compact(
        &self,
        doc: &str,
        ids: &[i64],
        snapshot: &[u8],
    ) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let folded: i64 = tx
            .query_one(
                "WITH gone AS (DELETE FROM chunks WHERE doc_id = $1 AND id = ANY($2) RETURNING length(data) AS n)
                 SELECT COALESCE(SUM(n), 0)::BIGINT FROM gone",
                &[&doc, &ids],
            )
            .await?
            .get(0);
        tx.execute(
            "INSERT INTO chunks (doc_id, data) VALUES ($1, $2)",
            &[&doc, &snapshot],
        )
        .await?;
        tx.execute(
            "UPDATE teams SET stored_bytes = GREATEST(0, stored_bytes - $1 + $2)
             WHERE id = (SELECT team_id FROM documents WHERE doc_id = $3)",
            &[&folded, &(snapshot.len() as i64), &doc],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
