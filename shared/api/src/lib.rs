//! porchlight-api: the relay's REST request and reply types. The relay
//! serves them (and its OpenAPI document is generated from them, with
//! utoipa); the client, the CLI and the app read them. One definition, so
//! the two sides cannot disagree about a field.

pub mod accounts;
pub mod apikeys;
pub mod audit;
pub mod calendar;
pub mod export;
pub mod tasks;
pub mod team;
pub mod webhooks;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every error reply: a stable code for programs and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// E.g. `bad_request`, `forbidden`, `bad_credentials`.
    pub error: String,
    /// What went wrong and what to do about it.
    pub message: String,
}
