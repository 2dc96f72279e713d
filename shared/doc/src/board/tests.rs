use automerge::AutoCommit;
use chrono::{TimeZone, Utc};

use super::*;
use porchlight_model::board::{ChecklistItem, Comment};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 15, 0, 0)
        .single()
        .unwrap_or_default()
}

fn board() -> (BoardDoc, Vec<ColumnId>) {
    let cols: Vec<(ColumnId, String)> = ["To do", "Doing", "Done"]
        .iter()
        .map(|n| (ColumnId::random(), n.to_string()))
        .collect();
    let ids = cols.iter().map(|(id, _)| id.clone()).collect();
    let b = BoardDoc::create(
        AutoCommit::new(),
        DocumentId::random(),
        "Listing prep",
        &cols,
        None,
        now(),
    );
    (b.expect("board"), ids)
}

fn task(board: &BoardDoc, column: &ColumnId) -> Task {
    Task {
        id: TaskId::random(),
        board: board.id(),
        title: "Stage the living room".into(),
        description: "Bring the rug".into(),
        column: column.clone(),
        position: "i".into(),
        due: Some(Due::at_time(now(), "America/Denver")),
        reminder: None,
        priority: Priority::High,
        labels: vec!["staging".into()],
        assignees: vec!["maria".into()],
        checklist: vec![ChecklistItem {
            id: ItemId::random(),
            text: "Rug".into(),
            done: true,
            position: "i".into(),
        }],
        comments: vec![Comment {
            id: porchlight_model::ids::CommentId::random(),
            author: "maria".into(),
            at: now(),
            text: "Seller agreed".into(),
            mentions: vec![],
        }],
        listings: vec!["A12345".into()],
        recurrence: None,
        created_by: "maria".into(),
        created_at: now(),
        updated_by: "maria".into(),
        updated_at: now(),
        completed_at: None,
        archived: false,
        deleted: false,
        template: None,
        assigned: [(
            "maria".to_string(),
            porchlight_model::board::Stamp {
                by: "maria".into(),
                at: now(),
            },
        )]
        .into(),
        mentioned: Default::default(),
        watch: Default::default(),
        inbox: Default::default(),
    }
}

#[test]
fn a_task_reads_back_exactly_as_written() {
    let (mut b, cols) = board();
    let t = task(&b, &cols[0]);
    b.insert_task(&t).expect("insert");
    assert_eq!(b.task(&t.id).expect("read"), Some(t));
}

#[test]
fn columns_come_back_in_order() {
    let (b, _) = board();
    let names: Vec<String> = b
        .board()
        .expect("board")
        .columns
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["To do", "Doing", "Done"]);
}

#[test]
fn concurrent_description_edits_merge_character_wise() {
    let (mut a, cols) = board();
    let t = task(&a, &cols[0]);
    a.insert_task(&t).expect("insert");
    a.commit(&ChangeNote::new("task.add", "maria"), now());
    let mut b = BoardDoc::from_doc(a.doc_mut().fork()).expect("fork");
    a.edit_task(
        &t.id,
        &[TaskEdit::SpliceDescription {
            pos: 0,
            delete: 0,
            insert: "Please ".into(),
        }],
        "maria",
        now(),
    )
    .expect("edit a");
    b.edit_task(
        &t.id,
        &[TaskEdit::SpliceDescription {
            pos: 13,
            delete: 0,
            insert: " and lamps".into(),
        }],
        "joe",
        now(),
    )
    .expect("edit b");
    a.commit(&ChangeNote::new("task.edit", "maria"), now());
    b.commit(&ChangeNote::new("task.edit", "joe"), now());
    a.doc_mut().merge(b.doc_mut()).expect("merge");
    assert_eq!(
        a.description(&t.id).expect("text"),
        "Please Bring the rug and lamps"
    );
}

#[test]
fn earlier_versions_stay_readable() {
    let (mut b, cols) = board();
    let t = task(&b, &cols[0]);
    b.insert_task(&t).expect("insert");
    b.commit(&ChangeNote::new("task.add", "maria"), now());
    let before = b.heads();
    b.edit_task(
        &t.id,
        &[
            TaskEdit::Title("Renamed".into()),
            TaskEdit::RemoveLabel("staging".into()),
        ],
        "joe",
        now(),
    )
    .expect("edit");
    b.commit(&ChangeNote::new("task.edit", "joe"), now());
    let old = b
        .task_at(&t.id, Some(&before))
        .expect("read")
        .expect("exists");
    assert_eq!(old.title, "Stage the living room");
    assert_eq!(old.labels, ["staging"]);
    let new = b.task(&t.id).expect("read").expect("exists");
    assert_eq!(new.title, "Renamed");
    assert!(new.labels.is_empty());
}

#[test]
fn a_workspace_is_not_a_board() {
    let ws = crate::WorkspaceDoc::create(AutoCommit::new(), DocumentId::random(), "Team");
    let mut ws = ws.expect("ws");
    let err = BoardDoc::from_doc(ws.doc_mut().fork()).expect_err("not a board");
    assert!(err.to_string().contains("expected a board"), "{err}");
}

