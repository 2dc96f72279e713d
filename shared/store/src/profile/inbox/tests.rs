//! The inbox, watching and the activity feed, on one device and across
//! devices that sync.

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::inbox::InboxKind;
use crate::model::InboxState;
use crate::profile::{InboxFilter, OpenOptions, Profile};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 10, 15, 0, 0)
        .single()
        .unwrap_or_default()
}

fn device(user: &str, at: DateTime<Utc>) -> Profile {
    Profile::in_memory(OpenOptions {
        user: Some(user.into()),
        tz: Some("America/Chicago".into()),
        now: Some(at),
    })
    .expect("profile")
}

/// Brings every board `from` has into `to` (what a sync does).
fn sync(from: &mut Profile, to: &mut Profile) {
    for b in from.boards().list().expect("boards") {
        let mut copy = from.sync_copy(b.id).expect("copy").expect("known");
        to.absorb(b.id, &mut copy).expect("absorb");
    }
}

#[test]
fn a_mention_reaches_the_teammate_after_a_sync_and_read_state_syncs_too() {
    let mut maria = device("maria", now());
    maria.boards_mut().create("Escrow", &[]).expect("board");
    let (task, _) = maria
        .tasks_mut()
        .quick_add("Escrow", "Lockbox code for 48 Elm")
        .expect("add");
    maria
        .tasks_mut()
        .comment(task.id.as_str(), "@Joe can you get the lockbox code?")
        .expect("comment");
    let stored = maria.tasks().get(task.id.as_str()).expect("task");
    assert_eq!(stored.comments[0].mentions, vec!["joe"]);
    assert!(
        maria
            .tasks()
            .inbox(InboxFilter::Current)
            .expect("inbox")
            .is_empty()
    );

    // Joe's laptop and phone each get the board.
    let mut laptop = device("joe", now() + Duration::minutes(5));
    let mut phone = device("joe", now() + Duration::minutes(5));
    sync(&mut maria, &mut laptop);
    sync(&mut maria, &mut phone);
    let inbox = laptop.tasks().inbox(InboxFilter::Unread).expect("inbox");
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert_eq!(inbox[0].kind, InboxKind::Mention);
    assert_eq!(inbox[0].by, "maria");
    assert_eq!(inbox[0].title, "Lockbox code for 48 Elm");
    assert_eq!(laptop.tasks().unread_count().expect("count"), 1);

    // Maria assigns it to joe meanwhile; both of joe's devices work offline.
    maria
        .tasks_mut()
        .edit(
            task.id.as_str(),
            &crate::profile::TaskChanges {
                add_assignees: vec!["joe".into()],
                ..Default::default()
            },
        )
        .expect("assign");
    sync(&mut maria, &mut phone);
    let mention = inbox[0].id.clone();
    let marked = laptop
        .tasks_mut()
        .mark_inbox(std::slice::from_ref(&mention), InboxState::Read)
        .expect("read");
    assert_eq!(marked.changed, 1);
    let on_phone = phone.tasks().inbox(InboxFilter::Current).expect("inbox");
    let assigned = on_phone
        .iter()
        .find(|i| i.kind == InboxKind::Assigned)
        .expect("assignment in the inbox");
    assert_eq!(assigned.text, "maria assigned it to you");
    phone
        .tasks_mut()
        .mark_inbox(std::slice::from_ref(&assigned.id), InboxState::Archived)
        .expect("archive");

    // Back online: both devices end with both states.
    sync(&mut laptop, &mut phone);
    sync(&mut phone, &mut laptop);
    for joe in [&laptop, &phone] {
        let all = joe.tasks().inbox(InboxFilter::All).expect("inbox");
        let state = |kind| all.iter().find(|i| i.kind == kind).map(|i| i.state);
        assert_eq!(state(InboxKind::Mention), Some(InboxState::Read));
        assert_eq!(state(InboxKind::Assigned), Some(InboxState::Archived));
        assert_eq!(joe.tasks().unread_count().expect("count"), 0);
        assert!(
            joe.tasks()
                .inbox(InboxFilter::Current)
                .expect("inbox")
                .iter()
                .all(|i| i.kind != InboxKind::Assigned)
        );
    }
    // Reading is not an edit: the task's last change is still maria's.
    assert_eq!(
        laptop
            .tasks()
            .get(task.id.as_str())
            .expect("task")
            .updated_by,
        "maria"
    );
}

