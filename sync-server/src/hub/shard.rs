//! One shard of the hub: a thread that owns the sync engine for the
//! documents whose id hashes to it, and performs its effects.
//!
//! It takes every input already waiting (up to a batch), applies them,
//! then persists each touched document once in one transaction (group
//! commit), and only then sends what acknowledges or forwards the changes
//! — locally, and to the other relay nodes through the fan-out. Documents
//! are loaded on first use and leave memory when no connection syncs them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use porchlight_sync::{Access, Effect, PeerId, PeerMetadata, SyncEngine, WireMessage};
use tokio::runtime::Handle;
use tokio::sync::mpsc;

use super::access::AccessCache;
use super::conn::{Conn, Outbound, Queued};
use super::{HubInput, HubLimits, Metrics};
use crate::compact::Compactor;
use crate::error::AppError;
use crate::fanout::Fanout;
use crate::store::Store;

/// Most inputs handled before one group commit.
const MAX_BATCH: usize = 512;
/// Chunks a document may gather before it is folded into a snapshot.
pub const COMPACT_AFTER_CHUNKS: u32 = 64;
/// Bytes of chunks a document may gather before it is folded.
pub const COMPACT_AFTER_BYTES: u64 = 4 * 1024 * 1024;

/// How long a board edited through the API stays in memory with no peer.
const EDITED_KEPT: std::time::Duration = std::time::Duration::from_secs(60);
/// At most this many such boards per shard.
const EDITED_MAX: usize = 64;

pub(super) struct Shard {
    pub(super) index: usize,
    pub(super) engine: SyncEngine,
    pub(super) store: Store,
    /// The runtime the storage's futures run on (the shard blocks on them).
    pub(super) rt: Handle,
    pub(super) conns: HashMap<PeerId, Conn>,
    pub(super) metrics: Arc<Metrics>,
    pub(super) access: AccessCache,
    /// Changes of the current batch, committed together by `flush`.
    persist: Vec<(String, Vec<u8>)>,
    /// Frames of the current batch, sent only after its changes are committed.
    pub(super) outbox: Vec<(PeerId, Outbound)>,
    /// Presence to pass to the other nodes once the batch is out.
    presence_out: Vec<(String, Vec<u8>)>,
    /// When each sync frame of the batch arrived, for the latency histogram.
    frames_started: Vec<Instant>,
    /// Chunks and bytes each loaded document gathered since it was last
    /// folded (for compaction).
    gathered: HashMap<String, (u32, u64)>,
    pub(super) limits: HubLimits,
    fanout: Option<Arc<Fanout>>,
    compactor: Compactor,
    indexer: crate::view::Indexer,
    /// Documents loaded for relay-made edits with no peer, and when they
    /// were last edited: kept a while, so a script adding tasks one by one
    /// does not reload the board each time.
    edited: HashMap<String, Instant>,
    /// Per document: its heads after the last relay-made edit, and the
    /// memo valid at those heads.
    memos: HashMap<String, (Vec<automerge::ChangeHash>, super::EditMemo)>,
    /// Answers to the batch's edits, sent once it is committed.
    replies: Vec<(
        tokio::sync::oneshot::Sender<Result<serde_json::Value, AppError>>,
        serde_json::Value,
    )>,
}

/// What a shard is given to start.
#[derive(Debug, Clone)]
pub struct ShardParts {
    pub store: Store,
    pub rt: Handle,
    pub metrics: Arc<Metrics>,
    pub limits: HubLimits,
    pub relay_id: String,
    pub fanout: Option<Arc<Fanout>>,
    pub compactor: Compactor,
    pub indexer: crate::view::Indexer,
}

impl Shard {
    pub(super) fn new(index: usize, parts: ShardParts) -> Self {
        let engine = SyncEngine::new(
            PeerId(parts.relay_id.clone()),
            PeerMetadata {
                storage_id: Some(parts.relay_id),
                is_ephemeral: false,
            },
        );
        Self {
            index,
            engine,
            store: parts.store,
            rt: parts.rt,
            conns: HashMap::new(),
            metrics: parts.metrics,
            access: AccessCache::default(),
            persist: Vec::new(),
            outbox: Vec::new(),
            presence_out: Vec::new(),
            frames_started: Vec::new(),
            gathered: HashMap::new(),
            limits: parts.limits,
            fanout: parts.fanout,
            compactor: parts.compactor,
            indexer: parts.indexer,
            replies: Vec::new(),
            edited: HashMap::new(),
            memos: HashMap::new(),
        }
    }

    /// The shard's loop: batches of inputs, each ended by a group commit.
    pub(super) fn run_loop(mut self, mut rx: mpsc::Receiver<HubInput>) {
        while let Some(input) = rx.blocking_recv() {
            self.guarded(input);
            for _ in 1..MAX_BATCH {
                match rx.try_recv() {
                    Ok(more) => self.guarded(more),
                    Err(_) => break,
                }
            }
            self.flush();
        }
        tracing::info!(
            shard = self.index,
            "hub shard stopped: every write is committed"
        );
    }

