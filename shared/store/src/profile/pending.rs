//! Tasks added to a board whose document is not loaded.
//!
//! Automerge loads a board of 10,000 tasks in about 200 ms, however it is
//! stored, and a command that only adds a task should not wait for that:
//! `porchlight task add` on a big board, or the app's first quick-add
//! before its warm-up finished. Such an add is written, in one transaction,
//! to `pending_tasks` (the task as JSON, who added it and when) and to the
//! tasks table, so it is durable and shows everywhere at once. The next
//! load of the board, in any process, applies it to the document as the
//! change the add would have made (same author, same time) and deletes the
//! row in the same transaction. Every reader of the document (sync, export,
//! history, activity) loads it through `Profile::refresh`, so none of them
//! can miss a pending task; only the moment its change is made moves.
//!
//! Small boards load quickly enough that this is not worth a second path:
//! only boards stored in at least [`DEFER_ADDS_ABOVE`] bytes take adds this
//! way.

use rusqlite::{OptionalExtension, Transaction, params};

use super::{Loaded, Profile, Touched, materialize_board};
use crate::doc::{BoardDoc, ChangeNote};
use crate::error::{CoreError, Result};
use crate::ids::DocumentId;
use crate::model::Task;
use crate::store::{chunks, materialize};
use porchlight_model::people::Renames;

/// Stored size of a board (its chunks' bytes) from which an add, while the
/// board is not loaded, is written as a pending task: about 1,000 tasks,
/// which Automerge loads in about 20 ms here.
pub const DEFER_ADDS_ABOVE: u64 = 256 * 1024;

/// What the add's change note says.
const ADD: &str = "task.add";

impl Profile {
    /// Sets the stored size from which adds to a board that is not loaded
    /// are written as pending tasks ([`DEFER_ADDS_ABOVE`] by default; 0
    /// takes every such add this way, `u64::MAX` none).
    pub fn defer_adds_above(&mut self, bytes: u64) {
        self.defer_above = bytes;
    }

    /// Whether an add to `board` is written as a pending task now.
    pub(crate) fn defers_add(&self, board: DocumentId) -> Result<bool> {
        if self.is_loaded(board) || self.defer_above == u64::MAX {
            return Ok(false);
        }
        Ok(chunks::stored_bytes(self.store().conn(), board)? >= self.defer_above)
    }

    /// Writes `task` (new, made by this profile's user) as a pending add:
    /// the row of the tasks table is what the board will show once the add
    /// is applied.
    pub(crate) fn add_pending(&mut self, task: &Task) -> Result<()> {
        let json = serde_json::to_string(task).map_err(|e| CoreError::CorruptDocument {
            doc: task.board.to_string(),
            reason: format!("task {} cannot be written as JSON: {e}", task.id),
        })?;
        let row = self.as_applied(task)?;
        self.store_mut().write(|tx| {
            tx.prepare_cached(
                "INSERT INTO pending_tasks (board_id, task, added_by, added_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                task.board.to_string(),
                json,
                task.created_by,
                task.created_at.timestamp_millis()
            ])?;
            materialize::put_task(tx, &row)?;
            Ok(())
        })
    }

    /// `task` as the board will read it once added: written into an empty
    /// board by the same code, read back (stamps and all), and named
    /// through the board's renames.
    fn as_applied(&self, task: &Task) -> Result<Task> {
        let mut scratch = BoardDoc::create(
            automerge::AutoCommit::new(),
            task.board,
            "",
            &[],
            None,
            task.created_at,
        )?;
        scratch.insert_task(task)?;
        let mut row = scratch
            .task(&task.id)?
            .ok_or_else(|| CoreError::CorruptDocument {
                doc: task.board.to_string(),
                reason: format!("task {} does not read back", task.id),
            })?;
        self.board_renames(task.board)?.apply(&mut row);
        Ok(row)
    }

    /// The renames recorded on one board, as the boards table keeps them.
    fn board_renames(&self, board: DocumentId) -> Result<Renames> {
        let json: Option<String> = self
            .store()
            .conn()
            .prepare_cached("SELECT renames FROM boards WHERE doc_id = ?1")?
            .query_row([board.to_string()], |r| r.get(0))
            .optional()?;
        let pairs: std::collections::HashMap<String, String> = match json {
            Some(j) => serde_json::from_str(&j).map_err(|e| CoreError::CorruptDocument {
                doc: "boards table".into(),
                reason: format!("renames of {board}: {e}; run `porchlight reindex`"),
            })?,
            None => Default::default(),
        };
        Ok(Renames::new(pairs))
    }

    /// How many adds wait to be applied to board documents.
    pub fn pending_adds(&self) -> Result<usize> {
        Ok(self
            .store()
            .conn()
            .prepare_cached("SELECT COUNT(*) FROM pending_tasks")?
            .query_row([], |r| r.get::<_, i64>(0))
            .map(|n| usize::try_from(n).unwrap_or(0))?)
    }

    /// Applies the pending adds of document `id` to `loaded`, one change
    /// each with its own author and time, stores them and deletes the rows,
    /// inside the caller's write transaction.
    pub(super) fn apply_pending(
        tx: &Transaction<'_>,
        id: DocumentId,
        loaded: &mut Loaded,
    ) -> Result<()> {
        let rows: Vec<(i64, String)> = tx
            .prepare_cached("SELECT seq, task FROM pending_tasks WHERE board_id = ?1 ORDER BY seq")?
            .query_map([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let Some(&(last, _)) = rows.last() else {
            return Ok(());
        };
        let heads = loaded.doc.get_heads();
        let mut board = BoardDoc::from_doc(std::mem::take(&mut loaded.doc))?;
        let mut added = Vec::new();
        for (seq, json) in rows {
            let task: Task =
                serde_json::from_str(&json).map_err(|e| CoreError::CorruptDocument {
                    doc: id.to_string(),
                    reason: format!("pending task {seq} does not read: {e}"),
                })?;
            // Applied once: a task already in the document is left as it is.
            if board.task(&task.id)?.is_none() {
                board.insert_task(&task)?;
                let note = ChangeNote::for_task(ADD, &task.created_by, task.id.as_str(), vec![]);
                board.commit(&note, task.created_at);
            }
            added.push(task.id);
        }
        materialize_board(tx, &board, Touched::Tasks(added))?;
        loaded.doc = board.into_doc();
        Self::persist(tx, id, loaded, &heads)?;
        tx.prepare_cached("DELETE FROM pending_tasks WHERE board_id = ?1 AND seq <= ?2")?
            .execute(params![id.to_string(), last])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
