//! Task writes to a board whose document is not loaded.
//!
//! Automerge loads a board of 10,000 tasks in about 200 ms, however it is
//! stored, and a command that adds or edits one task should not wait for
//! that: `porchlight task add|edit|move|done|comment …` on a big board, or the
//! app's first edit before its warm-up finished. Such a write is stored,
//! in one transaction, in `pending_writes` (the new task, or the task's
//! edits, as JSON, with who made them and when) and as the task's row in
//! the tasks table, so it is durable and shows everywhere at once. The next
//! load of the board, in any process, applies the pending writes in order
//! as the changes they would have made (same author, same time) and
//! deletes them in the same transaction. Every reader of the document
//! (sync, export, history, activity) loads it through `Profile::refresh`,
//! so none of them can miss a pending write; only the moment its change is
//! made moves. Completing a recurring task keeps its next instance
//! pending with it, in the same transaction.
//!
//! Board-level writes that change only the board's own fields (renaming
//! it, adding, renaming or moving a column) wait the same way, as
//! [`BoardEdit`]s, with the board's row. So do a template's tasks, a
//! moved anchor's new dates and a column's deletion with its tasks' moves:
//! their rows are written as one batch and applied as one change, as the
//! loaded board would have made them.
//!
//! Small boards load quickly enough that this is not worth a second path:
//! only boards stored in at least [`DEFER_WRITES_ABOVE`] bytes take writes
//! this way.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

use super::{Loaded, Profile, Touched, materialize_board};
use crate::doc::{BoardDoc, BoardEdit, ChangeNote, TaskEdit};
use crate::error::{CoreError, Result};
use crate::ids::{ColumnId, DocumentId, TaskId};
use crate::model::{Board, Task};
use crate::store::{chunks, materialize};
use porchlight_model::people::Renames;

/// Stored size of a board (its chunks' bytes) from which a task write,
/// while the board is not loaded, is kept pending: about 1,000 tasks, which
/// Automerge loads in about 20 ms here.
pub const DEFER_WRITES_ABOVE: u64 = 256 * 1024;

/// The change note of an add.
const ADD: &str = "task.add";
/// The change note of a template's tasks: adds, made as one change.
pub(crate) const TEMPLATE_APPLY: &str = "template.apply";
/// The change note of a moved anchor: edits, made as one change.
pub(crate) const MOVE_ANCHOR: &str = "template.move-anchor";
/// The change note of a column's deletion: its tasks' moves and the
/// removal, made as one change.
pub(crate) const COLUMN_DELETE: &str = "column.delete";

/// Whether the consecutive pending writes of `op` by one author at one
/// time are one change (a template's tasks, a moved anchor's dates).
fn batched(op: &str) -> bool {
    op == TEMPLATE_APPLY || op == MOVE_ANCHOR || op == COLUMN_DELETE
}

/// A pending write as stored, with the row its task shows meanwhile.
struct Pending {
    op: String,
    body: String,
    fields: Vec<String>,
    author: String,
    at: DateTime<Utc>,
    row: Row,
}

/// What a pending write shows meanwhile.
enum Row {
    Task(Box<Task>),
    /// The board's name and columns, and its workspace.
    Board(Board, Option<DocumentId>),
}

impl Row {
    fn board(&self) -> DocumentId {
        match self {
            Row::Task(t) => t.board,
            Row::Board(b, _) => b.id,
        }
    }

    /// The task of a task write; none (stored as '') for a board edit.
    fn task(&self) -> &str {
        match self {
            Row::Task(t) => t.id.as_str(),
            Row::Board(..) => "",
        }
    }
}

/// One pending write, read back: a board edit has no task.
enum Write {
    Add(Box<Task>),
    Edit(Vec<TaskEdit>),
    Board(BoardEdit),
}

