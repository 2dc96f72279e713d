//! The REST API for tasks (`/api/v1`): what a read key and a write key
//! may do, filters and pages, ETags, problem details, rate limits, and
//! that a write through the API is an Automerge change every synced
//! device receives and merges.

use crate::common;

use std::time::Duration;

use automerge::AutoCommit;
use chrono::Utc;
use common::{Client, TestRelay, at, outsider, team};
use porchlight_doc::{BoardDoc, ChangeNote, TaskEdit};
use porchlight_model::board::{Due, Recurrence, RecurrenceMode, RecurrenceRule, Task, WeekdayName};
use porchlight_model::ids::{ColumnId, DocumentId, TaskId};
use reqwest::Method;
use serde_json::{Value, json};

/// A board "48 Elm Ave" with columns To do and Done and five tasks.
fn board(doc: &str) -> AutoCommit {
    let id = DocumentId::parse(doc).expect("id");
    let now = at("2027-01-02T10:00:00Z");
    let todo = ColumnId::new("todo");
    let mut b = BoardDoc::create(
        AutoCommit::new(),
        id,
        "48 Elm Ave",
        &[
            (todo.clone(), "To do".into()),
            (ColumnId::new("done"), "Done".into()),
        ],
        None,
        now,
    )
    .expect("board");
    for (i, (title, label, who, due)) in [
        (
            "Order the appraisal",
            "escrow",
            "maria",
            "2027-01-10T15:00:00Z",
        ),
        (
            "Home inspection",
            "inspection",
            "joe",
            "2027-01-12T15:00:00Z",
        ),
        ("Book the movers", "moving", "joe", "2027-02-01T15:00:00Z"),
        (
            "Final walk-through",
            "closing",
            "maria",
            "2027-02-10T15:00:00Z",
        ),
        (
            "Water the staging plants",
            "staging",
            "maria",
            "2027-01-04T14:00:00Z",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let mut t = Task::new(id, title, todo.clone(), format!("a{i}"), "owner", now);
        t.labels = vec![label.into()];
        t.assignees = vec![who.into()];
        t.due = Some(Due::at_time(at(due), "America/New_York"));
        if title.starts_with("Water") {
            t.recurrence = Some(Recurrence {
                mode: RecurrenceMode::Schedule,
                rule: RecurrenceRule::OnDays {
                    days: vec![WeekdayName::Mon],
                },
            });
        }
        b.insert_task(&t).expect("insert");
    }
    b.commit(&ChangeNote::new("board.create", "owner"), now);
    b.into_doc()
}

struct Api<'a> {
    relay: &'a TestRelay,
}

impl Api<'_> {
    /// Status, headers and JSON body of a request with `key`.
    async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut req = reqwest::Client::new().request(method, format!("{}{path}", self.relay.base));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let h = resp.headers().clone();
        (status, h, resp.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str, key: &str) -> (u16, Value) {
        let (s, _, b) = self.call(Method::GET, path, Some(key), None, &[]).await;
        (s, b)
    }
}

async fn key(relay: &TestRelay, team: i64, token: &str, scope: &str) -> String {
    let (s, made) = relay
        .post(
            &format!("/api/teams/{team}/apikeys"),
            Some(token),
            json!({ "name": format!("{scope} script"), "scope": scope }),
        )
        .await;
    assert_eq!(s, 200, "{made}");
    made["key"].as_str().expect("key").to_string()
}

