//! Boards and columns.

use automerge::AutoCommit;
use rusqlite::OptionalExtension;
use serde::Serialize;

use super::{Boards, BoardsMut};
use super::{Profile, Touched};
use crate::doc::{BoardDoc, BoardEdit, ChangeNote, DocKind};
use crate::error::{CoreError, Result};
use crate::ids::{ColumnId, DocumentId, TaskId};
use crate::model::{Board, Column, check_name};
use crate::position;

/// The columns a new board gets when none are given.
pub const DEFAULT_COLUMNS: [&str; 3] = ["To do", "Doing", "Done"];

/// A board in the board list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BoardSummary {
    pub id: DocumentId,
    pub name: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub open_tasks: i64,
}

impl Profile {
    /// A new board document in this profile's workspace, written by this
    /// device, not stored yet.
    pub(crate) fn new_board_doc(
        &self,
        name: &str,
        columns: &[(ColumnId, String)],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<BoardDoc> {
        Ok(BoardDoc::create(
            AutoCommit::new().with_actor(self.actor.clone()),
            DocumentId::random(),
            name,
            columns,
            Some(self.workspace),
            now,
        )?)
    }
}

pub(crate) fn find_column<'a>(board: &'a Board, key: &str) -> Result<&'a Column> {
    board.column(key).ok_or_else(|| CoreError::UnknownColumn {
        board: board.name.clone(),
        column: key.to_string(),
        known: board.column_names(),
    })
}