impl Write {
    fn read(op: &str, task: &str, body: &str) -> serde_json::Result<Write> {
        Ok(if task.is_empty() {
            Write::Board(serde_json::from_str(body)?)
        } else if op == ADD || op == TEMPLATE_APPLY {
            Write::Add(serde_json::from_str(body)?)
        } else {
            Write::Edit(serde_json::from_str(body)?)
        })
    }
}

fn corrupt(doc: impl ToString, reason: String) -> CoreError {
    CoreError::CorruptDocument {
        doc: doc.to_string(),
        reason,
    }
}

impl Profile {
    /// Sets the stored size from which task writes to a board that is not
    /// loaded are kept pending ([`DEFER_WRITES_ABOVE`] by default; 0 keeps
    /// every such write pending, `u64::MAX` none).
    pub fn defer_writes_above(&mut self, bytes: u64) {
        self.defer_above = bytes;
    }

    /// Whether a task write to `board` is kept pending now.
    pub(crate) fn defers_write(&self, board: DocumentId) -> Result<bool> {
        if self.is_loaded(board) || self.defer_above == u64::MAX {
            return Ok(false);
        }
        Ok(chunks::stored_bytes(self.store().conn(), board)? >= self.defer_above)
    }

    /// Keeps `task` (new, made by this profile's user) as a pending add;
    /// the row of the tasks table is what the board will show once it is
    /// applied.
    pub(crate) fn add_pending(&mut self, task: &Task) -> Result<()> {
        let add = self.pending_add(task, ADD)?;
        self.store_pending(vec![add])
    }

    /// Keeps a template's new tasks pending, in one transaction; the next
    /// load of the board makes them one change, as applying the template
    /// to the loaded board does.
    pub(crate) fn template_pending(&mut self, tasks: &[Task]) -> Result<()> {
        let adds = tasks
            .iter()
            .map(|t| self.pending_add(t, TEMPLATE_APPLY))
            .collect::<Result<Vec<_>>>()?;
        self.store_pending(adds)
    }

    /// Keeps edits of several tasks pending (note `op`, one of the batched
    /// ones), in one transaction, to be made as one change.
    pub(crate) fn edits_pending(
        &mut self,
        op: &str,
        edits: Vec<(TaskId, Vec<TaskEdit>)>,
        fields: &[&str],
    ) -> Result<()> {
        debug_assert!(batched(op), "{op} is not made as one change");
        let fields: Vec<String> = fields.iter().map(ToString::to_string).collect();
        let writes = edits
            .into_iter()
            .map(|(id, e)| self.pending_edit(&id, op, e, fields.clone()))
            .collect::<Result<Vec<_>>>()?;
        self.store_pending(writes)
    }

    /// Keeps `edit` of board `id` (note `op`) pending; the board's row (its
    /// name and columns) becomes what the board will show once it is
    /// applied, and is returned.
    pub(crate) fn board_edit_pending(
        &mut self,
        id: DocumentId,
        op: &str,
        edit: BoardEdit,
    ) -> Result<Board> {
        let (write, board) = self.pending_board(id, op, &edit)?;
        self.store_pending(vec![write])?;
        Ok(board)
    }

    /// Keeps the deletion of column `column` of board `id` pending, with
    /// its tasks' moves to `to` (one change, as on a loaded board).
    pub(crate) fn column_delete_pending(
        &mut self,
        id: DocumentId,
        column: &ColumnId,
        to: Option<&ColumnId>,
        tasks: &[TaskId],
    ) -> Result<()> {
        let mut writes = Vec::with_capacity(tasks.len() + 1);
        if let Some(to) = to {
            for task in tasks {
                let edits = vec![TaskEdit::Column(to.clone())];
                writes.push(self.pending_edit(
                    task,
                    COLUMN_DELETE,
                    edits,
                    vec!["column".into()],
                )?);
            }
        }
        let (removal, _) =
            self.pending_board(id, COLUMN_DELETE, &BoardEdit::RemoveColumn(column.clone()))?;
        writes.push(removal);
        self.store_pending(writes)
    }

