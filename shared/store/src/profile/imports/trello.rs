//! A Trello board's JSON export: lists become columns (in their order),
//! cards tasks (name, description, due date, labels, members, checklists,
//! comments from the board's actions), closed cards and cards of closed
//! lists archived, cards marked complete done.
//!
//! Read as loose JSON on purpose: exports differ between Trello's eras
//! and fields are often missing or null.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{ImportPlan, PlannedComment, PlannedTask, decode_text};
use crate::model::Due;

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn pos(v: &Value) -> f64 {
    match v.get("pos") {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(Value::String(s)) => s.parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

fn instant(v: &Value, key: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text(v, key))
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// When a Trello object was made: its id is a MongoDB ObjectId whose
/// first four bytes are the creation time in seconds.
fn created(id: &str) -> Option<DateTime<Utc>> {
    let secs = i64::from_str_radix(id.get(..8)?, 16).ok()?;
    DateTime::from_timestamp(secs, 0)
}

fn array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

pub(super) fn plan(
    bytes: &[u8],
    fallback_name: &str,
    _now: DateTime<Utc>,
    tz: &str,
) -> Result<ImportPlan, String> {
    let text_in = decode_text(bytes);
    let root: Value = serde_json::from_str(&text_in).map_err(|e| {
        format!("it is not JSON ({e}); export the board from Trello's menu: Print, export and share → Export as JSON")
    })?;
    if root.get("cards").is_none() && root.get("lists").is_none() {
        return Err("it has no lists or cards; is it a Trello board export?".into());
    }
    let name = match text(&root, "name").trim() {
        "" => fallback_name,
        n => n,
    };
    let mut plan = ImportPlan::new("trello", name);

    let mut lists: Vec<&Value> = array(&root, "lists").iter().collect();
    lists.sort_by(|a, b| pos(a).total_cmp(&pos(b)));
    let mut list_column: HashMap<&str, (usize, bool)> = HashMap::new();
    for l in &lists {
        let closed = l.get("closed").and_then(Value::as_bool).unwrap_or(false);
        let list_name = match text(l, "name").trim() {
            "" => "Untitled list",
            n => n,
        };
        if closed {
            continue;
        }
        let col = plan.column(list_name);
        list_column.insert(text(l, "id"), (col, false));
    }
    // Cards of archived lists go, archived, to the first column.
    for l in &lists {
        if l.get("closed").and_then(Value::as_bool).unwrap_or(false) {
            list_column.insert(text(l, "id"), (0, true));
        }
    }
    if plan.columns.is_empty() {
        plan.column("To do");
    }

    let members: HashMap<&str, String> = array(&root, "members")
        .iter()
        .map(|m| {
            let person = match text(m, "username") {
                "" => text(m, "fullName").to_string(),
                u => u.to_string(),
            };
            (text(m, "id"), person)
        })
        .collect();
    let mut checklists: HashMap<&str, Vec<&Value>> = HashMap::new();
    for c in array(&root, "checklists") {
        checklists.entry(text(c, "idCard")).or_default().push(c);
    }
    let mut comments: HashMap<&str, Vec<PlannedComment>> = HashMap::new();
    for a in array(&root, "actions") {
        if text(a, "type") != "commentCard" {
            continue;
        }
        let data = a.get("data").unwrap_or(&Value::Null);
        let card = data.get("card").map_or("", |c| text(c, "id"));
        let creator = a.get("memberCreator").unwrap_or(&Value::Null);
        let author = match text(creator, "fullName") {
            "" => text(creator, "username"),
            n => n,
        };
        comments.entry(card).or_default().push(PlannedComment {
            author: if author.is_empty() {
                "Trello".into()
            } else {
                author.to_string()
            },
            at: instant(a, "date"),
            text: text(data, "text").trim().to_string(),
        });
    }

    let mut cards: Vec<&Value> = array(&root, "cards").iter().collect();
    let list_order = |c: &Value| {
        list_column
            .get(text(c, "idList"))
            .map_or(usize::MAX, |(col, _)| *col)
    };
    cards.sort_by(|a, b| {
        list_order(a)
            .cmp(&list_order(b))
            .then(pos(a).total_cmp(&pos(b)))
    });
    for (i, card) in cards.iter().enumerate() {
        let id = text(card, "id");
        let title = text(card, "name").to_string();
        let from = format!("card {} '{}'", i + 1, super::clip(&title));
        let (column, list_closed) = list_column
            .get(text(card, "idList"))
            .copied()
            .unwrap_or((0, false));
        let mut task = PlannedTask::new(from.clone(), title, column);
        task.description = text(card, "desc").trim().to_string();
        if let Some(due) = instant(card, "due") {
            task.due = Some(Due::at_time(due, tz));
        }
        for l in array(card, "labels") {
            let label = match text(l, "name").trim() {
                "" => text(l, "color"),
                n => n,
            };
            if !label.is_empty() {
                task.labels.push(label.to_string());
            }
        }
        for m in array(card, "idMembers") {
            if let Some(person) = m.as_str().and_then(|m| members.get(m)) {
                task.assignees.push(person.clone());
            }
        }
        let mut lists_of_card = checklists.remove(id).unwrap_or_default();
        lists_of_card.sort_by(|a, b| pos(a).total_cmp(&pos(b)));
        let several = lists_of_card.len() > 1;
        for cl in lists_of_card {
            let mut items: Vec<&Value> = array(cl, "checkItems").iter().collect();
            items.sort_by(|a, b| pos(a).total_cmp(&pos(b)));
            for item in items {
                let t = text(item, "name").trim();
                let t = if several {
                    format!("{}: {t}", text(cl, "name").trim())
                } else {
                    t.to_string()
                };
                task.checklist.push((t, text(item, "state") == "complete"));
            }
        }
        let mut said = comments.remove(id).unwrap_or_default();
        said.retain(|c| !c.text.is_empty());
        said.sort_by_key(|c| c.at);
        task.comments = said;
        task.created_at = created(id);
        let last = instant(card, "dateLastActivity");
        if card.get("dueComplete").and_then(Value::as_bool) == Some(true) {
            task.completed_at = last.or(task.due.as_ref().map(|d| d.at)).or(task.created_at);
        }
        task.archived = list_closed || card.get("closed").and_then(Value::as_bool) == Some(true);
        plan.push(task);
    }
    Ok(plan)
}
