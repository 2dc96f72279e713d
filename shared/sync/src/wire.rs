//! The automerge-repo wire format, version "1".
//!
//! Every frame is a CBOR map with a `type`. Decoding never trusts the peer:
//! unknown fields are skipped, wrong types and truncated input are errors,
//! and nothing is allocated beyond what the frame itself holds (its size is
//! bounded by the transport's message limit before it reaches here).

use std::collections::BTreeMap;
use std::fmt;

/// The only protocol version this build speaks.
pub const PROTOCOL_VERSION: &str = "1";

/// A peer's id as it names itself on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(pub String);

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for PeerId {
    fn from(s: &str) -> Self {
        Self(s.to_string())
    }
}

/// Sent in `join` and `peer`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeerMetadata {
    pub storage_id: Option<String>,
    pub is_ephemeral: bool,
}

/// A document's heads as one storage peer last saw them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadsInfo {
    pub heads: Vec<String>,
    pub timestamp: u64,
}

/// One protocol frame. Document ids are kept as the peer's string (the
/// bs58check form); the engine parses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireMessage {
    Join {
        sender_id: PeerId,
        supported_protocol_versions: Vec<String>,
        metadata: Option<PeerMetadata>,
    },
    Peer {
        sender_id: PeerId,
        target_id: PeerId,
        selected_protocol_version: String,
        metadata: Option<PeerMetadata>,
    },
    Leave {
        sender_id: PeerId,
    },
    Request {
        sender_id: PeerId,
        target_id: PeerId,
        document_id: String,
        data: Vec<u8>,
    },
    Sync {
        sender_id: PeerId,
        target_id: PeerId,
        document_id: String,
        data: Vec<u8>,
    },
    DocUnavailable {
        sender_id: PeerId,
        target_id: PeerId,
        document_id: String,
    },
    Ephemeral {
        sender_id: PeerId,
        target_id: PeerId,
        count: u64,
        session_id: String,
        document_id: String,
        data: Vec<u8>,
    },
    Error {
        message: String,
    },
    RemoteSubscriptionChange {
        sender_id: PeerId,
        target_id: PeerId,
        add: Vec<String>,
        remove: Vec<String>,
    },
    RemoteHeadsChanged {
        sender_id: PeerId,
        target_id: PeerId,
        document_id: String,
        new_heads: BTreeMap<String, HeadsInfo>,
    },
}

/// Why a frame could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the frame is not valid CBOR: {0}")]
    Cbor(String),
    #[error("the frame is not a CBOR map")]
    NotAMap,
    #[error("the frame has no type")]
    MissingType,
    #[error("unknown message type '{0}'")]
    UnknownType(String),
    #[error("{ty} message without {field}")]
    MissingField { ty: String, field: &'static str },
    #[error("field {0} has the wrong type")]
    WrongType(String),
    #[error("the frame has {0} bytes after its end")]
    TrailingBytes(usize),
}

impl From<minicbor::decode::Error> for DecodeError {
    fn from(e: minicbor::decode::Error) -> Self {
        DecodeError::Cbor(e.to_string())
    }
}

mod decode;
mod encode;

impl WireMessage {
    /// The peer this frame is addressed to, if it names one. A relay that
    /// identifies connections by its own ids rewrites this to the id the
    /// peer announced in its `join`, which is what peers check
    /// (`samod` drops frames addressed to anyone else).
    pub fn target_mut(&mut self) -> Option<&mut PeerId> {
        match self {
            WireMessage::Peer { target_id, .. }
            | WireMessage::Request { target_id, .. }
            | WireMessage::Sync { target_id, .. }
            | WireMessage::DocUnavailable { target_id, .. }
            | WireMessage::Ephemeral { target_id, .. }
            | WireMessage::RemoteSubscriptionChange { target_id, .. }
            | WireMessage::RemoteHeadsChanged { target_id, .. } => Some(target_id),
            WireMessage::Join { .. } | WireMessage::Leave { .. } | WireMessage::Error { .. } => {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests;
