//! The automerge-repo wire format, version "1".
//!
//! Every frame is a CBOR map with a `type`. Decoding never trusts the peer:
//! unknown fields are skipped, wrong types and truncated input are errors,
//! and nothing is allocated beyond what the frame itself holds (its size is
//! bounded by the transport's message limit before it reaches here).

use std::collections::BTreeMap;
use std::fmt;

use minicbor::data::Type;
use minicbor::{Decoder, Encoder};

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

/// Values of the fields we understand, collected before the type is known
/// (the type need not come first in the map).
#[derive(Default)]
struct Fields {
    ty: Option<String>,
    sender_id: Option<String>,
    target_id: Option<String>,
    document_id: Option<String>,
    data: Option<Vec<u8>>,
    message: Option<String>,
    session_id: Option<String>,
    count: Option<u64>,
    supported: Option<Vec<String>>,
    selected: Option<String>,
    metadata: Option<PeerMetadata>,
    add: Option<Vec<String>>,
    remove: Option<Vec<String>>,
    new_heads: Option<BTreeMap<String, HeadsInfo>>,
}

fn string(d: &mut Decoder<'_>, field: &str) -> Result<String, DecodeError> {
    match d.datatype()? {
        Type::String => Ok(d.str()?.to_string()),
        _ => Err(DecodeError::WrongType(field.to_string())),
    }
}

fn bytes(d: &mut Decoder<'_>, field: &str) -> Result<Vec<u8>, DecodeError> {
    // Some encoders tag typed arrays (RFC 8746, tag 64 = uint8 array). Tags
    // are skipped in a loop: a frame of nested tags must not grow the stack.
    while d.datatype()? == Type::Tag {
        d.tag()?;
    }
    match d.datatype()? {
        Type::Bytes => Ok(d.bytes()?.to_vec()),
        _ => Err(DecodeError::WrongType(field.to_string())),
    }
}

/// JavaScript numbers may arrive as floats.
fn number(d: &mut Decoder<'_>, field: &str) -> Result<u64, DecodeError> {
    match d.datatype()? {
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => Ok(d.u64()?),
        Type::F16 | Type::F32 | Type::F64 => {
            let f = d.f64()?;
            if f.is_finite() && f >= 0.0 && f <= u64::MAX as f64 {
                Ok(f as u64)
            } else {
                Err(DecodeError::WrongType(field.to_string()))
            }
        }
        _ => Err(DecodeError::WrongType(field.to_string())),
    }
}

/// Iterates a map or array of definite or indefinite (`None`) length,
/// calling `item` per entry.
fn each(
    d: &mut Decoder<'_>,
    len: Option<u64>,
    mut item: impl FnMut(&mut Decoder<'_>) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    match len {
        Some(n) => {
            for _ in 0..n {
                item(d)?;
            }
        }
        None => loop {
            if d.datatype()? == Type::Break {
                d.skip()?;
                break;
            }
            item(d)?;
        },
    }
    Ok(())
}

fn strings(d: &mut Decoder<'_>, field: &str) -> Result<Option<Vec<String>>, DecodeError> {
    match d.datatype()? {
        Type::Array | Type::ArrayIndef => {
            let len = d.array()?;
            let mut out = Vec::new();
            each(d, len, |d| {
                out.push(string(d, field)?);
                Ok(())
            })?;
            Ok(Some(out))
        }
        // JS sends `undefined` or `null` for an absent list.
        Type::Null | Type::Undefined => {
            d.skip()?;
            Ok(None)
        }
        _ => Err(DecodeError::WrongType(field.to_string())),
    }
}

