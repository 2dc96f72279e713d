//! porchlight-sync: the automerge-repo WebSocket protocol (version "1") and a sans-IO
//! engine that drives it.
//!
//! [`wire`] encodes and decodes the protocol's frames — one CBOR map per
//! binary WebSocket message, with the field names `@automerge/automerge-repo`
//! uses. [`engine`] keeps an `automerge::sync::State` per (document, peer) and
//! turns incoming messages and local changes into messages to send and
//! documents to persist. Sockets, timers and storage are the caller's
//! business, so the client and the relay share this code and tests run it
//! over a simulated network.

pub mod engine;
pub mod presence;

pub mod wire;

pub use engine::{Access, Effect, SyncEngine};

pub use wire::{DecodeError, PROTOCOL_VERSION, PeerId, PeerMetadata, WireMessage};
