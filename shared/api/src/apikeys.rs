//! Scoped API keys for integrations: made by a team's owners and admins,
//! each for one team with a read or a write scope, shown once, stored
//! hashed. A key syncs and reads its team's documents (and, with `write`,
//! changes them); it never acts for an account.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The prefix every API key starts with (device tokens never do).
pub const KEY_PREFIX: &str = "plk_";

/// What a key may do with its team's documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Scope {
    /// Sync and read; changes are refused, as a viewer's are.
    Read,
    /// Sync, read and change, as a member.
    Write,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            _ => None,
        }
    }
}

/// `POST /api/teams/{id}/apikeys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateApiKey {
    /// What the key is for ("Zapier", "calendar script"); 1–100 characters.
    pub name: String,
    pub scope: Scope,
    /// Days until the key stops working; none: until revoked.
    #[serde(default)]
    pub expires_days: Option<u32>,
}

/// One of a team's API keys (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ApiKeyInfo {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub name: String,
    pub scope: Scope,
    /// The email of the account that made it.
    pub created_by: Option<String>,
    /// Milliseconds since the epoch.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created_at: i64,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub expires_at: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub last_used_at: Option<i64>,
}

/// A new key: the only time `key` is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreatedApiKey {
    /// `plk_…`: send as `Authorization: Bearer plk_…`.
    pub key: String,
    pub info: ApiKeyInfo,
}