    /// A pending board edit, and the board as it reads once applied.
    fn pending_board(
        &self,
        id: DocumentId,
        op: &str,
        edit: &BoardEdit,
    ) -> Result<(Pending, Board)> {
        let mut row = self.boards().get(&id.to_string())?;
        edit.apply_to(&mut row);
        let body = serde_json::to_string(edit)
            .map_err(|e| corrupt(id, format!("board edit as JSON: {e}")))?;
        let workspace: Option<String> = self
            .store()
            .conn()
            .prepare_cached("SELECT workspace_id FROM boards WHERE doc_id = ?1")?
            .query_row([id.to_string()], |r| r.get(0))?;
        let workspace = workspace.and_then(|w| DocumentId::parse(&w).ok());
        let write = Pending {
            op: op.into(),
            body,
            fields: Vec::new(),
            author: self.user.clone(),
            at: self.now(),
            row: Row::Board(row.clone(), workspace),
        };
        Ok((write, row))
    }

    /// Keeps `edits` to task `id` (one change, note `op`) pending; the
    /// task's row becomes what the board will show once they are applied.
    pub(crate) fn edit_pending(
        &mut self,
        id: &TaskId,
        op: &str,
        edits: Vec<TaskEdit>,
        fields: Vec<String>,
    ) -> Result<()> {
        let edit = self.pending_edit(id, op, edits, fields)?;
        self.store_pending(vec![edit])
    }

    /// Keeps the completion of task `id` pending, with the next instance of
    /// a recurring task, in one transaction.
    pub(crate) fn complete_pending(&mut self, id: &TaskId, next: Option<&Task>) -> Result<()> {
        let now = self.now();
        let mut writes = vec![self.pending_edit(
            id,
            "task.complete",
            vec![TaskEdit::Completed(Some(now))],
            vec!["completed".into()],
        )?];
        if let Some(next) = next {
            writes.push(self.pending_add(next, ADD)?);
        }
        self.store_pending(writes)
    }

    fn pending_add(&self, task: &Task, op: &str) -> Result<Pending> {
        let body = serde_json::to_string(task)
            .map_err(|e| corrupt(task.board, format!("task {} as JSON: {e}", task.id)))?;
        Ok(Pending {
            row: Row::Task(Box::new(self.as_applied(
                None,
                task,
                &[],
                "",
                task.created_at,
            )?)),
            op: op.into(),
            body,
            fields: Vec::new(),
            author: task.created_by.clone(),
            at: task.created_at,
        })
    }

    fn pending_edit(
        &self,
        id: &TaskId,
        op: &str,
        edits: Vec<TaskEdit>,
        fields: Vec<String>,
    ) -> Result<Pending> {
        let (user, now) = (self.user.clone(), self.now());
        let current = self.tasks().get(id.as_str())?;
        let body = serde_json::to_string(&edits)
            .map_err(|e| corrupt(current.board, format!("edits of {id} as JSON: {e}")))?;
        Ok(Pending {
            row: Row::Task(Box::new(self.as_applied(
                Some(&current),
                &current,
                &edits,
                &user,
                now,
            )?)),
            op: op.into(),
            body,
            fields,
            author: user,
            at: now,
        })
    }

