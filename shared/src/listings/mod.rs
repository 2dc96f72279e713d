//! MLS listings: the model (RESO Data Dictionary field names), reading the
//! values MLS feeds send ([`values`]), and the importers. Every importer
//! turns its source into [`Listing`]s; the listing cache stores them in
//! listing-shard documents (docs/ARCHITECTURE.md, "Documents").
//!
//! - [`csv`]: CSV exports, with a header mapping to RESO names
//!   ([`mapping`]); bad rows are reported with their line numbers and
//!   nothing is half-imported.
//! - [`reso`] and [`pull`] (feature `client`): the RESO Web API, replicated
//!   incrementally by `ModificationTimestamp`, resumable page by page.
//! - [`rets`]: RETS 1.7.2 / 1.8, the replies read tolerantly and (feature
//!   `client`) the HTTP session and its replication.
//! - [`photos`] (feature `client`): listing photos fetched on demand and
//!   kept on disk with thumbnails, for offline use.

pub mod comps;
pub mod connect;
pub mod csv;
pub use porchlight_net::limits;
pub mod mapping;
pub use porchlight_model::listing as model;
pub mod photos;
pub mod pull;
pub use porchlight_net::quota;
pub mod report;
pub mod reso;
pub mod rets;
pub mod sources;
pub mod synthetic;
pub use porchlight_model::values;

pub use model::{Listing, StandardStatus};
