//! The sync client: the saved sign-in, the relay's REST API, one sync pass
//! over the WebSocket with the core's engine ([`sync_once`]), and a live
//! session that reconnects with backoff ([`watch`]). Shared by the CLI and
//! the desktop app (feature `client`).
//!
//! The device token is kept in the OS keychain ([`porchlight_core::secrets`];
//! without one, in a 0600 file with a warning); `<data dir>/relay.json`
//! says which relay and account. `PORCHLIGHT_RELAY` and `PORCHLIGHT_TOKEN`
//! together override both (for servers and scripts).

pub mod teams;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::Profile;
use crate::ids::DocumentId;
use crate::profile::Absorbed;
use crate::secrets::{SecretError, Secrets, Stored};
use crate::sync::presence::{HEARTBEAT, PresenceBook, PresenceNote};
use crate::sync::{Access, Effect, PeerId, PeerMetadata, SyncEngine, WireMessage};
use automerge::AutoCommit;
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// What went wrong talking to a relay.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Something the user can fix: not signed in, a bad URL, a refused
    /// sign-in, a request the relay rejected.
    #[error("{0}")]
    Usage(String),
    /// The relay could not be reached or the connection dropped.
    #[error("{0}")]
    Network(String),
    /// The relay failed or broke the protocol.
    #[error("{0}")]
    Relay(String),
    #[error("{0}")]
    Core(#[from] crate::CoreError),
    #[error("{0}")]
    Secrets(#[from] SecretError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl ClientError {
    /// True when the user can fix it (a CLI exits 2; the app shows it inline).
    pub fn is_user_error(&self) -> bool {
        match self {
            ClientError::Usage(_) => true,
            ClientError::Core(e) => e.is_user_error(),
            ClientError::Secrets(_) => true,
            _ => false,
        }
    }
}

impl From<automerge::AutomergeError> for ClientError {
    fn from(e: automerge::AutomergeError) -> Self {
        ClientError::Core(crate::CoreError::from(e))
    }
}

/// HTTP methods for [`call`].
pub use reqwest::Method;

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

fn usage(message: impl Into<String>) -> ClientError {
    ClientError::Usage(message.into())
}

/// How long sync waits for more frames before it calls the exchange done.
const QUIET: Duration = Duration::from_millis(600);
/// The longest one sync pass may take.
const SYNC_LIMIT: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credentials {
    pub relay: String,
    pub token: String,
    #[serde(default)]
    pub email: String,
    #[serde(flatten, default)]
    pub trust: Trust,
}

impl Credentials {
    /// The relay to talk to, checked against the trust settings.
    pub fn endpoint(&self) -> Result<Endpoint> {
        Endpoint::new(&self.relay, self.trust.clone())
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// How a relay is trusted, saved with the sign-in: a private CA to add to
/// the roots, and whether plain http:// to a host off this machine is
/// allowed (never by default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trust {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_insecure_http: bool,
}

/// A relay's base URL with its trust settings: what [`call`] and the sync
/// connection take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub base: String,
    pub trust: Trust,
}

impl Endpoint {
    /// Normalizes `relay` ([`base_url`]) and refuses plain http:// to a
    /// host that is not this machine unless the trust settings allow it.
    pub fn new(relay: &str, trust: Trust) -> Result<Self> {
        let base = base_url(relay)?;
        let origin = crate::net::Origin::parse(&base)
            .ok_or_else(|| usage(format!("'{relay}' is not a relay URL")))?;
        if origin.is_plain() && !origin.is_loopback() && !trust.allow_insecure_http {
            return Err(usage(format!(
                "refusing {base}: plain http:// to a relay that is not on this machine would send the password and the device token across the network unencrypted. Use the relay's https:// address (serve it with --tls-cert/--tls-key or behind a proxy such as Caddy), or, on a network you trust, pass --allow-insecure-http"
            )));
        }
        Ok(Self { base, trust })
    }

    fn http(&self) -> Result<crate::net::Http> {
        crate::net::Http::get(self.trust.ca_file.as_deref())
            .map_err(|e| ClientError::Usage(e.to_string()))
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.base)
    }
}

