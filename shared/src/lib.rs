//! porchlight-core: the domain, storage and sync engine of Porchlight.
//!
//! Boards and workspaces are Automerge documents ([`doc`]); a profile keeps
//! them in one SQLite file as chunks and materializes them into tables that
//! answer every query ([`store`]); [`Profile`] is the API every shell calls.
//! Nothing here knows about Tauri, axum or a terminal.

pub mod doc;
pub mod error;
pub mod ids;
pub mod model;
pub mod position;
pub mod time;

pub use error::{CoreError, Result};
pub mod focus;
pub mod listings;
pub mod profile;
pub mod quickadd;
pub mod recurrence;
pub mod secrets;
pub mod store;
pub mod team;

pub use profile::{OpenOptions, Profile};
pub use store::{DueFilter, TaskQuery};
pub mod sync;

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "client")]
pub mod net;
