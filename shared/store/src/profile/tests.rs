//! Tests of every public operation of the profile.

use chrono::{Duration, TimeZone};

use super::*;
use crate::model::{Due, Priority, Recurrence, RecurrenceMode, RecurrenceRule, Task};
use crate::store::{DueFilter, TaskQuery};
use automerge::AutoCommit;

pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 18, 17, 0, 0)
        .single()
        .unwrap_or_default()
}

pub(crate) fn opts(user: &str) -> OpenOptions {
    OpenOptions {
        user: Some(user.into()),
        tz: Some("America/Denver".into()),
        now: Some(now()),
    }
}

fn profile() -> Profile {
    let mut p = Profile::in_memory(opts("maria")).expect("profile");
    p.boards_mut().create("Listing prep", &[]).expect("board");
    p
}

fn add(p: &mut Profile, text: &str) -> Task {
    p.tasks_mut()
        .quick_add("Listing prep", text)
        .expect("quick add")
        .0
}

#[test]
fn boards_can_be_created_listed_renamed_and_deleted() {
    let mut p = profile();
    let b = p
        .boards_mut()
        .create("Escrow", &["Open".into(), "Closed".into()])
        .expect("create");
    assert_eq!(b.columns.len(), 2);
    let names: Vec<String> = p
        .boards()
        .list()
        .expect("list")
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, ["Escrow", "Listing prep"]);
    assert_eq!(p.boards().resolve("esc").ok(), Some(b.id));
    assert_eq!(p.boards().resolve(&b.id.url()).ok(), Some(b.id));
    p.boards_mut()
        .rename("Escrow", "Escrow 12 Oak")
        .expect("rename");
    assert_eq!(
        p.boards().get(&b.id.to_string()).expect("board").name,
        "Escrow 12 Oak"
    );
    p.boards_mut().delete("Escrow 12 Oak").expect("delete");
    assert!(matches!(
        p.boards().resolve("Escrow"),
        Err(CoreError::UnknownBoard(_))
    ));
    assert_eq!(p.boards().list().expect("list").len(), 1);
}

#[test]
fn bad_board_input_is_refused() {
    let mut p = profile();
    assert!(matches!(
        p.boards_mut().create("  ", &[]),
        Err(CoreError::Model(crate::ModelError::EmptyName { .. }))
    ));
    assert!(matches!(
        p.boards_mut().create("x", &["A".into(), "a".into()]),
        Err(CoreError::DuplicateColumn(_))
    ));
    p.boards_mut()
        .create("Listing pipeline", &[])
        .expect("second");
    assert!(matches!(
        p.boards().resolve("Listing"),
        Err(CoreError::AmbiguousBoard(..))
    ));
    assert!(matches!(
        p.boards().get("nope"),
        Err(CoreError::UnknownBoard(_))
    ));
}

#[test]
fn columns_can_be_added_renamed_moved_and_deleted() {
    let mut p = profile();
    p.boards_mut()
        .add_column("Listing prep", "Review")
        .expect("add");
    assert!(matches!(
        p.boards_mut().add_column("Listing prep", "review"),
        Err(CoreError::DuplicateColumn(_))
    ));
    p.boards_mut()
        .rename_column("Listing prep", "Review", "QA")
        .expect("rename");
    let b = p
        .boards_mut()
        .move_column("Listing prep", "QA", 0)
        .expect("move");
    let names: Vec<&str> = b.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["QA", "To do", "Doing", "Done"]);
    let t = add(&mut p, "Photos");
    p.tasks_mut()
        .move_to(t.id.as_str(), Some("QA"), None)
        .expect("move task");
    assert!(matches!(
        p.boards_mut().delete_column("Listing prep", "QA", None),
        Err(CoreError::ColumnNotEmpty { count: 1, .. })
    ));
    p.boards_mut()
        .delete_column("Listing prep", "QA", Some("Doing"))
        .expect("delete");
    let moved = p.tasks().get(t.id.as_str()).expect("task");
    assert_eq!(
        p.boards()
            .get("Listing prep")
            .expect("b")
            .column("Doing")
            .map(|c| c.id.clone()),
        Some(moved.column)
    );
    assert!(matches!(
        p.boards_mut().rename_column("Listing prep", "Nope", "X"),
        Err(CoreError::UnknownColumn { .. })
    ));
}

