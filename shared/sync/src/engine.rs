//! The sans-IO sync engine.
//!
//! One engine per process (a client, or the relay). It holds the documents it
//! is syncing and an `automerge::sync::State` per (document, peer). Callers
//! feed it events — a peer joined or left, a frame arrived, the local
//! document changed — and get back [`Effect`]s, **in order**: an
//! [`Effect::Persist`] always comes before any [`Effect::Send`] that could
//! acknowledge or forward the changes it holds, so a caller that performs
//! effects in order (and waits for each `Persist` to commit) never
//! acknowledges anything it could lose.
//!
//! Authorization is the caller's: each frame comes with the sender's
//! [`Access`] to its document. A read-only peer gets a read-only sync state:
//! it receives every change, and the changes it sends are not applied.

use std::collections::{BTreeMap, BTreeSet};

use automerge::sync::{self, SyncDoc};
use automerge::{AutoCommit, ChangeHash};

use super::wire::{PROTOCOL_VERSION, PeerId, PeerMetadata, WireMessage};

/// What a peer may do with one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    /// Receives changes; its own are refused.
    ReadOnly,
}

/// Something the caller must do, in the order given.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Send this frame to this peer.
    Send { to: PeerId, message: WireMessage },
    /// Durably store these changes of `doc` (automerge change bytes) before
    /// performing the effects that follow.
    Persist { doc: String, changes: Vec<u8> },
    /// `doc` changed because of `from`'s message (a client re-materializes).
    Changed { doc: String, from: PeerId },
    /// A read-only peer tried to change `doc`; nothing was applied.
    Refused { doc: String, peer: PeerId },
    /// The peer broke the protocol; close its connection after sending.
    Close { peer: PeerId, reason: String },
}

#[derive(Debug)]
struct DocSync {
    doc: AutoCommit,
    /// Peers syncing this document, with their state and access.
    peers: BTreeMap<PeerId, (sync::State, Access)>,
    /// Peers already told this document is read-only for them.
    warned: BTreeSet<PeerId>,
}

#[derive(Debug)]
pub struct SyncEngine {
    me: PeerId,
    metadata: PeerMetadata,
    docs: BTreeMap<String, DocSync>,
    /// Documents touched by deferred frames since the last [`SyncEngine::flush`],
    /// with their heads before the first of them and the peers whose
    /// changes were applied.
    pending: BTreeMap<String, Pending>,
}

#[derive(Debug)]
struct Pending {
    before: Vec<ChangeHash>,
    /// Peers whose changes were applied.
    from: BTreeSet<PeerId>,
    /// Peers who sent a frame: each may need an answer even when the
    /// document did not change (the next step of its sync exchange).
    heard: BTreeSet<PeerId>,
}

fn send(to: &PeerId, message: WireMessage) -> Effect {
    Effect::Send {
        to: to.clone(),
        message,
    }
}

impl SyncEngine {
    pub fn new(me: PeerId, metadata: PeerMetadata) -> Self {
        Self {
            me,
            metadata,
            docs: BTreeMap::new(),
            pending: BTreeMap::new(),
        }
    }

    pub fn peer_id(&self) -> &PeerId {
        &self.me
    }

    /// The `join` a client sends first.
    pub fn join(&self) -> WireMessage {
        WireMessage::Join {
            sender_id: self.me.clone(),
            supported_protocol_versions: vec![PROTOCOL_VERSION.to_string()],
            metadata: Some(self.metadata.clone()),
        }
    }

    /// Answers a `join` (the listening side). `peer` is the id the caller
    /// assigns to the connection — the relay binds it to the authenticated
    /// device rather than trusting the claimed `senderId`.
    pub fn accept_join(&mut self, peer: &PeerId, join: &WireMessage) -> Vec<Effect> {
        let WireMessage::Join {
            supported_protocol_versions,
            ..
        } = join
        else {
            return vec![
                send(
                    peer,
                    WireMessage::Error {
                        message: "expected a join message first".into(),
                    },
                ),
                Effect::Close {
                    peer: peer.clone(),
                    reason: "no join".into(),
                },
            ];
        };
        if !supported_protocol_versions
            .iter()
            .any(|v| v == PROTOCOL_VERSION)
        {
            return vec![
                send(
                    peer,
                    WireMessage::Error {
                        message: format!(
                            "unsupported protocol version; this server speaks \"{PROTOCOL_VERSION}\""
                        ),
                    },
                ),
                Effect::Close {
                    peer: peer.clone(),
                    reason: "unsupported protocol version".into(),
                },
            ];
        }
        vec![send(
            peer,
            WireMessage::Peer {
                sender_id: self.me.clone(),
                target_id: peer.clone(),
                selected_protocol_version: PROTOCOL_VERSION.to_string(),
                metadata: Some(self.metadata.clone()),
            },
        )]
    }

