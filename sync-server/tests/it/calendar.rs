//! Calendar feeds: a board synced by a client, read back by the relay into
//! its view, served as RFC 5545 and read by Python's `icalendar` and
//! `recurring_ical_events` (as calendar apps would read it).

use crate::common;

use std::time::Duration;

use automerge::AutoCommit;
use chrono::NaiveDate;
use common::{Client, TestRelay, at, outsider, team};
use porchlight_doc::{BoardDoc, ChangeNote, TaskEdit};
use porchlight_model::board::{Due, Recurrence, RecurrenceMode, RecurrenceRule, Task, WeekdayName};
use porchlight_model::ids::TaskId;
use serde_json::{Value, json};

use common::interop_python as python;

/// What a calendar app sees in `feed` (between two instants).
fn read_feed(feed: &str, from: &str, to: &str) -> Value {
    use std::io::Write;
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../interop/ical/check_feed.py");
    let mut child = std::process::Command::new(python())
        .arg(script)
        .args([from, to])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(feed.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("output");
    assert!(
        out.status.success(),
        "the feed does not read: {}\n{feed}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

async fn get(relay: &TestRelay, path: &str, etag: Option<&str>) -> (u16, String, Option<String>) {
    let mut req = reqwest::Client::new().get(format!("{}{path}", relay.base));
    if let Some(e) = etag {
        req = req.header("If-None-Match", e);
    }
    let resp = req.send().await.expect("get");
    let status = resp.status().as_u16();
    let tag = resp
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if status == 200 {
        assert_eq!(
            resp.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("text/calendar; charset=utf-8")
        );
    }
    (status, resp.text().await.unwrap_or_default(), tag)
}

/// Asks for the feed until `ready` holds (the view is refreshed a moment
/// after a commit).
async fn feed_until(relay: &TestRelay, path: &str, ready: impl Fn(&str) -> bool) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        let (s, body, _) = get(relay, path, None).await;
        assert_eq!(s, 200, "{body}");
        if ready(&body) {
            return body;
        }
        last = body;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the feed never got there:\n{last}");
}

async fn feed_path(relay: &TestRelay, team: i64, token: &str, body: Value) -> String {
    let (s, feed) = relay
        .post(&format!("/api/teams/{team}/calendar"), Some(token), body)
        .await;
    assert_eq!(s, 200, "{feed}");
    feed["path"].as_str().expect("path").to_string()
}

/// Applies `edit` to the client's copy of `doc` and sends it.
async fn edit_board(client: &mut Client, doc: &str, edit: impl FnOnce(&mut BoardDoc)) {
    let am = std::mem::take(client.engine.document_mut(doc).expect("doc"));
    let mut board = BoardDoc::from_doc(am).expect("board");
    edit(&mut board);
    *client.engine.document_mut(doc).expect("doc") = board.into_doc();
    let effects = client.engine.local_change(doc);
    client.perform(effects).await;
}

fn board_with_tasks(doc: &str) -> (AutoCommit, Vec<TaskId>) {
    let now = at("2027-01-02T10:00:00Z");
    let (mut board, id, todo) = common::elm_board(doc, now);
    let mut task = |title: &str, f: &dyn Fn(&mut Task)| {
        let mut t = Task::new(id, title, todo.clone(), "a", "owner", now);
        f(&mut t);
        board.insert_task(&t).expect("insert");
        t.id
    };
    let inspection = task("Home inspection", &|t| {
        t.due = Some(
            Due::on_day(
                NaiveDate::from_ymd_opt(2027, 3, 3).expect("day"),
                "America/New_York",
            )
            .expect("due"),
        );
        t.labels = vec!["inspection".into()];
    });
    let closing = task("Closing, 48 Elm Ave; bring keys", &|t| {
        t.due = Some(Due::at_time(at("2027-03-20T15:00:00Z"), "America/New_York"));
        t.reminder = Some(at("2027-03-20T14:00:00Z"));
        t.assignees = vec!["owner".into()];
    });
    let meeting = task("Team meeting", &|t| {
        // Mondays 9:00 in New York: 14:00 UTC in winter, 13:00 in summer.
        t.due = Some(Due::at_time(at("2027-03-01T14:00:00Z"), "America/New_York"));
        t.recurrence = Some(Recurrence {
            mode: RecurrenceMode::Schedule,
            rule: RecurrenceRule::OnDays {
                days: vec![WeekdayName::Mon],
            },
        });
        t.assignees = vec!["member".into()];
    });
    let _undated = task("Order yard sign", &|_| {});
    let _done = task("Sign listing agreement", &|t| {
        t.due = Some(Due::at_time(at("2027-02-20T15:00:00Z"), "UTC"));
        t.completed_at = Some(at("2027-02-19T15:00:00Z"));
    });
    board.commit(&ChangeNote::new("board.create", "owner"), now);
    (board.into_doc(), vec![inspection, closing, meeting])
}

#[tokio::test]
async fn a_synced_board_becomes_a_calendar_that_calendar_apps_read() {
    let relay = TestRelay::start().await;
    let t = team(&relay).await;
    let (am, ids) = board_with_tasks(&t.doc);
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    owner.open(&t.doc, am).await;
    owner.pump().await;

    let path = feed_path(&relay, t.id, &t.owner, json!({})).await;
    assert!(
        path.starts_with("/ical/") && path.ends_with(".ics"),
        "{path}"
    );
    // Asking again gives the same address.
    assert_eq!(feed_path(&relay, t.id, &t.owner, json!({})).await, path);
    let body = feed_until(&relay, &path, |b| b.contains("Team meeting")).await;
    let cal = read_feed(
        &body,
        "2027-03-01T00:00:00+00:00",
        "2027-03-23T00:00:00+00:00",
    );
    assert_eq!(cal["name"], "Oak St team");
    let events = cal["events"].as_array().expect("events");
    let summaries: Vec<&str> = events
        .iter()
        .filter_map(|e| e["summary"].as_str())
        .collect();
    assert_eq!(
        summaries,
        [
            "Team meeting",
            "Home inspection",
            "Closing, 48 Elm Ave; bring keys"
        ],
        "open tasks with a due date, soonest first: {cal}"
    );
    let inspection = &events[1];
    assert_eq!(inspection["all_day"], true);
    assert_eq!(inspection["start"], "2027-03-03");
    assert_eq!(inspection["categories"], json!(["inspection"]));
    assert_eq!(inspection["uid"], format!("{}@{}", ids[0], t.doc));
    let closing = &events[2];
    assert_eq!(closing["start"], "2027-03-20T15:00:00+00:00");
    assert_eq!(closing["alarms"], json!(["2027-03-20T14:00:00+00:00"]));
    assert!(
        closing["description"]
            .as_str()
            .is_some_and(|d| d.contains("Board: 48 Elm Ave")),
        "{closing}"
    );
    assert_eq!(events[0]["rrule"], "FREQ=WEEKLY;BYDAY=MO");
    // The weekly meeting stays at 9:00 in New York across the change to
    // daylight saving time on 14 March.
    let meetings: Vec<&str> = cal["occurrences"]
        .as_array()
        .expect("occurrences")
        .iter()
        .filter(|o| o["uid"] == format!("{}@{}", ids[2], t.doc))
        .filter_map(|o| o["start"].as_str())
        .collect();
    assert_eq!(
        meetings,
        [
            "2027-03-01T14:00:00+00:00",
            "2027-03-08T14:00:00+00:00",
            "2027-03-15T13:00:00+00:00",
            "2027-03-22T13:00:00+00:00"
        ]
    );

    // Unchanged: 304 for the ETag.
    let (s, _, tag) = get(&relay, &path, None).await;
    assert_eq!(s, 200);
    let tag = tag.expect("etag");
    let (s, body, _) = get(&relay, &path, Some(&tag)).await;
    assert_eq!((s, body.as_str()), (304, ""));

    // A teammate completes the closing on another device: it leaves the
    // feed, and the ETag changes.
    let mut member = Client::connect(&relay.ws, &t.member).await;
    member.open(&t.doc, AutoCommit::new()).await;
    member.pump().await;
    let closing = ids[1].clone();
    edit_board(&mut member, &t.doc, |b| {
        b.edit_task(
            &closing,
            &[TaskEdit::Completed(Some(at("2027-03-19T12:00:00Z")))],
            "member",
            at("2027-03-19T12:00:00Z"),
        )
        .expect("edit");
        b.commit(
            &ChangeNote::for_task(
                "task.edit",
                "member",
                closing.as_str(),
                vec!["completed".into()],
            ),
            at("2027-03-19T12:00:00Z"),
        );
    })
    .await;
    member.pump().await;
    feed_until(&relay, &path, |b| !b.contains("Closing")).await;
    let (s, _, _) = get(&relay, &path, Some(&tag)).await;
    assert_eq!(s, 200, "the ETag did not change with the feed");
}

#[tokio::test]
async fn mine_boards_rotation_and_who_may_have_a_feed() {
    let relay = TestRelay::start().await;
    let t = team(&relay).await;
    let (am, _) = board_with_tasks(&t.doc);
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    owner.open(&t.doc, am).await;
    owner.pump().await;

    // Only the tasks assigned to the member (by account name).
    let mine = feed_path(
        &relay,
        t.id,
        &t.member,
        json!({ "mine": true, "board": t.doc }),
    )
    .await;
    let body = feed_until(&relay, &mine, |b| b.contains("BEGIN:VEVENT")).await;
    let cal = read_feed(
        &body,
        "2027-03-01T00:00:00+00:00",
        "2027-03-02T00:00:00+00:00",
    );
    let summaries: Vec<&str> = cal["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["summary"].as_str())
        .collect();
    assert_eq!(summaries, ["Team meeting"]);
    assert_eq!(cal["name"], "48 Elm Ave (Oak St team): mine");

    // A viewer may subscribe too.
    let viewer = feed_path(&relay, t.id, &t.viewer, json!({})).await;
    feed_until(&relay, &viewer, |b| b.contains("Home inspection")).await;

    // Rotating: the old address is gone, the new one works.
    let rotated = feed_path(
        &relay,
        t.id,
        &t.member,
        json!({ "mine": true, "board": t.doc, "rotate": true }),
    )
    .await;
    assert_ne!(rotated, mine);
    assert_eq!(get(&relay, &mine, None).await.0, 404);
    assert_eq!(get(&relay, &rotated, None).await.0, 200);

    // Not a feed: guesses, another team's board, an outsider, an API key.
    for bad in ["/ical/0123.ics", "/ical/zz.ics", "/ical/", "/ical/abc"] {
        assert_eq!(get(&relay, bad, None).await.0, 404, "{bad}");
    }
    let stranger = outsider(&relay, &t).await;
    let (s, body) = relay
        .post(
            &format!("/api/teams/{}/calendar", t.id),
            Some(&stranger),
            json!({}),
        )
        .await;
    assert_eq!(s, 404, "{body}");
    let (s, other) = relay
        .post(
            "/api/teams",
            Some(&stranger),
            json!({ "name": "Elsewhere" }),
        )
        .await;
    assert_eq!(s, 200, "{other}");
    let (s, body) = relay
        .post(
            &format!("/api/teams/{}/calendar", other["id"]),
            Some(&stranger),
            json!({ "board": t.doc }),
        )
        .await;
    assert_eq!(s, 404, "another team's board: {body}");
    let (s, key) = relay
        .post(
            &format!("/api/teams/{}/apikeys", t.id),
            Some(&t.owner),
            json!({ "name": "script", "scope": "read" }),
        )
        .await;
    assert_eq!(s, 200, "{key}");
    let (s, body) = relay
        .post(
            &format!("/api/teams/{}/calendar", t.id),
            key["key"].as_str(),
            json!({}),
        )
        .await;
    assert_eq!(s, 403, "{body}");

    // A member who leaves the team loses the feed.
    let member_id = relay.me(&t.member).await;
    let (s, body) = relay
        .call(
            reqwest::Method::DELETE,
            &format!("/api/teams/{}/members/{member_id}", t.id),
            Some(&t.owner),
            None,
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(get(&relay, &rotated, None).await.0, 404);
}

#[tokio::test]
async fn reindex_rebuilds_the_view_from_the_documents() {
    let relay = TestRelay::start().await;
    let t = team(&relay).await;
    let (am, _) = board_with_tasks(&t.doc);
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    owner.open(&t.doc, am).await;
    owner.pump().await;
    let path = feed_path(&relay, t.id, &t.owner, json!({})).await;
    let before = feed_until(&relay, &path, |b| b.contains("Team meeting")).await;
    let store = relay.store();
    store.clear_view().await.expect("clear");
    let (_, empty, _) = get(&relay, &path, None).await;
    assert!(!empty.contains("BEGIN:VEVENT"), "{empty}");
    let mut seen = Vec::new();
    let (boards, tasks) =
        porchlight_relay::view::reindex(&store, |done, all| seen.push((done, all)))
            .await
            .expect("reindex");
    assert_eq!((boards, tasks), (1, 5), "one board, all five tasks");
    assert_eq!(
        seen.last(),
        Some(&(2, 2)),
        "progress over both documents: {seen:?}"
    );
    let (_, after, _) = get(&relay, &path, None).await;
    assert_eq!(after, before);
}
