//! Adds to a board that is not loaded: stored at once, applied at the next
//! load, once, whoever loads it.

use super::super::tests::{now, opts};
use super::super::*;
use crate::model::NewTask;

fn quick(p: &mut Profile, text: &str) -> crate::model::Task {
    p.tasks_mut().quick_add("Escrow", text).expect("add").0
}

/// A profile directory with the board "Escrow": two tasks, joe renamed to
/// joe.b.
fn escrow() -> (tempfile::TempDir, DocumentId) {
    let dir = tempfile::tempdir().expect("dir");
    let mut p = Profile::open(dir.path(), opts("maria")).expect("open");
    p.boards_mut().create("Escrow", &[]).expect("board");
    quick(&mut p, "Order the title report @joe");
    quick(&mut p, "Book the inspector");
    p.boards_mut()
        .rename_person("joe", "joe.b")
        .expect("rename");
    let board = p.boards().resolve("Escrow").expect("board");
    (dir, board)
}

#[test]
fn an_add_to_a_board_not_loaded_is_stored_at_once_and_made_a_change_by_the_next_load() {
    let (dir, board) = escrow();
    let mut cli = Profile::open(dir.path(), opts("maria")).expect("cli");
    cli.defer_writes_above(0);
    let added = cli
        .tasks_mut()
        .add(
            "Escrow",
            NewTask {
                title: "Walk-through".into(),
                description: "Ask @joe for the keys".into(),
                assignees: vec!["joe".into()],
                labels: vec!["closing".into()],
                ..NewTask::default()
            },
        )
        .expect("add");
    assert!(!cli.is_loaded(board), "the add did not load the board");
    assert_eq!(cli.pending_writes().expect("pending"), 1);
    // The row already reads as the board will: the new name, the stamps.
    assert_eq!(added.assignees, ["joe.b"]);
    assert!(added.assigned.contains_key("joe.b"));
    assert!(added.mentioned.contains_key("joe.b"));
    drop(cli);

    // Another process sees it before anything loads the board.
    let mut app = Profile::open(dir.path(), opts("maria")).expect("app");
    assert_eq!(app.tasks().get(added.id.as_str()).expect("row"), added);
    assert_eq!(app.pending_writes().expect("pending"), 1);

    // Its first load makes the add the change it would have been.
    let history = app.tasks_mut().history(added.id.as_str()).expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(
        (
            history[0].op.as_str(),
            history[0].by.as_str(),
            history[0].at
        ),
        ("task.add", "maria", now())
    );
    assert_eq!(app.pending_writes().expect("pending"), 0);
    let doc = app.sync_copy(board).expect("copy").expect("stored");
    let in_doc = BoardDoc::from_doc(doc)
        .expect("board")
        .task(&added.id)
        .expect("read")
        .expect("in the document");
    assert_eq!(in_doc, added, "the row written at once is the applied task");
    assert_eq!(app.tasks().get(added.id.as_str()).expect("row"), added);
}

#[test]
fn pending_adds_are_applied_once_by_whichever_profile_writes_next() {
    let (dir, board) = escrow();
    let mut app = Profile::open(dir.path(), opts("maria")).expect("app");
    let first = quick(&mut app, "Loaded here");
    assert!(app.is_loaded(board));
    assert_eq!(
        app.pending_writes().expect("pending"),
        0,
        "a loaded board is written directly"
    );

    let mut cli = Profile::open(dir.path(), opts("joe.b")).expect("cli");
    cli.defer_writes_above(0);
    let a = quick(&mut cli, "From the CLI, one");
    let b = quick(&mut cli, "From the CLI, two");
    assert_eq!(cli.pending_writes().expect("pending"), 2);
    assert!(cli.tasks().get(b.id.as_str()).expect("row").position > a.position);

    // The app, with the board in memory, writes next: both adds are in.
    app.tasks_mut()
        .edit(
            first.id.as_str(),
            &TaskChanges {
                title: Some("Loaded here, edited".into()),
                ..Default::default()
            },
        )
        .expect("edit");
    assert_eq!(app.pending_writes().expect("pending"), 0);
    let tasks = app
        .read_board(board)
        .expect("board")
        .tasks()
        .expect("tasks");
    assert_eq!(tasks.len(), 5);
    assert_eq!(
        tasks
            .iter()
            .filter(|t| t.id == a.id || t.id == b.id)
            .count(),
        2
    );
    let by: Vec<String> = app
        .tasks_mut()
        .history(a.id.as_str())
        .expect("history")
        .into_iter()
        .map(|h| h.by)
        .collect();
    assert_eq!(by, ["joe.b"]);

    // The CLI's own next load (history reads the document) adds nothing
    // twice.
    let c = quick(&mut cli, "From the CLI, three");
    cli.tasks_mut().history(c.id.as_str()).expect("history");
    assert_eq!(cli.pending_writes().expect("pending"), 0);
    let tasks = cli
        .read_board(board)
        .expect("board")
        .tasks()
        .expect("tasks");
    assert_eq!(tasks.len(), 6);
}

