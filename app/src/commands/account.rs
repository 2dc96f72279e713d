//! Settings: the relay sign-in (token to the OS keychain), theme and
//! notifications, and the sync status.

use porchlight_core::client::{self, Credentials};
use serde::Serialize;
use tauri::{AppHandle, State};

use crate::error::{AppError, Result};
use crate::state::{AppState, Preferences, SyncStatus};

/// What the settings page shows. Never the token.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Settings {
    #[ts(optional)]
    pub relay: Option<String>,
    #[ts(optional)]
    pub email: Option<String>,
    pub user: String,
    pub time_zone: String,
    pub preferences: Preferences,
    /// Set when the token went to a file because there is no OS keychain.
    #[ts(optional)]
    pub keychain_warning: Option<String>,
}

fn settings(state: &AppState, keychain_warning: Option<String>) -> Result<Settings> {
    let (relay, email) = match client::load_credentials(&state.dir) {
        Ok(c) => (Some(c.relay), Some(c.email)),
        Err(_) => (None, None),
    };
    let profile = state.profile()?;
    Ok(Settings {
        relay,
        email,
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
/// in the OS keychain, and starts syncing.
#[tauri::command]
pub async fn sign_in(
    app: AppHandle,
    state: State<'_, AppState>,
    relay: String,
    email: String,
    password: String,
) -> Result<Settings> {
    if email.trim().is_empty() || password.is_empty() {
        return Err(AppError::Invalid("enter your email and password".into()));
    }
    let base = client::base_url(&relay)?;
    let device = format!(
        "Porchlight desktop on {}",
        std::env::var("HOSTNAME").unwrap_or_else(|_| "this computer".into())
    );
    let body = serde_json::json!({ "email": email.trim(), "password": password, "device": device });
    let answer = client::call(client::Method::POST, &base, "/api/login", None, Some(body)).await?;
    let token = answer["token"]
        .as_str()
        .ok_or_else(|| AppError::Relay("the relay sent no token".into()))?
        .to_string();
    let stored = client::save_credentials(
        &state.dir,
        &Credentials {
            relay: base,
            token,
            email: email.trim().to_string(),
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

#[tauri::command(async)]
pub fn sync_status(state: State<'_, AppState>) -> Result<SyncStatus> {
    state.sync_status()
}
