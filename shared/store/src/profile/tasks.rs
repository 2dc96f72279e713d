//! Task operations and queries.

use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;
use serde::Serialize;

use super::boards::find_column;
use super::{Profile, Touched};
use super::{Tasks, TasksMut};
use crate::doc::{ChangeNote, TaskEdit};
use crate::error::{CoreError, Result};
use crate::ids::{CommentId, DocumentId, ItemId, TaskId};
use crate::model::{
    Comment, Due, MAX_COMMENT, MAX_DESCRIPTION, Priority, Recurrence, Task, check_label,
    check_name, check_text, check_title,
};
use crate::position;
use crate::quickadd::{self, Parsed};
use crate::store::{TaskQuery, query_task_json, query_tasks};

pub use crate::model::NewTask;

/// Changes to a task; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct TaskChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub due: Option<Option<Due>>,
    pub reminder: Option<Option<DateTime<Utc>>>,
    pub priority: Option<Priority>,
    pub recurrence: Option<Option<Recurrence>>,
    pub add_labels: Vec<String>,
    pub remove_labels: Vec<String>,
    pub add_assignees: Vec<String>,
    pub remove_assignees: Vec<String>,
    pub add_listings: Vec<String>,
    pub remove_listings: Vec<String>,
}

/// The result of completing a task: the task, and the next instance if it recurs.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Completion {
    pub task: Task,
    pub next: Option<Task>,
}

fn listing_key(key: &str) -> Result<String> {
    let key = key.trim().trim_start_matches("mls:").to_string();
    if key.is_empty()
        || key.len() > 64
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(CoreError::Model(crate::ModelError::InvalidValue {
            what: "listing key",
            value: key,
            hint: "a ListingKey is letters, digits, '-', '_' or '.', up to 64 characters",
        }));
    }
    Ok(key)
}

fn person(name: &str) -> Result<String> {
    Ok(check_name("assignee", name.trim().trim_start_matches('@'))?)
}

impl TaskChanges {
    /// Validates and turns the changes into edits.
    fn edits(&self) -> Result<Vec<TaskEdit>> {
        let mut edits = Vec::new();
        if let Some(title) = &self.title {
            edits.push(TaskEdit::Title(check_title(title)?));
        }
        if let Some(text) = &self.description {
            check_text("description", text, MAX_DESCRIPTION)?;
            edits.push(TaskEdit::Description(text.clone()));
        }
        if let Some(due) = &self.due {
            edits.push(TaskEdit::Due(due.clone()));
        }
        if let Some(r) = self.reminder {
            edits.push(TaskEdit::Reminder(r));
        }
        if let Some(p) = self.priority {
            edits.push(TaskEdit::Priority(p));
        }
        if let Some(r) = &self.recurrence {
            edits.push(TaskEdit::Recurrence(r.clone()));
        }
        for l in &self.add_labels {
            edits.push(TaskEdit::AddLabel(check_label(l)?));
        }
        for l in &self.remove_labels {
            edits.push(TaskEdit::RemoveLabel(check_label(l)?));
        }
        for a in &self.add_assignees {
            edits.push(TaskEdit::AddAssignee(person(a)?));
        }
        for a in &self.remove_assignees {
            edits.push(TaskEdit::RemoveAssignee(person(a)?));
        }
        for k in &self.add_listings {
            edits.push(TaskEdit::AddListing(listing_key(k)?));
        }
        for k in &self.remove_listings {
            edits.push(TaskEdit::RemoveListing(listing_key(k)?));
        }
        Ok(edits)
    }
}

impl Profile {
    /// Applies `edits` to a task as one change and returns the task.
    pub(crate) fn edit_with(&mut self, key: &str, op: &str, edits: Vec<TaskEdit>) -> Result<Task> {
        let id = self.apply_edits(key, op, edits)?;
        self.tasks().get(id.as_str())
    }

