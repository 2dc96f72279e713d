//! Talking to a relay: the saved sign-in, the REST API, and one sync pass
//! over the WebSocket with the core's engine.
//!
//! The device token is kept in the OS keychain ([`porchlight_core::secrets`];
//! without one, in a 0600 file with a warning); `<data dir>/relay.json`
//! says which relay and account. `PORCHLIGHT_RELAY` and `PORCHLIGHT_TOKEN`
//! together override both (for servers and scripts).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use automerge::AutoCommit;
use futures_util::{SinkExt, StreamExt};
use porchlight_core::Profile;
use porchlight_core::ids::DocumentId;
use porchlight_core::profile::Absorbed;
use porchlight_core::secrets::{Secrets, Stored};
use porchlight_core::sync::{Access, Effect, PeerId, PeerMetadata, SyncEngine, WireMessage};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::UsageError;

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
}

fn write_saved(data_dir: &Path, saved: &Saved) -> Result<()> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let path = credentials_path(data_dir);
    let text = serde_json::to_string_pretty(saved)?;
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Saves a sign-in: the token to the OS keychain (or, without one, a 0600
/// file — the returned [`Stored`] says which), the relay and email to
/// `relay.json`.
pub fn save_credentials(data_dir: &Path, creds: &Credentials) -> Result<Stored> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let stored = Secrets::new(data_dir)?.set(TOKEN, &creds.token)?;
    write_saved(
        data_dir,
        &Saved {
            relay: creds.relay.clone(),
            email: creds.email.clone(),
            token: String::new(),
        },
    )?;
    Ok(stored)
}

pub fn load_credentials(data_dir: &Path) -> Result<Credentials> {
    if let (Ok(relay), Ok(token)) = (
        std::env::var("PORCHLIGHT_RELAY"),
        std::env::var("PORCHLIGHT_TOKEN"),
    ) {
        return Ok(Credentials {
            relay,
            token,
            email: String::new(),
        });
    }
    let path = credentials_path(data_dir);
    let text = std::fs::read_to_string(&path).map_err(|_| {
        UsageError("not signed in to a relay: run `porchlight login --relay URL --email E`".into())
    })?;
    let saved: Saved = serde_json::from_str(&text).map_err(|e| {
        anyhow!(
            "{} is damaged ({e}); run `porchlight login` again",
            path.display()
        )
    })?;
    if !saved.token.is_empty() {
        // Written by an older version: move the token out of the file.
        let creds = Credentials {
            relay: saved.relay,
            token: saved.token,
            email: saved.email,
        };
        if let Some(warning) = save_credentials(data_dir, &creds)?.warning() {
            eprintln!("porchlight: {warning}");
        }
        return Ok(creds);
    }
    let token = Secrets::new(data_dir)?.get(TOKEN)?.ok_or_else(|| {
        UsageError(format!(
            "signed in to {} but the device token is not in the keychain any more: run `porchlight login --relay {} --email {}` again",
            saved.relay, saved.relay, saved.email
        ))
    })?;
    Ok(Credentials {
        relay: saved.relay,
        token,
        email: saved.email,
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
        return Err(UsageError(format!(
            "'{relay}' is not a relay URL; use e.g. http://127.0.0.1:7280"
        ))
        .into());
    }
    Ok(r.trim_end_matches("/sync").to_string())
}

/// A REST call; relay errors come back as their plain message.
pub async fn call(
    method: reqwest::Method,
    base: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<Value> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let mut req = client.request(method, format!("{base}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| anyhow!("cannot reach the relay at {base}: {e}"))?;
    let status = resp.status();
    let value: Value = resp.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        return Ok(value);
    }
    let message = value["message"]
        .as_str()
        .unwrap_or("no message")
        .to_string();
    if status.as_u16() == 401 && token.is_some() {
        return Err(UsageError(format!(
            "the relay refused the saved sign-in ({message}); run `porchlight login` again"
        ))
        .into());
    }
    if status.is_client_error() {
        return Err(UsageError(format!("the relay said: {message}")).into());
    }
    Err(anyhow!("the relay failed ({status}): {message}"))
}

/// What one sync pass did.
#[derive(Debug, Default, Serialize)]
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
                .context("the relay closed the connection")?;
        }
    }
    Ok(())
}

