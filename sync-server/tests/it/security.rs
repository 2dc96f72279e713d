//! The relay as an attacker sees it: one attacker per test, each against a
//! relay on port 0 with real clients.

use crate::common;

use std::time::Duration;

use automerge::AutoCommit;
use common::{Client, TestRelay, outsider, team};
use futures_util::{SinkExt, StreamExt};
use porchlight_model::ids::DocumentId;
use porchlight_sync::{PeerId, PeerMetadata, WireMessage};
use reqwest::Method;
use serde_json::json;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

async fn metric(relay: &TestRelay, name: &str) -> f64 {
    let text = reqwest::get(format!("{}/metrics", relay.base))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

#[tokio::test]
async fn a_bogus_invite_leaves_no_account_and_looks_like_a_taken_email() {
    let relay = TestRelay::start().await;
    let t = team(&relay).await;
    let signup = |email: &str, invite: &str| {
        relay.post(
            "/api/signup",
            None,
            json!({ "email": email, "password": "correct horse", "invite": invite }),
        )
    };
    let (s, bogus) = signup("mallory@example.com", "not-a-real-code").await;
    assert_eq!(s, 400, "{bogus}");
    let (s, body) = relay
        .post(
            "/api/login",
            None,
            json!({ "email": "mallory@example.com", "password": "correct horse" }),
        )
        .await;
    assert_eq!(s, 401, "the bogus sign-up left a working login: {body}");
    // A real invite with a taken email gets the very same answer.
    let (_, inv) = relay
        .post(
            &format!("/api/teams/{}/invites", t.id),
            Some(&t.owner),
            json!({ "role": "member" }),
        )
        .await;
    let code = inv["code"].as_str().expect("code");
    let (s, taken) = signup("member@example.com", code).await;
    assert_eq!((s, &taken), (400, &bogus));
}

#[tokio::test]
async fn a_removed_member_hears_nothing_more_on_an_open_socket() {
    let relay = TestRelay::start().await;
    let t = team(&relay).await;
    let member_id = relay.me(&t.member).await;
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    let mut member = Client::connect(&relay.ws, &t.member).await;
    owner.open(&t.doc, AutoCommit::new()).await;
    owner.edit(&t.doc, "price", "$450,000").await;
    owner.pump().await;
    member.open(&t.doc, AutoCommit::new()).await;
    member.pump().await;
    assert_eq!(member.get(&t.doc, "price").as_deref(), Some("$450,000"));
    let (s, body) = relay
        .call(
            Method::DELETE,
            &format!("/api/teams/{}/members/{member_id}", t.id),
            Some(&t.owner),
            None,
        )
        .await;
    assert_eq!(s, 200, "{body}");
    member.pump().await;
    assert!(
        member.unavailable.contains(&t.doc),
        "not told it lost the document"
    );
    owner.edit(&t.doc, "price", "$425,000").await;
    owner.pump().await;
    member.pump().await;
    assert_eq!(
        member.get(&t.doc, "price").as_deref(),
        Some("$450,000"),
        "a removed member received an edit made after the removal"
    );
    // Its own writes no longer land either.
    member.edit(&t.doc, "note", "from outside").await;
    member.pump().await;
    owner.pump().await;
    assert_eq!(owner.get(&t.doc, "note"), None);
}

#[tokio::test]
async fn a_revoked_device_is_disconnected_at_once() {
    let relay = TestRelay::start().await;
    let t = team(&relay).await;
    let (_, me) = relay
        .call(Method::GET, "/api/me", Some(&t.member), None)
        .await;
    let device = me["device"].as_i64().expect("device");
    let mut member = Client::connect(&relay.ws, &t.member).await;
    member.open(&t.doc, AutoCommit::new()).await;
    member.pump().await;
    assert_eq!(member.closed, None);
    let (s, body) = relay
        .call(
            Method::DELETE,
            &format!("/api/devices/{device}"),
            Some(&t.member),
            None,
        )
        .await;
    assert_eq!(s, 200, "{body}");
    member.pump().await;
    assert_eq!(
        member.closed,
        Some(1008),
        "the revoked device's socket stayed open"
    );
    let (s, _) = relay
        .call(Method::GET, "/api/me", Some(&t.member), None)
        .await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn a_member_turned_viewer_has_writes_refused_on_an_open_socket() {
    let relay = TestRelay::start().await;
    let t = team(&relay).await;
    let member_id = relay.me(&t.member).await;
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    let mut member = Client::connect(&relay.ws, &t.member).await;
    owner.open(&t.doc, AutoCommit::new()).await;
    owner.pump().await;
    member.open(&t.doc, AutoCommit::new()).await;
    member.edit(&t.doc, "before", "yes").await;
    member.pump().await;
    let (s, body) = relay
        .call(
            Method::PUT,
            &format!("/api/teams/{}/members/{member_id}", t.id),
            Some(&t.owner),
            Some(json!({ "role": "viewer" })),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    member.edit(&t.doc, "after", "yes").await;
    member.pump().await;
    owner.pump().await;
    assert_eq!(owner.get(&t.doc, "before").as_deref(), Some("yes"));
    assert_eq!(owner.get(&t.doc, "after"), None, "a viewer's write landed");
    assert!(
        member.errors.iter().any(|e| e.contains("read-only")),
        "{:?}",
        member.errors
    );
}

#[tokio::test]
async fn an_admin_cannot_touch_the_owner_and_the_last_owner_cannot_go() {
    let relay = TestRelay::start().await;
    let t = team(&relay).await;
    let (_, inv) = relay
        .post(
            &format!("/api/teams/{}/invites", t.id),
            Some(&t.owner),
            json!({ "role": "admin" }),
        )
        .await;
    let admin = relay
        .account("admin@example.com", inv["code"].as_str())
        .await;
    let (owner_id, admin_id, member_id) = (
        relay.me(&t.owner).await,
        relay.me(&admin).await,
        relay.me(&t.member).await,
    );
    let member_path = |account: i64| format!("/api/teams/{}/members/{account}", t.id);
    let role = |token: &str, account: i64, role: &'static str| {
        let (path, token) = (member_path(account), token.to_string());
        let relay = &relay;
        async move {
            relay
                .call(
                    Method::PUT,
                    &path,
                    Some(&token),
                    Some(json!({ "role": role })),
                )
                .await
        }
    };
    assert_eq!(
        role(&admin, owner_id, "viewer").await.0,
        403,
        "demoted the owner"
    );
    let (s, _) = relay
        .call(Method::DELETE, &member_path(owner_id), Some(&admin), None)
        .await;
    assert_eq!(s, 403, "removed the owner");
    assert_eq!(
        role(&admin, member_id, "admin").await.0,
        403,
        "made an equal"
    );
    assert_eq!(role(&admin, member_id, "viewer").await.0, 200);
    // The only owner can neither step down nor leave ...
    let (s, body) = role(&t.owner, owner_id, "admin").await;
    assert_eq!(s, 403, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("last owner")),
        "{body}"
    );
    let (s, _) = relay
        .call(Method::DELETE, &member_path(owner_id), Some(&t.owner), None)
        .await;
    assert_eq!(s, 403);
    // ... until ownership is handed over; then the old owner is an admin.
    let (s, body) = relay
        .call(
            Method::PUT,
            &format!("/api/teams/{}/owner", t.id),
            Some(&t.owner),
            Some(json!({ "account": admin_id })),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (_, members) = relay
        .call(
            Method::GET,
            &format!("/api/teams/{}/members", t.id),
            Some(&admin),
            None,
        )
        .await;
    let role_of = |email: &str| {
        members
            .as_array()
            .and_then(|m| m.iter().find(|m| m["email"] == email))
            .map(|m| m["role"].clone())
    };
    assert_eq!(role_of("admin@example.com"), Some(json!("owner")));
    assert_eq!(role_of("owner@example.com"), Some(json!("admin")));
    let (s, _) = relay
        .call(Method::DELETE, &member_path(owner_id), Some(&t.owner), None)
        .await;
    assert_eq!(s, 200, "the former owner may leave now");
}

#[tokio::test]
async fn another_teams_document_answers_as_if_it_did_not_exist() {
    let relay = TestRelay::start().await;
    let t = team(&relay).await;
    let intruder = outsider(&relay, &t).await;
    let (_, teams) = relay
        .call(Method::GET, "/api/teams", Some(&intruder), None)
        .await;
    let theirs = teams[0]["id"].as_i64().expect("team");
    let (s, body) = relay
        .post(
            &format!("/api/teams/{theirs}/documents"),
            Some(&intruder),
            json!({ "document": t.doc }),
        )
        .await;
    assert_eq!(s, 409, "{body}");
    let mut c = Client::connect(&relay.ws, &intruder).await;
    let unknown = DocumentId::random().to_string();
    c.open(&t.doc, AutoCommit::new()).await;
    c.open(&unknown, AutoCommit::new()).await;
    c.pump().await;
    assert!(c.unavailable.contains(&t.doc) && c.unavailable.contains(&unknown));
    assert_eq!(c.get(&t.doc, "title"), None);
}

#[tokio::test]
async fn a_login_flood_is_limited_and_the_relay_keeps_answering() {
    let dir = tempfile::tempdir().expect("dir");
    let relay = TestRelay::start_with(dir.path(), |c| {
        c.limits.logins_per_minute_per_ip = 1_000_000;
        c.limits.logins_per_minute_per_account = 1_000_000;
        c.limits.password_hashing = 1;
        // 200 checks through one slot: all but the quickest wait longer
        // than this, however fast this machine hashes.
        c.limits.password_wait_ms = 1;
    })
    .await;
    relay.account("owner@example.com", None).await;
    let http = reqwest::Client::new();
    let attempts = (0..200).map(|i| {
        let http = http.clone();
        let url = format!("{}/api/login", relay.base);
        async move {
            let r = http
                .post(url)
                .json(&json!({ "email": format!("guess{i}@example.com"), "password": "wrong password" }))
                .send()
                .await
                .expect("login");
            (r.status().as_u16(), r.headers().contains_key("retry-after"))
        }
    });
    let flood = tokio::spawn(futures_util::future::join_all(attempts));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t0 = std::time::Instant::now();
    let health = reqwest::get(format!("{}/healthz", relay.base))
        .await
        .expect("healthz");
    assert!(health.status().is_success());
    assert!(
        t0.elapsed() < Duration::from_secs(1),
        "healthz took {:?}",
        t0.elapsed()
    );
    let results = flood.await.expect("flood");
    let busy = results.iter().filter(|(s, _)| *s == 503).count();
    assert!(busy > 0, "no login was turned away: {results:?}");
    assert!(
        results
            .iter()
            .all(|(s, retry)| *s == 401 || (*s == 503 && *retry))
    );
}

#[tokio::test]
async fn logins_past_the_rate_limit_are_refused_with_retry_after() {
    let dir = tempfile::tempdir().expect("dir");
    let relay = TestRelay::start_with(dir.path(), |c| c.limits.logins_per_minute_per_ip = 5).await;
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    for i in 0..6 {
        let r = http
            .post(format!("{}/api/login", relay.base))
            .json(&json!({ "email": format!("g{i}@example.com"), "password": "wrong password" }))
            .send()
            .await
            .expect("login");
        statuses.push((r.status().as_u16(), r.headers().get("retry-after").cloned()));
    }
    assert!(statuses[..5].iter().all(|(s, _)| *s == 401), "{statuses:?}");
    assert_eq!(statuses[5].0, 429);
    assert!(statuses[5].1.is_some());
    // An email of 100,000 characters is refused before anything looks at it.
    let r = http
        .post(format!("{}/api/signup", relay.base))
        .json(&json!({ "email": format!("{}@example.com", "a".repeat(100_000)), "password": "correct horse" }))
        .send()
        .await
        .expect("signup");
    assert_eq!(r.status().as_u16(), 400);
}

/// A raw socket that sends its own `join`.
async fn raw(relay: &TestRelay, token: &str, peer: &str) -> Vec<Message> {
    let mut request = relay.ws.as_str().into_client_request().expect("request");
    request.headers_mut().insert(
        "Authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    let join = WireMessage::Join {
        sender_id: PeerId(peer.to_string()),
        supported_protocol_versions: vec!["1".into()],
        metadata: Some(PeerMetadata::default()),
    };
    socket
        .send(Message::Binary(join.encode().into()))
        .await
        .expect("join");
    let mut got = Vec::new();
    while let Ok(Some(Ok(m))) = tokio::time::timeout(Duration::from_secs(2), socket.next()).await {
        let close = matches!(m, Message::Close(_));
        got.push(m);
        if close {
            break;
        }
    }
    got
}

#[tokio::test]
async fn a_huge_claimed_peer_id_closes_the_connection() {
    let relay = TestRelay::start().await;
    let token = relay.account("owner@example.com", None).await;
    let got = raw(&relay, &token, &"p".repeat(200)).await;
    assert!(
        got.iter()
            .any(|m| matches!(m, Message::Close(Some(f)) if u16::from(f.code) == 1008)),
        "{got:?}"
    );
    let got = raw(&relay, &token, "a-normal-peer").await;
    assert!(
        got.iter().all(|m| !matches!(m, Message::Close(_))),
        "{got:?}"
    );
}

#[tokio::test]
async fn presence_is_capped_in_size_and_rate() {
    let relay = TestRelay::start().await;
    let t = team(&relay).await;
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    let mut member = Client::connect(&relay.ws, &t.member).await;
    owner.open(&t.doc, AutoCommit::new()).await;
    member.open(&t.doc, AutoCommit::new()).await;
    owner.pump().await;
    member.pump().await;
    let me = owner.engine.peer_id().clone();
    for _ in 0..200 {
        owner.ephemeral(&t.doc, me.clone(), &[0xa0]).await;
    }
    member.pump().await;
    let heard = member.ephemeral.len();
    assert!(
        (1..=60).contains(&heard),
        "{heard} of 200 presence messages passed"
    );
    assert!(metric(&relay, "porchlight_ephemeral_dropped_total").await >= 100.0);
    // One presence message of 1 MiB: refused, and its sender is closed.
    owner.ephemeral(&t.doc, me, &vec![0u8; 1 << 20]).await;
    owner.pump().await;
    assert_eq!(owner.closed, Some(1008));
    let before = member.ephemeral.len();
    member.pump().await;
    assert_eq!(
        member.ephemeral.len(),
        before,
        "the 1 MiB message was passed on"
    );
}

#[tokio::test]
async fn a_reader_that_stops_reading_is_cut_off_and_its_socket_closed() {
    let relay = TestRelay::start().await;
    let t = team(&relay).await;
    let mut paused = Client::connect(&relay.ws, &t.member).await;
    paused.open(&t.doc, AutoCommit::new()).await;
    paused.pump().await;
    // A teammate writes large changes while `paused` reads nothing: more
    // than the socket buffers and the relay's 8 MiB queue for it hold.
    // (Presence alone never cuts a reader off: past a small backlog it is
    // dropped for that reader, see the hub's queue tests.)
    let mut writer = Client::connect(&relay.ws, &t.owner).await;
    writer.open(&t.doc, AutoCommit::new()).await;
    writer.pump_for(Duration::from_millis(50)).await;
    for i in 0..40 {
        // Random, so automerge's compression cannot shrink it.
        let value = porchlight_model::ids::random_hex(512 * 1024);
        writer.edit(&t.doc, &format!("big{}", i % 8), &value).await;
        writer.pump_for(Duration::from_millis(20)).await;
    }
    for _ in 0..60 {
        if metric(&relay, "porchlight_slow_readers_dropped_total").await >= 1.0 {
            break;
        }
        writer.pump_for(Duration::from_millis(250)).await;
    }
    assert!(metric(&relay, "porchlight_slow_readers_dropped_total").await >= 1.0);
    paused.pump_for(Duration::from_secs(3)).await;
    assert!(
        paused.closed.is_some(),
        "the slow reader's socket stayed open"
    );
}

#[tokio::test]
async fn a_panic_on_one_document_leaves_the_others_syncing() {
    let dir = tempfile::tempdir().expect("dir");
    let poisoned = DocumentId::random().to_string();
    let p = poisoned.clone();
    let relay = TestRelay::start_with(dir.path(), move |c| c.inject_panic_on = Some(p)).await;
    let t = team(&relay).await;
    let (s, body) = relay
        .post(
            &format!("/api/teams/{}/documents", t.id),
            Some(&t.owner),
            json!({ "document": poisoned }),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let mut attacker = Client::connect(&relay.ws, &t.member).await;
    attacker.open(&poisoned, AutoCommit::new()).await;
    attacker.pump_for(Duration::from_secs(3)).await;
    assert_eq!(attacker.closed, Some(1008));
    assert_eq!(metric(&relay, "porchlight_panics_total").await, 1.0);
    // Everyone else goes on.
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    let mut viewer = Client::connect(&relay.ws, &t.viewer).await;
    owner.open(&t.doc, AutoCommit::new()).await;
    owner.edit(&t.doc, "status", "pending").await;
    owner.pump().await;
    viewer.open(&t.doc, AutoCommit::new()).await;
    viewer.pump().await;
    assert_eq!(viewer.get(&t.doc, "status").as_deref(), Some("pending"));
}

#[tokio::test]
async fn a_connection_syncs_no_more_documents_than_its_quota() {
    let dir = tempfile::tempdir().expect("dir");
    let relay = TestRelay::start_with(dir.path(), |c| c.limits.documents_per_connection = 2).await;
    let t = team(&relay).await;
    let mut docs = vec![t.doc.clone()];
    for _ in 0..2 {
        let doc = DocumentId::random().to_string();
        relay
            .post(
                &format!("/api/teams/{}/documents", t.id),
                Some(&t.owner),
                json!({ "document": doc }),
            )
            .await;
        docs.push(doc);
    }
    let mut c = Client::connect(&relay.ws, &t.owner).await;
    for d in &docs {
        c.open(d, AutoCommit::new()).await;
    }
    c.pump().await;
    assert!(
        c.errors.iter().any(|e| e.contains("quota")),
        "{:?}",
        c.errors
    );
    assert_eq!(c.unavailable.len(), 1, "{:?}", c.unavailable);
}

#[tokio::test]
async fn a_token_unused_past_its_lifetime_stops_working() {
    let dir = tempfile::tempdir().expect("dir");
    let relay = TestRelay::start_with(dir.path(), |c| c.limits.token_days = 0).await;
    let token = relay.account("owner@example.com", None).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (s, _) = relay.call(Method::GET, "/api/me", Some(&token), None).await;
    assert_eq!(s, 401, "an expired token still worked");
}

#[tokio::test]
async fn a_password_change_signs_every_other_device_out() {
    let relay = TestRelay::start().await;
    let t = team(&relay).await;
    let (_, second) = relay
        .post(
            "/api/login",
            None,
            json!({ "email": "member@example.com", "password": "correct horse", "device": "laptop" }),
        )
        .await;
    let laptop = second["token"].as_str().expect("token").to_string();
    let (_, devices) = relay
        .call(Method::GET, "/api/devices", Some(&t.member), None)
        .await;
    let list = devices.as_array().expect("devices");
    assert_eq!(list.len(), 2, "{devices}");
    assert_eq!(list.iter().filter(|d| d["current"] == true).count(), 1);
    let mut open = Client::connect(&relay.ws, &laptop).await;
    open.open(&t.doc, AutoCommit::new()).await;
    open.pump().await;
    let (s, body) = relay
        .call(
            Method::POST,
            "/api/password",
            Some(&t.member),
            Some(json!({ "current": "wrong one", "new": "a new passphrase" })),
        )
        .await;
    assert_eq!(s, 401, "{body}");
    let (s, body) = relay
        .call(
            Method::POST,
            "/api/password",
            Some(&t.member),
            Some(json!({ "current": "correct horse", "new": "a new passphrase" })),
        )
        .await;
    assert_eq!((s, &body["revoked"]), (200, &json!(1)), "{body}");
    open.pump().await;
    assert_eq!(
        open.closed,
        Some(1008),
        "the other device's socket stayed open"
    );
    let (s, _) = relay
        .call(Method::GET, "/api/me", Some(&laptop), None)
        .await;
    assert_eq!(s, 401);
    let (s, _) = relay
        .call(Method::GET, "/api/me", Some(&t.member), None)
        .await;
    assert_eq!(s, 200, "the device that changed it stays signed in");
}

#[tokio::test]
async fn quotas_refuse_with_an_error_that_names_the_limit() {
    let dir = tempfile::tempdir().expect("dir");
    let relay = TestRelay::start_with(dir.path(), |c| {
        c.limits.teams_per_account = 1;
        c.limits.devices_per_account = 2;
        c.limits.documents_per_team = 2;
        c.limits.bytes_per_team = 4096;
    })
    .await;
    let owner = relay.account("owner@example.com", None).await;
    let (s, team) = relay
        .post("/api/teams", Some(&owner), json!({ "name": "Oak St" }))
        .await;
    assert_eq!(s, 200, "{team}");
    let (s, body) = relay
        .post("/api/teams", Some(&owner), json!({ "name": "Elm St" }))
        .await;
    assert_eq!((s, body["error"].as_str()), (403, Some("quota")), "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("teams_per_account"))
    );
    // Two devices, then a third sign-in is refused.
    let login = || {
        relay.post(
            "/api/login",
            None,
            json!({ "email": "owner@example.com", "password": "correct horse" }),
        )
    };
    assert_eq!(login().await.0, 200);
    let (s, body) = login().await;
    assert_eq!((s, body["error"].as_str()), (403, Some("quota")), "{body}");
    // The workspace is one document; one more, then no more.
    let team_id = team["id"].as_i64().expect("id");
    let path = format!("/api/teams/{team_id}/documents");
    let register = |doc: String| relay.post(&path, Some(&owner), json!({ "document": doc }));
    let doc = DocumentId::random().to_string();
    assert_eq!(register(doc.clone()).await.0, 200);
    let (s, body) = register(DocumentId::random().to_string()).await;
    assert_eq!((s, body["error"].as_str()), (403, Some("quota")), "{body}");
    // Past its stored bytes, the team's documents sync read-only.
    let mut c = Client::connect(&relay.ws, &owner).await;
    c.open(&doc, AutoCommit::new()).await;
    c.edit(&doc, "big", &"x".repeat(8192)).await;
    c.pump().await;
    c.edit(&doc, "after", "refused").await;
    c.pump().await;
    assert!(
        c.errors.iter().any(|e| e.contains("bytes_per_team")),
        "{:?}",
        c.errors
    );
    let mut fresh = Client::connect(&relay.ws, &owner).await;
    fresh.open(&doc, AutoCommit::new()).await;
    fresh.pump().await;
    assert_eq!(
        fresh.get(&doc, "after"),
        None,
        "a change past the quota was stored"
    );
    let (_, log) = relay
        .call(
            Method::GET,
            &format!("/api/teams/{team_id}/audit"),
            Some(&owner),
            None,
        )
        .await;
    assert!(
        log.as_array()
            .expect("log")
            .iter()
            .any(|e| e["event"] == "quota"),
        "{log}"
    );
}

#[tokio::test]
async fn the_audit_log_records_who_did_what_from_where_and_survives_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let mut relay = TestRelay::start_in(dir.path()).await;
    let t = team(&relay).await;
    let member_id = relay.me(&t.member).await;
    relay
        .post(
            "/api/login",
            None,
            json!({ "email": "member@example.com", "password": "not it at all" }),
        )
        .await;
    relay
        .call(
            Method::PUT,
            &format!("/api/teams/{}/members/{member_id}", t.id),
            Some(&t.owner),
            Some(json!({ "role": "viewer" })),
        )
        .await;
    relay.stop().await;
    let relay = TestRelay::start_in(dir.path()).await;
    let (s, log) = relay
        .call(
            Method::GET,
            &format!("/api/teams/{}/audit", t.id),
            Some(&t.owner),
            None,
        )
        .await;
    assert_eq!(s, 200, "{log}");
    let events: Vec<&str> = log
        .as_array()
        .expect("log")
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    for want in [
        "team.created",
        "invite.created",
        "invite.used",
        "document.registered",
        "member.role",
    ] {
        assert!(events.contains(&want), "no {want} in {events:?}");
    }
    let role = log
        .as_array()
        .and_then(|l| l.iter().find(|e| e["event"] == "member.role"))
        .expect("role event");
    assert_eq!(role["actor_email"], "owner@example.com");
    assert_eq!(role["source"], "127.0.0.1");
    // Pages: one event, then the rest before it.
    let (_, first) = relay
        .call(
            Method::GET,
            &format!("/api/teams/{}/audit?limit=1", t.id),
            Some(&t.owner),
            None,
        )
        .await;
    let id = first[0]["id"].as_i64().expect("id");
    let (_, rest) = relay
        .call(
            Method::GET,
            &format!("/api/teams/{}/audit?before={id}", t.id),
            Some(&t.owner),
            None,
        )
        .await;
    assert_eq!(rest.as_array().expect("rest").len(), events.len() - 1);
    // Not for a member turned viewer; the relay admin sees account events.
    let (s, _) = relay
        .call(
            Method::GET,
            &format!("/api/teams/{}/audit", t.id),
            Some(&t.member),
            None,
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = relay
        .call(Method::GET, "/api/audit", Some(&t.member), None)
        .await;
    assert_eq!(s, 403);
    let (_, accounts) = relay
        .call(Method::GET, "/api/audit", Some(&t.owner), None)
        .await;
    let kinds: Vec<&str> = accounts
        .as_array()
        .expect("log")
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    for want in ["signup", "login", "login.failed"] {
        assert!(kinds.contains(&want), "no {want} in {kinds:?}");
    }
}

#[tokio::test]
async fn a_browser_may_send_its_token_as_a_websocket_subprotocol() {
    let relay = TestRelay::start().await;
    let token = relay.account("owner@example.com", None).await;
    let mut request = relay.ws.as_str().into_client_request().expect("request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        format!("porchlight, porchlight.token.{token}")
            .parse()
            .expect("header"),
    );
    let (_, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the subprotocol token was not accepted");
    assert_eq!(
        response
            .headers()
            .get("sec-websocket-protocol")
            .map(|v| v.as_bytes()),
        Some(&b"porchlight"[..])
    );
}