    /// Forgets a peer: its sync states start fresh if it comes back, as the
    /// automerge sync protocol requires after a lost connection.
    pub fn disconnected(&mut self, peer: &PeerId) {
        for d in self.docs.values_mut() {
            d.peers.remove(peer);
            d.warned.remove(peer);
        }
    }

    /// Stops syncing `doc` with `peer` (it lost access): nothing more of
    /// `doc` is sent to it. True if it was syncing `doc`.
    pub fn leave(&mut self, peer: &PeerId, doc: &str) -> bool {
        let Some(d) = self.docs.get_mut(doc) else {
            return false;
        };
        d.warned.remove(peer);
        if let Some(p) = self.pending.get_mut(doc) {
            p.heard.remove(peer);
        }
        d.peers.remove(peer).is_some()
    }

    /// Whether `peer` is syncing `doc`.
    pub fn is_syncing(&self, peer: &PeerId, doc: &str) -> bool {
        self.docs
            .get(doc)
            .is_some_and(|d| d.peers.contains_key(peer))
    }

    /// The peers syncing `doc`.
    pub fn peers_of(&self, doc: &str) -> Vec<PeerId> {
        self.docs
            .get(doc)
            .map(|d| d.peers.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The documents `peer` is syncing.
    pub fn documents_of(&self, peer: &PeerId) -> Vec<String> {
        self.docs
            .iter()
            .filter(|(_, d)| d.peers.contains_key(peer))
            .map(|(id, _)| id.clone())
            .collect()
    }

    pub fn has_document(&self, id: &str) -> bool {
        self.docs.contains_key(id)
    }

    /// Adds a document the caller loaded (or an empty one to receive into).
    pub fn add_document(&mut self, id: &str, doc: AutoCommit) {
        self.docs.entry(id.to_string()).or_insert(DocSync {
            doc,
            peers: BTreeMap::new(),
            warned: BTreeSet::new(),
        });
    }

    /// Removes a document from memory (eviction); its peers re-sync from
    /// fresh states if it is added again.
    /// Deferred frames of the document not yet flushed are forgotten with
    /// it (nothing of them was acknowledged).
    pub fn remove_document(&mut self, id: &str) -> Option<AutoCommit> {
        self.pending.remove(id);
        self.docs.remove(id).map(|d| d.doc)
    }

    pub fn document(&self, id: &str) -> Option<&AutoCommit> {
        self.docs.get(id).map(|d| &d.doc)
    }

    pub fn document_mut(&mut self, id: &str) -> Option<&mut AutoCommit> {
        self.docs.get_mut(id).map(|d| &mut d.doc)
    }

    /// True when `peer` said it will not apply our changes to `doc` — we are a
    /// viewer there. A client shows this as "read-only".
    pub fn is_read_only(&self, peer: &PeerId, doc: &str) -> bool {
        self.docs
            .get(doc)
            .and_then(|d| d.peers.get(peer))
            .is_some_and(|(state, _)| state.is_peer_read_only())
    }

    /// Documents with no peer syncing them (candidates for eviction).
    pub fn idle_documents(&self) -> Vec<String> {
        self.docs
            .iter()
            .filter(|(_, d)| d.peers.is_empty())
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The ids of the documents this engine holds.
    pub fn document_ids(&self) -> Vec<String> {
        self.docs.keys().cloned().collect()
    }

    pub fn document_count(&self) -> usize {
        self.docs.len()
    }

    /// Starts syncing `doc` with `peer` (the client asks the relay for it).
    pub fn open(&mut self, peer: &PeerId, doc: &str, access: Access) -> Vec<Effect> {
        let me = self.me.clone();
        let Some(d) = self.docs.get_mut(doc) else {
            return vec![];
        };
        let (state, _) = d
            .peers
            .entry(peer.clone())
            .or_insert_with(|| (new_state(access), access));
        let is_new = d.doc.get_heads().is_empty();
        match d.doc.sync().generate_sync_message(state) {
            Some(m) => {
                let data = m.encode();
                let message = if is_new {
                    WireMessage::Request {
                        sender_id: me,
                        target_id: peer.clone(),
                        document_id: doc.to_string(),
                        data,
                    }
                } else {
                    WireMessage::Sync {
                        sender_id: me,
                        target_id: peer.clone(),
                        document_id: doc.to_string(),
                        data,
                    }
                };
                vec![send(peer, message)]
            }
            None => vec![],
        }
    }

    /// The local copy of `doc` changed: tell every peer syncing it.
    pub fn local_change(&mut self, doc: &str) -> Vec<Effect> {
        self.broadcast(doc)
    }

    /// Sync messages for every peer of `doc` that has something to hear.
    fn broadcast(&mut self, doc: &str) -> Vec<Effect> {
        self.generate(doc, None)
    }

    /// Sync messages for those of `peers` syncing `doc` that have something
    /// to hear.
    fn answer(&mut self, doc: &str, peers: &BTreeSet<PeerId>) -> Vec<Effect> {
        self.generate(doc, Some(peers))
    }

    fn generate(&mut self, doc: &str, only: Option<&BTreeSet<PeerId>>) -> Vec<Effect> {
        let me = self.me.clone();
        let Some(d) = self.docs.get_mut(doc) else {
            return vec![];
        };
        let mut out = Vec::new();
        for (peer, (state, _)) in d.peers.iter_mut() {
            if only.is_some_and(|set| !set.contains(peer)) {
                continue;
            }
            if let Some(m) = d.doc.sync().generate_sync_message(state) {
                out.push(send(
                    peer,
                    WireMessage::Sync {
                        sender_id: me.clone(),
                        target_id: peer.clone(),
                        document_id: doc.to_string(),
                        data: m.encode(),
                    },
                ));
            }
        }
        out
    }

    /// Handles a frame from `from`, who has `access` to its document.
    /// Documents must have been added (loaded) before; a frame for a document
    /// this engine does not hold gets `doc-unavailable`.
    pub fn receive(&mut self, from: &PeerId, message: WireMessage, access: Access) -> Vec<Effect> {
        let mut out = self.receive_deferred(from, message, access);
        out.extend(self.flush());
        out
    }

    /// Like [`SyncEngine::receive`], but the persist and the replies for the
    /// frame's document wait for [`SyncEngine::flush`]. A relay handling a
    /// burst of frames applies them all, then persists each document once and
    /// generates one sync message per (document, peer) — instead of one per
    /// frame, which costs a walk of the change graph each. Effects returned
    /// here (errors, refusals, `doc-unavailable`) need no persist first.
    pub fn receive_deferred(
        &mut self,
        from: &PeerId,
        message: WireMessage,
        access: Access,
    ) -> Vec<Effect> {
        match message {
            WireMessage::Request {
                document_id, data, ..
            }
            | WireMessage::Sync {
                document_id, data, ..
            } => self.receive_sync(from, &document_id, &data, access),
            WireMessage::DocUnavailable { .. }
            | WireMessage::RemoteSubscriptionChange { .. }
            | WireMessage::RemoteHeadsChanged { .. }
            | WireMessage::Leave { .. }
            | WireMessage::Error { .. }
            | WireMessage::Ephemeral { .. } => vec![],
            WireMessage::Join { .. } | WireMessage::Peer { .. } => vec![
                send(
                    from,
                    WireMessage::Error {
                        message: "unexpected handshake message".into(),
                    },
                ),
                Effect::Close {
                    peer: from.clone(),
                    reason: "handshake after handshake".into(),
                },
            ],
        }
    }

    /// Completes every deferred frame: for each document they touched, one
    /// [`Effect::Persist`] of everything new (if anything is), then
    /// [`Effect::Changed`], then a sync message for each of its peers that has
    /// something to hear.
    pub fn flush(&mut self) -> Vec<Effect> {
        let mut out = Vec::new();
        for (doc, pending) in std::mem::take(&mut self.pending) {
            let Some(d) = self.docs.get_mut(&doc) else {
                continue;
            };
            let after = d.doc.get_heads();
            if after != pending.before {
                out.push(Effect::Persist {
                    doc: doc.clone(),
                    changes: d.doc.save_after(&pending.before),
                });
                for from in pending.from {
                    out.push(Effect::Changed {
                        doc: doc.clone(),
                        from,
                    });
                }
                // Every peer may have something new to hear.
                out.extend(self.broadcast(&doc));
            } else {
                // Nothing new: only the peers who spoke need an answer.
                // (Generating a message walks the change graph; a relay
                // answering every peer of a document for every
                // acknowledgement spends most of its time doing so.)
                out.extend(self.answer(&doc, &pending.heard));
            }
        }
        out
    }

    /// Changes of `doc` that are already stored elsewhere (another relay
    /// node committed them): merged into the local copy and offered to
    /// every peer that lacks them. No [`Effect::Persist`]: they are durable.
    /// A document this engine does not hold, or bytes it cannot read,
    /// yield nothing.
    pub fn merge_stored(&mut self, doc: &str, changes: &[u8]) -> Vec<Effect> {
        let Some(d) = self.docs.get_mut(doc) else {
            return vec![];
        };
        let before = d.doc.get_heads();
        if d.doc.load_incremental(changes).is_err() || d.doc.get_heads() == before {
            return vec![];
        }
        self.broadcast(doc)
    }

    /// An `ephemeral` message `from` sent about a document (presence,
    /// cursors): passed on, unchanged but for its target, to every other
    /// peer syncing that document. Never stored, never applied. Anything
    /// else, or a document nobody else syncs, yields nothing.
    pub fn forward_ephemeral(&self, from: &PeerId, message: &WireMessage) -> Vec<Effect> {
        let WireMessage::Ephemeral { document_id, .. } = message else {
            return vec![];
        };
        let Some(d) = self.docs.get(document_id) else {
            return vec![];
        };
        d.peers
            .keys()
            .filter(|p| *p != from)
            .map(|p| {
                let mut m = message.clone();
                if let Some(target) = m.target_mut() {
                    *target = p.clone();
                }
                send(p, m)
            })
            .collect()
    }

    /// `doc-unavailable` for a document `from` may not see or that does not exist.
    pub fn unavailable(&self, to: &PeerId, doc: &str) -> Effect {
        send(
            to,
            WireMessage::DocUnavailable {
                sender_id: self.me.clone(),
                target_id: to.clone(),
                document_id: doc.to_string(),
            },
        )
    }

    fn receive_sync(
        &mut self,
        from: &PeerId,
        doc: &str,
        data: &[u8],
        access: Access,
    ) -> Vec<Effect> {
        let Some(d) = self.docs.get_mut(doc) else {
            return vec![self.unavailable(from, doc)];
        };
        let message = match sync::Message::decode(data) {
            Ok(m) => m,
            Err(e) => {
                return vec![
                    send(
                        from,
                        WireMessage::Error {
                            message: format!("bad sync message for {doc}: {e}"),
                        },
                    ),
                    Effect::Close {
                        peer: from.clone(),
                        reason: "undecodable sync message".into(),
                    },
                ];
            }
        };
        let mut out = Vec::new();
        let entry = d
            .peers
            .entry(from.clone())
            .or_insert_with(|| (new_state(access), access));
        if entry.1 != access {
            // Access changed (a role change): start this peer afresh.
            *entry = (new_state(access), access);
        }
        if access == Access::ReadOnly && !message.changes.is_empty() {
            out.push(Effect::Refused {
                doc: doc.to_string(),
                peer: from.clone(),
            });
            if d.warned.insert(from.clone()) {
                out.push(send(from, WireMessage::Error {
                    message: format!("read-only: you may view {doc} but not change it; your changes were not applied"),
                }));
            }
        }
        let before = d.doc.get_heads();
        let (state, _) = d
            .peers
            .get_mut(from)
            .unwrap_or_else(|| unreachable!("inserted above"));
        if let Err(e) = ack::receive(&mut d.doc, state, message) {
            out.push(send(
                from,
                WireMessage::Error {
                    message: format!("cannot apply sync message for {doc}: {e}"),
                },
            ));
            out.push(Effect::Close {
                peer: from.clone(),
                reason: "sync message does not apply".into(),
            });
            return out;
        }
        let changed = d.doc.get_heads() != before;
        let pending = self
            .pending
            .entry(doc.to_string())
            .or_insert_with(|| Pending {
                before,
                from: BTreeSet::new(),
                heard: BTreeSet::new(),
            });
        pending.heard.insert(from.clone());
        if changed {
            pending.from.insert(from.clone());
        }
        out
    }
}

fn new_state(access: Access) -> sync::State {
    match access {
        Access::ReadWrite => sync::State::new(),
        Access::ReadOnly => sync::State::new_read_only(),
    }
}

#[cfg(test)]
mod tests;

mod ack;
