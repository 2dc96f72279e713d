//! The document registry: which team owns each document id.

use super::*;

impl Store {
    /// Registers `doc` to `team`. First registration wins: returns the owning team.
    pub fn register_document(&self, team: i64, doc: &str) -> Result<i64, StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO documents (doc_id, team_id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (doc_id) DO NOTHING",
                params![doc, team, now_ms()],
            )?;
            c.query_row("SELECT team_id FROM documents WHERE doc_id = ?1", [doc], |r| r.get(0))
        })
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
