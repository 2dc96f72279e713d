//! The hub: one thread that owns the sync engine and performs its effects.
//!
//! Connections send their frames here through a bounded channel and get
//! frames back through their own bounded channel. The hub checks each
//! document's owner team and the sender's role before the engine sees a
//! frame, loads documents from storage on first use, writes every change to
//! storage (committed) before sending anything that acknowledges or forwards
//! it, and evicts documents from memory once no connection syncs them, so
//! memory follows the working set, not the number of stored documents.
//! Ephemeral messages (presence) from a peer with access to a document go
//! to the other peers syncing it, and are never stored.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use automerge::AutoCommit;
use porchlight_sync::{Access, Effect, PeerId, PeerMetadata, SyncEngine, WireMessage};
use tokio::sync::mpsc;

use crate::store::{Role, Store};

/// Frames queued for one connection before it counts as a slow reader.
pub const SEND_QUEUE: usize = 512;
/// Frames queued for the hub from all connections.
pub const HUB_QUEUE: usize = 4096;
/// Most inputs handled before one group commit.
const MAX_BATCH: usize = 512;

/// What the hub sends a connection.
#[derive(Debug)]
pub enum Outbound {
    Frame(Vec<u8>),
    Close(String),
}

#[derive(Debug)]
pub enum HubInput {
    Connect {
        peer: PeerId,
        account: i64,
        out: mpsc::Sender<Outbound>,
    },
    Frame {
        peer: PeerId,
        bytes: Vec<u8>,
    },
    Disconnect {
        peer: PeerId,
    },
}

/// Upper bounds (milliseconds) of the frame-handling histogram buckets.
const LATENCY_BUCKETS_MS: [f64; 10] = [0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0];

/// A Prometheus histogram of how long the hub takes from a sync frame's
/// arrival to having committed its changes and queued every reply (the
/// relay's share of a sync round trip).
#[derive(Debug, Default)]
pub struct Latency {
    buckets: [AtomicU64; LATENCY_BUCKETS_MS.len()],
    count: AtomicU64,
    sum_us: AtomicU64,
}

impl Latency {
    pub fn observe(&self, elapsed: std::time::Duration) {
        let ms = elapsed.as_secs_f64() * 1000.0;
        for (bound, bucket) in LATENCY_BUCKETS_MS.iter().zip(&self.buckets) {
            if ms <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    fn render(&self, name: &str) -> String {
        let mut out = format!("# TYPE {name} histogram\n");
        for (bound, bucket) in LATENCY_BUCKETS_MS.iter().zip(&self.buckets) {
            out.push_str(&format!(
                "{name}_bucket{{le=\"{}\"}} {}\n",
                bound / 1000.0,
                bucket.load(Ordering::Relaxed)
            ));
        }
        let count = self.count.load(Ordering::Relaxed);
        out.push_str(&format!("{name}_bucket{{le=\"+Inf\"}} {count}\n"));
        out.push_str(&format!(
            "{name}_sum {}\n",
            self.sum_us.load(Ordering::Relaxed) as f64 / 1e6
        ));
        out.push_str(&format!("{name}_count {count}\n"));
        out
    }
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    pub sync_handling: Latency,
    pub connections: AtomicU64,
    pub documents_in_memory: AtomicU64,
    pub messages_in: AtomicU64,
    pub messages_out: AtomicU64,
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    pub refused_changes: AtomicU64,
    pub slow_readers_dropped: AtomicU64,
    pub persist_failures: AtomicU64,
}

impl Metrics {
    pub fn render(&self) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        self.sync_handling
            .render("porchlight_sync_handling_seconds")
            + &format!(
                "# TYPE porchlight_connections gauge\nporchlight_connections {}\n\
             # TYPE porchlight_documents_in_memory gauge\nporchlight_documents_in_memory {}\n\
             # TYPE porchlight_messages_in_total counter\nporchlight_messages_in_total {}\n\
             # TYPE porchlight_messages_out_total counter\nporchlight_messages_out_total {}\n\
             # TYPE porchlight_bytes_in_total counter\nporchlight_bytes_in_total {}\n\
             # TYPE porchlight_bytes_out_total counter\nporchlight_bytes_out_total {}\n\
             # TYPE porchlight_refused_changes_total counter\nporchlight_refused_changes_total {}\n\
             # TYPE porchlight_slow_readers_dropped_total counter\nporchlight_slow_readers_dropped_total {}\n\
             # TYPE porchlight_persist_failures_total counter\nporchlight_persist_failures_total {}\n",
                g(&self.connections),
                g(&self.documents_in_memory),
                g(&self.messages_in),
                g(&self.messages_out),
                g(&self.bytes_in),
                g(&self.bytes_out),
                g(&self.refused_changes),
                g(&self.slow_readers_dropped),
                g(&self.persist_failures),
            )
    }
}

#[derive(Debug)]
struct Conn {
    account: i64,
    out: mpsc::Sender<Outbound>,
    joined: bool,
    /// The peer id the client announced in its `join`. The hub knows the
    /// connection by its own id (bound to the authenticated device) and
    /// never trusts this one, but addresses frames to it, as peers expect.
    claimed: Option<PeerId>,
}

struct Hub {
    engine: SyncEngine,
    store: Arc<Store>,
    conns: HashMap<PeerId, Conn>,
    metrics: Arc<Metrics>,
    /// Changes of the current batch, committed together by `flush`.
    persist: Vec<(String, Vec<u8>)>,
    /// Frames of the current batch, sent only after its changes are committed.
    outbox: Vec<(PeerId, Outbound)>,
    /// When each sync frame of the batch arrived, for the latency histogram.
    frames_started: Vec<std::time::Instant>,
}

/// Starts the hub thread; it stops when every sender is dropped.
pub fn spawn(
    store: Arc<Store>,
    metrics: Arc<Metrics>,
    relay_id: &str,
) -> std::io::Result<(mpsc::Sender<HubInput>, std::thread::JoinHandle<()>)> {
    let (tx, mut rx) = mpsc::channel::<HubInput>(HUB_QUEUE);
    let engine = SyncEngine::new(
        PeerId(relay_id.to_string()),
        PeerMetadata {
            storage_id: Some(relay_id.to_string()),
            is_ephemeral: false,
        },
    );
    let mut hub = Hub {
        engine,
        store,
        conns: HashMap::new(),
        metrics,
        persist: Vec::new(),
        outbox: Vec::new(),
        frames_started: Vec::new(),
    };
    let handle = std::thread::Builder::new()
        .name("porchlight-hub".into())
        .spawn(move || {
            // Group commit: handle every input already waiting (up to a
            // batch), persist all their changes in one transaction, and only
            // then send the replies and forwards they produced.
            while let Some(input) = rx.blocking_recv() {
                hub.handle(input);
                for _ in 1..MAX_BATCH {
                    match rx.try_recv() {
                        Ok(more) => hub.handle(more),
                        Err(_) => break,
                    }
                }
                hub.flush();
            }
            tracing::info!("hub stopped: every write is committed");
        })?;
    Ok((tx, handle))
}

fn document_of(message: &WireMessage) -> Option<&str> {
    match message {
        WireMessage::Request { document_id, .. }
        | WireMessage::Sync { document_id, .. }
        | WireMessage::Ephemeral { document_id, .. }
        | WireMessage::DocUnavailable { document_id, .. }
        | WireMessage::RemoteHeadsChanged { document_id, .. } => Some(document_id),
        _ => None,
    }
}

impl Hub {
    fn handle(&mut self, input: HubInput) {
        match input {
            HubInput::Connect { peer, account, out } => {
                self.metrics.connections.fetch_add(1, Ordering::Relaxed);
                self.conns.insert(
                    peer,
                    Conn {
                        account,
                        out,
                        joined: false,
                        claimed: None,
                    },
                );
            }
            HubInput::Disconnect { peer } => self.drop_peer(&peer),
            HubInput::Frame { peer, bytes } => self.frame(&peer, &bytes),
        }
    }

