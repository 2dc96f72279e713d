//! The team API's wire types, shared by the relay (which serves them) and
//! the clients (which read them), so the two cannot disagree.

use serde::{Deserialize, Serialize};

/// What a member may do in a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

    /// Owners and admins manage members and invites.
    pub fn manages(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// A team the signed-in account belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MemberInfo {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub account: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// A new invite code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Invite {
    pub code: String,
    pub role: Role,
    /// When the code stops working (milliseconds since the epoch).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub expires_at: i64,
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
