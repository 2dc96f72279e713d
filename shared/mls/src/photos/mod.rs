//! Listing photos, fetched on demand and kept on disk with a thumbnail
//! each, so a listing opened once online shows its photos offline.
//!
//! Layout: `<profile>/photos/<source>/<key>/<n>.<ext>` and
//! `…/<key>/thumb/<n>.jpg` (at most 320×240); a file `none` records that
//! the MLS has no photos for the listing. Each file is written to a
//! temporary name and renamed, so a crash leaves whole photos or none.
//!
//! Where photos come from: RETS `GetObject Type=Photo ID=KEY:*` (with
//! `Location` parts fetched by URL), or the RESO `Media` records that came
//! with the listing (`$expand=Media`; their `MediaURL`s are fetched
//! directly, so a teammate without MLS credentials can fetch them too).

use std::path::PathBuf;

use crate::rets::client::RetsError;

mod cache;
mod fetch;
mod job;
mod links;
#[cfg(test)]
mod tests;

pub use cache::*;
pub use fetch::*;
pub use job::*;
pub use links::*;

/// The longest side of a thumbnail box.
pub const THUMB_WIDTH: u32 = 320;
pub const THUMB_HEIGHT: u32 = 240;
/// Photos fetched for one listing at most.
pub const MAX_PHOTOS: usize = 50;

#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("cannot write the photo cache at {path}: {reason}")]
    Io { path: PathBuf, reason: String },
    #[error("photo {number} of {key} is not a picture Porchlight can read ({reason})")]
    NotAnImage {
        key: String,
        number: u32,
        reason: String,
    },
    #[error(transparent)]
    Rets(#[from] RetsError),
    #[error("cannot fetch {url}: {reason}")]
    Fetch {
        url: String,
        reason: String,
        /// The HTTP status, when the server answered.
        status: Option<u16>,
    },
    #[error("{key} has no photos cached and no way to fetch them: {why}")]
    NoSource { key: String, why: String },
}