    fn apply_edits(&mut self, key: &str, op: &str, edits: Vec<TaskEdit>) -> Result<TaskId> {
        let (id, board) = self.tasks().resolve(key)?;
        if !edits.is_empty() {
            let mut fields: Vec<String> = edits.iter().map(|e| e.field().to_string()).collect();
            fields.dedup();
            if self.defers_write(board)? {
                // A big board that is not loaded: see `pending`.
                self.edit_pending(&id, op, edits, fields)?;
                return Ok(id);
            }
            let task_id = id.clone();
            self.write_board(board, move |b, now, user| {
                b.edit_task(&task_id, &edits, user, now)?;
                let note = ChangeNote::for_task(op, user, task_id.as_str(), fields);
                Ok(((), note, Touched::Tasks(vec![task_id.clone()])))
            })?;
        }
        Ok(id)
    }

    /// Adds labels no task has used yet to the workspace's label catalogue.
    pub(crate) fn catalogue_labels(&mut self, labels: &[String]) -> Result<()> {
        let mut new = Vec::new();
        for label in labels {
            let used: bool = self
                .store()
                .conn()
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM task_labels WHERE label = ?1)")?
                .query_row([label], |r| r.get(0))?;
            if !used {
                new.push(label.clone());
            }
        }
        if new.is_empty() {
            return Ok(());
        }
        let user = self.user.clone();
        self.write_workspace(|ws| {
            for label in &new {
                ws.add_label(label)?;
            }
            Ok(ChangeNote::new("workspace.add-labels", &user))
        })
    }

    /// Every label: the workspace catalogue plus any label on a task (boards
    /// imported from elsewhere may bring their own), sorted.
    pub fn labels(&mut self) -> Result<Vec<String>> {
        let mut labels = self.read_workspace()?.labels();
        let used: Vec<String> = self
            .store()
            .conn()
            .prepare_cached("SELECT DISTINCT label FROM task_labels")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        labels.extend(used);
        labels.sort();
        labels.dedup();
        Ok(labels)
    }
}

fn find_item(task: &Task, key: &str) -> Result<ItemId> {
    let key = key.trim();
    if let Ok(n) = key.parse::<usize>()
        && n >= 1
        && let Some(item) = task.checklist.get(n - 1)
    {
        return Ok(item.id.clone());
    }
    // A short number is a position, never the start of an id: "9" on a
    // two-item list must not pick an item whose random id happens to
    // begin with 9.
    let is_position = !key.is_empty() && key.len() < 4 && key.bytes().all(|b| b.is_ascii_digit());
    let matches: Vec<&crate::model::ChecklistItem> = task
        .checklist
        .iter()
        .filter(|i| !key.is_empty() && !is_position && i.id.as_str().starts_with(key))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one.id.clone()),
        _ => Err(CoreError::UnknownChecklistItem {
            task: task.id.to_string(),
            item: key.to_string(),
            count: task.checklist.len(),
        }),
    }
}