fn metadata(d: &mut Decoder<'_>) -> Result<Option<PeerMetadata>, DecodeError> {
    match d.datatype()? {
        Type::Map | Type::MapIndef => {}
        Type::Null | Type::Undefined => {
            d.skip()?;
            return Ok(None);
        }
        _ => return Err(DecodeError::WrongType("peerMetadata".into())),
    }
    let len = d.map()?;
    let mut meta = PeerMetadata::default();
    each(d, len, |d| {
        let key = string(d, "peerMetadata key")?;
        match key.as_str() {
            "storageId" => match d.datatype()? {
                Type::String => meta.storage_id = Some(d.str()?.to_string()),
                _ => d.skip()?,
            },
            "isEphemeral" => match d.datatype()? {
                Type::Bool => meta.is_ephemeral = d.bool()?,
                _ => d.skip()?,
            },
            _ => d.skip()?,
        }
        Ok(())
    })?;
    Ok(Some(meta))
}

fn new_heads(d: &mut Decoder<'_>) -> Result<BTreeMap<String, HeadsInfo>, DecodeError> {
    let len = match d.datatype()? {
        Type::Map | Type::MapIndef => d.map()?,
        _ => return Err(DecodeError::WrongType("newHeads".into())),
    };
    let mut out = BTreeMap::new();
    each(d, len, |d| {
        let storage = string(d, "newHeads key")?;
        let inner = match d.datatype()? {
            Type::Map | Type::MapIndef => d.map()?,
            _ => return Err(DecodeError::WrongType("newHeads entry".into())),
        };
        let mut info = HeadsInfo {
            heads: vec![],
            timestamp: 0,
        };
        each(d, inner, |d| {
            match string(d, "newHeads field")?.as_str() {
                "heads" => info.heads = strings(d, "heads")?.unwrap_or_default(),
                "timestamp" => info.timestamp = number(d, "timestamp")?,
                _ => d.skip()?,
            }
            Ok(())
        })?;
        out.insert(storage, info);
        Ok(())
    })?;
    Ok(out)
}

impl WireMessage {
    /// Decodes one frame.
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

