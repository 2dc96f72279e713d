//! The connection's side of the hub: everything about a frame that needs
//! no document — decoding, the handshake, the bounds on frame size, peer
//! id and presence, the documents one connection may sync — is decided in
//! the connection's own task, before the frame goes to the shard that owns
//! its document. So a misbehaving client costs its own task, not a shard.

use std::collections::HashSet;
use std::sync::Arc;

use porchlight_sync::{PeerId, PeerMetadata, SyncEngine, WireMessage};

use super::Metrics;
use super::conn::{MAX_EPHEMERAL, MAX_NON_SYNC_FRAME, MAX_PEER_ID, PresenceRate};

/// What to do with one frame from the client.
#[derive(Debug)]
pub enum Gated {
    /// Answer the client with these frames; then, with a reason, close.
    Answer {
        frames: Vec<WireMessage>,
        close: Option<String>,
    },
    /// Pass the frame to the shard of its document.
    Route { doc: String, message: WireMessage },
    /// Nothing to do (presence over the rate, messages the relay ignores).
    Drop,
}

/// One connection's state before the shards: handshake, quota, presence rate.
#[derive(Debug)]
pub struct Gate {
    /// The relay's own id for this connection (bound to its device).
    pub peer: PeerId,
    relay: SyncEngine,
    /// The id the client announced at `join`, once it has joined.
    claimed: Option<PeerId>,
    docs: HashSet<String>,
    max_docs: usize,
    presence: PresenceRate,
    metrics: Arc<Metrics>,
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

impl Gate {
    pub fn new(peer: PeerId, relay_id: &str, max_docs: usize, metrics: Arc<Metrics>) -> Self {
        let relay = SyncEngine::new(
            PeerId(relay_id.to_string()),
            PeerMetadata {
                storage_id: Some(relay_id.to_string()),
                is_ephemeral: false,
            },
        );
        Self {
            peer,
            relay,
            claimed: None,
            docs: HashSet::new(),
            max_docs,
            presence: PresenceRate::default(),
            metrics,
        }
    }

    /// The id the client announced, once joined.
    pub fn claimed(&self) -> Option<&PeerId> {
        self.claimed.as_ref()
    }

    fn answer(&self, message: String, close: Option<&str>) -> Gated {
        Gated::Answer {
            frames: vec![WireMessage::Error { message }],
            close: close.map(str::to_string),
        }
    }

    /// A bound was broken: told why, counted, closed.
    fn violation(&self, message: String) -> Gated {
        self.metrics.protocol_violations.inc();
        tracing::info!(peer = %self.peer, %message, "closing a connection that broke a bound");
        self.answer(message, Some("message too large"))
    }

    /// Decides what becomes of one binary frame.
    pub fn frame(&mut self, bytes: &[u8]) -> Gated {
        self.metrics.messages_in.inc();
        self.metrics.bytes_in.inc_by(bytes.len() as u64);
        let message = match WireMessage::decode(bytes) {
            Ok(m) => m,
            Err(e) => {
                return self.answer(format!("cannot read frame: {e}"), Some("malformed frame"));
            }
        };
        let is_sync = matches!(
            message,
            WireMessage::Sync { .. } | WireMessage::Request { .. }
        );
        if !is_sync && bytes.len() > MAX_NON_SYNC_FRAME {
            return self.violation(format!(
                "a frame that is not a sync message may be at most {MAX_NON_SYNC_FRAME} bytes; this one is {}",
                bytes.len()
            ));
        }
        if self.claimed.is_none() {
            return self.join(&message);
        }
        let Some(doc) = document_of(&message).map(str::to_string) else {
            return Gated::Drop;
        };
        match &message {
            WireMessage::Ephemeral { data, .. } => {
                if data.len() > MAX_EPHEMERAL {
                    let n = data.len();
                    return self.violation(format!(
                        "a presence message may carry at most {MAX_EPHEMERAL} bytes; this one carries {n}"
                    ));
                }
                if !self.presence.allow() {
                    self.metrics.ephemeral_dropped.inc();
                    return Gated::Drop;
                }
            }
            WireMessage::Sync { .. } | WireMessage::Request { .. } => {
                if !self.docs.contains(&doc) {
                    if self.max_docs > 0 && self.docs.len() >= self.max_docs {
                        self.metrics.quota_refusals.inc();
                        let limit = self.max_docs;
                        return Gated::Answer {
                            frames: vec![
                                WireMessage::Error {
                                    message: format!(
                                        "quota: one connection syncs at most {limit} documents (documents_per_connection in the relay's [limits]); {doc} was refused"
                                    ),
                                },
                                self.unavailable(&doc),
                            ],
                            close: None,
                        };
                    }
                    self.docs.insert(doc.clone());
                }
            }
            _ => return Gated::Drop,
        }
        Gated::Route { doc, message }
    }

    /// `doc-unavailable` for `doc`, addressed to the client.
    pub fn unavailable(&self, doc: &str) -> WireMessage {
        WireMessage::DocUnavailable {
            sender_id: self.relay.peer_id().clone(),
            target_id: self.claimed.clone().unwrap_or_else(|| self.peer.clone()),
            document_id: doc.to_string(),
        }
    }

    /// The handshake: the claimed peer id is bounded before it is kept.
    fn join(&mut self, message: &WireMessage) -> Gated {
        if let WireMessage::Join { sender_id, .. } = message
            && sender_id.0.len() > MAX_PEER_ID
        {
            return self.violation(format!(
                "a peer id may be at most {MAX_PEER_ID} bytes; this one is {}",
                sender_id.0.len()
            ));
        }
        let effects = self.relay.accept_join(&self.peer, message);
        let mut frames = Vec::new();
        let mut close = None;
        for effect in effects {
            match effect {
                porchlight_sync::Effect::Send { message, .. } => frames.push(message),
                porchlight_sync::Effect::Close { reason, .. } => close = Some(reason),
                _ => {}
            }
        }
        if close.is_none()
            && let WireMessage::Join { sender_id, .. } = message
        {
            self.claimed = Some(sender_id.clone());
            // The answer is addressed to the id the client knows itself by.
            for f in &mut frames {
                if let Some(target) = f.target_mut() {
                    *target = sender_id.clone();
                }
            }
        }
        Gated::Answer { frames, close }
    }
}
