//! A shard's guards: panic isolation per input, the storage quota, and
//! access changes reaching open connections.

use std::panic::{AssertUnwindSafe, catch_unwind};

use porchlight_sync::{Effect, PeerId, WireMessage};

use super::HubInput;
use super::conn::Outbound;
use super::shard::Shard;

impl Shard {
    /// Handles one input; a panic inside (automerge runs on peer bytes)
    /// costs only the document it was about and the sender's connection.
    pub(super) fn guarded(&mut self, input: HubInput) {
        let about = match &input {
            HubInput::Frame { peer, doc, .. } => Some((peer.clone(), Some(doc.clone()))),
            HubInput::Remote { doc, .. } => Some((PeerId(String::new()), Some(doc.clone()))),
            HubInput::Edit(e) => Some((PeerId(String::new()), Some(e.doc.clone()))),
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
                self.remove_document(&doc);
                for other in others.iter().filter(|p| **p != peer) {
                    self.send(
                        other,
                        Outbound::Close("the relay reloads this document; reconnect".into()),
                    );
                    self.cut_off(other);
                }
            }
            self.send(
                &peer,
                Outbound::Close("the relay could not handle your last message".into()),
            );
            self.cut_off(&peer);
        }
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

    /// The account's roles changed: its connections stop syncing documents
    /// of teams it left (told `doc-unavailable`, sent nothing more); where
    /// it is a viewer now, the per-frame access check refuses its writes.
    pub(super) fn recheck(&mut self, account: i64) {
        self.access.forget_account(account);
        let peers: Vec<PeerId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.key.is_none() && c.account == account)
            .map(|(p, _)| p.clone())
            .collect();
        for peer in peers {
            for doc in self.engine.documents_of(&peer) {
                let still = self.access.access(
                    &self.store,
                    &self.rt,
                    account,
                    None,
                    &doc,
                    self.limits.bytes_per_team,
                );
                if matches!(still, Ok(Some(_))) {
                    continue;
                }
                self.engine.leave(&peer, &doc);
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
}