#[test]
fn mark_all_read_and_unknown_ids() {
    let mut maria = device("maria", now());
    maria.boards_mut().create("Listing", &[]).expect("board");
    for text in ["Yard sign @sam", "Photos @sam", "Staging"] {
        maria.tasks_mut().quick_add("Listing", text).expect("add");
    }
    let mut sam = device("sam", now());
    sync(&mut maria, &mut sam);
    assert_eq!(sam.tasks().unread_count().expect("count"), 2);
    let err = sam
        .tasks_mut()
        .mark_inbox(&["zzzz".into()], InboxState::Read)
        .expect_err("unknown");
    assert!(err.to_string().contains("porchlight inbox --all"), "{err}");
    let all = sam
        .tasks_mut()
        .mark_inbox(&[], InboxState::Read)
        .expect("all");
    assert_eq!(all.changed, 2);
    assert_eq!(sam.tasks().unread_count().expect("count"), 0);
    assert_eq!(
        sam.tasks()
            .inbox(InboxFilter::Current)
            .expect("inbox")
            .len(),
        2
    );
    // Back to unread.
    let id = sam.tasks().inbox(InboxFilter::All).expect("inbox")[0]
        .id
        .clone();
    sam.tasks_mut()
        .mark_inbox(&[id], InboxState::Unread)
        .expect("unread");
    assert_eq!(sam.tasks().unread_count().expect("count"), 1);
}

#[test]
fn description_mentions_keep_their_first_time_and_watching_brings_comments() {
    let mut maria = device("maria", now());
    maria.boards_mut().create("Listing", &[]).expect("board");
    let (task, _) = maria
        .tasks_mut()
        .quick_add("Listing", "Stager")
        .expect("add");
    let id = task.id.as_str();
    let edit = |text: &str| crate::profile::TaskChanges {
        description: Some(text.into()),
        ..Default::default()
    };
    maria
        .tasks_mut()
        .edit(id, &edit("Ask @dana for dates"))
        .expect("edit");
    let first = maria.tasks().get(id).expect("task").mentioned["dana"].clone();
    maria
        .tasks_mut()
        .edit(id, &edit("Ask @dana for dates and a quote"))
        .expect("edit");
    let task = maria.tasks().get(id).expect("task");
    assert_eq!(task.mentioned["dana"], first, "a mention keeps its time");
    maria
        .tasks_mut()
        .edit(id, &edit("Ask for dates"))
        .expect("edit");
    assert!(maria.tasks().get(id).expect("task").mentioned.is_empty());

    // Watching by hand brings teammates' comments; unwatching stops them.
    let mut sam = device("sam", now());
    sync(&mut maria, &mut sam);
    let watched = sam.tasks_mut().watch(id, true).expect("watch");
    assert!(watched.watched_by("sam"));
    sync(&mut sam, &mut maria);
    maria
        .tasks_mut()
        .comment(id, "Dana can do Tuesday")
        .expect("comment");
    sync(&mut maria, &mut sam);
    let inbox = sam.tasks().inbox(InboxFilter::Current).expect("inbox");
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].kind, InboxKind::Comment);
    assert_eq!(inbox[0].text, "Dana can do Tuesday");
    sam.tasks_mut().watch(id, false).expect("unwatch");
    assert!(
        sam.tasks()
            .inbox(InboxFilter::Current)
            .expect("inbox")
            .is_empty()
    );
    assert!(matches!(
        sam.tasks_mut().watch("ffff", true),
        Err(crate::CoreError::UnknownTask(_))
    ));
}

