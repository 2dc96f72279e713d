//! Presence: who else is looking at a board, carried in automerge-repo
//! `ephemeral` messages and never stored.
//!
//! A client viewing a board sends a [`PresenceNote`] for that document when
//! it opens the board and every [`HEARTBEAT`] after; closing the board sends
//! one with `viewing: false`. The relay passes ephemeral messages on to the
//! other peers syncing the document. Each client keeps a [`PresenceBook`]:
//! a peer not heard from for [`EXPIRES`] has left (a dropped connection
//! sends no goodbye). Sans-IO: callers pass the time in.
//!
//! The note is a CBOR map `{"porchlight": "presence", "user", "viewing"}`
//! (automerge-repo's ephemeral data is CBOR); ephemeral data of any other
//! shape, from other automerge-repo apps, is not presence and is ignored.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use minicbor::data::Type;
use minicbor::{Decoder, Encoder};

use super::wire::PeerId;

/// How often a viewing client repeats its note.
pub const HEARTBEAT: Duration = Duration::from_secs(10);
/// How long a note counts without being repeated.
pub const EXPIRES: Duration = Duration::from_secs(30);
/// Longest user name carried (longer ones are cut).
const MAX_USER: usize = 64;

/// What a client says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceNote {
    pub user: String,
    /// False when the person closed the board.
    pub viewing: bool,
}

impl PresenceNote {
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Encoder::new(Vec::new());
        // Writing to a Vec cannot fail.
        let _ = e
            .map(3)
            .and_then(|e| e.str("porchlight")?.str("presence"))
            .and_then(|e| e.str("user")?.str(&self.user))
            .and_then(|e| e.str("viewing")?.bool(self.viewing));
        e.into_writer()
    }

    /// The note in `data`, or `None` when `data` is not a Porchlight
    /// presence note (malformed, or another app's ephemeral message).
    pub fn decode(data: &[u8]) -> Option<Self> {
        let mut d = Decoder::new(data);
        let len = match d.datatype().ok()? {
            Type::Map => d.map().ok()??,
            _ => return None,
        };
        let (mut kind, mut user, mut viewing) = (None, None, None);
        for _ in 0..len.min(16) {
            let key = match d.datatype().ok()? {
                Type::String => d.str().ok()?.to_string(),
                _ => {
                    d.skip().ok()?;
                    d.skip().ok()?;
                    continue;
                }
            };
            match (key.as_str(), d.datatype().ok()?) {
                ("porchlight", Type::String) => kind = Some(d.str().ok()?.to_string()),
                ("user", Type::String) => user = Some(d.str().ok()?.to_string()),
                ("viewing", Type::Bool) => viewing = Some(d.bool().ok()?),
                _ => d.skip().ok()?,
            }
        }
        let user: String = user?.trim().chars().take(MAX_USER).collect();
        (kind.as_deref() == Some("presence") && !user.is_empty()).then_some(PresenceNote {
            user,
            viewing: viewing?,
        })
    }
}

/// Who is viewing which document, as last heard.
#[derive(Debug, Default)]
pub struct PresenceBook {
    /// (document, peer) → (user, when last heard, in ms of the caller's clock).
    seen: BTreeMap<(String, PeerId), (String, u64)>,
}

impl PresenceBook {
    /// Records a note from `peer` about `doc`; true if the document's
    /// viewers changed.
    pub fn heard(&mut self, doc: &str, peer: &PeerId, note: PresenceNote, now_ms: u64) -> bool {
        let before = self.viewers(doc);
        let key = (doc.to_string(), peer.clone());
        if note.viewing {
            self.seen.insert(key, (note.user, now_ms));
        } else {
            self.seen.remove(&key);
        }
        self.viewers(doc) != before
    }

    /// Forgets notes older than [`EXPIRES`]; returns the documents whose
    /// viewers changed.
    pub fn expire(&mut self, now_ms: u64) -> Vec<String> {
        let ttl = EXPIRES.as_millis() as u64;
        let gone: Vec<(String, PeerId)> = self
            .seen
            .iter()
            .filter(|(_, (_, at))| now_ms.saturating_sub(*at) > ttl)
            .map(|(k, _)| k.clone())
            .collect();
        let mut docs = BTreeSet::new();
        for key in gone {
            let before = self.viewers(&key.0);
            self.seen.remove(&key);
            if self.viewers(&key.0) != before {
                docs.insert(key.0);
            }
        }
        docs.into_iter().collect()
    }

