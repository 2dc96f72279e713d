//! Webhooks: events from API writes, synced edits and joins reach a
//! receiver on loopback, signed as the Standard Webhooks spec says (checked
//! here with an HMAC of our own); filters, chat formats, the delivery log,
//! retries and giving up, and the targets a webhook may not reach.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use automerge::AutoCommit;
use base64::Engine as _;
use common::{Client, TestRelay, team};
use hmac::{Hmac, Mac};
use porchlight_doc::{BoardDoc, ChangeNote, TaskEdit};
use porchlight_model::board::Task;
use porchlight_model::ids::{ColumnId, DocumentId, TaskId};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

/// What a receiver heard: headers of interest and the body.
#[derive(Debug, Clone)]
struct Heard {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

/// A webhook receiver on loopback answering `statuses` in turn (then 200).
struct Receiver {
    url: String,
    heard: Arc<Mutex<Vec<Heard>>>,
}

async fn receiver(statuses: Vec<u16>) -> Receiver {
    let heard: Arc<Mutex<Vec<Heard>>> = Arc::default();
    let queue = Arc::new(Mutex::new(statuses));
    let (h, q) = (heard.clone(), queue.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let (h, q) = (h.clone(), q.clone());
            async move {
                let get = |k: &str| {
                    headers
                        .get(k)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string()
                };
                h.lock().expect("lock").push(Heard {
                    id: get("webhook-id"),
                    timestamp: get("webhook-timestamp"),
                    signature: get("webhook-signature"),
                    body,
                });
                let mut q = q.lock().expect("lock");
                let status = if q.is_empty() { 200 } else { q.remove(0) };
                axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver {
        url: format!("http://{addr}/hook"),
        heard,
    }
}

impl Receiver {
    /// Waits until an event of `kind` has arrived; its parsed body.
    async fn wait_for(&self, kind: &str) -> (Heard, Value) {
        for _ in 0..100 {
            let found = self.heard.lock().expect("lock").iter().find_map(|h| {
                let v: Value = serde_json::from_str(&h.body).ok()?;
                (v["type"] == kind || v.to_string().contains(kind)).then(|| (h.clone(), v))
            });
            if let Some(f) = found {
                return f;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "no {kind} arrived; heard {:?}",
            self.heard.lock().expect("lock")
        );
    }

    fn kinds(&self) -> Vec<String> {
        self.heard
            .lock()
            .expect("lock")
            .iter()
            .filter_map(|h| serde_json::from_str::<Value>(&h.body).ok())
            .map(|v| v["type"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

/// The Standard Webhooks check, written independently of the relay's.
fn verify(secret: &str, heard: &Heard) {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").expect("prefix"))
        .expect("base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
    mac.update(format!("{}.{}.{}", heard.id, heard.timestamp, heard.body).as_bytes());
    let want = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    assert_eq!(heard.signature, want, "bad signature on {}", heard.body);
    // Every signed body is the documented schema (WebhookEvent in the
    // OpenAPI document), no field more or less.
    if let Err(e) = serde_json::from_str::<porchlight_api::webhooks::WebhookEvent>(&heard.body) {
        panic!("a body not as documented ({e}): {}", heard.body);
    }
    let ts: i64 = heard.timestamp.parse().expect("timestamp");
    assert!((chrono::Utc::now().timestamp() - ts).abs() < 60);
    assert!(heard.id.starts_with("msg_"), "{}", heard.id);
}

async fn add_hook(relay: &TestRelay, team: i64, token: &str, body: Value) -> (u16, Value) {
    relay
        .post(&format!("/api/teams/{team}/webhooks"), Some(token), body)
        .await
}

fn board(doc: &str) -> AutoCommit {
    let now = chrono::Utc::now();
    let (mut b, id, todo) = common::elm_board(doc, now);
    let t = Task::new(id, "Order the appraisal", todo, "a", "owner", now);
    b.insert_task(&t).expect("insert");
    b.commit(&ChangeNote::new("board.create", "owner"), now);
    b.into_doc()
}

#[tokio::test]
async fn events_reach_the_receiver_signed_filtered_and_logged() {
    let dir = tempfile::tempdir().expect("dir");
    let relay =
        TestRelay::start_with(dir.path(), |c| c.limits.webhook_private_targets = true).await;
    let t = team(&relay).await;
    let all = receiver(vec![]).await;
    let done_only = receiver(vec![]).await;
    let slack = receiver(vec![]).await;
    let (s, made) = add_hook(&relay, t.id, &t.owner, json!({ "url": all.url })).await;
    assert_eq!(s, 200, "{made}");
    let secret = made["secret"].as_str().expect("secret").to_string();
    assert!(secret.starts_with("whsec_"));
    let hook = made["info"]["id"].as_i64().expect("id");
    let (s, made2) = add_hook(
        &relay,
        t.id,
        &t.owner,
        json!({ "url": done_only.url, "events": ["task.completed"] }),
    )
    .await;
    assert_eq!(s, 200, "{made2}");
    let (s, _) = add_hook(
        &relay,
        t.id,
        &t.owner,
        json!({ "url": slack.url, "format": "slack", "events": ["task.completed"] }),
    )
    .await;
    assert_eq!(s, 200);
    // The list never shows a secret.
    let (s, list) = relay
        .call(
            Method::GET,
            &format!("/api/teams/{}/webhooks", t.id),
            Some(&t.owner),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(list.as_array().map(Vec::len), Some(3));
    assert!(!list.to_string().contains("whsec_"), "{list}");
    // A member may not manage them.
    let (s, _) = add_hook(&relay, t.id, &t.member, json!({ "url": all.url })).await;
    assert_eq!(s, 403);

    // The board arrives by sync: its task is announced as created.
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    owner.open(&t.doc, board(&t.doc)).await;
    owner.pump().await;
    let (heard, v) = all.wait_for("task.created").await;
    verify(&secret, &heard);
    assert_eq!(v["version"], 1);
    assert_eq!(v["team"], t.id);
    assert_eq!(v["board"]["name"], "48 Elm Ave");
    assert_eq!(v["data"]["task"]["title"], "Order the appraisal");
    let task_id = v["data"]["task"]["id"].as_str().expect("id").to_string();

    // An edit on a device: task.updated with the changed fields, and
    // task.assigned.
    let am = std::mem::take(owner.engine.document_mut(&t.doc).expect("doc"));
    let mut b = BoardDoc::from_doc(am).expect("board");
    let tid = TaskId::new(task_id.clone());
    let now = chrono::Utc::now();
    b.edit_task(
        &tid,
        &[
            TaskEdit::Title("Order the appraisal today".into()),
            TaskEdit::AddAssignee("joe".into()),
        ],
        "owner",
        now,
    )
    .expect("edit");
    b.commit(
        &ChangeNote::for_task(
            "task.edit",
            "owner",
            &task_id,
            vec!["title".into(), "assignees".into()],
        ),
        now,
    );
    *owner.engine.document_mut(&t.doc).expect("doc") = b.into_doc();
    let effects = owner.engine.local_change(&t.doc);
    owner.perform(effects).await;
    owner.pump().await;
    let (heard, v) = all.wait_for("task.updated").await;
    verify(&secret, &heard);
    let mut changed: Vec<&str> = v["data"]["changed"]
        .as_array()
        .expect("changed")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    changed.sort();
    assert_eq!(changed, ["assignees", "title"]);
    let (_, v) = all.wait_for("task.assigned").await;
    assert_eq!(v["data"]["assigned"], json!(["joe"]));

    // Through the REST API: a comment and the completion.
    let (_, key) = relay
        .post(
            &format!("/api/teams/{}/apikeys", t.id),
            Some(&t.owner),
            json!({ "name": "Zapier", "scope": "write" }),
        )
        .await;
    let key = key["key"].as_str().expect("key").to_string();
    let (s, body) = relay
        .post(
            &format!("/api/v1/boards/{}/tasks/{task_id}/comments", t.doc),
            Some(&key),
            json!({ "text": "Lender says Friday." }),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let (_, v) = all.wait_for("comment.added").await;
    assert_eq!(v["data"]["comment"]["text"], "Lender says Friday.");
    assert_eq!(v["data"]["comment"]["author"], "api:Zapier");
    let (s, body) = relay
        .call(
            Method::POST,
            &format!("/api/v1/boards/{}/tasks/{task_id}/complete", t.doc),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (heard, _) = done_only.wait_for("task.completed").await;
    verify(made2["secret"].as_str().expect("secret"), &heard);
    let (heard, v) = slack.wait_for("completed").await;
    assert_eq!(
        v["text"], "api:Zapier completed “Order the appraisal today” on 48 Elm Ave",
        "{}",
        heard.body
    );
    all.wait_for("task.completed").await;
    // Each event once (the API's write and the indexer's refresh do not
    // both announce it).
    tokio::time::sleep(Duration::from_millis(800)).await;
    let kinds = all.kinds();
    assert_eq!(
        kinds.iter().filter(|k| *k == "task.completed").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| *k == "comment.added").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(done_only.kinds(), ["task.completed"]);

    // Renaming joe on the board is no assignment and no edit of the task.
    let before = all.kinds();
    let am = std::mem::take(owner.engine.document_mut(&t.doc).expect("doc"));
    let mut b = BoardDoc::from_doc(am).expect("board");
    b.rename_person("joe", "joe.b").expect("rename");
    b.commit(
        &ChangeNote::new("person.rename", "owner"),
        chrono::Utc::now(),
    );
    *owner.engine.document_mut(&t.doc).expect("doc") = b.into_doc();
    let effects = owner.engine.local_change(&t.doc);
    owner.perform(effects).await;
    owner.pump().await;
    // The view's rows (and so the REST API) show the new name.
    let renamed = relay
        .view_until(&t.doc, |rows| {
            rows.iter().any(|r| r.data.contains("\"joe.b\""))
        })
        .await;
    assert!(renamed, "the view's rows keep the old name");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(all.kinds(), before, "a rename announces nothing");

    // A member joins: member.joined.
    let (_, inv) = relay
        .post(
            &format!("/api/teams/{}/invites", t.id),
            Some(&t.owner),
            json!({ "role": "member" }),
        )
        .await;
    relay.account("ana@example.com", inv["code"].as_str()).await;
    let (_, v) = all.wait_for("member.joined").await;
    assert_eq!(v["data"]["member"]["name"], "ana");

    // The test button, and the log.
    let (s, id) = relay
        .call(
            Method::POST,
            &format!("/api/teams/{}/webhooks/{hook}/test", t.id),
            Some(&t.owner),
            None,
        )
        .await;
    assert_eq!(s, 200, "{id}");
    let (heard, _) = all.wait_for("webhook.test").await;
    assert_eq!(json!(heard.id), id);
    let (s, log) = relay
        .call(
            Method::GET,
            &format!("/api/teams/{}/webhooks/{hook}/deliveries?limit=100", t.id),
            Some(&t.owner),
            None,
        )
        .await;
    assert_eq!(s, 200, "{log}");
    let log = log.as_array().expect("log");
    assert!(log.len() >= 6, "{log:?}");
    assert!(
        log.iter()
            .all(|d| d["state"] == "delivered" && d["last_status"] == 200 && d["attempts"] == 1),
        "{log:?}"
    );

    // Removed: nothing more arrives.
    let (s, _) = relay
        .call(
            Method::DELETE,
            &format!("/api/teams/{}/webhooks/{hook}", t.id),
            Some(&t.owner),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let before = all.kinds().len();
    let (s, _) = relay
        .call(
            Method::POST,
            &format!("/api/v1/boards/{}/tasks", t.doc),
            Some(&key),
            Some(json!({ "title": "Another" })),
        )
        .await;
    assert_eq!(s, 201);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(all.kinds().len(), before);
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_backoff_and_disabled_after_a_day() {
    use porchlight_relay::store::{Delivery, Outcome, Webhook};
    let failing = receiver(vec![503, 503]).await;
    let hook = Webhook {
        id: 1,
        team: 1,
        url: failing.url.clone(),
        secret: porchlight_relay::webhooks::new_secret(),
        events: vec![],
        board: String::new(),
        format: "standard".into(),
        created_by: 1,
        created_at: 0,
        disabled_at: None,
    };
    let now = chrono::Utc::now().timestamp_millis();
    let fresh = Delivery {
        id: 1,
        hook: hook.clone(),
        event_id: "msg_1".into(),
        event: "task.created".into(),
        body: "{}".into(),
        attempts: 0,
        created_at: now,
    };
    match porchlight_relay::webhooks::attempt(&fresh, true, &Default::default()).await {
        Outcome::Retry {
            next_at, status, ..
        } => {
            assert_eq!(status, Some(503));
            let wait = next_at - now;
            assert!(
                (10_000..=13_000).contains(&wait),
                "first retry after {wait} ms"
            );
        }
        other => panic!("{other:?}"),
    }
    // A day old: given up.
    let old = Delivery {
        created_at: now - porchlight_relay::webhooks::GIVE_UP_MS,
        attempts: 17,
        ..fresh.clone()
    };
    assert!(matches!(
        porchlight_relay::webhooks::attempt(&old, true, &Default::default()).await,
        Outcome::Failed {
            status: Some(503),
            ..
        }
    ));
    // The third answer is 200.
    assert!(matches!(
        porchlight_relay::webhooks::attempt(&fresh, true, &Default::default()).await,
        Outcome::Delivered { status: 200, .. }
    ));
    // Nobody listening: a retry that says so.
    let gone = Delivery {
        hook: Webhook {
            url: "http://127.0.0.1:9/hook".into(),
            ..hook.clone()
        },
        ..fresh.clone()
    };
    match porchlight_relay::webhooks::attempt(&gone, true, &Default::default()).await {
        Outcome::Retry {
            error,
            status: None,
            ..
        } => assert!(error.contains("connect"), "{error}"),
        other => panic!("{other:?}"),
    }
    // Private targets refused unless the relay allows them, at send time too.
    match porchlight_relay::webhooks::attempt(&fresh, false, &Default::default()).await {
        Outcome::Retry { error, .. } => {
            assert!(error.contains("webhook_private_targets"), "{error}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_failed_delivery_disables_the_endpoint_and_the_log_says_why() {
    use porchlight_relay::store::Outcome;
    let dir = tempfile::tempdir().expect("dir");
    let relay =
        TestRelay::start_with(dir.path(), |c| c.limits.webhook_private_targets = true).await;
    let t = team(&relay).await;
    let dead = receiver(vec![500; 100]).await;
    let (s, made) = add_hook(&relay, t.id, &t.owner, json!({ "url": dead.url })).await;
    assert_eq!(s, 200, "{made}");
    let hook = made["info"]["id"].as_i64().expect("id");
    let store = relay.store();
    let (s, _) = relay
        .call(
            Method::POST,
            &format!("/api/teams/{}/webhooks/{hook}/test", t.id),
            Some(&t.owner),
            None,
        )
        .await;
    assert_eq!(s, 200);
    dead.wait_for("webhook.test").await;
    // The first attempt failed: pending, retried later, with the status.
    let mut log = Value::Null;
    for _ in 0..50 {
        let (_, l) = relay
            .call(
                Method::GET,
                &format!("/api/teams/{}/webhooks/{hook}/deliveries", t.id),
                Some(&t.owner),
                None,
            )
            .await;
        if l[0]["attempts"] == 1 {
            log = l;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(log[0]["state"], "pending", "{log}");
    assert_eq!(log[0]["last_status"], 500, "{log}");
    assert!(
        log[0]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("500")),
        "{log}"
    );
    // Giving up disables the endpoint (as the delivery task does after a day).
    let id = log[0]["id"].as_i64().expect("id");
    store
        .finish_deliveries(&[(
            id,
            hook,
            Outcome::Failed {
                status: Some(500),
                error: "the receiver answered 500".into(),
                latency_ms: 3,
            },
        )])
        .await
        .expect("finish");
    let (_, list) = relay
        .call(
            Method::GET,
            &format!("/api/teams/{}/webhooks", t.id),
            Some(&t.owner),
            None,
        )
        .await;
    assert!(list[0]["disabled_at"].is_i64(), "{list}");
    let (_, log) = relay
        .call(
            Method::GET,
            &format!("/api/teams/{}/webhooks/{hook}/deliveries", t.id),
            Some(&t.owner),
            None,
        )
        .await;
    assert_eq!(log[0]["state"], "failed", "{log}");
}

#[tokio::test]
async fn targets_a_webhook_may_not_reach() {
    let relay = TestRelay::start().await;
    let t = team(&relay).await;
    for (url, says) in [
        ("http://hooks.example.com/x", "https://"),
        ("http://127.0.0.1:9000/hook", "webhook_private_targets"),
        ("https://10.0.0.5/hook", "webhook_private_targets"),
        (
            "https://169.254.169.254/latest/meta-data",
            "webhook_private_targets",
        ),
        ("https://user:pw@hooks.example.com/x", "user name"),
        ("ftp://hooks.example.com/x", "https"),
        ("not a url", "not a URL"),
    ] {
        let (s, body) = add_hook(&relay, t.id, &t.owner, json!({ "url": url })).await;
        assert_eq!(s, 400, "{url}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| m.contains(says)),
            "{url}: {body}"
        );
    }
    let (s, body) = add_hook(
        &relay,
        t.id,
        &t.owner,
        json!({ "url": "https://127.0.0.1/x", "events": ["task.exploded"] }),
    )
    .await;
    assert_eq!(s, 400, "{body}");
}

/// Applies `edit` to the client's copy of the listing shard `doc`, commits
/// and sends it.
async fn edit_shard(
    client: &mut Client,
    doc: &str,
    edit: impl FnOnce(&mut porchlight_doc::ListingShardDoc),
) {
    let am = std::mem::take(client.engine.document_mut(doc).expect("doc"));
    let mut shard = porchlight_doc::ListingShardDoc::from_doc(am).expect("shard");
    edit(&mut shard);
    shard.commit(
        &ChangeNote::new("listings.import", "owner"),
        chrono::Utc::now(),
    );
    *client.engine.document_mut(doc).expect("doc") = shard.into_doc();
    let effects = client.engine.local_change(doc);
    client.perform(effects).await;
}

#[tokio::test]
async fn a_price_or_status_change_in_the_shared_listing_cache_is_listing_changed() {
    use porchlight_model::listing::{Listing, StandardStatus};
    let dir = tempfile::tempdir().expect("dir");
    let relay =
        TestRelay::start_with(dir.path(), |c| c.limits.webhook_private_targets = true).await;
    let t = team(&relay).await;
    let r = receiver(vec![]).await;
    let (s, made) = add_hook(
        &relay,
        t.id,
        &t.owner,
        json!({ "url": r.url, "events": ["listing.changed"] }),
    )
    .await;
    assert_eq!(s, 200, "{made}");
    let secret = made["secret"].as_str().expect("secret").to_string();
    let listing = |key: &str, address: &str, price: f64, status| Listing {
        listing_key: key.into(),
        listing_id: Some(format!("MLS-{key}")),
        unparsed_address: Some(address.into()),
        city: Some("Denver".into()),
        list_price: Some(price),
        standard_status: Some(status),
        ..Listing::default()
    };
    let id = DocumentId::parse(&t.doc).expect("id");
    let mut shard = porchlight_doc::ListingShardDoc::create(
        AutoCommit::new(),
        id,
        DocumentId::random(),
        "reso-demo",
        3,
    )
    .expect("shard");
    shard
        .put_listing(&listing(
            "K1",
            "48 Elm Ave",
            500_000.0,
            StandardStatus::Active,
        ))
        .expect("put");
    shard
        .put_listing(&listing(
            "K2",
            "12 Oak St",
            300_000.0,
            StandardStatus::Active,
        ))
        .expect("put");
    shard.commit(
        &ChangeNote::new("listings.import", "owner"),
        chrono::Utc::now(),
    );
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    owner.open(&t.doc, shard.into_doc()).await;
    owner.pump().await;
    let state = relay.state();
    for _ in 0..100 {
        if state
            .store
            .view_listings_of(&t.doc, None)
            .await
            .expect("view")
            .len()
            == 2
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        state
            .store
            .view_listings_of(&t.doc, None)
            .await
            .expect("view")
            .len(),
        2
    );

    // The price drops and the status moves on one; the other gets only a
    // team note (not an MLS change); a third listing arrives.
    edit_shard(&mut owner, &t.doc, |s| {
        s.put_listing(&listing(
            "K1",
            "48 Elm Ave",
            480_000.0,
            StandardStatus::Pending,
        ))
        .expect("put");
        s.add_note(
            "K2",
            &porchlight_doc::listing_shard::ListingNote {
                id: "n1".into(),
                author: "owner".into(),
                at: chrono::Utc::now(),
                text: "Lockbox on the side door".into(),
            },
        )
        .expect("note");
        s.put_listing(&listing(
            "K3",
            "7 Pine Ct",
            250_000.0,
            StandardStatus::ComingSoon,
        ))
        .expect("put");
    })
    .await;
    owner.pump().await;
    let (heard, v) = r.wait_for("listing.changed").await;
    verify(&secret, &heard);
    assert_eq!(v["data"]["listing"]["key"], "K1");
    assert_eq!(v["data"]["listing"]["address"], "48 Elm Ave");
    assert_eq!(v["data"]["listing"]["source"], "reso-demo");
    assert_eq!(v["data"]["listing"]["list_price"], 480_000.0);
    assert_eq!(v["data"]["listing"]["status"], "Pending");
    assert_eq!(
        v["data"]["previous"],
        json!({ "list_price": 500_000.0, "status": "Active" })
    );
    assert_eq!(v["data"]["changed"], json!(["list_price", "status"]));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        r.kinds(),
        ["listing.changed"],
        "one event: not the note, not the new listing"
    );
    assert_eq!(
        state
            .store
            .view_listings_of(&t.doc, None)
            .await
            .expect("view")
            .len(),
        3
    );
}

#[tokio::test]
async fn one_change_seen_by_the_api_and_by_the_view_is_delivered_once() {
    let dir = tempfile::tempdir().expect("dir");
    let relay =
        TestRelay::start_with(dir.path(), |c| c.limits.webhook_private_targets = true).await;
    let t = team(&relay).await;
    let r = receiver(vec![]).await;
    let (s, _) = add_hook(&relay, t.id, &t.owner, json!({ "url": r.url })).await;
    assert_eq!(s, 200);
    let board = DocumentId::parse(&t.doc).expect("id");
    let now = chrono::Utc::now();
    let task = Task::new(
        board,
        "Order the appraisal",
        ColumnId::new("todo"),
        "a0",
        "owner",
        now,
    );
    // The REST API and the indexer both compute the events of this change.
    let api = porchlight_relay::webhooks::task_events(t.id, (&t.doc, "48 Elm Ave"), None, &task);
    let view = porchlight_relay::webhooks::task_events(t.id, (&t.doc, "48 Elm Ave"), None, &task);
    assert_eq!(api.len(), 1);
    assert_eq!(api[0].id, view[0].id, "the same change, the same id");
    let store = relay.state().store.clone();
    assert_eq!(
        store.enqueue_events(t.id, None, &api).await.expect("queue"),
        1
    );
    assert_eq!(
        store
            .enqueue_events(t.id, None, &view)
            .await
            .expect("queue"),
        0
    );
    // Another change of the task is another event.
    let mut renamed = task.clone();
    renamed.title = "Order the appraisal today".into();
    renamed.updated_at = now + chrono::Duration::seconds(1);
    let next = porchlight_relay::webhooks::task_events(
        t.id,
        (&t.doc, "48 Elm Ave"),
        Some(&task),
        &renamed,
    );
    assert_ne!(next[0].id, api[0].id);
    assert_eq!(
        store
            .enqueue_events(t.id, None, &next)
            .await
            .expect("queue"),
        1
    );
    relay.state().webhook_wake.notify_one();
    r.wait_for("task.updated").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(r.kinds(), ["task.created", "task.updated"]);
}
