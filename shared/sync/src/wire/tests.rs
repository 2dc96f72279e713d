use proptest::prelude::*;

use minicbor::{Decoder, Encoder};

use super::*;

fn p(s: &str) -> PeerId {
    PeerId(s.to_string())
}

fn samples() -> Vec<WireMessage> {
    let mut heads = BTreeMap::new();
    heads.insert(
        "storage-1".to_string(),
        HeadsInfo {
            heads: vec!["abc".into()],
            timestamp: 1_700_000_000_000,
        },
    );
    vec![
        WireMessage::Join {
            sender_id: p("alice"),
            supported_protocol_versions: vec!["1".into()],
            metadata: Some(PeerMetadata {
                storage_id: Some("s1".into()),
                is_ephemeral: false,
            }),
        },
        WireMessage::Join {
            sender_id: p("alice"),
            supported_protocol_versions: vec![],
            metadata: None,
        },
        WireMessage::Peer {
            sender_id: p("relay"),
            target_id: p("alice"),
            selected_protocol_version: "1".into(),
            metadata: Some(PeerMetadata {
                storage_id: None,
                is_ephemeral: true,
            }),
        },
        WireMessage::Leave {
            sender_id: p("alice"),
        },
        WireMessage::Request {
            sender_id: p("a"),
            target_id: p("b"),
            document_id: "doc".into(),
            data: vec![1, 2, 3],
        },
        WireMessage::Sync {
            sender_id: p("a"),
            target_id: p("b"),
            document_id: "doc".into(),
            data: vec![],
        },
        WireMessage::DocUnavailable {
            sender_id: p("a"),
            target_id: p("b"),
            document_id: "doc".into(),
        },
        WireMessage::Ephemeral {
            sender_id: p("a"),
            target_id: p("b"),
            count: 7,
            session_id: "sess".into(),
            document_id: "doc".into(),
            data: vec![9],
        },
        WireMessage::Error {
            message: "unsupported protocol version".into(),
        },
        WireMessage::RemoteSubscriptionChange {
            sender_id: p("a"),
            target_id: p("b"),
            add: vec!["s1".into()],
            remove: vec![],
        },
        WireMessage::RemoteHeadsChanged {
            sender_id: p("a"),
            target_id: p("b"),
            document_id: "doc".into(),
            new_heads: heads,
        },
    ]
}

#[test]
fn every_message_round_trips() {
    for m in samples() {
        assert_eq!(WireMessage::decode(&m.encode()), Ok(m.clone()), "{m:?}");
    }
}

#[test]
fn field_names_are_the_ones_automerge_repo_uses() {
    let frame = WireMessage::Sync {
        sender_id: p("a"),
        target_id: p("b"),
        document_id: "d".into(),
        data: vec![1],
    }
    .encode();
    let mut d = Decoder::new(&frame);
    let n = d.map().ok().flatten().unwrap_or(0);
    let mut keys = vec![];
    for _ in 0..n {
        keys.push(d.str().map(str::to_string).unwrap_or_default());
        let _ = d.skip();
    }
    keys.sort();
    assert_eq!(keys, ["data", "documentId", "senderId", "targetId", "type"]);
}

/// A frame written the way a JavaScript encoder may write it: fields in
/// another order, an unknown field, the count as a float, and `remove:
/// undefined`.
#[test]
fn frames_from_javascript_encoders_decode() {
    let mut e = Encoder::new(Vec::new());
    let _ = e.map(8);
    let _ = e.str("data").and_then(|e| e.bytes(&[5]));
    let _ = e
        .str("extra")
        .and_then(|e| e.array(2))
        .and_then(|e| e.u8(1))
        .and_then(|e| e.u8(2));
    let _ = e.str("count").and_then(|e| e.f64(3.0));
    let _ = e.str("sessionId").and_then(|e| e.str("s"));
    let _ = e.str("documentId").and_then(|e| e.str("doc"));
    let _ = e.str("targetId").and_then(|e| e.str("b"));
    let _ = e.str("senderId").and_then(|e| e.str("a"));
    let _ = e.str("type").and_then(|e| e.str("ephemeral"));
    let frame = e.into_writer();
    let m = WireMessage::decode(&frame);
    assert!(
        matches!(m, Ok(WireMessage::Ephemeral { count: 3, .. })),
        "{m:?}"
    );

    let mut e = Encoder::new(Vec::new());
    let _ = e.begin_map();
    let _ = e
        .str("type")
        .and_then(|e| e.str("remote-subscription-change"));
    let _ = e.str("senderId").and_then(|e| e.str("a"));
    let _ = e.str("targetId").and_then(|e| e.str("b"));
    let _ = e
        .str("add")
        .and_then(|e| e.array(1))
        .and_then(|e| e.str("s1"));
    let _ = e.str("remove").and_then(|e| e.undefined());
    let _ = e.end();
    let m = WireMessage::decode(&e.into_writer());
    assert!(
        matches!(m, Ok(WireMessage::RemoteSubscriptionChange { ref add, .. }) if add == &["s1"]),
        "{m:?}"
    );
}

