//! Calendar feeds: a secret address on the relay that calendar apps
//! subscribe to, one per (person, team, board or all boards, mine or all).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /api/teams/{id}/calendar`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CalendarRequest {
    /// One board's document id; none: every board of the team.
    #[serde(default)]
    pub board: Option<String>,
    /// Only the tasks assigned to the caller (by their account name).
    #[serde(default)]
    pub mine: bool,
    /// Replace the secret: the old address stops working (404).
    #[serde(default)]
    pub rotate: bool,
}

/// The feed's address, relative to the relay (`/ical/<secret>.ics`): the
/// caller puts its relay URL in front. Anyone with it can read the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CalendarFeedInfo {
    pub path: String,
    pub board: Option<String>,
    pub mine: bool,
}
