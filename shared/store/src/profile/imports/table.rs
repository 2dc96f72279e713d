//! Any spreadsheet saved as CSV: a header row, one task per row, and a
//! mapping of columns to task fields — given (`title=Task,due=Due date`)
//! or guessed from common header names.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{ImportPlan, PlannedComment, PlannedTask, decode_text, parse_when};
use crate::model::Priority;

/// The task fields a column can fill.
const FIELDS: [(&str, &[&str]); 10] = [
    (
        "title",
        &["title", "name", "task", "task name", "summary", "subject"],
    ),
    (
        "description",
        &["description", "notes", "details", "desc", "note"],
    ),
    ("column", &["column", "status", "list", "stage", "section"]),
    (
        "due",
        &["due", "due date", "deadline", "due at", "due_date", "date"],
    ),
    ("labels", &["labels", "label", "tags", "tag"]),
    (
        "assignees",
        &[
            "assignees",
            "assignee",
            "owner",
            "assigned to",
            "responsible",
        ],
    ),
    ("priority", &["priority"]),
    (
        "done",
        &["done", "completed", "complete", "completed at", "finished"],
    ),
    ("checklist", &["checklist", "subtasks", "sub-tasks"]),
    ("comments", &["comments", "comment"]),
];

/// Which CSV column fills which task field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    /// field → header, as given; empty: guessed from the headers.
    pub given: Vec<(String, String)>,
}

impl Mapping {
    /// `title=Task Name,due=Due Date` (or one `field=column` per line, as
    /// in a mapping file). Fields: title, description, column, due,
    /// labels, assignees, priority, done, checklist, comments.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut given = Vec::new();
        for part in text
            .split([',', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty() && !p.starts_with('#'))
        {
            let Some((field, header)) = part.split_once('=') else {
                return Err(format!(
                    "'{part}' is not field=column (e.g. title=Task Name)"
                ));
            };
            let field = field.trim().to_lowercase();
            let field = match field.as_str() {
                "assignee" | "owner" => "assignees".to_string(),
                "label" | "tags" => "labels".to_string(),
                "status" | "list" => "column".to_string(),
                _ => field,
            };
            if !FIELDS.iter().any(|(f, _)| *f == field) {
                let known: Vec<&str> = FIELDS.iter().map(|(f, _)| *f).collect();
                return Err(format!(
                    "'{field}' is not a task field; use {}",
                    known.join(", ")
                ));
            }
            given.push((field, header.trim().to_string()));
        }
        Ok(Self { given })
    }
}

/// field → column index.
fn resolve(mapping: &Mapping, header: &[String]) -> Result<HashMap<&'static str, usize>, String> {
    let find = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name.trim()))
    };
    let mut out = HashMap::new();
    if mapping.given.is_empty() {
        for (field, names) in FIELDS {
            if let Some(i) = names.iter().find_map(|n| find(n)) {
                out.insert(field, i);
            }
        }
    } else {
        for (field, name) in &mapping.given {
            let Some((f, _)) = FIELDS.iter().find(|(f, _)| f == field) else {
                continue;
            };
            let i = find(name).ok_or_else(|| {
                format!(
                    "the mapping names a column '{name}' the file does not have (its columns: {})",
                    header.join(", ")
                )
            })?;
            out.insert(*f, i);
        }
    }
    if !out.contains_key("title") {
        return Err(format!(
            "no column is the title (its columns: {}); pass --mapping title=COLUMN,…",
            header.join(", ")
        ));
    }
    Ok(out)
}

fn priority(cell: &str) -> Result<Priority, String> {
    let c = cell.trim().to_lowercase();
    Ok(match c.as_str() {
        "p1" => Priority::Urgent,
        "p2" => Priority::High,
        "p3" => Priority::Medium,
        "p4" => Priority::Low,
        "normal" => Priority::None,
        "critical" | "highest" => Priority::Urgent,
        "lowest" => Priority::Low,
        _ => c.parse().map_err(|_| {
            format!("priority '{cell}' is not none, low, medium, high, urgent, 0–4 or p1–p4")
        })?,
    })
}

pub(super) fn plan(
    bytes: &[u8],
    name: &str,
    mapping: &Mapping,
    now: DateTime<Utc>,
    tz: &str,
) -> Result<ImportPlan, String> {
    let text = decode_text(bytes);
    // Spreadsheets in much of Europe separate with ';'.
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else if first.matches('\t').count() > first.matches(',').count() {
        b'\t'
    } else {
        b','
    };
    let (mut reader, header) = super::csv_with_header(&text, delimiter)?;
    let fields = resolve(mapping, &header)?;
    let mut plan = ImportPlan::new("csv", name);
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                plan.problem(format!("line {line}"), format!("not a CSV row ({e})"));
                continue;
            }
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line());
        let at = format!("line {line}");
        let cell = |f: &str| {
            fields
                .get(f)
                .and_then(|i| record.get(*i))
                .unwrap_or_default()
                .trim()
        };
        let column = match cell("column") {
            "" => plan.column("To do"),
            c => plan.column(c),
        };
        let mut task = PlannedTask::new(at.clone(), cell("title").to_string(), column);
        task.description = cell("description").to_string();
        match parse_when(cell("due"), now, tz) {
            Ok(Some((due, rec))) => {
                task.due = Some(due);
                task.recurrence = rec;
            }
            Ok(None) => {}
            Err(e) => {
                plan.problem(at, e);
                continue;
            }
        }
        match priority(cell("priority")) {
            Ok(p) => task.priority = p,
            Err(e) => {
                plan.problem(at, e);
                continue;
            }
        }
        let list = |c: &str| -> Vec<String> {
            c.split([',', ';', '|'])
                .map(|s| s.trim().trim_start_matches(['#', '@']).to_string())
                .filter(|s| !s.is_empty())
                .collect()
        };
        task.labels = list(cell("labels"));
        task.assignees = list(cell("assignees"))
            .into_iter()
            .map(|p| {
                p.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(".")
                    .to_lowercase()
            })
            .collect();
        let done = cell("done");
        match done.to_lowercase().as_str() {
            "" | "no" | "false" | "0" | "n" | "open" | "todo" => {}
            "yes" | "true" | "1" | "x" | "y" | "done" | "completed" | "complete" => {
                task.completed_at = Some(now);
            }
            _ => match parse_when(done, now, tz) {
                Ok(Some((d, _))) => task.completed_at = Some(d.at.min(now)),
                _ => {
                    plan.problem(at, format!("done '{done}' is not yes/no or a date"));
                    continue;
                }
            },
        }
        for item in cell("checklist")
            .split([';', '\n'])
            .map(str::trim)
            .filter(|i| !i.is_empty())
        {
            let (text, ticked) = match item
                .strip_prefix("[x]")
                .or_else(|| item.strip_prefix("[X]"))
            {
                Some(rest) => (rest.trim(), true),
                None => (item.trim_start_matches("[ ]").trim(), false),
            };
            task.checklist.push((text.to_string(), ticked));
        }
        let said = cell("comments");
        if !said.is_empty() {
            task.comments.push(PlannedComment {
                author: "import".into(),
                at: None,
                text: said.to_string(),
            });
        }
        plan.push(task);
    }
    Ok(plan)
}
