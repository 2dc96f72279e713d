//! MLS listings in the profile: the model and value readers
//! (`porchlight-model`), the importers (`porchlight-mls`, re-exported here
//! under their old paths), and what the store adds — comparables
//! ([`comps`]) and the listing report ([`report`]). The listing cache
//! stores listings in listing-shard documents (docs/ARCHITECTURE.md,
//! "Documents"); the profile is the importers' [`ListingSink`].

pub mod comps;
pub mod report;

pub use porchlight_mls::{
    ListingImport, ListingSink, SinkError, connect, csv, limits, mapping, photos, pull, quota,
    reso, rets, sources, synthetic,
};
pub use porchlight_model::listing as model;
pub use porchlight_model::values;

pub use model::{Listing, StandardStatus};
