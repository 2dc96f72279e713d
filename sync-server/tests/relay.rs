//! The relay, served on port 0 and driven by real clients: REST through
//! reqwest, sync through a WebSocket client running the core's engine.

use std::time::Duration;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use futures_util::{SinkExt, StreamExt};
use porchlight_core::ids::DocumentId;
use porchlight_core::sync::{Access, Effect, PeerId, PeerMetadata, SyncEngine, WireMessage};
use porchlight_relay::{Config, Relay};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

struct TestRelay {
    base: String,
    ws: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
}

impl TestRelay {
    async fn start_in(dir: &std::path::Path) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let relay = Relay::start(Config::for_dir(dir.to_path_buf())).expect("start");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            relay
                .serve(listener, async {
                    let _ = rx.await;
                })
                .await
                .expect("serve");
        });
        Self {
            base: format!("http://{addr}"),
            ws: format!("ws://{addr}/sync"),
            shutdown: Some(tx),
            task: Some(task),
            _dir: None,
        }
    }

    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let mut r = Self::start_in(dir.path()).await;
        r._dir = Some(dir);
        r
    }

    async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("post");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Signs up (with an invite after the first) and logs in; returns the token.
    async fn account(&self, email: &str, invite: Option<&str>) -> String {
        let (s, body) = self
            .post(
                "/api/signup",
                None,
                json!({ "email": email, "password": "correct horse", "invite": invite }),
            )
            .await;
        assert_eq!(s, 200, "{body}");
        let (s, body) = self
            .post(
                "/api/login",
                None,
                json!({ "email": email, "password": "correct horse" }),
            )
            .await;
        assert_eq!(s, 200, "{body}");
        body["token"].as_str().expect("token").to_string()
    }
}

/// A sync client: the core engine over a real WebSocket.
struct Client {
    engine: SyncEngine,
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    relay: PeerId,
    errors: Vec<String>,
    unavailable: Vec<String>,
}

impl Client {
    async fn connect(url: &str, token: &str) -> Self {
        let mut request = url.into_client_request().expect("request");
        request.headers_mut().insert(
            "Authorization",
            format!("Bearer {token}").parse().expect("header"),
        );
        let (mut socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("connect");
        let engine = SyncEngine::new(
            PeerId(format!("client-{}", rand_suffix())),
            PeerMetadata::default(),
        );
        socket
            .send(Message::Binary(engine.join().encode().into()))
            .await
            .expect("join");
        let reply = socket.next().await.expect("reply").expect("frame");
        let Message::Binary(bytes) = reply else {
            panic!("expected a binary frame")
        };
        let WireMessage::Peer { sender_id, .. } = WireMessage::decode(&bytes).expect("peer") else {
            panic!("expected peer")
        };
        let mut client = Client {
            engine,
            socket,
            relay: sender_id.clone(),
            errors: vec![],
            unavailable: vec![],
        };
        client.engine.connected(&sender_id);
        client
    }

    async fn perform(&mut self, effects: Vec<Effect>) {
        for e in effects {
            if let Effect::Send { message, .. } = e {
                self.socket
                    .send(Message::Binary(message.encode().into()))
                    .await
                    .expect("send");
            }
        }
    }

    async fn open(&mut self, doc: &str, am: AutoCommit) {
        if !self.engine.has_document(doc) {
            self.engine.add_document(doc, am);
        }
        let relay = self.relay.clone();
        let effects = self.engine.open(&relay, doc, Access::ReadWrite);
        self.perform(effects).await;
    }

    async fn edit(&mut self, doc: &str, key: &str, value: &str) {
        let d = self.engine.document_mut(doc).expect("doc");
        d.put(ROOT, key, value).expect("put");
        d.commit();
        let effects = self.engine.local_change(doc);
        self.perform(effects).await;
    }

    /// Processes frames until the relay is quiet for a moment.
    async fn pump(&mut self) {
        while let Ok(Some(Ok(message))) =
            tokio::time::timeout(Duration::from_millis(300), self.socket.next()).await
        {
            let Message::Binary(bytes) = message else {
                continue;
            };
            let Ok(frame) = WireMessage::decode(&bytes) else {
                continue;
            };
            match &frame {
                WireMessage::Error { message } => self.errors.push(message.clone()),
                WireMessage::DocUnavailable { document_id, .. } => {
                    self.unavailable.push(document_id.clone())
                }
                _ => {}
            }
            let relay = self.relay.clone();
            let effects = self.engine.receive(&relay, frame, Access::ReadWrite);
            self.perform(effects).await;
        }
    }

    fn get(&self, doc: &str, key: &str) -> Option<String> {
        let d = self.engine.document(doc)?;
        match d.get(ROOT, key).ok().flatten()? {
            (automerge::Value::Scalar(s), _) => s.as_str().map(str::to_string),
            _ => None,
        }
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// A team with an owner, a member and a viewer, and a registered document.
struct Team {
    owner: String,
    member: String,
    viewer: String,
    doc: String,
}

async fn team(relay: &TestRelay) -> Team {
    let owner = relay.account("owner@example.com", None).await;
    let (s, t) = relay
        .post("/api/teams", Some(&owner), json!({ "name": "Oak St team" }))
        .await;
    assert_eq!(s, 200, "{t}");
    let team_id = t["id"].as_i64().expect("id");
    let (_, inv) = relay
        .post(
            &format!("/api/teams/{team_id}/invites"),
            Some(&owner),
            json!({ "role": "member" }),
        )
        .await;
    let member = relay
        .account("member@example.com", inv["code"].as_str())
        .await;
    let (_, inv) = relay
        .post(
            &format!("/api/teams/{team_id}/invites"),
            Some(&owner),
            json!({ "role": "viewer" }),
        )
        .await;
    let viewer = relay
        .account("viewer@example.com", inv["code"].as_str())
        .await;
    let doc = DocumentId::random().to_string();
    let (s, body) = relay
        .post(
            &format!("/api/teams/{team_id}/documents"),
            Some(&owner),
            json!({ "document": doc }),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    Team {
        owner,
        member,
        viewer,
        doc,
    }
}

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
    let (_, inv) = relay
        .post("/api/teams", Some(&t.owner), json!({ "name": "Other" }))
        .await;
    let other_team = inv["id"].as_i64().expect("id");
    let (_, code) = relay
        .post(
            &format!("/api/teams/{other_team}/invites"),
            Some(&t.owner),
            json!({ "role": "member" }),
        )
        .await;
    let outsider = relay
        .account("outsider@example.com", code["code"].as_str())
        .await;
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
    for _ in 0..200 {
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
    for _ in 0..7 {
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