#[test]
fn the_last_position_of_a_column_is_read_without_other_columns() {
    let (mut b, cols) = board();
    assert_eq!(b.last_position(&cols[0]).expect("read"), None);
    for (col, pos) in [(0, "b"), (0, "m"), (1, "z"), (0, "c")] {
        let mut t = task(&b, &cols[col]);
        t.position = pos.into();
        b.insert_task(&t).expect("insert");
    }
    assert_eq!(
        b.last_position(&cols[0]).expect("read").as_deref(),
        Some("m")
    );
    assert_eq!(
        b.last_position(&cols[1]).expect("read").as_deref(),
        Some("z")
    );
    assert_eq!(b.last_position(&cols[2]).expect("read"), None);
}

#[test]
fn a_purged_task_is_gone_from_the_board_and_from_a_device_that_syncs() {
    let (mut b, cols) = board();
    let keep = task(&b, &cols[0]);
    let gone = Task {
        id: TaskId::random(),
        ..task(&b, &cols[0])
    };
    b.insert_task(&keep).expect("insert");
    b.insert_task(&gone).expect("insert");
    b.commit(&ChangeNote::new("task.add", "maria"), now());
    // Another device with both tasks.
    let mut other = b.doc_mut().fork();
    assert!(b.purge_task(&gone.id).expect("purge"));
    assert!(
        !b.purge_task(&gone.id).expect("purge twice"),
        "nothing left to purge"
    );
    assert_eq!(b.task(&gone.id).expect("read"), None);
    assert_eq!(b.task_ids().expect("ids"), vec![keep.id.clone()]);
    b.commit(&ChangeNote::new("task.purge", "relay"), now());
    other.merge(b.doc_mut()).expect("merge");
    let other = BoardDoc::from_doc(other).expect("board");
    assert_eq!(other.task(&gone.id).expect("read"), None);
    assert!(other.task(&keep.id).expect("read").is_some());
}

#[test]
fn a_due_with_an_end_and_a_template_link_read_back_as_written() {
    let (mut b, cols) = board();
    let mut t = task(&b, &cols[0]);
    t.due = Some(Due {
        end: Some(now() + chrono::Duration::hours(3)),
        ..Due::at_time(now(), "America/Denver")
    });
    t.template = Some(porchlight_model::template::TemplateLink {
        run: "r1".into(),
        template: "Escrow to closing".into(),
        step: 3,
        anchor: chrono::NaiveDate::from_ymd_opt(2027, 1, 15).expect("date"),
        offset: porchlight_model::template::Offset {
            days: -3,
            business: true,
            time: None,
        },
        holidays: true,
    });
    b.insert_task(&t).expect("insert");
    assert_eq!(b.task(&t.id).expect("read"), Some(t.clone()));
    // A new due without an end clears the end.
    b.edit_task(
        &t.id,
        &[TaskEdit::Due(Some(Due::at_time(now(), "UTC")))],
        "maria",
        now(),
    )
    .expect("edit");
    let read = b.task(&t.id).expect("read").expect("task");
    assert_eq!(read.due.and_then(|d| d.end), None);
}

#[test]
fn a_rename_on_one_device_carries_the_other_devices_mentions_when_they_sync() {
    let (mut a, cols) = board();
    let t = task(&a, &cols[0]);
    a.insert_task(&t).expect("insert");
    a.commit(&ChangeNote::new("task.add", "maria"), now());
    let mut b = BoardDoc::from_doc(a.doc_mut().fork()).expect("fork");

    // Device A renames Maria; device B, offline, mentions her by her old
    // name in a comment and in the description.
    a.rename_person("Maria", "maria.g").expect("rename");
    a.commit(&ChangeNote::new("person.rename", "maria"), now());
    let text = "@maria can you get the lockbox code?";
    b.edit_task(
        &t.id,
        &[
            TaskEdit::AddComment(Comment {
                id: porchlight_model::ids::CommentId::random(),
                author: "joe".into(),
                at: now(),
                text: text.into(),
                mentions: porchlight_model::board::mentions_in(text),
            }),
            TaskEdit::Description("Bring the rug, @maria".into()),
        ],
        "joe",
        now(),
    )
    .expect("comment");
    b.commit(&ChangeNote::new("task.edit", "joe"), now());
    a.doc_mut().merge(b.doc_mut()).expect("merge");
    b.doc_mut().merge(a.doc_mut()).expect("merge back");

    for doc in [&a, &b] {
        let got = doc.task(&t.id).expect("read").expect("task");
        assert_eq!(got.assignees, vec!["maria.g"]);
        assert_eq!(got.created_by, "maria.g");
        let c = got
            .comments
            .iter()
            .find(|c| c.author == "joe")
            .expect("comment");
        assert_eq!(c.mentions, vec!["maria.g"]);
        assert_eq!(c.text, "@maria.g can you get the lockbox code?");
        assert!(got.mentioned.contains_key("maria.g"), "{:?}", got.mentioned);
        assert_eq!(
            got.description, "Bring the rug, @maria",
            "typed text is kept"
        );
    }

    // Editing the description again keeps the mention's stamp; removing
    // the assignee by the new name removes what was stored under the old.
    let stamp = a.task(&t.id).expect("read").expect("task").mentioned["maria.g"].clone();
    let later = now() + chrono::Duration::hours(1);
    a.edit_task(
        &t.id,
        &[
            TaskEdit::Description("Bring the rug and lamps, @maria.g".into()),
            TaskEdit::RemoveAssignee("maria.g".into()),
        ],
        "joe",
        later,
    )
    .expect("edit");
    let got = a.task(&t.id).expect("read").expect("task");
    assert_eq!(got.mentioned.get("maria.g"), Some(&stamp));
    assert!(got.assignees.is_empty(), "{:?}", got.assignees);
    assert!(got.assigned.is_empty(), "{:?}", got.assigned);

    // Assigning by the old name stores the new one; renaming back works.
    a.edit_task(
        &t.id,
        &[TaskEdit::AddAssignee("maria".into())],
        "joe",
        later,
    )
    .expect("assign");
    assert_eq!(
        a.task(&t.id).expect("read").expect("task").assignees,
        vec!["maria.g"]
    );
    a.rename_person("maria.g", "maria").expect("rename back");
    let got = a.task(&t.id).expect("read").expect("task");
    assert_eq!(got.assignees, vec!["maria"]);
    assert_eq!(got.created_by, "maria");
    assert_eq!(a.renames().pairs().len(), 1, "{:?}", a.renames());
}

