//! Accounts and device tokens.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /api/signup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SignupRequest {
    pub email: String,
    /// 8 to 1024 characters.
    pub password: String,
    /// How teammates see the account (default: the email's local part).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Needed once the first account exists, unless registration is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<String>,
}

/// The account just created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SignupResponse {
    pub account: i64,
    /// The relay's first account administers it.
    pub admin: bool,
    /// The team the invite code joined, if one was given.
    pub team: Option<i64>,
}

/// `POST /api/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// A name for this device in the account's device list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

/// A new device token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// Sent as `Authorization: Bearer …`; treat it as a password.
    pub token: String,
    pub device: i64,
}

/// `GET /api/me`: who the token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub account: i64,
    pub device: i64,
    pub email: String,
    /// The account administers the relay (the first account does).
    pub admin: bool,
}

/// `GET /api/devices`: one of the account's signed-in devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeviceInfo {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub name: String,
    /// Milliseconds since the epoch.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created_at: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub last_used_at: i64,
    /// When the token stops working unless it is used before then.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub expires_at: i64,
    /// The device asking.
    pub current: bool,
}

/// `POST /api/password`: signs every other device out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

/// What a password change did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PasswordChanged {
    /// Other devices signed out.
    pub revoked: u32,
}

/// `POST /api/password-reset`: email a reset code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PasswordResetRequest {
    pub email: String,
}

/// `POST /api/password-reset/confirm`: set a new password with the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PasswordResetConfirm {
    pub email: String,
    pub code: String,
    /// 8 to 1024 characters.
    pub password: String,
}

/// `GET` / `PUT /api/me/mail`: the caller's email settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MailSettings {
    /// An IANA time zone (`America/Chicago`) for the daily digest's hour
    /// and dates; `null` is UTC.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Whether the daily digest of due and overdue tasks is sent.
    pub digest: bool,
    /// Whether a teammate's `@name` mention of you is emailed (on unless
    /// turned off; older clients that do not send it leave it on).
    #[serde(default = "on")]
    pub mentions: bool,
}

fn on() -> bool {
    true
}
