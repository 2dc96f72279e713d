//! Imports from other tools into a new board: a Trello board export
//! (JSON), a Todoist project export (CSV) and any spreadsheet (CSV with a
//! column mapping). Reading a file makes an [`ImportPlan`] — what would be
//! made, and every row that cannot be — without touching the profile;
//! [`BoardsMut::import_plan`] then writes the board and all its tasks as
//! one document, so a crash leaves either the whole board or none of it.

mod table;
mod todoist;
mod trello;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::Serialize;

use super::{BoardsMut, Profile};
use crate::doc::{ChangeNote, DocKind};
use crate::error::{CoreError, Result};
use crate::ids::{ColumnId, CommentId, ItemId};
use crate::model::{
    Board, ChecklistItem, Comment, Due, MAX_COMMENT, MAX_DESCRIPTION, Priority, Recurrence, Task,
    check_label, check_name, check_title, mentions_in,
};
use crate::position;

pub use table::Mapping;

/// Where tasks come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportFormat {
    /// A Trello board's JSON export (Menu → Print, export and share → JSON).
    Trello,
    /// A Todoist project exported as CSV (TYPE, CONTENT, … columns).
    Todoist,
    /// Any CSV: a header row and a mapping of its columns to task fields.
    Csv(Mapping),
}

impl ImportFormat {
    pub fn name(&self) -> &'static str {
        match self {
            ImportFormat::Trello => "trello",
            ImportFormat::Todoist => "todoist",
            ImportFormat::Csv(_) => "csv",
        }
    }
}

/// A comment to make, its author kept as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedComment {
    pub author: String,
    pub at: Option<DateTime<Utc>>,
    pub text: String,
}

/// A task to make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedTask {
    /// Where it came from ("line 4", "card 3").
    pub from: String,
    pub title: String,
    pub description: String,
    /// Index into the plan's columns.
    pub column: usize,
    pub due: Option<Due>,
    pub recurrence: Option<Recurrence>,
    pub priority: Priority,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    /// Checklist items and whether each is done.
    pub checklist: Vec<(String, bool)>,
    pub comments: Vec<PlannedComment>,
    pub created_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub archived: bool,
}

impl PlannedTask {
    fn new(from: String, title: String, column: usize) -> Self {
        Self {
            from,
            title,
            description: String::new(),
            column,
            due: None,
            recurrence: None,
            priority: Priority::None,
            labels: vec![],
            assignees: vec![],
            checklist: vec![],
            comments: vec![],
            created_at: None,
            completed_at: None,
            archived: false,
        }
    }
}

/// A row that cannot be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportProblem {
    /// "line 7", "card 12 'Call the seller'".
    pub at: String,
    pub reason: String,
}

/// What an import would make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportPlan {
    pub format: String,
    pub name: String,
    pub columns: Vec<String>,
    pub tasks: Vec<PlannedTask>,
    pub problems: Vec<ImportProblem>,
}

impl ImportPlan {
    fn new(format: &str, name: &str) -> Self {
        Self {
            format: format.to_string(),
            name: name.to_string(),
            columns: vec![],
            tasks: vec![],
            problems: vec![],
        }
    }

    fn problem(&mut self, at: impl Into<String>, reason: impl Into<String>) {
        self.problems.push(ImportProblem {
            at: at.into(),
            reason: reason.into(),
        });
    }

    /// The index of column `name`, added if new (names compare without case).
    fn column(&mut self, name: &str) -> usize {
        let name = name.trim();
        if let Some(i) = self
            .columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
        {
            return i;
        }
        self.columns.push(name.to_string());
        self.columns.len() - 1
    }