    fn drop_peer(&mut self, peer: &PeerId) {
        if self.conns.remove(peer).is_some() {
            self.metrics.connections.fetch_sub(1, Ordering::Relaxed);
        }
        self.engine.disconnected(peer);
        // Finish the batch's deferred frames before a document can leave
        // memory: their changes are queued for this batch's commit.
        let effects = self.engine.flush();
        self.run(effects);
        for doc in self.engine.idle_documents() {
            self.engine.remove_document(&doc);
        }
        self.metrics
            .documents_in_memory
            .store(self.engine.document_count() as u64, Ordering::Relaxed);
    }

    fn frame(&mut self, peer: &PeerId, bytes: &[u8]) {
        self.metrics.messages_in.fetch_add(1, Ordering::Relaxed);
        self.metrics
            .bytes_in
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        let Some(conn) = self.conns.get(peer) else {
            return;
        };
        let (account, joined) = (conn.account, conn.joined);
        let message = match WireMessage::decode(bytes) {
            Ok(m) => m,
            Err(e) => {
                self.run(vec![
                    Effect::Send {
                        to: peer.clone(),
                        message: WireMessage::Error {
                            message: format!("cannot read frame: {e}"),
                        },
                    },
                    Effect::Close {
                        peer: peer.clone(),
                        reason: "malformed frame".into(),
                    },
                ]);
                return;
            }
        };
        if !joined {
            let effects = self.engine.accept_join(peer, &message);
            let ok = effects.iter().any(|e| {
                matches!(
                    e,
                    Effect::Send {
                        message: WireMessage::Peer { .. },
                        ..
                    }
                )
            });
            if let Some(c) = self.conns.get_mut(peer) {
                c.joined = ok;
                if let WireMessage::Join { sender_id, .. } = &message {
                    c.claimed = Some(sender_id.clone());
                }
            }
            self.run(effects);
            return;
        }
        let Some(doc) = document_of(&message).map(str::to_string) else {
            let effects = self
                .engine
                .receive_deferred(peer, message, Access::ReadOnly);
            self.run(effects);
            return;
        };
        let access = match self.access(account, &doc) {
            Ok(Some(a)) => a,
            Ok(None) => {
                // Not this account's, or no such document: the same answer.
                let e = self.engine.unavailable(peer, &doc);
                self.run(vec![e]);
                return;
            }
            Err(e) => {
                tracing::error!(%doc, error = %e, "access check failed");
                let e = self.engine.unavailable(peer, &doc);
                self.run(vec![e]);
                return;
            }
        };
        if let WireMessage::Ephemeral { .. } = &message {
            // Presence: passed on to the document's other peers and never
            // stored. The sender is named by the id it announced at join,
            // which is bound to this authenticated connection.
            let mut message = message;
            if let (WireMessage::Ephemeral { sender_id, .. }, Some(claimed)) = (
                &mut message,
                self.conns.get(peer).and_then(|c| c.claimed.clone()),
            ) {
                *sender_id = claimed;
            }
            let effects = self.engine.forward_ephemeral(peer, &message);
            self.run(effects);
            return;
        }
        if !self.engine.has_document(&doc) && !self.load(&doc) {
            let e = self.engine.unavailable(peer, &doc);
            self.run(vec![e]);
            return;
        }
        self.frames_started.push(std::time::Instant::now());
        let effects = self.engine.receive_deferred(peer, message, access);
        self.run(effects);
    }

