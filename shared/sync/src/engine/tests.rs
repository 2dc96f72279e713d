//! The engine over a simulated network: clients and a relay exchange frames
//! through queues that drop (a lost connection), duplicate, reorder across
//! documents, and partition; every replica still converges, and the relay
//! persisted every change before it acknowledged or forwarded it.

use std::collections::VecDeque;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use proptest::prelude::*;

use super::*;

const DOCS: [&str; 2] = ["docA", "docB"];

struct Node {
    engine: SyncEngine,
    /// For the relay: what it has persisted, per document.
    disk: BTreeMap<String, Vec<u8>>,
}

struct Net {
    relay: Node,
    clients: Vec<Node>,
    /// (from, to, frame) — frames travel encoded, as on a socket.
    queue: VecDeque<(PeerId, PeerId, Vec<u8>)>,
    down: BTreeSet<usize>,
    refused: usize,
    read_only: BTreeSet<usize>,
}

fn relay_id() -> PeerId {
    PeerId::from("relay")
}

fn client_id(i: usize) -> PeerId {
    PeerId(format!("client-{i}"))
}

impl Net {
    fn new(clients: usize) -> Self {
        let mut net = Net {
            relay: Node {
                engine: SyncEngine::new(relay_id(), PeerMetadata::default()),
                disk: BTreeMap::new(),
            },
            clients: (0..clients)
                .map(|i| Node {
                    engine: SyncEngine::new(client_id(i), PeerMetadata::default()),
                    disk: BTreeMap::new(),
                })
                .collect(),
            queue: VecDeque::new(),
            down: BTreeSet::new(),
            refused: 0,
            read_only: BTreeSet::new(),
        };
        for i in 0..clients {
            for doc in DOCS {
                net.clients[i].engine.add_document(doc, AutoCommit::new());
            }
            net.connect(i);
        }
        net
    }

    fn connect(&mut self, i: usize) {
        let join = self.clients[i].engine.join();
        let effects = self.relay.engine.accept_join(&client_id(i), &join);
        self.run_relay(effects);
        for doc in DOCS {
            let effects = self.clients[i]
                .engine
                .open(&relay_id(), doc, Access::ReadWrite);
            self.run_client(i, effects);
        }
    }

    fn disconnect(&mut self, i: usize) {
        self.clients[i].engine.disconnected(&relay_id());
        self.relay.engine.disconnected(&client_id(i));
        self.queue
            .retain(|(f, t, _)| *f != client_id(i) && *t != client_id(i));
    }

    fn run_client(&mut self, i: usize, effects: Vec<Effect>) {
        for e in effects {
            if let Effect::Send { to, message } = e {
                self.queue.push_back((client_id(i), to, message.encode()));
            }
        }
    }

    fn run_relay(&mut self, effects: Vec<Effect>) {
        for e in effects {
            match e {
                Effect::Send { to, message } => {
                    // Durability: anything the relay sends is already on its disk.
                    if let WireMessage::Sync { document_id, .. } = &message {
                        let on_disk = self
                            .relay
                            .disk
                            .get(document_id)
                            .cloned()
                            .unwrap_or_default();
                        let mut stored = AutoCommit::new();
                        if !on_disk.is_empty() {
                            stored.load_incremental(&on_disk).expect("disk loads");
                        }
                        let mut live = self
                            .relay
                            .engine
                            .document(document_id)
                            .expect("doc")
                            .clone();
                        assert_eq!(
                            stored.get_heads(),
                            live.get_heads(),
                            "relay sent before persisting"
                        );
                    }
                    self.queue.push_back((relay_id(), to, message.encode()));
                }
                Effect::Persist { doc, changes } => {
                    self.relay.disk.entry(doc).or_default().extend(changes);
                }
                Effect::Refused { .. } => self.refused += 1,
                Effect::Changed { .. } | Effect::Close { .. } => {}
            }
        }
    }

