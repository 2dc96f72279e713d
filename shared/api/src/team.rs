//! Teams, members, invites and the document registry.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a member may do in a team.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Role {
    /// Created the team; can make other owners.
    Owner,
    /// Manages members, roles and invites.
    Admin,
    /// Reads and edits the team's boards.
    Member,
    /// Reads the team's boards; their changes are refused.
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }

    /// Owner 3, admin 2, member 1, viewer 0: who may act on whom.
    pub fn rank(self) -> u8 {
        match self {
            Role::Owner => 3,
            Role::Admin => 2,
            Role::Member => 1,
            Role::Viewer => 0,
        }
    }

    /// Owners and admins manage members and invites.
    pub fn manages(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// A team the signed-in account belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TeamInfo {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub name: String,
    /// The team's workspace document id.
    pub workspace: String,
    /// The signed-in account's role in it.
    pub role: Role,
}

/// One member of a team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MemberInfo {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub account: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// A new invite code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Invite {
    pub code: String,
    pub role: Role,
    /// When the code stops working (milliseconds since the epoch).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub expires_at: i64,
    /// Asked to email it: whether the mail server took it (the reason when
    /// not is in `email_error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emailed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_error: Option<String>,
}

/// `POST /api/teams`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateTeam {
    /// 1 to 100 characters.
    pub name: String,
}

/// The team just created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreatedTeam {
    pub id: i64,
    /// The team's workspace document id (already stored on the relay).
    pub workspace: String,
}

/// `POST /api/teams/{id}/invites`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InviteRequest {
    /// Admin, member or viewer (ownership is not given by invite).
    pub role: Role,
    /// Hours until the code expires (default 72, at most 30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<i64>,
    /// Email the code to this address (when the relay sends email).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// `POST /api/join`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct JoinRequest {
    pub code: String,
}

/// The team an invite code let the account into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Joined {
    pub team: i64,
    pub role: Role,
}

/// `PUT /api/teams/{id}/members/{account}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoleRequest {
    pub role: Role,
}

/// `PUT /api/teams/{id}/owner`: hands ownership to another member; the
/// caller (an owner) becomes an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TransferRequest {
    /// The member who becomes an owner.
    pub account: i64,
}

/// `POST /api/teams/{id}/documents`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// An automerge-repo document id (bs58check).
    pub document: String,
}

/// A document registered to a team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Registered {
    pub document: String,
    pub team: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_as_lowercase_words() {
        for role in [Role::Owner, Role::Admin, Role::Member, Role::Viewer] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).expect("json");
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert_eq!(Role::parse("Owner"), None);
        assert!(Role::Admin.manages() && Role::Owner.manages());
        assert!(!Role::Member.manages() && !Role::Viewer.manages());
    }
}

/// `GET` / `PUT /api/teams/{id}/retention`: how long deleted tasks stay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Retention {
    /// Days a deleted task is kept (restorable) before it is removed for
    /// good; `null` keeps deleted tasks for ever.
    #[serde(default)]
    pub deleted_task_days: Option<u32>,
}
