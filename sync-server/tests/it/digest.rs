//! The daily digest (due and overdue tasks, in each person's zone, once a
//! day, one-click unsubscribe) through a real SMTP server, and a team's
//! retention of deleted tasks. Both are driven at chosen instants through
//! the relay's own entry points, so the day and hour are the test's.

use crate::common;
use crate::mail::{relay_with_mail_and, smtp};

use std::time::Duration;

use automerge::AutoCommit;
use chrono::{NaiveDate, Utc};
use common::{Client, TestRelay, at, team};
use porchlight_doc::{BoardDoc, TaskEdit};
use porchlight_model::board::{Due, Task};
use porchlight_model::ids::TaskId;
use porchlight_relay::store::TaskQuery;
use reqwest::Method;
use serde_json::json;

/// A board with tasks for `member` and `owner` around 12 January 2027.
fn board(doc: &str) -> AutoCommit {
    let made = at("2027-01-05T10:00:00Z");
    let (mut b, id, todo) = common::elm_board(doc, made);
    let chicago = porchlight_model::time::parse_tz("America/Chicago").expect("zone");
    let jan12 = NaiveDate::from_ymd_opt(2027, 1, 12).expect("date");
    let all_day = Due {
        at: porchlight_model::time::local_day_start(&chicago, jan12),
        tz: "America/Chicago".into(),
        all_day: true,
        end: None,
    };
    let timed = |s: &str| Some(Due::at_time(at(s), "America/Chicago"));
    for (i, (title, who, due, done, deleted)) in [
        ("Call the seller", "member", Some(all_day), false, false),
        (
            "Order the appraisal",
            "member",
            timed("2027-01-11T15:00:00Z"),
            false,
            false,
        ),
        (
            "Evening showing",
            "@Member",
            timed("2027-01-12T22:00:00Z"),
            false,
            false,
        ),
        (
            "Book the movers",
            "member",
            timed("2027-01-15T15:00:00Z"),
            false,
            false,
        ),
        (
            "Old done task",
            "member",
            timed("2027-01-08T15:00:00Z"),
            true,
            false,
        ),
        (
            "Deleted task",
            "member",
            timed("2027-01-08T15:00:00Z"),
            false,
            true,
        ),
        (
            "Owner's signs",
            "owner",
            timed("2027-01-12T10:00:00Z"),
            false,
            false,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let mut t = Task::new(id, title, todo.clone(), format!("a{i}"), "owner", made);
        t.assignees = vec![who.into()];
        t.due = due;
        if done {
            t.completed_at = Some(made);
        }
        b.insert_task(&t).expect("task");
        if deleted {
            b.edit_task(&t.id, &[TaskEdit::Deleted(Some(made))], "owner", made)
                .expect("delete");
        }
    }
    b.into_doc()
}

/// Waits until the relay's view holds `n` live tasks of `team`.
async fn wait_for_view(relay: &TestRelay, team: i64, n: usize) {
    let state = relay.state();
    for _ in 0..100 {
        let q = TaskQuery {
            team,
            include_done: true,
            limit: 1000,
            ..TaskQuery::default()
        };
        if state.store.view_tasks(&q).await.expect("view").len() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the view never held {n} tasks");
}

#[tokio::test]
async fn the_digest_lists_due_and_overdue_tasks_once_a_day_in_each_zone_and_unsubscribes_in_one_click()
 {
    let smtp = smtp().await;
    let dir = tempfile::tempdir().expect("dir");
    // The relay's own rounds look once an hour: the test picks the instants.
    let relay = relay_with_mail_and(&smtp, dir.path(), |c| {
        c.limits.digest_check_ms = 3_600_000;
    })
    .await;
    let t = team(&relay).await;
    // A bad zone is refused with the reason; the member's own is kept.
    let (s, body) = relay
        .call(
            Method::PUT,
            "/api/me/mail",
            Some(&t.member),
            Some(json!({ "time_zone": "Mars/Base", "digest": true })),
        )
        .await;
    assert_eq!(s, 400, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| m.contains("IANA")),
        "{body}"
    );
    let (s, body) = relay
        .call(
            Method::PUT,
            "/api/me/mail",
            Some(&t.member),
            Some(json!({ "time_zone": "America/Chicago", "digest": true })),
        )
        .await;
    assert_eq!(
        (s, body["time_zone"].as_str()),
        (200, Some("America/Chicago"))
    );
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    owner.open(&t.doc, board(&t.doc)).await;
    owner.pump().await;
    wait_for_view(&relay, t.id, 6).await;
    let state = relay.state();
    let send = |now: &str| {
        let state = state.clone();
        let now = at(now);
        async move {
            porchlight_relay::digest::send_due(&state, now)
                .await
                .expect("digest round")
        }
    };

    // 06:00 in Chicago, 12:00 in UTC: only the owner (UTC) is past 07:00.
    assert_eq!(send("2027-01-12T12:00:00Z").await, 1);
    let m = smtp.wait_for("owner@example.com").await;
    assert_eq!(m["subject"], "Porchlight: 1 overdue");
    assert!(
        m["text"]
            .as_str()
            .is_some_and(|t| t.contains("Owner's signs")),
        "{m}"
    );
    // 07:30 in Chicago: the member's, once.
    assert_eq!(send("2027-01-12T13:30:00Z").await, 1);
    assert_eq!(
        send("2027-01-12T14:00:00Z").await,
        0,
        "a second digest the same day"
    );
    let m = smtp.wait_for("member@example.com").await;
    assert_eq!(m["subject"], "Porchlight: 2 due today, 1 overdue");
    assert_eq!(m["content_type"], "multipart/alternative");
    let text = m["text"].as_str().expect("text");
    let html = m["html"].as_str().expect("html");
    let order: Vec<usize> = ["Order the appraisal", "Call the seller", "Evening showing"]
        .iter()
        .map(|title| {
            text.find(title)
                .unwrap_or_else(|| panic!("{title} missing:\n{text}"))
        })
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "overdue first, then by time:\n{text}"
    );
    assert!(
        text.contains("today 16:00"),
        "in the member's zone:\n{text}"
    );
    assert!(text.contains("Oak St team / 48 Elm Ave"), "{text}");
    for absent in [
        "Book the movers",
        "Old done task",
        "Deleted task",
        "Owner's signs",
    ] {
        assert!(!text.contains(absent), "{absent} listed:\n{text}");
        assert!(!html.contains(absent), "{absent} listed in HTML");
    }
    // RFC 8058 one-click unsubscribe.
    let link = m["list_unsubscribe"]
        .as_str()
        .and_then(|l| l.strip_prefix("<https://relay.oak.example"))
        .and_then(|l| l.strip_suffix('>'))
        .unwrap_or_else(|| panic!("no List-Unsubscribe: {}", m["list_unsubscribe"]))
        .to_string();
    assert!(link.starts_with("/api/unsubscribe/"), "{link}");
    assert_eq!(m["list_unsubscribe_post"], "List-Unsubscribe=One-Click");
    assert!(
        html.contains(&format!("https://relay.oak.example{link}")),
        "{html}"
    );
    // Opening the link shows a button (a scanner that follows links
    // unsubscribes nobody); the POST a mail program sends unsubscribes.
    let http = reqwest::Client::new();
    let page = http
        .get(format!("{}{link}", relay.base))
        .send()
        .await
        .expect("get");
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .expect("page")
            .contains("<form method=\"post\"")
    );
    let (_, mail) = relay
        .call(Method::GET, "/api/me/mail", Some(&t.member), None)
        .await;
    assert_eq!(mail["digest"], true, "a GET unsubscribed");
    let done = http
        .post(format!("{}{link}", relay.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("post");
    assert_eq!(done.status(), 200);
    let (_, mail) = relay
        .call(Method::GET, "/api/me/mail", Some(&t.member), None)
        .await;
    assert_eq!(
        mail,
        json!({ "time_zone": "America/Chicago", "digest": false, "mentions": true }),
        "the digest's link leaves mention emails on"
    );
    let unknown = http
        .post(format!(
            "{}/api/unsubscribe/{}",
            relay.base,
            "ab".repeat(24)
        ))
        .send()
        .await
        .expect("post");
    assert_eq!(unknown.status(), 404);

    // The next morning: the owner's overdue task again; nothing for the
    // member, who unsubscribed.
    assert_eq!(send("2027-01-13T13:30:00Z").await, 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let to = |who: &str| smtp.messages().iter().filter(|m| m["to"] == who).count();
    assert_eq!((to("owner@example.com"), to("member@example.com")), (2, 1));
}

#[tokio::test]
async fn a_teams_retention_removes_old_deleted_tasks_from_the_board_on_every_device() {
    let relay = TestRelay::start().await;
    let t = team(&relay).await;
    let now = Utc::now();
    let old = now - chrono::Duration::days(10);
    let (mut b, id, todo) = common::elm_board(&t.doc, old);
    let mut ids = Vec::new();
    for (i, title) in [
        "Deleted long ago",
        "Deleted today",
        "Archived long ago",
        "Live",
    ]
    .into_iter()
    .enumerate()
    {
        let t = Task::new(id, title, todo.clone(), format!("a{i}"), "owner", old);
        b.insert_task(&t).expect("task");
        let edit = match i {
            0 => Some((TaskEdit::Deleted(Some(old)), old)),
            1 => Some((TaskEdit::Deleted(Some(now)), now)),
            2 => Some((TaskEdit::Archived(true), old)),
            _ => None,
        };
        if let Some((e, when)) = edit {
            b.edit_task(&t.id, &[e], "owner", when).expect("edit");
        }
        ids.push(t.id);
    }
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    owner.open(&t.doc, b.into_doc()).await;
    owner.pump().await;
    let state = relay.state();
    // The view counts deleted and archived rows too (as "deleted").
    for _ in 0..100 {
        let rows = state
            .store
            .stale_deleted_tasks(t.id, now.timestamp_millis() + 1, 100)
            .await
            .expect("rows");
        if rows.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Only owners and admins set it; the answer says what it is.
    let path = format!("/api/teams/{}/retention", t.id);
    let (s, _) = relay
        .call(
            Method::PUT,
            &path,
            Some(&t.member),
            Some(json!({ "deleted_task_days": 7 })),
        )
        .await;
    assert_eq!(s, 403);
    let (s, body) = relay
        .call(
            Method::PUT,
            &path,
            Some(&t.owner),
            Some(json!({ "deleted_task_days": 99999 })),
        )
        .await;
    assert_eq!(s, 400, "{body}");
    let (s, body) = relay.call(Method::GET, &path, Some(&t.member), None).await;
    assert_eq!((s, body), (200, json!({ "deleted_task_days": null })));
    // No retention: nothing goes.
    assert_eq!(
        porchlight_relay::retention::purge_due(&state, now)
            .await
            .expect("purge"),
        0
    );
    let (s, body) = relay
        .call(
            Method::PUT,
            &path,
            Some(&t.owner),
            Some(json!({ "deleted_task_days": 7 })),
        )
        .await;
    assert_eq!((s, body), (200, json!({ "deleted_task_days": 7 })));

    assert_eq!(
        porchlight_relay::retention::purge_due(&state, now)
            .await
            .expect("purge"),
        1
    );
    // The owner's device receives the change: the old deleted task is gone,
    // the one deleted today (restorable), the archived and the live stay.
    owner.pump().await;
    let board =
        BoardDoc::from_doc(owner.engine.document(&t.doc).expect("doc").clone()).expect("board");
    let left: Vec<TaskId> = board.task_ids().expect("ids");
    assert!(
        !left.contains(&ids[0]),
        "the old deleted task is still on the device"
    );
    for kept in &ids[1..] {
        assert!(left.contains(kept), "{kept} was removed");
    }
    // A second round finds nothing more; the view lost the row too.
    assert_eq!(
        porchlight_relay::retention::purge_due(&state, now)
            .await
            .expect("purge"),
        0
    );
    let mut gone = false;
    for _ in 0..50 {
        let rows = state
            .store
            .view_tasks_of(&t.doc, Some(std::slice::from_ref(&ids[0].to_string())))
            .await
            .expect("rows");
        if rows.is_empty() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "the purged task stayed in the view");
    let (_, audit) = relay
        .call(
            Method::GET,
            &format!("/api/teams/{}/audit", t.id),
            Some(&t.owner),
            None,
        )
        .await;
    assert!(
        audit
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e["event"] == "retention.purged")),
        "{audit}"
    );
}
