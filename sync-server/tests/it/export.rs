//! An account's export and its deletion, on either backend.

use crate::common;

use std::time::Duration;

use automerge::AutoCommit;
use common::{Client, TestRelay, team};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn export_then_delete_closes_the_accounts_connections_and_keeps_the_team() {
    let relay = TestRelay::start().await;
    let t = team(&relay).await;
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    owner.open(&t.doc, AutoCommit::new()).await;
    owner.edit(&t.doc, "status", "Pending").await;
    owner.pump().await;

    let (s, export) = relay
        .call(Method::GET, "/api/account/export", Some(&t.member), None)
        .await;
    assert_eq!(s, 200, "{export}");
    assert_eq!(export["email"], "member@example.com");
    let docs = export["teams"][0]["documents"]
        .as_array()
        .expect("documents");
    assert!(docs.iter().any(|d| d == t.doc.as_str()), "{export}");
    let file = reqwest::Client::new()
        .get(format!(
            "{}/api/account/export/documents/{}",
            relay.base, t.doc
        ))
        .bearer_auth(&t.member)
        .send()
        .await
        .expect("document");
    assert_eq!(file.status(), 200);
    let doc = AutoCommit::load(&file.bytes().await.expect("bytes")).expect("an Automerge file");
    assert_eq!(
        automerge::ReadDoc::get(&doc, automerge::ROOT, "status")
            .ok()
            .flatten()
            .map(|(v, _)| v.to_string()),
        Some("\"Pending\"".to_string())
    );
    let (s, _) = relay
        .call(
            Method::GET,
            "/api/account/export/documents/nope",
            Some(&t.member),
            None,
        )
        .await;
    assert_eq!(s, 404);

    let mut member = Client::connect(&relay.ws, &t.member).await;
    member.open(&t.doc, AutoCommit::new()).await;
    member.pump().await;
    let (s, body) = relay
        .post(
            "/api/account/delete",
            Some(&t.member),
            json!({ "password": "wrong password" }),
        )
        .await;
    assert_eq!(s, 401, "{body}");
    let (s, body) = relay
        .post(
            "/api/account/delete",
            Some(&t.owner),
            json!({ "password": "correct horse" }),
        )
        .await;
    assert_eq!(s, 403, "the last owner of a team with members: {body}");
    let (s, body) = relay
        .post(
            "/api/account/delete",
            Some(&t.member),
            json!({ "password": "correct horse" }),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    member.pump_for(Duration::from_millis(300)).await;
    assert!(
        member.closed.is_some(),
        "the deleted account's socket stayed open"
    );
    let (s, _) = relay
        .call(Method::GET, "/api/me", Some(&t.member), None)
        .await;
    assert_eq!(s, 401);
    let (s, body) = relay
        .post(
            "/api/login",
            None,
            json!({ "email": "member@example.com", "password": "correct horse" }),
        )
        .await;
    assert_eq!(s, 401, "{body}");
    let (_, members) = relay
        .call(
            Method::GET,
            &format!("/api/teams/{}/members", t.id),
            Some(&t.owner),
            None,
        )
        .await;
    assert!(
        !members.to_string().contains("member@example.com"),
        "{members}"
    );
    // The same email may sign up again, as a new account.
    let (_, inv) = relay
        .post(
            &format!("/api/teams/{}/invites", t.id),
            Some(&t.owner),
            json!({ "role": "member" }),
        )
        .await;
    relay
        .account("member@example.com", inv["code"].as_str())
        .await;
}
