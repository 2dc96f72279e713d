use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;
use crate::board::{Comment, InboxState, mentions_in};
use crate::ids::{ColumnId, CommentId, DocumentId};
use crate::inbox::{InboxKind, derive};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 10, 15, 0, 0)
        .single()
        .expect("instant")
}

fn task(title: &str, by: &str) -> Task {
    Task::new(
        DocumentId::random(),
        title,
        ColumnId::new("todo"),
        "a",
        by,
        now() - Duration::days(3),
    )
}

fn renames(pairs: &[(&str, &str)]) -> Renames {
    Renames::new(pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())))
}

#[test]
fn a_name_resolves_in_one_step() {
    let r = renames(&[("joe", "joe.s"), ("joseph", "joe.s")]);
    assert_eq!(r.resolve("joe"), "joe.s");
    assert_eq!(r.resolve("Joe"), "joe.s", "names compare ignoring case");
    assert_eq!(r.resolve("joseph"), "joe.s");
    assert_eq!(
        r.resolve("Maria"),
        "Maria",
        "a name never renamed stays as given"
    );
    assert_eq!(r.names_of("joe.s"), vec!["joe.s", "joe", "joseph"]);
    assert_eq!(r.names_of("joe"), vec!["joe.s", "joe", "joseph"]);
}

#[test]
fn renames_made_at_once_on_two_devices_never_loop() {
    // `a → b` on one device, `b → a` on another: each person takes the
    // other's old name, and every device reads it the same way.
    let r = renames(&[("a", "b"), ("b", "a")]);
    assert_eq!(r.resolve("a"), "b");
    assert_eq!(r.resolve("b"), "a");
    // A name renamed to itself is no rename.
    assert!(renames(&[("ana", "Ana")]).is_empty());
}

#[test]
fn a_mention_written_before_a_rename_reaches_the_person_by_the_new_name() {
    let mut t = task("Get the lockbox code", "alex");
    let text = "@maria can you get the lockbox code? (ask @Maria's broker, cc @joe)";
    t.comments.push(Comment {
        id: CommentId::random(),
        author: "joe".into(),
        at: now() - Duration::hours(2),
        text: text.into(),
        mentions: mentions_in(text),
    });
    t.assignees = vec!["maria".into(), "sam".into()];
    t.assigned.insert(
        "maria".into(),
        Stamp {
            by: "joe".into(),
            at: now() - Duration::hours(3),
        },
    );
    let item = derive(&t, "maria", now())
        .into_iter()
        .find(|i| i.kind == InboxKind::Mention)
        .expect("mentioned");
    // Maria read the mention as `maria`; later, as `maria.g`, she archived it.
    t.inbox.insert(
        "maria".into(),
        BTreeMap::from([(item.key.clone(), InboxState::Read)]),
    );
    t.inbox.insert(
        "maria.g".into(),
        BTreeMap::from([(item.key.clone(), InboxState::Archived)]),
    );

    let r = renames(&[("maria", "maria.g"), ("joe", "joseph")]);
    r.apply(&mut t);

    assert_eq!(t.assignees, vec!["maria.g", "sam"]);
    assert_eq!(t.comments[0].author, "joseph");
    assert_eq!(t.comments[0].mentions, vec!["joseph", "maria.g"]);
    assert_eq!(
        t.comments[0].text,
        "@maria.g can you get the lockbox code? (ask @maria.g's broker, cc @joseph)"
    );
    assert_eq!(t.assigned["maria.g"].by, "joseph");
    assert!(!t.assigned.contains_key("maria"));
    assert_eq!(
        t.inbox.len(),
        1,
        "one person, one inbox state: {:?}",
        t.inbox
    );
    assert_eq!(
        t.inbox["maria.g"][&item.key],
        InboxState::Archived,
        "the new name's state wins"
    );
    let maria: Vec<_> = derive(&t, "maria.g", now());
    assert!(
        maria
            .iter()
            .any(|i| i.kind == InboxKind::Mention && i.by == "joseph")
    );
    assert!(
        derive(&t, "maria", now()).is_empty(),
        "the old name is nobody now"
    );
}

#[test]
fn a_task_on_a_board_without_renames_is_untouched() {
    let mut t = task("Call @maria", "Alex");
    let before = t.clone();
    renames(&[]).apply(&mut t);
    assert_eq!(t, before);
    renames(&[("joe", "joseph")]).apply(&mut t);
    assert_eq!(t, before, "no name in it was renamed");
}
