//! Adds to a board that is not loaded: stored at once, applied at the next
//! load, once, whoever loads it.

use chrono::TimeZone;

use super::super::*;
use crate::model::NewTask;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 18, 17, 0, 0)
        .single()
        .unwrap_or_default()
}

fn opts(user: &str) -> OpenOptions {
    OpenOptions {
        user: Some(user.into()),
        tz: Some("America/Denver".into()),
        now: Some(now()),
    }
}

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
    cli.defer_adds_above(0);
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
    assert_eq!(cli.pending_adds().expect("pending"), 1);
    // The row already reads as the board will: the new name, the stamps.
    assert_eq!(added.assignees, ["joe.b"]);
    assert!(added.assigned.contains_key("joe.b"));
    assert!(added.mentioned.contains_key("joe.b"));
    drop(cli);

    // Another process sees it before anything loads the board.
    let mut app = Profile::open(dir.path(), opts("maria")).expect("app");
    assert_eq!(app.tasks().get(added.id.as_str()).expect("row"), added);
    assert_eq!(app.pending_adds().expect("pending"), 1);

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
    assert_eq!(app.pending_adds().expect("pending"), 0);
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
        app.pending_adds().expect("pending"),
        0,
        "a loaded board is written directly"
    );

    let mut cli = Profile::open(dir.path(), opts("joe.b")).expect("cli");
    cli.defer_adds_above(0);
    let a = quick(&mut cli, "From the CLI, one");
    let b = quick(&mut cli, "From the CLI, two");
    assert_eq!(cli.pending_adds().expect("pending"), 2);
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
    assert_eq!(app.pending_adds().expect("pending"), 0);
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

    // The CLI's own next write loads the board and adds nothing twice.
    let c = quick(&mut cli, "From the CLI, three");
    cli.tasks_mut().complete(c.id.as_str()).expect("complete");
    assert_eq!(cli.pending_adds().expect("pending"), 0);
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
    assert_eq!(p.pending_adds().expect("pending"), 0);
    assert!(p.is_loaded(board));

    let mut cli = Profile::open(dir.path(), opts("maria")).expect("cli");
    cli.defer_adds_above(0);
    let pending = quick(&mut cli, "Pending");
    let report = cli.reindex().expect("reindex");
    assert_eq!(report.tasks, 4);
    assert_eq!(cli.pending_adds().expect("pending"), 0);
    for t in [&direct, &pending] {
        assert_eq!(cli.tasks().get(t.id.as_str()).expect("row").title, t.title);
    }
}
