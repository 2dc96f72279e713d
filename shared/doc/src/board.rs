//! The board document: columns and tasks, written through [`TaskEdit`]s.

use automerge::transaction::Transactable;
use automerge::{
    AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, ScalarValueRef, Value,
};
use chrono::{DateTime, Utc};

use super::read::{task_from_hydrated, text_of};
use super::{ChangeNote, DocKind, root_str};
use crate::error::{DocError, Result};
use porchlight_model::board::{Board, Column, Comment, Due, Priority, Recurrence, Task};
use porchlight_model::ids::{ColumnId, DocumentId, ItemId, TaskId};
use porchlight_model::people::Renames;

/// One change to one task. Operations are lists of edits, so the same code
/// writes a new task, an edit from the CLI and a restore from history.
/// Serializable, so an edit can wait in a profile until its board is
/// loaded.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum TaskEdit {
    Title(String),
    /// Replaces the description by diffing against the current text.
    Description(String),
    /// A character-level splice of the description (what an editor sends).
    SpliceDescription {
        pos: usize,
        delete: usize,
        insert: String,
    },
    Column(ColumnId),
    Position(String),
    Due(Option<Due>),
    Reminder(Option<DateTime<Utc>>),
    Priority(Priority),
    AddLabel(String),
    RemoveLabel(String),
    AddAssignee(String),
    RemoveAssignee(String),
    AddListing(String),
    RemoveListing(String),
    Recurrence(Option<Recurrence>),
    /// The template application the task belongs to (as JSON, whole).
    Template(Option<porchlight_model::template::TemplateLink>),
    Completed(Option<DateTime<Utc>>),
    Archived(bool),
    Deleted(Option<DateTime<Utc>>),
    AddChecklistItem {
        id: ItemId,
        text: String,
        position: String,
    },
    ChecklistText {
        id: ItemId,
        text: String,
    },
    ChecklistDone {
        id: ItemId,
        done: bool,
    },
    RemoveChecklistItem(ItemId),
    AddComment(Comment),
    /// Watch (true) or stop watching (false) the task, by hand.
    Watch {
        person: String,
        on: bool,
    },
}

impl TaskEdit {
    /// The field name shown in history.
    pub fn field(&self) -> &'static str {
        match self {
            TaskEdit::Title(_) => "title",
            TaskEdit::Description(_) | TaskEdit::SpliceDescription { .. } => "description",
            TaskEdit::Column(_) => "column",
            TaskEdit::Position(_) => "position",
            TaskEdit::Due(_) => "due",
            TaskEdit::Reminder(_) => "reminder",
            TaskEdit::Priority(_) => "priority",
            TaskEdit::AddLabel(_) | TaskEdit::RemoveLabel(_) => "labels",
            TaskEdit::AddAssignee(_) | TaskEdit::RemoveAssignee(_) => "assignees",
            TaskEdit::AddListing(_) | TaskEdit::RemoveListing(_) => "listings",
            TaskEdit::Recurrence(_) => "recurrence",
            TaskEdit::Template(_) => "template",
            TaskEdit::Completed(_) => "completed",
            TaskEdit::Archived(_) => "archived",
            TaskEdit::Deleted(_) => "deleted",
            TaskEdit::AddChecklistItem { .. }
            | TaskEdit::ChecklistText { .. }
            | TaskEdit::ChecklistDone { .. }
            | TaskEdit::RemoveChecklistItem(_) => "checklist",
            TaskEdit::AddComment(_) => "comments",
            TaskEdit::Watch { .. } => "watch",
        }
    }
}

/// One change to a board's own fields: its name and its columns. Like
/// [`TaskEdit`], serializable, so a board-level write can wait in a
/// profile until the board is loaded.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum BoardEdit {
    Rename(String),
    AddColumn(Column),
    RenameColumn {
        id: ColumnId,
        name: String,
    },
    MoveColumn {
        id: ColumnId,
        position: String,
    },
    /// Removes the column (its tasks are moved by task edits).
    RemoveColumn(ColumnId),
}

impl BoardEdit {
    /// Makes the edit on the board document.
    pub fn apply(&self, board: &mut BoardDoc) -> Result<()> {
        match self {
            BoardEdit::Rename(name) => board.rename(name),
            BoardEdit::AddColumn(c) => board.add_column(&c.id, &c.name, &c.position),
            BoardEdit::RenameColumn { id, name } => board.rename_column(id, name),
            BoardEdit::MoveColumn { id, position } => board.move_column(id, position),
            BoardEdit::RemoveColumn(id) => board.remove_column(id),
        }
    }