#[test]
fn reindex_keeps_a_pending_add_and_a_small_board_takes_adds_directly() {
    let (dir, board) = escrow();
    let mut p = Profile::open(dir.path(), opts("maria")).expect("open");
    let direct = quick(&mut p, "Small board: written directly");
    assert_eq!(p.pending_writes().expect("pending"), 0);
    assert!(p.is_loaded(board));

    let mut cli = Profile::open(dir.path(), opts("maria")).expect("cli");
    cli.defer_writes_above(0);
    let pending = quick(&mut cli, "Pending");
    let report = cli.reindex().expect("reindex");
    assert_eq!(report.tasks, 4);
    assert_eq!(cli.pending_writes().expect("pending"), 0);
    for t in [&direct, &pending] {
        assert_eq!(cli.tasks().get(t.id.as_str()).expect("row").title, t.title);
    }
}

fn at(minutes: i64, user: &str) -> OpenOptions {
    OpenOptions {
        now: Some(now() + chrono::Duration::minutes(minutes)),
        ..opts(user)
    }
}

#[test]
fn edits_moves_comments_and_watching_are_kept_pending_and_applied_in_order() {
    let (dir, board) = escrow();
    let key = {
        // Half an hour later, an edit made the usual way: the task's stamps
        // stay from the add, its last update is now this one.
        let mut p = Profile::open(dir.path(), at(30, "maria")).expect("open");
        let t = p.tasks().search("title report", 1).expect("search")[0].clone();
        p.tasks_mut()
            .edit(
                t.id.as_str(),
                &TaskChanges {
                    priority: Some(crate::model::Priority::High),
                    ..Default::default()
                },
            )
            .expect("edit");
        t.id.to_string()
    };

    let mut cli = Profile::open(dir.path(), at(60, "maria")).expect("cli");
    cli.defer_writes_above(0);
    cli.tasks_mut()
        .edit(
            &key,
            &TaskChanges {
                title: Some("Order the preliminary title report".into()),
                add_assignees: vec!["maria".into()],
                add_labels: vec!["title".into()],
                ..Default::default()
            },
        )
        .expect("edit");
    cli.tasks_mut()
        .move_to(&key, Some("Doing"), Some(0))
        .expect("move");
    cli.tasks_mut()
        .comment(&key, "Asked @joe for the escrow number")
        .expect("comment");
    cli.tasks_mut()
        .add_checklist_item(&key, "Send to lender")
        .expect("item");
    cli.tasks_mut().watch(&key, false).expect("watch");
    let fresh = quick(&mut cli, "Wire instructions @joe");
    assert_eq!(fresh.assignees, ["joe.b"]);
    cli.tasks_mut()
        .edit(
            fresh.id.as_str(),
            &TaskChanges {
                remove_assignees: vec!["joe".into()],
                ..Default::default()
            },
        )
        .expect("unassign");
    cli.tasks_mut()
        .archive(fresh.id.as_str(), true)
        .expect("archive");
    assert!(!cli.is_loaded(board), "no write loaded the board");
    assert_eq!(cli.pending_writes().expect("pending"), 8);
    let all = crate::store::TaskQuery {
        include_done: true,
        include_archived: true,
        ..Default::default()
    };
    let shown = cli.tasks().list(&all).expect("list");
    let edited = cli.tasks().get(&key).expect("row");
    assert_eq!(edited.title, "Order the preliminary title report");
    assert_eq!(edited.assignees, ["joe.b", "maria"]);
    assert_eq!(edited.comments[0].mentions, ["joe.b"]);
    // Stamps: joe.b's is still the add's, maria's is the edit's.
    assert_eq!(edited.assigned["joe.b"].at, now());
    assert_eq!(
        edited.assigned["maria"].at,
        now() + chrono::Duration::minutes(60)
    );
    let unassigned = cli.tasks().get(fresh.id.as_str()).expect("row");
    assert!(
        unassigned.assignees.is_empty(),
        "joe is joe.b, and removed as either"
    );
    drop(cli);

    // The next load, in another process, makes the changes in order, and
    // the rows it writes are the rows shown before.
    let mut app = Profile::open(dir.path(), opts("maria")).expect("app");
    let ops: Vec<String> = app
        .tasks_mut()
        .history(&key)
        .expect("history")
        .into_iter()
        .map(|h| h.op)
        .collect();
    assert_eq!(
        ops,
        [
            "task.add",
            "task.edit",
            "task.edit",
            "task.move",
            "task.comment",
            "task.checklist",
            "task.unwatch",
        ]
    );
    assert_eq!(app.pending_writes().expect("pending"), 0);
    assert_eq!(app.tasks().list(&all).expect("list"), shown);
    let doc =
        BoardDoc::from_doc(app.sync_copy(board).expect("copy").expect("stored")).expect("board");
    assert_eq!(doc.task(&edited.id).expect("read"), Some(edited));
    assert!(
        doc.task(&fresh.id)
            .expect("read")
            .is_some_and(|t| t.archived && t.assignees.is_empty())
    );
}