    pub(super) fn handle(&mut self, input: HubInput) {
        match input {
            HubInput::Connect {
                peer,
                account,
                key,
                claimed,
                out,
                kill,
            } => {
                self.conns.insert(
                    peer,
                    Conn {
                        account,
                        key,
                        claimed,
                        out,
                        told_full: Default::default(),
                        kill,
                    },
                );
            }
            HubInput::Disconnect { peer } => self.drop_peer(&peer),
            HubInput::Frame {
                peer,
                doc,
                message,
                arrived,
            } => self.frame(&peer, doc, message, arrived),
            HubInput::Access { account } => self.recheck(account),
            HubInput::Remote { doc, changes } => {
                let effects = self.engine.merge_stored(&doc, &changes);
                self.run(effects);
            }
            HubInput::RemotePresence { message } => {
                let effects = self
                    .engine
                    .forward_ephemeral(&PeerId(String::new()), &message);
                self.run(effects);
            }
            HubInput::CatchUp => self.catch_up(),
            HubInput::Edit(edit) => self.edit(edit),
        }
    }

    /// Runs a relay-made change: its changes join the batch's commit and
    /// go to the document's peers as a peer's would; the answer waits for
    /// the commit. A failed edit leaves the document as it was.
    fn edit(&mut self, edit: super::Edit) {
        let super::Edit { doc, apply, reply } = edit;
        if !self.engine.has_document(&doc) && !self.load(&doc) {
            let _ = reply.send(Err(AppError::unavailable(
                "the relay cannot load this board right now; try again",
                2,
            )));
            return;
        }
        let Some(d) = self.engine.document_mut(&doc) else {
            let _ = reply.send(Err(AppError::internal("an edited document left memory")));
            return;
        };
        let before = d.get_heads();
        let memo = self.memos.entry(doc.clone()).or_default();
        if memo.0 != before {
            memo.1.clear();
        }
        match apply(d, &mut memo.1) {
            Ok(value) => {
                memo.0 = d.get_heads();
                let changes = d.save_after(&before);
                if !changes.is_empty() {
                    self.persist.push((doc.clone(), changes));
                    let effects = self.engine.local_change(&doc);
                    self.run(effects);
                }
                self.replies.push((reply, value));
                self.edited.insert(doc, Instant::now());
            }
            Err(e) => {
                d.rollback();
                memo.1.clear();
                if e.status.is_server_error() {
                    // The document may be half-changed: read it again
                    // from storage next time.
                    let peers = self.engine.peers_of(&doc);
                    if peers.is_empty() {
                        self.remove_document(&doc);
                    }
                }
                let _ = reply.send(Err(e));
            }
        }
    }

    pub(super) fn drop_peer(&mut self, peer: &PeerId) {
        self.conns.remove(peer);
        self.engine.disconnected(peer);
        // Finish the batch's deferred frames before a document can leave
        // memory: their changes are queued for this batch's commit.
        let effects = self.engine.flush();
        self.run(effects);
        self.evict_idle();
    }

    /// Drops a peer for cause: its connection closes too.
    pub(super) fn cut_off(&mut self, peer: &PeerId) {
        if let Some(conn) = self.conns.get(peer) {
            conn.kill.kill();
        }
        self.drop_peer(peer);
    }

    pub(super) fn evict_idle(&mut self) {
        let now = Instant::now();
        self.edited
            .retain(|_, at| now.duration_since(*at) < EDITED_KEPT);
        while self.edited.len() > EDITED_MAX {
            let Some(oldest) = self
                .edited
                .iter()
                .min_by_key(|(_, at)| **at)
                .map(|(d, _)| d.clone())
            else {
                break;
            };
            self.edited.remove(&oldest);
        }
        for doc in self.engine.idle_documents() {
            if !self.edited.contains_key(&doc) {
                self.remove_document(&doc);
            }
        }
    }

    pub(super) fn remove_document(&mut self, doc: &str) {
        self.edited.remove(doc);
        self.memos.remove(doc);
        if self.engine.remove_document(doc).is_some() {
            self.metrics.documents_in_memory.dec();
            self.gathered.remove(doc);
            if let Some(f) = &self.fanout {
                f.unwatch(doc);
            }
        }
    }

