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

/// The notes of the board's changes, in order, as (op, by).
fn notes(p: &mut Profile, board: DocumentId) -> Vec<(String, String)> {
    let mut doc = p.sync_copy(board).expect("copy").expect("stored");
    doc.get_changes(&[])
        .iter()
        .filter_map(|c| crate::doc::ChangeNote::decode(c.message()))
        .map(|n| (n.op, n.by))
        .collect()
}

#[test]
fn board_edits_are_kept_pending_and_made_the_changes_they_would_have_been() {
    let (dir, board) = escrow();
    let mut cli = Profile::open(dir.path(), opts("maria")).expect("cli");
    cli.defer_writes_above(0);
    cli.boards_mut()
        .rename("Escrow", "Escrow 48 Elm")
        .expect("rename");
    let added = cli
        .boards_mut()
        .add_column("Escrow 48 Elm", "Inspection")
        .expect("add column");
    // A name already taken is refused from the rows, as on a loaded board.
    assert!(matches!(
        cli.boards_mut().add_column("Escrow 48 Elm", "inspection"),
        Err(CoreError::DuplicateColumn(_))
    ));
    cli.boards_mut()
        .rename_column("Escrow 48 Elm", "Doing", "Under contract")
        .expect("rename column");
    let shown = cli
        .boards_mut()
        .move_column("Escrow 48 Elm", "Inspection", 0)
        .expect("move column");
    assert!(
        !cli.is_loaded(board),
        "no board-level edit loaded the board"
    );
    assert_eq!(cli.pending_writes().expect("pending"), 4);
    let names: Vec<&str> = shown.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Inspection", "To do", "Under contract", "Done"]);
    assert_eq!(shown.name, "Escrow 48 Elm");
    // Moved first: the added column, under a new position.
    assert_eq!(
        (&shown.columns[0].id, &shown.columns[0].name),
        (&added.id, &added.name)
    );
    assert_eq!(cli.boards().get("Escrow 48 Elm").expect("row"), shown);
    drop(cli);

    // The next load, in another process, makes the four changes.
    let mut app = Profile::open(dir.path(), opts("maria")).expect("app");
    let before = notes(&mut app, board);
    assert_eq!(app.pending_writes().expect("pending"), 0);
    let last: Vec<(&str, &str)> = before[before.len() - 4..]
        .iter()
        .map(|(op, by)| (op.as_str(), by.as_str()))
        .collect();
    assert_eq!(
        last,
        [
            ("board.rename", "maria"),
            ("column.add", "maria"),
            ("column.rename", "maria"),
            ("column.move", "maria")
        ]
    );
    let doc = app.sync_copy(board).expect("copy").expect("stored");
    let in_doc = BoardDoc::from_doc(doc)
        .expect("board")
        .board()
        .expect("read");
    assert_eq!(
        in_doc, shown,
        "the row written at once is the board as applied"
    );
    assert_eq!(app.boards().get("Escrow 48 Elm").expect("row"), shown);
}