#[test]
fn renames_are_kept_flat_and_two_people_renamed_at_once_stay_two() {
    let (mut a, cols) = board();
    let mut t = task(&a, &cols[0]);
    t.assignees = vec!["maria".into(), "joe".into()];
    a.insert_task(&t).expect("insert");
    a.commit(&ChangeNote::new("task.add", "maria"), now());

    // One after another: maria → maria.g → mg reads in one step.
    let mut b = BoardDoc::from_doc(a.doc_mut().fork()).expect("fork");
    b.rename_person("maria", "maria.g").expect("rename");
    b.rename_person("maria.g", "mg").expect("rename again");
    assert_eq!(b.renames().resolve("maria"), "mg");
    assert_eq!(
        b.task(&t.id).expect("read").expect("task").assignees,
        vec!["joe", "mg"]
    );

    // At once on two devices: maria becomes maria.g on one, joe takes the
    // name maria on the other. After the merge they are still two people.
    let mut one = BoardDoc::from_doc(a.doc_mut().fork()).expect("fork");
    let mut two = BoardDoc::from_doc(a.doc_mut().fork()).expect("fork");
    one.rename_person("maria", "maria.g").expect("rename");
    one.commit(&ChangeNote::new("person.rename", "sam"), now());
    two.rename_person("joe", "maria")
        .expect("joe takes the name");
    two.commit(&ChangeNote::new("person.rename", "sam"), now());
    one.doc_mut().merge(two.doc_mut()).expect("merge");
    let got = one.task(&t.id).expect("read").expect("task");
    assert_eq!(
        got.assignees,
        vec!["maria", "maria.g"],
        "joe is maria now, maria is maria.g"
    );
}

#[test]
fn a_board_edit_reads_the_same_on_the_document_and_on_the_board_as_read() {
    let (mut doc, ids) = board();
    let mut read = doc.board().expect("board");
    let added = ColumnId::random();
    let missing = ColumnId::random();
    let edits = [
        BoardEdit::Rename("48 Elm Ave".into()),
        BoardEdit::AddColumn(Column {
            id: added.clone(),
            name: "Inspection".into(),
            position: "a".into(),
        }),
        BoardEdit::RenameColumn {
            id: ids[1].clone(),
            name: "Under contract".into(),
        },
        BoardEdit::MoveColumn {
            id: ids[0].clone(),
            position: "zz".into(),
        },
        BoardEdit::MoveColumn {
            id: added.clone(),
            position: "zzz".into(),
        },
        // A column removed on another device meanwhile: the edit makes it
        // again, with what it gives.
        BoardEdit::RenameColumn {
            id: missing.clone(),
            name: "Back".into(),
        },
        BoardEdit::RemoveColumn(ids[2].clone()),
    ];
    for edit in &edits {
        edit.apply(&mut doc).expect("apply");
        edit.apply_to(&mut read);
        assert_eq!(doc.board().expect("board"), read, "after {edit:?}");
        // Each survives being kept as JSON.
        let json = serde_json::to_string(edit).expect("json");
        assert_eq!(
            &serde_json::from_str::<BoardEdit>(&json).expect("read"),
            edit
        );
    }
    assert_eq!(read.name, "48 Elm Ave");
    let names: Vec<&str> = read.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Back", "Under contract", "To do", "Inspection"]);
}