impl Tasks<'_> {
    /// Finds a task by its id or a unique prefix of it.
    pub fn resolve(&self, key: &str) -> Result<(TaskId, DocumentId)> {
        let key = key.trim().to_lowercase();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(CoreError::UnknownTask(key));
        }
        let mut stmt = self
            .p.store()
            .conn()
            .prepare_cached("SELECT task_id, board_id FROM tasks WHERE task_id >= ?1 AND task_id < ?1 || 'g' LIMIT 4")?;
        let rows: Vec<(String, String)> = stmt
            .query_map([&key], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        match rows.as_slice() {
            [(task, board)] => Ok((TaskId::new(task.clone()), DocumentId::parse(board)?)),
            [] => Err(CoreError::UnknownTask(key)),
            many => Err(CoreError::AmbiguousTask(
                key,
                many.iter()
                    .map(|(t, _)| t.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            )),
        }
    }

    /// A task, from the materialized tables.
    pub fn get(&self, key: &str) -> Result<Task> {
        let (id, _) = self.p.tasks().resolve(key)?;
        self.by_id(&id)
    }

    /// A task by its whole id (a key the caller made, not one a person
    /// typed: no prefix look-up).
    pub(crate) fn by_id(&self, id: &TaskId) -> Result<Task> {
        let json: String = self
            .p
            .store()
            .conn()
            .prepare_cached("SELECT json FROM tasks WHERE task_id = ?1")?
            .query_row([id.as_str()], |r| r.get(0))
            .optional()?
            .ok_or_else(|| CoreError::UnknownTask(id.to_string()))?;
        serde_json::from_str(&json).map_err(|e| CoreError::CorruptDocument {
            doc: id.to_string(),
            reason: format!("{e}; run `porchlight reindex`"),
        })
    }

    /// Tasks matching `query`, from the materialized tables.
    pub fn list(&self, query: &TaskQuery) -> Result<Vec<Task>> {
        let query = self.renamed(query)?;
        query_tasks(self.p.store().conn(), &query, self.p.now(), self.p.tz())
    }

    /// `query` with an assignee named by a former name asking for the
    /// name the person goes by now (`--assignee maria` after maria became
    /// maria.g).
    fn renamed<'q>(&self, query: &'q TaskQuery) -> Result<std::borrow::Cow<'q, TaskQuery>> {
        let Some(name) = &query.assignee else {
            return Ok(std::borrow::Cow::Borrowed(query));
        };
        let name = name.trim_start_matches('@');
        let now = self
            .p
            .boards()
            .renames()?
            .values()
            .map(|r| r.resolve(name))
            .find(|n| n != name);
        Ok(match now {
            Some(now) => std::borrow::Cow::Owned(TaskQuery {
                assignee: Some(now),
                ..query.clone()
            }),
            None => std::borrow::Cow::Borrowed(query),
        })
    }

    /// Tasks matching `query` as one JSON array, straight from the
    /// materialized table (each element is exactly the task's own
    /// serialization): a window showing thousands of tasks skips decoding
    /// and re-encoding every one.
    pub fn list_json(&self, query: &TaskQuery) -> Result<String> {
        let query = self.renamed(query)?;
        let rows = query_task_json(self.p.store().conn(), &query, self.p.now(), self.p.tz())?;
        let mut out = String::with_capacity(rows.iter().map(|r| r.len() + 1).sum::<usize>() + 2);
        out.push('[');
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(row);
        }
        out.push(']');
        Ok(out)
    }

    /// Full-text search over open and done tasks, best match first.
    pub fn search(&self, text: &str, limit: usize) -> Result<Vec<Task>> {
        let query = TaskQuery {
            search: Some(text.to_string()),
            include_done: true,
            limit: Some(limit),
            ..TaskQuery::default()
        };
        self.p.tasks().list(&query)
    }

    /// The tasks linked to a listing (open and done), newest first.
    pub fn for_listing(&self, key: &str) -> Result<Vec<Task>> {
        self.p.tasks().list(&TaskQuery {
            listing: Some(key.to_string()),
            include_done: true,
            ..TaskQuery::default()
        })
    }

    /// Open tasks in focus order (see [`crate::focus`]): overdue, then
    /// those the team's history predicts will be late, then by score.
    pub fn focus(&self, limit: usize) -> Result<Vec<Task>> {
        let open = self.p.tasks().list(&TaskQuery::default())?;
        let now = self.p.now();
        let at_risk = crate::insights::at_risk_ids(&self.p.tasks().facts(None)?, now);
        let mut ordered = crate::focus::order_with(open, now, &at_risk);
        ordered.truncate(limit);
        Ok(ordered)
    }

    /// What insight needs of every task (of one board), read from the
    /// covering index `tasks_facts`, without decoding whole tasks.
    pub fn facts(&self, board: Option<DocumentId>) -> Result<Vec<crate::insights::Facts>> {
        const COLUMNS: &str = "task_id, title, created_at, completed_at, due_deadline, archived,
            labels, assignees, template_step FROM tasks";
        let conn = self.p.store().conn();
        let mut stmt = match board {
            Some(_) => conn.prepare_cached(&format!("SELECT {COLUMNS} WHERE board_id = ?1"))?,
            None => conn.prepare_cached(&format!("SELECT {COLUMNS} INDEXED BY tasks_facts"))?,
        };
        let split = |s: String| -> Vec<String> {
            if s.is_empty() {
                vec![]
            } else {
                s.split('\u{1f}').map(str::to_string).collect()
            }
        };
        let read = |r: &rusqlite::Row<'_>| {
            Ok(crate::insights::Facts {
                id: TaskId::new(r.get::<_, String>(0)?),
                title: r.get(1)?,
                created_at: crate::model::utc_from_millis(r.get(2)?),
                completed_at: r
                    .get::<_, Option<i64>>(3)?
                    .map(crate::model::utc_from_millis),
                deadline: r
                    .get::<_, Option<i64>>(4)?
                    .map(crate::model::utc_from_millis),
                archived: r.get(5)?,
                labels: split(r.get(6)?),
                assignees: split(r.get(7)?),
                step: r.get(8)?,
            })
        };
        let rows = match board {
            Some(b) => stmt.query_map([b.to_string()], read)?,
            None => stmt.query_map([], read)?,
        };
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Insight into one board's work (or every board's) over the last
    /// `weeks` weeks (see [`crate::insights`]).
    pub fn insights(&self, board: Option<&str>, weeks: u32) -> Result<crate::insights::Insights> {
        let board = board.map(|b| self.p.boards().resolve(b)).transpose()?;
        let facts = self.p.tasks().facts(board)?;
        Ok(crate::insights::insights(
            &facts,
            self.p.now(),
            self.p.tz(),
            weeks,
        ))
    }

    /// The predicted completion of one open task, with its reason.
    pub fn predict(&self, key: &str) -> Result<crate::insights::Prediction> {
        let task = self.p.tasks().get(key)?;
        let history = self.p.tasks().facts(None)?;
        Ok(crate::insights::History::learn(&history)
            .predict(&crate::insights::Facts::from(&task), self.p.now()))
    }
}

