//! Typed calls for the signed-in account: its devices, a password change,
//! and the audit logs.

use porchlight_api::accounts::{DeviceInfo, PasswordChange, PasswordChanged};
use porchlight_api::audit::AuditEvent;

use super::{Credentials, Method, Result, call, get};

/// The account's signed-in devices (`current` marks this one).
pub async fn devices(creds: &Credentials) -> Result<Vec<DeviceInfo>> {
    get(
        Method::GET,
        &creds.endpoint()?,
        "/api/devices",
        Some(&creds.token),
    )
    .await
}

/// Signs a device out: its token stops working and its connections close.
pub async fn revoke_device(creds: &Credentials, device: i64) -> Result<()> {
    let path = format!("/api/devices/{device}");
    let _: bool = get(
        Method::DELETE,
        &creds.endpoint()?,
        &path,
        Some(&creds.token),
    )
    .await?;
    Ok(())
}

/// Changes the password; every other device is signed out.
pub async fn change_password(
    creds: &Credentials,
    current: &str,
    new: &str,
) -> Result<PasswordChanged> {
    let body = PasswordChange {
        current: current.into(),
        new: new.into(),
    };
    let token = Some(creds.token.as_str());
    call(
        Method::POST,
        &creds.endpoint()?,
        "/api/password",
        token,
        Some(&body),
    )
    .await
}

/// A team's audit log, newest first (owners and admins); `before` pages.
pub async fn team_audit(
    creds: &Credentials,
    team: i64,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEvent>> {
    let mut path = format!("/api/teams/{team}/audit?limit={limit}");
    if let Some(b) = before {
        path.push_str(&format!("&before={b}"));
    }
    get(Method::GET, &creds.endpoint()?, &path, Some(&creds.token)).await
}

/// Account-level events of every account (the relay admin only), newest
/// first; `before` pages.
pub async fn relay_audit(
    creds: &Credentials,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEvent>> {
    let mut path = format!("/api/audit?limit={limit}");
    if let Some(b) = before {
        path.push_str(&format!("&before={b}"));
    }
    get(Method::GET, &creds.endpoint()?, &path, Some(&creds.token)).await
}

/// Everything the relay holds about the account (documents by id).
pub async fn export(creds: &Credentials) -> Result<porchlight_api::export::AccountExport> {
    get(
        Method::GET,
        &creds.endpoint()?,
        "/api/account/export",
        Some(&creds.token),
    )
    .await
}

/// One document of the account's teams, as an Automerge file.
pub async fn export_document(creds: &Credentials, doc: &str) -> Result<Vec<u8>> {
    let path = format!("/api/account/export/documents/{doc}");
    crate::rest::get_bytes(&creds.endpoint()?, &path, Some(&creds.token)).await
}

/// Deletes the account; how many devices were signed out.
pub async fn delete(creds: &Credentials, password: &str) -> Result<u32> {
    let body = porchlight_api::export::DeleteAccount {
        password: password.to_string(),
    };
    call(
        Method::POST,
        &creds.endpoint()?,
        "/api/account/delete",
        Some(&creds.token),
        Some(&body),
    )
    .await
}

/// The account's email settings (time zone, daily digest).
pub async fn mail_settings(creds: &Credentials) -> Result<porchlight_api::accounts::MailSettings> {
    get(
        Method::GET,
        &creds.endpoint()?,
        "/api/me/mail",
        Some(&creds.token),
    )
    .await
}

/// Saves the account's email settings; the relay answers with them as saved.
pub async fn set_mail_settings(
    creds: &Credentials,
    settings: &porchlight_api::accounts::MailSettings,
) -> Result<porchlight_api::accounts::MailSettings> {
    call(
        Method::PUT,
        &creds.endpoint()?,
        "/api/me/mail",
        Some(&creds.token),
        Some(settings),
    )
    .await
}
