//! Scoped API keys: what a read key and a write key may reach, who makes
//! them, and that a revoked or expired one stops at once.

use crate::common;

use automerge::AutoCommit;
use common::{Client, TestRelay, outsider, team};
use porchlight_model::ids::DocumentId;
use reqwest::Method;
use serde_json::{Value, json};

async fn key(relay: &TestRelay, team: i64, token: &str, scope: &str) -> (u16, Value) {
    relay
        .post(
            &format!("/api/teams/{team}/apikeys"),
            Some(token),
            json!({ "name": format!("{scope} script"), "scope": scope }),
        )
        .await
}

#[tokio::test]
async fn a_read_key_syncs_its_team_and_its_changes_are_refused() {
    let relay = TestRelay::start().await;
    let t = team(&relay).await;
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    owner.open(&t.doc, AutoCommit::new()).await;
    owner.edit(&t.doc, "status", "Pending").await;
    owner.pump().await;
    let (s, made) = key(&relay, t.id, &t.owner, "read").await;
    assert_eq!(s, 200, "{made}");
    let read = made["key"].as_str().expect("key").to_string();
    assert!(read.starts_with("plk_"), "{read}");
    let mut script = Client::connect(&relay.ws, &read).await;
    script.open(&t.doc, AutoCommit::new()).await;
    script.pump().await;
    assert_eq!(script.get(&t.doc, "status").as_deref(), Some("Pending"));
    script.edit(&t.doc, "status", "Sold by a script").await;
    script.pump().await;
    let mut fresh = Client::connect(&relay.ws, &t.owner).await;
    fresh.open(&t.doc, AutoCommit::new()).await;
    fresh.pump().await;
    assert_eq!(
        fresh.get(&t.doc, "status").as_deref(),
        Some("Pending"),
        "a read key changed the board"
    );
    // It lists its own team and reads its documents, and nothing of an
    // account: no team creation, no devices, no keys of its own.
    let (s, teams) = relay
        .call(Method::GET, "/api/teams", Some(&read), None)
        .await;
    assert_eq!(s, 200, "{teams}");
    assert_eq!(teams.as_array().map(Vec::len), Some(1), "{teams}");
    assert_eq!(teams[0]["role"], "viewer");
    let (s, docs) = relay
        .call(
            Method::GET,
            &format!("/api/teams/{}/documents", t.id),
            Some(&read),
            None,
        )
        .await;
    assert_eq!(s, 200, "{docs}");
    for (method, path, body) in [
        (
            Method::POST,
            "/api/teams".to_string(),
            Some(json!({ "name": "Mine" })),
        ),
        (Method::GET, "/api/devices".to_string(), None),
        (Method::GET, "/api/me".to_string(), None),
        (
            Method::POST,
            format!("/api/teams/{}/apikeys", t.id),
            Some(json!({ "name": "more", "scope": "write" })),
        ),
    ] {
        let (s, body) = relay.call(method, &path, Some(&read), body).await;
        assert_eq!(s, 403, "{path}: {body}");
    }
    let (s, body) = relay
        .post(
            &format!("/api/teams/{}/documents", t.id),
            Some(&read),
            json!({ "document": DocumentId::random().to_string() }),
        )
        .await;
    assert_eq!(s, 403, "a read key registered a document: {body}");
}

