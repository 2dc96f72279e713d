//! Test helpers: a relay on port 0 and a sync client built on the core's engine.
#![allow(dead_code)]

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ChangeHash, ROOT, ReadDoc};
use futures_util::{SinkExt, StreamExt};
use porchlight_model::ids::DocumentId;
use porchlight_relay::{Config, Relay};
use porchlight_sync::{Access, Effect, PeerId, PeerMetadata, SyncEngine, WireMessage};
use porchlight_testkit::services::TestPostgres;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

pub struct TestRelay {
    pub base: String,
    pub ws: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
    store: Option<porchlight_relay::store::Store>,
    /// The relay's state (weak: the relay shuts down when the test drops it).
    state: Option<std::sync::Weak<porchlight_relay::AppState>>,
    /// The PostgreSQL server of this relay's data, when the tests run on
    /// PostgreSQL.
    _postgres: Option<Arc<TestPostgres>>,
}

/// An instant from RFC 3339 text.
pub fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s)
        .expect("time")
        .with_timezone(&chrono::Utc)
}

/// A board "48 Elm Ave" with one column, To do, made at `made`: the board,
/// its id and the column.
pub fn elm_board(
    doc: &str,
    made: chrono::DateTime<chrono::Utc>,
) -> (
    porchlight_doc::BoardDoc,
    DocumentId,
    porchlight_model::ids::ColumnId,
) {
    let id = DocumentId::parse(doc).expect("id");
    let todo = porchlight_model::ids::ColumnId::new("todo");
    let board = porchlight_doc::BoardDoc::create(
        AutoCommit::new(),
        id,
        "48 Elm Ave",
        &[(todo.clone(), "To do".into())],
        None,
        made,
    )
    .expect("board");
    (board, id, todo)
}

