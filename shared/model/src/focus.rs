//! Focus order: which open task to do next.
//!
//! The score is the sum of three parts (higher comes first):
//!
//! | part | rule | range |
//! |---|---|---|
//! | urgency | overdue: 200 + 2 per day late (max +60); due within 24 h: 80; within 3 days: 50; within 7 days: 30; later: 10; no due date: 0 | 0–260 |
//! | priority | urgent 60, high 40, medium 20, low 10, none 0 | 0–60 |
//! | age | 0.5 per day since creation, at most 15 | 0–15 |
//!
//! So an overdue task outranks anything not overdue (at most 80 + 60 + 15); among tasks due at the
//! same horizon, priority decides; age only breaks near-ties, so nothing rots
//! at the bottom forever. Ties go to the earlier deadline, then the older
//! task. Completed and archived tasks are not ranked.
//!
//! With predictions ([`order_with`]), tasks come in three tiers before the
//! score counts: overdue, then *at risk* (predicted to finish after their
//! deadline, see [`crate::insights`]), then the rest — so a task the team's
//! history says will be late comes before one that is merely due.

use chrono::{DateTime, Utc};

use std::collections::HashSet;

use crate::board::{Priority, Task};
use crate::ids::TaskId;

/// The focus score of an open task at `now`.
pub fn score(task: &Task, now: DateTime<Utc>) -> f64 {
    let urgency = match &task.due {
        None => 0.0,
        Some(due) => {
            let deadline = due.deadline();
            let hours = (deadline - now).num_minutes() as f64 / 60.0;
            if hours <= 0.0 {
                200.0 + (2.0 * (-hours / 24.0).floor()).min(60.0)
            } else if hours <= 24.0 {
                80.0
            } else if hours <= 72.0 {
                50.0
            } else if hours <= 168.0 {
                30.0
            } else {
                10.0
            }
        }
    };
    let priority = match task.priority {
        Priority::Urgent => 60.0,
        Priority::High => 40.0,
        Priority::Medium => 20.0,
        Priority::Low => 10.0,
        Priority::None => 0.0,
    };
    let age_days = (now - task.created_at).num_hours().max(0) as f64 / 24.0;
    urgency + priority + (age_days * 0.5).min(15.0)
}

/// Open tasks in focus order, best first.
pub fn order(tasks: Vec<Task>, now: DateTime<Utc>) -> Vec<Task> {
    order_with(tasks, now, &HashSet::new())
}

/// Open tasks in focus order, the ones in `at_risk` before the others
/// that are not overdue.
pub fn order_with(tasks: Vec<Task>, now: DateTime<Utc>, at_risk: &HashSet<TaskId>) -> Vec<Task> {
    let tier = |t: &Task| {
        if t.due.as_ref().is_some_and(|d| d.deadline() <= now) {
            2
        } else if at_risk.contains(&t.id) {
            1
        } else {
            0
        }
    };
    let mut scored: Vec<(u8, f64, Task)> = tasks
        .into_iter()
        .filter(|t| !t.is_done() && !t.archived && !t.deleted)
        .map(|t| (tier(&t), score(&t, now), t))
        .collect();
    scored.sort_by(|(ta, sa, a), (tb, sb, b)| {
        tb.cmp(ta)
            .then_with(|| sb.total_cmp(sa))
            .then_with(|| {
                let da = a.due.as_ref().map(|d| d.deadline());
                let db = b.due.as_ref().map(|d| d.deadline());
                match (da, db) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                }
            })
            .then_with(|| a.created_at.cmp(&b.created_at))
            .then_with(|| a.id.cmp(&b.id))
    });
    scored.into_iter().map(|(_, _, t)| t).collect()
}

#[cfg(test)]
mod tests;
