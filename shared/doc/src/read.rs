//! Reading hydrated Automerge values back into the model.
//!
//! Documents may come from other clients and older builds, so every field is
//! optional here: a missing or mistyped value reads as its default rather than
//! failing the whole board.

use automerge::hydrate::{Map, Value as HValue};
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, Value};
use chrono::{DateTime, Utc};

use crate::board::{ASSIGNED, INBOX, MENTIONED, WATCH};
use porchlight_model::board::utc_from_millis;
use std::collections::BTreeMap;

use porchlight_model::board::{ChecklistItem, Comment, Due, InboxState, Priority, Stamp, Task};
use porchlight_model::ids::{CommentId, DocumentId, ItemId, TaskId};

fn get<'a>(map: &'a Map, key: &str) -> Option<&'a HValue> {
    map.get(key)
}

fn scalar<'a>(map: &'a Map, key: &str) -> Option<&'a ScalarValue> {
    match get(map, key) {
        Some(HValue::Scalar(s)) => Some(s),
        _ => None,
    }
}

fn string(map: &Map, key: &str) -> Option<String> {
    match get(map, key) {
        Some(HValue::Scalar(ScalarValue::Str(s))) => Some(s.to_string()),
        Some(HValue::Text(t)) => Some(t.to_string()),
        _ => None,
    }
}

fn boolean(map: &Map, key: &str) -> bool {
    matches!(scalar(map, key), Some(ScalarValue::Boolean(true)))
}

fn instant(map: &Map, key: &str) -> Option<DateTime<Utc>> {
    match scalar(map, key)? {
        ScalarValue::Timestamp(ms) | ScalarValue::Int(ms) => Some(utc_from_millis(*ms)),
        ScalarValue::Uint(ms) => i64::try_from(*ms).ok().map(utc_from_millis),
        ScalarValue::Str(s) => DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|d| d.with_timezone(&Utc)),
        _ => None,
    }
}

fn submap<'a>(map: &'a Map, key: &str) -> Option<&'a Map> {
    match get(map, key) {
        Some(HValue::Map(m)) => Some(m),
        _ => None,
    }
}

/// The keys of a set-map whose value is `true`, sorted.
fn set(map: &Map, key: &str) -> Vec<String> {
    let mut out: Vec<String> = submap(map, key)
        .map(|m| {
            m.iter()
                .filter(|(_, v)| !matches!(v.value, HValue::Scalar(ScalarValue::Boolean(false))))
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn due(map: &Map) -> Option<Due> {
    let due = submap(map, "due")?;
    Some(Due {
        at: instant(due, "at")?,
        tz: string(due, "tz").unwrap_or_else(|| "UTC".into()),
        all_day: boolean(due, "all_day"),
        end: instant(due, "end"),
    })
}

/// Builds a task from its hydrated map.
pub(crate) fn task_from_hydrated(board: DocumentId, id: &TaskId, value: &HValue) -> Task {
    let empty = Map::default();
    let map = match value {
        HValue::Map(m) => m,
        _ => &empty,
    };
    let mut checklist: Vec<ChecklistItem> = submap(map, "checklist")
        .map(|items| {
            items
                .iter()
                .filter_map(|(key, v)| match &v.value {
                    HValue::Map(item) => Some(ChecklistItem {
                        id: ItemId::new(key.clone()),
                        text: string(item, "text").unwrap_or_default(),
                        done: boolean(item, "done"),
                        position: string(item, "position").unwrap_or_default(),
                    }),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    checklist.sort_by(|a, b| (&a.position, &a.id).cmp(&(&b.position, &b.id)));
    let mut comments: Vec<Comment> = submap(map, "comments")
        .map(|items| {
            items
                .iter()
                .filter_map(|(key, v)| match &v.value {
                    HValue::Map(c) => Some(Comment {
                        id: CommentId::new(key.clone()),
                        author: string(c, "author").unwrap_or_default(),
                        at: instant(c, "at").unwrap_or_default(),
                        text: string(c, "text").unwrap_or_default(),
                        mentions: set(c, "mentions"),
                    }),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    comments.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    let created_at = instant(map, "created_at").unwrap_or_default();
    Task {
        id: id.clone(),
        board,
        title: string(map, "title").unwrap_or_default(),
        description: string(map, "description").unwrap_or_default(),
        column: porchlight_model::ids::ColumnId::new(string(map, "column").unwrap_or_default()),
        position: string(map, "position").unwrap_or_default(),
        due: due(map),
        reminder: instant(map, "reminder"),
        priority: string(map, "priority")
            .and_then(|p| p.parse::<Priority>().ok())
            .unwrap_or_default(),
        labels: set(map, "labels"),
        assignees: set(map, "assignees"),
        checklist,
        comments,
        listings: set(map, "listings"),
        recurrence: string(map, "recurrence").and_then(|r| serde_json::from_str(&r).ok()),
        created_by: string(map, "created_by").unwrap_or_default(),
        created_at,
        updated_by: string(map, "updated_by").unwrap_or_default(),
        updated_at: instant(map, "updated_at").unwrap_or(created_at),
        completed_at: instant(map, "completed_at"),
        archived: boolean(map, "archived"),
        deleted: instant(map, "deleted_at").is_some(),
        template: string(map, "template").and_then(|t| serde_json::from_str(&t).ok()),
        assigned: stamps(map, ASSIGNED),
        mentioned: stamps(map, MENTIONED),
        watch: map
            .iter()
            .filter_map(|(k, v)| match (k.strip_prefix(WATCH), &v.value) {
                (Some(person), HValue::Scalar(ScalarValue::Boolean(on))) => {
                    Some((person.to_string(), *on))
                }
                _ => None,
            })
            .collect(),
        inbox: inbox_states(map),
    }
}

/// `inbox:PERSON:ITEM = state` keys, by person and item.
fn inbox_states(map: &Map) -> BTreeMap<String, BTreeMap<String, InboxState>> {
    let mut out: BTreeMap<String, BTreeMap<String, InboxState>> = BTreeMap::new();
    for (key, v) in map.iter() {
        let Some(rest) = key.strip_prefix(INBOX) else {
            continue;
        };
        let (Some((person, item)), HValue::Scalar(ScalarValue::Str(state))) =
            (rest.split_once(':'), &v.value)
        else {
            continue;
        };
        if let Some(state) = InboxState::parse(state) {
            out.entry(person.to_string())
                .or_default()
                .insert(item.to_string(), state);
        }
    }
    out
}

/// Who-and-when stamps under `prefix` keys (assignees, mentions), by name.
fn stamps(map: &Map, prefix: &str) -> BTreeMap<String, Stamp> {
    map.iter()
        .filter_map(|(k, v)| match (k.strip_prefix(prefix), &v.value) {
            (Some(name), HValue::Map(s)) => Some((
                name.to_string(),
                Stamp {
                    by: string(s, "by").unwrap_or_default(),
                    at: instant(s, "at").unwrap_or_default(),
                },
            )),
            _ => None,
        })
        .collect()
}

/// The string held in the Text object at `key` of `obj`.
pub(crate) fn text_of(doc: &AutoCommit, obj: &ObjId, key: &str) -> String {
    match doc.get(obj, key) {
        Ok(Some((Value::Object(ObjType::Text), text))) => doc.text(&text).unwrap_or_default(),
        _ => String::new(),
    }
}
