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
        self.listings_mut()
            .import(source, listings, false)
            .map_err(sink)
    }

    fn reconcile(&mut self, source: &str, keep: &HashSet<String>) -> Result<usize, SinkError> {
        self.listings_mut().reconcile(source, keep).map_err(sink)
    }

    fn mark(&self, source: &str) -> Result<Option<DateTime<Utc>>, SinkError> {
        self.listings().mark(source).map_err(sink)
    }

    fn set_mark(&mut self, source: &str, at: DateTime<Utc>) -> Result<(), SinkError> {
        self.listings_mut().set_mark(source, at).map_err(sink)
    }

    fn checkpoint(&self, source: &str) -> Result<Option<String>, SinkError> {
        self.listings().checkpoint(source).map_err(sink)
    }

    fn set_checkpoint(&mut self, source: &str, note: Option<&str>) -> Result<(), SinkError> {
        self.listings_mut()
            .set_checkpoint(source, note)
            .map_err(sink)
    }

    fn usage(&self, source: &str) -> Result<Option<String>, SinkError> {
        self.listings().usage(source).map_err(sink)
    }

    fn set_usage(&mut self, source: &str, usage: &str) -> Result<(), SinkError> {
        self.listings_mut().set_usage(source, usage).map_err(sink)
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
        let cached = self.listings().get(key)?;
        let connection = self.mls_source(&cached.source).ok();
        let usage = match &connection {
            Some(c) => self.listings().usage(&c.name)?,
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
