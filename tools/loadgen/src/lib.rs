//! The parts the load generator and the attack tool share: a sync client
//! speaking automerge-repo protocol v1 over a WebSocket, the server's
//! memory and CPU read from /proc, percentiles, and document registration
//! through the Porchlight REST API.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use futures_util::{SinkExt, StreamExt};
use porchlight_model::ids::DocumentId;
use porchlight_sync::{Access, Effect, PeerId, PeerMetadata, SyncEngine, WireMessage};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// CPU seconds (user + system) a process has used so far, and ours.
pub fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/stat"),
        None => "/proc/self/stat".to_string(),
    };
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the command name (which may contain spaces) in parentheses.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on Linux.
    Some(ticks / 100.0)
}

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One sync client on one document.
pub struct Client {
    pub id: usize,
    pub doc: String,
    pub engine: SyncEngine,
    pub socket: Socket,
    pub relay: PeerId,
    /// Last value seen per key, so each new value is timed once.
    pub seen: HashMap<String, u64>,
    /// How many changes this client has written (its `n{id}` key).
    pub written: u64,
}

pub async fn connect(url: &str, token: Option<&str>, id: usize, doc: &str) -> Result<Client> {
    let full = match token {
        Some(t) => format!("{url}?token={t}"),
        None => url.to_string(),
    };
    let request = full.as_str().into_client_request()?;
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .with_context(|| format!("client {id} cannot connect"))?;
    let engine = SyncEngine::new(
        PeerId(format!("loadgen-{id}-{}", DocumentId::random())),
        PeerMetadata::default(),
    );
    socket
        .send(Message::Binary(engine.join().encode().into()))
        .await?;
    let relay = loop {
        let Some(frame) = socket.next().await else {
            return Err(anyhow!("closed during handshake"));
        };
        if let Message::Binary(bytes) = frame? {
            match WireMessage::decode(&bytes)? {
                WireMessage::Peer { sender_id, .. } => break sender_id,
                WireMessage::Error { message } => {
                    return Err(anyhow!("handshake refused: {message}"));
                }
                _ => {}
            }
        }
    };
    let c = Client {
        id,
        doc: doc.to_string(),
        engine,
        socket,
        relay: relay.clone(),
        seen: HashMap::new(),
        written: 0,
    };
    Ok(c)
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("doc", &self.doc)
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub async fn send(&mut self, effects: Vec<Effect>) -> Result<()> {
        for e in effects {
            if let Effect::Send { message, .. } = e {
                self.socket
                    .send(Message::Binary(message.encode().into()))
                    .await?;
            }
        }
        Ok(())
    }

    pub async fn open(&mut self, doc: AutoCommit) -> Result<()> {
        self.engine.add_document(&self.doc, doc);
        let relay = self.relay.clone();
        let effects = self
            .engine
            .open(&relay, &self.doc.clone(), Access::ReadWrite);
        self.send(effects).await
    }

    pub async fn write(&mut self) -> Result<()> {
        let key = format!("c{}", self.id);
        let doc = self.doc.clone();
        if let Some(d) = self.engine.document_mut(&doc) {
            self.written += 1;
            d.put(ROOT, key, now_us())?;
            d.put(ROOT, format!("n{}", self.id), self.written)?;
            d.commit();
        }
        let effects = self.engine.local_change(&doc);
        self.send(effects).await
    }

    /// Handles one frame; returns latencies (ms) of teammates' newest values
    /// that arrived, and how many of their changes arrived.
    pub async fn handle(&mut self, bytes: &[u8]) -> Result<(Vec<f64>, u64)> {
        let frame = WireMessage::decode(bytes)?;
        let relay = self.relay.clone();
        let effects = self.engine.receive(&relay, frame, Access::ReadWrite);
        let changed = effects.iter().any(|e| matches!(e, Effect::Changed { .. }));
        self.send(effects).await?;
        let mut out = Vec::new();
        let mut delivered = 0;
        if changed && let Some(d) = self.engine.document(&self.doc) {
            let now = now_us();
            let own = format!("c{}", self.id);
            let own_count = format!("n{}", self.id);
            for key in d.keys(ROOT) {
                if key == own || key == own_count {
                    continue;
                }
                if key.starts_with('n') {
                    if let Ok(Some((automerge::Value::Scalar(v), _))) = d.get(ROOT, key.as_str())
                        && let Some(n) = v.as_u64()
                    {
                        let old = self.seen.insert(key, n).unwrap_or(0);
                        delivered += n.saturating_sub(old);
                    }
                    continue;
                }
                // Only teammates' `c<id>` timestamps are timed (the creator's
                // `created` is not a delivery: timing it once added the
                // connect phase's length to a sample per document).
                let is_timestamp = key
                    .strip_prefix('c')
                    .is_some_and(|id| id.parse::<usize>().is_ok());
                if is_timestamp
                    && let Ok(Some((automerge::Value::Scalar(v), _))) = d.get(ROOT, key.as_str())
                    && let Some(t) = v.as_u64()
                    && self.seen.get(&key).is_none_or(|old| *old < t)
                {
                    self.seen.insert(key, t);
                    out.push(now.saturating_sub(t) as f64 / 1000.0);
                }
            }
        }
        Ok((out, delivered))
    }
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Registers documents with a Porchlight team (plain HTTP/1.1 over a socket,
/// so the load generator needs no HTTP client library).
pub async fn register_documents(base: &str, team: i64, token: &str, docs: &[String]) -> Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = base.trim_start_matches("http://").to_string();
    for doc in docs {
        let body = format!("{{\"document\":\"{doc}\"}}");
        let request = format!(
            "POST /api/teams/{team}/documents HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut stream = tokio::net::TcpStream::connect(&host).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut response = String::new();
        stream.read_to_string(&mut response).await?;
        if !response.starts_with("HTTP/1.1 200") {
            return Err(anyhow!(
                "registering {doc}: {}",
                response.lines().next().unwrap_or_default()
            ));
        }
    }
    Ok(())
}