#[test]
fn quick_add_creates_the_task_it_describes() {
    let mut p = profile();
    let (t, parsed) = p
        .tasks_mut()
        .quick_add(
            "Listing prep",
            "Call John tomorrow 3pm #followup @joe !high mls:A1",
        )
        .expect("add");
    assert_eq!(t.title, "Call John");
    assert_eq!(
        t.due.as_ref().map(|d| d.display()).as_deref(),
        Some("2026-11-19 15:00")
    );
    assert_eq!(t.labels, ["followup"]);
    assert_eq!(t.assignees, ["joe"]);
    assert_eq!(t.priority, Priority::High);
    assert_eq!(t.listings, ["A1"]);
    assert_eq!(t.created_by, "maria");
    p.tasks_mut()
        .quick_add("Listing prep", "Unrelated call")
        .expect("other");
    let linked: Vec<String> = p
        .tasks()
        .for_listing("A1")
        .expect("linked")
        .into_iter()
        .map(|t| t.title)
        .collect();
    assert_eq!(linked, ["Call John"]);
    assert!(p.tasks().for_listing("A2").expect("none").is_empty());
    assert_eq!(parsed.spans.len(), 6);
    assert!(matches!(
        p.tasks_mut().quick_add("Listing prep", "#only @tags"),
        Err(CoreError::Model(crate::ModelError::EmptyTitle))
    ));
}

#[test]
fn add_task_validates_its_input() {
    let mut p = profile();
    let new = |title: &str| NewTask {
        title: title.into(),
        ..NewTask::default()
    };
    assert!(matches!(
        p.tasks_mut().add("Listing prep", new("")),
        Err(CoreError::Model(crate::ModelError::EmptyTitle))
    ));
    assert!(matches!(
        p.tasks_mut().add("Listing prep", new(&"x".repeat(501))),
        Err(CoreError::Model(crate::ModelError::TooLong { .. }))
    ));
    assert!(matches!(
        p.tasks_mut().add(
            "Listing prep",
            NewTask {
                column: Some("Nope".into()),
                ..new("a")
            }
        ),
        Err(CoreError::UnknownColumn { .. })
    ));
    assert!(matches!(
        p.tasks_mut().add("Nope", new("a")),
        Err(CoreError::UnknownBoard(_))
    ));
    assert!(matches!(
        p.tasks_mut().add(
            "Listing prep",
            NewTask {
                listings: vec!["bad key!".into()],
                ..new("a")
            }
        ),
        Err(CoreError::Model(crate::ModelError::InvalidValue { .. }))
    ));
    assert!(
        p.tasks()
            .list(&TaskQuery::default())
            .expect("list")
            .is_empty(),
        "nothing half-written"
    );
}

#[test]
fn edit_changes_fields_and_unknown_tasks_are_reported() {
    let mut p = profile();
    let t = add(&mut p, "Photos #media");
    let changes = TaskChanges {
        title: Some("Photos and video".into()),
        description: Some("Drone too".into()),
        priority: Some(Priority::Urgent),
        add_labels: vec!["drone".into()],
        remove_labels: vec!["media".into()],
        add_assignees: vec!["@joe".into()],
        due: Some(Some(Due::at_time(
            now() + Duration::days(2),
            "America/Denver",
        ))),
        reminder: Some(Some(now() + Duration::days(1))),
        recurrence: Some(Some(Recurrence {
            mode: RecurrenceMode::Schedule,
            rule: RecurrenceRule::Weeks { every: 1 },
        })),
        ..TaskChanges::default()
    };
    let e = p
        .tasks_mut()
        .edit(&t.id.as_str()[..6], &changes)
        .expect("edit");
    assert_eq!(e.title, "Photos and video");
    assert_eq!(e.description, "Drone too");
    assert_eq!(e.labels, ["drone"]);
    assert_eq!(e.assignees, ["joe"]);
    assert_eq!(e.priority, Priority::Urgent);
    assert!(e.reminder.is_some() && e.recurrence.is_some());
    assert!(matches!(
        p.tasks_mut().edit("ffffffffff", &changes),
        Err(CoreError::UnknownTask(_))
    ));
    assert!(matches!(
        p.tasks().get("not-hex"),
        Err(CoreError::UnknownTask(_))
    ));
    // By whole id: the same task, and a clear error for one not there.
    assert_eq!(p.tasks().by_id(&t.id).expect("by id"), e);
    assert!(matches!(
        p.tasks().by_id(&TaskId::random()),
        Err(CoreError::UnknownTask(_))
    ));
    let blank = TaskChanges {
        title: Some(" ".into()),
        ..TaskChanges::default()
    };
    assert!(matches!(
        p.tasks_mut().edit(t.id.as_str(), &blank),
        Err(CoreError::Model(crate::ModelError::EmptyTitle))
    ));
}

#[test]
fn tasks_move_and_reorder_within_and_between_columns() {
    let mut p = profile();
    let a = add(&mut p, "A");
    let b = add(&mut p, "B");
    let c = add(&mut p, "C");
    p.tasks_mut()
        .move_to(c.id.as_str(), None, Some(0))
        .expect("to top");
    let order = |p: &Profile, col: &str| -> Vec<String> {
        let board = p.boards().get("Listing prep").expect("board");
        let column = board.column(col).map(|c| c.id.clone());
        p.tasks()
            .list(&TaskQuery {
                column,
                ..TaskQuery::default()
            })
            .expect("list")
            .into_iter()
            .map(|t| t.title)
            .collect()
    };
    assert_eq!(order(&p, "To do"), ["C", "A", "B"]);
    p.tasks_mut()
        .move_to(a.id.as_str(), Some("Doing"), None)
        .expect("across");
    p.tasks_mut()
        .move_to(b.id.as_str(), Some("doing"), Some(0))
        .expect("across to top");
    assert_eq!(order(&p, "To do"), ["C"]);
    assert_eq!(order(&p, "Doing"), ["B", "A"]);
}