    fn frame(&mut self, peer: &PeerId, doc: String, message: WireMessage, arrived: Instant) {
        let Some(conn) = self.conns.get(peer) else {
            return;
        };
        let (account, key) = (conn.account, conn.key.clone());
        let access = match self.access.access(
            &self.store,
            &self.rt,
            account,
            key.as_ref(),
            &doc,
            self.limits.bytes_per_team,
        ) {
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
        if !self.engine.has_document(&doc) && !self.load(&doc) {
            let e = self.engine.unavailable(peer, &doc);
            self.run(vec![e]);
            return;
        }
        self.frames_started.push(arrived);
        self.sync(peer, &doc, message, access);
    }

    /// Presence: passed on to the document's other peers here and on the
    /// other nodes, never stored. The sender is named by the id it
    /// announced at join, which is bound to its connection.
    fn presence(&mut self, peer: &PeerId, mut message: WireMessage) {
        if let (Some(conn), WireMessage::Ephemeral { sender_id, .. }) =
            (self.conns.get(peer), &mut message)
        {
            *sender_id = conn.claimed.clone();
        }
        let effects = self.engine.forward_ephemeral(peer, &message);
        self.run(effects);
        if self.fanout.is_some()
            && let WireMessage::Ephemeral { document_id, .. } = &message
        {
            self.presence_out
                .push((document_id.clone(), message.encode()));
        }
    }

    /// A sync frame for the engine (the injected fault of the tests fires
    /// here, where automerge would).
    fn sync(&mut self, peer: &PeerId, doc: &str, message: WireMessage, access: Access) {
        if self.limits.inject_panic_on.as_deref() == Some(doc) {
            panic!("injected fault for {doc}");
        }
        let effects = self.engine.receive_deferred(peer, message, access);
        self.run(effects);
    }

    fn load(&mut self, doc: &str) -> bool {
        let chunks = match self.rt.block_on(self.store.load_chunks(doc)) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(%doc, error = %e, "cannot load document");
                return false;
            }
        };
        let bytes: u64 = chunks.iter().map(|c| c.data.len() as u64).sum();
        let am = match crate::compact::load_document(&chunks) {
            Ok(am) => am,
            Err(e) => {
                tracing::error!(%doc, error = %e, "stored chunks do not load");
                return false;
            }
        };
        self.engine.add_document(doc, am);
        self.metrics.documents_in_memory.inc();
        self.gathered
            .insert(doc.to_string(), (chunks.len() as u32, bytes));
        self.maybe_compact(doc);
        if let Some(f) = &self.fanout {
            f.watch(doc, self.index);
        }
        true
    }

    /// Asks the compactor to fold `doc` when it has gathered enough.
    fn maybe_compact(&mut self, doc: &str) {
        if let Some((chunks, bytes)) = self.gathered.get_mut(doc)
            && *chunks >= 2
            && (*chunks >= COMPACT_AFTER_CHUNKS || *bytes >= COMPACT_AFTER_BYTES)
            && self.compactor.request(doc)
        {
            // Counted again from the snapshot the compactor will leave.
            *chunks = 1;
            *bytes = 0;
            self.access.forget_quota();
        }
    }

    /// Every in-memory document merged with what the database holds (after
    /// the fan-out was away: another node's changes may be missing here).
    fn catch_up(&mut self) {
        for doc in self.engine.document_ids() {
            match self.rt.block_on(self.store.load_chunks(&doc)) {
                Ok(chunks) => {
                    for chunk in chunks {
                        let effects = self.engine.merge_stored(&doc, &chunk.data);
                        self.run(effects);
                    }
                }
                Err(e) => tracing::error!(%doc, error = %e, "catch-up: cannot load document"),
            }
        }
    }

    /// Queues effects for the batch: changes to persist, frames to send.
    pub(super) fn run(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Persist { doc, changes } => self.persist.push((doc, changes)),
                Effect::Send { to, mut message } => {
                    if let Some(conn) = self.conns.get(&to)
                        && let Some(target) = message.target_mut()
                    {
                        *target = conn.claimed.clone();
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

    /// Commits the batch's changes in one transaction, then sends its
    /// frames and passes the changes to the other nodes. If the commit
    /// fails nothing is sent: the documents are dropped from memory and
    /// every connection of this shard is closed, so peers re-sync from
    /// what is stored.
    pub(super) fn flush(&mut self) {
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
                self.remove_document(doc);
            }
            let peers: Vec<PeerId> = self.conns.keys().cloned().collect();
            for p in peers {
                self.send(
                    &p,
                    Outbound::Close("the relay could not store a change; reconnect".into()),
                );
                self.cut_off(&p);
            }
            self.frames_started.clear();
            self.presence_out.clear();
            for (reply, _) in self.replies.drain(..) {
                let _ = reply.send(Err(AppError::unavailable(
                    "the relay could not store the change; try again",
                    2,
                )));
            }
            return;
        }
        let edited = !self.replies.is_empty();
        for (reply, value) in self.replies.drain(..) {
            let _ = reply.send(Ok(value));
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
        for (doc, bytes) in &persist {
            self.access.stored(doc, bytes.len());
            if let Some(g) = self.gathered.get_mut(doc) {
                g.0 += 1;
                g.1 += bytes.len() as u64;
            }
            self.maybe_compact(doc);
            if self.engine.document(doc).is_some_and(|d| {
                matches!(
                    porchlight_doc::identify(d),
                    Ok((
                        porchlight_doc::DocKind::Board | porchlight_doc::DocKind::ListingShard,
                        _
                    ))
                )
            }) {
                self.indexer.touched(doc);
            }
        }
        if let Some(f) = &self.fanout {
            for (doc, bytes) in persist {
                f.publish_change(&doc, bytes);
            }
            for (doc, frame) in self.presence_out.drain(..) {
                f.publish_presence(&doc, frame);
            }
        }
        if edited {
            // A board loaded only for an edit leaves memory again.
            self.evict_idle();
        }
    }

    pub(super) fn send(&mut self, to: &PeerId, out: Outbound) {
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
                self.cut_off(to);
            }
        }
    }
}