fn credentials_path(data_dir: &Path) -> PathBuf {
    data_dir.join("relay.json")
}

/// The keychain entry (or secrets-file key) of the device token.
const TOKEN: &str = "relay-token";

/// What `relay.json` holds: where and as whom, never the token (older
/// versions kept it here; it is moved to the keychain on first use).
#[derive(Debug, Serialize, Deserialize)]
struct Saved {
    relay: String,
    #[serde(default)]
    email: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    token: String,
    #[serde(flatten, default)]
    trust: Trust,
}

fn write_saved(data_dir: &Path, saved: &Saved) -> Result<()> {
    std::fs::create_dir_all(data_dir)?;
    let path = credentials_path(data_dir);
    let text = serde_json::to_string_pretty(saved).map_err(std::io::Error::other)?;
    std::fs::write(&path, text).map_err(|e| {
        ClientError::Io(std::io::Error::new(
            e.kind(),
            format!("cannot write {}: {e}", path.display()),
        ))
    })
}

/// Saves a sign-in: the token to the OS keychain (or, without one, a 0600
/// file — the returned [`Stored`] says which), the relay and email to
/// `relay.json`.
pub fn save_credentials(data_dir: &Path, creds: &Credentials) -> Result<Stored> {
    std::fs::create_dir_all(data_dir)?;
    let stored = Secrets::new(data_dir)?.set(TOKEN, &creds.token)?;
    write_saved(
        data_dir,
        &Saved {
            relay: creds.relay.clone(),
            email: creds.email.clone(),
            token: String::new(),
            trust: creds.trust.clone(),
        },
    )?;
    Ok(stored)
}

pub fn load_credentials(data_dir: &Path) -> Result<Credentials> {
    if let (Ok(relay), Ok(token)) = (
        std::env::var("PORCHLIGHT_RELAY"),
        std::env::var("PORCHLIGHT_TOKEN"),
    ) {
        let allow = std::env::var("PORCHLIGHT_ALLOW_INSECURE_HTTP")
            .is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"));
        return Ok(Credentials {
            relay,
            token,
            email: String::new(),
            trust: Trust {
                ca_file: None,
                allow_insecure_http: allow,
            },
        });
    }
    let path = credentials_path(data_dir);
    let text = std::fs::read_to_string(&path).map_err(|_| {
        usage("not signed in to a relay: run `porchlight login --relay URL --email E`")
    })?;
    let saved: Saved = serde_json::from_str(&text).map_err(|e| {
        usage(format!(
            "{} is damaged ({e}); run `porchlight login` again",
            path.display()
        ))
    })?;
    if !saved.token.is_empty() {
        // Written by an older version: move the token out of the file.
        let creds = Credentials {
            relay: saved.relay,
            token: saved.token,
            email: saved.email,
            trust: saved.trust,
        };
        if let Some(warning) = save_credentials(data_dir, &creds)?.warning() {
            tracing::warn!("{warning}");
        }
        return Ok(creds);
    }
    let token = Secrets::new(data_dir)?.get(TOKEN)?.ok_or_else(|| {
        usage(format!(
            "signed in to {} but the device token is not in the keychain any more: run `porchlight login --relay {} --email {}` again",
            saved.relay, saved.relay, saved.email
        ))
    })?;
    Ok(Credentials {
        relay: saved.relay,
        token,
        email: saved.email,
        trust: saved.trust,
    })
}

/// Forgets the sign-in: the token (keychain and file) and `relay.json`.
pub fn forget_credentials(data_dir: &Path) -> Result<bool> {
    let token = Secrets::new(data_dir)?.delete(TOKEN)?;
    match std::fs::remove_file(credentials_path(data_dir)) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(token),
        Err(e) => Err(e.into()),
    }
}