#[test]
fn complete_reopen_archive_and_delete() {
    let mut p = profile();
    let t = add(&mut p, "Sign");
    let done = p.tasks_mut().complete(t.id.as_str()).expect("done");
    assert!(done.task.is_done() && done.next.is_none());
    assert!(
        p.tasks()
            .list(&TaskQuery::default())
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        p.tasks()
            .list(&TaskQuery {
                include_done: true,
                ..TaskQuery::default()
            })
            .expect("l")
            .len(),
        1
    );
    assert!(
        !p.tasks_mut()
            .reopen(t.id.as_str())
            .expect("reopen")
            .is_done()
    );
    assert!(
        p.tasks_mut()
            .archive(t.id.as_str(), true)
            .expect("archive")
            .archived
    );
    assert!(
        p.tasks()
            .list(&TaskQuery::default())
            .expect("list")
            .is_empty()
    );
    assert!(
        !p.tasks_mut()
            .archive(t.id.as_str(), false)
            .expect("unarchive")
            .archived
    );
    p.tasks_mut().delete(t.id.as_str()).expect("delete");
    assert!(matches!(
        p.tasks().get(t.id.as_str()),
        Err(CoreError::UnknownTask(_))
    ));
}

#[test]
fn completing_a_recurring_task_schedules_the_next_and_keeps_the_done_one() {
    let mut p = profile();
    let t = add(&mut p, "Water plants every monday 9am");
    p.tasks_mut()
        .add_checklist_item(t.id.as_str(), "Front")
        .expect("item");
    p.tasks_mut()
        .set_checklist_done(t.id.as_str(), "1", true)
        .expect("tick");
    let c = p.tasks_mut().complete(t.id.as_str()).expect("complete");
    let next = c.next.expect("next instance");
    assert!(c.task.is_done());
    assert_eq!(
        next.due.as_ref().map(|d| d.display()).as_deref(),
        Some("2026-11-30 09:00")
    );
    assert!(!next.is_done());
    assert_eq!(next.checklist.len(), 1);
    assert!(!next.checklist[0].done, "checklist starts fresh");
    let after = add(&mut p, "Filter every! 3 days");
    let c = p.tasks_mut().complete(after.id.as_str()).expect("complete");
    assert_eq!(
        c.next.and_then(|n| n.due).map(|d| d.display()).as_deref(),
        Some("2026-11-21")
    );
}

#[test]
fn checklist_items_and_comments() {
    let mut p = profile();
    let t = add(&mut p, "Inspection");
    p.tasks_mut()
        .add_checklist_item(t.id.as_str(), "Roof")
        .expect("a");
    let t2 = p
        .tasks_mut()
        .add_checklist_item(t.id.as_str(), "Furnace")
        .expect("b");
    let furnace = t2.checklist[1].id.clone();
    let t3 = p
        .tasks_mut()
        .set_checklist_done(t.id.as_str(), furnace.as_str(), true)
        .expect("tick");
    assert!(t3.checklist[1].done && !t3.checklist[0].done);
    let t4 = p
        .tasks_mut()
        .remove_checklist_item(t.id.as_str(), "1")
        .expect("remove");
    assert_eq!(
        t4.checklist
            .iter()
            .map(|i| i.text.as_str())
            .collect::<Vec<_>>(),
        ["Furnace"]
    );
    assert!(matches!(
        p.tasks_mut().set_checklist_done(t.id.as_str(), "9", true),
        Err(CoreError::UnknownChecklistItem { count: 1, .. })
    ));
    // A short number out of range is a bad position, even when the one
    // item's random id starts with that digit: trying every digit makes
    // this certain (it failed one run in sixteen before).
    let id = t4.checklist[0].id.as_str();
    for n in [0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99] {
        let err = p
            .tasks_mut()
            .set_checklist_done(t.id.as_str(), &n.to_string(), true)
            .expect_err("no such position");
        assert!(err.to_string().contains("1 to 1"), "{err}");
    }
    let by_id = p
        .tasks_mut()
        .set_checklist_done(t.id.as_str(), &id[..4], true)
        .expect("an id prefix of four characters still works");
    assert!(by_id.checklist[0].done);
    assert!(matches!(
        p.tasks_mut().add_checklist_item(t.id.as_str(), " "),
        Err(CoreError::Model(crate::ModelError::EmptyName { .. }))
    ));
    let t5 = p
        .tasks_mut()
        .comment(t.id.as_str(), "Inspector booked for 9am")
        .expect("comment");
    assert_eq!(t5.comments[0].author, "maria");
    assert!(matches!(
        p.tasks_mut().comment(t.id.as_str(), &"c".repeat(10_001)),
        Err(CoreError::Model(crate::ModelError::TooLong { .. }))
    ));
}