    fn deliver(&mut self, index: usize, duplicate: bool) {
        let Some((from, to, frame)) = self.queue.remove(index) else {
            return;
        };
        if duplicate {
            self.queue
                .insert(index, (from.clone(), to.clone(), frame.clone()));
        }
        let message = WireMessage::decode(&frame).expect("frames decode");
        if to == relay_id() {
            let i: usize = from
                .0
                .trim_start_matches("client-")
                .parse()
                .expect("client");
            if let WireMessage::Request { document_id, .. } | WireMessage::Sync { document_id, .. } =
                &message
                && !self.relay.engine.has_document(document_id)
            {
                self.relay
                    .engine
                    .add_document(document_id, AutoCommit::new());
            }
            let access = if self.read_only.contains(&i) {
                Access::ReadOnly
            } else {
                Access::ReadWrite
            };
            let effects = self.relay.engine.receive(&from, message, access);
            self.run_relay(effects);
        } else {
            let i: usize = to.0.trim_start_matches("client-").parse().expect("client");
            let effects = self.clients[i]
                .engine
                .receive(&from, message, Access::ReadWrite);
            self.run_client(i, effects);
        }
    }

    /// The relay takes up to `n` waiting frames at once (as its hub does
    /// under load): applies them all, then persists and replies once per
    /// document.
    fn burst_to_relay(&mut self, n: usize) {
        let mut effects = Vec::new();
        for _ in 0..n {
            let Some(pos) = self.queue.iter().position(|(_, t, _)| *t == relay_id()) else {
                break;
            };
            let Some((from, _, frame)) = self.queue.remove(pos) else {
                break;
            };
            let message = WireMessage::decode(&frame).expect("frames decode");
            let i: usize = from
                .0
                .trim_start_matches("client-")
                .parse()
                .expect("client");
            if let WireMessage::Request { document_id, .. } | WireMessage::Sync { document_id, .. } =
                &message
                && !self.relay.engine.has_document(document_id)
            {
                self.relay
                    .engine
                    .add_document(document_id, AutoCommit::new());
            }
            let access = if self.read_only.contains(&i) {
                Access::ReadOnly
            } else {
                Access::ReadWrite
            };
            effects.extend(self.relay.engine.receive_deferred(&from, message, access));
        }
        // Nothing deferred may be sent before the flush persists it.
        assert!(
            effects.iter().all(|e| !matches!(e, Effect::Persist { .. })
                && !matches!(
                    e,
                    Effect::Send {
                        message: WireMessage::Sync { .. },
                        ..
                    }
                )),
            "a deferred frame produced a persist or a sync reply before the flush"
        );
        self.run_relay(effects);
        let flushed = self.relay.engine.flush();
        // One persist per document per burst.
        let mut persisted = BTreeSet::new();
        for e in &flushed {
            if let Effect::Persist { doc, .. } = e {
                assert!(
                    persisted.insert(doc.clone()),
                    "{doc} persisted twice in one flush"
                );
            }
        }
        self.run_relay(flushed);
    }

    fn edit(&mut self, i: usize, doc: &str, key: u8, value: i64) {
        let d = self.clients[i].engine.document_mut(doc).expect("doc");
        d.put(ROOT, format!("k{}", key % 8), value).expect("put");
        d.commit();
        let effects = self.clients[i].engine.local_change(doc);
        self.run_client(i, effects);
    }

    fn settle(&mut self) {
        for i in self.down.clone() {
            self.down.remove(&i);
            self.connect(i);
        }
        let mut steps = 0;
        while !self.queue.is_empty() {
            self.deliver(0, false);
            steps += 1;
            assert!(steps < 100_000, "sync did not quiesce");
        }
    }
}

