use std::collections::BTreeMap;

use chrono::{Duration, TimeZone, Utc};

use super::*;
use crate::board::{Comment, Due, Stamp, mentions_in};
use crate::ids::{ColumnId, CommentId};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 10, 15, 0, 0)
        .single()
        .expect("instant")
}

fn task(by: &str) -> Task {
    Task::new(
        DocumentId::random(),
        "Get the lockbox code",
        ColumnId::new("todo"),
        "a",
        by,
        now() - Duration::days(3),
    )
}

fn comment(author: &str, text: &str, hours_ago: i64) -> Comment {
    Comment {
        id: CommentId::random(),
        author: author.into(),
        at: now() - Duration::hours(hours_ago),
        text: text.into(),
        mentions: mentions_in(text),
    }
}

#[test]
fn mentions_are_words_starting_with_at() {
    assert_eq!(
        mentions_in("@Joe can you get the lockbox code? cc @maria.lopez, thanks @joe"),
        vec!["joe", "maria.lopez"]
    );
    assert!(mentions_in("mail joe@example.com or @ alone").is_empty());
    assert_eq!(mentions_in("(@sam)"), vec!["sam"]);
    assert_eq!(mentions_in("@ana."), vec!["ana"]);
}

#[test]
fn a_mention_in_a_comment_reaches_only_the_person_mentioned() {
    let mut t = task("alex");
    t.comments
        .push(comment("alex", "@joe can you get the lockbox code?", 2));
    let joe = derive(&t, "Joe", now());
    assert_eq!(joe.len(), 1);
    assert_eq!(joe[0].kind, InboxKind::Mention);
    assert_eq!(joe[0].by, "alex");
    assert_eq!(joe[0].state, InboxState::Unread);
    assert!(derive(&t, "maria", now()).is_empty());
    // The author's own words are not news to them.
    assert!(derive(&t, "alex", now()).is_empty());
}

#[test]
fn watchers_see_comments_from_when_they_started_watching() {
    let mut t = task("alex");
    t.comments
        .push(comment("maria", "Seller wants Thursday", 30));
    t.assignees.push("sam".into());
    t.assigned.insert(
        "sam".into(),
        Stamp {
            by: "alex".into(),
            at: now() - Duration::hours(20),
        },
    );
    t.comments.push(comment("maria", "Code is 4412", 1));
    // The creator watches from the start: both comments.
    let alex = derive(&t, "alex", now());
    assert_eq!(
        alex.iter().filter(|i| i.kind == InboxKind::Comment).count(),
        2
    );
    // Sam was assigned 20 hours ago: the assignment and the later comment.
    let sam = derive(&t, "sam", now());
    let kinds: Vec<InboxKind> = sam.iter().map(|i| i.kind).collect();
    assert_eq!(kinds, vec![InboxKind::Comment, InboxKind::Assigned]);
    assert_eq!(sam[1].text, "alex assigned it to you");
    // Alex stops watching: no comments any more.
    t.watch.insert("alex".into(), false);
    assert!(derive(&t, "alex", now()).is_empty());
    // Someone else watches by hand: the whole conversation.
    t.watch.insert("dana".into(), true);
    assert_eq!(derive(&t, "dana", now()).len(), 2);
}

#[test]
fn work_due_within_a_day_or_overdue_is_due_soon_until_done() {
    let mut t = task("alex");
    t.assignees.push("sam".into());
    t.due = Some(Due::at_time(now() + Duration::hours(30), "UTC"));
    assert!(derive(&t, "sam", now()).is_empty());
    t.due = Some(Due::at_time(now() + Duration::hours(5), "UTC"));
    let sam = derive(&t, "sam", now());
    assert_eq!(sam.len(), 1);
    assert_eq!(sam[0].kind, InboxKind::DueSoon);
    assert!(sam[0].text.starts_with("due "), "{}", sam[0].text);
    t.due = Some(Due::at_time(now() - Duration::hours(5), "UTC"));
    assert!(derive(&t, "sam", now())[0].text.starts_with("overdue"));
    // Not alex's: it has an assignee.
    assert!(derive(&t, "alex", now()).is_empty());
    t.completed_at = Some(now());
    assert!(derive(&t, "sam", now()).is_empty());
}

#[test]
fn state_is_per_person_and_per_item() {
    let mut t = task("alex");
    t.comments.push(comment("alex", "@joe @sam lockbox?", 2));
    let key = derive(&t, "joe", now())[0].key.clone();
    t.inbox.insert(
        "joe".into(),
        BTreeMap::from([(key.clone(), InboxState::Read)]),
    );
    assert_eq!(derive(&t, "joe", now())[0].state, InboxState::Read);
    assert_eq!(derive(&t, "sam", now())[0].state, InboxState::Unread);
    // Ids are stable and differ per item.
    assert_eq!(derive(&t, "joe", now())[0].id, item_id(&t.id, &key));
    assert_ne!(item_id(&t.id, "a"), item_id(&t.id, "b"));
}

#[test]
fn deleted_and_archived_tasks_leave_the_inbox() {
    let mut t = task("alex");
    t.comments.push(comment("alex", "@joe hi", 2));
    t.archived = true;
    assert!(derive(&t, "joe", now()).is_empty());
    t.archived = false;
    t.deleted = true;
    assert!(derive(&t, "joe", now()).is_empty());
}
