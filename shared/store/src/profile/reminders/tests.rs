//! Which tasks notify in a window, and when.

use chrono::{Duration, TimeZone};

use super::*;
use crate::profile::{OpenOptions, TaskChanges};

fn now() -> DateTime<Utc> {
    // 10:00 in Denver.
    Utc.with_ymd_and_hms(2026, 11, 18, 17, 0, 0)
        .single()
        .unwrap_or_default()
}

fn profile(user: &str) -> Profile {
    let mut p = Profile::in_memory(OpenOptions {
        user: Some(user.into()),
        tz: Some("America/Denver".into()),
        now: Some(now()),
    })
    .expect("profile");
    p.boards_mut().create("Escrow", &[]).expect("board");
    p
}

fn add(p: &mut Profile, text: &str) -> Task {
    p.tasks_mut()
        .quick_add("Escrow", text)
        .expect("quick add")
        .0
}

fn titles(r: &[Reminder]) -> Vec<(&str, ReminderKind)> {
    r.iter().map(|r| (r.task.title.as_str(), r.kind)).collect()
}

#[test]
fn timed_due_dates_and_reminders_fire_inside_the_window_only() {
    let mut p = profile("maria");
    add(&mut p, "Call the lender today 11am");
    add(&mut p, "Order the appraisal today 3pm");
    let r = add(&mut p, "Sign the disclosures tomorrow 5pm");
    p.tasks_mut()
        .edit(
            r.id.as_str(),
            &TaskChanges {
                reminder: Some(Some(now() + Duration::minutes(30))),
                ..TaskChanges::default()
            },
        )
        .expect("reminder");
    add(&mut p, "No date at all");

    // 10:00 → 11:00 local: the reminder (10:30) then the lender call (11:00,
    // the end of the window counts).
    let got = p
        .reminders_between(now(), now() + Duration::hours(1))
        .expect("reminders");
    assert_eq!(
        titles(&got),
        [
            ("Sign the disclosures", ReminderKind::Reminder),
            ("Call the lender", ReminderKind::Due)
        ]
    );
    assert_eq!(got[0].at, now() + Duration::minutes(30));
    // The next window starts where this one ended: nothing fires twice.
    let next = p
        .reminders_between(now() + Duration::hours(1), now() + Duration::hours(2))
        .expect("reminders");
    assert!(next.is_empty(), "{:?}", titles(&next));
    // A task with a reminder does not also ring at its due time.
    let later = p
        .reminders_between(now() + Duration::hours(2), now() + Duration::days(2))
        .expect("reminders");
    assert_eq!(titles(&later), [("Order the appraisal", ReminderKind::Due)]);
    // A backwards window is empty, not an error.
    assert!(
        p.reminders_between(now(), now() - Duration::hours(1))
            .expect("reminders")
            .is_empty()
    );
}

#[test]
fn all_day_tasks_ring_at_nine_local_time() {
    let mut p = profile("maria");
    let t = add(&mut p, "Final walkthrough tomorrow");
    assert!(t.due.as_ref().is_some_and(|d| d.all_day));
    // 09:00 tomorrow in Denver is 16:00 UTC.
    let nine = Utc
        .with_ymd_and_hms(2026, 11, 19, 16, 0, 0)
        .single()
        .unwrap_or_default();
    let got = p
        .reminders_between(nine - Duration::minutes(1), nine)
        .expect("reminders");
    assert_eq!(titles(&got), [("Final walkthrough", ReminderKind::Due)]);
    assert_eq!(got[0].at, nine);
    assert_eq!(got[0].text().1, "Due today");
    assert!(
        p.reminders_between(nine, nine + Duration::hours(12))
            .expect("reminders")
            .is_empty()
    );
}

#[test]
fn done_archived_and_other_peoples_tasks_stay_quiet() {
    let mut p = profile("maria");
    let done = add(&mut p, "Done already today 11am");
    p.tasks_mut().complete(done.id.as_str()).expect("done");
    let archived = add(&mut p, "Archived today 11am");
    p.tasks_mut()
        .archive(archived.id.as_str(), true)
        .expect("archive");
    add(&mut p, "Joe's job today 11am @joe");
    add(&mut p, "Ours today 11am @joe @maria");
    add(&mut p, "Anyone's today 11am");
    let got = p
        .reminders_between(now(), now() + Duration::hours(1))
        .expect("reminders");
    let mut names: Vec<&str> = got.iter().map(|r| r.task.title.as_str()).collect();
    names.sort();
    assert_eq!(names, ["Anyone's", "Ours"]);
}

#[test]
fn the_notification_text_names_the_task_and_its_due_time() {
    let mut p = profile("maria");
    let t = add(&mut p, "Call the lender today 11am");
    let r = Reminder {
        at: now(),
        kind: ReminderKind::Due,
        task: t.clone(),
    };
    let (title, body) = r.text();
    assert_eq!(title, "Due now: Call the lender");
    assert_eq!(body, "Due Wed Nov 18, 11:00");
    let mut undated = t;
    undated.due = None;
    let r = Reminder {
        at: now(),
        kind: ReminderKind::Reminder,
        task: undated,
    };
    assert_eq!(
        r.text(),
        ("Reminder: Call the lender".into(), "No due date".into())
    );
}