#[tokio::test]
async fn a_write_key_edits_its_team_only() {
    let relay = TestRelay::start().await;
    let t = team(&relay).await;
    let (_, made) = key(&relay, t.id, &t.owner, "write").await;
    let write = made["key"].as_str().expect("key").to_string();
    let mut script = Client::connect(&relay.ws, &write).await;
    script.open(&t.doc, AutoCommit::new()).await;
    script.edit(&t.doc, "status", "Closed").await;
    script.pump().await;
    let mut member = Client::connect(&relay.ws, &t.member).await;
    member.open(&t.doc, AutoCommit::new()).await;
    member.pump().await;
    assert_eq!(member.get(&t.doc, "status").as_deref(), Some("Closed"));
    // Another team's board is as unknown to the key as a missing one.
    let other = outsider(&relay, &t).await;
    let (_, created) = relay
        .post("/api/teams", Some(&other), json!({ "name": "Rivals" }))
        .await;
    let rival_ws = created["workspace"]
        .as_str()
        .expect("workspace")
        .to_string();
    let mut probe = Client::connect(&relay.ws, &write).await;
    probe.open(&rival_ws, AutoCommit::new()).await;
    probe.pump().await;
    assert!(
        probe.unavailable.contains(&rival_ws),
        "{:?}",
        probe.unavailable
    );
    let (s, _) = relay
        .call(
            Method::GET,
            &format!("/api/teams/{}/members", created["id"]),
            Some(&write),
            None,
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn only_owners_and_admins_make_see_and_revoke_keys_and_revoking_closes_the_socket() {
    let relay = TestRelay::start().await;
    let t = team(&relay).await;
    let (s, body) = key(&relay, t.id, &t.member, "read").await;
    assert_eq!(s, 403, "a plain member made a key: {body}");
    let (s, body) = relay
        .post(
            &format!("/api/teams/{}/apikeys", t.id),
            Some(&t.owner),
            json!({ "name": "  ", "scope": "read" }),
        )
        .await;
    assert_eq!(s, 400, "{body}");
    let (_, made) = key(&relay, t.id, &t.owner, "write").await;
    let secret = made["key"].as_str().expect("key").to_string();
    let id = made["info"]["id"].as_i64().expect("id");
    let path = format!("/api/teams/{}/apikeys", t.id);
    let (s, list) = relay.call(Method::GET, &path, Some(&t.owner), None).await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list[0]["name"], "write script");
    assert_eq!(list[0]["created_by"], "owner@example.com");
    assert!(
        !list.to_string().contains(&secret),
        "the list shows the key itself"
    );
    let (s, _) = relay.call(Method::GET, &path, Some(&t.member), None).await;
    assert_eq!(s, 403);
    let mut script = Client::connect(&relay.ws, &secret).await;
    script.open(&t.doc, AutoCommit::new()).await;
    script.pump().await;
    let (s, body) = relay
        .call(
            Method::DELETE,
            &format!("{path}/{id}"),
            Some(&t.owner),
            None,
        )
        .await;
    assert_eq!(s, 200, "{body}");
    script.pump().await;
    assert_eq!(
        script.closed,
        Some(1008),
        "the revoked key's socket stayed open"
    );
    let (s, _) = relay
        .call(Method::GET, "/api/teams", Some(&secret), None)
        .await;
    assert_eq!(s, 401);
    let (_, list) = relay.call(Method::GET, &path, Some(&t.owner), None).await;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");
    let (_, log) = relay
        .call(
            Method::GET,
            &format!("/api/teams/{}/audit", t.id),
            Some(&t.owner),
            None,
        )
        .await;
    let events: Vec<&str> = log
        .as_array()
        .expect("log")
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert!(events.contains(&"apikey.created"), "{events:?}");
    assert!(events.contains(&"apikey.revoked"), "{events:?}");
}

#[tokio::test]
async fn an_expired_key_stops_working_and_is_not_listed() {
    use porchlight_api::apikeys::Scope;
    use porchlight_relay::accounts;
    let relay = TestRelay::start().await;
    let store = relay.store();
    let account = accounts::sign_up(&*store, "owner@example.com", "Owner", "correct horse", None)
        .await
        .expect("account")
        .account;
    let team = store
        .create_team(account, "Oak", &DocumentId::random().to_string(), 10)
        .await
        .expect("team");
    let past = chrono::Utc::now().timestamp_millis() - 1;
    let (expired, _) =
        accounts::create_api_key(&*store, team, account, "old", Scope::Read, Some(past))
            .await
            .expect("key");
    let (live, _) = accounts::create_api_key(&*store, team, account, "new", Scope::Read, None)
        .await
        .expect("key");
    assert!(
        accounts::identity(&*store, &expired, 90)
            .await
            .expect("lookup")
            .is_none()
    );
    let id = accounts::identity(&*store, &live, 90)
        .await
        .expect("lookup")
        .expect("live");
    assert_eq!(id.key.map(|k| k.team), Some(team));
    let listed = store.api_keys(team).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "new");
}
