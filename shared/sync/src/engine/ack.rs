//! Acknowledgements without walking the whole history.
//!
//! Automerge 0.12's `receive_sync_message` trims the hashes sent to a peer
//! by walking every ancestor of the heads the peer reports, back to the
//! document's first change, on every message, even an acknowledgement
//! that carries no changes. A relay receives one such message from each
//! peer for every change it forwards, so its cost grew with the length of
//! the document's history: on a board with a long history most of the
//! relay's time went to walking it.
//!
//! The common acknowledgement needs no walk: it carries no changes, and
//! the peer's heads are exactly (our heads or) the changes we sent it. Then
//! every sent hash is one of those heads, so all of them are trimmed, and
//! every head is a change we hold. [`receive_ack`] applies such a message to
//! the sync state exactly as automerge would and hands any other message
//! back to be received the usual way.
//!
//! A message that carries a peer's new changes is, once they are applied,
//! usually such an acknowledgement too (the peer's heads are its new
//! change). [`receive`] applies the changes itself, as automerge does, and
//! then receives the rest of the message through [`receive_ack`] or
//! automerge. The tests compare the sync state and the document with
//! automerge's after every message of long random exchanges.

use std::collections::HashSet;

use automerge::sync::{self, Capability, ChunkList, MessageFlags, SyncDoc};
use automerge::{AutoCommit, AutomergeError, ChangeHash};

/// Receives `message` from a peer into `doc` and the peer's `state`, as
/// automerge's `receive_sync_message` does; whether the walk of the
/// history was skipped.
pub(super) fn receive(
    doc: &mut AutoCommit,
    state: &mut sync::State,
    message: sync::Message,
) -> Result<bool, AutomergeError> {
    if message.changes.is_empty() || state.read_only {
        return receive_rest(doc, state, message);
    }
    // What automerge does first with a message's changes: apply them and
    // advance the heads both sides are known to share.
    let before = doc.get_heads();
    let bytes: Vec<u8> = message.changes.iter().flatten().copied().collect();
    doc.load_incremental(&bytes)?;
    let after = doc.get_heads();
    state.shared_heads = advance_heads(&before, &after, &state.shared_heads);
    // The rest is what automerge does with any message, but for one step
    // it takes only for a message without changes: noting the heads as
    // the last sent when they equal ours. Undone here.
    let last_sent = state.last_sent_heads.clone();
    let no_heads = message.heads.is_empty();
    let rest = sync::Message {
        changes: ChunkList::empty(),
        ..message
    };
    let skipped = receive_rest(doc, state, rest)?;
    if !no_heads {
        state.last_sent_heads = last_sent;
    }
    Ok(skipped)
}

/// A message without changes (or not applied: a read-only peer's).
fn receive_rest(
    doc: &mut AutoCommit,
    state: &mut sync::State,
    message: sync::Message,
) -> Result<bool, AutomergeError> {
    match receive_ack(doc, state, message) {
        Ok(()) => Ok(true),
        Err(message) => doc
            .sync()
            .receive_sync_message(state, message)
            .map(|()| false),
    }
}

/// The heads both sides share after our heads went from `before` to
/// `after`: our new heads, and those shared heads that are still heads.
fn advance_heads(
    before: &[ChangeHash],
    after: &[ChangeHash],
    shared: &[ChangeHash],
) -> Vec<ChangeHash> {
    let mut advanced: HashSet<ChangeHash> = after
        .iter()
        .filter(|h| !before.contains(h))
        .copied()
        .collect();
    advanced.extend(shared.iter().filter(|h| after.contains(h)).copied());
    let mut advanced: Vec<ChangeHash> = advanced.into_iter().collect();
    advanced.sort();
    advanced
}

