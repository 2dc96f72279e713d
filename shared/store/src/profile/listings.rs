//! The listing cache: importing into listing-shard documents (one
//! transaction for the whole import, so it lands whole or not at all), the
//! team's notes and tags, and queries answered from the materialized
//! `listings` table and its FTS index. Shard documents are not kept in
//! memory after a write: a cache of 100,000 listings costs disk, not RAM.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use automerge::AutoCommit;
use rusqlite::ToSql;

use super::{Loaded, Profile};
use crate::doc::listing_shard::{CachedListing, ListingNote, SHARDS, shard_id, shard_of};
use crate::doc::{ChangeNote, DocKind, ListingShardDoc};
use crate::error::{CoreError, Result};
use crate::ids::DocumentId;
use crate::listings::comps::{Comps, MarketStats, comparables, market_stats};
use crate::listings::{Listing, StandardStatus};
use crate::store::{chunks, decode_row, materialize, meta_get, meta_set};

pub use porchlight_mls::ListingImport;

/// What a change to a shard touched, so only that is re-materialized.
enum ShardChange {
    Nothing,
    /// One listing (a note, a tag).
    One(String),
    /// These listings (an import that touched part of the shard).
    Some(Vec<String>),
    Everything,
}

fn scope_key(source: &str) -> String {
    format!("listing-scope:{source}")
}

/// SQLite page cache sizes (negative: KiB) for imports, and otherwise
/// (SQLite's default).
const IMPORT_CACHE_KIB: i64 = -65_536;
const DEFAULT_CACHE_KIB: i64 = -2_000;

/// Documents kept loaded between writes, at most.
const MAX_CACHED_DOCS: usize = 160;

/// Where a listing's showing can stand.
pub const SHOWING_STATUSES: [&str; 5] = ["requested", "scheduled", "shown", "offer", "cancelled"];

/// The listing cache, for reading: `profile.listings()`.
#[derive(Debug, Clone, Copy)]
pub struct Listings<'p> {
    p: &'p Profile,
}

/// The listing cache, for writing: `profile.listings_mut()`. Every write is
/// one transaction.
#[derive(Debug)]
pub struct ListingsMut<'p> {
    p: &'p mut Profile,
}

impl Profile {
    /// Reads the listing cache: search, one listing, comparables, stats, and
    /// each source's mark, checkpoint and vendor-limit usage.
    pub fn listings(&self) -> Listings<'_> {
        Listings { p: self }
    }

    /// Writes the listing cache: imports, the team's notes, tags,
    /// favourites and showings, sharing, and each source's bookkeeping.
    pub fn listings_mut(&mut self) -> ListingsMut<'_> {
        ListingsMut { p: self }
    }
}

impl Profile {
    /// The workspace whose shards hold `source`'s listings: the one the
    /// first shard this profile got (imported, or synced from a teammate)
    /// names, else this profile's own. Everyone on a team so writes into
    /// the same shard documents.
    fn listing_scope(&self, source: &str) -> Result<DocumentId> {
        Ok(meta_get(self.store().conn(), &scope_key(source))?
            .and_then(|s| DocumentId::parse(&s).ok())
            .unwrap_or(self.workspace))
    }

    /// Records the scope of a shard that arrived by sync, unless this
    /// profile already has one for its source.
    pub(crate) fn adopt_shard_scope(
        tx: &rusqlite::Transaction<'_>,
        shard: &ListingShardDoc,
    ) -> Result<()> {
        if let Some(scope) = shard.scope() {
            let key = scope_key(&shard.source());
            if meta_get(tx, &key)?.is_none() {
                meta_set(tx, &key, &scope.to_string())?;
            }
        }
        Ok(())
    }

