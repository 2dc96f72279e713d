//! porchlight-doc: Porchlight's Automerge documents: their schema, how they are written, and
//! how they are read back into the model.
//!
//! Every document's root holds `schema` (an integer, [`SCHEMA_VERSION`]),
//! `type` (`"board"` or `"workspace"`) and `id` (its own document id, so a
//! board file carries its identity with it). Sets — labels, assignees, linked
//! listings — are maps from the value to `true`, so concurrent adds of
//! different values both survive. Values that must change together (a due
//! date's instant and zone, a recurrence rule) are written as a fresh map each
//! time, so a merge picks one whole value rather than mixing two halves.

mod board;
pub mod error;
pub mod listing_shard;
mod message;
mod read;
mod templates;
mod workspace;

pub use board::{BoardDoc, BoardEdit, RENAMED, TaskEdit};
pub use error::DocError;
pub use listing_shard::ListingShardDoc;
pub use message::ChangeNote;
pub use templates::{StoredTemplate, TemplatesDoc, template_key};
pub use workspace::WorkspaceDoc;

use automerge::{AutoCommit, ROOT, ReadDoc, ScalarValue, Value};

use crate::error::Result;
use porchlight_model::ids::DocumentId;

/// The schema version this build writes. Readers accept documents up to it.
pub const SCHEMA_VERSION: i64 = 1;

/// What a document is, from its root `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Board,
    Workspace,
    ListingShard,
    /// A workspace's or team's transaction templates.
    Templates,
}

impl DocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Board => "board",
            DocKind::Workspace => "workspace",
            DocKind::ListingShard => "listing-shard",
            DocKind::Templates => "templates",
        }
    }
}

/// Reads a document's kind and its own id from the root.
pub fn identify(doc: &AutoCommit) -> Result<(DocKind, DocumentId)> {
    let kind = match root_str(doc, "type").as_deref() {
        Some("board") => DocKind::Board,
        Some("workspace") => DocKind::Workspace,
        Some("listing-shard") => DocKind::ListingShard,
        Some("templates") => DocKind::Templates,
        Some(other) => {
            return Err(DocError::CorruptDocument {
                doc: "?".into(),
                reason: format!("unknown document type '{other}'"),
            });
        }
        None => {
            return Err(DocError::CorruptDocument {
                doc: "?".into(),
                reason: "not a Porchlight document (no type at the root)".into(),
            });
        }
    };
    let id = root_str(doc, "id")
        .ok_or_else(|| DocError::CorruptDocument {
            doc: "?".into(),
            reason: "the document does not record its id".into(),
        })
        .and_then(|id| Ok(DocumentId::parse(&id)?))?;
    if let Some(schema) = root_int(doc, "schema")
        && schema > SCHEMA_VERSION
    {
        return Err(DocError::CorruptDocument {
            doc: id.to_string(),
            reason: format!(
                "written with schema {schema}; this build reads up to {SCHEMA_VERSION} — upgrade Porchlight"
            ),
        });
    }
    Ok((kind, id))
}

/// Writes the root fields every named document starts with: `schema`,
/// `type`, `id` and `name`.
pub(crate) fn put_header(
    doc: &mut AutoCommit,
    kind: DocKind,
    id: DocumentId,
    name: &str,
) -> Result<()> {
    use automerge::transaction::Transactable;
    doc.put(ROOT, "schema", SCHEMA_VERSION)?;
    doc.put(ROOT, "type", kind.as_str())?;
    doc.put(ROOT, "id", id.to_string())?;
    doc.put(ROOT, "name", name)?;
    Ok(())
}

/// The id of a loaded document that must be of `kind` (`what` names that
/// kind in the error: "a board", "templates").
pub(crate) fn expect_kind(doc: &AutoCommit, kind: DocKind, what: &str) -> Result<DocumentId> {
    let (found, id) = identify(doc)?;
    if found != kind {
        return Err(DocError::CorruptDocument {
            doc: id.to_string(),
            reason: format!("expected {what}, found a {}", found.as_str()),
        });
    }
    Ok(id)
}

/// Commits pending edits as one change carrying `note`, timed `at`.
pub(crate) fn commit_note(
    doc: &mut AutoCommit,
    note: &ChangeNote,
    at: chrono::DateTime<chrono::Utc>,
) -> Option<automerge::ChangeHash> {
    doc.commit_with(
        automerge::transaction::CommitOptions::default()
            .with_message(note.encode())
            .with_time(at.timestamp()),
    )
}

pub(crate) fn root_str(doc: &AutoCommit, key: &str) -> Option<String> {
    string_at(doc, &automerge::ROOT, key)
}

/// A string field, written either as a scalar string (what this crate
/// writes) or as a Text object (what JavaScript Automerge writes for a plain
/// string), so documents made by other automerge-repo clients read too.
pub(crate) fn string_at(doc: &AutoCommit, obj: &automerge::ObjId, key: &str) -> Option<String> {
    match doc.get(obj, key).ok().flatten() {
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        Some((Value::Object(automerge::ObjType::Text), text)) => doc.text(&text).ok(),
        _ => None,
    }
}

pub(crate) fn root_int(doc: &AutoCommit, key: &str) -> Option<i64> {
    match doc.get(ROOT, key).ok().flatten() {
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Int(n) => Some(*n),
            ScalarValue::Uint(n) => i64::try_from(*n).ok(),
            ScalarValue::F64(f) if f.fract() == 0.0 => Some(*f as i64),
            _ => None,
        },
        _ => None,
    }
}