/// Whether the relay tests run on PostgreSQL (`PORCHLIGHT_TEST_DATABASE=
/// postgres`) rather than SQLite: the same tests, on either backend.
pub fn on_postgres() -> bool {
    std::env::var("PORCHLIGHT_TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

/// The flags that give the relay binary its storage for `dir`: the
/// directory itself, or (on PostgreSQL) a database of the server kept for
/// it, which the caller holds while the relay runs.
pub fn storage_flags(dir: &std::path::Path) -> (Vec<String>, Option<Arc<TestPostgres>>) {
    if on_postgres() {
        let pg = postgres_for(dir);
        let url = pg.database("relay").expect("database");
        (vec!["--database".into(), url], Some(pg))
    } else {
        (vec!["--data-dir".into(), dir.display().to_string()], None)
    }
}

/// One throwaway PostgreSQL server per data directory, alive while a relay
/// of that directory is (a restarted relay finds its data again).
fn postgres_for(dir: &std::path::Path) -> Arc<TestPostgres> {
    static SERVERS: Mutex<Vec<(std::path::PathBuf, Weak<TestPostgres>)>> = Mutex::new(Vec::new());
    let mut servers = SERVERS.lock().expect("servers");
    servers.retain(|(_, w)| w.strong_count() > 0);
    if let Some(pg) = servers
        .iter()
        .find(|(d, _)| d == dir)
        .and_then(|(_, w)| w.upgrade())
    {
        return pg;
    }
    let pg = Arc::new(TestPostgres::start().expect("a throwaway PostgreSQL"));
    servers.push((dir.to_path_buf(), Arc::downgrade(&pg)));
    pg
}

impl TestRelay {
    pub async fn start_in(dir: &std::path::Path) -> Self {
        Self::start_with(dir, |_| {}).await
    }

    /// A relay with adjusted configuration.
    pub async fn start_with(dir: &std::path::Path, adjust: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::for_dir(dir.to_path_buf());
        adjust(&mut config);
        // A test that names its database (several nodes on one) keeps it.
        let postgres = (on_postgres() && config.database.is_none()).then(|| postgres_for(dir));
        if let Some(pg) = &postgres {
            let url = pg.database("relay").expect("database");
            config.database = Some(porchlight_relay::config::DatabaseUrl(url));
        }
        Self::start_config(config, postgres).await
    }

    /// A relay on SQLite in `dir`, whatever backend the run is on (for the
    /// tests that move data out of SQLite).
    pub async fn start_sqlite(dir: &std::path::Path) -> Self {
        Self::start_config(Config::for_dir(dir.to_path_buf()), None).await
    }

    async fn start_config(config: Config, postgres: Option<Arc<TestPostgres>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let relay = Relay::start(config).await.expect("start");
        let store = relay.state.store.clone();
        let state = Arc::downgrade(&relay.state);
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
            store: Some(store),
            state: Some(state),
            _postgres: postgres,
        }
    }

    /// The state of a relay this test runs.
    pub fn state(&self) -> Arc<porchlight_relay::AppState> {
        self.state
            .as_ref()
            .and_then(std::sync::Weak::upgrade)
            .expect("a relay running in this test")
    }

    /// Waits (up to 10 s) until the view's rows of board `doc` satisfy
    /// `ready`; whether they did.
    pub async fn view_until(
        &self,
        doc: &str,
        ready: impl Fn(&[porchlight_relay::store::ViewTask]) -> bool,
    ) -> bool {
        for _ in 0..100 {
            let rows = self
                .state()
                .store
                .view_tasks_of(doc, None)
                .await
                .expect("view");
            if ready(&rows) {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        false
    }

    /// A handle on a relay running elsewhere (another process).
    pub fn at(base: &str) -> Self {
        Self {
            base: base.to_string(),
            ws: format!("{}/sync", base.replace("http://", "ws://")),
            shutdown: None,
            task: None,
            _dir: None,
            store: None,
            state: None,
            _postgres: None,
        }
    }

    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let mut r = Self::start_in(dir.path()).await;
        r._dir = Some(dir);
        r
    }

    /// The relay's storage (for tests that look beneath the API).
    pub fn store(&self) -> porchlight_relay::store::Store {
        self.store.clone().expect("a relay started by the test")
    }

    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
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

    /// Any method; the status, the JSON body (or null) and the headers.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = reqwest::Client::new().request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// The account id behind a token.
    pub async fn me(&self, token: &str) -> i64 {
        let (s, me) = self
            .call(reqwest::Method::GET, "/api/me", Some(token), None)
            .await;
        assert_eq!(s, 200, "{me}");
        me["account"].as_i64().expect("account")
    }

    /// Signs up (with an invite after the first) and logs in; returns the token.
    pub async fn account(&self, email: &str, invite: Option<&str>) -> String {
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
pub struct Client {
    pub engine: SyncEngine,
    pub socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    pub relay: PeerId,
    pub errors: Vec<String>,
    pub unavailable: Vec<String>,
    /// Heads the relay announced in its sync messages: it had persisted them.
    pub acknowledged: Vec<ChangeHash>,
    /// Ephemeral messages received: (sender, document, data).
    pub ephemeral: Vec<(PeerId, String, Vec<u8>)>,
    /// The close code, once the relay closed the connection (1006: the
    /// socket ended without a close frame).
    pub closed: Option<u16>,
}

impl Client {
    pub async fn connect(url: &str, token: &str) -> Self {
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
        Client {
            engine,
            socket,
            relay: sender_id.clone(),
            errors: vec![],
            unavailable: vec![],
            acknowledged: vec![],
            ephemeral: vec![],
            closed: None,
        }
    }

    pub async fn perform(&mut self, effects: Vec<Effect>) {
        for e in effects {
            if let Effect::Send { message, .. } = e {
                self.socket
                    .send(Message::Binary(message.encode().into()))
                    .await
                    .ok();
            }
        }
    }

    pub async fn open(&mut self, doc: &str, am: AutoCommit) {
        if !self.engine.has_document(doc) {
            self.engine.add_document(doc, am);
        }
        let relay = self.relay.clone();
        let effects = self.engine.open(&relay, doc, Access::ReadWrite);
        self.perform(effects).await;
    }

    pub async fn edit(&mut self, doc: &str, key: &str, value: &str) {
        let d = self.engine.document_mut(doc).expect("doc");
        d.put(ROOT, key, value).expect("put");
        d.commit();
        let effects = self.engine.local_change(doc);
        self.perform(effects).await;
    }

    /// Sends an ephemeral message about `doc`, naming `sender` as its sender.
    pub async fn ephemeral(&mut self, doc: &str, sender: PeerId, data: &[u8]) {
        let message = WireMessage::Ephemeral {
            sender_id: sender,
            target_id: self.relay.clone(),
            count: 1,
            session_id: "test".into(),
            document_id: doc.to_string(),
            data: data.to_vec(),
        };
        self.socket
            .send(Message::Binary(message.encode().into()))
            .await
            .ok();
    }

    /// Processes frames until the relay is quiet for a moment.
    pub async fn pump(&mut self) {
        self.pump_for(Duration::from_millis(300)).await;
    }

    /// Processes frames until none arrives for `quiet`; a closed socket ends it.
    pub async fn pump_for(&mut self, quiet: Duration) {
        loop {
            let message = match tokio::time::timeout(quiet, self.socket.next()).await {
                Err(_) => break,
                Ok(Some(Ok(m))) => m,
                Ok(_) => {
                    self.closed.get_or_insert(1006);
                    break;
                }
            };
            if let Message::Close(frame) = &message {
                self.closed = Some(frame.as_ref().map_or(1005, |f| u16::from(f.code)));
                break;
            }
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
                WireMessage::Sync { data, .. } => {
                    if let Ok(m) = automerge::sync::Message::decode(data) {
                        self.acknowledged.extend(m.heads);
                    }
                }
                WireMessage::Ephemeral {
                    sender_id,
                    document_id,
                    data,
                    ..
                } => self
                    .ephemeral
                    .push((sender_id.clone(), document_id.clone(), data.clone())),
                _ => {}
            }
            let relay = self.relay.clone();
            let effects = self.engine.receive(&relay, frame, Access::ReadWrite);
            self.perform(effects).await;
        }
    }

    pub fn get(&self, doc: &str, key: &str) -> Option<String> {
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
pub struct Team {
    pub id: i64,
    pub owner: String,
    pub member: String,
    pub viewer: String,
    pub doc: String,
}

pub async fn team(relay: &TestRelay) -> Team {
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
        id: team_id,
        owner,
        member,
        viewer,
        doc,
    }
}

/// An account in another team (made by the same owner), with no access to
/// `t`'s document.
pub async fn outsider(relay: &TestRelay, t: &Team) -> String {
    let (_, other) = relay
        .post("/api/teams", Some(&t.owner), json!({ "name": "Other" }))
        .await;
    let other_team = other["id"].as_i64().expect("id");
    let (_, code) = relay
        .post(
            &format!("/api/teams/{other_team}/invites"),
            Some(&t.owner),
            json!({ "role": "member" }),
        )
        .await;
    relay
        .account("outsider@example.com", code["code"].as_str())
        .await
}

/// The Python with the interop packages (icalendar, aiosmtpd), made by
/// `make interop-deps`; `PORCHLIGHT_INTEROP_PYTHON` names another.
pub fn interop_python() -> std::path::PathBuf {
    if let Ok(p) = std::env::var("PORCHLIGHT_INTEROP_PYTHON") {
        return p.into();
    }
    let p =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/interop-venv/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run `make interop-deps` (it installs interop/requirements.txt into target/interop-venv)",
        p.display()
    );
    p
}
