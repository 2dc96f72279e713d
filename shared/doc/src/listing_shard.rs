//! Listing-shard documents: the listings of one MLS source whose
//! ListingKey hashes to this shard, and the team's layer on each (notes,
//! tags, favourite, showing status). Shards keep each document small, so
//! sync and load stay fast at 100,000 listings.
//!
//! Every value sits directly in the root map under a flat key, so two
//! devices that import the same source before they ever sync create no
//! competing objects — their shard documents (same id: it is derived from
//! the workspace, the source and the shard number) merge key by key:
//!
//! - `mls␟{key}` → the MLS record as JSON, written whole (last writer wins;
//!   both writers read the same MLS) and only when it changed;
//! - `note␟{key}␟{note id}` → a note as JSON (concurrent notes all stay);
//! - `tag␟{key}␟{tag}` → true / false; `fav␟{key}` → bool;
//!   `showing␟{key}` → a status word.
//!
//! The team's keys are never touched by an import, so a re-import or a
//! reconcile that drops the MLS record leaves the team's notes in place.

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc, ScalarValue, Value};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{ChangeNote, SCHEMA_VERSION, root_str};
use crate::error::{DocError, Result};
use porchlight_model::Listing;
use porchlight_model::ids::DocumentId;

/// How many shards one source's listings are spread over.
pub const SHARDS: u32 = 64;
const SEP: char = '\u{1f}';

/// The shard a listing belongs to.
pub fn shard_of(listing_key: &str) -> u32 {
    let h = Sha256::digest(listing_key.as_bytes());
    u32::from_le_bytes([h[0], h[1], h[2], h[3]]) % SHARDS
}

/// The id of shard `shard` of `source` in workspace `scope`: the same on
/// every device, so independent imports land in one document.
pub fn shard_id(scope: DocumentId, source: &str, shard: u32) -> DocumentId {
    let mut h = Sha256::new();
    h.update(b"porchlight listing shard\0");
    h.update(scope.as_bytes());
    h.update(source.as_bytes());
    h.update([0]);
    h.update(shard.to_le_bytes());
    let digest = h.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    DocumentId::from_bytes(bytes)
}

/// A team note on a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ListingNote {
    pub id: String,
    pub author: String,
    pub at: DateTime<Utc>,
    pub text: String,
}

/// The team's layer on one listing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TeamLayer {
    /// Oldest first.
    pub notes: Vec<ListingNote>,
    pub tags: Vec<String>,
    pub favourite: bool,
    pub showing: Option<String>,
}

/// A listing as the cache holds it: the MLS record (gone when the MLS no
/// longer returns it) and the team's layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CachedListing {
    pub key: String,
    pub source: String,
    pub mls: Option<Listing>,
    pub team: TeamLayer,
}

/// A listing-shard document.
#[derive(Debug)]
pub struct ListingShardDoc {
    doc: AutoCommit,
}

fn key(parts: &[&str]) -> String {
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push(SEP);
        }
        out.push_str(p);
    }
    out
}

