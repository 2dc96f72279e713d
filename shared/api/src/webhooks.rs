//! Webhooks: a team's endpoints that hear what happens on its boards,
//! signed as the Standard Webhooks spec says.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every event type a webhook can ask for.
pub const EVENTS: &[&str] = &[
    "task.created",
    "task.updated",
    "task.completed",
    "task.assigned",
    "comment.added",
    "member.joined",
];

/// `POST /api/teams/{id}/webhooks`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// An https:// URL (http:// only to this machine, for testing).
    pub url: String,
    /// Event types (see `EVENTS`); none: every one.
    #[serde(default)]
    pub events: Vec<String>,
    /// One board's id; none: every board of the team.
    #[serde(default)]
    pub board: Option<String>,
    /// standard (signed JSON), slack, teams or discord (that service's
    /// incoming-webhook JSON) [default: standard].
    #[serde(default)]
    pub format: Option<String>,
}

/// A webhook endpoint (never its secret, except once in `CreatedWebhook`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WebhookInfo {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub url: String,
    /// Empty: every event.
    pub events: Vec<String>,
    pub board: Option<String>,
    pub format: String,
    /// Milliseconds since 1970.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created_at: i64,
    /// Set when deliveries kept failing for a day; add it again to resume.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub disabled_at: Option<i64>,
}

/// The new endpoint and its signing secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreatedWebhook {
    /// `whsec_…` (base64 after the prefix): the HMAC-SHA256 key.
    pub secret: String,
    pub info: WebhookInfo,
}

/// One delivery of an event to an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeliveryInfo {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// The `webhook-id` header: the same on every retry.
    pub event_id: String,
    pub event: String,
    /// pending, delivered or failed.
    pub state: String,
    pub attempts: i32,
    /// The receiver's last HTTP status.
    pub last_status: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub latency_ms: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created_at: i64,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub done_at: Option<i64>,
}