#[derive(Debug, Clone)]
enum Step {
    Edit(u8, u8, u8, i64),
    Deliver(u16),
    Duplicate(u16),
    /// The relay handles several waiting frames as one batch.
    Burst(u8),
    /// The connection of a client breaks; the frame in flight is lost.
    Drop(u8),
    Heal(u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (any::<u8>(), any::<u8>(), any::<u8>(), any::<i64>()).prop_map(|(c, d, k, v)| Step::Edit(c, d, k, v)),
        8 => any::<u16>().prop_map(Step::Deliver),
        1 => any::<u16>().prop_map(Step::Duplicate),
        2 => (1u8..16).prop_map(Step::Burst),
        1 => any::<u8>().prop_map(Step::Drop),
        1 => any::<u8>().prop_map(Step::Heal),
    ]
}

fn assert_converged(net: &mut Net) {
    for doc in DOCS {
        let mut relay = net.relay.engine.document(doc).cloned().unwrap_or_default();
        let want = relay.get_heads();
        let value = relay.hydrate(ROOT, None).expect("hydrate");
        for c in &net.clients {
            let mut d = c.engine.document(doc).expect("doc").clone();
            assert_eq!(d.get_heads(), want, "{doc} heads differ");
            assert_eq!(d.hydrate(ROOT, None).expect("hydrate"), value);
        }
        // Everything the relay holds is on its disk.
        let mut stored = AutoCommit::new();
        if let Some(bytes) = net.relay.disk.get(doc) {
            stored.load_incremental(bytes).expect("disk");
        }
        assert_eq!(stored.get_heads(), want);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn clients_converge_through_a_faulty_network(clients in 2usize..=4, steps in proptest::collection::vec(step(), 1..120)) {
        let mut net = Net::new(clients);
        for s in steps {
            match s {
                Step::Edit(c, d, k, v) => {
                    let i = c as usize % clients;
                    net.edit(i, DOCS[d as usize % 2], k, v);
                }
                Step::Deliver(n) | Step::Duplicate(n) if !net.queue.is_empty() => {
                    // Per-connection order is kept (a socket is FIFO): deliver the
                    // oldest frame of a randomly chosen link; links and documents
                    // interleave freely.
                    let pick = n as usize % net.queue.len();
                    let (from, to, _) = net.queue[pick].clone();
                    let first = net.queue.iter().position(|(f, t, _)| *f == from && *t == to).unwrap_or(pick);
                    net.deliver(first, matches!(s, Step::Duplicate(_)));
                }
                Step::Burst(n) => net.burst_to_relay(n as usize),
                Step::Drop(c) => {
                    let i = c as usize % clients;
                    if !net.down.contains(&i) {
                        net.disconnect(i);
                        net.down.insert(i);
                    }
                }
                Step::Heal(c) => {
                    let i = c as usize % clients;
                    if net.down.remove(&i) {
                        net.connect(i);
                    }
                }
                _ => {}
            }
        }
        net.settle();
        assert_converged(&mut net);
    }
}

#[test]
fn a_read_only_peer_receives_but_cannot_change() {
    let mut net = Net::new(2);
    net.read_only.insert(1);
    net.edit(0, "docA", 1, 10);
    net.settle();
    net.edit(1, "docA", 2, 99);
    net.settle();
    // The viewer learns from the sync protocol that its changes will not be applied.
    assert!(net.clients[1].engine.is_read_only(&relay_id(), "docA"));
    assert!(!net.clients[0].engine.is_read_only(&relay_id(), "docA"));
    let relay = net.relay.engine.document("docA").expect("doc");
    assert!(
        relay.get(ROOT, "k2").expect("get").is_none(),
        "the viewer's change reached the relay"
    );
    let writer = net.clients[0].engine.document("docA").expect("doc");
    assert!(writer.get(ROOT, "k1").expect("get").is_some());
    assert!(
        writer.get(ROOT, "k2").expect("get").is_none(),
        "a teammate saw the viewer's change"
    );
    let viewer = net.clients[1].engine.document("docA").expect("doc");
    assert!(
        viewer.get(ROOT, "k1").expect("get").is_some(),
        "the viewer receives changes"
    );
}

/// A peer that ignores the read-only flag (an older client) and pushes its
/// changes anyway is refused, counted and told why.
#[test]
fn changes_pushed_by_a_viewer_are_refused_and_counted() {
    let mut relay = SyncEngine::new(relay_id(), PeerMetadata::default());
    relay.add_document("doc", AutoCommit::new());
    let mut viewer_doc = AutoCommit::new();
    viewer_doc.put(ROOT, "evil", true).expect("put");
    viewer_doc.commit();
    let change = viewer_doc.get_last_local_change().expect("change");
    let message = sync::Message {
        heads: viewer_doc.get_heads(),
        need: vec![],
        have: vec![],
        changes: sync::ChunkList::from(vec![change.raw_bytes().to_vec()]),
        flags: None,
        version: sync::MessageVersion::V1,
    };
    let frame = WireMessage::Sync {
        sender_id: client_id(1),
        target_id: relay_id(),
        document_id: "doc".into(),
        data: message.encode(),
    };
    let effects = relay.receive(&client_id(1), frame, Access::ReadOnly);
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Refused { .. })),
        "{effects:?}"
    );
    assert!(effects.iter().any(|e| matches!(e, Effect::Send { message: WireMessage::Error { message }, .. } if message.starts_with("read-only"))));
    assert!(!effects.iter().any(|e| matches!(e, Effect::Persist { .. })));
    let doc = relay.document("doc").expect("doc");
    assert!(doc.get(ROOT, "evil").expect("get").is_none());
}

