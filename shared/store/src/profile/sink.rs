//! The profile as the MLS importers' listing cache.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use porchlight_mls::{ListingImport, ListingSink, SinkError};

use crate::Profile;
use crate::error::CoreError;
use crate::listings::Listing;

fn sink(e: CoreError) -> SinkError {
    let user = e.is_user_error();
    SinkError::new(e, user)
}

impl ListingSink for Profile {
    fn import(&mut self, source: &str, listings: &[Listing]) -> Result<ListingImport, SinkError> {
        self.import_listings(source, listings, false).map_err(sink)
    }

    fn reconcile(&mut self, source: &str, keep: &HashSet<String>) -> Result<usize, SinkError> {
        self.reconcile_listings(source, keep).map_err(sink)
    }

    fn mark(&self, source: &str) -> Result<Option<DateTime<Utc>>, SinkError> {
        self.listing_mark(source).map_err(sink)
    }

    fn set_mark(&mut self, source: &str, at: DateTime<Utc>) -> Result<(), SinkError> {
        self.set_listing_mark(source, at).map_err(sink)
    }

    fn checkpoint(&self, source: &str) -> Result<Option<String>, SinkError> {
        self.listing_checkpoint(source).map_err(sink)
    }

    fn set_checkpoint(&mut self, source: &str, note: Option<&str>) -> Result<(), SinkError> {
        self.set_listing_checkpoint(source, note).map_err(sink)
    }

    fn usage(&self, source: &str) -> Result<Option<String>, SinkError> {
        self.mls_usage(source).map_err(sink)
    }

    fn set_usage(&mut self, source: &str, usage: &str) -> Result<(), SinkError> {
        self.set_mls_usage(source, usage).map_err(sink)
    }
}

impl Profile {
    /// How the photos of the cached listing `key` can be fetched on this
    /// device (see [`porchlight_mls::photos::PhotoJob::prepare`]).
    pub fn photo_job(
        &self,
        secrets: &crate::secrets::Secrets,
        key: &str,
    ) -> crate::error::Result<porchlight_mls::photos::PhotoJob> {
        let cached = self.listing(key)?;
        let connection = self.mls_source(&cached.source).ok();
        let usage = match &connection {
            Some(c) => self.mls_usage(&c.name)?,
            None => None,
        };
        let target = porchlight_mls::photos::PhotoTarget {
            source: cached.source,
            key: cached.key,
            listing: cached.mls,
        };
        Ok(porchlight_mls::photos::PhotoJob::prepare(
            target,
            connection.as_ref(),
            usage,
            secrets,
        ))
    }
}