#[test]
fn the_activity_feed_groups_each_persons_changes_to_a_task() {
    let mut maria = device("maria", now());
    maria.boards_mut().create("Escrow", &[]).expect("board");
    let (task, _) = maria
        .tasks_mut()
        .quick_add("Escrow", "Order the title report")
        .expect("add");
    let id = task.id.as_str();
    maria
        .tasks_mut()
        .comment(id, "Title company is slow")
        .expect("comment");
    let mut sam = device("sam", now() + Duration::hours(2));
    sync(&mut maria, &mut sam);
    sam.tasks_mut().complete(id).expect("complete");
    sam.tasks_mut()
        .mark_inbox(&[], InboxState::Read)
        .expect("private, not in the feed");
    let feed = sam.activity(None, now() - Duration::days(1)).expect("feed");
    let lines: Vec<String> = feed.iter().map(|e| e.describe()).collect();
    assert_eq!(
        lines[..2],
        [
            "sam completed “Order the title report”".to_string(),
            "maria added, commented on “Order the title report” (2 changes)".to_string(),
        ],
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l == "maria created the board “Escrow”"),
        "{lines:#?}"
    );
    // --since drops the older entries; --board narrows to one board.
    let recent = sam
        .activity(Some("Escrow"), now() + Duration::hours(1))
        .expect("feed");
    assert_eq!(recent.len(), 1);
    assert!(sam.activity(Some("Nope"), now()).is_err());
}

#[test]
fn people_are_everyone_the_boards_name() {
    let mut maria = device("maria", now());
    maria.boards_mut().create("Listing", &[]).expect("board");
    let (t, _) = maria
        .tasks_mut()
        .quick_add("Listing", "Yard sign @Sam")
        .expect("add");
    maria
        .tasks_mut()
        .comment(t.id.as_str(), "thanks")
        .expect("comment");
    let mut joe = device("joe", now());
    sync(&mut maria, &mut joe);
    assert_eq!(
        joe.tasks().people().expect("people"),
        ["joe", "maria", "sam"]
    );
}

#[test]
fn names_in_any_case_and_script_find_their_inbox() {
    for (writer, reader) in [
        ("Maria", "JOE"),
        ("maria", "José"),
        ("maria", "Sam.Lee"),
        ("maria", "ZOË"),
    ] {
        let mut m = device(writer, now());
        m.boards_mut().create("Listing", &[]).expect("board");
        let (t, _) = m.tasks_mut().quick_add("Listing", "Lockbox").expect("add");
        let mention = reader.to_lowercase();
        m.tasks_mut()
            .comment(t.id.as_str(), &format!("@{mention} code?"))
            .expect("comment");
        let mut r = device(reader, now());
        sync(&mut m, &mut r);
        let inbox = r.tasks().inbox(InboxFilter::Unread).expect("inbox");
        assert_eq!(inbox.len(), 1, "{reader}: {inbox:?}");
    }
}