/// Normalizes a relay URL to its http(s) base.
pub fn base_url(relay: &str) -> Result<String> {
    let r = relay.trim().trim_end_matches('/');
    let r = r.replace("ws://", "http://").replace("wss://", "https://");
    if !(r.starts_with("http://") || r.starts_with("https://")) {
        return Err(usage(format!(
            "'{relay}' is not a relay URL; use e.g. http://127.0.0.1:7280"
        )));
    }
    Ok(r.trim_end_matches("/sync").to_string())
}

/// A REST call; relay errors come back as their plain message.
pub async fn call(
    method: reqwest::Method,
    relay: &Endpoint,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<Value> {
    let base = &relay.base;
    let url = format!("{base}{path}");
    let mut req = relay
        .http()?
        .pinned
        .request(method, &url)
        .timeout(Duration::from_secs(30));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.map_err(|e| {
        ClientError::Network(format!(
            "cannot reach the relay at {base}: {}",
            crate::net::describe(&e, &url)
        ))
    })?;
    let status = resp.status();
    let bytes = crate::net::read_capped(resp, crate::net::caps::json(), "a relay reply", "")
        .await
        .map_err(|e| ClientError::Network(e.to_string()))?;
    let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if status.is_success() {
        return Ok(value);
    }
    let message = value["message"]
        .as_str()
        .unwrap_or("no message")
        .to_string();
    if status.as_u16() == 401 && token.is_some() {
        return Err(usage(format!(
            "the relay refused the saved sign-in ({message}); run `porchlight login` again"
        )));
    }
    if status.is_client_error() {
        return Err(usage(format!("the relay said: {message}")));
    }
    Err(ClientError::Relay(format!(
        "the relay failed ({status}): {message}"
    )))
}

/// What one sync pass did.
#[derive(Debug, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncSummary {
    pub documents: usize,
    pub added: usize,
    pub updated: usize,
    pub unavailable: Vec<String>,
    pub read_only: Vec<String>,
    pub errors: Vec<String>,
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn send_all(socket: &mut Socket, effects: Vec<Effect>) -> Result<()> {
    for e in effects {
        if let Effect::Send { message, .. } = e {
            socket
                .send(Message::Binary(message.encode().into()))
                .await
                .map_err(|e| {
                    ClientError::Network(format!("the relay closed the connection: {e}"))
                })?;
        }
    }
    Ok(())
}

/// The documents to sync: shared boards (registered with their team first)
/// and every document of the user's teams.
async fn documents(profile: &mut Profile, base: &Endpoint, token: &str) -> Result<Vec<DocumentId>> {
    let token = Some(token);
    let mut docs: BTreeMap<DocumentId, ()> = BTreeMap::new();
    for (doc, team) in profile.shared_boards()? {
        call(
            reqwest::Method::POST,
            base,
            &format!("/api/teams/{team}/documents"),
            token,
            Some(serde_json::json!({ "document": doc.to_string() })),
        )
        .await
        .map_err(|e| match e {
            ClientError::Usage(m) => {
                usage(format!("cannot share board {doc} with team {team}: {m}"))
            }
            other => other,
        })?;
        docs.insert(doc, ());
    }
    let teams = call(reqwest::Method::GET, base, "/api/teams", token, None).await?;
    for team in teams.as_array().cloned().unwrap_or_default() {
        let Some(id) = team["id"].as_i64() else {
            continue;
        };
        let list = call(
            reqwest::Method::GET,
            base,
            &format!("/api/teams/{id}/documents"),
            token,
            None,
        )
        .await?;
        for d in list.as_array().cloned().unwrap_or_default() {
            if let Some(doc) = d.as_str().and_then(|s| DocumentId::parse(s).ok()) {
                docs.insert(doc, ());
            }
        }
    }
    Ok(docs.into_keys().collect())
}

/// Opens the WebSocket and completes the handshake.
async fn connect(relay: &Endpoint, token: &str) -> Result<(Socket, SyncEngine, PeerId)> {
    let ws_url = format!("{}/sync", relay.base.replacen("http", "ws", 1));
    let mut request = ws_url
        .as_str()
        .into_client_request()
        .map_err(|e| usage(format!("'{ws_url}' is not a usable relay URL: {e}")))?;
    let bearer = format!("Bearer {token}")
        .parse()
        .map_err(|_| usage("the saved token is damaged; run `porchlight login` again"))?;
    request.headers_mut().insert("Authorization", bearer);
    let tls = crate::net::websocket_tls(relay.trust.ca_file.as_deref())
        .map_err(|e| usage(e.to_string()))?;
    let connecting = tokio_tungstenite::connect_async_tls_with_config(
        request,
        None,
        true,
        Some(tokio_tungstenite::Connector::Rustls(tls)),
    );
    let (mut socket, _) = tokio::time::timeout(crate::net::CONNECT_TIMEOUT, connecting)
        .await
        .map_err(|_| {
            ClientError::Network(format!(
                "cannot open a sync connection to {ws_url}: timed out"
            ))
        })?
        .map_err(|e| match e {
            tokio_tungstenite::tungstenite::Error::Http(r) if r.status().as_u16() == 401 => {
                usage("the relay refused the saved sign-in; run `porchlight login` again")
            }
            e => ClientError::Network(format!(
                "cannot open a sync connection to {ws_url}: {}",
                crate::net::describe(&e, &ws_url)
            )),
        })?;
    let engine = SyncEngine::new(
        PeerId(format!("porchlight-{}", DocumentId::random())),
        PeerMetadata::default(),
    );
    socket
        .send(Message::Binary(engine.join().encode().into()))
        .await
        .map_err(|e| ClientError::Network(format!("the relay closed the connection: {e}")))?;
    let relay = loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .map_err(|_| ClientError::Relay("the relay did not answer the handshake".into()))?
            .ok_or_else(|| {
                ClientError::Network("the relay closed the connection during the handshake".into())
            })?
            .map_err(|e| ClientError::Network(format!("the sync connection failed: {e}")))?;
        let Message::Binary(bytes) = frame else {
            continue;
        };
        let decoded = WireMessage::decode(&bytes)
            .map_err(|e| ClientError::Relay(format!("unreadable handshake from the relay: {e}")))?;
        match decoded {
            WireMessage::Peer { sender_id, .. } => break sender_id,
            WireMessage::Error { message } => {
                return Err(ClientError::Relay(format!(
                    "the relay refused the handshake: {message}"
                )));
            }
            _ => continue,
        }
    };
    Ok((socket, engine, relay))
}