fn scalar_str(doc: &AutoCommit, k: &str) -> Option<String> {
    match doc.get(ROOT, k).ok().flatten()? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn scalar_bool(doc: &AutoCommit, k: &str) -> bool {
    matches!(
        doc.get(ROOT, k).ok().flatten(),
        Some((Value::Scalar(s), _)) if matches!(s.as_ref(), ScalarValue::Boolean(true))
    )
}

impl ListingShardDoc {
    /// A new shard document (or the same root on another device: every
    /// value written here is a scalar, so two creations merge cleanly).
    pub fn create(
        mut doc: AutoCommit,
        id: DocumentId,
        scope: DocumentId,
        source: &str,
        shard: u32,
    ) -> Result<Self> {
        doc.put(ROOT, "schema", SCHEMA_VERSION)?;
        doc.put(ROOT, "scope", scope.to_string())?;
        doc.put(ROOT, "type", "listing-shard")?;
        doc.put(ROOT, "id", id.to_string())?;
        doc.put(ROOT, "source", source)?;
        doc.put(ROOT, "shard", i64::from(shard))?;
        Ok(Self { doc })
    }

    pub fn from_doc(doc: AutoCommit) -> Result<Self> {
        if root_str(&doc, "type").as_deref() != Some("listing-shard") {
            return Err(DocError::CorruptDocument {
                doc: root_str(&doc, "id").unwrap_or_else(|| "?".into()),
                reason: "not a listing shard".into(),
            });
        }
        Ok(Self { doc })
    }

    /// The workspace whose listings this shard holds (part of its id).
    pub fn scope(&self) -> Option<DocumentId> {
        root_str(&self.doc, "scope").and_then(|s| DocumentId::parse(&s).ok())
    }

    pub fn source(&self) -> String {
        root_str(&self.doc, "source").unwrap_or_default()
    }

    /// Writes the MLS record of `l`; false when it was already the same.
    pub fn put_listing(&mut self, l: &Listing) -> Result<bool> {
        let k = key(&["mls", &l.listing_key]);
        let json = serde_json::to_string(l).map_err(|e| DocError::CorruptDocument {
            doc: l.listing_key.clone(),
            reason: e.to_string(),
        })?;
        if scalar_str(&self.doc, &k).as_deref() == Some(json.as_str()) {
            return Ok(false);
        }
        self.doc.put(ROOT, k, json)?;
        Ok(true)
    }

    /// Drops the MLS record of `listing_key` (the team's layer stays).
    pub fn remove_listing(&mut self, listing_key: &str) -> Result<bool> {
        let k = key(&["mls", listing_key]);
        if self.doc.get(ROOT, &k)?.is_none() {
            return Ok(false);
        }
        self.doc.delete(ROOT, k)?;
        Ok(true)
    }

    pub fn add_note(&mut self, listing_key: &str, note: &ListingNote) -> Result<()> {
        let json = serde_json::to_string(note).unwrap_or_default();
        self.doc
            .put(ROOT, key(&["note", listing_key, &note.id]), json)?;
        Ok(())
    }

    pub fn set_tag(&mut self, listing_key: &str, tag: &str, on: bool) -> Result<()> {
        self.doc.put(ROOT, key(&["tag", listing_key, tag]), on)?;
        Ok(())
    }

    pub fn set_favourite(&mut self, listing_key: &str, on: bool) -> Result<()> {
        self.doc.put(ROOT, key(&["fav", listing_key]), on)?;
        Ok(())
    }

    pub fn set_showing(&mut self, listing_key: &str, status: Option<&str>) -> Result<()> {
        let k = key(&["showing", listing_key]);
        match status {
            Some(s) => self.doc.put(ROOT, k, s)?,
            None => self.doc.delete(ROOT, k)?,
        }
        Ok(())
    }

    /// The keys of the MLS records in this shard.
    pub fn mls_keys(&self) -> Vec<String> {
        let prefix = key(&["mls", ""]);
        self.doc
            .keys(ROOT)
            .filter_map(|k| k.strip_prefix(&prefix).map(str::to_string))
            .collect()
    }

    /// Every listing with an MLS record or a team layer, by key.
    pub fn listings(&self) -> BTreeMap<String, CachedListing> {
        self.collect(None)
    }

    /// One listing (its MLS record and the team's layer), if the shard has
    /// anything of it.
    pub fn listing(&self, listing_key: &str) -> Option<CachedListing> {
        self.collect(Some(&|k: &str| k == listing_key))
            .remove(listing_key)
    }

    /// The listings among `keys` the shard has anything of, in one pass.
    pub fn listings_of(
        &self,
        keys: &std::collections::HashSet<&str>,
    ) -> BTreeMap<String, CachedListing> {
        self.collect(Some(&|k: &str| keys.contains(k)))
    }

    fn collect(&self, only: Option<&dyn Fn(&str) -> bool>) -> BTreeMap<String, CachedListing> {
        let source = self.source();
        let mut out: BTreeMap<String, CachedListing> = BTreeMap::new();
        let entry = |out: &mut BTreeMap<String, CachedListing>, k: &str| {
            out.entry(k.to_string())
                .or_insert_with(|| CachedListing {
                    key: k.to_string(),
                    source: source.clone(),
                    mls: None,
                    team: TeamLayer::default(),
                })
                .clone()
        };
        for k in self.doc.keys(ROOT) {
            let parts: Vec<&str> = k.split(SEP).collect();
            if let Some(wanted) = only
                && !parts.get(1).is_some_and(|lk| wanted(lk))
            {
                continue;
            }
            match parts.as_slice() {
                ["mls", lk] => {
                    let mls = scalar_str(&self.doc, &k).and_then(|j| serde_json::from_str(&j).ok());
                    let mut c = entry(&mut out, lk);
                    c.mls = mls;
                    out.insert(lk.to_string(), c);
                }
                ["note", lk, _] => {
                    if let Some(n) = scalar_str(&self.doc, &k)
                        .and_then(|j| serde_json::from_str::<ListingNote>(&j).ok())
                    {
                        let mut c = entry(&mut out, lk);
                        c.team.notes.push(n);
                        out.insert(lk.to_string(), c);
                    }
                }
                ["tag", lk, tag] if scalar_bool(&self.doc, &k) => {
                    let mut c = entry(&mut out, lk);
                    c.team.tags.push(tag.to_string());
                    out.insert(lk.to_string(), c);
                }
                ["fav", lk] if scalar_bool(&self.doc, &k) => {
                    let mut c = entry(&mut out, lk);
                    c.team.favourite = true;
                    out.insert(lk.to_string(), c);
                }
                ["showing", lk] => {
                    let mut c = entry(&mut out, lk);
                    c.team.showing = scalar_str(&self.doc, &k);
                    out.insert(lk.to_string(), c);
                }
                _ => {}
            }
        }
        for c in out.values_mut() {
            c.team
                .notes
                .sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
            c.team.tags.sort();
        }
        out
    }

    pub fn commit(&mut self, note: &ChangeNote, at: DateTime<Utc>) {
        crate::commit_note(&mut self.doc, note, at);
    }

    pub fn into_doc(self) -> AutoCommit {
        self.doc
    }

    pub fn doc(&self) -> &AutoCommit {
        &self.doc
    }

    pub fn doc_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }
}

/// The listing whose MLS record a root key of a shard holds (`mls␟{key}`);
/// `None` for the team's keys and the shard's own.
pub fn mls_record_key(root_key: &str) -> Option<&str> {
    root_key.strip_prefix("mls")?.strip_prefix(SEP)
}

#[cfg(test)]
mod tests;