    /// Makes the edit on a board as read: `board` becomes what
    /// [`BoardDoc::board`] reads once [`Self::apply`] made it on the
    /// document `board` was read from (a column the edit names but the board
    /// lacks is made with what the edit gives, as the document makes it).
    pub fn apply_to(&self, board: &mut Board) {
        let column = |board: &mut Board, id: &ColumnId| -> usize {
            match board.columns.iter().position(|c| &c.id == id) {
                Some(i) => i,
                None => {
                    board.columns.push(Column {
                        id: id.clone(),
                        name: String::new(),
                        position: String::new(),
                    });
                    board.columns.len() - 1
                }
            }
        };
        match self {
            BoardEdit::Rename(name) => board.name.clone_from(name),
            BoardEdit::AddColumn(c) => {
                let i = column(board, &c.id);
                board.columns[i] = c.clone();
            }
            BoardEdit::RenameColumn { id, name } => {
                let i = column(board, id);
                board.columns[i].name.clone_from(name);
            }
            BoardEdit::MoveColumn { id, position } => {
                let i = column(board, id);
                board.columns[i].position.clone_from(position);
            }
            BoardEdit::RemoveColumn(id) => board.columns.retain(|c| &c.id != id),
        }
        board
            .columns
            .sort_by(|a, b| (&a.position, &a.id).cmp(&(&b.position, &b.id)));
    }
}

/// Key prefixes in a task's map (see `restamp_mentions`).
pub(crate) const MENTIONED: &str = "mentioned:";
pub(crate) const ASSIGNED: &str = "assigned:";
pub(crate) const WATCH: &str = "watch:";
pub(crate) const INBOX: &str = "inbox:";
/// A person's rename on the board's root: `renamed:OLD = NEW` (see
/// [`porchlight_model::people`]).
pub const RENAMED: &str = "renamed:";

/// A board document in memory.
#[derive(Debug)]
pub struct BoardDoc {
    doc: AutoCommit,
    id: DocumentId,
}

fn ts(at: DateTime<Utc>) -> ScalarValue {
    ScalarValue::Timestamp(at.timestamp_millis())
}

impl BoardDoc {
    /// A new board with the given columns, as one change.
    pub fn create(
        doc: AutoCommit,
        id: DocumentId,
        name: &str,
        columns: &[(ColumnId, String)],
        workspace: Option<DocumentId>,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let mut board = Self { doc, id };
        let d = &mut board.doc;
        crate::put_header(d, DocKind::Board, id, name)?;
        d.put(ROOT, "created_at", ts(now))?;
        if let Some(ws) = workspace {
            d.put(ROOT, "workspace", ws.to_string())?;
        }
        d.put_object(ROOT, "columns", ObjType::Map)?;
        d.put_object(ROOT, "tasks", ObjType::Map)?;
        let keys = porchlight_model::position::sequence(columns.len());
        for ((column_id, column_name), position) in columns.iter().zip(keys) {
            board.put_column(column_id, column_name, &position)?;
        }
        Ok(board)
    }

    /// Wraps a loaded document, checking it is a board.
    pub fn from_doc(doc: AutoCommit) -> Result<Self> {
        let id = crate::expect_kind(&doc, DocKind::Board, "a board")?;
        Ok(Self { doc, id })
    }

    pub fn id(&self) -> DocumentId {
        self.id
    }

    pub fn into_doc(self) -> AutoCommit {
        self.doc
    }

    pub fn doc(&self) -> &AutoCommit {
        &self.doc
    }

    pub fn doc_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// Commits pending edits as one change carrying `note`.
    pub fn commit(&mut self, note: &ChangeNote, now: DateTime<Utc>) -> Option<ChangeHash> {
        crate::commit_note(&mut self.doc, note, now)
    }

    pub fn name(&self) -> String {
        root_str(&self.doc, "name").unwrap_or_else(|| "(unnamed board)".into())
    }

    pub fn workspace(&self) -> Option<DocumentId> {
        root_str(&self.doc, "workspace").and_then(|w| DocumentId::parse(&w).ok())
    }

    pub fn is_deleted(&self) -> bool {
        matches!(
            self.doc.get(ROOT, "deleted"),
            Ok(Some((Value::Scalar(s), _))) if matches!(s.as_ref(), ScalarValue::Boolean(true))
        )
    }

