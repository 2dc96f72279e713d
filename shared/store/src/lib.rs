//! porchlight-store: the profile store of Porchlight.
//!
//! Boards, workspaces and listing shards are Automerge documents
//! (`porchlight-doc`); a profile keeps them in one SQLite file as chunks and
//! materializes them into tables that answer every query ([`store`]);
//! [`Profile`] is the API every shell calls, and the MLS importers' listing
//! cache. Nothing here knows about Tauri, axum or a terminal.
//!
//! The crates it builds on are re-exported under the paths they had when
//! they were modules of this crate (`model`, `doc`, `sync`, `net`,
//! `secrets`, the importers under `listings`), so a shell needs one
//! dependency for the domain.

/// The Automerge documents (their own crate, re-exported).
pub use porchlight_doc as doc;
pub mod error;
// The domain model is its own crate; its modules keep their paths here.
pub use porchlight_model::board as model;
pub use porchlight_model::{
    ModelError, focus, ids, inbox, insights, position, quickadd, recurrence, template, time,
};

pub use error::{CoreError, Result};
pub mod listings;
pub mod profile;
/// Secrets in the OS keychain (its own crate, re-exported).
pub use porchlight_secrets as secrets;
pub mod store;

/// The sync protocol and engine (its own crate, re-exported).
pub use porchlight_sync as sync;
pub use profile::{OpenOptions, Profile};
pub use store::{DueFilter, TaskQuery};

/// The HTTP layer (its own crate, re-exported).
pub use porchlight_net as net;