impl Boards<'_> {
    /// Live boards with their open-task counts, by name.
    pub fn list(&self) -> Result<Vec<BoardSummary>> {
        let mut stmt = self.p.store().conn().prepare_cached(
            "SELECT b.doc_id, b.name,
                (SELECT COUNT(*) FROM tasks t WHERE t.board_id = b.doc_id
                    AND t.completed_at IS NULL AND t.archived = 0)
             FROM boards b WHERE b.deleted = 0 ORDER BY b.name COLLATE NOCASE, b.doc_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, open_tasks) = row?;
            if let Ok(id) = DocumentId::parse(&id) {
                out.push(BoardSummary {
                    id,
                    name,
                    open_tasks,
                });
            }
        }
        Ok(out)
    }

    /// Finds a board by id, `automerge:` URL, exact name, or unique name prefix
    /// (case-insensitive).
    pub fn resolve(&self, key: &str) -> Result<DocumentId> {
        let key = key.trim();
        if let Ok(id) = DocumentId::parse(key) {
            let known: Option<i64> = self
                .p
                .store()
                .conn()
                .prepare_cached("SELECT deleted FROM boards WHERE doc_id = ?1")?
                .query_row([id.to_string()], |r| r.get(0))
                .optional()?;
            if known == Some(0) {
                return Ok(id);
            }
        }
        // Names only: counting open tasks (as `boards` does) is wasted work here.
        let boards: Vec<(DocumentId, String)> = self
            .p.store()
            .conn()
            .prepare_cached("SELECT doc_id, name FROM boards WHERE deleted = 0 ORDER BY name COLLATE NOCASE, doc_id")?
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .filter_map(|row| row.ok().and_then(|(id, name)| Some((DocumentId::parse(&id).ok()?, name))))
            .collect();
        let lower = key.to_lowercase();
        if let Some((id, _)) = boards.iter().find(|(_, name)| name.to_lowercase() == lower) {
            return Ok(*id);
        }
        let matches: Vec<&(DocumentId, String)> = boards
            .iter()
            .filter(|(_, name)| !lower.is_empty() && name.to_lowercase().starts_with(&lower))
            .collect();
        match matches.as_slice() {
            [one] => Ok(one.0),
            [] => Err(CoreError::UnknownBoard(key.to_string())),
            many => Err(CoreError::AmbiguousBoard(
                key.to_string(),
                many.iter()
                    .map(|b| b.1.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            )),
        }
    }

    /// The board and its columns, from the materialized tables.
    pub fn get(&self, key: &str) -> Result<Board> {
        let id = self.p.boards().resolve(key)?;
        let conn = self.p.store().conn();
        let name: String = conn
            .prepare_cached("SELECT name FROM boards WHERE doc_id = ?1")?
            .query_row([id.to_string()], |r| r.get(0))?;
        let mut stmt = conn.prepare_cached(
            "SELECT column_id, name, position FROM columns WHERE board_id = ?1 ORDER BY position, column_id",
        )?;
        let columns = stmt
            .query_map([id.to_string()], |r| {
                Ok(Column {
                    id: ColumnId::new(r.get::<_, String>(0)?),
                    name: r.get(1)?,
                    position: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Board { id, name, columns })
    }
}

impl BoardsMut<'_> {
    /// Creates a board with `columns` (or the default three) in the personal workspace.
    pub fn create(&mut self, name: &str, columns: &[String]) -> Result<Board> {
        let name = check_name("board", name)?;
        let mut names: Vec<String> = columns
            .iter()
            .map(|c| check_name("column", c))
            .collect::<Result<_, _>>()?;
        if names.is_empty() {
            names = DEFAULT_COLUMNS.iter().map(ToString::to_string).collect();
        }
        for (i, n) in names.iter().enumerate() {
            if names[..i].iter().any(|m| m.eq_ignore_ascii_case(n)) {
                return Err(CoreError::DuplicateColumn(n.clone()));
            }
        }
        let now = self.p.now();
        let cols: Vec<(ColumnId, String)> =
            names.into_iter().map(|n| (ColumnId::random(), n)).collect();
        let mut board = self.p.new_board_doc(&name, &cols, now)?;
        let id = board.id();
        board.commit(&ChangeNote::new("board.create", &self.p.user), now);
        let view = board.board()?;
        self.p
            .add_document(id, DocKind::Board, board.into_doc(), |_| Ok(()))?;
        Ok(view)
    }

    pub fn rename(&mut self, key: &str, name: &str) -> Result<Board> {
        let id = self.p.boards().resolve(key)?;
        let name = check_name("board", name)?;
        self.edit(id, "board.rename", BoardEdit::Rename(name))
    }

    /// Makes a board-level edit (note `op`): kept pending on a big board
    /// that is not loaded (see `pending.rs`), else made on the document.
    /// The board as it reads after the edit.
    fn edit(&mut self, id: DocumentId, op: &str, edit: BoardEdit) -> Result<Board> {
        if self.p.defers_write(id)? {
            return self.p.board_edit_pending(id, op, edit);
        }
        self.p.write_board(id, |b, _, user| {
            edit.apply(b)?;
            Ok((b.board()?, ChangeNote::new(op, user), Touched::Board))
        })
    }

    /// Deletes a board (it stays in the history, and in other devices' files).
    pub fn delete(&mut self, key: &str) -> Result<()> {
        let id = self.p.boards().resolve(key)?;
        self.p.write_board(id, |b, _, user| {
            b.set_deleted(true)?;
            Ok(((), ChangeNote::new("board.delete", user), Touched::Board))
        })?;
        let user = self.p.user.clone();
        self.p.write_workspace(|ws| {
            ws.remove_board(id)?;
            Ok(ChangeNote::new("workspace.remove-board", &user))
        })
    }

    pub fn add_column(&mut self, key: &str, name: &str) -> Result<Column> {
        let id = self.p.boards().resolve(key)?;
        let name = check_name("column", name)?;
        let board = self.p.boards().get(key)?;
        if board
            .columns
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(&name))
        {
            return Err(CoreError::DuplicateColumn(name));
        }
        let column = Column {
            id: ColumnId::random(),
            name,
            position: position::between(board.columns.last().map(|c| c.position.as_str()), None),
        };
        self.edit(id, "column.add", BoardEdit::AddColumn(column.clone()))?;
        Ok(column)
    }

    pub fn rename_column(&mut self, key: &str, column: &str, name: &str) -> Result<Column> {
        let id = self.p.boards().resolve(key)?;
        let name = check_name("column", name)?;
        let board = self.p.boards().get(key)?;
        let col = find_column(&board, column)?.clone();
        if board
            .columns
            .iter()
            .any(|c| c.id != col.id && c.name.eq_ignore_ascii_case(&name))
        {
            return Err(CoreError::DuplicateColumn(name));
        }
        let edit = BoardEdit::RenameColumn {
            id: col.id.clone(),
            name: name.clone(),
        };
        self.edit(id, "column.rename", edit)?;
        Ok(Column { name, ..col })
    }

    /// Moves a column to `index` (0 = first).
    pub fn move_column(&mut self, key: &str, column: &str, index: usize) -> Result<Board> {
        let id = self.p.boards().resolve(key)?;
        let board = self.p.boards().get(key)?;
        let col = find_column(&board, column)?.clone();
        let others: Vec<&Column> = board.columns.iter().filter(|c| c.id != col.id).collect();
        let index = index.min(others.len());
        let before = index
            .checked_sub(1)
            .and_then(|i| others.get(i))
            .map(|c| c.position.as_str());
        let after = others.get(index).map(|c| c.position.as_str());
        let position = position::between(before, after);
        self.edit(
            id,
            "column.move",
            BoardEdit::MoveColumn {
                id: col.id,
                position,
            },
        )
    }

    /// Deletes a column. Its open tasks move to `move_to`; without it the
    /// column must be empty.
    pub fn delete_column(&mut self, key: &str, column: &str, move_to: Option<&str>) -> Result<()> {
        let id = self.p.boards().resolve(key)?;
        let board = self.p.boards().get(key)?;
        let col = find_column(&board, column)?.clone();
        if board.columns.len() <= 1 {
            return Err(CoreError::LastColumn);
        }
        let target = move_to
            .map(|m| find_column(&board, m).cloned())
            .transpose()?;
        let tasks: Vec<String> = self
            .p
            .store()
            .conn()
            .prepare("SELECT task_id FROM tasks WHERE board_id = ?1 AND column_id = ?2")?
            .query_map([id.to_string(), col.id.to_string()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if !tasks.is_empty() && target.is_none() {
            return Err(CoreError::ColumnNotEmpty {
                column: col.name.clone(),
                count: tasks.len(),
            });
        }
        if self.p.defers_write(id)? {
            let tasks: Vec<TaskId> = tasks.into_iter().map(TaskId::new).collect();
            let to = target.as_ref().map(|t| &t.id);
            return self.p.column_delete_pending(id, &col.id, to, &tasks);
        }
        self.p.write_board(id, |b, now, user| {
            if let Some(target) = &target {
                for t in &tasks {
                    b.edit_task(
                        &TaskId::new(t.clone()),
                        &[crate::doc::TaskEdit::Column(target.id.clone())],
                        user,
                        now,
                    )?;
                }
            }
            b.remove_column(&col.id)?;
            Ok((
                (),
                ChangeNote::new(super::pending::COLUMN_DELETE, user),
                Touched::Everything,
            ))
        })
    }
}
