//! The document registry: which team owns each document id.

use super::*;

impl Store {
    /// Registers `doc` to `team`, within `max_docs` documents per team.
    /// First registration wins: returns the owning team.
    pub fn register_document(
        &self,
        team: i64,
        doc: &str,
        max_docs: u32,
    ) -> Result<i64, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let owner: Option<i64> = tx
                .query_row("SELECT team_id FROM documents WHERE doc_id = ?1", [doc], |r| {
                    r.get(0)
                })
                .optional()?;
            if let Some(owner) = owner {
                return Ok(Ok(owner));
            }
            let count: i64 = tx.query_row(
                "SELECT COUNT(*) FROM documents WHERE team_id = ?1",
                [team],
                |r| r.get(0),
            )?;
            if count >= i64::from(max_docs) {
                return Ok(Err(StoreError::Quota(format!(
                    "the team already has {count} documents (the relay allows {max_docs}): delete boards it no longer needs, or ask the relay's admin to raise documents_per_team"
                ))));
            }
            tx.execute(
                "INSERT INTO documents (doc_id, team_id, created_at) VALUES (?1, ?2, ?3)",
                params![doc, team, now_ms()],
            )?;
            tx.commit()?;
            Ok(Ok(team))
        })?
    }

    pub fn team_of_document(&self, doc: &str) -> Result<Option<i64>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT team_id FROM documents WHERE doc_id = ?1",
                [doc],
                |r| r.get(0),
            )
            .optional()
        })
    }

    pub fn documents_of_team(&self, team: i64) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            let mut stmt =
                c.prepare("SELECT doc_id FROM documents WHERE team_id = ?1 ORDER BY doc_id")?;
            let rows = stmt.query_map([team], |r| r.get(0))?;
            rows.collect()
        })
    }
}
