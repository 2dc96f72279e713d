//! The profile user's inbox and watching: derived from the materialized
//! tasks on each device (see [`crate::inbox`]); what the person did with an
//! item is written into the task's document and syncs like any edit.

use std::collections::HashMap;

use chrono::Duration;

use super::{Tasks, TasksMut, Touched};
use crate::doc::{ChangeNote, TaskEdit};
use crate::error::{CoreError, Result};
use crate::ids::{DocumentId, TaskId};
use crate::inbox::{InboxItem, derive};
use crate::model::{InboxState, Task};
use porchlight_model::people::Renames;

/// Tasks untouched for longer than this leave the inbox (unless they are
/// the person's and coming due).
pub const INBOX_DAYS: i64 = 60;

/// Which items [`Tasks::inbox`] returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InboxFilter {
    /// Unread and read, not archived (the default view).
    #[default]
    Current,
    Unread,
    /// Archived ones too.
    All,
}

/// What `TasksMut::mark_inbox` changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InboxMarked {
    pub changed: usize,
}

impl Tasks<'_> {
    /// The tasks an inbox can be about: recently touched, or open and
    /// coming due, and naming the person somewhere (every item is about a
    /// task whose JSON holds their name: as creator, assignee, commenter,
    /// someone mentioned, watching or with inbox state), so only those are
    /// decoded.
    fn inbox_candidates(&self, renames: &HashMap<DocumentId, Renames>) -> Result<Vec<Task>> {
        let now = self.p.now();
        let since = (now - Duration::days(INBOX_DAYS)).timestamp_millis();
        let due_by = (now + crate::inbox::DUE_SOON).timestamp_millis();
        let mut stmt = self.p.store().conn().prepare_cached(
            "SELECT json FROM tasks WHERE archived = 0 AND (updated_at >= ?1
                OR (completed_at IS NULL AND due_deadline <= ?2))
                AND json LIKE ?3 ESCAPE '\\'",
        )?;
        // LIKE ignores the case of ASCII letters only, and JSON escapes
        // quotes and backslashes: a name it could miss is not used to
        // narrow (every row is read).
        let user = self.p.user();
        // A teammate may have renamed the user on some board: their tasks
        // there hold the new name, so nothing is narrowed then.
        let renamed = renames.values().any(|r| r.names_of(user).len() > 1);
        let me = if !renamed
            && user
                .chars()
                .all(|c| (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ')
        {
            let escaped = user.replace('%', "\\%").replace('_', "\\_");
            format!("%{escaped}%")
        } else {
            "%".to_string()
        };
        let rows = stmt.query_map(rusqlite::params![since, due_by, me], |r| {
            r.get::<_, String>(0)
        })?;
        let mut out = Vec::new();
        for json in rows {
            let json = json?;
            match serde_json::from_str::<Task>(&json) {
                Ok(task) => out.push(task),
                Err(e) => {
                    return Err(CoreError::CorruptDocument {
                        doc: "tasks table".into(),
                        reason: format!("{e}; run `porchlight reindex`"),
                    });
                }
            }
        }
        Ok(out)
    }

    /// The profile user's inbox, newest first.
    pub fn inbox(&self, filter: InboxFilter) -> Result<Vec<InboxItem>> {
        let now = self.p.now();
        let user = self.p.user().to_string();
        // The user under the name each board knows them by now.
        let renames = self.p.boards().renames()?;
        let mut items: Vec<InboxItem> = self
            .inbox_candidates(&renames)?
            .iter()
            .flat_map(|t| {
                let me = renames
                    .get(&t.board)
                    .map_or(user.clone(), |r| r.resolve(&user));
                derive(t, &me, now)
            })
            .filter(|i| match filter {
                InboxFilter::Current => i.state != InboxState::Archived,
                InboxFilter::Unread => i.state == InboxState::Unread,
                InboxFilter::All => true,
            })
            .collect();
        items.sort_by(|a, b| (b.at, &b.id).cmp(&(a.at, &a.id)));
        Ok(items)
    }

    /// The people this profile has seen — assignees, commenters, people
    /// mentioned, whoever made a task, and the user — for completing
    /// `@names`, by name.
    pub fn people(&self) -> Result<Vec<String>> {
        let mut stmt = self.p.store().conn().prepare_cached(
            "SELECT name FROM task_assignees UNION SELECT author FROM comments
             UNION SELECT json_extract(json, '$.created_by') FROM tasks
             UNION SELECT m.value FROM tasks t, json_each(t.json, '$.comments') c,
                 json_each(c.value, '$.mentions') m WHERE t.json LIKE '%\"mentions\":%'
             UNION SELECT d.key FROM tasks t, json_each(t.json, '$.mentioned') d
                 WHERE t.json LIKE '%\"mentioned\":%'",
        )?;
        let mut names: Vec<String> = stmt
            .query_map([], |r| r.get::<_, Option<String>>(0))?
            .filter_map(|r| r.ok().flatten())
            .map(|n| n.trim_start_matches('@').to_lowercase())
            .filter(|n| !n.is_empty() && !n.contains(char::is_whitespace))
            .collect();
        // The user, by the name a teammate's rename gave them if any.
        let user = self.p.user().to_lowercase();
        let renamed: Vec<String> = self
            .p
            .boards()
            .renames()?
            .values()
            .map(|r| r.resolve(&user))
            .filter(|n| *n != user)
            .collect();
        if renamed.is_empty() {
            names.push(user);
        }
        names.extend(renamed);
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// How many inbox items are unread (the app's bell).
    pub fn unread_count(&self) -> Result<usize> {
        Ok(self.inbox(InboxFilter::Unread)?.len())
    }
}

impl TasksMut<'_> {
    /// Marks inbox items (by id or a unique start of one; empty: every
    /// item not yet in that state) read, unread or archived. One change
    /// per board.
    pub fn mark_inbox(&mut self, ids: &[String], state: InboxState) -> Result<InboxMarked> {
        let all = self.p.tasks().inbox(InboxFilter::All)?;
        let mut chosen: Vec<&InboxItem> = Vec::new();
        if ids.is_empty() {
            chosen.extend(all.iter().filter(|i| {
                i.state != state && !(state == InboxState::Read && i.state == InboxState::Archived)
            }));
        }
        for wanted in ids {
            let w = wanted.trim().to_lowercase();
            let found: Vec<&InboxItem> = all
                .iter()
                .filter(|i| !w.is_empty() && i.id.starts_with(&w))
                .collect();
            match found.as_slice() {
                [one] => chosen.push(one),
                [] => return Err(CoreError::UnknownInboxItem(wanted.clone())),
                many => {
                    return Err(CoreError::AmbiguousTask(
                        wanted.clone(),
                        many.iter()
                            .map(|i| i.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ));
                }
            }
        }
        let mut by_board: HashMap<DocumentId, HashMap<TaskId, Vec<(String, InboxState)>>> =
            HashMap::new();
        for item in chosen.iter().filter(|i| i.state != state) {
            by_board
                .entry(item.board)
                .or_default()
                .entry(item.task.clone())
                .or_default()
                .push((item.key.clone(), state));
        }
        let mut changed = 0;
        let me = self.p.user().to_string();
        for (board, tasks) in by_board {
            changed += tasks.values().map(Vec::len).sum::<usize>();
            let me = me.clone();
            self.p.write_board(board, move |b, _now, user| {
                let ids: Vec<TaskId> = tasks.keys().cloned().collect();
                for (task, items) in &tasks {
                    b.set_inbox(task, &me, items)?;
                }
                let note = ChangeNote::new(&format!("inbox.{}", state.as_str()), user);
                Ok(((), note, Touched::Tasks(ids)))
            })?;
        }
        Ok(InboxMarked { changed })
    }

    /// Watches a task (or stops watching it) by hand.
    pub fn watch(&mut self, key: &str, on: bool) -> Result<Task> {
        let person = self.p.user().to_lowercase();
        let op = if on { "task.watch" } else { "task.unwatch" };
        self.p
            .edit_with(key, op, vec![TaskEdit::Watch { person, on }])
    }
}

#[cfg(test)]
mod tests;