#[test]
fn splice_description_edits_in_place() {
    let mut p = profile();
    let t = add(&mut p, "Flyer");
    p.tasks_mut()
        .edit(
            t.id.as_str(),
            &TaskChanges {
                description: Some("Print 50".into()),
                ..Default::default()
            },
        )
        .expect("desc");
    let t = p
        .tasks_mut()
        .splice_description(t.id.as_str(), 6, 2, "100 glossy")
        .expect("splice");
    assert_eq!(t.description, "Print 100 glossy");
    let t = p
        .tasks_mut()
        .splice_description(t.id.as_str(), 999, 5, "!")
        .expect("clamped");
    assert_eq!(t.description, "Print 100 glossy!");
}

#[test]
fn due_queries_use_the_users_days() {
    let mut p = profile();
    add(&mut p, "Alpha today 11pm");
    add(&mut p, "Bravo tomorrow");
    add(&mut p, "Charlie in 5 days");
    add(&mut p, "Delta in 3 weeks");
    add(&mut p, "late task");
    let late = p
        .tasks()
        .list(&TaskQuery::default())
        .expect("l")
        .into_iter()
        .find(|t| t.title == "late task");
    let late = late.expect("late");
    p.tasks_mut()
        .edit(
            late.id.as_str(),
            &TaskChanges {
                due: Some(Some(Due::at_time(
                    now() - Duration::hours(3),
                    "America/Denver",
                ))),
                ..Default::default()
            },
        )
        .expect("late");
    let titles = |f: DueFilter| -> Vec<String> {
        p.tasks()
            .list(&TaskQuery {
                due: Some(f),
                ..TaskQuery::default()
            })
            .expect("q")
            .into_iter()
            .map(|t| t.title)
            .collect()
    };
    // 23:00 Denver is 06:00 UTC the next day: still "today" for the user.
    assert_eq!(titles(DueFilter::Today), ["late task", "Alpha"]);
    assert_eq!(titles(DueFilter::Tomorrow), ["Bravo"]);
    assert_eq!(titles(DueFilter::Overdue), ["late task"]);
    assert_eq!(
        titles(DueFilter::Week),
        ["late task", "Alpha", "Bravo", "Charlie"]
    );
    assert!(titles(DueFilter::None).is_empty());
}

#[test]
fn assignee_label_and_search_queries() {
    let mut p = profile();
    let a = add(&mut p, "Call the appraiser #valuation @joe");
    add(&mut p, "Order yard sign @maria");
    p.tasks_mut()
        .edit(
            a.id.as_str(),
            &TaskChanges {
                description: Some("Ask about the comparable on Elm".into()),
                ..Default::default()
            },
        )
        .expect("d");
    let q = |q: TaskQuery| -> Vec<String> {
        p.tasks()
            .list(&q)
            .expect("q")
            .into_iter()
            .map(|t| t.title)
            .collect()
    };
    assert_eq!(
        q(TaskQuery {
            assignee: Some("@joe".into()),
            ..Default::default()
        }),
        ["Call the appraiser"]
    );
    assert_eq!(
        q(TaskQuery {
            label: Some("#Valuation".into()),
            ..Default::default()
        }),
        ["Call the appraiser"]
    );
    let found: Vec<String> = p
        .tasks()
        .search("elm", 10)
        .expect("s")
        .into_iter()
        .map(|t| t.title)
        .collect();
    assert_eq!(found, ["Call the appraiser"]);
    let found: Vec<String> = p
        .tasks()
        .search("sign", 10)
        .expect("s")
        .into_iter()
        .map(|t| t.title)
        .collect();
    assert_eq!(found, ["Order yard sign"]);
    assert!(
        p.tasks()
            .search("\"(*", 10)
            .expect("odd input is safe")
            .is_empty()
    );
}

#[test]
fn labels_enter_the_workspace_catalogue_and_stay() {
    let mut p = profile();
    let t = add(&mut p, "Stage #staging #photos");
    p.tasks_mut()
        .edit(
            t.id.as_str(),
            &TaskChanges {
                add_labels: vec!["Drone".into()],
                ..Default::default()
            },
        )
        .expect("edit");
    p.tasks_mut().delete(t.id.as_str()).expect("delete");
    // The catalogue remembers labels even when no task uses them any more.
    assert_eq!(p.labels().expect("labels"), ["drone", "photos", "staging"]);
}

#[test]
fn search_ranks_title_matches_above_description_matches() {
    let mut p = profile();
    let d = add(&mut p, "Call the lender");
    p.tasks_mut()
        .edit(
            d.id.as_str(),
            &TaskChanges {
                description: Some("about the roof".into()),
                ..Default::default()
            },
        )
        .expect("d");
    add(&mut p, "Roof inspection");
    let found: Vec<String> = p
        .tasks()
        .search("roof", 10)
        .expect("s")
        .into_iter()
        .map(|t| t.title)
        .collect();
    assert_eq!(found, ["Roof inspection", "Call the lender"]);
}

