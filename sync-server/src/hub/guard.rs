//! The hub's guards: the handshake's bounds, presence caps and rate, the
//! per-connection document quota, access changes and revocations reaching
//! open connections, and panic isolation per input.

use std::panic::{AssertUnwindSafe, catch_unwind};

use porchlight_sync::{Access, Effect, PeerId, WireMessage};

use super::conn::{MAX_EPHEMERAL, MAX_PEER_ID, Outbound};
use super::{Hub, HubInput, document_of};

impl Hub {
    /// Handles one input; a panic inside (automerge runs on peer bytes)
    /// costs only the document it was about and the sender's connection.
    pub(super) fn guarded(&mut self, input: HubInput) {
        let about = match &input {
            HubInput::Frame { peer, bytes } => Some((
                peer.clone(),
                WireMessage::decode(bytes)
                    .ok()
                    .and_then(|m| document_of(&m).map(str::to_string)),
            )),
            _ => None,
        };
        let result = catch_unwind(AssertUnwindSafe(|| self.handle(input)));
        if result.is_err() {
            self.metrics.panics.inc();
            let (peer, doc) = about.unwrap_or((PeerId(String::new()), None));
            tracing::error!(%peer, doc = doc.as_deref().unwrap_or("-"), "handling an input panicked; evicting the document and closing the sender");
            if let Some(doc) = doc {
                // The document's in-memory state may be half-changed, and
                // its other peers' sync states go with it: they reconnect
                // and re-sync from what is stored.
                let others = self.engine.peers_of(&doc);
                self.engine.remove_document(&doc);
                for other in others.iter().filter(|p| **p != peer) {
                    self.send(
                        other,
                        Outbound::Close("the relay reloads this document; reconnect".into()),
                    );
                    self.drop_peer(other);
                }
            }
            self.send(
                &peer,
                Outbound::Close("the relay could not handle your last message".into()),
            );
            self.drop_peer(&peer);
        }
    }

    /// An error to the peer, then its connection closed.
    pub(super) fn reject(&mut self, peer: &PeerId, message: String, reason: &str) {
        self.run(vec![
            Effect::Send {
                to: peer.clone(),
                message: WireMessage::Error { message },
            },
            Effect::Close {
                peer: peer.clone(),
                reason: reason.into(),
            },
        ]);
    }

    /// A peer broke one of the relay's bounds: told why, counted, closed.
    pub(super) fn violation(&mut self, peer: &PeerId, message: String) {
        self.metrics.protocol_violations.inc();
        tracing::info!(%peer, %message, "closing a connection that broke a bound");
        self.reject(peer, message, "message too large");
    }

