//! The hub: the relay's sync, sharded by document across threads.
//!
//! A connection's own task decodes its frames and enforces what needs no
//! document ([`gate`]); each frame then goes to the shard that owns its
//! document (a hash of the id, so one document is always on one thread).
//! Each shard ([`shard`]) owns a sync engine for its documents, checks the
//! sender's access to each frame (cached, [`access`]), writes every change
//! and commits (one group commit per batch) before it acknowledges or
//! forwards anything, and evicts documents from memory once no connection
//! syncs them, so memory follows the working set. With several relay
//! nodes, committed changes and presence cross to the others through the
//! fan-out ([`crate::fanout`]).
//!
//! Revocations close connections directly through the [`Registry`];
//! role changes go to every shard, which drops the documents a connection
//! lost.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use porchlight_sync::{PeerId, WireMessage};
use tokio::sync::mpsc;

mod access;
mod conn;
pub mod gate;
mod guard;
mod metrics;
mod shard;

pub use conn::{
    Budget, Kill, MAX_EPHEMERAL, MAX_NON_SYNC_FRAME, MAX_PEER_ID, Outbound, PRESENCE_BACKLOG,
    Queue, Queued, SEND_QUEUE, SEND_QUEUE_BYTES, Sender, queue,
};
pub use metrics::Metrics;
pub use shard::{COMPACT_AFTER_BYTES, COMPACT_AFTER_CHUNKS, ShardParts};

use crate::error::AppError;
use crate::store::KeyGrant;

/// Frames queued for one shard from all connections.
pub const SHARD_QUEUE: usize = 4096;
/// The relay's peer id in the sync protocol.
pub const RELAY_ID: &str = "porchlight-relay";

#[derive(Debug)]
pub enum HubInput {
    Connect {
        peer: PeerId,
        account: i64,
        /// Set when an API key, not a device, opened the connection.
        key: Option<KeyGrant>,
        claimed: PeerId,
        out: conn::Sender,
        kill: Arc<Kill>,
    },
    Frame {
        peer: PeerId,
        doc: String,
        message: WireMessage,
        arrived: Instant,
    },
    Disconnect {
        peer: PeerId,
    },
    /// The account's roles changed: re-check its open connections.
    Access {
        account: i64,
    },
    /// Changes another relay node committed.
    Remote {
        doc: String,
        changes: Vec<u8>,
    },
    /// Presence from a peer of another relay node.
    RemotePresence {
        message: WireMessage,
    },
    /// The fan-out was away: merge what the database holds into every
    /// document in memory.
    CatchUp,
    /// A change the relay makes itself (the REST API's writes).
    Edit(Edit),
}

/// What an [`Edit`] runs on the document, with the document's edit memo;
/// its answer goes back once the change is committed.
pub type EditFn = Box<
    dyn FnOnce(&mut automerge::AutoCommit, &mut EditMemo) -> Result<serde_json::Value, AppError>
        + Send,
>;

/// What relay-made edits of one document may remember between them (a
/// column's last position, so adding a task does not scan the board). The
/// shard empties it whenever the document changed otherwise since the last
/// edit, so whatever is in it is true of the document as it is.
pub type EditMemo = HashMap<String, String>;

/// A change the relay makes to a document on a caller's behalf: run in the
/// document's shard, committed with the shard's batch, then synced to the
/// document's peers (and the other nodes) like a peer's change.
pub struct Edit {
    pub doc: String,
    pub apply: EditFn,
    pub reply: tokio::sync::oneshot::Sender<Result<serde_json::Value, AppError>>,
}

impl std::fmt::Debug for Edit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edit")
            .field("doc", &self.doc)
            .finish_non_exhaustive()
    }
}

/// What the hub enforces, from the relay's configuration.
#[derive(Debug, Clone, Default)]
pub struct HubLimits {
    pub documents_per_connection: usize,
    /// A team storing this many bytes takes no more changes (0: no limit).
    pub bytes_per_team: u64,
    /// Tests only: handling a frame for this document panics, as a bug in
    /// automerge on hostile bytes would.
    pub inject_panic_on: Option<String>,
}

/// The shards' queues; cloned into every connection.
#[derive(Debug, Clone)]
pub struct Hub {
    shards: Arc<Vec<mpsc::Sender<HubInput>>>,
}