    pub fn rename(&mut self, name: &str) -> Result<()> {
        self.doc.put(ROOT, "name", name)?;
        Ok(())
    }

    /// Records that the person called `old` is called `new` from now on:
    /// everything the board holds under `old` reads as `new`. Kept flat:
    /// names that became `old` earlier now point at `new` too, and
    /// renaming back (`new → old` later) drops the entry that made `old`.
    pub fn rename_person(&mut self, old: &str, new: &str) -> Result<()> {
        let (old, new) = (old.to_lowercase(), new.to_lowercase());
        if old == new {
            return Ok(());
        }
        let earlier: Vec<String> = self
            .renames()
            .pairs()
            .iter()
            .filter(|(_, to)| to.to_lowercase() == old)
            .map(|(from, _)| from.clone())
            .collect();
        for from in earlier {
            let key = format!("{RENAMED}{from}");
            if from == new {
                self.doc.delete(ROOT, key.as_str())?;
            } else {
                self.doc.put(ROOT, key, new.as_str())?;
            }
        }
        self.doc
            .put(ROOT, format!("{RENAMED}{old}"), new.as_str())?;
        Ok(())
    }

    /// The renames recorded on this board.
    pub fn renames(&self) -> Renames {
        Renames::new(self.doc.map_range(ROOT, ..).filter_map(|item| {
            let old = item.key.strip_prefix(RENAMED)?;
            match item.value {
                automerge::ValueRef::Scalar(ScalarValueRef::Str(new)) => {
                    Some((old.to_string(), new.to_string()))
                }
                _ => None,
            }
        }))
    }

    pub fn set_deleted(&mut self, deleted: bool) -> Result<()> {
        self.doc.put(ROOT, "deleted", deleted)?;
        Ok(())
    }

    fn map_at(&self, parent: &ObjId, key: &str) -> Result<Option<ObjId>> {
        Ok(match self.doc.get(parent, key)? {
            Some((Value::Object(ObjType::Map), id)) => Some(id),
            _ => None,
        })
    }

    /// A map at `key`, created if a peer's document lacks it.
    fn ensure_map(&mut self, parent: &ObjId, key: &str) -> Result<ObjId> {
        match self.map_at(parent, key)? {
            Some(id) => Ok(id),
            None => Ok(self.doc.put_object(parent, key, ObjType::Map)?),
        }
    }

    fn columns_obj(&mut self) -> Result<ObjId> {
        self.ensure_map(&ROOT, "columns")
    }

    fn tasks_obj(&mut self) -> Result<ObjId> {
        self.ensure_map(&ROOT, "tasks")
    }

    fn task_obj(&self, id: &TaskId) -> Result<Option<ObjId>> {
        match self.map_at(&ROOT, "tasks")? {
            Some(tasks) => self.map_at(&tasks, id.as_str()),
            None => Ok(None),
        }
    }

    fn put_column(&mut self, id: &ColumnId, name: &str, position: &str) -> Result<()> {
        let columns = self.columns_obj()?;
        let column = self.doc.put_object(&columns, id.as_str(), ObjType::Map)?;
        self.doc.put(&column, "name", name)?;
        self.doc.put(&column, "position", position)?;
        Ok(())
    }

    /// The board's name and its columns in order.
    pub fn board(&self) -> Result<Board> {
        let mut columns = Vec::new();
        if let Some(obj) = self.map_at(&ROOT, "columns")? {
            for item in self.doc.map_range(&obj, ..) {
                let automerge::ValueRef::Object(ObjType::Map) = item.value else {
                    continue;
                };
                let column_obj = item.id();
                let name = self.scalar_str(&column_obj, "name").unwrap_or_default();
                let position = self.scalar_str(&column_obj, "position").unwrap_or_default();
                columns.push(Column {
                    id: ColumnId::new(item.key.to_string()),
                    name,
                    position,
                });
            }
        }
        columns.sort_by(|a, b| (&a.position, &a.id).cmp(&(&b.position, &b.id)));
        Ok(Board {
            id: self.id,
            name: self.name(),
            columns,
        })
    }

    fn scalar_str(&self, obj: &ObjId, key: &str) -> Option<String> {
        super::string_at(&self.doc, obj, key)
    }