    /// Adds a task after checking its title, description and labels; a
    /// task that fails is a problem instead.
    fn push(&mut self, mut task: PlannedTask) {
        let at = task.from.clone();
        match check_title(&task.title) {
            Ok(t) => task.title = t,
            Err(e) => return self.problem(at, e.to_string()),
        }
        if task.description.chars().count() > MAX_DESCRIPTION {
            return self.problem(
                at,
                format!("the description is longer than {MAX_DESCRIPTION} characters"),
            );
        }
        let mut labels = Vec::new();
        for l in &task.labels {
            // Spreadsheet tags have spaces ("Needs review"): join the words.
            let joined = l.split_whitespace().collect::<Vec<_>>().join("-");
            match check_label(&joined) {
                Ok(l) if !labels.contains(&l) => labels.push(l),
                Ok(_) => {}
                Err(e) => return self.problem(at, e.to_string()),
            }
        }
        labels.sort();
        task.labels = labels;
        let mut people = Vec::new();
        for a in &task.assignees {
            match check_name("assignee", a.trim().trim_start_matches('@')) {
                Ok(a) if !people.contains(&a) => people.push(a),
                Ok(_) => {}
                Err(e) => return self.problem(at, e.to_string()),
            }
        }
        task.assignees = people;
        for c in &mut task.comments {
            if c.text.chars().count() > MAX_COMMENT {
                c.text = c.text.chars().take(MAX_COMMENT - 1).collect::<String>() + "…";
            }
        }
        task.checklist.retain(|(text, _)| !text.trim().is_empty());
        self.tasks.push(task);
    }
}

/// What an import made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Imported {
    pub board: Board,
    pub tasks: usize,
    /// Rows left out (with `skip_bad`).
    pub skipped: usize,
}

/// A title shortened for naming a row in a message.
fn clip(text: &str) -> String {
    let t = text.trim();
    if t.chars().count() > 30 {
        t.chars().take(29).collect::<String>() + "…"
    } else {
        t.to_string()
    }
}

/// Text of a file as people's tools write it: UTF-8 with or without a byte
/// order mark, UTF-16 with one, and line by line Windows-1252 where a line
/// is not UTF-8 (spreadsheets saved on Windows, then edited elsewhere).
/// Line ends become `\n` (the CSV reader miscounts lines after a `\r\n`
/// header, and rows are reported by line).
pub fn decode_text(bytes: &[u8]) -> String {
    let text = decode_raw(bytes);
    if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text
    }
}

fn decode_raw(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return decode_raw(rest);
    }
    if bytes.starts_with(b"\xFF\xFE") {
        return encoding_rs::UTF_16LE.decode(bytes).0.into_owned();
    }
    if bytes.starts_with(b"\xFE\xFF") {
        return encoding_rs::UTF_16BE.decode(bytes).0.into_owned();
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_string();
    }
    bytes
        .split_inclusive(|b| *b == b'\n')
        .map(|line| match std::str::from_utf8(line) {
            Ok(l) => l.to_string(),
            Err(_) => encoding_rs::WINDOWS_1252.decode(line).0.into_owned(),
        })
        .collect()
}

/// A CSV reader over `text` (rows may be short or long) and its header
/// cells, trimmed.
pub(crate) fn csv_with_header(
    text: &str,
    delimiter: u8,
) -> std::result::Result<(csv::Reader<&[u8]>, Vec<String>), String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| format!("cannot read its header row ({e})"))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    Ok((reader, header))
}

/// A date or time as spreadsheets and exports write it: RFC 3339,
/// `2027-01-15 14:00`, `2027-01-15`, `1/15/2027`, or words quick-add
/// understands ("next fri 3pm", "every monday"). Empty: none.
pub(crate) fn parse_when(
    text: &str,
    now: DateTime<Utc>,
    tz: &str,
) -> std::result::Result<Option<(Due, Option<Recurrence>)>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(Some((Due::at_time(at.with_timezone(&Utc), tz), None)));
    }
    let zone = crate::time::parse_tz(tz).map_err(|e| e.to_string())?;
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%m/%d/%Y %H:%M",
    ] {
        if let Ok(local) = NaiveDateTime::parse_from_str(t, f)
            && let Some(at) = zone.from_local_datetime(&local).earliest()
        {
            return Ok(Some((Due::at_time(at.with_timezone(&Utc), tz), None)));
        }
    }
    for f in ["%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y"] {
        if let Ok(date) = NaiveDate::parse_from_str(t, f) {
            return Due::on_day(date, tz)
                .map(|d| Some((d, None)))
                .map_err(|e| e.to_string());
        }
    }
    let parsed = crate::quickadd::parse(t, now, tz).map_err(|e| e.to_string())?;
    match parsed.due {
        Some(due) if parsed.title.is_empty() => Ok(Some((due, parsed.recurrence))),
        _ => Err(format!(
            "'{t}' is not a date (write 2027-01-15, 2027-01-15 14:00, 1/15/2027 or words like 'next fri 3pm')"
        )),
    }
}

