//! porchlight-model: what a board, a task and a listing are, independent of
//! how they are stored or synced — ids, fractional positions, time in the
//! user's zone, recurrence, focus order, quick-add parsing, the listing
//! model (RESO Data Dictionary names) and the readers of the values MLS
//! feeds send. No I/O: documents (`porchlight-doc`) are read into these
//! types, and the store materializes them into SQLite rows.

pub mod board;
pub mod error;
pub mod focus;
pub mod ids;
pub mod inbox;
pub mod insights;
pub mod listing;
pub mod people;
pub mod position;
pub mod quickadd;
pub mod recurrence;
pub mod template;
pub mod time;
pub mod values;

pub use error::{ModelError, Result};
pub use listing::{Listing, StandardStatus};
