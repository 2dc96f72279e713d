//! porchlight-mls: the MLS importers. Every importer turns its source into
//! [`Listing`]s and writes them through a [`ListingSink`] (the profile
//! store implements it), so nothing here knows of SQLite or Automerge.
//!
//! - [`csv`]: CSV exports, with a header mapping to RESO names
//!   ([`mapping`]); bad rows are reported with their line numbers and
//!   nothing is half-imported.
//! - [`reso`] and [`pull`]: the RESO Web API, replicated incrementally by
//!   `ModificationTimestamp`, resumable page by page.
//! - [`rets`]: RETS 1.7.2 / 1.8, the replies read tolerantly, the HTTP
//!   session and its replication.
//! - [`photos`]: listing photos fetched on demand or during a pull and kept
//!   on disk with thumbnails, for offline use.
//! - [`sources`] and [`connect`]: a saved connection's settings, and the
//!   connection opened with its secrets.
//! - [`synthetic`]: realistic made-up listings for demos and benchmarks.
//!
//! Every request goes through `porchlight-net` (TLS, origin pinning, reply
//! caps, vendor limits).

pub mod connect;
pub mod csv;
pub mod mapping;
pub mod photos;
pub mod pull;
pub mod reso;
pub mod rets;
pub mod sink;
pub mod sources;
pub mod synthetic;

pub use porchlight_model::{Listing, StandardStatus};
pub use porchlight_net::{limits, quota};
pub use sink::{ListingImport, ListingSink, SinkError};