    /// Runs `op` on shard documents of `source` (created when missing), all
    /// in one transaction, re-materializing each one `op` changed. One
    /// function so the transaction, the document cache and the re-index
    /// cannot be separated.
    fn write_shards(
        &mut self,
        source: &str,
        shards: &BTreeSet<u32>,
        mut op: impl FnMut(u32, &mut ListingShardDoc) -> Result<ShardChange>,
        note: ChangeNote,
    ) -> Result<usize> {
        let scope = self.listing_scope(source)?;
        let now = self.now();
        let actor = self.actor.clone();
        // Shards loaded by an earlier write stay loaded (a pull imports page
        // after page into the same 64 shards); taken out here and put back
        // only when the transaction commits, so a failed write never leaves
        // a half-changed document cached.
        let mut cached: HashMap<DocumentId, Loaded> = shards
            .iter()
            .filter_map(|&n| {
                let id = shard_id(scope, source, n);
                self.docs.remove(&id).map(|l| (id, l))
            })
            .collect();
        let many = shards.len() > 1;
        let mut keep: Vec<(DocumentId, Loaded)> = Vec::new();
        // An import reads and rewrites many B-tree pages (rows, FTS, chunks):
        // SQLite's default 2 MB page cache makes it re-read them from the OS
        // page by page. A bigger cache for the import only, then back.
        if many {
            self.store
                .conn()
                .pragma_update(None, "cache_size", IMPORT_CACHE_KIB)?;
        }
        let result = self.store.write(|tx| {
            let mut written = 0;
            for &n in shards {
                let id = shard_id(scope, source, n);
                let exists = chunks::version(tx, id)? > 0;
                let mut loaded = if exists {
                    Self::refresh(tx, id, cached.remove(&id), &actor)?
                } else {
                    Loaded {
                        doc: AutoCommit::new().with_actor(actor.clone()),
                        known: HashSet::new(),
                        version: 0,
                        tail: None,
                    }
                };
                let heads = loaded.doc.get_heads();
                let doc = std::mem::take(&mut loaded.doc);
                let mut shard = if exists {
                    ListingShardDoc::from_doc(doc)?
                } else {
                    ListingShardDoc::create(doc, id, scope, source, n)?
                };
                match (op(n, &mut shard)?, exists) {
                    // Unchanged, or a new shard with nothing in it: not written.
                    (ShardChange::Nothing, _) => {
                        if exists && many {
                            loaded.doc = shard.into_doc();
                            keep.push((id, loaded));
                        }
                        continue;
                    }
                    (ShardChange::One(key), true) => {
                        shard.commit(&note, now);
                        materialize::put_listing(tx, id, &key, shard.listing(&key).as_ref())?;
                    }
                    (ShardChange::Some(keys), true) => {
                        shard.commit(&note, now);
                        let wanted: HashSet<&str> = keys.iter().map(String::as_str).collect();
                        let now_held = shard.listings_of(&wanted);
                        for key in &keys {
                            materialize::put_listing(tx, id, key, now_held.get(key))?;
                        }
                    }
                    _ => {
                        if !exists {
                            chunks::register(tx, id, DocKind::ListingShard.as_str())?;
                        }
                        shard.commit(&note, now);
                        materialize::put_listing_shard(tx, id, &shard.listings())?;
                    }
                }
                loaded.doc = shard.into_doc();
                Self::persist(tx, id, &mut loaded, &heads)?;
                if many {
                    keep.push((id, loaded));
                }
                written += 1;
            }
            meta_set(tx, &scope_key(source), &scope.to_string())?;
            Ok(written)
        });
        if many {
            self.store
                .conn()
                .pragma_update(None, "cache_size", DEFAULT_CACHE_KIB)?;
        }
        let written = result?;
        // Bounded: a few sources' shards at most, then start afresh.
        if self.docs.len() + keep.len() > MAX_CACHED_DOCS {
            self.docs.clear();
        }
        self.docs.extend(keep);
        Ok(written)
    }

    /// Merges a synced copy of a listing shard into the local one and
    /// re-materializes it; true when anything changed.
    pub(crate) fn absorb_shard(&mut self, id: DocumentId, synced: &mut AutoCommit) -> Result<bool> {
        self.merge_synced(id, synced, |tx, doc| {
            let shard = ListingShardDoc::from_doc(doc)?;
            Self::adopt_shard_scope(tx, &shard)?;
            materialize::put_listing_shard(tx, id, &shard.listings())?;
            Ok(shard.into_doc())
        })
    }

    /// Where a cached listing lives: (source, its key).
    fn locate_listing(&self, key: &str) -> Result<(String, String)> {
        let key = key.trim();
        self.store()
            .conn()
            .prepare_cached("SELECT source, listing_key FROM listings WHERE listing_key = ?1 ORDER BY source LIMIT 1")?
            .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => CoreError::UnknownListing(key.to_string()),
                e => e.into(),
            })
    }

    /// One change to the team's layer of one listing, in its shard.
    fn edit_team_layer(
        &mut self,
        key: &str,
        what: &'static str,
        edit: impl Fn(&mut ListingShardDoc, &str) -> Result<()>,
    ) -> Result<CachedListing> {
        let (source, key) = self.locate_listing(key)?;
        let user = self.user.clone();
        self.write_shards(
            &source,
            &BTreeSet::from([shard_of(&key)]),
            |_, shard| {
                edit(shard, &key)?;
                Ok(ShardChange::One(key.clone()))
            },
            ChangeNote::new(what, &user),
        )?;
        self.listings().get(&key)
    }
}

