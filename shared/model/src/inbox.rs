//! A person's inbox, derived from a task: mentions of them, assignments to
//! them, comments on tasks they watch, and their work coming due. Nothing
//! here is stored apart from the task, so every device that holds the
//! board derives the same inbox, offline too; what a person did with an
//! item (read, archived) is kept in the task itself and syncs with it.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::board::{InboxState, Task};
use crate::ids::{DocumentId, TaskId};

/// How long before its deadline a task assigned to someone enters their
/// inbox as due soon.
pub const DUE_SOON: Duration = Duration::hours(24);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum InboxKind {
    /// Someone wrote `@you` in a comment or the description.
    Mention,
    /// Someone assigned the task to you.
    Assigned,
    /// Someone commented on a task you watch.
    Comment,
    /// A task assigned to you is due within a day, or overdue.
    DueSoon,
}

impl InboxKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InboxKind::Mention => "mention",
            InboxKind::Assigned => "assigned",
            InboxKind::Comment => "comment",
            InboxKind::DueSoon => "due soon",
        }
    }
}

/// One item of a person's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InboxItem {
    /// A short id to name the item by (`porchlight inbox read ID`).
    pub id: String,
    /// The item's key within its task (how its state is stored).
    pub key: String,
    pub task: TaskId,
    pub board: DocumentId,
    /// The task's title.
    pub title: String,
    pub kind: InboxKind,
    pub at: DateTime<Utc>,
    /// Who did it (empty for due-soon).
    pub by: String,
    /// The comment, or what happened, in a line.
    pub text: String,
    pub state: InboxState,
}

/// A short, stable id for an item: FNV-1a of the task id and the key.
pub fn item_id(task: &TaskId, key: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in task.as_str().bytes().chain([0]).chain(key.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", hash >> 32)
}

/// When `person` started watching `task` (None: they do not watch it).
fn watching_since(task: &Task, person: &str) -> Option<DateTime<Utc>> {
    if !task.watched_by(person) {
        return None;
    }
    let is = |name: &str| name.eq_ignore_ascii_case(person);
    let mut since: Vec<DateTime<Utc>> = Vec::new();
    if is(&task.created_by) {
        since.push(task.created_at);
    }
    if let Some((_, stamp)) = task.assigned.iter().find(|(n, _)| is(n)) {
        since.push(stamp.at);
    } else if task.assignees.iter().any(|n| is(n)) {
        since.push(task.created_at);
    }
    if let Some(c) = task.comments.iter().find(|c| is(&c.author)) {
        since.push(c.at);
    }
    if task.watch.iter().any(|(n, on)| *on && is(n)) {
        // Chosen by hand: the whole conversation.
        since.push(DateTime::<Utc>::MIN_UTC);
    }
    since.into_iter().min()
}

fn line(text: &str) -> String {
    let first = text.lines().next().unwrap_or_default().trim();
    if first.chars().count() > 140 {
        let cut: String = first.chars().take(139).collect();
        format!("{cut}…")
    } else {
        first.to_string()
    }
}

/// `person`'s inbox items about `task`, as of `now`, newest first.
pub fn derive(task: &Task, person: &str, now: DateTime<Utc>) -> Vec<InboxItem> {
    let me = person.to_lowercase();
    if task.deleted || task.archived || me.is_empty() {
        return vec![];
    }
    let is = |name: &str| name.eq_ignore_ascii_case(&me);
    let states = task
        .inbox
        .iter()
        .find(|(n, _)| is(n))
        .map(|(_, states)| states);
    let mut out = Vec::new();
    let mut push = |key: String, kind: InboxKind, at: DateTime<Utc>, by: &str, text: String| {
        let state = states
            .and_then(|s| s.get(&key))
            .copied()
            .unwrap_or(InboxState::Unread);
        out.push(InboxItem {
            id: item_id(&task.id, &key),
            key,
            task: task.id.clone(),
            board: task.board,
            title: task.title.clone(),
            kind,
            at,
            by: by.to_string(),
            text,
            state,
        });
    };
    let since = watching_since(task, &me);
    for c in &task.comments {
        if is(&c.author) {
            continue;
        }
        if c.mentions.iter().any(|n| is(n)) {
            push(
                format!("mention:{}", c.id.as_str()),
                InboxKind::Mention,
                c.at,
                &c.author,
                line(&c.text),
            );
        } else if since.is_some_and(|s| c.at >= s) {
            push(
                format!("comment:{}", c.id.as_str()),
                InboxKind::Comment,
                c.at,
                &c.author,
                line(&c.text),
            );
        }
    }
    if let Some((_, stamp)) = task.mentioned.iter().find(|(n, _)| is(n))
        && !is(&stamp.by)
    {
        push(
            format!("mention:description:{}", stamp.at.timestamp_millis()),
            InboxKind::Mention,
            stamp.at,
            &stamp.by,
            line(&task.description),
        );
    }
    let assigned_to_me = task.assignees.iter().any(|n| is(n));
    if assigned_to_me
        && let Some((_, stamp)) = task.assigned.iter().find(|(n, _)| is(n))
        && !is(&stamp.by)
    {
        push(
            format!("assigned:{}", stamp.at.timestamp_millis()),
            InboxKind::Assigned,
            stamp.at,
            &stamp.by,
            format!("{} assigned it to you", stamp.by),
        );
    }
    let mine = assigned_to_me || (task.assignees.is_empty() && is(&task.created_by));
    if mine
        && !task.is_done()
        && let Some(due) = &task.due
    {
        let deadline = due.deadline();
        if deadline - DUE_SOON <= now {
            let what = if deadline <= now { "overdue" } else { "due" };
            push(
                format!("due:{}", deadline.timestamp_millis()),
                InboxKind::DueSoon,
                (deadline - DUE_SOON).max(task.created_at),
                "",
                format!("{what} {}", due.display()),
            );
        }
    }
    out.sort_by(|a, b| (b.at, &b.key).cmp(&(a.at, &a.key)));
    out
}

#[cfg(test)]
mod tests;