/// Applies `message` to `state` if it is an acknowledgement that needs no
/// walk of the history; otherwise gives it back untouched.
pub(super) fn receive_ack(
    doc: &mut AutoCommit,
    state: &mut sync::State,
    message: sync::Message,
) -> Result<(), sync::Message> {
    if !message.changes.is_empty()
        || message
            .flags
            .is_some_and(|f| f.contains(MessageFlags::SYNC_RESET))
        || state.sent_hashes.iter().any(|h| !message.heads.contains(h))
    {
        return Err(message);
    }
    let ours = doc.get_heads();
    // Every head must be a change this document holds: one of its own
    // heads, or a change sent from it.
    if message
        .heads
        .iter()
        .any(|h| !ours.contains(h) && !state.sent_hashes.contains(h))
    {
        return Err(message);
    }
    let sync::Message {
        heads,
        need,
        have,
        flags,
        ..
    } = message;
    state.in_flight = false;
    if let Some(flags) = flags {
        let mut caps = vec![Capability::MessageV2];
        if flags.contains(MessageFlags::SUPPORTS_SYNC_RESET) {
            caps.push(Capability::SyncReset);
        }
        state.their_capabilities = Some(caps);
        state.peer_read_only = flags.contains(MessageFlags::READ_ONLY);
    }
    // Each sent hash is one of the peer's heads: all are trimmed.
    state.sent_hashes.clear();
    if heads == ours {
        state.last_sent_heads.clone_from(&heads);
    }
    // Every head is known.
    state.shared_heads.clone_from(&heads);
    if heads.is_empty() {
        state.last_sent_heads = Vec::new();
    }
    state.their_have = Some(have);
    state.their_heads = Some(heads);
    state.their_need = Some(need);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::sync::SyncDoc;
    use automerge::transaction::Transactable;
    use automerge::{ROOT, ReadDoc};

    /// A small deterministic generator (xorshift), so a failure repeats.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    /// A relay document and three peers exchange sync messages while the
    /// peers and the relay edit at random (sometimes concurrently,
    /// sometimes several edits before a sync). Every message the
    /// relay receives is also received by automerge on a copy; whenever
    /// the acknowledgement path takes it, the two sync states must be
    /// equal, and the documents must converge in the end.
    #[test]
    fn acknowledgements_leave_the_state_automerge_would() {
        for seed in [1_u64, 7, 42, 1234, 99_999] {
            let mut rng = Rng(seed);
            let mut relay = AutoCommit::new();
            let mut peers: Vec<(AutoCommit, sync::State, sync::State)> = (0..3)
                .map(|_| (AutoCommit::new(), sync::State::new(), sync::State::new()))
                .collect();
            let (mut fast, mut slow, mut carried_fast) = (0, 0, 0);
            for round in 0..400 {
                let i = rng.below(3) as usize;
                if rng.below(8) == 0 {
                    // The relay's own change (an edit through its API).
                    relay
                        .put(ROOT, format!("r{}", rng.below(5)), round as i64)
                        .expect("put");
                    relay.commit();
                }
                let (doc, _, _) = &mut peers[i];
                if rng.below(3) == 0 {
                    doc.put(ROOT, format!("k{}", rng.below(20)), round as i64)
                        .expect("put");
                    doc.commit();
                }
                // Peer → relay.
                let (doc, peer_state, relay_state) = &mut peers[i];
                if let Some(m) = doc.sync().generate_sync_message(peer_state) {
                    let m = sync::Message::decode(&m.encode()).expect("decode");
                    // Sometimes the relay's answer to an earlier message
                    // is still on its way (it is sent only below).
                    {
                        let mut want_state = relay_state.clone();
                        let mut want_doc = relay.clone();
                        want_doc
                            .sync()
                            .receive_sync_message(&mut want_state, m.clone())
                            .expect("receive");
                        let carried = !m.changes.is_empty();
                        if receive(&mut relay, relay_state, m).expect("receive") {
                            fast += 1;
                            carried_fast += usize::from(carried);
                        } else {
                            slow += 1;
                        }
                        assert_eq!(*relay_state, want_state, "seed {seed} round {round}");
                        assert_eq!(relay.get_heads(), want_doc.get_heads());
                        assert_eq!(relay.save(), want_doc.save());
                    }
                }
                // Relay → every peer.
                for (doc, peer_state, relay_state) in peers.iter_mut() {
                    if let Some(m) = relay.sync().generate_sync_message(relay_state) {
                        let m = sync::Message::decode(&m.encode()).expect("decode");
                        doc.sync()
                            .receive_sync_message(peer_state, m)
                            .expect("receive");
                    }
                }
            }
            // Let everything settle.
            for _ in 0..20 {
                for (doc, peer_state, relay_state) in peers.iter_mut() {
                    if let Some(m) = doc.sync().generate_sync_message(peer_state) {
                        receive(&mut relay, relay_state, m).expect("receive");
                    }
                    if let Some(m) = relay.sync().generate_sync_message(relay_state) {
                        doc.sync()
                            .receive_sync_message(peer_state, m)
                            .expect("receive");
                    }
                }
            }
            let heads = relay.get_heads();
            for (doc, _, _) in peers.iter_mut() {
                assert_eq!(doc.get_heads(), heads, "seed {seed}: did not converge");
                assert_eq!(doc.keys(ROOT).count(), relay.keys(ROOT).count());
            }
            assert!(
                fast > 50 && slow > 20 && carried_fast > 20,
                "seed {seed}: both paths taken ({fast} without the walk, \
                 {carried_fast} of them with changes; {slow} with it)"
            );
        }
    }
}