    /// The people viewing `doc`, sorted, each once.
    pub fn viewers(&self, doc: &str) -> Vec<String> {
        let users: BTreeSet<&String> = self
            .seen
            .iter()
            .filter(|((d, _), _)| d == doc)
            .map(|(_, (user, _))| user)
            .collect();
        users.into_iter().cloned().collect()
    }

    /// Forgets everyone (the connection to the relay dropped); returns the
    /// documents that had viewers.
    pub fn clear(&mut self) -> Vec<String> {
        let docs: BTreeSet<String> = self.seen.keys().map(|(d, _)| d.clone()).collect();
        self.seen.clear();
        docs.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(user: &str, viewing: bool) -> PresenceNote {
        PresenceNote {
            user: user.into(),
            viewing,
        }
    }

    #[test]
    fn notes_round_trip_and_foreign_data_is_not_presence() {
        let n = note("joe", true);
        assert_eq!(PresenceNote::decode(&n.encode()), Some(n));
        let gone = note("Maria Lopez", false);
        assert_eq!(PresenceNote::decode(&gone.encode()), Some(gone));
        // Another app's ephemeral message, garbage, truncation, wrong types.
        let mut e = Encoder::new(Vec::new());
        let _ = e.map(1).and_then(|e| e.str("cursor")?.u32(4));
        assert_eq!(PresenceNote::decode(&e.into_writer()), None);
        assert_eq!(PresenceNote::decode(b"\xff\x00garbage"), None);
        let full = note("joe", true).encode();
        for cut in 0..full.len() {
            assert_eq!(PresenceNote::decode(&full[..cut]), None, "cut at {cut}");
        }
        let mut e = Encoder::new(Vec::new());
        let _ = e
            .map(3)
            .and_then(|e| e.str("porchlight")?.str("presence"))
            .and_then(|e| e.str("user")?.u8(7))
            .and_then(|e| e.str("viewing")?.bool(true));
        assert_eq!(PresenceNote::decode(&e.into_writer()), None);
        // Blank names are no one; very long ones are cut.
        assert_eq!(PresenceNote::decode(&note("  ", true).encode()), None);
        let long = PresenceNote::decode(&note(&"x".repeat(500), true).encode());
        assert_eq!(long.map(|n| n.user.len()), Some(64));
    }

    #[test]
    fn the_book_tracks_arrivals_departures_and_silence() {
        let mut book = PresenceBook::default();
        let (a, b, c) = (PeerId("a".into()), PeerId("b".into()), PeerId("c".into()));
        assert!(book.heard("board1", &a, note("joe", true), 0));
        // Joe's second device changes nothing people see.
        assert!(!book.heard("board1", &b, note("joe", true), 0));
        assert!(book.heard("board1", &c, note("ana", true), 1_000));
        assert!(book.heard("board2", &c, note("ana", true), 1_000));
        assert_eq!(book.viewers("board1"), ["ana", "joe"]);
        // A repeat is not a change.
        assert!(!book.heard("board1", &a, note("joe", true), 5_000));
        // Joe closes the board on one device: still there on the other.
        assert!(!book.heard("board1", &a, note("joe", false), 6_000));
        assert_eq!(book.viewers("board1"), ["ana", "joe"]);
        // Silence: b (last heard at 0) expires after 30 s; ana is renewed.
        assert!(!book.heard("board1", &c, note("ana", true), 29_000));
        assert_eq!(book.expire(30_001), ["board1"]);
        assert_eq!(book.viewers("board1"), ["ana"]);
        assert_eq!(book.viewers("board2"), ["ana"]);
        // Ana's note on board2 (1 s) is older than 30 s at 40 s.
        assert_eq!(book.expire(40_000), ["board2"]);
        assert!(book.expire(40_000).is_empty());
        assert_eq!(book.clear(), ["board1"]);
        assert!(book.viewers("board1").is_empty());
    }
}