#[test]
fn focus_puts_overdue_first() {
    let mut p = profile();
    add(&mut p, "Someday");
    add(&mut p, "Urgent tomorrow tomorrow !urgent");
    let late = add(&mut p, "Late");
    p.tasks_mut()
        .edit(
            late.id.as_str(),
            &TaskChanges {
                due: Some(Some(Due::at_time(now() - Duration::days(1), "UTC"))),
                ..Default::default()
            },
        )
        .expect("late");
    let order: Vec<String> = p
        .tasks()
        .focus(10)
        .expect("focus")
        .into_iter()
        .map(|t| t.title)
        .collect();
    assert_eq!(order, ["Late", "Urgent tomorrow", "Someday"]);
}

#[test]
fn history_lists_who_changed_what_and_restore_brings_a_version_back() {
    let mut p = profile();
    let t = add(&mut p, "Stage #staging");
    p.tasks_mut()
        .edit(
            t.id.as_str(),
            &TaskChanges {
                title: Some("Stage the kitchen".into()),
                remove_labels: vec!["staging".into()],
                ..Default::default()
            },
        )
        .expect("edit");
    p.tasks_mut()
        .add_checklist_item(t.id.as_str(), "Flowers")
        .expect("item");
    let h = p.tasks_mut().history(t.id.as_str()).expect("history");
    let ops: Vec<&str> = h.iter().map(|e| e.op.as_str()).collect();
    assert_eq!(ops, ["task.add", "task.edit", "task.checklist"]);
    assert_eq!(h[1].fields, ["title", "labels"]);
    assert!(h.iter().all(|e| e.by == "maria"));
    let restored = p
        .tasks_mut()
        .restore(t.id.as_str(), &h[0].version[..10])
        .expect("restore");
    assert_eq!(restored.title, "Stage");
    assert_eq!(restored.labels, ["staging"]);
    assert!(restored.checklist.is_empty());
    let h2 = p.tasks_mut().history(t.id.as_str()).expect("history");
    assert_eq!(h2.len(), 4, "restore is a new change; nothing rewritten");
    assert!(h2[3].op.starts_with("task.restore"));
    assert!(matches!(
        p.tasks_mut().restore(t.id.as_str(), "zzzz"),
        Err(CoreError::UnknownVersion { .. })
    ));
}

#[test]
fn reindex_rebuilds_the_same_tables() {
    let mut p = profile();
    for i in 0..20 {
        add(&mut p, &format!("Task {i} #l{} tomorrow", i % 3));
    }
    let before = p
        .tasks()
        .list(&TaskQuery {
            include_done: true,
            include_archived: true,
            ..Default::default()
        })
        .expect("b");
    let report = p.reindex().expect("reindex");
    assert_eq!(
        report,
        ReindexReport {
            documents: 2,
            boards: 1,
            tasks: 20,
            listings: 0
        }
    );
    let after = p
        .tasks()
        .list(&TaskQuery {
            include_done: true,
            include_archived: true,
            ..Default::default()
        })
        .expect("a");
    assert_eq!(before, after);
}

#[test]
fn board_files_round_trip_and_merge() {
    let mut a = profile();
    let t = add(&mut a, "Shared task");
    let file = a.boards_mut().export("Listing prep").expect("export");
    let mut b = Profile::in_memory(opts("joe")).expect("b");
    let report = b
        .boards_mut()
        .import(&file, "board.automerge")
        .expect("import");
    assert!(report.added);
    b.tasks_mut()
        .edit(
            t.id.as_str(),
            &TaskChanges {
                title: Some("Shared task (joe)".into()),
                ..Default::default()
            },
        )
        .expect("e");
    a.tasks_mut()
        .comment(t.id.as_str(), "from maria")
        .expect("c");
    let back = b.boards_mut().export("Listing prep").expect("export b");
    let r = a
        .boards_mut()
        .import(&back, "back.automerge")
        .expect("import back");
    assert!(!r.added && r.new_changes > 0);
    let there = a.boards_mut().export("Listing prep").expect("export a");
    b.boards_mut()
        .import(&there, "there.automerge")
        .expect("import there");
    assert_eq!(
        a.tasks().get(t.id.as_str()).expect("a"),
        b.tasks().get(t.id.as_str()).expect("b")
    );
    assert_eq!(
        a.tasks().get(t.id.as_str()).expect("a").title,
        "Shared task (joe)"
    );
    assert!(matches!(
        b.boards_mut().import(b"garbage", "x.bin"),
        Err(CoreError::NotABoardFile { .. })
    ));
    assert!(matches!(
        b.boards_mut().import(b"", "empty.bin"),
        Err(CoreError::NotABoardFile { .. })
    ));
}

