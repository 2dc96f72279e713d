//! RETS 1.7.2 / 1.8: the replies read tolerantly — login ([`login`]),
//! COMPACT search replies ([`compact`]), COMPACT metadata and lookup
//! decoding ([`metadata`]), `multipart/parallel` objects ([`multipart`]),
//! digest and UA authorization ([`auth`]) — and, with feature `client`,
//! the HTTP session ([`client`]) and replication into the cache
//! ([`replicate`]).

pub mod auth;
#[cfg(feature = "client")]
pub mod client;
pub mod compact;
pub mod login;
pub mod metadata;
pub mod multipart;
#[cfg(feature = "client")]
pub mod replicate;
mod text;

/// A RETS reply that says no, or is not a RETS reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("not a RETS response: {0}")]
    NotRets(String),
    #[error("the RETS server answered {code}: {text}")]
    Reply { code: u32, text: String },
    #[error("the RETS reply has data but no <COLUMNS> line")]
    NoColumns,
}