/// An ephemeral message from a peer: (sender, document, data).
type Ephemeral = (PeerId, String, Vec<u8>);

/// Handles one frame from the relay; returns the documents that changed,
/// and the frame's data if it was an ephemeral message (presence).
async fn handle_frame(
    socket: &mut Socket,
    engine: &mut SyncEngine,
    relay: &PeerId,
    bytes: &[u8],
    summary: &mut SyncSummary,
) -> Result<(Vec<String>, Option<Ephemeral>)> {
    let frame = match WireMessage::decode(bytes) {
        Ok(f) => f,
        Err(e) => {
            summary
                .errors
                .push(format!("unreadable frame from the relay: {e}"));
            return Ok((vec![], None));
        }
    };
    let mut ephemeral = None;
    match &frame {
        WireMessage::Error { message } => summary.errors.push(message.clone()),
        WireMessage::DocUnavailable { document_id, .. } => {
            summary.unavailable.push(document_id.clone())
        }
        WireMessage::Ephemeral {
            sender_id,
            document_id,
            data,
            ..
        } => ephemeral = Some((sender_id.clone(), document_id.clone(), data.clone())),
        _ => {}
    }
    let effects = engine.receive(relay, frame, Access::ReadWrite);
    let changed = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Changed { doc, .. } => Some(doc.clone()),
            _ => None,
        })
        .collect();
    send_all(socket, effects).await?;
    Ok((changed, ephemeral))
}

