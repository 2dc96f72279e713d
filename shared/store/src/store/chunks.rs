//! Automerge chunks: `(doc_id, snapshot|incremental, hash)` → bytes.
//!
//! Every committed change is appended as an incremental chunk keyed by the
//! SHA-256 of its bytes. Compaction rule: once a document has
//! [`COMPACT_AFTER`] incremental chunks, the whole document is saved as one
//! snapshot keyed by the hash of its heads, and the chunks it covers are
//! deleted — in the same transaction, so a crash leaves either the old chunks
//! or the new snapshot, never neither. The caller must hold every chunk of the
//! document in memory when it compacts (see `Profile::refresh`), which the
//! IMMEDIATE write transaction guarantees no other process can change.

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::error::Result;
use crate::ids::DocumentId;

/// Incremental chunks kept before a document is compacted into a snapshot.
pub const COMPACT_AFTER: i64 = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkKind {
    Snapshot,
    Incremental,
}

impl ChunkKind {
    fn as_str(self) -> &'static str {
        match self {
            ChunkKind::Snapshot => "snapshot",
            ChunkKind::Incremental => "incremental",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Chunk {
    pub kind: ChunkKind,
    pub hash: String,
    pub data: Vec<u8>,
}

pub(crate) use porchlight_model::ids::sha256_hex;

/// Every chunk of a document, snapshots first, then incrementals in write order.
pub fn load(conn: &Connection, doc: DocumentId) -> Result<Vec<Chunk>> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, hash, data FROM chunks WHERE doc_id = ?1
         ORDER BY kind = 'incremental', seq",
    )?;
    let rows = stmt.query_map([doc.to_string()], |r| {
        let kind: String = r.get(0)?;
        Ok(Chunk {
            kind: if kind == "snapshot" {
                ChunkKind::Snapshot
            } else {
                ChunkKind::Incremental
            },
            hash: r.get(1)?,
            data: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Chunks of `doc` whose hashes are not in `known`.
pub fn load_unknown(
    conn: &Connection,
    doc: DocumentId,
    known: &HashSet<String>,
) -> Result<Vec<Chunk>> {
    Ok(load(conn, doc)?
        .into_iter()
        .filter(|c| !known.contains(&c.hash))
        .collect())
}

/// The document's write counter (0 when it has never been written).
pub fn version(conn: &Connection, doc: DocumentId) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT version FROM documents WHERE doc_id = ?1")?
        .query_row([doc.to_string()], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// How many bytes the chunks of `doc` hold (what a load reads).
pub fn stored_bytes(conn: &Connection, doc: DocumentId) -> Result<u64> {
    let n: i64 = conn
        .prepare_cached("SELECT COALESCE(SUM(length(data)), 0) FROM chunks WHERE doc_id = ?1")?
        .query_row([doc.to_string()], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Registers a document of `kind` (no-op if known).
pub fn register(tx: &Transaction<'_>, doc: DocumentId, kind: &str) -> Result<()> {
    tx.prepare_cached("INSERT OR IGNORE INTO documents (doc_id, kind) VALUES (?1, ?2)")?
        .execute(params![doc.to_string(), kind])?;
    Ok(())
}

/// Documents of `kind`.
pub fn documents(conn: &Connection, kind: &str) -> Result<Vec<DocumentId>> {
    let mut stmt = conn.prepare("SELECT doc_id FROM documents WHERE kind = ?1 ORDER BY doc_id")?;
    let ids: Vec<String> = stmt
        .query_map([kind], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids
        .iter()
        .filter_map(|id| DocumentId::parse(id).ok())
        .collect())
}

fn bump(tx: &Transaction<'_>, doc: DocumentId) -> Result<i64> {
    Ok(tx
        .prepare_cached(
            "UPDATE documents SET version = version + 1 WHERE doc_id = ?1 RETURNING version",
        )?
        .query_row([doc.to_string()], |r| r.get(0))?)
}

fn next_seq(tx: &Transaction<'_>, doc: DocumentId) -> Result<i64> {
    Ok(tx
        .prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM chunks WHERE doc_id = ?1")?
        .query_row([doc.to_string()], |r| r.get(0))?)
}

/// Appends an incremental chunk; returns its hash and the new version.
pub fn append(tx: &Transaction<'_>, doc: DocumentId, data: &[u8]) -> Result<(String, i64)> {
    let (hash, tail) = append_after(tx, doc, data, None)?;
    Ok((hash, tail.version))
}

/// What a writer knows of a document's chunks after its own last append:
/// the next sequence number and how many incremental chunks there are.
/// True while the document's version is still `version` (any other
/// writer bumps it), so the next append of the same writer need not look
/// them up again: the look-up of the next sequence number reads every
/// chunk row of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tail {
    pub version: i64,
    pub next_seq: i64,
    pub incremental: i64,
}

/// [`append`], given what the caller knew (`known`, used only if its
/// version is the document's current one); returns the hash and the tail
/// after this append.
pub fn append_after(
    tx: &Transaction<'_>,
    doc: DocumentId,
    data: &[u8],
    known: Option<Tail>,
) -> Result<(String, Tail)> {
    let hash = sha256_hex(data);
    let (seq, incremental) = match known {
        Some(t) if t.version == version(tx, doc)? => (t.next_seq, t.incremental),
        _ => (next_seq(tx, doc)?, incremental_count(tx, doc)?),
    };
    let inserted = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO chunks (doc_id, kind, hash, data, seq) VALUES (?1, 'incremental', ?2, ?3, ?4)",
        )?
        .execute(params![doc.to_string(), hash, data, seq])?;
    let added = i64::from(inserted > 0);
    Ok((
        hash,
        Tail {
            version: bump(tx, doc)?,
            next_seq: seq + added,
            incremental: incremental + added,
        },
    ))
}

pub fn incremental_count(tx: &Transaction<'_>, doc: DocumentId) -> Result<i64> {
    Ok(tx
        .prepare_cached("SELECT COUNT(*) FROM chunks WHERE doc_id = ?1 AND kind = 'incremental'")?
        .query_row([doc.to_string()], |r| r.get(0))?)
}

/// Replaces every chunk of `doc` by one snapshot; returns its hash and the new version.
pub fn compact(
    tx: &Transaction<'_>,
    doc: DocumentId,
    heads_key: &str,
    data: &[u8],
) -> Result<(String, i64)> {
    let seq = next_seq(tx, doc)?;
    tx.prepare_cached("DELETE FROM chunks WHERE doc_id = ?1")?
        .execute([doc.to_string()])?;
    tx.prepare_cached(
        "INSERT INTO chunks (doc_id, kind, hash, data, seq) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        doc.to_string(),
        ChunkKind::Snapshot.as_str(),
        heads_key,
        data,
        seq
    ])?;
    Ok((heads_key.to_string(), bump(tx, doc)?))
}