#[test]
fn the_handshake_negotiates_version_one() {
    let mut relay = SyncEngine::new(relay_id(), PeerMetadata::default());
    let client = SyncEngine::new(client_id(0), PeerMetadata::default());
    let effects = relay.accept_join(&client_id(0), &client.join());
    assert!(
        matches!(&effects[..], [Effect::Send { message: WireMessage::Peer { selected_protocol_version, .. }, .. }] if selected_protocol_version == "1")
    );
    let old = WireMessage::Join {
        sender_id: client_id(1),
        supported_protocol_versions: vec!["0".into()],
        metadata: None,
    };
    let effects = relay.accept_join(&client_id(1), &old);
    assert!(matches!(
        &effects[..],
        [
            Effect::Send {
                message: WireMessage::Error { .. },
                ..
            },
            Effect::Close { .. }
        ]
    ));
    let effects = relay.accept_join(
        &client_id(2),
        &WireMessage::Leave {
            sender_id: client_id(2),
        },
    );
    assert!(matches!(effects.last(), Some(Effect::Close { .. })));
}

#[test]
fn unknown_documents_and_garbage_sync_data_are_answered_not_crashed() {
    let mut relay = SyncEngine::new(relay_id(), PeerMetadata::default());
    let sync = |doc: &str, data: Vec<u8>| WireMessage::Sync {
        sender_id: client_id(0),
        target_id: relay_id(),
        document_id: doc.into(),
        data,
    };
    let effects = relay.receive(&client_id(0), sync("nope", vec![0x42]), Access::ReadWrite);
    assert!(matches!(
        &effects[..],
        [Effect::Send {
            message: WireMessage::DocUnavailable { .. },
            ..
        }]
    ));
    relay.add_document("doc", AutoCommit::new());
    let effects = relay.receive(
        &client_id(0),
        sync("doc", vec![0xff, 0x00, 0x13]),
        Access::ReadWrite,
    );
    assert!(
        matches!(effects.last(), Some(Effect::Close { .. })),
        "{effects:?}"
    );
}

