//! Settings: the relay sign-in (token to the OS keychain), theme and
//! notifications, and the sync status.

use porchlight_client::api::accounts::{DeviceInfo, MailSettings};
use porchlight_client::{self as client, Credentials};
use serde::Serialize;
use tauri::{AppHandle, State};

use crate::commands::team::signed_in;
use crate::error::{AppError, Result};
use crate::state::{AppState, Preferences, SyncStatus};

/// What the settings page shows. Never the token.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Settings {
    #[ts(optional)]
    pub relay: Option<String>,
    #[ts(optional)]
    pub email: Option<String>,
    /// The private CA trusted for the relay, if one was given.
    #[ts(optional)]
    pub ca_file: Option<String>,
    pub user: String,
    pub time_zone: String,
    pub preferences: Preferences,
    /// Set when the token went to a file because there is no OS keychain.
    #[ts(optional)]
    pub keychain_warning: Option<String>,
}

fn settings(state: &AppState, keychain_warning: Option<String>) -> Result<Settings> {
    let (relay, email, ca_file) = match client::load_credentials(&state.dir) {
        Ok(c) => (
            Some(c.relay),
            Some(c.email),
            c.trust.ca_file.map(|p| p.display().to_string()),
        ),
        Err(_) => (None, None, None),
    };
    let profile = state.profile()?;
    Ok(Settings {
        relay,
        email,
        ca_file,
        user: profile.user().to_string(),
        time_zone: profile.tz_name().to_string(),
        preferences: state.preferences()?,
        keychain_warning,
    })
}

#[tauri::command(async)]
pub fn get_settings(state: State<'_, AppState>) -> Result<Settings> {
    settings(&state, None)
}

#[tauri::command(async)]
pub fn save_preferences(
    state: State<'_, AppState>,
    preferences: Preferences,
) -> Result<Preferences> {
    state.save_preferences(preferences)
}

/// Signs in to a relay: checks the password there, keeps the device token
/// in the OS keychain, and starts syncing. `ca_file` (a PEM file) adds a
/// private CA for a self-hosted relay; `allow_insecure_http` permits plain
/// http:// to a relay off this machine.
#[tauri::command]
pub async fn sign_in(
    app: AppHandle,
    state: State<'_, AppState>,
    relay: String,
    email: String,
    password: String,
    ca_file: Option<String>,
    allow_insecure_http: Option<bool>,
) -> Result<Settings> {
    if email.trim().is_empty() || password.is_empty() {
        return Err(AppError::Invalid("enter your email and password".into()));
    }
    let ca_file = match ca_file.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(path) => {
            let path = std::path::PathBuf::from(path);
            porchlight_store::net::tls::read_ca_file(&path)
                .map_err(|e| AppError::Invalid(e.to_string()))?;
            Some(path)
        }
        None => None,
    };
    let trust = client::Trust {
        ca_file,
        allow_insecure_http: allow_insecure_http.unwrap_or(false),
    };
    let base = client::Endpoint::new(&relay, trust)?;
    let device = format!(
        "Porchlight desktop on {}",
        std::env::var("HOSTNAME").unwrap_or_else(|_| "this computer".into())
    );
    let request = client::api::accounts::LoginRequest {
        email: email.trim().to_string(),
        password,
        device: Some(device),
    };
    let token = client::login(&base, &request).await?.token;
    let stored = client::save_credentials(
        &state.dir,
        &Credentials {
            relay: base.base.clone(),
            token,
            email: email.trim().to_string(),
            trust: base.trust.clone(),
        },
    )?;
    crate::sync::start(&app);
    settings(&state, stored.warning())
}

/// Signs out: the token leaves the keychain and syncing stops. Local data
/// stays.
#[tauri::command(async)]
pub fn sign_out(app: AppHandle, state: State<'_, AppState>) -> Result<Settings> {
    crate::sync::stop(&app);
    client::forget_credentials(&state.dir)?;
    crate::sync::set_status(&app, SyncStatus::LocalOnly);
    settings(&state, None)
}

/// The signed-in account's devices (this one marked `current`).
#[tauri::command]
pub async fn list_devices(state: State<'_, AppState>) -> Result<Vec<DeviceInfo>> {
    let creds = signed_in(&state)?;
    Ok(client::account::devices(&creds).await?)
}

/// Signs one of the account's other devices out; returns the devices
/// afterwards. Signing this device out is `sign_out`.
#[tauri::command]
pub async fn revoke_device(state: State<'_, AppState>, device: i64) -> Result<Vec<DeviceInfo>> {
    let creds = signed_in(&state)?;
    let devices = client::account::devices(&creds).await?;
    if devices.iter().any(|d| d.id == device && d.current) {
        return Err(AppError::Invalid(
            "that is this computer; use Sign out to sign it out".into(),
        ));
    }
    client::account::revoke_device(&creds, device).await?;
    Ok(client::account::devices(&creds).await?)
}

#[tauri::command(async)]
pub fn sync_status(state: State<'_, AppState>) -> Result<SyncStatus> {
    state.sync_status()
}

/// The account's email settings on the relay: the daily digest and the
/// time zone its hour and dates follow.
#[tauri::command]
pub async fn mail_settings(state: State<'_, AppState>) -> Result<MailSettings> {
    let creds = signed_in(&state)?;
    Ok(client::account::mail_settings(&creds).await?)
}

/// Turns the daily digest on or off; the time zone becomes this
/// computer's (as the relay should date the digest where the person is).
#[tauri::command]
pub async fn set_digest(state: State<'_, AppState>, on: bool) -> Result<MailSettings> {
    let creds = signed_in(&state)?;
    let now = client::account::mail_settings(&creds).await?;
    let settings = MailSettings {
        time_zone: Some(porchlight_store::time::system_tz_name()),
        digest: on,
        ..now
    };
    Ok(client::account::set_mail_settings(&creds, &settings).await?)
}

/// Turns emails of teammates' `@name` mentions on or off.
#[tauri::command]
pub async fn set_mention_mail(state: State<'_, AppState>, on: bool) -> Result<MailSettings> {
    let creds = signed_in(&state)?;
    let now = client::account::mail_settings(&creds).await?;
    let settings = MailSettings {
        mentions: on,
        ..now
    };
    Ok(client::account::set_mail_settings(&creds, &settings).await?)
}