    pub fn decode(frame: &[u8]) -> Result<Self, DecodeError> {
        let mut d = Decoder::new(frame);
        let len = match d.datatype()? {
            Type::Map | Type::MapIndef => d.map()?,
            _ => return Err(DecodeError::NotAMap),
        };
        let mut f = Fields::default();
        each(&mut d, len, |d| {
            let key = match d.datatype()? {
                Type::String => d.str()?.to_string(),
                _ => {
                    // A non-string key: skip the key and its value.
                    d.skip()?;
                    d.skip()?;
                    return Ok(());
                }
            };
            match key.as_str() {
                "type" => f.ty = Some(string(d, "type")?),
                "senderId" => f.sender_id = Some(string(d, "senderId")?),
                "targetId" => f.target_id = Some(string(d, "targetId")?),
                "documentId" => f.document_id = Some(string(d, "documentId")?),
                "data" => f.data = Some(bytes(d, "data")?),
                "message" => f.message = Some(string(d, "message")?),
                "sessionId" => f.session_id = Some(string(d, "sessionId")?),
                "count" => f.count = Some(number(d, "count")?),
                "supportedProtocolVersions" => {
                    f.supported = strings(d, "supportedProtocolVersions")?
                }
                "selectedProtocolVersion" => {
                    f.selected = Some(string(d, "selectedProtocolVersion")?)
                }
                "peerMetadata" | "metadata" => f.metadata = metadata(d)?,
                "add" => f.add = strings(d, "add")?,
                "remove" => f.remove = strings(d, "remove")?,
                "newHeads" => f.new_heads = Some(new_heads(d)?),
                _ => d.skip()?,
            }
            Ok(())
        })?;
        let rest = frame.len() - d.position().min(frame.len());
        if rest > 0 {
            return Err(DecodeError::TrailingBytes(rest));
        }
        let ty = f.ty.clone().ok_or(DecodeError::MissingType)?;
        let need = |v: Option<String>, field: &'static str| {
            v.ok_or_else(|| DecodeError::MissingField {
                ty: ty.clone(),
                field,
            })
        };
        let sender = || need(f.sender_id.clone(), "senderId").map(PeerId);
        let target = || need(f.target_id.clone(), "targetId").map(PeerId);
        let doc = || need(f.document_id.clone(), "documentId");
        let data = || {
            f.data.clone().ok_or_else(|| DecodeError::MissingField {
                ty: ty.clone(),
                field: "data",
            })
        };
        Ok(match ty.as_str() {
            "join" => WireMessage::Join {
                sender_id: sender()?,
                supported_protocol_versions: f.supported.clone().ok_or_else(|| {
                    DecodeError::MissingField {
                        ty: ty.clone(),
                        field: "supportedProtocolVersions",
                    }
                })?,
                metadata: f.metadata.clone(),
            },
            "peer" => WireMessage::Peer {
                sender_id: sender()?,
                target_id: target()?,
                selected_protocol_version: need(f.selected.clone(), "selectedProtocolVersion")?,
                metadata: f.metadata.clone(),
            },
            "leave" => WireMessage::Leave {
                sender_id: sender()?,
            },
            "request" => WireMessage::Request {
                sender_id: sender()?,
                target_id: target()?,
                document_id: doc()?,
                data: data()?,
            },
            "sync" => WireMessage::Sync {
                sender_id: sender()?,
                target_id: target()?,
                document_id: doc()?,
                data: data()?,
            },
            "doc-unavailable" => WireMessage::DocUnavailable {
                sender_id: sender()?,
                target_id: target()?,
                document_id: doc()?,
            },
            "ephemeral" => WireMessage::Ephemeral {
                sender_id: sender()?,
                target_id: target()?,
                count: f.count.ok_or_else(|| DecodeError::MissingField {
                    ty: ty.clone(),
                    field: "count",
                })?,
                session_id: need(f.session_id.clone(), "sessionId")?,
                document_id: doc()?,
                data: data()?,
            },
            "error" => WireMessage::Error {
                message: need(f.message.clone(), "message")?,
            },
            "remote-subscription-change" => WireMessage::RemoteSubscriptionChange {
                sender_id: sender()?,
                target_id: target()?,
                add: f.add.clone().unwrap_or_default(),
                remove: f.remove.clone().unwrap_or_default(),
            },
            "remote-heads-changed" => WireMessage::RemoteHeadsChanged {
                sender_id: sender()?,
                target_id: target()?,
                document_id: doc()?,
                new_heads: f
                    .new_heads
                    .clone()
                    .ok_or_else(|| DecodeError::MissingField {
                        ty: ty.clone(),
                        field: "newHeads",
                    })?,
            },
            other => return Err(DecodeError::UnknownType(other.to_string())),
        })
    }

    /// Encodes one frame.
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Encoder::new(Vec::new());
        // Writing to a Vec cannot fail.
        let _ = self.encode_into(&mut e);
        e.into_writer()
    }

    fn encode_into(
        &self,
        e: &mut Encoder<Vec<u8>>,
    ) -> Result<(), minicbor::encode::Error<std::convert::Infallible>> {
        fn meta(
            e: &mut Encoder<Vec<u8>>,
            m: &PeerMetadata,
        ) -> Result<(), minicbor::encode::Error<std::convert::Infallible>> {
            e.map(if m.storage_id.is_some() { 2 } else { 1 })?;
            if let Some(s) = &m.storage_id {
                e.str("storageId")?.str(s)?;
            }
            e.str("isEphemeral")?.bool(m.is_ephemeral)?;
            Ok(())
        }
        match self {
            WireMessage::Join {
                sender_id,
                supported_protocol_versions,
                metadata,
            } => {
                e.map(3 + u64::from(metadata.is_some()))?;
                e.str("type")?.str("join")?;
                e.str("senderId")?.str(&sender_id.0)?;
                e.str("supportedProtocolVersions")?
                    .array(supported_protocol_versions.len() as u64)?;
                for v in supported_protocol_versions {
                    e.str(v)?;
                }
                if let Some(m) = metadata {
                    e.str("peerMetadata")?;
                    meta(e, m)?;
                }
            }
            WireMessage::Peer {
                sender_id,
                target_id,
                selected_protocol_version,
                metadata,
            } => {
                e.map(4 + u64::from(metadata.is_some()))?;
                e.str("type")?.str("peer")?;
                e.str("senderId")?.str(&sender_id.0)?;
                e.str("targetId")?.str(&target_id.0)?;
                e.str("selectedProtocolVersion")?
                    .str(selected_protocol_version)?;
                if let Some(m) = metadata {
                    e.str("peerMetadata")?;
                    meta(e, m)?;
                }
            }
            WireMessage::Leave { sender_id } => {
                e.map(2)?
                    .str("type")?
                    .str("leave")?
                    .str("senderId")?
                    .str(&sender_id.0)?;
            }
            WireMessage::Request {
                sender_id,
                target_id,
                document_id,
                data,
            }
            | WireMessage::Sync {
                sender_id,
                target_id,
                document_id,
                data,
            } => {
                let ty = if matches!(self, WireMessage::Request { .. }) {
                    "request"
                } else {
                    "sync"
                };
                e.map(5)?.str("type")?.str(ty)?;
                e.str("senderId")?.str(&sender_id.0)?;
                e.str("targetId")?.str(&target_id.0)?;
                e.str("documentId")?.str(document_id)?;
                e.str("data")?.bytes(data)?;
            }
            WireMessage::DocUnavailable {
                sender_id,
                target_id,
                document_id,
            } => {
                e.map(4)?.str("type")?.str("doc-unavailable")?;
                e.str("senderId")?.str(&sender_id.0)?;
                e.str("targetId")?.str(&target_id.0)?;
                e.str("documentId")?.str(document_id)?;
            }
            WireMessage::Ephemeral {
                sender_id,
                target_id,
                count,
                session_id,
                document_id,
                data,
            } => {
                e.map(7)?.str("type")?.str("ephemeral")?;
                e.str("senderId")?.str(&sender_id.0)?;
                e.str("targetId")?.str(&target_id.0)?;
                e.str("count")?.u64(*count)?;
                e.str("sessionId")?.str(session_id)?;
                e.str("documentId")?.str(document_id)?;
                e.str("data")?.bytes(data)?;
            }
            WireMessage::Error { message } => {
                e.map(2)?
                    .str("type")?
                    .str("error")?
                    .str("message")?
                    .str(message)?;
            }
            WireMessage::RemoteSubscriptionChange {
                sender_id,
                target_id,
                add,
                remove,
            } => {
                e.map(5)?.str("type")?.str("remote-subscription-change")?;
                e.str("senderId")?.str(&sender_id.0)?;
                e.str("targetId")?.str(&target_id.0)?;
                e.str("add")?.array(add.len() as u64)?;
                for s in add {
                    e.str(s)?;
                }
                e.str("remove")?.array(remove.len() as u64)?;
                for s in remove {
                    e.str(s)?;
                }
            }
            WireMessage::RemoteHeadsChanged {
                sender_id,
                target_id,
                document_id,
                new_heads,
            } => {
                e.map(5)?.str("type")?.str("remote-heads-changed")?;
                e.str("senderId")?.str(&sender_id.0)?;
                e.str("targetId")?.str(&target_id.0)?;
                e.str("documentId")?.str(document_id)?;
                e.str("newHeads")?.map(new_heads.len() as u64)?;
                for (storage, info) in new_heads {
                    e.str(storage)?.map(2)?;
                    e.str("heads")?.array(info.heads.len() as u64)?;
                    for h in &info.heads {
                        e.str(h)?;
                    }
                    e.str("timestamp")?.u64(info.timestamp)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
