//! Identifiers.
//!
//! Documents are named the automerge-repo way — bs58check of 16 random bytes,
//! printable as an `automerge:` URL — so any automerge-repo peer can name them.
//! Tasks, columns, checklist items and comments live *inside* documents and get
//! short random hex ids: unique enough within a board, and short enough to type.

use std::fmt;
use std::str::FromStr;

use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::error::ModelError;

/// The id of an Automerge document, as automerge-repo writes it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct DocumentId([u8; 16]);

impl DocumentId {
    /// A fresh random id.
    pub fn random() -> Self {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// `automerge:<bs58check>`, the form automerge-repo uses in URLs.
    pub fn url(&self) -> String {
        format!("automerge:{self}")
    }

    /// Parses either the bare bs58check id or its `automerge:` URL.
    pub fn parse(text: &str) -> Result<Self, ModelError> {
        let bare = text
            .trim()
            .strip_prefix("automerge:")
            .unwrap_or(text.trim());
        let bad = || ModelError::InvalidDocumentId(text.to_string());
        let bytes = bs58::decode(bare)
            .with_check(None)
            .into_vec()
            .map_err(|_| bad())?;
        let array: [u8; 16] = bytes.try_into().map_err(|_| bad())?;
        Ok(Self(array))
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).with_check().into_string())
    }
}

impl fmt::Debug for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocumentId({self})")
    }
}

impl FromStr for DocumentId {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for DocumentId {
    type Error = ModelError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<DocumentId> for String {
    fn from(id: DocumentId) -> Self {
        id.to_string()
    }
}

/// Random lowercase hex of `bytes` bytes (from the OS-seeded generator).
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// The SHA-256 of `data`, as lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

macro_rules! short_id {
    ($(#[$doc:meta])* $name:ident, $bytes:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
        pub struct $name(String);

        impl $name {
            pub fn random() -> Self {
                Self(random_hex($bytes))
            }

            /// Wraps an id read from a document or typed by a user.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

short_id!(
    /// A task, unique across every board (8 random bytes).
    TaskId,
    8
);
short_id!(
    /// A column of one board.
    ColumnId,
    4
);
short_id!(
    /// A checklist item of one task.
    ItemId,
    4
);
short_id!(
    /// A comment on one task.
    CommentId,
    6
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_id_round_trips_through_bare_and_url_forms() {
        let id = DocumentId::random();
        assert_eq!(DocumentId::parse(&id.to_string()).ok(), Some(id));
        assert_eq!(DocumentId::parse(&id.url()).ok(), Some(id));
    }

    #[test]
    fn document_id_matches_automerge_repo_encoding() {
        // bs58check of 16 zero bytes, as `bs58check.encode(new Uint8Array(16))` prints it.
        let id = DocumentId::from_bytes([0; 16]);
        let text = id.to_string();
        let decoded = bs58::decode(&text).with_check(None).into_vec();
        assert_eq!(decoded.ok(), Some(vec![0u8; 16]));
        assert!(text.starts_with("1111111111111111"), "{text}");
    }

    #[test]
    fn document_id_rejects_bad_checksum_and_wrong_length() {
        let mut text = DocumentId::random().to_string();
        let last = text.pop().unwrap_or('1');
        text.push(if last == '2' { '3' } else { '2' });
        assert!(DocumentId::parse(&text).is_err());
        let short = bs58::encode([1u8; 8]).with_check().into_string();
        assert!(DocumentId::parse(&short).is_err());
        assert!(DocumentId::parse("").is_err());
    }

    #[test]
    fn short_ids_are_hex_of_the_right_length() {
        assert_eq!(TaskId::random().as_str().len(), 16);
        assert_eq!(ColumnId::random().as_str().len(), 8);
        assert!(
            TaskId::random()
                .as_str()
                .chars()
                .all(|c| c.is_ascii_hexdigit())
        );
    }
}