/// Stores the engine's copy of `doc` in the profile.
fn store_synced(
    profile: &mut Profile,
    engine: &SyncEngine,
    doc: &DocumentId,
    summary: &mut SyncSummary,
) -> Result<Absorbed> {
    let Some(synced) = engine.document(&doc.to_string()) else {
        return Ok(Absorbed::Skipped);
    };
    let absorbed = profile.absorb(*doc, &mut synced.clone())?;
    match absorbed {
        Absorbed::Added => summary.added += 1,
        Absorbed::Updated => summary.updated += 1,
        Absorbed::Unchanged | Absorbed::Skipped => {}
    }
    Ok(absorbed)
}

/// Syncs every document of the user's teams and every shared board once,
/// until the relay has nothing more to say, then stores what arrived.
pub async fn sync_once(profile: &mut Profile, creds: &Credentials) -> Result<SyncSummary> {
    let base = creds.endpoint()?;
    let docs = documents(profile, &base, &creds.token).await?;
    let (mut socket, mut engine, relay) = connect(&base, &creds.token).await?;
    let mut summary = SyncSummary {
        documents: docs.len(),
        ..SyncSummary::default()
    };
    for doc in &docs {
        let key = doc.to_string();
        let copy = profile.sync_copy(*doc)?.unwrap_or_else(AutoCommit::new);
        engine.add_document(&key, copy);
        let effects = engine.open(&relay, &key, Access::ReadWrite);
        send_all(&mut socket, effects).await?;
    }
    let started = Instant::now();
    while started.elapsed() < SYNC_LIMIT {
        let Ok(next) = tokio::time::timeout(QUIET, socket.next()).await else {
            break;
        };
        match next {
            Some(Ok(Message::Binary(bytes))) => {
                handle_frame(&mut socket, &mut engine, &relay, &bytes, &mut summary).await?;
            }
            Some(Ok(_)) => continue,
            _ => break,
        }
    }
    let _ = socket.close(None).await;
    for doc in &docs {
        if engine.is_read_only(&relay, &doc.to_string()) {
            summary.read_only.push(doc.to_string());
        }
        store_synced(profile, &engine, doc, &mut summary)?;
    }
    Ok(summary)
}

/// How often `--watch` looks for local edits to send.
const LOCAL_POLL: Duration = Duration::from_secs(1);
/// Reconnect delays: doubling from the first to the last, with jitter.
const BACKOFF_FIRST: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// The wait before the next connection attempt: doubling after each
/// attempt that never got connected, and back to the first after a
/// connection that worked, so a relay restart after hours of good sync is
/// retried within a second rather than after the longest wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Backoff {
    next: Duration,
}

impl Backoff {
    fn new() -> Self {
        Backoff {
            next: BACKOFF_FIRST,
        }
    }

    /// The wait (before jitter) after a session that ended, `connected`
    /// saying whether it got as far as syncing.
    fn after(&mut self, connected: bool) -> Duration {
        if connected {
            self.next = BACKOFF_FIRST;
        }
        let wait = self.next;
        self.next = (self.next * 2).min(BACKOFF_MAX);
        wait
    }
}

/// What a live sync session reports as it goes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SyncEvent {
    /// Connected and syncing this many documents.
    Connected { relay: String, documents: usize },
    /// A teammate's change to `document` was stored in the profile.
    RemoteChange { document: String },
    /// The relay said something about a document (read-only, unavailable…).
    RelayMessage { message: String },
    /// The connection ended; the next attempt is in `retry_in_ms`.
    Disconnected { error: String, retry_in_ms: u64 },
    /// Who else is looking at `document` now (empty: no one).
    Presence {
        document: String,
        viewers: Vec<String>,
    },
}

/// What a live session says about its user's presence: who they are, and
/// which document (board) they are looking at, if any. The app changes
/// `viewing` as the person opens and closes boards.
#[derive(Debug)]
pub struct Presence {
    pub user: String,
    pub viewing: tokio::sync::watch::Receiver<Option<String>>,
}