impl Hub {
    /// Starts `n` shard threads; they stop when every sender is dropped.
    pub fn spawn(
        n: usize,
        parts: ShardParts,
    ) -> std::io::Result<(Self, Vec<std::thread::JoinHandle<()>>)> {
        let mut senders = Vec::with_capacity(n);
        let mut threads = Vec::with_capacity(n);
        for index in 0..n.max(1) {
            let (tx, rx) = mpsc::channel::<HubInput>(SHARD_QUEUE);
            let shard = shard::Shard::new(index, parts.clone());
            threads.push(
                std::thread::Builder::new()
                    .name(format!("porchlight-hub-{index}"))
                    .spawn(move || shard.run_loop(rx))?,
            );
            senders.push(tx);
        }
        Ok((
            Self {
                shards: Arc::new(senders),
            },
            threads,
        ))
    }

    pub fn shards(&self) -> usize {
        self.shards.len()
    }

    /// The shard that owns `doc`.
    pub fn shard_of(&self, doc: &str) -> usize {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        doc.hash(&mut h);
        (h.finish() % self.shards.len() as u64) as usize
    }

    /// Sends to one shard (waiting for room); `false` once it has stopped.
    pub async fn send(&self, shard: usize, input: HubInput) -> bool {
        self.shards[shard].send(input).await.is_ok()
    }

    /// Runs `apply` on `doc` in its shard (loading it if need be), commits
    /// it with the shard's batch and answers with what `apply` returned.
    pub async fn edit(&self, doc: &str, apply: EditFn) -> Result<serde_json::Value, AppError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let edit = HubInput::Edit(Edit {
            doc: doc.to_string(),
            apply,
            reply,
        });
        if !self.send(self.shard_of(doc), edit).await {
            return Err(AppError::unavailable("the relay is shutting down", 5));
        }
        answer
            .await
            .map_err(|_| AppError::internal("the hub dropped an edit"))?
    }

    /// The same input to every shard.
    pub async fn broadcast(&self, input: impl Fn() -> HubInput) {
        for s in self.shards.iter() {
            let _ = s.send(input()).await;
        }
    }

    pub fn is_closed(&self) -> bool {
        self.shards.iter().any(|s| s.is_closed())
    }

    /// A handle that does not keep the shards running.
    pub fn downgrade(&self) -> WeakHub {
        WeakHub(Arc::downgrade(&self.shards))
    }
}

/// A [`Hub`] that lets the shards stop when the relay does.
#[derive(Debug, Clone)]
pub struct WeakHub(std::sync::Weak<Vec<mpsc::Sender<HubInput>>>);

impl WeakHub {
    pub fn upgrade(&self) -> Option<Hub> {
        self.0.upgrade().map(|shards| Hub { shards })
    }
}

/// One open connection, as revocations find it.
#[derive(Debug)]
struct Registered {
    device: i64,
    key: Option<i64>,
    out: conn::Sender,
    kill: Arc<Kill>,
}

/// Every open sync connection of this node, so that a revoked token's
/// connections close at once, whichever shards they touched.
#[derive(Debug, Default)]
pub struct Registry(Mutex<HashMap<PeerId, Registered>>);

impl Registry {
    pub fn add(
        &self,
        peer: PeerId,
        device: i64,
        key: Option<i64>,
        out: conn::Sender,
        kill: Arc<Kill>,
    ) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(
                peer,
                Registered {
                    device,
                    key,
                    out,
                    kill,
                },
            );
        }
    }

    pub fn remove(&self, peer: &PeerId) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(peer);
        }
    }

    /// Closes (1008, with a reason) the connections a token opened: a
    /// device's (`key` none) or an API key's.
    pub fn close(&self, device: Option<i64>, key: Option<i64>) -> usize {
        let Ok(m) = self.0.lock() else {
            return 0;
        };
        let mut n = 0;
        for r in m.values() {
            let hit = match (device, key) {
                (Some(d), _) => r.key.is_none() && r.device == d,
                (None, Some(k)) => r.key == Some(k),
                (None, None) => false,
            };
            if hit {
                r.out.try_send(Outbound::Close(
                    "this token was revoked; sign in again".into(),
                ));
                r.kill.kill();
                n += 1;
            }
        }
        n
    }

    pub fn len(&self) -> usize {
        self.0.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
