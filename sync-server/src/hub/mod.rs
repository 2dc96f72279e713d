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
use tokio::sync::mpsc;

use crate::store::{KeyGrant, Role, Store};
use tokio::runtime::Handle;

mod conn;
mod guard;
mod metrics;
use conn::Conn;
pub use conn::{
    Budget, MAX_EPHEMERAL, MAX_NON_SYNC_FRAME, MAX_PEER_ID, Outbound, PRESENCE_BACKLOG, Queue,
    Queued, SEND_QUEUE, SEND_QUEUE_BYTES, Sender, queue,
};
pub use metrics::Metrics;

/// Frames queued for the hub from all connections.
pub const HUB_QUEUE: usize = 4096;
/// Most inputs handled before one group commit.
const MAX_BATCH: usize = 512;

#[derive(Debug)]
pub enum HubInput {
    Connect {
        peer: PeerId,
        account: i64,
        device: i64,
        /// Set when an API key, not a device, opened the connection.
        key: Option<KeyGrant>,
        out: conn::Sender,
        /// Dropped when the hub lets the connection go.
        kill: tokio::sync::oneshot::Sender<()>,
    },
    Frame {
        peer: PeerId,
        bytes: Vec<u8>,
    },
    Disconnect {
        peer: PeerId,
    },
    /// The account's roles changed: re-check its open connections.
    Access {
        account: i64,
    },
    /// The device's token was revoked or expired: close its connections.
    Revoked {
        device: i64,
    },
    /// The API key was revoked: close its connections.
    KeyRevoked {
        key: i64,
    },
}

/// What the hub enforces per connection, from the relay's configuration.
#[derive(Debug, Clone, Default)]
pub struct HubLimits {
    pub documents_per_connection: usize,
    /// A team storing this many bytes takes no more changes (0: no limit).
    pub bytes_per_team: u64,
    /// Tests only: handling a frame for this document panics, as a bug in
    /// automerge on hostile bytes would.
    pub inject_panic_on: Option<String>,
}

struct Hub {
    engine: SyncEngine,
    store: Store,
    /// The runtime the storage's futures run on (the hub thread blocks on them).
    rt: Handle,
    conns: HashMap<PeerId, Conn>,
    metrics: Arc<Metrics>,
    /// Changes of the current batch, committed together by `flush`.
    persist: Vec<(String, Vec<u8>)>,
    /// Frames of the current batch, sent only after its changes are committed.
    outbox: Vec<(PeerId, Outbound)>,
    /// When each sync frame of the batch arrived, for the latency histogram.
    frames_started: Vec<std::time::Instant>,
    limits: HubLimits,
}

