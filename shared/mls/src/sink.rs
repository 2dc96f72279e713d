//! Where the importers write: a listing cache they know only through this
//! trait. The profile store implements it (listing shards in SQLite); the
//! importers know nothing of SQLite or Automerge.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use porchlight_model::Listing;
use serde::Serialize;

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ListingImport {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Listings the source no longer has, dropped by a reconcile (their
    /// team notes stay).
    pub removed: usize,
    pub shards: usize,
}

/// The listing cache a pull writes to, and the notes it keeps between
/// pulls: the high-water mark, a RETS page checkpoint and the vendor-limit
/// usage, each per source. Every write is durable when it returns.
pub trait ListingSink {
    /// Imports (adds or updates) `listings` of `source`.
    fn import(&mut self, source: &str, listings: &[Listing]) -> Result<ListingImport, SinkError>;
    /// Drops the listings of `source` whose keys are not in `keep`; how
    /// many went.
    fn reconcile(&mut self, source: &str, keep: &HashSet<String>) -> Result<usize, SinkError>;
    /// The newest `ModificationTimestamp` imported from `source`.
    fn mark(&self, source: &str) -> Result<Option<DateTime<Utc>>, SinkError>;
    /// Moves the mark forward to `at` (never back).
    fn set_mark(&mut self, source: &str, at: DateTime<Utc>) -> Result<(), SinkError>;
    /// An unfinished pull's checkpoint (JSON the importer wrote).
    fn checkpoint(&self, source: &str) -> Result<Option<String>, SinkError>;
    /// Records (or, with `None`, clears) the checkpoint.
    fn set_checkpoint(&mut self, source: &str, note: Option<&str>) -> Result<(), SinkError>;
    /// What the connection has used of its vendor's limits (JSON).
    fn usage(&self, source: &str) -> Result<Option<String>, SinkError>;
    /// Saves what [`Self::usage`] reads.
    fn set_usage(&mut self, source: &str, usage: &str) -> Result<(), SinkError>;
}

/// The cache could not do what was asked, in words.
#[derive(Debug, thiserror::Error)]
#[error("{source}")]
pub struct SinkError {
    source: Box<dyn std::error::Error + Send + Sync>,
    /// The person can fix it (a bad value), as opposed to a failing disk.
    user: bool,
}

impl SinkError {
    /// A cache error; `user` when the person can fix it.
    pub fn new(source: impl Into<Box<dyn std::error::Error + Send + Sync>>, user: bool) -> Self {
        SinkError {
            source: source.into(),
            user,
        }
    }

    pub fn is_user_error(&self) -> bool {
        self.user
    }

    /// The cache's own error, to look at more closely.
    pub fn inner(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self.source.as_ref()
    }
}
