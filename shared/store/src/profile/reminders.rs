//! Reminders: which tasks should notify in a window of time, answered from
//! the materialized tables so it works offline and never loads a document.
//!
//! A task notifies at its reminder instant; without one, at its due time;
//! an all-day due date without a reminder notifies at 09:00 on that day in
//! the task's time zone. Done and archived tasks never notify, and neither
//! do tasks assigned only to other people (a team board would otherwise
//! ring for everyone's work). The caller keeps the end of the last window it
//! asked about, so a reminder is fired once, and one that came due while the
//! app was closed fires when it opens.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::Serialize;

use super::Profile;
use crate::error::Result;
use crate::model::Task;
use crate::store::decode_row;
use crate::time::{local_date, parse_tz};

/// Local time at which an all-day due date notifies.
pub const ALL_DAY_NOTIFY_AT: (u32, u32) = (9, 0);

/// Why a task notifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ReminderKind {
    /// Its reminder time came.
    Reminder,
    /// It is due now (it has no reminder of its own).
    Due,
}

/// One notification to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Reminder {
    pub task: Task,
    pub at: DateTime<Utc>,
    pub kind: ReminderKind,
}

impl Reminder {
    /// The notification's title and body, worded for people.
    pub fn text(&self) -> (String, String) {
        let title = match self.kind {
            ReminderKind::Reminder => format!("Reminder: {}", self.task.title),
            ReminderKind::Due => format!("Due now: {}", self.task.title),
        };
        let body = match &self.task.due {
            Some(due) if due.all_day => "Due today".to_string(),
            Some(due) => match parse_tz(&due.tz) {
                Ok(tz) => format!(
                    "Due {}",
                    due.at.with_timezone(&tz).format("%a %b %-d, %H:%M")
                ),
                Err(_) => format!("Due {}", due.at.format("%a %b %-d, %H:%M UTC")),
            },
            None => "No due date".to_string(),
        };
        (title, body)
    }
}

/// When `task` notifies, if it does.
fn fire_at(task: &Task) -> Option<(DateTime<Utc>, ReminderKind)> {
    if let Some(at) = task.reminder {
        return Some((at, ReminderKind::Reminder));
    }
    let due = task.due.as_ref()?;
    if !due.all_day {
        return Some((due.at, ReminderKind::Due));
    }
    let tz = parse_tz(&due.tz).ok()?;
    let day = local_date(&tz, due.at);
    let (h, m) = ALL_DAY_NOTIFY_AT;
    let local = day.and_time(NaiveTime::from_hms_opt(h, m, 0)?);
    let at = local.and_local_timezone(tz).earliest()?.with_timezone(&Utc);
    Some((at, ReminderKind::Due))
}

impl Profile {
    /// Tasks that notify after `after` and no later than `until`, earliest
    /// first, for this profile's user (assigned to them, or to nobody).
    pub fn reminders_between(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Reminder>> {
        if until < after {
            return Ok(Vec::new());
        }
        // All-day tasks notify some hours after their day starts (the
        // materialized due instant), so look a day further back for them.
        let all_day_from = after - Duration::days(1);
        let mut stmt = self.store().conn().prepare_cached(
            "SELECT json FROM tasks
             WHERE completed_at IS NULL AND archived = 0
               AND ((reminder_at > ?1 AND reminder_at <= ?2)
                 OR (reminder_at IS NULL AND due_at > ?3 AND due_at <= ?2))",
        )?;
        let rows = stmt.query_map(
            (
                after.timestamp_millis(),
                until.timestamp_millis(),
                all_day_from.timestamp_millis(),
            ),
            |r| r.get::<_, String>(0),
        )?;
        let me = self.user();
        let mut out = Vec::new();
        for json in rows {
            let task: Task = decode_row(&json?, "task")?;
            if !task.assignees.is_empty() && !task.assignees.iter().any(|a| a == me) {
                continue;
            }
            if let Some((at, kind)) = fire_at(&task)
                && at > after
                && at <= until
            {
                out.push(Reminder { task, at, kind });
            }
        }
        out.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.task.id.cmp(&b.task.id)));
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