/// The documents to sync: shared boards (registered with their team first)
/// and every document of the user's teams.
async fn documents(profile: &mut Profile, base: &str, token: &str) -> Result<Vec<DocumentId>> {
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
        .with_context(|| format!("cannot share board {doc} with team {team}"))?;
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
async fn connect(base: &str, token: &str) -> Result<(Socket, SyncEngine, PeerId)> {
    let ws_url = format!("{}/sync", base.replacen("http", "ws", 1));
    let mut request = ws_url.as_str().into_client_request()?;
    request
        .headers_mut()
        .insert("Authorization", format!("Bearer {token}").parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| anyhow!("cannot open a sync connection to {ws_url}: {e}"))?;
    let mut engine = SyncEngine::new(
        PeerId(format!("porchlight-cli-{}", DocumentId::random())),
        PeerMetadata::default(),
    );
    socket
        .send(Message::Binary(engine.join().encode().into()))
        .await?;
    let relay = loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .map_err(|_| anyhow!("the relay did not answer the handshake"))?
            .ok_or_else(|| anyhow!("the relay closed the connection during the handshake"))??;
        let Message::Binary(bytes) = frame else {
            continue;
        };
        match WireMessage::decode(&bytes)? {
            WireMessage::Peer { sender_id, .. } => break sender_id,
            WireMessage::Error { message } => {
                return Err(anyhow!("the relay refused the handshake: {message}"));
            }
            _ => continue,
        }
    };
    engine.connected(&relay);
    Ok((socket, engine, relay))
}

/// Handles one frame from the relay; returns documents that changed.
async fn handle_frame(
    socket: &mut Socket,
    engine: &mut SyncEngine,
    relay: &PeerId,
    bytes: &[u8],
    summary: &mut SyncSummary,
) -> Result<Vec<String>> {
    let frame = match WireMessage::decode(bytes) {
        Ok(f) => f,
        Err(e) => {
            summary
                .errors
                .push(format!("unreadable frame from the relay: {e}"));
            return Ok(vec![]);
        }
    };
    match &frame {
        WireMessage::Error { message } => summary.errors.push(message.clone()),
        WireMessage::DocUnavailable { document_id, .. } => {
            summary.unavailable.push(document_id.clone())
        }
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
    Ok(changed)
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
    let base = base_url(&creds.relay)?;
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

/// Stays connected: sends local edits as they are saved, stores and prints
/// remote changes as they arrive, and reconnects with exponential backoff
/// and jitter when the connection drops. Runs until interrupted.
pub async fn watch(profile: &mut Profile, creds: &Credentials) -> Result<()> {
    let base = base_url(&creds.relay)?;
    let mut backoff = BACKOFF_FIRST;
    loop {
        match session(profile, &base, &creds.token).await {
            Ok(()) => backoff = BACKOFF_FIRST,
            Err(e) => {
                if e.downcast_ref::<UsageError>().is_some() {
                    return Err(e);
                }
                eprintln!("sync: {e:#}");
            }
        }
        let jitter =
            Duration::from_millis(u64::from(rand_jitter()) % (backoff.as_millis() as u64 / 2 + 1));
        let wait = backoff + jitter;
        eprintln!("sync: reconnecting in {:.1} s", wait.as_secs_f64());
        tokio::time::sleep(wait).await;
        backoff = (backoff * 2).min(BACKOFF_MAX);
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

/// One connected session of `watch`; returns when the connection ends.
async fn session(profile: &mut Profile, base: &str, token: &str) -> Result<()> {
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
    println!(
        "sync: connected to {base}, watching {} documents",
        docs.len()
    );
    let mut poll = tokio::time::interval(LOCAL_POLL);
    loop {
        tokio::select! {
            next = socket.next() => match next {
                Some(Ok(Message::Binary(bytes))) => {
                    for key in handle_frame(&mut socket, &mut engine, &relay, &bytes, &mut summary).await? {
                        let Ok(doc) = DocumentId::parse(&key) else { continue };
                        if matches!(store_synced(profile, &engine, &doc, &mut summary)?, Absorbed::Updated | Absorbed::Added) {
                            println!("sync: remote change in {key}");
                        }
                    }
                    for e in summary.errors.drain(..) {
                        println!("relay: {e}");
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                    return Err(anyhow!("the connection to the relay closed"));
                }
                Some(Ok(_)) => {}
            },
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
