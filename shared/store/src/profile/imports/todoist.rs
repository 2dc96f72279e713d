//! A Todoist project exported as CSV. Rows by TYPE: `section` starts a
//! column, `task` is a task (its `@labels` in CONTENT become labels; INDENT
//! 2 or more makes it a checklist item of the task above it), `note` is a
//! comment on the task above. PRIORITY 1 is p1, the highest (urgent), to 4,
//! none; empty is none. DATE is Todoist's own words ("every monday",
//! "Jan 15 3pm") or a date; RESPONSIBLE and AUTHOR are "Name (id)".

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{ImportPlan, PlannedComment, PlannedTask, decode_text, parse_when};
use crate::model::Priority;

/// "Evan (14781400)" → "evan"; spaces become dots, as `@names` have none.
fn person(cell: &str) -> String {
    let name = cell.split(" (").next().unwrap_or(cell).trim();
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(".")
        .to_lowercase()
}

/// CONTENT without its `@label` words, and the labels.
fn labels_of(content: &str) -> (String, Vec<String>) {
    let mut title = Vec::new();
    let mut labels = Vec::new();
    for word in content.split_whitespace() {
        match word.strip_prefix('@') {
            Some(l) if !l.is_empty() => labels.push(l.to_string()),
            _ => title.push(word),
        }
    }
    (title.join(" "), labels)
}

pub(super) fn plan(
    bytes: &[u8],
    name: &str,
    now: DateTime<Utc>,
    tz: &str,
) -> Result<ImportPlan, String> {
    let text = decode_text(bytes);
    let (mut reader, header) = super::csv_with_header(&text, b',')?;
    let header: Vec<String> = header.iter().map(|h| h.to_uppercase()).collect();
    let col: HashMap<&str, usize> = header
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), i))
        .collect();
    for needed in ["TYPE", "CONTENT"] {
        if !col.contains_key(needed) {
            return Err(format!(
                "the header has no {needed} column (found: {}); is it a Todoist CSV export?",
                header.join(", ")
            ));
        }
    }
    let mut plan = ImportPlan::new("todoist", name);
    let mut column = None;
    // The latest top-level task, for sub-tasks and notes.
    let mut last_task: Option<usize> = None;
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                plan.problem(format!("line {line}"), format!("not a CSV row ({e})"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let at = format!("line {line}");
        let cell = |name: &str| {
            col.get(name)
                .and_then(|i| record.get(*i))
                .unwrap_or_default()
                .trim()
        };
        match cell("TYPE") {
            "" if cell("CONTENT").is_empty() => {}
            "section" => {
                column = Some(plan.column(cell("CONTENT")));
                last_task = None;
            }
            "note" => {
                let Some(t) = last_task else {
                    plan.problem(at, "a note with no task above it");
                    continue;
                };
                let author = match person(cell("AUTHOR")) {
                    a if a.is_empty() => "Todoist".to_string(),
                    a => a,
                };
                if let Some(task) = plan.tasks.get_mut(t) {
                    task.comments.push(PlannedComment {
                        author,
                        at: None,
                        text: cell("CONTENT").to_string(),
                    });
                }
            }
            "task" => {
                let indent: usize = match cell("INDENT") {
                    "" => 1,
                    n => match n.parse() {
                        Ok(n) if n >= 1 => n,
                        _ => {
                            plan.problem(at, format!("INDENT '{n}' is not 1, 2, 3 or 4"));
                            continue;
                        }
                    },
                };
                let (title, labels) = labels_of(cell("CONTENT"));
                if indent > 1 {
                    // Sub-tasks, at any depth, are checklist items of the
                    // task they belong to.
                    match last_task.and_then(|p| plan.tasks.get_mut(p)) {
                        Some(task) => task.checklist.push((title, false)),
                        None => plan.problem(at, "a sub-task with no task above it"),
                    }
                    continue;
                }
                let priority = match cell("PRIORITY") {
                    "1" => Priority::Urgent,
                    "2" => Priority::High,
                    "3" => Priority::Medium,
                    "4" | "" => Priority::None,
                    other => {
                        plan.problem(at, format!("PRIORITY '{other}' is not 1 (p1) to 4 (p4)"));
                        continue;
                    }
                };
                let zone = match cell("TIMEZONE") {
                    "" => tz.to_string(),
                    z if crate::time::parse_tz(z).is_ok() => z.to_string(),
                    _ => tz.to_string(),
                };
                // Newer exports have a DEADLINE beside DATE (when to do it):
                // the deadline is the due date when there is no DATE.
                let date = match cell("DATE") {
                    "" => cell("DEADLINE"),
                    d => d,
                };
                let when = match parse_when(date, now, &zone) {
                    Ok(w) => w,
                    Err(e) => {
                        plan.problem(at, e);
                        continue;
                    }
                };
                let c = match column {
                    Some(c) => c,
                    None => {
                        let c = plan.column("To do");
                        column = Some(c);
                        c
                    }
                };
                let mut task = PlannedTask::new(at, title, c);
                task.description = cell("DESCRIPTION").to_string();
                task.priority = priority;
                task.labels = labels;
                if let Some((due, rec)) = when {
                    task.due = Some(due);
                    task.recurrence = rec;
                }
                let who = person(cell("RESPONSIBLE"));
                if !who.is_empty() {
                    task.assignees.push(who);
                }
                let before = plan.tasks.len();
                plan.push(task);
                last_task = (plan.tasks.len() > before).then_some(before);
            }
            other => plan.problem(at, format!("TYPE '{other}' is not task, section or note")),
        }
    }
    Ok(plan)
}