/// The titles of every open task, by pages of `limit`.
async fn all_titles(api: &Api<'_>, key: &str, query: &str, limit: u32) -> Vec<String> {
    let mut titles = Vec::new();
    let mut cursor = String::new();
    for _ in 0..50 {
        let sep = if query.is_empty() { "" } else { "&" };
        let (s, page) = api
            .get(
                &format!("/api/v1/tasks?limit={limit}{sep}{query}{cursor}"),
                key,
            )
            .await;
        assert_eq!(s, 200, "{page}");
        for t in page["tasks"].as_array().expect("tasks") {
            titles.push(t["title"].as_str().expect("title").to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return titles,
        }
    }
    panic!("the pages never ended");
}

/// Waits until the view holds `n` open tasks.
async fn wait_for_tasks(api: &Api<'_>, key: &str, n: usize) {
    for _ in 0..100 {
        if all_titles(api, key, "", 100).await.len() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the view never held {n} tasks");
}

/// The task titled `title` in the client's copy of `doc`.
fn task_in(client: &Client, doc: &str, title: &str) -> Option<Task> {
    let am = client.engine.document(doc)?.clone();
    BoardDoc::from_doc(am)
        .ok()?
        .tasks()
        .ok()?
        .into_iter()
        .find(|t| t.title == title)
}

#[tokio::test]
async fn read_and_write_keys_filters_pages_and_etags() {
    let relay = TestRelay::start().await;
    let api = Api { relay: &relay };
    let t = team(&relay).await;
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    owner.open(&t.doc, board(&t.doc)).await;
    owner.pump().await;
    let read = key(&relay, t.id, &t.owner, "read").await;
    let write = key(&relay, t.id, &t.owner, "write").await;

    // No key: 401, as problem details.
    let (s, h, body) = api
        .call(Method::GET, "/api/v1/tasks", None, None, &[])
        .await;
    assert_eq!(s, 401, "{body}");
    assert_eq!(h["content-type"], "application/problem+json");
    assert_eq!(body["status"], 401);
    assert_eq!(body["type"], "about:blank");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );

    let (s, boards) = api.get("/api/v1/boards", &read).await;
    assert_eq!(s, 200, "{boards}");
    wait_for_tasks(&api, &read, 5).await;
    let (_, boards) = api.get("/api/v1/boards", &read).await;
    assert_eq!(
        boards,
        json!([{ "id": t.doc, "name": "48 Elm Ave", "team": t.id }])
    );

    // Filters.
    let mut joe = all_titles(&api, &read, "assignee=joe", 100).await;
    joe.sort();
    assert_eq!(joe, ["Book the movers", "Home inspection"]);
    assert_eq!(
        all_titles(&api, &read, "label=%23closing", 100).await,
        ["Final walk-through"]
    );
    let mut january = all_titles(
        &api,
        &read,
        "due_before=2027-02-01&due_after=2027-01-05",
        100,
    )
    .await;
    january.sort();
    assert_eq!(january, ["Home inspection", "Order the appraisal"]);
    // Pages of two give the same five, once each.
    let mut paged = all_titles(&api, &read, "", 2).await;
    let mut whole = all_titles(&api, &read, "", 100).await;
    paged.sort();
    whole.sort();
    assert_eq!(paged, whole);
    assert_eq!(whole.len(), 5);
    for bad in [
        "limit=0",
        "limit=501",
        "cursor=zz",
        "due_before=soon",
        "board=nope",
    ] {
        let (s, _, body) = api
            .call(
                Method::GET,
                &format!("/api/v1/tasks?{bad}"),
                Some(&read),
                None,
                &[],
            )
            .await;
        assert!(s == 400 || s == 404, "{bad}: {s} {body}");
        assert!(body["detail"].as_str().is_some(), "{bad}: {body}");
    }

    // A read key cannot write.
    let new = json!({ "title": "Order the yard sign", "due": "2027-01-20", "tz": "America/New_York", "labels": ["marketing"], "assignees": ["@joe"] });
    let (s, _, body) = api
        .call(
            Method::POST,
            &format!("/api/v1/boards/{}/tasks", t.doc),
            Some(&read),
            Some(new.clone()),
            &[],
        )
        .await;
    assert_eq!(s, 403, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("--scope write")),
        "{body}"
    );

    // A write key adds a task; the owner's open connection receives it.
    let (s, h, made) = api
        .call(
            Method::POST,
            &format!("/api/v1/boards/{}/tasks", t.doc),
            Some(&write),
            Some(new),
            &[],
        )
        .await;
    assert_eq!(s, 201, "{made}");
    let id = made["id"].as_str().expect("id").to_string();
    assert_eq!(
        h["location"].to_str().expect("location"),
        format!("/api/v1/boards/{}/tasks/{id}", t.doc)
    );
    assert_eq!(made["created_by"], "api:write script");
    assert_eq!(made["due"]["all_day"], true);
    assert_eq!(made["due"]["date"], "2027-01-20");
    assert_eq!(made["assignees"], json!(["joe"]));
    owner.pump().await;
    let synced =
        task_in(&owner, &t.doc, "Order the yard sign").expect("the owner has the new task");
    assert_eq!(synced.id.to_string(), id);
    assert_eq!(synced.labels, ["marketing"]);

    // Read it back at once (the view is written with the change), with
    // its ETag, and 304 for that ETag.
    let path = format!("/api/v1/boards/{}/tasks/{id}", t.doc);
    let (s, h, got) = api.call(Method::GET, &path, Some(&read), None, &[]).await;
    assert_eq!(s, 200, "{got}");
    assert_eq!(got, made);
    let tag = h["etag"].to_str().expect("etag").to_string();
    let (s, _, _) = api
        .call(
            Method::GET,
            &path,
            Some(&read),
            None,
            &[("if-none-match", &tag)],
        )
        .await;
    assert_eq!(s, 304);

    // The owner edits the description offline while the API changes the
    // title: both survive.
    let tid = TaskId::new(id.clone());
    {
        let am = std::mem::take(owner.engine.document_mut(&t.doc).expect("doc"));
        let mut b = BoardDoc::from_doc(am).expect("board");
        b.edit_task(
            &tid,
            &[TaskEdit::Description("Two signs: front and corner".into())],
            "owner",
            Utc::now(),
        )
        .expect("edit");
        b.commit(
            &ChangeNote::for_task("task.edit", "owner", &id, vec!["description".into()]),
            Utc::now(),
        );
        *owner.engine.document_mut(&t.doc).expect("doc") = b.into_doc();
    }
    let (s, _, body) = api
        .call(
            Method::PATCH,
            &path,
            Some(&write),
            Some(json!({ "title": "x" })),
            &[("if-match", "\"stale\"")],
        )
        .await;
    assert_eq!(s, 412, "{body}");
    let (s, h, patched) = api
        .call(
            Method::PATCH,
            &path,
            Some(&write),
            Some(json!({ "title": "Order two yard signs", "add_labels": ["urgent"], "column": "Done", "due": null })),
            &[("if-match", &tag)],
        )
        .await;
    assert_eq!(s, 200, "{patched}");
    assert_ne!(h["etag"].to_str().expect("etag"), tag);
    assert_eq!(patched["due"], Value::Null);
    assert_eq!(patched["column"], "done");
    assert_eq!(patched["labels"], json!(["marketing", "urgent"]));
    let effects = owner.engine.local_change(&t.doc);
    owner.perform(effects).await;
    owner.pump().await;
    let merged = task_in(&owner, &t.doc, "Order two yard signs").expect("merged");
    assert_eq!(merged.description, "Two signs: front and corner");
    for _ in 0..50 {
        let (_, now) = api.get(&path, &read).await;
        if now["description"] == "Two signs: front and corner" {
            assert_eq!(now["title"], "Order two yard signs");
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, now) = api.get(&path, &read).await;
    assert_eq!(
        now["description"], "Two signs: front and corner",
        "the view did not follow the owner's edit"
    );

    // Bad input, named.
    for (body, says) in [
        (json!({ "title": "" }), "title"),
        (json!({ "title": "ok", "due": "next week" }), "due"),
        (
            json!({ "title": "ok", "tz": "Mars/Olympus", "due": "2027-01-01" }),
            "time zone",
        ),
        (json!({ "title": "ok", "column": "Nowhere" }), "column"),
        (json!({ "title": "ok", "priority": "asap" }), "priority"),
        (json!({ "titel": "typo" }), "titel"),
    ] {
        let (s, h, answer) = api
            .call(
                Method::POST,
                &format!("/api/v1/boards/{}/tasks", t.doc),
                Some(&write),
                Some(body.clone()),
                &[],
            )
            .await;
        assert_eq!(s, 400, "{body}: {answer}");
        assert_eq!(h["content-type"], "application/problem+json");
        assert!(
            answer["detail"].as_str().is_some_and(|d| d.contains(says)),
            "{body}: {answer}"
        );
    }
}

#[tokio::test]
async fn complete_comment_repeat_and_other_teams() {
    let relay = TestRelay::start().await;
    let api = Api { relay: &relay };
    let t = team(&relay).await;
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    owner.open(&t.doc, board(&t.doc)).await;
    owner.pump().await;
    let write = key(&relay, t.id, &t.owner, "write").await;
    wait_for_tasks(&api, &write, 5).await;
    let (_, page) = api.get("/api/v1/tasks?label=staging", &write).await;
    let water = page["tasks"][0]["id"].as_str().expect("id").to_string();
    let (_, page) = api.get("/api/v1/tasks?label=escrow", &write).await;
    let appraisal = page["tasks"][0]["id"].as_str().expect("id").to_string();

    let (s, _, done) = api
        .call(
            Method::POST,
            &format!("/api/v1/boards/{}/tasks/{appraisal}/complete", t.doc),
            Some(&write),
            None,
            &[],
        )
        .await;
    assert_eq!(s, 200, "{done}");
    assert!(done["completed_at"].is_string(), "{done}");
    // A repeating task comes back on its next date, as in the app; the
    // view holds the new instance too.
    let (s, _, done) = api
        .call(
            Method::POST,
            &format!("/api/v1/boards/{}/tasks/{water}/complete", t.doc),
            Some(&write),
            None,
            &[],
        )
        .await;
    assert_eq!(s, 200, "{done}");
    let mut found = Value::Null;
    for _ in 0..50 {
        let (_, page) = api.get("/api/v1/tasks?label=staging", &write).await;
        if let Some(next) = page["tasks"]
            .as_array()
            .and_then(|a| a.iter().find(|t| t["id"] != water.as_str()))
        {
            found = next.clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        found["title"], "Water the staging plants",
        "no next instance in the view"
    );
    assert!(found["completed_at"].is_null());
    let (_, open) = api.get("/api/v1/tasks", &write).await;
    assert_eq!(open["tasks"].as_array().map(Vec::len), Some(4), "{open}");
    let (_, all) = api.get("/api/v1/tasks?include_done=true", &write).await;
    assert_eq!(all["tasks"].as_array().map(Vec::len), Some(6), "{all}");

    let comments = format!("/api/v1/boards/{}/tasks/{appraisal}/comments", t.doc);
    let (s, _, c) = api
        .call(
            Method::POST,
            &comments,
            Some(&write),
            Some(json!({ "text": "Appraisal came in at asking." })),
            &[],
        )
        .await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["author"], "api:write script");
    let (s, _, _) = api
        .call(
            Method::POST,
            &comments,
            Some(&write),
            Some(json!({ "text": "  " })),
            &[],
        )
        .await;
    assert_eq!(s, 400);
    owner.pump().await;
    let synced = task_in(&owner, &t.doc, "Order the appraisal").expect("task");
    assert_eq!(synced.comments.len(), 1);
    assert!(synced.completed_at.is_some());

    // Another team's board and task answer like unknown ones.
    let stranger = outsider(&relay, &t).await;
    let (s, other) = relay
        .post(
            "/api/teams",
            Some(&stranger),
            json!({ "name": "Elsewhere" }),
        )
        .await;
    assert_eq!(s, 200, "{other}");
    let theirs = key(
        &relay,
        other["id"].as_i64().expect("id"),
        &stranger,
        "write",
    )
    .await;
    for (method, path) in [
        (
            Method::GET,
            format!("/api/v1/boards/{}/tasks/{appraisal}", t.doc),
        ),
        (
            Method::PATCH,
            format!("/api/v1/boards/{}/tasks/{appraisal}", t.doc),
        ),
        (
            Method::POST,
            format!("/api/v1/boards/{}/tasks/{appraisal}/complete", t.doc),
        ),
        (Method::POST, format!("/api/v1/boards/{}/tasks", t.doc)),
        (Method::GET, format!("/api/v1/tasks?board={}", t.doc)),
    ] {
        let (s, _, body) = api
            .call(
                method.clone(),
                &path,
                Some(&theirs),
                Some(json!({ "title": "mine now" })),
                &[],
            )
            .await;
        assert_eq!(s, 404, "{method} {path}: {body}");
    }
    let (_, boards) = api.get("/api/v1/boards", &theirs).await;
    assert_eq!(boards, json!([]));
    // Unknown task on our own board: 404 too.
    let (s, _, _) = api
        .call(
            Method::GET,
            &format!("/api/v1/boards/{}/tasks/nope", t.doc),
            Some(&write),
            None,
            &[],
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn each_key_has_a_rate_limit_with_headers() {
    let dir = tempfile::tempdir().expect("dir");
    let relay = TestRelay::start_with(dir.path(), |c| c.limits.api_requests_per_minute = 3).await;
    let api = Api { relay: &relay };
    let t = team(&relay).await;
    let a = key(&relay, t.id, &t.owner, "read").await;
    let b = key(&relay, t.id, &t.owner, "read").await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let (s, h, body) = api
            .call(Method::GET, "/api/v1/boards", Some(&a), None, &[])
            .await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(h["ratelimit-limit"], "3");
        remaining.push(
            h["ratelimit-remaining"]
                .to_str()
                .expect("remaining")
                .to_string(),
        );
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let (s, h, body) = api
        .call(Method::GET, "/api/v1/boards", Some(&a), None, &[])
        .await;
    assert_eq!(s, 429, "{body}");
    assert!(h.contains_key("retry-after"));
    assert_eq!(h["content-type"], "application/problem+json");
    // Another key has its own allowance.
    let (s, _, _) = api
        .call(Method::GET, "/api/v1/boards", Some(&b), None, &[])
        .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn tasks_added_through_the_api_go_to_the_bottom_even_after_a_device_added_one() {
    let relay = TestRelay::start().await;
    let t = team(&relay).await;
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    owner.open(&t.doc, board(&t.doc)).await;
    owner.pump().await;
    let write = key(&relay, t.id, &t.owner, "write").await;
    let api = Api { relay: &relay };
    let add = |title: &'static str| {
        let api = &api;
        let (write, doc) = (write.clone(), t.doc.clone());
        async move {
            let (s, _, body) = api
                .call(
                    Method::POST,
                    &format!("/api/v1/boards/{doc}/tasks"),
                    Some(&write),
                    Some(json!({ "title": title })),
                    &[],
                )
                .await;
            assert_eq!(s, 201, "{body}");
        }
    };
    add("First by the API").await;
    add("Second by the API").await;
    owner.pump().await;
    // A device puts a task at the very bottom.
    {
        let am = std::mem::take(owner.engine.document_mut(&t.doc).expect("doc"));
        let mut b = BoardDoc::from_doc(am).expect("board");
        let now = Utc::now();
        let mut task = Task::new(
            DocumentId::parse(&t.doc).expect("id"),
            "By a device",
            ColumnId::new("todo"),
            "zzzz",
            "owner",
            now,
        );
        task.id = TaskId::random();
        b.insert_task(&task).expect("insert");
        b.commit(
            &ChangeNote::for_task("task.add", "owner", task.id.as_str(), vec![]),
            now,
        );
        *owner.engine.document_mut(&t.doc).expect("doc") = b.into_doc();
    }
    let effects = owner.engine.local_change(&t.doc);
    owner.perform(effects).await;
    owner.pump().await;
    add("Third by the API").await;
    owner.pump().await;
    let pos = |title: &str| task_in(&owner, &t.doc, title).expect(title).position;
    assert!(pos("First by the API") < pos("Second by the API"));
    assert!(pos("Second by the API") < pos("By a device"));
    assert!(
        pos("By a device") < pos("Third by the API"),
        "the API put a task above the device's: {} vs {}",
        pos("By a device"),
        pos("Third by the API")
    );
}