/// Stays connected: sends local edits as they are saved, stores remote
/// changes as they arrive (reporting each through `on_event`), and
/// reconnects with exponential backoff and jitter when the connection
/// drops. Returns only on an error the user must fix (a refused sign-in);
/// otherwise runs until the future is dropped.
pub async fn watch(
    profile: &mut Profile,
    creds: &Credentials,
    on_event: &mut (dyn FnMut(SyncEvent) + Send),
) -> Result<()> {
    watch_with_presence(profile, creds, None, on_event).await
}

/// [`watch`], also telling teammates which board this user is looking at
/// and reporting who else is ([`SyncEvent::Presence`]).
pub async fn watch_with_presence(
    profile: &mut Profile,
    creds: &Credentials,
    mut presence: Option<Presence>,
    on_event: &mut (dyn FnMut(SyncEvent) + Send),
) -> Result<()> {
    let base = creds.endpoint()?;
    let mut backoff = Backoff::new();
    loop {
        let mut book = PresenceBook::default();
        let mut connected = false;
        let ended = session(
            profile,
            &base,
            &creds.token,
            presence.as_mut(),
            &mut book,
            &mut |event| {
                connected |= matches!(event, SyncEvent::Connected { .. });
                on_event(event)
            },
        )
        .await;
        // Nobody is seen through a connection that is gone.
        for document in book.clear() {
            on_event(SyncEvent::Presence {
                document,
                viewers: vec![],
            });
        }
        let error = match ended {
            Ok(()) => "the connection to the relay closed".to_string(),
            Err(e) if e.is_user_error() => return Err(e),
            Err(e) => e.to_string(),
        };
        let base_wait = backoff.after(connected);
        let jitter = Duration::from_millis(
            u64::from(rand_jitter()) % (base_wait.as_millis() as u64 / 2 + 1),
        );
        let wait = base_wait + jitter;
        on_event(SyncEvent::Disconnected {
            error,
            retry_in_ms: wait.as_millis() as u64,
        });
        tokio::time::sleep(wait).await;
    }
}

fn rand_jitter() -> u32 {
    u32::from_le_bytes(
        *DocumentId::random()
            .as_bytes()
            .first_chunk::<4>()
            .unwrap_or(&[0; 4]),
    )
}

/// This session's presence: what it last said, and a counter for the
/// ephemeral messages it sends.
struct Announcer {
    user: String,
    session: String,
    count: u64,
    /// The synced document being viewed, if any.
    current: Option<String>,
}

impl Announcer {
    async fn say(
        &mut self,
        socket: &mut Socket,
        engine: &SyncEngine,
        relay: &PeerId,
        doc: &str,
        viewing: bool,
    ) -> Result<()> {
        self.count += 1;
        let note = PresenceNote {
            user: self.user.clone(),
            viewing,
        };
        let message = WireMessage::Ephemeral {
            sender_id: engine.peer_id().clone(),
            target_id: relay.clone(),
            count: self.count,
            session_id: self.session.clone(),
            document_id: doc.to_string(),
            data: note.encode(),
        };
        socket
            .send(Message::Binary(message.encode().into()))
            .await
            .map_err(|e| ClientError::Network(format!("the relay closed the connection: {e}")))
    }
}

