//! The relay, served on port 0 and driven by real clients: REST through
//! reqwest, sync through a WebSocket client running the core's engine.

use crate::common;

use automerge::AutoCommit;
use common::{Client, TestRelay, outsider, team};
use futures_util::SinkExt;
use porchlight_model::ids::DocumentId;
use porchlight_sync::{PeerId, WireMessage};
use serde_json::json;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

#[tokio::test]
async fn members_sync_through_the_relay_and_edits_merge() {
    let mut relay = TestRelay::start().await;
    let t = team(&relay).await;
    let mut a = Client::connect(&relay.ws, &t.owner).await;
    let mut b = Client::connect(&relay.ws, &t.member).await;
    a.open(&t.doc, AutoCommit::new()).await;
    a.edit(&t.doc, "title", "Stage the living room").await;
    a.pump().await;
    b.open(&t.doc, AutoCommit::new()).await;
    b.pump().await;
    assert_eq!(
        b.get(&t.doc, "title").as_deref(),
        Some("Stage the living room")
    );
    // Concurrent edits to different keys both survive.
    a.edit(&t.doc, "owner_note", "from a").await;
    b.edit(&t.doc, "member_note", "from b").await;
    for _ in 0..3 {
        a.pump().await;
        b.pump().await;
    }
    for c in [&a, &b] {
        assert_eq!(c.get(&t.doc, "owner_note").as_deref(), Some("from a"));
        assert_eq!(c.get(&t.doc, "member_note").as_deref(), Some("from b"));
    }
    let metrics = reqwest::get(format!("{}/metrics", relay.base))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
            .unwrap_or(-1.0)
    };
    assert_eq!(value("porchlight_connections "), 2.0, "{metrics}");
    assert!(value("porchlight_messages_in_total ") > 0.0, "{metrics}");
    assert!(
        value("porchlight_sync_handling_seconds_count ") > 0.0,
        "{metrics}"
    );
    assert_eq!(value("porchlight_documents_in_memory "), 1.0, "{metrics}");
    // Once nobody syncs the document it leaves memory (it stays on disk).
    drop(a);
    drop(b);
    let mut evicted = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let m = reqwest::get(format!("{}/metrics", relay.base))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        if m.lines().any(|l| l == "porchlight_documents_in_memory 0")
            && m.lines().any(|l| l == "porchlight_connections 0")
        {
            evicted = true;
            break;
        }
    }
    assert!(evicted, "an idle document stayed in memory");
    relay.stop().await;
}

#[tokio::test]
async fn viewers_cannot_change_and_outsiders_get_doc_unavailable() {
    let mut relay = TestRelay::start().await;
    let t = team(&relay).await;
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    owner.open(&t.doc, AutoCommit::new()).await;
    owner.edit(&t.doc, "title", "Escrow").await;
    owner.pump().await;

    let mut viewer = Client::connect(&relay.ws, &t.viewer).await;
    viewer.open(&t.doc, AutoCommit::new()).await;
    viewer.pump().await;
    assert_eq!(
        viewer.get(&t.doc, "title").as_deref(),
        Some("Escrow"),
        "viewers read"
    );
    viewer.edit(&t.doc, "title", "Hacked").await;
    viewer.pump().await;
    assert!(
        viewer.engine.is_read_only(&viewer.relay.clone(), &t.doc),
        "the viewer's client knows it is read-only"
    );
    owner.pump().await;
    assert_eq!(
        owner.get(&t.doc, "title").as_deref(),
        Some("Escrow"),
        "a teammate saw the viewer's change"
    );
    let mut late = Client::connect(&relay.ws, &t.member).await;
    late.open(&t.doc, AutoCommit::new()).await;
    late.pump().await;
    assert_eq!(late.get(&t.doc, "title").as_deref(), Some("Escrow"));

    // Someone in another team asks for the document by id.
    let outsider = outsider(&relay, &t).await;
    let mut o = Client::connect(&relay.ws, &outsider).await;
    o.open(&t.doc, AutoCommit::new()).await;
    o.pump().await;
    assert_eq!(o.unavailable, std::slice::from_ref(&t.doc));
    // ... the same answer as for a document that does not exist.
    let ghost = DocumentId::random().to_string();
    o.open(&ghost, AutoCommit::new()).await;
    o.pump().await;
    assert_eq!(o.unavailable.last(), Some(&ghost));
    assert_eq!(o.get(&t.doc, "title"), None);
    relay.stop().await;
}

