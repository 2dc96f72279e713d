//! Task history from the Automerge change log, and restoring a task to an
//! earlier version as a new change (nothing is rewritten).

use automerge::ChangeHash;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Profile;
use super::TasksMut;
use crate::doc::{ChangeNote, TaskEdit};
use crate::error::{CoreError, Result};
use crate::model::{Task, utc_from_millis};

/// One change to a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HistoryEntry {
    /// The change hash (hex); name a version by any unique prefix of it.
    pub version: String,
    pub at: DateTime<Utc>,
    pub by: String,
    pub op: String,
    pub fields: Vec<String>,
}

impl Profile {}

/// A set field: (current, wanted, add edit, remove edit).
type SetDiff<'a> = (
    &'a Vec<String>,
    &'a Vec<String>,
    fn(String) -> TaskEdit,
    fn(String) -> TaskEdit,
);

/// The edits that turn `now` into `old` (comments excepted).
fn restore_edits(now: &Task, old: &Task, column_exists: bool) -> Vec<TaskEdit> {
    let mut edits = Vec::new();
    if now.title != old.title {
        edits.push(TaskEdit::Title(old.title.clone()));
    }
    if now.description != old.description {
        edits.push(TaskEdit::Description(old.description.clone()));
    }
    if now.column != old.column && column_exists {
        edits.push(TaskEdit::Column(old.column.clone()));
    }
    if now.position != old.position {
        edits.push(TaskEdit::Position(old.position.clone()));
    }
    if now.due != old.due {
        edits.push(TaskEdit::Due(old.due.clone()));
    }
    if now.reminder != old.reminder {
        edits.push(TaskEdit::Reminder(old.reminder));
    }
    if now.priority != old.priority {
        edits.push(TaskEdit::Priority(old.priority));
    }
    if now.recurrence != old.recurrence {
        edits.push(TaskEdit::Recurrence(old.recurrence.clone()));
    }
    let sets: [SetDiff<'_>; 3] = [
        (
            &now.labels,
            &old.labels,
            TaskEdit::AddLabel,
            TaskEdit::RemoveLabel,
        ),
        (
            &now.assignees,
            &old.assignees,
            TaskEdit::AddAssignee,
            TaskEdit::RemoveAssignee,
        ),
        (
            &now.listings,
            &old.listings,
            TaskEdit::AddListing,
            TaskEdit::RemoveListing,
        ),
    ];
    for (cur, was, add, remove) in sets {
        edits.extend(was.iter().filter(|v| !cur.contains(v)).cloned().map(add));
        edits.extend(cur.iter().filter(|v| !was.contains(v)).cloned().map(remove));
    }
    for item in &old.checklist {
        match now.checklist.iter().find(|i| i.id == item.id) {
            None => {
                edits.push(TaskEdit::AddChecklistItem {
                    id: item.id.clone(),
                    text: item.text.clone(),
                    position: item.position.clone(),
                });
                if item.done {
                    edits.push(TaskEdit::ChecklistDone {
                        id: item.id.clone(),
                        done: true,
                    });
                }
            }
            Some(cur) => {
                if cur.text != item.text {
                    edits.push(TaskEdit::ChecklistText {
                        id: item.id.clone(),
                        text: item.text.clone(),
                    });
                }
                if cur.done != item.done {
                    edits.push(TaskEdit::ChecklistDone {
                        id: item.id.clone(),
                        done: item.done,
                    });
                }
            }
        }
    }
    for item in now
        .checklist
        .iter()
        .filter(|i| !old.checklist.iter().any(|o| o.id == i.id))
    {
        edits.push(TaskEdit::RemoveChecklistItem(item.id.clone()));
    }
    if now.completed_at != old.completed_at {
        edits.push(TaskEdit::Completed(old.completed_at));
    }
    if now.archived != old.archived {
        edits.push(TaskEdit::Archived(old.archived));
    }
    if now.deleted != old.deleted {
        edits.push(TaskEdit::Deleted(None));
    }
    edits
}

impl TasksMut<'_> {
    /// Every change to a task, oldest first.
    pub fn history(&mut self, key: &str) -> Result<Vec<HistoryEntry>> {
        let (id, board) = self.p.tasks().resolve(key)?;
        let mut doc = self.p.read_board(board)?.into_doc();
        let mut out = Vec::new();
        for change in doc.get_changes(&[]) {
            let Some(note) = ChangeNote::decode(change.message()) else {
                continue;
            };
            if note.task.as_deref() != Some(id.as_str()) {
                continue;
            }
            out.push(HistoryEntry {
                version: change.hash().to_string(),
                at: utc_from_millis(change.timestamp().saturating_mul(1000)),
                by: note.by,
                op: note.op,
                fields: note.fields,
            });
        }
        Ok(out)
    }

    /// Makes the task look as it did right after `version`, as a new change.
    /// Comments are a conversation and are kept; everything else is restored.
    pub fn restore(&mut self, key: &str, version: &str) -> Result<Task> {
        let (id, board_id) = self.p.tasks().resolve(key)?;
        let entries = self.p.tasks_mut().history(key)?;
        let wanted = version.trim().to_lowercase();
        let matches: Vec<&HistoryEntry> = entries
            .iter()
            .filter(|e| !wanted.is_empty() && e.version.starts_with(&wanted))
            .collect();
        let [entry] = matches.as_slice() else {
            return Err(CoreError::UnknownVersion {
                task: id.to_string(),
                version: version.to_string(),
            });
        };
        let hash: ChangeHash = entry
            .version
            .parse()
            .map_err(|_| CoreError::UnknownVersion {
                task: id.to_string(),
                version: version.to_string(),
            })?;
        let board = self.p.read_board(board_id)?;
        let old = board
            .task_at(&id, Some(&[hash]))?
            .ok_or_else(|| CoreError::UnknownVersion {
                task: id.to_string(),
                version: version.to_string(),
            })?;
        let now_task = board
            .task(&id)?
            .ok_or_else(|| CoreError::UnknownTask(id.to_string()))?;
        let columns = board.board()?.columns;
        let edits = restore_edits(&now_task, &old, columns.iter().any(|c| c.id == old.column));
        let short = entry.version.chars().take(8).collect::<String>();
        let op = format!("task.restore:{short}");
        let mut fields: Vec<String> = edits.iter().map(|e| e.field().to_string()).collect();
        fields.dedup();
        let task_id = id.clone();
        self.p.write_board(board_id, move |b, now, user| {
            b.edit_task(&task_id, &edits, user, now)?;
            let note = ChangeNote::for_task(&op, user, task_id.as_str(), fields);
            Ok(((), note, super::Touched::Tasks(vec![task_id.clone()])))
        })?;
        self.p.tasks().get(id.as_str())
    }
}