#[test]
fn a_teammate_renamed_keeps_their_mentions_assignments_and_inbox() {
    let mut joe = device("joe", now());
    joe.boards_mut().create("Escrow", &[]).expect("board");
    let (task, _) = joe
        .tasks_mut()
        .quick_add("Escrow", "Lockbox code for 48 Elm @maria")
        .expect("add");
    joe.tasks_mut()
        .comment(task.id.as_str(), "@maria can you get the lockbox code?")
        .expect("comment");
    let mut maria = device("maria", now() + Duration::minutes(5));
    sync(&mut joe, &mut maria);
    let before = maria.tasks().inbox(InboxFilter::Unread).expect("inbox");
    assert_eq!(before.len(), 2, "a mention and an assignment: {before:?}");

    // Joe renames Maria; her device, still calling her `maria`, syncs.
    let renamed = joe
        .boards_mut()
        .rename_person("@Maria", "maria.g")
        .expect("rename");
    assert_eq!((renamed.boards, renamed.you), (1, false));
    sync(&mut joe, &mut maria);
    let feed = maria
        .activity(None, now() - Duration::days(1))
        .expect("activity");
    let lines: Vec<String> = feed.iter().map(|e| e.describe()).collect();
    assert!(
        lines.contains(
            &"joe created, renamed @maria to @maria.g on the board “Escrow” (2 changes)"
                .to_string()
        ),
        "{lines:?}"
    );
    let t = maria.tasks().get(task.id.as_str()).expect("task");
    assert_eq!(t.assignees, vec!["maria.g"]);
    assert_eq!(t.comments[0].mentions, vec!["maria.g"]);
    assert_eq!(t.comments[0].text, "@maria.g can you get the lockbox code?");
    let after = maria.tasks().inbox(InboxFilter::Unread).expect("inbox");
    let ids = |items: &[crate::inbox::InboxItem]| {
        let mut v: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
        v.sort();
        v
    };
    assert_eq!(ids(&after), ids(&before), "the same items, still unread");
    let assigned = maria
        .tasks()
        .list(&crate::TaskQuery {
            assignee: Some("maria.g".into()),
            ..Default::default()
        })
        .expect("query");
    assert_eq!(assigned.len(), 1);
    let by_old_name = maria
        .tasks()
        .list(&crate::TaskQuery {
            assignee: Some("@maria".into()),
            ..Default::default()
        })
        .expect("query");
    assert_eq!(
        by_old_name.len(),
        1,
        "a former name finds the person's tasks"
    );

    // She reads the mention (her device writes it under her new name).
    let mention = after
        .iter()
        .find(|i| i.kind == InboxKind::Mention)
        .expect("mention");
    maria
        .tasks_mut()
        .mark_inbox(std::slice::from_ref(&mention.id), InboxState::Read)
        .expect("read");
    assert_eq!(maria.tasks().unread_count().expect("count"), 1);
    let people = maria.boards().people_with_former_names().expect("people");
    let m = people
        .iter()
        .find(|p| p.name == "maria.g")
        .expect("maria.g");
    assert_eq!(m.formerly, vec!["maria"]);
    assert!(!people.iter().any(|p| p.name == "maria"), "{people:?}");

    // Renaming herself: her profile's name follows.
    let me = maria
        .boards_mut()
        .rename_person("maria.g", "mg")
        .expect("rename self");
    assert!(me.you);
    assert_eq!(maria.user(), "mg");
    assert_eq!(maria.tasks().unread_count().expect("count"), 1);

    // Bad renames say what is wrong.
    let err = |r: crate::error::Result<_>| r.err().map(|e| e.to_string()).unwrap_or_default();
    let nobody = err(joe.boards_mut().rename_person("sam", "samuel"));
    assert!(nobody.contains("nobody is called @sam"), "{nobody}");
    let taken = err(joe.boards_mut().rename_person("maria.g", "joe"));
    assert!(taken.contains("@joe is already someone's name"), "{taken}");
    let bad = err(joe.boards_mut().rename_person("maria.g", "Maria G"));
    assert!(bad.contains("one word"), "{bad}");
    // Maria's old name still means her: joe may not take it, she may.
    let former = err(joe.boards_mut().rename_person("joe", "maria"));
    assert!(
        former.contains("@maria is a former name of @maria.g"),
        "{former}"
    );
    let back = joe
        .boards_mut()
        .rename_person("maria.g", "maria")
        .expect("renamed back");
    assert_eq!(back.to, "maria");
    let t = joe.tasks().get(task.id.as_str()).expect("task");
    assert_eq!(t.assignees, vec!["maria"]);
    assert_eq!(t.comments[0].mentions, vec!["maria"]);

    // The feed names who did what by the name they go by now.
    joe.boards_mut()
        .rename_person("joe", "joseph")
        .expect("rename joe");
    let lines: Vec<String> = joe
        .activity(None, now() - Duration::days(1))
        .expect("activity")
        .iter()
        .map(|e| e.describe())
        .collect();
    assert!(
        lines.contains(
            &"joseph added, commented on “Lockbox code for 48 Elm” (2 changes)".to_string()
        ),
        "{lines:?}"
    );
}