impl Profile {
    /// Reads `bytes` as `format` into a plan (nothing is written). `name`
    /// is the board's name when the file has none (the file's name).
    pub fn plan_import(
        &self,
        format: &ImportFormat,
        bytes: &[u8],
        name: &str,
    ) -> Result<ImportPlan> {
        let now = self.now();
        let tz = self.tz_name().to_string();
        let bad = |reason: String| CoreError::ImportFile {
            format: format.name(),
            reason,
        };
        match format {
            ImportFormat::Trello => trello::plan(bytes, name, now, &tz).map_err(bad),
            ImportFormat::Todoist => todoist::plan(bytes, name, now, &tz).map_err(bad),
            ImportFormat::Csv(mapping) => table::plan(bytes, name, mapping, now, &tz).map_err(bad),
        }
    }
}

impl BoardsMut<'_> {
    /// Makes the plan's board with all its tasks, as one document written
    /// in one transaction. With problems in the plan, nothing is made
    /// unless `skip_bad`.
    pub fn import_plan(&mut self, plan: &ImportPlan, skip_bad: bool) -> Result<Imported> {
        if !plan.problems.is_empty() && !skip_bad {
            let first: Vec<String> = plan
                .problems
                .iter()
                .take(3)
                .map(|p| format!("{}: {}", p.at, p.reason))
                .collect();
            return Err(CoreError::ImportProblems {
                count: plan.problems.len(),
                first: first.join("; "),
            });
        }
        if plan.tasks.is_empty() {
            return Err(CoreError::ImportFile {
                format: "import",
                reason: "the file holds no tasks".into(),
            });
        }
        let name = check_name("board", &plan.name)?;
        let mut columns: Vec<String> = plan.columns.clone();
        if columns.is_empty() {
            columns.push("To do".into());
        }
        let cols: Vec<(ColumnId, String)> = columns
            .iter()
            .map(|c| Ok((ColumnId::random(), check_name("column", c)?)))
            .collect::<Result<_>>()?;
        let now = self.p.now();
        let user = self.p.user().to_string();
        let mut board = self.p.new_board_doc(&name, &cols, now)?;
        let id = board.id();
        let mut last: Vec<Option<String>> = vec![None; cols.len()];
        let mut labels: Vec<String> = Vec::new();
        for planned in &plan.tasks {
            let col = planned.column.min(cols.len() - 1);
            let pos = position::between(last[col].as_deref(), None);
            last[col] = Some(pos.clone());
            let created = planned.created_at.unwrap_or(now).min(now);
            let mut task = Task::new(
                id,
                planned.title.clone(),
                cols[col].0.clone(),
                pos,
                &user,
                created,
            );
            task.description = planned.description.clone();
            task.due = planned.due.clone();
            task.recurrence = planned.recurrence.clone();
            task.priority = planned.priority;
            task.labels = planned.labels.clone();
            task.assignees = planned.assignees.clone();
            let mut item_pos: Option<String> = None;
            for (text, done) in &planned.checklist {
                let p = position::between(item_pos.as_deref(), None);
                task.checklist.push(ChecklistItem {
                    id: ItemId::random(),
                    text: text.trim().to_string(),
                    done: *done,
                    position: p.clone(),
                });
                item_pos = Some(p);
            }
            for c in &planned.comments {
                task.comments.push(Comment {
                    id: CommentId::random(),
                    author: c.author.clone(),
                    at: c.at.unwrap_or(now),
                    text: c.text.clone(),
                    mentions: mentions_in(&c.text),
                });
            }
            task.completed_at = planned.completed_at;
            task.archived = planned.archived;
            labels.extend(task.labels.iter().cloned());
            board.insert_task(&task)?;
        }
        board.commit(&ChangeNote::new("board.import", &user), now);
        let view = board.board()?;
        labels.sort();
        labels.dedup();
        self.p.catalogue_labels(&labels)?;
        self.p
            .add_document(id, DocKind::Board, board.into_doc(), |_| Ok(()))?;
        Ok(Imported {
            board: view,
            tasks: plan.tasks.len(),
            skipped: plan.problems.len(),
        })
    }
}

#[cfg(test)]
mod tests;