#[test]
fn settings_persist_and_profiles_reopen() {
    let dir = tempfile::tempdir().expect("dir");
    let mut p = Profile::open(dir.path(), opts("maria")).expect("open");
    p.save_settings().expect("save");
    p.boards_mut().create("Home", &[]).expect("board");
    p.tasks_mut()
        .quick_add("Home", "Fix the gate")
        .expect("add");
    let ws = p.workspace_id();
    drop(p);
    let p = Profile::open(dir.path(), OpenOptions::default()).expect("reopen");
    assert_eq!(p.user(), "maria");
    assert_eq!(p.tz_name(), "America/Denver");
    assert_eq!(p.workspace_id(), ws);
    assert_eq!(p.tasks().list(&TaskQuery::default()).expect("l").len(), 1);
    assert!(p.db_path().ends_with(DB_FILE));
    assert!(matches!(
        Profile::open(
            dir.path(),
            OpenOptions {
                tz: Some("Mars/Base".into()),
                ..Default::default()
            }
        ),
        Err(CoreError::Model(crate::ModelError::InvalidTimeZone(_)))
    ));
}

#[test]
fn two_processes_sharing_a_profile_do_not_lose_each_others_writes() {
    let dir = tempfile::tempdir().expect("dir");
    let mut a = Profile::open(dir.path(), opts("maria")).expect("a");
    a.boards_mut().create("Home", &[]).expect("board");
    let mut b = Profile::open(dir.path(), opts("maria")).expect("b");
    // Enough writes from both sides to cross the compaction threshold.
    for i in 0..(crate::store::chunks::COMPACT_AFTER + 10) {
        let p = if i % 2 == 0 { &mut a } else { &mut b };
        p.tasks_mut()
            .quick_add("Home", &format!("task {i}"))
            .expect("add");
    }
    let mut c = Profile::open(dir.path(), opts("maria")).expect("c");
    let n = c.reindex().expect("reindex").tasks as i64;
    assert_eq!(n, crate::store::chunks::COMPACT_AFTER + 10);
}

#[test]
fn task_lists_as_json_are_the_tasks_own_serialization() {
    let mut p = profile();
    add(&mut p, "Call the seller tomorrow 3pm #followup");
    add(&mut p, "Order the sign \"quoted\" ünïcode 🏠");
    let query = TaskQuery::default();
    let raw: serde_json::Value =
        serde_json::from_str(&p.tasks().list_json(&query).expect("json")).expect("valid json");
    let typed = serde_json::to_value(p.tasks().list(&query).expect("tasks")).expect("value");
    assert_eq!(raw, typed);
    let none = TaskQuery {
        search: Some("nothing matches this".into()),
        ..TaskQuery::default()
    };
    assert_eq!(p.tasks().list_json(&none).expect("json"), "[]");
    // A list long enough to be decoded on several threads keeps its order.
    for i in 0..300 {
        add(&mut p, &format!("Task {i} in {} days", i % 9));
    }
    let raw: serde_json::Value =
        serde_json::from_str(&p.tasks().list_json(&query).expect("json")).expect("valid json");
    let typed = serde_json::to_value(p.tasks().list(&query).expect("tasks")).expect("value");
    assert_eq!(raw.as_array().map(Vec::len), Some(302));
    assert_eq!(raw, typed);
}

#[test]
fn a_window_learns_that_another_process_changed_the_profile() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = Profile::open(dir.path(), opts("maria")).expect("app");
    app.boards_mut().create("Home", &[]).expect("board");
    assert!(!app.changed_elsewhere().expect("first look"));
    // Its own writes are not news.
    app.tasks_mut()
        .quick_add("Home", "Fix the gate")
        .expect("add");
    assert!(!app.changed_elsewhere().expect("look"));
    // The CLI's are, once.
    let mut cli = Profile::open(dir.path(), opts("maria")).expect("cli");
    cli.tasks_mut()
        .quick_add("Home", "Oil the hinges")
        .expect("add");
    assert!(app.changed_elsewhere().expect("look"));
    assert!(!app.changed_elsewhere().expect("look again"));
    assert_eq!(
        app.tasks().list(&TaskQuery::default()).expect("list").len(),
        2
    );
}

#[test]
fn sync_copies_are_absorbed_by_another_profile() {
    let mut a = profile();
    let t = add(&mut a, "Shared through the relay");
    let id = a.boards().resolve("Listing prep").expect("board");
    assert_eq!(a.boards_mut().share("Listing prep", 7).expect("share"), id);
    assert_eq!(a.boards().shared().expect("shared"), [(id, 7)]);
    let mut copy = a.sync_copy(id).expect("copy").expect("known");
    let mut b = Profile::in_memory(opts("joe")).expect("b");
    assert!(b.sync_copy(id).expect("copy").is_none());
    assert_eq!(b.absorb(id, &mut copy).expect("absorb"), Absorbed::Added);
    assert_eq!(
        b.tasks().get(t.id.as_str()).expect("task").title,
        "Shared through the relay"
    );
    assert_eq!(b.absorb(id, &mut copy).expect("again"), Absorbed::Unchanged);
    b.tasks_mut()
        .edit(
            t.id.as_str(),
            &TaskChanges {
                title: Some("Edited by joe".into()),
                ..Default::default()
            },
        )
        .expect("edit");
    let mut back = b.sync_copy(id).expect("copy").expect("known");
    assert_eq!(a.absorb(id, &mut back).expect("absorb"), Absorbed::Updated);
    assert_eq!(
        a.tasks().get(t.id.as_str()).expect("task").title,
        "Edited by joe"
    );
    assert_eq!(
        a.absorb(id, &mut AutoCommit::new()).expect("empty"),
        Absorbed::Skipped
    );
    let other = DocumentId::random();
    assert!(matches!(
        a.absorb(other, &mut back),
        Err(CoreError::CorruptDocument { .. })
    ));
}

