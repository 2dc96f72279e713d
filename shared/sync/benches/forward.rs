//! What the relay's engine spends to forward one change on a document with
//! a long history: peer A sends a change, the engine applies it and offers
//! it to peer B, and B acknowledges it (both peers' answers are received
//! the way the relay receives them).
//!
//!     cargo bench -p porchlight-sync --bench forward

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use porchlight_sync::engine::{Access, Effect, SyncEngine};
use porchlight_sync::wire::{PeerId, PeerMetadata, WireMessage};

const DOC: &str = "2Zr8yZxjQrJNCQ8Z5n4xW6hTJv1Q";

fn main() {
    divan::main();
}

/// A peer: its copy and its sync state with the relay.
struct Peer {
    id: PeerId,
    doc: AutoCommit,
    state: sync::State,
}

impl Peer {
    fn frame(&mut self) -> Option<WireMessage> {
        let m = self.doc.sync().generate_sync_message(&mut self.state)?;
        Some(WireMessage::Sync {
            sender_id: self.id.clone(),
            target_id: PeerId("relay".into()),
            document_id: DOC.into(),
            data: m.encode(),
        })
    }

    fn hear(&mut self, data: &[u8]) {
        let m = sync::Message::decode(data).expect("decode");
        self.doc
            .sync()
            .receive_sync_message(&mut self.state, m)
            .expect("receive");
    }
}

struct Setup {
    engine: SyncEngine,
    a: Peer,
    b: Peer,
    n: i64,
}

/// Delivers the engine's frames to the peers they are for.
fn deliver(effects: Vec<Effect>, a: &mut Peer, b: &mut Peer) {
    for e in effects {
        if let Effect::Send {
            to,
            message: WireMessage::Sync { data, .. },
        } = e
        {
            if to == a.id {
                a.hear(&data);
            } else if to == b.id {
                b.hear(&data);
            }
        }
    }
}

/// Runs the exchange until no one has anything to say: each round, every
/// peer's message in, one batch completed, the engine's answers out.
fn settle(engine: &mut SyncEngine, a: &mut Peer, b: &mut Peer) {
    for _ in 0..16 {
        let mut any = false;
        for p in [&mut *a, &mut *b] {
            if let Some(frame) = p.frame() {
                any = true;
                let id = p.id.clone();
                let _ = engine.receive_deferred(&id, frame, Access::ReadWrite);
            }
        }
        let effects = engine.flush();
        if !any && effects.is_empty() {
            return;
        }
        deliver(effects, a, b);
    }
}

/// A document with `changes` small changes (20 keys rewritten in turn),
/// held by the engine and by both peers, all in sync.
fn setup(changes: usize) -> Setup {
    let mut doc = AutoCommit::new();
    for i in 0..changes {
        doc.put(ROOT, format!("k{}", i % 20), i as i64)
            .expect("put");
        doc.commit();
    }
    let mut engine = SyncEngine::new(PeerId("relay".into()), PeerMetadata::default());
    engine.add_document(DOC, doc.fork());
    let mut a = Peer {
        id: PeerId("a".into()),
        doc: doc.fork(),
        state: sync::State::new(),
    };
    let mut b = Peer {
        id: PeerId("b".into()),
        doc: doc.fork(),
        state: sync::State::new(),
    };
    settle(&mut engine, &mut a, &mut b);
    Setup { engine, a, b, n: 0 }
}

#[divan::bench(args = [1_000, 10_000, 100_000], sample_count = 200)]
fn forward_one_change(bencher: divan::Bencher, changes: usize) {
    let mut s = setup(changes);
    bencher.bench_local(|| {
        s.n += 1;
        s.a.doc.put(ROOT, "edited", s.n).expect("put");
        s.a.doc.commit();
        // A's change in, offered to B, B's acknowledgement in.
        settle(&mut s.engine, &mut s.a, &mut s.b);
    });
}