#[tokio::test]
async fn sync_without_a_valid_token_is_refused_with_401() {
    let mut relay = TestRelay::start().await;
    for header in [None, Some("Bearer not-a-token")] {
        let mut request = relay.ws.as_str().into_client_request().expect("request");
        if let Some(h) = header {
            request
                .headers_mut()
                .insert("Authorization", h.parse().expect("header"));
        }
        match tokio_tungstenite::connect_async(request).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status().as_u16(), 401)
            }
            other => panic!("expected 401, got {other:?}"),
        }
    }
    relay.stop().await;
}

#[tokio::test]
async fn garbage_frames_close_that_connection_and_the_relay_carries_on() {
    let mut relay = TestRelay::start().await;
    let t = team(&relay).await;
    let frames: Vec<Vec<u8>> = vec![
        b"garbage".to_vec(),
        vec![0xa1, 0x64, b't', b'y', b'p', b'e'],
        vec![0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        WireMessage::Sync {
            sender_id: PeerId::from("x"),
            target_id: PeerId::from("y"),
            document_id: t.doc.clone(),
            data: vec![1, 2, 3],
        }
        .encode(),
    ];
    for frame in frames {
        let mut c = Client::connect(&relay.ws, &t.owner).await;
        c.socket
            .send(Message::Binary(frame.into()))
            .await
            .expect("send");
        c.pump().await;
        assert!(
            !c.errors.is_empty() || !c.unavailable.is_empty(),
            "the relay answered"
        );
    }
    // Many connections opened and dropped.
    for _ in 0..2000 {
        let mut request = relay.ws.as_str().into_client_request().expect("request");
        request.headers_mut().insert(
            "Authorization",
            format!("Bearer {}", t.owner).parse().expect("h"),
        );
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("connect");
        drop(socket);
    }
    let health = reqwest::get(format!("{}/healthz", relay.base))
        .await
        .expect("health");
    assert_eq!(health.status().as_u16(), 200);
    let mut c = Client::connect(&relay.ws, &t.owner).await;
    c.open(&t.doc, AutoCommit::new()).await;
    c.edit(&t.doc, "still", "working").await;
    c.pump().await;
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    relay.stop().await;
}

#[tokio::test]
async fn changes_survive_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let mut relay = TestRelay::start_in(dir.path()).await;
    let t = team(&relay).await;
    let mut a = Client::connect(&relay.ws, &t.owner).await;
    a.open(&t.doc, AutoCommit::new()).await;
    a.edit(&t.doc, "kept", "yes").await;
    a.pump().await;
    relay.stop().await;
    let mut relay = TestRelay::start_in(dir.path()).await;
    let (s, body) = relay
        .post(
            "/api/login",
            None,
            json!({ "email": "member@example.com", "password": "correct horse" }),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let mut b = Client::connect(&relay.ws, body["token"].as_str().expect("token")).await;
    b.open(&t.doc, AutoCommit::new()).await;
    b.pump().await;
    assert_eq!(b.get(&t.doc, "kept").as_deref(), Some("yes"));
    relay.stop().await;
}

#[tokio::test]
async fn failed_logins_are_rate_limited_and_signup_is_by_invite() {
    let mut relay = TestRelay::start().await;
    relay.account("admin@example.com", None).await;
    let (s, _) = relay
        .post(
            "/api/signup",
            None,
            json!({ "email": "stranger@example.com", "password": "12345678" }),
        )
        .await;
    assert_eq!(s, 403);
    let mut last = 0;
    for _ in 0..12 {
        let (s, _) = relay
            .post(
                "/api/login",
                None,
                json!({ "email": "admin@example.com", "password": "wrong password" }),
            )
            .await;
        last = s;
    }
    assert_eq!(last, 429);
    relay.stop().await;
}

/// The OpenAPI document is generated from the same handler list as the
/// router, so every route is in it; here every documented path answers
/// (not 404 or 405), and the request and reply types are in it as schemas.
#[tokio::test]
async fn the_openapi_document_covers_every_route() {
    let mut relay = TestRelay::start().await;
    let spec: serde_json::Value = reqwest::get(format!("{}/api/openapi.json", relay.base))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert!(
        spec["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.")),
        "{spec}"
    );
    let paths = spec["paths"].as_object().expect("paths");
    for route in [
        "/api/signup",
        "/api/teams/{id}/members/{account}",
        "/sync",
        "/metrics",
        "/api/teams/{id}/calendar",
        "/ical/{file}",
    ] {
        assert!(paths.contains_key(route), "{route} is not documented");
    }
    let schemas = spec["components"]["schemas"].as_object().expect("schemas");
    for schema in [
        "SignupRequest",
        "LoginResponse",
        "TeamInfo",
        "Role",
        "ErrorBody",
    ] {
        assert!(schemas.contains_key(schema), "no schema {schema}");
    }
    assert_eq!(
        spec["components"]["securitySchemes"]["device"]["scheme"], "bearer",
        "{spec}"
    );
    let token = relay.account("spec@example.com", None).await;
    let client = reqwest::Client::new();
    for (path, ops) in paths {
        let url = format!(
            "{}{}",
            relay.base,
            path.replace("{id}", "1").replace("{account}", "1")
        );
        for method in ops.as_object().expect("ops").keys() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let resp = client
                .request(m, &url)
                .bearer_auth(&token)
                .json(&json!({}))
                .send()
                .await
                .expect("send");
            assert_ne!(resp.status().as_u16(), 405, "{method} {path}");
            // A made-up id, board, document or feed secret is rightly 404.
            if path != "/api/devices/{id}"
                && !path.starts_with("/api/teams/{id}")
                && !url.contains('{')
            {
                assert_ne!(
                    resp.status().as_u16(),
                    404,
                    "{method} {path} is documented but not served"
                );
            }
        }
    }
    relay.stop().await;
}