    pub fn add_column(&mut self, id: &ColumnId, name: &str, position: &str) -> Result<()> {
        self.put_column(id, name, position)
    }

    pub fn rename_column(&mut self, id: &ColumnId, name: &str) -> Result<()> {
        let columns = self.columns_obj()?;
        let column = self.ensure_map(&columns, id.as_str())?;
        self.doc.put(&column, "name", name)?;
        Ok(())
    }

    pub fn move_column(&mut self, id: &ColumnId, position: &str) -> Result<()> {
        let columns = self.columns_obj()?;
        let column = self.ensure_map(&columns, id.as_str())?;
        self.doc.put(&column, "position", position)?;
        Ok(())
    }

    pub fn remove_column(&mut self, id: &ColumnId) -> Result<()> {
        let columns = self.columns_obj()?;
        self.doc.delete(&columns, id.as_str())?;
        Ok(())
    }

    /// Ids of every task in the document, deleted ones included.
    pub fn task_ids(&self) -> Result<Vec<TaskId>> {
        let Some(tasks) = self.map_at(&ROOT, "tasks")? else {
            return Ok(vec![]);
        };
        Ok(self.doc.keys(&tasks).map(TaskId::new).collect())
    }

    /// A task as it is now.
    pub fn task(&self, id: &TaskId) -> Result<Option<Task>> {
        self.task_at(id, None)
    }

    /// A task as it was at `heads` (or now), its people by the names they
    /// go by now.
    pub fn task_at(&self, id: &TaskId, heads: Option<&[ChangeHash]>) -> Result<Option<Task>> {
        self.task_renamed(id, heads, &self.renames())
    }

    fn task_renamed(
        &self,
        id: &TaskId,
        heads: Option<&[ChangeHash]>,
        renames: &Renames,
    ) -> Result<Option<Task>> {
        let Some(tasks) = self.map_at(&ROOT, "tasks")? else {
            return Ok(None);
        };
        let found = match heads {
            Some(h) => self.doc.get_at(&tasks, id.as_str(), h)?,
            None => self.doc.get(&tasks, id.as_str())?,
        };
        let Some((Value::Object(ObjType::Map), obj)) = found else {
            return Ok(None);
        };
        let value = self.doc.hydrate(&obj, heads)?;
        let mut task = task_from_hydrated(self.id, id, &value);
        renames.apply(&mut task);
        Ok(Some(task))
    }

    /// The greatest position of a task in `column` (deleted ones
    /// included), read without hydrating whole tasks: what a task added at
    /// the bottom of the column goes after.
    pub fn last_position(&self, column: &ColumnId) -> Result<Option<String>> {
        let Some(tasks) = self.map_at(&ROOT, "tasks")? else {
            return Ok(None);
        };
        let mut last: Option<String> = None;
        for item in self.doc.map_range(&tasks, ..) {
            let automerge::ValueRef::Object(ObjType::Map) = item.value else {
                continue;
            };
            let task = item.id();
            if self.scalar_str(&task, "column").as_deref() != Some(column.as_str()) {
                continue;
            }
            if let Some(p) = self.scalar_str(&task, "position")
                && last.as_ref().is_none_or(|l| p > *l)
            {
                last = Some(p);
            }
        }
        Ok(last)
    }

    /// Every task, deleted ones included.
    pub fn tasks(&self) -> Result<Vec<Task>> {
        let renames = self.renames();
        let mut out = Vec::new();
        for id in self.task_ids()? {
            if let Some(task) = self.task_renamed(&id, None, &renames)? {
                out.push(task);
            }
        }
        Ok(out)
    }