/// A write to "Listing prep" fails and the error names the chunk `hash`.
fn the_next_write_names_the_damaged_chunk(p: &mut Profile, hash: &str) {
    let err = p
        .tasks_mut()
        .quick_add("Listing prep", "One more")
        .expect_err("damaged");
    assert!(
        err.to_string()
            .contains(&format!("chunk {hash} does not load")),
        "{err}"
    );
}

#[test]
fn a_reopened_board_loads_its_chunks_in_one_pass_and_a_damaged_one_is_named() {
    let dir = tempfile::tempdir().expect("dir");
    {
        let mut p = Profile::open(dir.path(), opts("maria")).expect("open");
        p.boards_mut().create("Listing prep", &[]).expect("board");
        for i in 0..5 {
            add(&mut p, &format!("Task {i}"));
        }
    }
    // Reopened: the snapshot and its incremental chunks load together and
    // the next write sees every task.
    let board = {
        let mut p = Profile::open(dir.path(), opts("maria")).expect("reopen");
        add(&mut p, "Task 5");
        let board = p.boards().resolve("Listing prep").expect("board");
        let doc = p.read_board(board).expect("doc");
        assert_eq!(doc.tasks().expect("tasks").len(), 6);
        board
    };
    // A damaged chunk: the error names it instead of loading half a board.
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).expect("db");
    let hash: String = conn
        .query_row(
            "SELECT hash FROM chunks WHERE doc_id = ?1 AND kind = 'incremental'
             ORDER BY seq DESC LIMIT 1",
            [board.to_string()],
            |r| r.get(0),
        )
        .expect("a chunk");
    conn.execute(
        "UPDATE chunks SET data = x'00112233' WHERE hash = ?1",
        [&hash],
    )
    .expect("damage");
    drop(conn);
    let mut p = Profile::open(dir.path(), opts("maria")).expect("reopen");
    the_next_write_names_the_damaged_chunk(&mut p, &hash);
}

#[test]
fn a_damaged_chunk_written_by_another_process_is_named_not_skipped() {
    let dir = tempfile::tempdir().expect("dir");
    let mut p = Profile::open(dir.path(), opts("maria")).expect("open");
    p.boards_mut().create("Listing prep", &[]).expect("board");
    add(&mut p, "Task 0");
    let board = p.boards().resolve("Listing prep").expect("board");

    // Another process (the app, a sync) adds a good chunk and then one that
    // is cut short; this profile holds the board in memory meanwhile.
    let mut other = Profile::open(dir.path(), opts("maria")).expect("other");
    add(&mut other, "Task 1");
    drop(other);
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).expect("db");
    let good: Vec<u8> = conn
        .query_row(
            "SELECT data FROM chunks WHERE doc_id = ?1 AND kind = 'incremental'
             ORDER BY seq DESC LIMIT 1",
            [board.to_string()],
            |r| r.get(0),
        )
        .expect("a chunk");
    let mut cut = good.clone();
    // A second change chunk after the good one, cut in its middle: the
    // lenient load would keep the first and drop the second.
    cut.extend_from_slice(&good[..good.len() / 2]);
    let hash = porchlight_model::ids::sha256_hex(&cut);
    conn.execute(
        "INSERT INTO chunks (doc_id, kind, hash, data, seq)
         VALUES (?1, 'incremental', ?2, ?3, (SELECT MAX(seq) + 1 FROM chunks WHERE doc_id = ?1))",
        rusqlite::params![board.to_string(), hash, cut],
    )
    .expect("damaged chunk");
    conn.execute(
        "UPDATE documents SET version = version + 1 WHERE doc_id = ?1",
        [board.to_string()],
    )
    .expect("version");
    drop(conn);

    the_next_write_names_the_damaged_chunk(&mut p, &hash);
}