/// Waits until the viewed document changes; never, without presence.
async fn viewing_changed(presence: &mut Option<&mut Presence>) -> Option<String> {
    if let Some(p) = presence
        && p.viewing.changed().await.is_ok()
    {
        return p.viewing.borrow_and_update().clone();
    }
    std::future::pending().await
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// One connected session of `watch`; returns when the connection ends.
async fn session(
    profile: &mut Profile,
    base: &Endpoint,
    token: &str,
    mut presence: Option<&mut Presence>,
    book: &mut PresenceBook,
    on_event: &mut (dyn FnMut(SyncEvent) + Send),
) -> Result<()> {
    let docs = documents(profile, base, token).await?;
    let (mut socket, mut engine, relay) = connect(base, token).await?;
    let mut summary = SyncSummary::default();
    for doc in &docs {
        let key = doc.to_string();
        engine.add_document(
            &key,
            profile.sync_copy(*doc)?.unwrap_or_else(AutoCommit::new),
        );
        let effects = engine.open(&relay, &key, Access::ReadWrite);
        send_all(&mut socket, effects).await?;
    }
    on_event(SyncEvent::Connected {
        relay: base.base.clone(),
        documents: docs.len(),
    });
    let synced: BTreeMap<String, ()> = docs.iter().map(|d| (d.to_string(), ())).collect();
    // Only documents the relay syncs carry presence (a board kept on this
    // device alone has no one else to see it).
    let shared = |doc: Option<String>| doc.filter(|d| synced.contains_key(d));
    let mut me = Announcer {
        user: presence
            .as_ref()
            .map(|p| p.user.clone())
            .unwrap_or_default(),
        session: DocumentId::random().to_string(),
        count: 0,
        current: shared(presence.as_ref().and_then(|p| p.viewing.borrow().clone())),
    };
    if let Some(doc) = me.current.clone() {
        me.say(&mut socket, &engine, &relay, &doc, true).await?;
    }
    let mut poll = tokio::time::interval(LOCAL_POLL);
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    loop {
        tokio::select! {
            next = socket.next() => match next {
                Some(Ok(Message::Binary(bytes))) => {
                    let (changed, ephemeral) =
                        handle_frame(&mut socket, &mut engine, &relay, &bytes, &mut summary).await?;
                    for key in changed {
                        let Ok(doc) = DocumentId::parse(&key) else { continue };
                        if matches!(store_synced(profile, &engine, &doc, &mut summary)?, Absorbed::Updated | Absorbed::Added) {
                            on_event(SyncEvent::RemoteChange { document: key });
                        }
                    }
                    if let Some((sender, document, data)) = ephemeral
                        && presence.is_some()
                        && let Some(note) = PresenceNote::decode(&data)
                    {
                        let arrived = note.viewing;
                        if book.heard(&document, &sender, note, now_ms()) {
                            on_event(SyncEvent::Presence { viewers: book.viewers(&document), document: document.clone() });
                            // Someone new is here: say we are too, rather
                            // than leave them waiting for our heartbeat.
                            if arrived && me.current.as_deref() == Some(document.as_str()) {
                                me.say(&mut socket, &engine, &relay, &document, true).await?;
                            }
                        }
                    }
                    for message in summary.errors.drain(..) {
                        on_event(SyncEvent::RelayMessage { message });
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                    return Err(ClientError::Network("the connection to the relay closed".into()));
                }
                Some(Ok(_)) => {}
            },
            viewing = viewing_changed(&mut presence) => {
                let viewing = shared(viewing);
                if viewing != me.current {
                    if let Some(old) = me.current.take() {
                        me.say(&mut socket, &engine, &relay, &old, false).await?;
                    }
                    if let Some(new) = viewing.clone() {
                        me.say(&mut socket, &engine, &relay, &new, true).await?;
                    }
                    me.current = viewing;
                }
            }
            _ = heartbeat.tick() => {
                if let Some(doc) = me.current.clone() {
                    me.say(&mut socket, &engine, &relay, &doc, true).await?;
                }
                for document in book.expire(now_ms()) {
                    on_event(SyncEvent::Presence { viewers: book.viewers(&document), document });
                }
            }
            _ = poll.tick() => {
                // Local edits made by other commands or the app: merge them
                // into the engine's copy and send.
                for doc in &docs {
                    let key = doc.to_string();
                    let Some(mut local) = profile.sync_copy(*doc)? else { continue };
                    let Some(engine_doc) = engine.document_mut(&key) else { continue };
                    if local.get_heads() == engine_doc.get_heads() {
                        continue;
                    }
                    engine_doc.merge(&mut local)?;
                    let effects = engine.local_change(&key);
                    send_all(&mut socket, effects).await?;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_while_failing_and_starts_over_after_a_good_connection() {
        let mut b = Backoff::new();
        let secs = |d: Duration| d.as_secs();
        let failing: Vec<u64> = (0..8).map(|_| secs(b.after(false))).collect();
        assert_eq!(failing, [1, 2, 4, 8, 16, 32, 60, 60]);
        // Connected for hours, then the relay restarts: retried at once.
        assert_eq!(secs(b.after(true)), 1);
        assert_eq!(secs(b.after(false)), 2);
    }

    #[test]
    fn relay_urls_are_normalized_and_nonsense_is_refused() {
        for (given, want) in [
            ("http://127.0.0.1:7280", "http://127.0.0.1:7280"),
            (" https://relay.example/ ", "https://relay.example"),
            ("ws://127.0.0.1:7280/sync", "http://127.0.0.1:7280"),
            ("wss://relay.example/sync", "https://relay.example"),
        ] {
            assert_eq!(base_url(given).expect(given), want);
        }
        let err = base_url("relay.example").expect_err("no scheme");
        assert!(err.is_user_error());
        assert!(err.to_string().contains("http://127.0.0.1:7280"), "{err}");
    }

    #[test]
    fn plain_http_to_another_machine_is_refused_unless_allowed() {
        for local in [
            "http://127.0.0.1:7280",
            "http://localhost:7280",
            "http://[::1]:7280",
        ] {
            Endpoint::new(local, Trust::default()).expect(local);
        }
        Endpoint::new("https://relay.example", Trust::default()).expect("https");
        let err = Endpoint::new("http://relay.example:7280", Trust::default())
            .expect_err("plain http off this machine");
        assert!(err.is_user_error());
        let text = err.to_string();
        assert!(
            text.contains("unencrypted") && text.contains("--allow-insecure-http"),
            "{text}"
        );
        let allowed = Trust {
            allow_insecure_http: true,
            ..Trust::default()
        };
        Endpoint::new("http://relay.example:7280", allowed).expect("allowed");
    }

    #[test]
    fn a_sign_in_round_trips_and_relay_json_never_holds_the_token() {
        let dir = tempfile::tempdir().expect("dir");
        let creds = Credentials {
            relay: "http://127.0.0.1:7280".into(),
            token: "t0ken-for-the-test".into(),
            email: "kim@example.com".into(),
            trust: Trust {
                ca_file: Some(PathBuf::from("/etc/porchlight/ca.pem")),
                allow_insecure_http: false,
            },
        };
        save_credentials(dir.path(), &creds).expect("save");
        let saved = std::fs::read_to_string(dir.path().join("relay.json")).expect("relay.json");
        assert!(!saved.contains("t0ken-for-the-test"), "{saved}");
        let loaded = load_credentials(dir.path()).expect("load");
        assert_eq!(loaded.token, creds.token);
        assert_eq!(loaded.email, creds.email);
        assert_eq!(
            loaded.trust, creds.trust,
            "the CA file is saved with the sign-in"
        );
        assert!(forget_credentials(dir.path()).expect("forget"));
        let err = load_credentials(dir.path()).expect_err("signed out");
        assert!(
            err.is_user_error() && err.to_string().contains("porchlight login"),
            "{err}"
        );
    }

    #[test]
    fn a_token_left_in_relay_json_by_an_older_version_is_moved_out() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(
            dir.path().join("relay.json"),
            r#"{"relay":"http://127.0.0.1:7280","token":"old-t0ken","email":"kim@example.com"}"#,
        )
        .expect("write");
        assert_eq!(
            load_credentials(dir.path()).expect("load").token,
            "old-t0ken"
        );
        let saved = std::fs::read_to_string(dir.path().join("relay.json")).expect("relay.json");
        assert!(!saved.contains("old-t0ken"), "{saved}");
        assert_eq!(
            load_credentials(dir.path()).expect("again").token,
            "old-t0ken"
        );
        forget_credentials(dir.path()).expect("forget");
    }
}