/// Starts the hub thread; it stops when every sender is dropped.
pub fn spawn(
    store: Store,
    rt: Handle,
    metrics: Arc<Metrics>,
    relay_id: &str,
    limits: HubLimits,
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
        rt,
        conns: HashMap::new(),
        metrics,
        persist: Vec::new(),
        outbox: Vec::new(),
        frames_started: Vec::new(),
        limits,
    };
    let handle = std::thread::Builder::new()
        .name("porchlight-hub".into())
        .spawn(move || {
            // Group commit: handle every input already waiting (up to a
            // batch), persist all their changes in one transaction, and only
            // then send the replies and forwards they produced.
            while let Some(input) = rx.blocking_recv() {
                hub.guarded(input);
                for _ in 1..MAX_BATCH {
                    match rx.try_recv() {
                        Ok(more) => hub.guarded(more),
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
            HubInput::Connect {
                peer,
                account,
                device,
                key,
                out,
                kill,
            } => {
                self.metrics.connections.inc();
                let mut conn = Conn::new(account, device, out, kill);
                conn.key = key;
                self.conns.insert(peer, conn);
            }
            HubInput::Disconnect { peer } => self.drop_peer(&peer),
            HubInput::Frame { peer, bytes } => self.frame(&peer, &bytes),
            HubInput::Access { account } => self.recheck(account),
            HubInput::Revoked { device } => self.revoke(|c| c.key.is_none() && c.device == device),
            HubInput::KeyRevoked { key } => {
                self.revoke(|c| c.key.as_ref().is_some_and(|k| k.id == key))
            }
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
        self.evict_idle();
    }

    fn evict_idle(&mut self) {
        for doc in self.engine.idle_documents() {
            self.engine.remove_document(&doc);
        }
        self.metrics
            .documents_in_memory
            .set(self.engine.document_count() as i64);
    }

    // One pass over a frame: decode, the handshake, the access check,
    // presence, then sync. Each step returns early with its own answer, so
    // the order of the checks is the order they are read in.
    fn frame(&mut self, peer: &PeerId, bytes: &[u8]) {
        self.metrics.messages_in.inc();
        self.metrics.bytes_in.inc_by(bytes.len() as u64);
        let Some(conn) = self.conns.get(peer) else {
            return;
        };
        let (account, key, joined) = (conn.account, conn.key.clone(), conn.joined);
        let message = match WireMessage::decode(bytes) {
            Ok(m) => m,
            Err(e) => {
                self.reject(peer, format!("cannot read frame: {e}"), "malformed frame");
                return;
            }
        };
        let is_sync = matches!(
            message,
            WireMessage::Sync { .. } | WireMessage::Request { .. }
        );
        if !is_sync && bytes.len() > MAX_NON_SYNC_FRAME {
            self.violation(
                peer,
                format!(
                    "a frame that is not a sync message may be at most {MAX_NON_SYNC_FRAME} bytes; this one is {}",
                    bytes.len()
                ),
            );
            return;
        }
        if !joined {
            self.join(peer, &message);
            return;
        }
        let Some(doc) = document_of(&message).map(str::to_string) else {
            let effects = self
                .engine
                .receive_deferred(peer, message, Access::ReadOnly);
            self.run(effects);
            return;
        };
        let access = match self.team_access(account, key.as_ref(), &doc) {
            Ok(Some((a, full))) => {
                if full {
                    self.storage_full(peer, &doc);
                }
                a
            }
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
            self.presence(peer, message);
            return;
        }
        if !self.within_document_quota(peer, &doc) {
            return;
        }
        if !self.engine.has_document(&doc) && !self.load(&doc) {
            let e = self.engine.unavailable(peer, &doc);
            self.run(vec![e]);
            return;
        }
        self.frames_started.push(std::time::Instant::now());
        self.sync(peer, &doc, message, access);
    }

    fn access(&self, account: i64, doc: &str) -> Result<Option<Access>, crate::error::AppError> {
        Ok(self
            .team_access(account, None, doc)?
            .map(|(access, _)| access))
    }

    /// The access of an account (or of an API key) to `doc`, and whether
    /// its team is over its storage quota (then writes are refused:
    /// read-only).
    fn team_access(
        &self,
        account: i64,
        key: Option<&KeyGrant>,
        doc: &str,
    ) -> Result<Option<(Access, bool)>, crate::error::AppError> {
        let Some(team) = self.rt.block_on(self.store.team_of_document(doc))? else {
            return Ok(None);
        };
        let role = match key {
            Some(k) if k.team != team => None,
            Some(k) => Some(match k.scope {
                porchlight_api::apikeys::Scope::Write => Role::Member,
                porchlight_api::apikeys::Scope::Read => Role::Viewer,
            }),
            None => self.rt.block_on(self.store.role(account, team))?,
        };
        let Some(role) = role else {
            return Ok(None);
        };
        let full = self.limits.bytes_per_team > 0
            && self.rt.block_on(self.store.team_bytes(team))? as u64 >= self.limits.bytes_per_team;
        let access = match role {
            Role::Viewer => Access::ReadOnly,
            _ if full => Access::ReadOnly,
            _ => Access::ReadWrite,
        };
        Ok(Some((access, full)))
    }

    fn load(&mut self, doc: &str) -> bool {
        let chunks = match self.rt.block_on(self.store.load_chunks(doc)) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(%doc, error = %e, "cannot load document");
                return false;
            }
        };
        let mut am = AutoCommit::new();
        for chunk in chunks {
            if let Err(e) = am.load_incremental(&chunk.data) {
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
                    let bytes = message.encode();
                    let out = match message {
                        WireMessage::Ephemeral { .. } => Outbound::Presence(bytes),
                        _ => Outbound::Frame(bytes),
                    };
                    self.outbox.push((to, out))
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
            && let Err(e) = self.rt.block_on(self.store.append_chunks(&persist))
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
            if let Outbound::Frame(frame) | Outbound::Presence(frame) = &out {
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
        match conn.out.try_send(out) {
            Queued::Yes => {}
            Queued::Dropped => {
                self.metrics.ephemeral_dropped.inc();
            }
            Queued::Slow => {
                // A slow reader is disconnected, never buffered without limit.
                self.metrics.slow_readers_dropped.inc();
                tracing::warn!(peer = %to, "send queue full; disconnecting a slow reader");
                self.drop_peer(to);
            }
        }
    }
}
