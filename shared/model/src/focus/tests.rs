use chrono::{Duration, TimeZone};

use super::*;
use crate::board::Due;
use crate::ids::{ColumnId, DocumentId};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 15, 0, 0)
        .single()
        .unwrap_or_default()
}

fn task(title: &str, due_in_hours: Option<i64>, priority: Priority, age_days: i64) -> Task {
    let mut t = Task::new(
        DocumentId::random(),
        title,
        ColumnId::new("c"),
        "i",
        "me",
        now() - Duration::days(age_days),
    );
    t.due = due_in_hours.map(|h| Due::at_time(now() + Duration::hours(h), "UTC"));
    t.priority = priority;
    t
}

fn titles(tasks: Vec<Task>) -> Vec<String> {
    order(tasks, now()).into_iter().map(|t| t.title).collect()
}

#[test]
fn overdue_beats_priority() {
    let got = titles(vec![
        task("urgent next week", Some(150), Priority::Urgent, 0),
        task("overdue low", Some(-2), Priority::Low, 0),
    ]);
    assert_eq!(got, ["overdue low", "urgent next week"]);
}

#[test]
fn among_same_horizon_priority_decides() {
    let got = titles(vec![
        task("medium today", Some(5), Priority::Medium, 0),
        task("high today", Some(6), Priority::High, 0),
        task("none today", Some(1), Priority::None, 0),
    ]);
    assert_eq!(got, ["high today", "medium today", "none today"]);
}

#[test]
fn more_overdue_comes_first() {
    let got = titles(vec![
        task("a day late", Some(-24), Priority::None, 0),
        task("a week late", Some(-24 * 7), Priority::None, 0),
    ]);
    assert_eq!(got, ["a week late", "a day late"]);
}

#[test]
fn age_breaks_ties_and_undated_tasks_come_last() {
    let got = titles(vec![
        task("new undated", None, Priority::None, 0),
        task("old undated", None, Priority::None, 40),
        task("due later", Some(24 * 30), Priority::None, 0),
    ]);
    assert_eq!(got, ["old undated", "due later", "new undated"]);
}

#[test]
fn done_and_archived_tasks_are_not_ranked() {
    let mut done = task("done", Some(-5), Priority::Urgent, 0);
    done.completed_at = Some(now());
    let mut archived = task("archived", Some(-5), Priority::Urgent, 0);
    archived.archived = true;
    assert_eq!(
        titles(vec![done, archived, task("open", None, Priority::None, 0)]),
        ["open"]
    );
}

#[test]
fn an_all_day_task_due_today_is_not_overdue_until_the_day_ends() {
    let date = now().date_naive();
    let mut t = task("all day", None, Priority::None, 0);
    t.due = Due::on_day(date, "UTC").ok();
    assert!(score(&t, now()) < 200.0);
    assert!(score(&t, now() + Duration::hours(10)) >= 200.0);
}

#[test]
fn at_risk_tasks_come_after_overdue_and_before_merely_due() {
    let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2027, 3, 1, 12, 0, 0)
        .single()
        .expect("now");
    let make = |title: &str, due_hours: i64, priority: Priority| {
        let mut t = Task::new(
            crate::ids::DocumentId::random(),
            title,
            crate::ids::ColumnId::new("c"),
            "a",
            "alex",
            now,
        );
        t.due = Some(crate::board::Due::at_time(
            now + chrono::Duration::hours(due_hours),
            "UTC",
        ));
        t.priority = priority;
        t
    };
    let overdue = make("overdue", -1, Priority::None);
    let due = make("due tomorrow, urgent", 20, Priority::Urgent);
    let risky = make("inspection in 5 days", 120, Priority::None);
    let at_risk: HashSet<TaskId> = [risky.id.clone()].into();
    let titles = |ts: Vec<Task>| ts.into_iter().map(|t| t.title).collect::<Vec<_>>();
    let all = vec![due.clone(), risky.clone(), overdue.clone()];
    assert_eq!(
        titles(order_with(all.clone(), now, &at_risk)),
        ["overdue", "inspection in 5 days", "due tomorrow, urgent"]
    );
    assert_eq!(
        titles(order(all, now)),
        ["overdue", "due tomorrow, urgent", "inspection in 5 days"]
    );
}