    /// The handshake: the claimed peer id is bounded before it is kept.
    pub(super) fn join(&mut self, peer: &PeerId, message: &WireMessage) {
        if let WireMessage::Join { sender_id, .. } = message
            && sender_id.0.len() > MAX_PEER_ID
        {
            self.violation(
                peer,
                format!(
                    "a peer id may be at most {MAX_PEER_ID} bytes; this one is {}",
                    sender_id.0.len()
                ),
            );
            return;
        }
        let effects = self.engine.accept_join(peer, message);
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
            if let WireMessage::Join { sender_id, .. } = message {
                c.claimed = Some(sender_id.clone());
            }
        }
        self.run(effects);
    }

    /// Presence: passed on to the document's other peers and never stored,
    /// within a size cap and a rate per connection. The sender is named by
    /// the id it announced at join, which is bound to this connection.
    pub(super) fn presence(&mut self, peer: &PeerId, mut message: WireMessage) {
        let WireMessage::Ephemeral {
            sender_id, data, ..
        } = &mut message
        else {
            return;
        };
        if data.len() > MAX_EPHEMERAL {
            let n = data.len();
            self.violation(
                peer,
                format!("a presence message may carry at most {MAX_EPHEMERAL} bytes; this one carries {n}"),
            );
            return;
        }
        let Some(conn) = self.conns.get_mut(peer) else {
            return;
        };
        if !conn.allow_presence() {
            self.metrics.ephemeral_dropped.inc();
            return;
        }
        if let Some(claimed) = conn.claimed.clone() {
            *sender_id = claimed;
        }
        let effects = self.engine.forward_ephemeral(peer, &message);
        self.run(effects);
    }

    /// A connection syncs at most so many documents at once; one more is
    /// refused with an error that names the limit.
    pub(super) fn within_document_quota(&mut self, peer: &PeerId, doc: &str) -> bool {
        let limit = self.limits.documents_per_connection;
        let Some(conn) = self.conns.get_mut(peer) else {
            return false;
        };
        if conn.docs.contains(doc) {
            return true;
        }
        if limit > 0 && conn.docs.len() >= limit {
            self.metrics.quota_refusals.inc();
            let e = self.engine.unavailable(peer, doc);
            self.run(vec![
                Effect::Send {
                    to: peer.clone(),
                    message: WireMessage::Error {
                        message: format!(
                            "quota: one connection syncs at most {limit} documents (documents_per_connection in the relay's [limits]); {doc} was refused"
                        ),
                    },
                },
                e,
            ]);
            return false;
        }
        conn.docs.insert(doc.to_string());
        true
    }

    /// The document's team is at its storage quota: the peer is told once
    /// per connection; its changes are refused as a viewer's are.
    pub(super) fn storage_full(&mut self, peer: &PeerId, doc: &str) {
        let limit = self.limits.bytes_per_team;
        let Some(conn) = self.conns.get_mut(peer) else {
            return;
        };
        if !conn.told_full.insert(doc.to_string()) {
            return;
        }
        self.metrics.quota_refusals.inc();
        self.run(vec![Effect::Send {
            to: peer.clone(),
            message: WireMessage::Error {
                message: format!(
                    "quota: this team stores {limit} bytes or more (bytes_per_team in the relay's [limits]); {doc} syncs read-only until the relay's admin raises the limit"
                ),
            },
        }]);
    }

    /// A sync frame for the engine (the injected fault of the tests fires
    /// here, where automerge would).
    pub(super) fn sync(&mut self, peer: &PeerId, doc: &str, message: WireMessage, access: Access) {
        if self.limits.inject_panic_on.as_deref() == Some(doc) {
            panic!("injected fault for {doc}");
        }
        let effects = self.engine.receive_deferred(peer, message, access);
        self.run(effects);
    }

    /// The account's roles changed: its connections stop syncing documents
    /// of teams it left (told `doc-unavailable`, sent nothing more); where
    /// it is a viewer now, the per-frame access check refuses its writes.
    pub(super) fn recheck(&mut self, account: i64) {
        let peers: Vec<PeerId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.key.is_none() && c.account == account)
            .map(|(p, _)| p.clone())
            .collect();
        for peer in peers {
            for doc in self.engine.documents_of(&peer) {
                if matches!(self.access(account, &doc), Ok(Some(_))) {
                    continue;
                }
                self.engine.leave(&peer, &doc);
                if let Some(c) = self.conns.get_mut(&peer) {
                    c.docs.remove(&doc);
                }
                let e = self.engine.unavailable(&peer, &doc);
                self.run(vec![e]);
            }
        }
        // Commit the batch's pending frames before a document can leave
        // memory (as on a disconnect).
        let effects = self.engine.flush();
        self.run(effects);
        self.evict_idle();
    }

    /// A device token or an API key no longer works: the connections it
    /// opened close (1008).
    pub(super) fn revoke(&mut self, opened_by: impl Fn(&super::Conn) -> bool) {
        let peers: Vec<PeerId> = self
            .conns
            .iter()
            .filter(|(_, c)| opened_by(c))
            .map(|(p, _)| p.clone())
            .collect();
        for peer in peers {
            self.send(
                &peer,
                Outbound::Close("this token was revoked; sign in again".into()),
            );
            self.drop_peer(&peer);
        }
    }
}