#[test]
fn malformed_frames_are_errors() {
    let sync = WireMessage::Sync {
        sender_id: p("a"),
        target_id: p("b"),
        document_id: "d".into(),
        data: vec![1; 64],
    }
    .encode();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("garbage", b"hello world".to_vec()),
        ("an array", vec![0x82, 0x01, 0x02]),
        ("truncated", sync[..sync.len() - 10].to_vec()),
        ("trailing bytes", [sync.clone(), vec![0]].concat()),
        // map of 2^60 entries with nothing after it
        ("huge map", vec![0xbb, 0x10, 0, 0, 0, 0, 0, 0, 0]),
        // {"data": bytes of length 2^62}
        (
            "huge bytes",
            [
                vec![0xa1, 0x64],
                b"data".to_vec(),
                vec![0x5b, 0x40, 0, 0, 0, 0, 0, 0, 0],
            ]
            .concat(),
        ),
        // {"type": 5}
        (
            "wrong type",
            [vec![0xa1, 0x64], b"type".to_vec(), vec![0x05]].concat(),
        ),
        // {"type": "bogus"}
        (
            "unknown type",
            [
                vec![0xa1, 0x64],
                b"type".to_vec(),
                vec![0x65],
                b"bogus".to_vec(),
            ]
            .concat(),
        ),
        // {"type": "sync"} without fields
        (
            "missing fields",
            [
                vec![0xa1, 0x64],
                b"type".to_vec(),
                vec![0x64],
                b"sync".to_vec(),
            ]
            .concat(),
        ),
        // deeply nested arrays under an unknown key
        (
            "deep nesting",
            [vec![0xa1, 0x61, b'x'], vec![0x81; 5000], vec![0x00]].concat(),
        ),
    ];
    for (name, frame) in cases {
        assert!(WireMessage::decode(&frame).is_err(), "{name} decoded");
    }
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(m) = WireMessage::decode(&bytes) {
            prop_assert_eq!(WireMessage::decode(&m.encode()), Ok(m));
        }
    }

    #[test]
    fn mutated_frames_never_panic(which in 0usize..11, flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let mut frame = samples()[which].encode();
        for (at, byte) in flips {
            let i = at % frame.len();
            frame[i] = byte;
        }
        if let Ok(m) = WireMessage::decode(&frame) {
            prop_assert_eq!(WireMessage::decode(&m.encode()), Ok(m));
        }
    }
}

#[test]
fn a_frame_of_nested_tags_is_read_without_growing_the_stack() {
    // {"type": "sync", …, "data": tag(64, tag(64, … bytes))} with a million
    // tags: once a stack overflow (each tag recursed); now a loop.
    let good = WireMessage::Sync {
        sender_id: p("a"),
        target_id: p("b"),
        document_id: "d".into(),
        data: vec![7; 3],
    }
    .encode();
    // The encoded bytes value [0x43, 7, 7, 7] is at the end of the frame.
    let at = good.len() - 4;
    assert_eq!(&good[at..], &[0x43, 7, 7, 7]);
    let tags: Vec<u8> = std::iter::repeat_n([0xd8, 0x40], 1_000_000)
        .flatten()
        .collect();
    let frame = [&good[..at], &tags, &good[at..]].concat();
    let read = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || WireMessage::decode(&frame))
        .expect("thread")
        .join()
        .expect("no stack overflow");
    assert!(
        matches!(read, Ok(WireMessage::Sync { ref data, .. }) if data == &[7, 7, 7]),
        "{read:?}"
    );
}
