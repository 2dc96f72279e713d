//! The activity feed: who did what, when, read from the boards' own change
//! history (every change carries a note naming its author and operation),
//! so it is the same on every device that holds the boards.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::Profile;
use crate::doc::ChangeNote;
use crate::error::Result;
use crate::ids::DocumentId;
use crate::model::utc_from_millis;

/// Changes by one person to one task less than this far apart are one entry.
pub const ACTIVITY_GROUP: Duration = Duration::minutes(30);

/// One entry of the feed: one person's consecutive changes to one task (or
/// to the board itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ActivityEntry {
    /// The last change of the group.
    pub at: DateTime<Utc>,
    /// The first change of the group.
    pub from: DateTime<Utc>,
    pub by: String,
    pub board: DocumentId,
    pub board_name: String,
    pub task: Option<String>,
    /// The task's title now (empty when it is gone).
    pub title: String,
    /// What was done, in order, each once: `task.add`, `task.comment`, …
    pub ops: Vec<String>,
    /// The task fields its edits changed (`task.edit`).
    pub fields: Vec<String>,
    /// How many changes the entry stands for.
    pub changes: usize,
}

/// The words for an operation in the feed ("completed").
pub fn verb(op: &str) -> &str {
    match op.split(':').next().unwrap_or(op) {
        "task.add" => "added",
        "task.edit" => "edited",
        "task.move" => "moved",
        "task.complete" => "completed",
        "task.reopen" => "reopened",
        "task.comment" => "commented on",
        "task.checklist" => "updated the checklist of",
        "task.archive" => "archived",
        "task.unarchive" => "brought back",
        "task.delete" => "deleted",
        "task.restore" => "restored an earlier version of",
        "template.apply" => "applied a template to",
        "template.move-anchor" => "moved the dates of",
        "board.create" => "created",
        "board.rename" => "renamed",
        "board.delete" => "deleted",
        "board.import" | "board.sync" => "imported",
        "person.rename" => "renamed people on",
        "column.add" | "column.rename" | "column.move" | "column.delete" => {
            "changed the columns of"
        }
        other => other,
    }
}

impl ActivityEntry {
    /// "alex completed “Order lockbox”", in a line.
    pub fn describe(&self) -> String {
        let verbs: Vec<&str> = self.ops.iter().map(|o| verb(o)).collect();
        let mut verbs_text = verbs.join(", ");
        if self.ops.iter().any(|o| o == "task.edit") && !self.fields.is_empty() {
            verbs_text = verbs_text.replacen(
                "edited",
                &format!("edited the {} of", self.fields.join(", ")),
                1,
            );
        }
        // A board's entry holds its renames' names, old and new in turn.
        if self.task.is_none()
            && self.ops.iter().any(|o| o == "person.rename")
            && !self.fields.is_empty()
            && self.fields.len() % 2 == 0
        {
            let pairs: Vec<String> = self
                .fields
                .chunks(2)
                .map(|p| format!("@{} to @{}", p[0], p[1]))
                .collect();
            verbs_text = verbs_text.replacen(
                "renamed people on",
                &format!("renamed {} on", pairs.join(", ")),
                1,
            );
        }
        let what = match &self.task {
            Some(_) if self.title.is_empty() => "a task since removed".to_string(),
            Some(_) => format!("“{}”", self.title),
            None => format!("the board “{}”", self.board_name),
        };
        let times = if self.changes > 1 {
            format!(" ({} changes)", self.changes)
        } else {
            String::new()
        };
        format!("{} {verbs_text} {what}{times}", self.by)
    }
}

/// Operations whose note's fields the feed shows: the fields an edit
/// changed, or a rename's old and new name.
fn has_fields(op: &str) -> bool {
    op == "task.edit" || op == "person.rename"
}

/// Operations that are not news to the team: private inbox state and
/// watching, and the workspace's own bookkeeping.
fn private(op: &str) -> bool {
    ["inbox.", "workspace.", "task.watch", "task.unwatch"]
        .iter()
        .any(|p| op.starts_with(p))
}

impl Profile {
    /// The feed of one board (or every board), newest first, from `since`.
    pub fn activity(
        &mut self,
        board: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<Vec<ActivityEntry>> {
        let boards: Vec<(DocumentId, String)> = match board {
            Some(key) => {
                let b = self.boards().get(key)?;
                vec![(b.id, b.name)]
            }
            None => self
                .boards()
                .list()?
                .into_iter()
                .map(|b| (b.id, b.name))
                .collect(),
        };
        let since_secs = since.timestamp();
        let mut out: Vec<ActivityEntry> = Vec::new();
        for (id, name) in boards {
            let board = self.read_board(id)?;
            // Who did it, by the name they go by now.
            let renames = board.renames();
            let mut doc = board.into_doc();
            let mut entries: Vec<ActivityEntry> = Vec::new();
            let mut changes: Vec<(i64, ChangeNote)> = doc
                .get_changes(&[])
                .into_iter()
                .filter(|c| c.timestamp() >= since_secs)
                .filter_map(|c| ChangeNote::decode(c.message()).map(|n| (c.timestamp(), n)))
                .filter(|(_, n)| !private(&n.op))
                .collect();
            changes.sort_by_key(|(t, _)| *t);
            for (secs, mut note) in changes {
                note.by = renames.resolve(&note.by);
                let at = utc_from_millis(secs.saturating_mul(1000));
                let same = entries.iter_mut().rev().find(|e| {
                    e.by == note.by && e.task == note.task && at - e.at <= ACTIVITY_GROUP
                });
                match same {
                    Some(e) => {
                        e.at = at;
                        e.changes += 1;
                        if !e.ops.contains(&note.op) {
                            e.ops.push(note.op.clone());
                        }
                        if note.op == "person.rename" {
                            e.fields.extend(note.fields);
                        } else if note.op == "task.edit" {
                            for f in note.fields {
                                if !e.fields.contains(&f) {
                                    e.fields.push(f);
                                }
                            }
                        }
                    }
                    _ => entries.push(ActivityEntry {
                        at,
                        from: at,
                        by: note.by,
                        board: id,
                        board_name: name.clone(),
                        task: note.task,
                        title: String::new(),
                        fields: if has_fields(&note.op) {
                            note.fields
                        } else {
                            vec![]
                        },
                        ops: vec![note.op],
                        changes: 1,
                    }),
                }
            }
            out.extend(entries);
        }
        let conn = self.store().conn();
        let mut title = conn.prepare_cached("SELECT title FROM tasks WHERE task_id = ?1")?;
        for e in &mut out {
            if let Some(task) = &e.task {
                use rusqlite::OptionalExtension;
                e.title = title
                    .query_row([task], |r| r.get(0))
                    .optional()?
                    .unwrap_or_default();
            }
        }
        // Newest first; of changes in the same second, the later one first.
        out.reverse();
        out.sort_by_key(|e| std::cmp::Reverse(e.at));
        Ok(out)
    }
}