#[tokio::test]
async fn an_oversize_message_closes_the_connection() {
    let dir = tempfile::tempdir().expect("dir");
    let mut relay = TestRelay::start_with(dir.path(), |c| c.max_message_bytes = 64 * 1024).await;
    let t = team(&relay).await;
    let mut c = Client::connect(&relay.ws, &t.owner).await;
    let huge = WireMessage::Sync {
        sender_id: PeerId::from("x"),
        target_id: PeerId::from("y"),
        document_id: t.doc.clone(),
        data: vec![0u8; 128 * 1024],
    };
    let _ = c.socket.send(Message::Binary(huge.encode().into())).await;
    // The relay closes the socket: the stream ends (or errors) promptly.
    let end = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        use futures_util::StreamExt;
        loop {
            match c.socket.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(
        end.is_ok(),
        "the connection stayed open after an oversize message"
    );
    let health = reqwest::get(format!("{}/healthz", relay.base))
        .await
        .expect("health");
    assert_eq!(health.status().as_u16(), 200);
    relay.stop().await;
}

#[tokio::test]
async fn creating_a_team_creates_its_workspace_document() {
    let mut relay = TestRelay::start().await;
    let owner = relay.account("owner@example.com", None).await;
    let (s, t) = relay
        .post(
            "/api/teams",
            Some(&owner),
            json!({ "name": "Elm Ave team" }),
        )
        .await;
    assert_eq!(s, 200, "{t}");
    let workspace = t["workspace"].as_str().expect("workspace id").to_string();
    let mut c = Client::connect(&relay.ws, &owner).await;
    c.open(&workspace, AutoCommit::new()).await;
    c.pump().await;
    assert_eq!(c.get(&workspace, "name").as_deref(), Some("Elm Ave team"));
    assert_eq!(c.get(&workspace, "type").as_deref(), Some("workspace"));
    relay.stop().await;
}

#[tokio::test]
async fn presence_reaches_the_documents_other_peers_and_no_one_else() {
    let mut relay = TestRelay::start().await;
    let t = team(&relay).await;
    let mut owner = Client::connect(&relay.ws, &t.owner).await;
    let mut member = Client::connect(&relay.ws, &t.member).await;
    let mut viewer = Client::connect(&relay.ws, &t.viewer).await;
    owner.open(&t.doc, AutoCommit::new()).await;
    owner.edit(&t.doc, "title", "Escrow").await;
    owner.pump().await;
    for c in [&mut member, &mut viewer] {
        c.open(&t.doc, AutoCommit::new()).await;
        c.pump().await;
    }
    // The owner's client claims to be someone else: the relay names it by
    // the id its connection announced at join.
    let owner_id = owner.engine.peer_id().clone();
    owner
        .ephemeral(&t.doc, PeerId::from("someone-else"), b"owner here")
        .await;
    member.pump().await;
    viewer.pump().await;
    owner.pump().await;
    for c in [&member, &viewer] {
        assert_eq!(
            c.ephemeral,
            [(owner_id.clone(), t.doc.clone(), b"owner here".to_vec())]
        );
    }
    assert!(owner.ephemeral.is_empty(), "the sender heard itself");
    // Viewers' presence is shared too (they are looking, not writing).
    let viewer_id = viewer.engine.peer_id().clone();
    viewer
        .ephemeral(&t.doc, viewer_id.clone(), b"viewer here")
        .await;
    owner.pump().await;
    member.pump().await;
    assert_eq!(owner.ephemeral.last().map(|e| &e.0), Some(&viewer_id));
    assert_eq!(member.ephemeral.len(), 2);

    // Someone outside the team gets doc-unavailable and is heard by no one.
    let outsider = outsider(&relay, &t).await;
    let mut o = Client::connect(&relay.ws, &outsider).await;
    let oid = o.engine.peer_id().clone();
    o.ephemeral(&t.doc, oid, b"snooping").await;
    o.pump().await;
    assert_eq!(o.unavailable, std::slice::from_ref(&t.doc));
    member.pump().await;
    owner.pump().await;
    for c in [&member, &owner] {
        assert!(
            c.ephemeral.iter().all(|e| e.2 != b"snooping"),
            "an outsider's presence got through"
        );
    }
    assert_eq!(member.ephemeral.len(), 2);
    relay.stop().await;
}

/// `GET /api/me` names the token's account and says whether it
/// administers the relay: the first account does, later ones do not.
#[tokio::test]
async fn me_says_who_the_token_is_and_only_the_first_account_is_admin() {
    let relay = TestRelay::start().await;
    let t = team(&relay).await;
    let me = |token: String| {
        let base = relay.base.clone();
        async move {
            let resp = reqwest::Client::new()
                .get(format!("{base}/api/me"))
                .bearer_auth(token)
                .send()
                .await
                .expect("me");
            assert_eq!(resp.status().as_u16(), 200);
            resp.json::<porchlight_api::accounts::Me>()
                .await
                .expect("a Me")
        }
    };
    let owner = me(t.owner.clone()).await;
    assert_eq!(
        (owner.email.as_str(), owner.admin),
        ("owner@example.com", true)
    );
    let member = me(t.member.clone()).await;
    assert_eq!(
        (member.email.as_str(), member.admin),
        ("member@example.com", false)
    );
    assert_ne!(owner.account, member.account);
    let anonymous = reqwest::get(format!("{}/api/me", relay.base))
        .await
        .expect("me");
    assert_eq!(anonymous.status().as_u16(), 401);
}

#[tokio::test]
async fn bad_input_is_answered_with_the_json_error_body_and_a_documented_status() {
    let relay = TestRelay::start().await;
    let token = relay.account("owner@example.com", None).await;
    let client = reqwest::Client::new();
    let cases = [
        // Not JSON at all, and JSON of the wrong shape.
        (
            client
                .post(format!("{}/api/teams", relay.base))
                .header("content-type", "application/json")
                .body("\u{0}"),
            400,
        ),
        (
            client
                .post(format!("{}/api/teams", relay.base))
                .json(&serde_json::json!({ "nom": 1 })),
            400,
        ),
        // No content type.
        (
            client.post(format!("{}/api/teams", relay.base)).body("{}"),
            415,
        ),
        // A path parameter that is not a number.
        (
            client.get(format!("{}/api/teams/abc/members", relay.base)),
            400,
        ),
        (
            client.get(format!("{}/api/teams/1/audit?limit=many", relay.base)),
            400,
        ),
    ];
    let spec: serde_json::Value = reqwest::get(format!("{}/api/openapi.json", relay.base))
        .await
        .expect("spec")
        .json()
        .await
        .expect("json");
    for (req, want) in cases {
        let resp = req.bearer_auth(&token).send().await.expect("send");
        let status = resp.status().as_u16();
        let kind = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body: serde_json::Value = resp.json().await.unwrap_or_default();
        assert_eq!(status, want, "{body}");
        assert!(kind.starts_with("application/json"), "{kind}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }
    let documented = &spec["paths"]["/api/teams"]["post"]["responses"];
    for code in ["400", "401", "413", "415"] {
        assert!(
            documented.get(code).is_some(),
            "POST /api/teams does not document {code}"
        );
    }
}

#[tokio::test]
async fn the_relay_runs_on_the_backend_the_tests_ask_for() {
    let relay = TestRelay::start().await;
    let described = relay.store().describe();
    let want = if common::on_postgres() {
        "postgres "
    } else {
        "sqlite "
    };
    assert!(described.starts_with(want), "{described}");
}