    /// Writes a whole new task.
    pub fn insert_task(&mut self, task: &Task) -> Result<()> {
        let tasks = self.tasks_obj()?;
        let obj = self
            .doc
            .put_object(&tasks, task.id.as_str(), ObjType::Map)?;
        self.doc.put_object(&obj, "description", ObjType::Text)?;
        for key in ["labels", "assignees", "listings", "checklist", "comments"] {
            self.doc.put_object(&obj, key, ObjType::Map)?;
        }
        self.doc.put(&obj, "created_by", task.created_by.as_str())?;
        self.doc.put(&obj, "created_at", ts(task.created_at))?;
        let mut edits = vec![
            TaskEdit::Title(task.title.clone()),
            TaskEdit::Column(task.column.clone()),
            TaskEdit::Position(task.position.clone()),
            TaskEdit::Priority(task.priority),
        ];
        if !task.description.is_empty() {
            edits.push(TaskEdit::Description(task.description.clone()));
        }
        if task.due.is_some() {
            edits.push(TaskEdit::Due(task.due.clone()));
        }
        if task.reminder.is_some() {
            edits.push(TaskEdit::Reminder(task.reminder));
        }
        if task.recurrence.is_some() {
            edits.push(TaskEdit::Recurrence(task.recurrence.clone()));
        }
        if task.template.is_some() {
            edits.push(TaskEdit::Template(task.template.clone()));
        }
        edits.extend(task.labels.iter().cloned().map(TaskEdit::AddLabel));
        edits.extend(task.assignees.iter().cloned().map(TaskEdit::AddAssignee));
        edits.extend(task.listings.iter().cloned().map(TaskEdit::AddListing));
        for item in &task.checklist {
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
        edits.extend(task.comments.iter().cloned().map(TaskEdit::AddComment));
        if task.completed_at.is_some() {
            edits.push(TaskEdit::Completed(task.completed_at));
        }
        if task.archived {
            edits.push(TaskEdit::Archived(true));
        }
        self.edit_task(&task.id, &edits, &task.updated_by, task.updated_at)
    }

    /// Applies edits to an existing task and stamps who and when.
    pub fn edit_task(
        &mut self,
        id: &TaskId,
        edits: &[TaskEdit],
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let obj = self
            .task_obj(id)?
            .ok_or_else(|| DocError::UnknownTask(id.to_string()))?;
        for edit in edits {
            self.apply(&obj, edit, by, now)?;
        }
        self.doc.put(&obj, "updated_by", by)?;
        self.doc.put(&obj, "updated_at", ts(now))?;
        Ok(())
    }

    fn text_obj(&mut self, task: &ObjId) -> Result<ObjId> {
        match self.doc.get(task, "description")? {
            Some((Value::Object(ObjType::Text), id)) => Ok(id),
            _ => Ok(self.doc.put_object(task, "description", ObjType::Text)?),
        }
    }

    fn set_flag(&mut self, task: &ObjId, set: &str, key: &str, on: bool) -> Result<()> {
        let set = self.ensure_map(task, set)?;
        if on {
            self.doc.put(&set, key, true)?;
        } else if self.doc.get(&set, key)?.is_some() {
            self.doc.delete(&set, key)?;
        }
        Ok(())
    }

    fn put_or_delete(&mut self, obj: &ObjId, key: &str, value: Option<ScalarValue>) -> Result<()> {
        match value {
            Some(v) => self.doc.put(obj, key, v)?,
            None => {
                if self.doc.get(obj, key)?.is_some() {
                    self.doc.delete(obj, key)?;
                }
            }
        }
        Ok(())
    }

    fn checklist_item(&mut self, task: &ObjId, id: &ItemId) -> Result<Option<ObjId>> {
        let list = self.ensure_map(task, "checklist")?;
        self.map_at(&list, id.as_str())
    }

    /// Records who is mentioned in the description now: a name newly
    /// there gets `by` and `now`, a name no longer there leaves.
    ///
    /// Stamps, watching and inbox state live under prefixed keys of the
    /// task's own map (`mentioned:NAME`, `assigned:NAME`, `watch:NAME`,
    /// `inbox:NAME:ITEM`), not in maps made on first use: two devices
    /// making the same map at once would each make their own, and one
    /// would hide the other's entries.
    fn restamp_mentions(&mut self, obj: &ObjId, by: &str, now: DateTime<Utc>) -> Result<()> {
        let renames = self.renames();
        let names: Vec<String> =
            porchlight_model::board::mentions_in(&text_of(&self.doc, obj, "description"))
                .iter()
                .map(|n| renames.resolve(n))
                .collect();
        let had: Vec<String> = self
            .doc
            .keys(obj)
            .filter_map(|k| k.strip_prefix(MENTIONED).map(str::to_string))
            .collect();
        // A stamp under a person's old name still counts as theirs.
        for name in &had {
            if !names.contains(&renames.resolve(name)) {
                self.doc.delete(obj, format!("{MENTIONED}{name}"))?;
            }
        }
        for name in names {
            if !had.iter().any(|h| renames.resolve(h) == name) {
                self.put_stamp(obj, &format!("{MENTIONED}{name}"), by, now)?;
            }
        }
        Ok(())
    }

    /// The name `person` goes by now on this board, and the keys a task
    /// holds them under, by whichever of their names: in its assignees, and
    /// its `assigned:` stamps.
    fn assignee_keys(
        &mut self,
        obj: &ObjId,
        person: &str,
    ) -> Result<(String, Vec<String>, Vec<String>)> {
        let renames = self.renames();
        let person = renames.resolve(person);
        let assignees = self.ensure_map(obj, "assignees")?;
        let names = self
            .doc
            .keys(&assignees)
            .filter(|k| renames.resolve(k) == person)
            .collect();
        let stamps = self
            .doc
            .keys(obj)
            .filter(|k| {
                k.strip_prefix(ASSIGNED)
                    .is_some_and(|n| renames.resolve(n) == person)
            })
            .collect();
        Ok((person, names, stamps))
    }

    fn put_stamp(&mut self, obj: &ObjId, key: &str, by: &str, now: DateTime<Utc>) -> Result<()> {
        let stamp = self.doc.put_object(obj, key, ObjType::Map)?;
        self.doc.put(&stamp, "by", by)?;
        self.doc.put(&stamp, "at", ts(now))?;
        Ok(())
    }

    /// Sets what `person` did with inbox items of a task (read, archived,
    /// or back to unread). Not an edit of the task: who last updated it
    /// stays as it was.
    pub fn set_inbox(
        &mut self,
        id: &TaskId,
        person: &str,
        items: &[(String, porchlight_model::board::InboxState)],
    ) -> Result<()> {
        let obj = self
            .task_obj(id)?
            .ok_or_else(|| DocError::UnknownTask(id.to_string()))?;
        // Under the name the person goes by now on this board.
        let person = self.renames().resolve(person).to_lowercase();
        for (item, state) in items {
            let key = format!("{INBOX}{person}:{item}");
            match state {
                porchlight_model::board::InboxState::Unread => {
                    if self.doc.get(&obj, key.as_str())?.is_some() {
                        self.doc.delete(&obj, key.as_str())?;
                    }
                }
                s => self.doc.put(&obj, key.as_str(), s.as_str())?,
            }
        }
        Ok(())
    }

    fn apply(&mut self, obj: &ObjId, edit: &TaskEdit, by: &str, now: DateTime<Utc>) -> Result<()> {
        match edit {
            TaskEdit::Title(title) => self.doc.put(obj, "title", title.as_str())?,
            TaskEdit::Description(text) => {
                let text_obj = self.text_obj(obj)?;
                self.doc.update_text(&text_obj, text)?;
                self.restamp_mentions(obj, by, now)?;
            }
            TaskEdit::SpliceDescription {
                pos,
                delete,
                insert,
            } => {
                let text_obj = self.text_obj(obj)?;
                let len = self.doc.length(&text_obj);
                let pos = (*pos).min(len);
                let delete = (*delete).min(len - pos);
                let delete = isize::try_from(delete).unwrap_or(isize::MAX);
                self.doc.splice_text(&text_obj, pos, delete, insert)?;
                self.restamp_mentions(obj, by, now)?;
            }
            TaskEdit::Column(column) => self.doc.put(obj, "column", column.as_str())?,
            TaskEdit::Position(position) => self.doc.put(obj, "position", position.as_str())?,
            TaskEdit::Due(None) => self.put_or_delete(obj, "due", None)?,
            TaskEdit::Due(Some(due)) => {
                let map = self.doc.put_object(obj, "due", ObjType::Map)?;
                self.doc.put(&map, "at", ts(due.at))?;
                self.doc.put(&map, "tz", due.tz.as_str())?;
                self.doc.put(&map, "all_day", due.all_day)?;
                if let Some(end) = due.end {
                    self.doc.put(&map, "end", ts(end))?;
                }
            }
            TaskEdit::Reminder(at) => self.put_or_delete(obj, "reminder", at.map(ts))?,
            TaskEdit::Priority(p) => self.doc.put(obj, "priority", p.as_str())?,
            TaskEdit::AddLabel(l) => self.set_flag(obj, "labels", l, true)?,
            TaskEdit::RemoveLabel(l) => self.set_flag(obj, "labels", l, false)?,
            TaskEdit::AddAssignee(a) => {
                let (a, names, stamps) = self.assignee_keys(obj, a)?;
                if stamps.is_empty() {
                    self.put_stamp(obj, &format!("{ASSIGNED}{a}"), by, now)?;
                }
                // Put again even when there (a delete made at once on
                // another device must not win), unless held under an old name.
                if !names.iter().any(|n| *n != a) {
                    self.set_flag(obj, "assignees", &a, true)?;
                }
            }
            TaskEdit::RemoveAssignee(a) => {
                let (_, names, stamps) = self.assignee_keys(obj, a)?;
                for name in names {
                    self.set_flag(obj, "assignees", &name, false)?;
                }
                for key in stamps {
                    self.put_or_delete(obj, &key, None)?;
                }
            }
            TaskEdit::AddListing(k) => self.set_flag(obj, "listings", k, true)?,
            TaskEdit::RemoveListing(k) => self.set_flag(obj, "listings", k, false)?,
            TaskEdit::Recurrence(rule) => {
                let json = rule.as_ref().and_then(|r| serde_json::to_string(r).ok());
                self.put_or_delete(obj, "recurrence", json.map(|j| ScalarValue::Str(j.into())))?;
            }
            TaskEdit::Template(link) => {
                let json = link.as_ref().and_then(|l| serde_json::to_string(l).ok());
                self.put_or_delete(obj, "template", json.map(|j| ScalarValue::Str(j.into())))?;
            }
            TaskEdit::Completed(at) => self.put_or_delete(obj, "completed_at", at.map(ts))?,
            TaskEdit::Archived(on) => self.doc.put(obj, "archived", *on)?,
            TaskEdit::Deleted(at) => self.put_or_delete(obj, "deleted_at", at.map(ts))?,
            TaskEdit::AddChecklistItem { id, text, position } => {
                let list = self.ensure_map(obj, "checklist")?;
                let item = self.doc.put_object(&list, id.as_str(), ObjType::Map)?;
                self.doc.put(&item, "text", text.as_str())?;
                self.doc.put(&item, "done", false)?;
                self.doc.put(&item, "position", position.as_str())?;
            }
            TaskEdit::ChecklistText { id, text } => {
                if let Some(item) = self.checklist_item(obj, id)? {
                    self.doc.put(&item, "text", text.as_str())?;
                }
            }
            TaskEdit::ChecklistDone { id, done } => {
                if let Some(item) = self.checklist_item(obj, id)? {
                    self.doc.put(&item, "done", *done)?;
                }
            }
            TaskEdit::RemoveChecklistItem(id) => {
                let list = self.ensure_map(obj, "checklist")?;
                if self.doc.get(&list, id.as_str())?.is_some() {
                    self.doc.delete(&list, id.as_str())?;
                }
            }
            TaskEdit::AddComment(c) => {
                let comments = self.ensure_map(obj, "comments")?;
                let item = self
                    .doc
                    .put_object(&comments, c.id.as_str(), ObjType::Map)?;
                self.doc.put(&item, "author", c.author.as_str())?;
                self.doc.put(&item, "at", ts(c.at))?;
                self.doc.put(&item, "text", c.text.as_str())?;
                if !c.mentions.is_empty() {
                    let mentions = self.doc.put_object(&item, "mentions", ObjType::Map)?;
                    for name in &c.mentions {
                        self.doc.put(&mentions, name.as_str(), true)?;
                    }
                }
            }
            TaskEdit::Watch { person, on } => {
                let person = self.renames().resolve(person).to_lowercase();
                let key = format!("{WATCH}{person}");
                self.doc.put(obj, key, *on)?;
            }
        }
        Ok(())
    }

    /// Removes a task from the board for good (a team's retention of
    /// deleted tasks): its key leaves the tasks map, so no device shows or
    /// restores it. Its past edits stay in the document's history, as every
    /// Automerge change does. True when there was such a task.
    pub fn purge_task(&mut self, id: &TaskId) -> Result<bool> {
        let Some(tasks) = self.map_at(&ROOT, "tasks")? else {
            return Ok(false);
        };
        if self.map_at(&tasks, id.as_str())?.is_none() {
            return Ok(false);
        }
        self.doc.delete(&tasks, id.as_str())?;
        Ok(true)
    }

    /// The current description text of a task (empty if none).
    pub fn description(&self, id: &TaskId) -> Result<String> {
        let Some(obj) = self.task_obj(id)? else {
            return Ok(String::new());
        };
        Ok(text_of(&self.doc, &obj, "description"))
    }
}

#[cfg(test)]
mod tests;
