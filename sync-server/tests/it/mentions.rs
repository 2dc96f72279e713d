//! Mentions by email through a real SMTP server: a teammate's `@name` in a
//! comment written on a device (found by the relay's indexer) or through
//! the REST API is emailed once to the member of that name; the author's
//! own mention, a member who turned them off and a reindex send nothing.

use crate::common;
use crate::mail::{relay_with_mail_and, smtp};

use std::time::Duration;

use automerge::AutoCommit;
use common::{Client, at, team};
use porchlight_doc::{BoardDoc, TaskEdit};
use porchlight_model::board::{Comment, Task, mentions_in};
use porchlight_model::ids::{CommentId, TaskId};
use reqwest::Method;
use serde_json::json;

fn board(doc: &str, task: &TaskId) -> AutoCommit {
    let made = at("2027-01-05T10:00:00Z");
    let (mut b, id, todo) = common::elm_board(doc, made);
    let mut t = Task::new(id, "Lockbox code", todo, "a", "owner", made);
    t.id = task.clone();
    b.insert_task(&t).expect("task");
    b.into_doc()
}

/// Adds a comment by `author` to the task on the client's copy and syncs it.
async fn comment(client: &mut Client, doc: &str, task: &TaskId, author: &str, text: &str) {
    let now = chrono::Utc::now();
    let am = client.engine.document_mut(doc).expect("doc");
    let mut b = BoardDoc::from_doc(std::mem::take(am)).expect("board");
    let c = Comment {
        id: CommentId::random(),
        author: author.into(),
        at: now,
        text: text.into(),
        mentions: mentions_in(text),
    };
    b.edit_task(task, &[TaskEdit::AddComment(c)], author, now)
        .expect("comment");
    b.doc_mut().commit();
    *am = b.into_doc();
    let effects = client.engine.local_change(doc);
    client.perform(effects).await;
    client.pump().await;
}

fn count_to(smtp: &crate::mail::Smtp, to: &str) -> usize {
    smtp.messages()
        .iter()
        .filter(|m| m["to"].as_str().is_some_and(|t| t.contains(to)))
        .count()
}

#[tokio::test]
async fn a_mention_is_emailed_once_to_the_member_named_and_can_be_turned_off() {
    let smtp = smtp().await;
    let dir = tempfile::tempdir().expect("dir");
    let relay = relay_with_mail_and(&smtp, dir.path(), |c| {
        c.limits.mention_check_ms = 100;
    })
    .await;
    let t = team(&relay).await;
    let task = TaskId::random();
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    owner.open(&t.doc, board(&t.doc, &task)).await;
    owner.pump().await;
    // The board is in the view before anyone comments (a board the view
    // sees for the first time announces nothing old).
    let (_, mail) = relay
        .call(Method::GET, "/api/me/mail", Some(&t.member), None)
        .await;
    assert_eq!(mail["mentions"], true, "on by default: {mail}");
    assert!(relay.view_until(&t.doc, |rows| !rows.is_empty()).await);

    // From a device, through the indexer.
    comment(
        &mut owner,
        &t.doc,
        &task,
        "owner",
        "@Member can you get the lockbox code? (cc @owner)",
    )
    .await;
    let m = smtp.wait_for("member@example.com").await;
    assert_eq!(m["subject"], "owner mentioned you on “Lockbox code”");
    let text = m["text"].as_str().expect("text");
    assert!(
        text.contains("@Member can you get the lockbox code?"),
        "{text}"
    );
    assert!(text.contains("(Oak St team / 48 Elm Ave)"), "{text}");
    assert!(
        text.contains("porchlight account mail --mentions off"),
        "{text}"
    );
    assert!(
        m["html"]
            .as_str()
            .is_some_and(|h| h.contains("<blockquote")),
        "{m}"
    );

    // Through the REST API (its author is the key's name).
    let (_, made) = relay
        .post(
            &format!("/api/teams/{}/apikeys", t.id),
            Some(&t.owner),
            json!({ "name": "crm", "scope": "write" }),
        )
        .await;
    let key = made["key"].as_str().expect("key").to_string();
    let http = reqwest::Client::new();
    let resp = http
        .post(format!(
            "{}/api/v1/boards/{}/tasks/{task}/comments",
            relay.base, t.doc
        ))
        .bearer_auth(&key)
        .json(&json!({ "text": "@member the seller called back" }))
        .send()
        .await
        .expect("comment");
    assert_eq!(resp.status(), 201);
    for _ in 0..100 {
        if count_to(&smtp, "member@example.com") == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count_to(&smtp, "member@example.com"), 2);

    // The author's own mention, and a reindex of everything, send nothing.
    porchlight_relay::view::reindex(&relay.state().store, |_, _| {})
        .await
        .expect("reindex");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(count_to(&smtp, "owner@example.com"), 0);
    assert_eq!(count_to(&smtp, "member@example.com"), 2);

    // A teammate renames the member on the board: the rename itself sends
    // nothing, and a mention by the new name still reaches the account.
    let am = owner.engine.document_mut(&t.doc).expect("doc");
    let mut b = BoardDoc::from_doc(std::mem::take(am)).expect("board");
    b.rename_person("member", "member.b").expect("rename");
    b.doc_mut().commit();
    *am = b.into_doc();
    let effects = owner.engine.local_change(&t.doc);
    owner.perform(effects).await;
    owner.pump().await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(count_to(&smtp, "member@example.com"), 2);
    comment(&mut owner, &t.doc, &task, "owner", "@member.b got it?").await;
    for _ in 0..100 {
        if count_to(&smtp, "member@example.com") == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count_to(&smtp, "member@example.com"), 3);

    // Turned off: the next mention stays quiet.
    let (s, body) = relay
        .call(
            Method::PUT,
            "/api/me/mail",
            Some(&t.member),
            Some(json!({ "digest": true, "mentions": false })),
        )
        .await;
    assert_eq!(
        (s, body["mentions"].as_bool()),
        (200, Some(false)),
        "{body}"
    );
    comment(&mut owner, &t.doc, &task, "owner", "@member one more thing").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(count_to(&smtp, "member@example.com"), 3);
    // Older clients that send no `mentions` leave it as it was: on.
    let (_, body) = relay
        .call(
            Method::PUT,
            "/api/me/mail",
            Some(&t.viewer),
            Some(json!({ "digest": false })),
        )
        .await;
    assert_eq!(body["mentions"], true, "{body}");
}