#[test]
fn a_template_and_its_moved_anchor_are_kept_pending_and_made_one_change_each() {
    let (dir, board) = escrow();
    let template = crate::template::builtin::escrow_to_closing();
    let steps = template.steps.len();
    let anchor = chrono::NaiveDate::from_ymd_opt(2027, 1, 15).expect("date");
    let moved_to = chrono::NaiveDate::from_ymd_opt(2027, 1, 22).expect("date");

    // The same on a loaded board, for comparison.
    let loaded_dir = tempfile::tempdir().expect("dir");
    let mut loaded = Profile::open(loaded_dir.path(), opts("maria")).expect("open");
    loaded.boards_mut().create("Escrow", &[]).expect("board");
    let direct = loaded
        .tasks_mut()
        .apply_template("Escrow", &template, anchor, Some("48 Elm"), true)
        .expect("apply");

    let mut cli = Profile::open(dir.path(), opts("maria")).expect("cli");
    cli.defer_writes_above(0);
    let made = cli
        .tasks_mut()
        .apply_template("Escrow", &template, anchor, Some("48 Elm"), true)
        .expect("apply");
    assert!(
        !cli.is_loaded(board),
        "applying the template did not load the board"
    );
    assert_eq!(made.len(), steps);
    assert_eq!(cli.pending_writes().expect("pending"), steps);
    let dues = |tasks: &[crate::model::Task]| -> Vec<(String, Option<String>)> {
        tasks
            .iter()
            .map(|t| (t.title.clone(), t.due.as_ref().map(|d| d.display())))
            .collect()
    };
    assert_eq!(
        dues(&made),
        dues(&direct),
        "the rows read as on a loaded board"
    );
    let moved = cli
        .tasks_mut()
        .move_anchor(made[0].id.as_str(), moved_to)
        .expect("move");
    assert_eq!((moved.moved, moved.done), (steps, 0));
    assert!(
        !cli.is_loaded(board),
        "moving the anchor did not load the board"
    );
    assert_eq!(cli.pending_writes().expect("pending"), 2 * steps);
    let rows: Vec<crate::model::Task> = made
        .iter()
        .map(|t| cli.tasks().get(t.id.as_str()).expect("row"))
        .collect();
    drop(cli);

    let mut app = Profile::open(dir.path(), opts("maria")).expect("app");
    let all = notes(&mut app, board);
    assert_eq!(app.pending_writes().expect("pending"), 0);
    let ops: Vec<&str> = all.iter().map(|(op, _)| op.as_str()).collect();
    assert_eq!(
        ops[ops.len() - 2..],
        ["template.apply", "template.move-anchor"],
        "{steps} adds made one change, and {steps} moves another"
    );
    let doc =
        BoardDoc::from_doc(app.sync_copy(board).expect("copy").expect("stored")).expect("board");
    for row in &rows {
        let in_doc = doc.task(&row.id).expect("read").expect("in the document");
        assert_eq!(
            &in_doc, row,
            "the row written at once is the task as applied"
        );
        assert_eq!(in_doc.template.as_ref().map(|l| l.anchor), Some(moved_to));
    }
}

#[test]
fn a_column_deleted_on_a_board_not_loaded_moves_its_tasks_in_one_change() {
    let (dir, board) = escrow();
    let mut app = Profile::open(dir.path(), opts("maria")).expect("app");
    let changes_before = notes(&mut app, board).len();
    drop(app);
    let mut cli = Profile::open(dir.path(), opts("maria")).expect("cli");
    cli.defer_writes_above(0);
    let doing = cli.boards().get("Escrow").expect("board").columns[1].clone();
    cli.boards_mut()
        .delete_column("Escrow", "To do", Some("Doing"))
        .expect("delete");
    assert!(
        !cli.is_loaded(board),
        "deleting the column did not load the board"
    );
    assert_eq!(
        cli.pending_writes().expect("pending"),
        3,
        "two moves and the removal"
    );
    let shown = cli.boards().get("Escrow").expect("row");
    let names: Vec<&str> = shown.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Doing", "Done"]);
    let rows = cli
        .tasks()
        .list(&crate::store::TaskQuery::default())
        .expect("list");
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|t| t.column == doing.id), "{rows:?}");
    drop(cli);

    let mut app = Profile::open(dir.path(), opts("maria")).expect("app");
    let after = notes(&mut app, board);
    assert_eq!(app.pending_writes().expect("pending"), 0);
    assert_eq!(after.len(), changes_before + 1, "one change");
    assert_eq!(
        after.last().map(|(op, _)| op.as_str()),
        Some("column.delete")
    );
    let doc =
        BoardDoc::from_doc(app.sync_copy(board).expect("copy").expect("stored")).expect("board");
    assert_eq!(doc.board().expect("read"), shown);
    for row in &rows {
        assert_eq!(
            &doc.task(&row.id).expect("read").expect("in the document"),
            row
        );
    }
}
