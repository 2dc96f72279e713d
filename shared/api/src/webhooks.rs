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
    "listing.changed",
];

/// The JSON body of every delivery to a `standard` endpoint, schema
/// version 1 (a change that is not backwards compatible gets a new
/// `version`). Signed with the headers `webhook-id`, `webhook-timestamp`
/// and `webhook-signature`, as the Standard Webhooks spec says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEvent {
    /// One of `EVENTS`, or `webhook.test`.
    #[serde(rename = "type")]
    pub kind: String,
    /// 1.
    pub version: u32,
    /// RFC 3339, UTC, when the relay saw the change.
    pub timestamp: String,
    pub team: i64,
    /// The board, for task and comment events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub board: Option<EventBoard>,
    pub data: EventData,
}

/// The board an event happened on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBoard {
    pub id: String,
    pub name: String,
}

/// What the event is about; which fields are present depends on `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventData {
    /// `task.*` and `comment.added`: the task as the REST API shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<crate::tasks::ApiTask>,
    /// `task.updated`: the fields that changed (title, description,
    /// column, due, reminder, priority, labels, assignees, checklist,
    /// recurrence, archived, deleted); `listing.changed`: list_price and/or
    /// status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<Vec<String>>,
    /// `task.assigned`: who was added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned: Option<Vec<String>>,
    /// `comment.added`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<EventComment>,
    /// `member.joined`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<EventMember>,
    /// `listing.changed`: the listing now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listing: Option<EventListing>,
    /// `listing.changed`: its price and status before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<EventListingState>,
    /// `webhook.test`: a sentence saying the webhook works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventComment {
    pub id: String,
    pub author: String,
    /// RFC 3339.
    pub at: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventMember {
    pub account: i64,
    pub name: String,
    pub role: String,
}

/// A listing of the team's shared cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventListing {
    /// The MLS's ListingKey.
    pub key: String,
    /// The MLS number people quote.
    pub id: Option<String>,
    /// The MLS source the team imported it from.
    pub source: String,
    pub address: Option<String>,
    pub city: Option<String>,
    pub list_price: Option<f64>,
    /// RESO StandardStatus (Active, Pending, Closed, …).
    pub status: Option<String>,
}

/// A listing's price and status before a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventListingState {
    pub list_price: Option<f64>,
    pub status: Option<String>,
}

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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
