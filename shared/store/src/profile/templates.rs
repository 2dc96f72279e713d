//! Templates applied to a board: every step a task, in one change, each
//! remembering its template application, so moving the anchor later moves
//! the tasks not done yet. On a big board that is not loaded both are
//! kept pending and made as that one change at its next load (`pending.rs`).

use chrono::NaiveDate;

use super::TasksMut;
use super::Touched;
use super::pending::{MOVE_ANCHOR, TEMPLATE_APPLY};
use crate::doc::{ChangeNote, TaskEdit};
use crate::error::{CoreError, Result};
use crate::ids::{DocumentId, TaskId};
use crate::model::{ChecklistItem, Task, check_label, check_name, check_title};
use crate::position;
use crate::template::{Holidays, Template, TemplateLink, due_at};

/// What moving an anchor did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct AnchorMoved {
    /// Tasks not done, now due at their offset from the new anchor.
    pub moved: usize,
    /// Done tasks, left where they were.
    pub done: usize,
}

/// The days business-day offsets skip: the profile's holiday list (US
/// federal holidays unless edited), or none but weekends.
fn holidays(p: &mut super::Profile, listed: bool) -> Result<Holidays> {
    if listed {
        p.holidays()
    } else {
        Ok(Holidays::default())
    }
}

impl TasksMut<'_> {
    /// Adds a task for every step of `template` to the first column of a
    /// board, due at its offset from `anchor` (business days skip the
    /// profile's holiday list with `us_holidays`, US federal by default), titled "`prefix`: step" when
    /// a prefix is given. One change to the board.
    pub fn apply_template(
        &mut self,
        board_key: &str,
        template: &Template,
        anchor: NaiveDate,
        prefix: Option<&str>,
        us_holidays: bool,
    ) -> Result<Vec<Task>> {
        let board_id: DocumentId = self.p.boards().resolve(board_key)?;
        let board = self.p.boards().get(board_key)?;
        let column = board
            .columns
            .first()
            .cloned()
            .ok_or(CoreError::LastColumn)?;
        let last: Option<String> = self
            .p
            .store()
            .conn()
            .prepare_cached(
                "SELECT MAX(position) FROM tasks WHERE board_id = ?1 AND column_id = ?2",
            )?
            .query_row([board_id.to_string(), column.id.to_string()], |r| r.get(0))?;
        let tz = self.p.tz_name().to_string();
        let now = self.p.now();
        let run = crate::ids::random_hex(8);
        let hol = holidays(self.p, us_holidays)?;
        let mut position = last;
        let mut tasks = Vec::with_capacity(template.steps.len());
        for (i, step) in template.steps.iter().enumerate() {
            let title = match prefix.map(str::trim).filter(|p| !p.is_empty()) {
                Some(p) => format!("{p}: {}", step.title),
                None => step.title.clone(),
            };
            let next = position::between(position.as_deref(), None);
            let mut task = Task::new(
                board_id,
                check_title(&title)?,
                column.id.clone(),
                next.clone(),
                &self.p.user,
                now,
            );
            position = Some(next);
            task.due = Some(due_at(anchor, &step.offset, &tz, &hol)?);
            task.priority = step.priority;
            task.labels = step
                .labels
                .iter()
                .map(|l| check_label(l))
                .collect::<std::result::Result<_, _>>()?;
            task.labels.sort();
            task.labels.dedup();
            if let Some(a) = &step.assignee {
                task.assignees = vec![check_name("assignee", a.trim().trim_start_matches('@'))?];
            }
            let mut item_position: Option<String> = None;
            for text in &step.checklist {
                let p = position::between(item_position.as_deref(), None);
                task.checklist.push(ChecklistItem {
                    id: crate::ids::ItemId::random(),
                    text: text.clone(),
                    done: false,
                    position: p.clone(),
                });
                item_position = Some(p);
            }
            task.template = Some(TemplateLink {
                run: run.clone(),
                template: template.name.clone(),
                step: u32::try_from(i).unwrap_or(u32::MAX),
                anchor,
                offset: step.offset,
                holidays: us_holidays,
            });
            tasks.push(task);
        }
        let labels: Vec<String> = tasks.iter().flat_map(|t| t.labels.clone()).collect();
        self.p.catalogue_labels(&labels)?;
        if self.p.defers_write(board_id)? {
            self.p.template_pending(&tasks)?;
        } else {
            self.write_template(board_id, tasks.clone())?;
        }
        tasks
            .iter()
            .map(|t| self.p.tasks().get(t.id.as_str()))
            .collect()
    }

    /// A template's tasks written on the loaded board, as one change.
    fn write_template(&mut self, board_id: DocumentId, written: Vec<Task>) -> Result<()> {
        self.p.write_board(board_id, move |b, _, user| {
            for t in &written {
                b.insert_task(t)?;
            }
            let note = ChangeNote::new(TEMPLATE_APPLY, user);
            let ids: Vec<TaskId> = written.iter().map(|t| t.id.clone()).collect();
            Ok(((), note, Touched::Tasks(ids)))
        })
    }

    /// Moves the anchor of the template application `task_key` belongs to:
    /// every task of it not done yet is due at its offset from `anchor`;
    /// done ones stay. One change to the board.
    pub fn move_anchor(&mut self, task_key: &str, anchor: NaiveDate) -> Result<AnchorMoved> {
        let one = self.p.tasks().get(task_key)?;
        let Some(link) = one.template.clone() else {
            return Err(CoreError::Model(crate::ModelError::InvalidValue {
                what: "task",
                value: task_key.to_string(),
                hint: "it was not made from a template; name a task that `template apply` made",
            }));
        };
        let board_id = one.board;
        let run: Vec<Task> = self
            .p
            .tasks()
            .list(&crate::store::TaskQuery {
                board: Some(board_id),
                include_done: true,
                include_archived: true,
                ..crate::store::TaskQuery::default()
            })?
            .into_iter()
            .filter(|t| t.template.as_ref().is_some_and(|l| l.run == link.run))
            .collect();
        let tz = self.p.tz_name().to_string();
        let listed = holidays(self.p, true)?;
        let mut edits: Vec<(TaskId, Vec<TaskEdit>)> = Vec::new();
        let mut done = 0;
        for t in &run {
            let Some(l) = &t.template else { continue };
            if t.completed_at.is_some() {
                done += 1;
                continue;
            }
            let hol = if l.holidays {
                listed.clone()
            } else {
                Holidays::default()
            };
            let due = due_at(anchor, &l.offset, &tz, &hol)?;
            let moved = TemplateLink {
                anchor,
                ..l.clone()
            };
            edits.push((
                t.id.clone(),
                vec![TaskEdit::Due(Some(due)), TaskEdit::Template(Some(moved))],
            ));
        }
        let moved = edits.len();
        if moved > 0 && self.p.defers_write(board_id)? {
            self.p
                .edits_pending(MOVE_ANCHOR, edits, &["due", "template"])?;
        } else if moved > 0 {
            self.p.write_board(board_id, move |b, now, user| {
                for (id, e) in &edits {
                    b.edit_task(id, e, user, now)?;
                }
                let note = ChangeNote::new(MOVE_ANCHOR, user);
                let ids = edits.iter().map(|(id, _)| id.clone()).collect();
                Ok(((), note, Touched::Tasks(ids)))
            })?;
        }
        Ok(AnchorMoved { moved, done })
    }
}
