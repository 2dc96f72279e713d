//! An account's data: what it can see and what it did, for
//! `porchlight account export`; and deleting the account.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::DeviceInfo;
use crate::audit::AuditEvent;
use crate::team::Role;

/// One team of the account, with its documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExportedTeam {
    #[schema(value_type = i64)]
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// Document ids; each is at `/api/account/export/documents/{doc}`.
    pub documents: Vec<String>,
}

/// `GET /api/account/export`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccountExport {
    #[schema(value_type = i64)]
    pub account: i64,
    pub email: String,
    pub name: String,
    pub admin: bool,
    pub teams: Vec<ExportedTeam>,
    pub devices: Vec<DeviceInfo>,
    /// Events the account caused (newest first, up to 5,000).
    pub audit: Vec<AuditEvent>,
    /// RFC 3339.
    pub exported_at: String,
}

/// `POST /api/account/delete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeleteAccount {
    /// The account's password, to confirm.
    pub password: String,
}
