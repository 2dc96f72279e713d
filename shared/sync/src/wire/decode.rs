//! Reading frames: every field is checked, nothing the peer sends is trusted.

use std::collections::BTreeMap;

use minicbor::Decoder;
use minicbor::data::Type;

use super::*;

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
    /// Decodes one frame. One arm per message type checking its required
    /// fields: long, but flat.
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
}
