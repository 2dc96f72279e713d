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

use automerge::AutoCommit;
use porchlight_sync::{Access, Effect, PeerId, PeerMetadata, SyncEngine, WireMessage};
use prometheus_client::encoding::text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
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

/// Upper bounds (seconds) of the frame-handling histogram buckets.
const LATENCY_BUCKETS: [f64; 10] = [
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
];

/// What `/metrics` reports, kept in a `prometheus-client` registry and
/// rendered in the text exposition format.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// From a sync frame's arrival to having committed its changes and
    /// queued every reply (the relay's share of a sync round trip).
    pub sync_handling: Histogram,
    pub connections: Gauge,
    pub documents_in_memory: Gauge,
    pub messages_in: Counter,
    pub messages_out: Counter,
    pub bytes_in: Counter,
    pub bytes_out: Counter,
    pub refused_changes: Counter,
    pub slow_readers_dropped: Counter,
    pub persist_failures: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("porchlight");
        let sync_handling = Histogram::new(LATENCY_BUCKETS);
        registry.register_with_unit(
            "sync_handling",
            "Time from a sync frame's arrival to its changes committed and replies queued",
            Unit::Seconds,
            sync_handling.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let g = Gauge::default();
            registry.register(name, help, g.clone());
            g
        };
        let counter = |registry: &mut Registry, name: &str, help: &str| {
            let c = Counter::default();
            registry.register(name, help, c.clone());
            c
        };
        let connections = gauge(&mut registry, "connections", "Open sync connections");
        let documents_in_memory = gauge(
            &mut registry,
            "documents_in_memory",
            "Documents loaded in the hub (the rest are on disk)",
        );
        let messages_in = counter(&mut registry, "messages_in", "Sync frames received");
        let messages_out = counter(&mut registry, "messages_out", "Sync frames sent");
        let bytes_in = counter(&mut registry, "bytes_in", "Bytes of sync frames received");
        let bytes_out = counter(&mut registry, "bytes_out", "Bytes of sync frames sent");
        let refused_changes = counter(
            &mut registry,
            "refused_changes",
            "Changes refused from read-only peers (viewers); nothing of them was applied",
        );
        let slow_readers_dropped = counter(
            &mut registry,
            "slow_readers_dropped",
            "Connections closed because they read too slowly",
        );
        let persist_failures = counter(
            &mut registry,
            "persist_failures",
            "Batches of changes that could not be stored (none of them was acknowledged)",
        );
        Metrics {
            registry,
            sync_handling,
            connections,
            documents_in_memory,
            messages_in,
            messages_out,
            bytes_in,
            bytes_out,
            refused_changes,
            slow_readers_dropped,
            persist_failures,
        }
    }
}

impl Metrics {
    /// The OpenMetrics text format (which Prometheus scrapes).
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = text::encode(&mut out, &self.registry);
        out
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
                self.metrics.connections.inc();
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
            self.metrics.connections.dec();
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
            .set(self.engine.document_count() as i64);
    }

    fn frame(&mut self, peer: &PeerId, bytes: &[u8]) {
        self.metrics.messages_in.inc();
        self.metrics.bytes_in.inc_by(bytes.len() as u64);
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
            .set(self.engine.document_count() as i64);
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
                    self.metrics.refused_changes.inc();
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
            self.metrics.persist_failures.inc();
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
                self.metrics.messages_out.inc();
                self.metrics.bytes_out.inc_by(frame.len() as u64);
            }
            self.send(&to, out);
        }
        for started in self.frames_started.drain(..) {
            self.metrics
                .sync_handling
                .observe(started.elapsed().as_secs_f64());
        }
    }

    fn send(&mut self, to: &PeerId, out: Outbound) {
        let Some(conn) = self.conns.get(to) else {
            return;
        };
        if let Err(mpsc::error::TrySendError::Full(_)) = conn.out.try_send(out) {
            // A slow reader is disconnected, never buffered without limit.
            self.metrics.slow_readers_dropped.inc();
            tracing::warn!(peer = %to, "send queue full; disconnecting a slow reader");
            self.drop_peer(to);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Metrics;

    #[test]
    fn metrics_render_as_openmetrics_with_units_totals_and_an_end() {
        let m = Metrics::default();
        m.messages_in.inc_by(3);
        m.connections.inc();
        m.connections.inc();
        m.connections.dec();
        m.sync_handling.observe(0.004);
        let text = m.render();
        for line in [
            "# TYPE porchlight_messages_in counter",
            "porchlight_messages_in_total 3",
            "porchlight_connections 1",
            "# UNIT porchlight_sync_handling_seconds seconds",
            "porchlight_sync_handling_seconds_count 1",
            "porchlight_sync_handling_seconds_bucket{le=\"0.005\"} 1",
            "porchlight_sync_handling_seconds_bucket{le=\"0.0025\"} 0",
            "# EOF",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line:?} in:\n{text}");
        }
    }
}