impl Listings<'_> {
    /// The newest `ModificationTimestamp` replicated from `source`.
    pub fn mark(&self, source: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
        Ok(
            meta_get(self.p.store().conn(), &format!("listing-mark:{source}"))?
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| t.with_timezone(&chrono::Utc)),
        )
    }

    /// Where an unfinished pull of `source` got to (the importer's own
    /// note, e.g. the RETS query and offset), if one did not finish.
    pub fn checkpoint(&self, source: &str) -> Result<Option<String>> {
        meta_get(
            self.p.store().conn(),
            &format!("listing-checkpoint:{source}"),
        )
    }

    /// What `source`'s connection has used of its vendor's limits (JSON,
    /// kept between pulls so a daily cap holds across runs).
    pub fn usage(&self, source: &str) -> Result<Option<String>> {
        meta_get(self.p.store().conn(), &format!("mls-usage:{source}"))
    }

    /// One cached listing, by its ListingKey.
    pub fn get(&self, key: &str) -> Result<CachedListing> {
        let (source, key) = self.p.locate_listing(key)?;
        let json: String = self
            .p
            .store()
            .conn()
            .prepare_cached("SELECT json FROM listings WHERE source = ?1 AND listing_key = ?2")?
            .query_row([&source, &key], |r| r.get(0))?;
        decode_row(&json, "listing")
    }
}