    /// Stores pending writes and their tasks' rows in one transaction.
    fn store_pending(&mut self, writes: Vec<Pending>) -> Result<()> {
        self.store_mut().write(|tx| {
            for w in &writes {
                let fields = serde_json::to_string(&w.fields).unwrap_or_else(|_| "[]".into());
                tx.prepare_cached(
                    "INSERT INTO pending_writes (board_id, task_id, op, body, fields, author, made_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    w.row.board().to_string(),
                    w.row.task(),
                    w.op,
                    w.body,
                    fields,
                    w.author,
                    w.at.timestamp_millis()
                ])?;
                match &w.row {
                    Row::Task(task) => materialize::put_task(tx, task)?,
                    Row::Board(board, workspace) => {
                        materialize::put_board(tx, board, *workspace, false)?;
                    }
                }
            }
            Ok(())
        })
    }

    /// The task as the board will read it once the write is applied: `base`
    /// written into an empty board holding the board's renames, `edits`
    /// applied by the same code as on the board, read back. What such a
    /// copy cannot know is taken from `current` (the task's row): the
    /// assignment and mention stamps the edits did not make, watching and
    /// inbox state.
    fn as_applied(
        &self,
        current: Option<&Task>,
        base: &Task,
        edits: &[TaskEdit],
        user: &str,
        now: DateTime<Utc>,
    ) -> Result<Task> {
        let mut scratch = BoardDoc::create(
            automerge::AutoCommit::new(),
            base.board,
            "",
            &[],
            None,
            base.created_at,
        )?;
        for (old, new) in self.board_renames(base.board)?.pairs() {
            scratch.rename_person(old, new)?;
        }
        let read = |scratch: &BoardDoc| -> Result<Task> {
            scratch
                .task(&base.id)?
                .ok_or_else(|| corrupt(base.board, format!("task {} does not read back", base.id)))
        };
        scratch.insert_task(base)?;
        let Some(current) = current else {
            return read(&scratch);
        };
        let copied = read(&scratch)?;
        if !edits.is_empty() {
            scratch.edit_task(&base.id, edits, user, now)?;
        }
        let mut row = read(&scratch)?;
        row.assigned = stamps(&row.assigned, &copied.assigned, &current.assigned);
        row.mentioned = stamps(&row.mentioned, &copied.mentioned, &current.mentioned);
        let mut watch = current.watch.clone();
        watch.extend(row.watch.clone());
        row.watch = watch;
        row.inbox = current.inbox.clone();
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
        match json {
            Some(j) => super::people::parse_renames(&board.to_string(), &j),
            None => Ok(Renames::default()),
        }
    }

    /// How many task writes wait to be applied to board documents.
    pub fn pending_writes(&self) -> Result<usize> {
        Ok(self
            .store()
            .conn()
            .prepare_cached("SELECT COUNT(*) FROM pending_writes")?
            .query_row([], |r| r.get::<_, i64>(0))
            .map(|n| usize::try_from(n).unwrap_or(0))?)
    }

    /// Applies the pending writes of document `id` to `loaded` in order,
    /// one change each with its own author and time, stores them and
    /// deletes the rows, inside the caller's write transaction.
    pub(super) fn apply_pending(
        tx: &Transaction<'_>,
        id: DocumentId,
        loaded: &mut Loaded,
    ) -> Result<()> {
        type Row = (i64, String, String, String, String, String, i64);
        let rows: Vec<Row> = tx
            .prepare_cached(
                "SELECT seq, task_id, op, body, fields, author, made_at FROM pending_writes
                 WHERE board_id = ?1 ORDER BY seq",
            )?
            .query_map([id.to_string()], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        if rows.is_empty() {
            return Ok(());
        }
        let heads = loaded.doc.get_heads();
        let mut board = BoardDoc::from_doc(std::mem::take(&mut loaded.doc))?;
        let (mut touched, mut applied) = (Vec::new(), Vec::new());
        let (mut board_touched, mut everything) = (false, false);
        // A batch (a template's tasks, a moved anchor's dates) not yet
        // committed: its note, author and time.
        let mut open: Option<(String, String, i64)> = None;
        let close = |board: &mut BoardDoc, open: &mut Option<(String, String, i64)>| {
            if let Some((op, author, at)) = open.take() {
                let at = DateTime::<Utc>::from_timestamp_millis(at).unwrap_or_default();
                board.commit(&ChangeNote::new(&op, &author), at);
            }
        };
        for (seq, task, op, body, fields, author, at_ms) in rows {
            let read = || -> serde_json::Result<(Write, Vec<String>)> {
                Ok((
                    Write::read(&op, &task, &body)?,
                    serde_json::from_str(&fields)?,
                ))
            };
            let (write, fields) = match read() {
                Ok(w) => w,
                Err(e) => {
                    // Not one this build can read (written by a newer one):
                    // kept for a build that can, and the board still loads.
                    tracing::warn!(board = %id, seq, op = %op, error = %e,
                        "a pending write this version cannot read is kept for a newer one");
                    continue;
                }
            };
            applied.push(seq);
            let key = (op.clone(), author.clone(), at_ms);
            if open.as_ref().is_some_and(|o| *o != key) {
                close(&mut board, &mut open);
            }
            let at = DateTime::<Utc>::from_timestamp_millis(at_ms).unwrap_or_default();
            let task = TaskId::new(task);
            let batch = batched(&op);
            match write {
                // Applied once: a task already in the document stays as it is.
                Write::Add(new) => {
                    if board.task(&new.id)?.is_none() {
                        board.insert_task(&new)?;
                    }
                }
                // In a batch nothing is rolled back (that would undo the
                // batch's earlier writes): a task that left the board is
                // passed over.
                Write::Edit(_) if batch && board.task(&task)?.is_none() => {
                    tracing::warn!(board = %id, task = %task, op = %op,
                        "a pending edit no longer applies (the task left the board) and was dropped");
                }
                Write::Edit(edits) => {
                    if let Err(e) = board.edit_task(&task, &edits, &author, at) {
                        // The task left the board meanwhile (another device
                        // purged it): the edit has nothing to change. Said,
                        // not silently dropped; the board must still load.
                        tracing::warn!(board = %id, task = %task, op = %op, error = %e,
                            "a pending edit no longer applies and was dropped");
                        let _ = board.doc_mut().rollback();
                        continue;
                    }
                }
                Write::Board(edit) => {
                    if let Err(e) = edit.apply(&mut board) {
                        // Not expected (an edit of a column another device
                        // removed makes it again); said, and the board loads.
                        tracing::warn!(board = %id, op = %op, error = %e,
                            "a pending board edit failed and was dropped");
                    }
                    // A removed column's tasks show in the first column: all
                    // are read again, as on a loaded board.
                    everything |= matches!(edit, BoardEdit::RemoveColumn(_));
                    board_touched = true;
                }
            }
            if batch {
                open = Some(key);
            } else if task.as_str().is_empty() {
                board.commit(&ChangeNote::new(&op, &author), at);
            } else {
                board.commit(
                    &ChangeNote::for_task(&op, &author, task.as_str(), fields),
                    at,
                );
            }
            if !task.as_str().is_empty() {
                touched.push(task);
            }
        }
        close(&mut board, &mut open);
        touched.dedup();
        if everything {
            materialize_board(tx, &board, Touched::Everything)?;
        } else {
            if board_touched {
                materialize_board(tx, &board, Touched::Board)?;
            }
            materialize_board(tx, &board, Touched::Tasks(touched))?;
        }
        loaded.doc = board.into_doc();
        Self::persist(tx, id, loaded, &heads)?;
        let mut delete = tx.prepare_cached("DELETE FROM pending_writes WHERE seq = ?1")?;
        for seq in applied {
            delete.execute([seq])?;
        }
        Ok(())
    }
}

/// Stamps of the task once applied: those `applied` holds that the copy
/// made up on its own (`copied`, at the copy's time) are replaced by the
/// task's own (`current`, or none); those the edits made are kept.
fn stamps<S: Clone + PartialEq>(
    applied: &BTreeMap<String, S>,
    copied: &BTreeMap<String, S>,
    current: &BTreeMap<String, S>,
) -> BTreeMap<String, S> {
    applied
        .iter()
        .filter_map(|(name, stamp)| {
            if copied.get(name) == Some(stamp) {
                current.get(name).map(|s| (name.clone(), s.clone()))
            } else {
                Some((name.clone(), stamp.clone()))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