#[test]
fn a_board_warmed_up_on_another_thread_takes_the_writes_made_meanwhile() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = Profile::open(dir.path(), opts("maria")).expect("open");
    app.boards_mut().create("Listing prep", &[]).expect("board");
    for i in 0..3 {
        add(&mut app, &format!("Task {i}"));
    }
    let board = app.boards().resolve("Listing prep").expect("board");
    drop(app);
    let mut app = Profile::open(dir.path(), opts("maria")).expect("reopen");
    assert!(!app.is_loaded(board));
    assert!(
        Profile::warm_up(&app.db_path(), DocumentId::random())
            .expect("unknown id")
            .is_none()
    );

    // The app loads the board on a thread of its own; meanwhile the CLI
    // adds a task, and the profile itself another.
    let path = app.db_path();
    let warm = std::thread::spawn(move || Profile::warm_up(&path, board))
        .join()
        .expect("thread")
        .expect("warm up")
        .expect("stored");
    let mut cli = Profile::open(dir.path(), opts("joe")).expect("cli");
    add(&mut cli, "From the CLI");
    assert!(app.adopt(warm));
    assert!(app.is_loaded(board));
    add(&mut app, "From the app");
    let again = Profile::warm_up(&app.db_path(), board)
        .expect("warm up")
        .expect("stored");
    assert!(!app.adopt(again), "a board already loaded is kept");

    // Only the last few boards loaded this way stay in memory.
    let mut others = Vec::new();
    for i in 0..super::WARMED {
        let name = format!("Board {i}");
        let made = app.boards_mut().create(&name, &[]).expect("board");
        others.push(made.id);
    }
    app.docs.clear();
    for id in std::iter::once(board).chain(others.iter().copied()) {
        let warm = Profile::warm_up(&app.db_path(), id)
            .expect("warm up")
            .expect("stored");
        assert!(app.adopt(warm));
    }
    assert!(!app.is_loaded(board), "the oldest one left memory");
    assert!(others.iter().all(|id| app.is_loaded(*id)));

    let titles = |p: &Profile| {
        let mut t: Vec<String> = p
            .tasks()
            .list(&crate::TaskQuery::default())
            .expect("list")
            .into_iter()
            .map(|t| t.title)
            .collect();
        t.sort();
        t
    };
    let want = ["From the CLI", "From the app", "Task 0", "Task 1", "Task 2"];
    assert_eq!(titles(&app), want);
    // The document itself holds all five (not only the tables).
    let report = app.reindex().expect("reindex");
    assert_eq!(report.tasks, 5);
    assert_eq!(titles(&app), want);
}

#[test]
fn a_rename_that_stopped_half_way_goes_on_when_asked_again() {
    let mut p = profile();
    p.boards_mut().create("Escrow", &[]).expect("board");
    add(&mut p, "Lockbox @joe");
    p.tasks_mut()
        .quick_add("Escrow", "Appraisal @joe")
        .expect("add");
    // One board took the rename, then the process stopped.
    let first = p.boards().resolve("Listing prep").expect("board");
    p.write_board(first, |b, _, user| {
        b.rename_person("joe", "joe.b")?;
        Ok((
            (),
            ChangeNote::new("person.rename", user),
            Touched::Everything,
        ))
    })
    .expect("half");
    let people = p.tasks().people().expect("people");
    assert!(people.contains(&"joe".to_string()) && people.contains(&"joe.b".to_string()));

    let done = p.boards_mut().rename_person("joe", "joe.b").expect("again");
    assert_eq!(done.boards, 2);
    assert!(
        !p.tasks()
            .people()
            .expect("people")
            .contains(&"joe".to_string())
    );
    let same = p.boards_mut().rename_person("joe.b", "@Joe.B");
    assert!(
        same.err()
            .is_some_and(|e| e.to_string().contains("the name they have now")),
        "renaming to the same name says so"
    );
}

#[test]
fn adds_reuse_their_compiled_statements_and_due_queries_keep_their_indexes() {
    let mut p = profile();
    for i in 0..5 {
        add(&mut p, &format!("Task {i} #inspection tomorrow"));
    }
    // The position lookup of every add: compiled once, not at each binding
    // (SQLite recompiles statements on a table with partial indexes when a
    // bound value changes, unless plans are kept stable).
    let position = p
        .store()
        .conn()
        .prepare_cached("SELECT MAX(position) FROM tasks WHERE board_id = ?1 AND column_id = ?2")
        .expect("cached");
    assert_eq!(position.get_status(rusqlite::StatementStatus::Run), 5);
    assert_eq!(position.get_status(rusqlite::StatementStatus::RePrepare), 0);
    drop(position);
    // Stable plans still use the partial indexes of the due queries.
    for (sql, index) in [
        (
            "SELECT id FROM tasks t WHERE t.due_deadline <= ?1 AND completed_at IS NULL",
            "tasks_by_deadline",
        ),
        (
            "SELECT id FROM tasks t WHERE t.due_at >= ?1 AND t.due_at < ?2",
            "tasks_by_due_at",
        ),
    ] {
        let plan: String = p
            .store()
            .conn()
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("plan")
            .query_map(
                rusqlite::params_from_iter((1_i64..=2).take(sql.matches('?').count())),
                |r| r.get::<_, String>(3),
            )
            .expect("query")
            .collect::<rusqlite::Result<Vec<_>>>()
            .expect("rows")
            .join("; ");
        assert!(plan.contains(index), "{sql}: {plan}");
    }
}