impl ListingsMut<'_> {
    /// Imports `listings` from `source` (a name for the MLS or file they
    /// came from) into the cache. With `reconcile`, listings of `source`
    /// that are not in `listings` leave the cache (a full pull: the MLS no
    /// longer returns them); their team notes stay.
    pub fn import(
        &mut self,
        source: &str,
        listings: &[Listing],
        reconcile: bool,
    ) -> Result<ListingImport> {
        let source = source.trim();
        if source.is_empty() {
            return Err(CoreError::Model(crate::ModelError::EmptyName {
                what: "listing source",
            }));
        }
        let mut by_shard: BTreeMap<u32, Vec<&Listing>> = BTreeMap::new();
        for l in listings {
            by_shard
                .entry(shard_of(&l.listing_key))
                .or_default()
                .push(l);
        }
        let shards: BTreeSet<u32> = if reconcile {
            (0..SHARDS).collect()
        } else {
            by_shard.keys().copied().collect()
        };
        let mut report = ListingImport::default();
        let keep: HashSet<&str> = listings.iter().map(|l| l.listing_key.as_str()).collect();
        let user = self.p.user.clone();
        report.shards = self.p.write_shards(
            source,
            &shards,
            |n, shard| {
                let before: HashSet<String> = shard.mls_keys().into_iter().collect();
                let mut changed = false;
                let mut touched: Vec<String> = Vec::new();
                for l in by_shard.get(&n).map(Vec::as_slice).unwrap_or_default() {
                    if shard.put_listing(l)? {
                        changed = true;
                        touched.push(l.listing_key.clone());
                        if before.contains(&l.listing_key) {
                            report.updated += 1;
                        } else {
                            report.added += 1;
                        }
                    } else {
                        report.unchanged += 1;
                    }
                }
                if reconcile {
                    for gone in before.iter().filter(|k| !keep.contains(k.as_str())) {
                        changed |= shard.remove_listing(gone)?;
                        touched.push(gone.clone());
                        report.removed += 1;
                    }
                }
                // Re-materialize only what changed, unless that is most of
                // the shard anyway (a first import): then all of it at once.
                Ok(if !changed {
                    ShardChange::Nothing
                } else if touched.len() * 2 < before.len() {
                    ShardChange::Some(touched)
                } else {
                    ShardChange::Everything
                })
            },
            ChangeNote::new("listings.import", &user),
        )?;
        Ok(report)
    }

    /// Shares every shard of `source` with a relay team (by the team's id
    /// there): the next sync sends them, and teammates without MLS access
    /// get the same cache.
    pub fn share(&mut self, source: &str, team: i64) -> Result<usize> {
        let scope = self.p.listing_scope(source.trim())?;
        let ids: Vec<DocumentId> = (0..SHARDS)
            .map(|n| shard_id(scope, source.trim(), n))
            .collect();
        self.p.store.write(|tx| {
            let mut shared = 0;
            for id in &ids {
                if chunks::version(tx, *id)? > 0 {
                    meta_set(tx, &format!("shared:{id}"), &team.to_string())?;
                    shared += 1;
                }
            }
            Ok(shared)
        })
    }

    /// Moves `source`'s mark forward to `at` (never back).
    pub fn set_mark(&mut self, source: &str, at: chrono::DateTime<chrono::Utc>) -> Result<()> {
        if self.p.listings().mark(source)?.is_some_and(|m| m >= at) {
            return Ok(());
        }
        let key = format!("listing-mark:{source}");
        let text = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        self.p.store.write(|tx| meta_set(tx, &key, &text))
    }

    /// Saves what [`Self::mls_usage`] reads.
    pub fn set_usage(&mut self, source: &str, usage: &str) -> Result<()> {
        let key = format!("mls-usage:{source}");
        self.p.store.write(|tx| meta_set(tx, &key, usage))
    }

    /// Records (or, with `None`, clears) `source`'s pull checkpoint.
    pub fn set_checkpoint(&mut self, source: &str, note: Option<&str>) -> Result<()> {
        let key = format!("listing-checkpoint:{source}");
        self.p.store.write(|tx| match note {
            Some(n) => meta_set(tx, &key, n),
            None => {
                tx.execute("DELETE FROM meta WHERE key = ?1", [&key])?;
                Ok(())
            }
        })
    }

    /// Drops the MLS records of `source` whose keys are not in `keep` (the
    /// source no longer returns them); the team's layer stays. Returns how
    /// many went.
    pub fn reconcile(&mut self, source: &str, keep: &HashSet<String>) -> Result<usize> {
        let mut removed = 0;
        let user = self.p.user.clone();
        self.p.write_shards(
            source,
            &(0..SHARDS).collect(),
            |_, shard| {
                let mut changed = false;
                for gone in shard.mls_keys().iter().filter(|k| !keep.contains(*k)) {
                    changed |= shard.remove_listing(gone)?;
                    removed += 1;
                }
                Ok(if changed {
                    ShardChange::Everything
                } else {
                    ShardChange::Nothing
                })
            },
            ChangeNote::new("listings.reconcile", &user),
        )?;
        Ok(removed)
    }

    /// Adds a team note to a listing (kept through re-imports).
    pub fn add_note(&mut self, key: &str, text: &str) -> Result<CachedListing> {
        let text = text.trim();
        if text.is_empty() {
            return Err(CoreError::Model(crate::ModelError::EmptyName {
                what: "note",
            }));
        }
        let (source, key) = self.p.locate_listing(key)?;
        let note = ListingNote {
            id: DocumentId::random().to_string(),
            author: self.p.user.clone(),
            at: self.p.now(),
            text: text.to_string(),
        };
        let user = self.p.user.clone();
        self.p.write_shards(
            &source,
            &BTreeSet::from([shard_of(&key)]),
            |_, shard| {
                shard.add_note(&key, &note)?;
                Ok(ShardChange::One(key.clone()))
            },
            ChangeNote::new("listing.note", &user),
        )?;
        self.p.listings().get(&key)
    }

    /// Tags a listing (or untags it).
    pub fn tag(&mut self, key: &str, tag: &str, on: bool) -> Result<CachedListing> {
        let tag = tag.trim().trim_start_matches('#').to_lowercase();
        if tag.is_empty() {
            return Err(CoreError::Model(crate::ModelError::EmptyName {
                what: "tag",
            }));
        }
        self.p.edit_team_layer(key, "listing.tag", |shard, key| {
            Ok(shard.set_tag(key, &tag, on)?)
        })
    }

    /// Marks a listing as a team favourite (or not).
    pub fn favourite(&mut self, key: &str, on: bool) -> Result<CachedListing> {
        self.p
            .edit_team_layer(key, "listing.favourite", |shard, key| {
                Ok(shard.set_favourite(key, on)?)
            })
    }

    /// Sets where a listing's showing stands (one of [`SHOWING_STATUSES`]),
    /// or clears it with `None`.
    pub fn set_showing(&mut self, key: &str, status: Option<&str>) -> Result<CachedListing> {
        let status = match status.map(|s| s.trim().to_lowercase()) {
            Some(s) if !SHOWING_STATUSES.contains(&s.as_str()) => {
                return Err(CoreError::Model(crate::ModelError::InvalidValue {
                    what: "showing status",
                    value: s,
                    hint: "use requested, scheduled, shown, offer or cancelled",
                }));
            }
            other => other,
        };
        self.p
            .edit_team_layer(key, "listing.showing", |shard, key| {
                Ok(shard.set_showing(key, status.as_deref())?)
            })
    }
}

mod query;
pub use query::{ListingQuery, ListingSort};

#[cfg(test)]
mod tests;
