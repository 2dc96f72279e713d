//! The audit log's wire types.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One security-relevant event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditEvent {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// Milliseconds since the epoch.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at: i64,
    /// What happened: `signup`, `login`, `login.failed`, `device.revoked`,
    /// `password.changed`, `team.created`, `invite.created`, `invite.used`,
    /// `member.role`, `member.removed`, `team.transferred`,
    /// `document.registered`, `apikey.created`, `apikey.revoked`, `quota`,
    /// `team.retention`, `retention.purged`.
    pub event: String,
    /// The account that acted (none for a failed login of an unknown email).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub actor: Option<i64>,
    pub actor_email: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub team: Option<i64>,
    /// The client's address as the relay saw it (after trusted proxies).
    pub source: Option<String>,
    /// What it acted on: an account, a device, a document, a role …
    pub target: Option<String>,
}