    fn access(&self, account: i64, doc: &str) -> Result<Option<Access>, crate::error::AppError> {
        let Some(team) = self.store.team_of_document(doc)? else {
            return Ok(None);
        };
        Ok(self.store.role(account, team)?.map(|role| match role {
            Role::Viewer => Access::ReadOnly,
            _ => Access::ReadWrite,
        }))
    }

    fn load(&mut self, doc: &str) -> bool {
        let chunks = match self.store.load_chunks(doc) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(%doc, error = %e, "cannot load document");
                return false;
            }
        };
        let mut am = AutoCommit::new();
        for chunk in chunks {
            if let Err(e) = am.load_incremental(&chunk) {
                tracing::error!(%doc, error = %e, "stored chunk does not load");
                return false;
            }
        }
        self.engine.add_document(doc, am);
        self.metrics
            .documents_in_memory
            .store(self.engine.document_count() as u64, Ordering::Relaxed);
        true
    }

    /// Queues effects for the batch: changes to persist, frames to send.
    fn run(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Persist { doc, changes } => self.persist.push((doc, changes)),
                Effect::Send { to, mut message } => {
                    if let Some(claimed) = self.conns.get(&to).and_then(|c| c.claimed.as_ref())
                        && let Some(target) = message.target_mut()
                    {
                        *target = claimed.clone();
                    }
                    self.outbox.push((to, Outbound::Frame(message.encode())))
                }
                Effect::Close { peer, reason } => self.outbox.push((peer, Outbound::Close(reason))),
                Effect::Refused { doc, peer } => {
                    self.metrics.refused_changes.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(%doc, %peer, "refused a change from a viewer");
                }
                Effect::Changed { .. } => {}
            }
        }
    }

    /// Commits the batch's changes in one transaction, then sends its frames.
    /// If the commit fails nothing is sent: the documents are dropped from
    /// memory and every connection is closed, so peers re-sync from disk.
    fn flush(&mut self) {
        // One persist per document and one sync message per (document, peer)
        // for the whole batch.
        let effects = self.engine.flush();
        self.run(effects);
        let persist = std::mem::take(&mut self.persist);
        let outbox = std::mem::take(&mut self.outbox);
        if !persist.is_empty()
            && let Err(e) = self.store.append_chunks(&persist)
        {
            self.metrics
                .persist_failures
                .fetch_add(1, Ordering::Relaxed);
            tracing::error!(error = %e, "persist failed; dropping the in-memory copies");
            for (doc, _) in &persist {
                self.engine.remove_document(doc);
            }
            let peers: Vec<PeerId> = self.conns.keys().cloned().collect();
            for p in peers {
                self.send(
                    &p,
                    Outbound::Close("the relay could not store a change; reconnect".into()),
                );
            }
            self.frames_started.clear();
            return;
        }
        for (to, out) in outbox {
            if let Outbound::Frame(frame) = &out {
                self.metrics.messages_out.fetch_add(1, Ordering::Relaxed);
                self.metrics
                    .bytes_out
                    .fetch_add(frame.len() as u64, Ordering::Relaxed);
            }
            self.send(&to, out);
        }
        for started in self.frames_started.drain(..) {
            self.metrics.sync_handling.observe(started.elapsed());
        }
    }

    fn send(&mut self, to: &PeerId, out: Outbound) {
        let Some(conn) = self.conns.get(to) else {
            return;
        };
        if let Err(mpsc::error::TrySendError::Full(_)) = conn.out.try_send(out) {
            // A slow reader is disconnected, never buffered without limit.
            self.metrics
                .slow_readers_dropped
                .fetch_add(1, Ordering::Relaxed);
            tracing::warn!(peer = %to, "send queue full; disconnecting a slow reader");
            self.drop_peer(to);
        }
    }
}