#[test]
fn ephemeral_messages_reach_every_other_peer_of_the_document_only() {
    let mut net = Net::new(3);
    net.edit(0, "docA", 1, 10);
    net.settle();
    let presence = WireMessage::Ephemeral {
        sender_id: client_id(0),
        target_id: relay_id(),
        count: 1,
        session_id: "s".into(),
        document_id: "docA".into(),
        data: vec![0xa0],
    };
    let out = net.relay.engine.forward_ephemeral(&client_id(0), &presence);
    let mut to: Vec<PeerId> = out
        .iter()
        .map(|e| match e {
            Effect::Send {
                to,
                message:
                    WireMessage::Ephemeral {
                        target_id,
                        sender_id,
                        data,
                        ..
                    },
            } => {
                assert_eq!(target_id, to, "addressed to its recipient");
                assert_eq!(sender_id, &client_id(0), "the sender is kept");
                assert_eq!(data, &vec![0xa0]);
                to.clone()
            }
            other => panic!("unexpected effect {other:?}"),
        })
        .collect();
    to.sort();
    assert_eq!(to, [client_id(1), client_id(2)]);
    // Nothing for a document nobody syncs, or for any other message.
    let mut elsewhere = presence.clone();
    if let WireMessage::Ephemeral { document_id, .. } = &mut elsewhere {
        *document_id = "nobody".into();
    }
    assert!(
        net.relay
            .engine
            .forward_ephemeral(&client_id(0), &elsewhere)
            .is_empty()
    );
    let not_ephemeral = WireMessage::Error {
        message: "x".into(),
    };
    assert!(
        net.relay
            .engine
            .forward_ephemeral(&client_id(0), &not_ephemeral)
            .is_empty()
    );
    // Ephemeral data is never applied or stored.
    assert!(
        net.relay
            .engine
            .receive(&client_id(0), presence, Access::ReadWrite)
            .is_empty()
    );
}

#[test]
fn a_peer_that_leaves_a_document_hears_nothing_more_of_it() {
    let mut net = Net::new(2);
    net.edit(0, "docA", 1, 10);
    net.edit(1, "docB", 2, 20);
    net.settle();
    let relay = &mut net.relay.engine;
    let mut docs = relay.documents_of(&client_id(1));
    docs.sort();
    assert_eq!(docs, ["docA", "docB"]);
    assert!(relay.leave(&client_id(1), "docA"));
    assert!(!relay.leave(&client_id(1), "docA"), "already gone");
    assert_eq!(relay.documents_of(&client_id(1)), ["docB"]);
    // A change to docA goes to nobody but its writer's peers.
    let d = relay.document_mut("docA").expect("doc");
    d.put(ROOT, "relay", 1).expect("put");
    d.commit();
    let out = relay.local_change("docA");
    assert!(
        out.iter()
            .all(|e| !matches!(e, Effect::Send { to, .. } if *to == client_id(1))),
        "{out:?}"
    );
    assert!(
        out.iter()
            .any(|e| matches!(e, Effect::Send { to, .. } if *to == client_id(0))),
        "{out:?}"
    );
}

/// Changes another relay node stored reach this node's peers, without a
/// second persist; bytes already merged or unreadable yield nothing.
#[test]
fn changes_stored_elsewhere_are_offered_to_local_peers_and_not_persisted_again() {
    let mut net = Net::new(1);
    net.settle();
    let mut elsewhere = AutoCommit::new();
    elsewhere.put(ROOT, "from-node-2", 7).expect("put");
    let bytes = elsewhere.save();
    let effects = net.relay.engine.merge_stored("docA", &bytes);
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Persist { .. })),
        "{effects:?}"
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Send { to, .. } if *to == client_id(0))),
        "{effects:?}"
    );
    // Stored by the other node: on the shared disk already.
    net.relay
        .disk
        .entry("docA".into())
        .or_default()
        .extend_from_slice(&bytes);
    net.run_relay(effects);
    net.settle();
    let client = net.clients[0].engine.document("docA").expect("doc");
    assert!(client.get(ROOT, "from-node-2").expect("get").is_some());
    assert!(
        net.relay.engine.merge_stored("docA", &bytes).is_empty(),
        "again"
    );
    assert!(
        net.relay
            .engine
            .merge_stored("docA", b"not automerge")
            .is_empty()
    );
    assert!(net.relay.engine.merge_stored("nope", &bytes).is_empty());
}