impl TasksMut<'_> {
    /// Adds a task at the bottom of its column.
    pub fn add(&mut self, board_key: &str, new: NewTask) -> Result<Task> {
        let board = self.p.boards().get(board_key)?;
        let board_id = board.id;
        let column = match &new.column {
            Some(c) => find_column(&board, c)?.clone(),
            None => board
                .columns
                .first()
                .cloned()
                .ok_or(CoreError::LastColumn)?,
        };
        let title = check_title(&new.title)?;
        check_text("description", &new.description, MAX_DESCRIPTION)?;
        let last: Option<String> = self
            .p
            .store()
            .conn()
            .prepare_cached(
                "SELECT MAX(position) FROM tasks WHERE board_id = ?1 AND column_id = ?2",
            )?
            .query_row([board_id.to_string(), column.id.to_string()], |r| r.get(0))?;
        let now = self.p.now();
        let mut task = Task::new(
            board_id,
            title,
            column.id.clone(),
            position::between(last.as_deref(), None),
            &self.p.user,
            now,
        );
        task.description = new.description;
        task.due = new.due;
        task.reminder = new.reminder;
        task.priority = new.priority;
        task.recurrence = new.recurrence;
        task.labels = new
            .labels
            .iter()
            .map(|l| check_label(l))
            .collect::<Result<_, _>>()?;
        task.assignees = new
            .assignees
            .iter()
            .map(|a| person(a))
            .collect::<Result<_>>()?;
        task.listings = new
            .listings
            .iter()
            .map(|k| listing_key(k))
            .collect::<Result<_>>()?;
        for v in [&mut task.labels, &mut task.assignees, &mut task.listings] {
            v.sort();
            v.dedup();
        }
        self.p.catalogue_labels(&task.labels)?;
        if self.p.defers_write(board_id)? {
            // A big board that is not loaded: the add is stored at once and
            // reaches the document at its next load (see `pending`).
            self.p.add_pending(&task)?;
            return self.p.tasks().by_id(&task.id);
        }
        let written = task.clone();
        self.p.write_board(board_id, move |b, _, user| {
            b.insert_task(&written)?;
            let note = ChangeNote::for_task("task.add", user, written.id.as_str(), vec![]);
            Ok(((), note, Touched::Tasks(vec![written.id.clone()])))
        })?;
        self.p.tasks().by_id(&task.id)
    }

    /// Parses quick-add text and adds the task it describes.
    pub fn quick_add(&mut self, board_key: &str, text: &str) -> Result<(Task, Parsed)> {
        let parsed = quickadd::parse(text, self.p.now(), self.p.tz_name())?;
        let new = parsed.to_new_task()?;
        let task = self.p.tasks_mut().add(board_key, new)?;
        Ok((task, parsed))
    }

    pub fn edit(&mut self, key: &str, changes: &TaskChanges) -> Result<Task> {
        let edits = changes.edits()?;
        let labels: Vec<String> = edits
            .iter()
            .filter_map(|e| match e {
                TaskEdit::AddLabel(l) => Some(l.clone()),
                _ => None,
            })
            .collect();
        self.p.tasks().resolve(key)?;
        self.p.catalogue_labels(&labels)?;
        self.p.edit_with(key, "task.edit", edits)
    }

    /// Replaces part of the description, as a text editor does.
    pub fn splice_description(
        &mut self,
        key: &str,
        pos: usize,
        delete: usize,
        insert: &str,
    ) -> Result<Task> {
        check_text("description", insert, MAX_DESCRIPTION)?;
        let task = self.p.tasks().get(key)?;
        let new_len =
            task.description.chars().count().saturating_sub(delete) + insert.chars().count();
        check_text(
            "description",
            &"x".repeat(new_len.min(MAX_DESCRIPTION + 1)),
            MAX_DESCRIPTION,
        )?;
        self.p.edit_with(
            key,
            "task.edit",
            vec![TaskEdit::SpliceDescription {
                pos,
                delete,
                insert: insert.to_string(),
            }],
        )
    }

    /// Moves a task to `column` (default: its own) at `index` among that
    /// column's tasks (default: the bottom).
    pub fn move_to(
        &mut self,
        key: &str,
        column: Option<&str>,
        index: Option<usize>,
    ) -> Result<Task> {
        let task = self.p.tasks().get(key)?;
        let board = self.p.boards().get(&task.board.to_string())?;
        let target = match column {
            Some(c) => find_column(&board, c)?.id.clone(),
            None => task.column.clone(),
        };
        let siblings: Vec<(String, String)> = self
            .p.store()
            .conn()
            .prepare_cached(
                "SELECT position, task_id FROM tasks WHERE board_id = ?1 AND column_id = ?2 AND task_id != ?3
                 ORDER BY position, task_id",
            )?
            .query_map([task.board.to_string(), target.to_string(), task.id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let index = index.unwrap_or(siblings.len()).min(siblings.len());
        let before = index
            .checked_sub(1)
            .and_then(|i| siblings.get(i))
            .map(|s| s.0.as_str());
        let after = siblings.get(index).map(|s| s.0.as_str());
        let position = position::between(before, after);
        let mut edits = vec![TaskEdit::Position(position)];
        if target != task.column {
            edits.insert(0, TaskEdit::Column(target));
        }
        self.p.edit_with(key, "task.move", edits)
    }

    /// Completes a task. A recurring task gets its next instance, added to
    /// the same column; the completed one stays, marked done.
    pub fn complete(&mut self, key: &str) -> Result<Completion> {
        let task = self.p.tasks().get(key)?;
        if task.is_done() {
            return Ok(Completion { task, next: None });
        }
        let now = self.p.now();
        let next = task.recurrence.as_ref().map(|rec| {
            let due = crate::recurrence::next_due(rec, task.due.as_ref(), now, self.p.tz_name());
            let mut next = task.clone();
            next.id = TaskId::random();
            next.due = Some(due.clone());
            next.reminder = task
                .reminder
                .zip(task.due.as_ref())
                .map(|(r, d)| due.at - (d.at - r));
            next.checklist.iter_mut().for_each(|i| i.done = false);
            next.comments.clear();
            next.created_by = self.p.user.clone();
            next.created_at = now;
            next.updated_by = self.p.user.clone();
            next.updated_at = now;
            next
        });
        if self.p.defers_write(task.board)? {
            // A big board that is not loaded: see `pending`.
            self.p.complete_pending(&task.id, next.as_ref())?;
        } else {
            self.complete_loaded(&task.id, task.board, next.clone())?;
        }
        let next = match next {
            Some(n) => Some(self.p.tasks().get(n.id.as_str())?),
            None => None,
        };
        Ok(Completion {
            task: self.p.tasks().get(task.id.as_str())?,
            next,
        })
    }

    /// Completes a task of a loaded board, with the next instance of a
    /// recurring one, as one change.
    fn complete_loaded(
        &mut self,
        id: &TaskId,
        board: DocumentId,
        next: Option<Task>,
    ) -> Result<()> {
        let task_id = id.clone();
        let next_for_doc = next;
        self.p.write_board(board, move |b, now, user| {
            b.edit_task(&task_id, &[TaskEdit::Completed(Some(now))], user, now)?;
            let mut touched = vec![task_id.clone()];
            if let Some(next) = &next_for_doc {
                b.insert_task(next)?;
                touched.push(next.id.clone());
            }
            let note = ChangeNote::for_task(
                "task.complete",
                user,
                task_id.as_str(),
                vec!["completed".into()],
            );
            Ok(((), note, Touched::Tasks(touched)))
        })
    }

    pub fn reopen(&mut self, key: &str) -> Result<Task> {
        self.p
            .edit_with(key, "task.reopen", vec![TaskEdit::Completed(None)])
    }

    pub fn archive(&mut self, key: &str, archived: bool) -> Result<Task> {
        self.p.edit_with(
            key,
            if archived {
                "task.archive"
            } else {
                "task.unarchive"
            },
            vec![TaskEdit::Archived(archived)],
        )
    }

    /// Deletes a task. It leaves every list and search; its changes stay in
    /// the board document's history.
    pub fn delete(&mut self, key: &str) -> Result<TaskId> {
        let now = self.p.now();
        self.p
            .apply_edits(key, "task.delete", vec![TaskEdit::Deleted(Some(now))])
    }

    pub fn add_checklist_item(&mut self, key: &str, text: &str) -> Result<Task> {
        let text = text.trim();
        if text.is_empty() {
            return Err(CoreError::Model(crate::ModelError::EmptyName {
                what: "checklist item",
            }));
        }
        check_text("checklist item", text, MAX_COMMENT)?;
        let task = self.p.tasks().get(key)?;
        let position = position::between(task.checklist.last().map(|i| i.position.as_str()), None);
        self.p.edit_with(
            key,
            "task.checklist",
            vec![TaskEdit::AddChecklistItem {
                id: ItemId::random(),
                text: text.to_string(),
                position,
            }],
        )
    }

    /// Ticks or unticks a checklist item, named by id, id prefix or 1-based number.
    pub fn set_checklist_done(&mut self, key: &str, item: &str, done: bool) -> Result<Task> {
        let task = self.p.tasks().get(key)?;
        let id = find_item(&task, item)?;
        self.p.edit_with(
            key,
            "task.checklist",
            vec![TaskEdit::ChecklistDone { id, done }],
        )
    }

    pub fn remove_checklist_item(&mut self, key: &str, item: &str) -> Result<Task> {
        let task = self.p.tasks().get(key)?;
        let id = find_item(&task, item)?;
        self.p.edit_with(
            key,
            "task.checklist",
            vec![TaskEdit::RemoveChecklistItem(id)],
        )
    }

    pub fn comment(&mut self, key: &str, text: &str) -> Result<Task> {
        let text = text.trim();
        if text.is_empty() {
            return Err(CoreError::Model(crate::ModelError::EmptyName {
                what: "comment",
            }));
        }
        check_text("comment", text, MAX_COMMENT)?;
        let comment = Comment {
            id: CommentId::random(),
            author: self.p.user.clone(),
            at: self.p.now(),
            text: text.to_string(),
            mentions: crate::model::mentions_in(text),
        };
        self.p
            .edit_with(key, "task.comment", vec![TaskEdit::AddComment(comment)])
    }
}