#[test]
fn a_pending_edit_that_no_longer_applies_does_not_stop_the_board_loading() {
    let (dir, board) = escrow();
    let mut cli = Profile::open(dir.path(), opts("maria")).expect("cli");
    cli.defer_writes_above(0);
    let t = cli.tasks().search("inspector", 1).expect("search")[0].clone();
    cli.tasks_mut()
        .add_checklist_item(t.id.as_str(), "Confirm the time")
        .expect("item");
    // An edit of a task the document does not hold (the rows and the
    // document agree in practice; this is the defence if they do not).
    cli.store_mut()
        .write(|tx| {
            tx.execute(
                "INSERT INTO pending_writes (board_id, task_id, op, body, fields, author, made_at)
                 VALUES (?1, 'feedfacefeedface', 'task.edit', '[{\"Title\":\"gone\"}]', '[\"title\"]', 'maria', 0)",
                [board.to_string()],
            )?;
            Ok(())
        })
        .expect("insert");
    // And one this build cannot read (a newer build's kind of edit).
    cli.store_mut()
        .write(|tx| {
            tx.execute(
                "INSERT INTO pending_writes (board_id, task_id, op, body, fields, author, made_at)
                 VALUES (?1, ?2, 'task.edit', '[{\"Hologram\":true}]', '[]', 'maria', 0)",
                [board.to_string(), t.id.to_string()],
            )?;
            Ok(())
        })
        .expect("insert");
    drop(cli);
    let mut app = Profile::open(dir.path(), opts("maria")).expect("app");
    let doc = app.read_board(board).expect("the board loads");
    assert_eq!(
        app.pending_writes().expect("pending"),
        1,
        "the unreadable write is kept for a build that can read it"
    );
    let item = doc.task(&t.id).expect("read").expect("task");
    assert_eq!(
        item.checklist[0].text, "Confirm the time",
        "the edit before it applied"
    );
}

#[test]
fn completing_a_recurring_task_is_kept_pending_with_its_next_instance() {
    let (dir, board) = escrow();
    let mut cli = Profile::open(dir.path(), opts("maria")).expect("cli");
    cli.defer_writes_above(0);
    let t = quick(&mut cli, "Water plants every monday 9am");
    cli.tasks_mut()
        .add_checklist_item(t.id.as_str(), "Front")
        .expect("item");
    cli.tasks_mut()
        .set_checklist_done(t.id.as_str(), "1", true)
        .expect("tick");
    let done = cli.tasks_mut().complete(t.id.as_str()).expect("complete");
    let next = done.next.expect("next instance");
    assert!(done.task.is_done());
    assert_eq!(
        next.due.as_ref().map(|d| d.display()).as_deref(),
        Some("2026-11-30 09:00")
    );
    assert!(!next.checklist[0].done, "the checklist starts fresh");
    assert!(!cli.is_loaded(board));
    assert_eq!(cli.pending_writes().expect("pending"), 5);
    drop(cli);

    let mut app = Profile::open(dir.path(), opts("maria")).expect("app");
    let doc = app.read_board(board).expect("board");
    assert_eq!(app.pending_writes().expect("pending"), 0);
    assert_eq!(doc.task(&t.id).expect("read"), Some(done.task));
    assert_eq!(doc.task(&next.id).expect("read"), Some(next));
}
