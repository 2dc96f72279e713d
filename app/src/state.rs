//! What the app holds: the profile (one SQLite file, shared with the CLI and
//! with the background sync task, which opens its own handle), the UI
//! preferences, and the sync status.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use porchlight_store::{OpenOptions, Profile};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, Result};

/// How the window looks and whether reminders notify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Preferences {
    /// "system", "light" or "dark".
    pub theme: String,
    pub notifications: bool,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            theme: "system".into(),
            notifications: true,
        }
    }
}

/// The sync status bar: always one of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SyncStatus {
    /// Not signed in to a relay: everything stays on this device.
    LocalOnly,
    /// Signed in, not connected; `reason` says why.
    Offline {
        reason: String,
        #[ts(type = "number")]
        retry_in_ms: u64,
    },
    Syncing,
    UpToDate {
        documents: usize,
    },
    /// Syncing stopped until the person acts (e.g. a revoked sign-in).
    Error {
        reason: String,
    },
}

const PREFERENCES: &str = "app.json";

pub struct AppState {
    pub dir: PathBuf,
    profile: Mutex<Profile>,
    preferences: Mutex<Preferences>,
    sync: Mutex<SyncStatus>,
    /// The running background sync, stopped on sign-out.
    pub sync_task: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
    /// The board on screen, for presence (the sync task tells teammates).
    pub viewing: tokio::sync::watch::Sender<Option<String>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("dir", &self.dir).finish()
    }
}

fn poisoned() -> AppError {
    AppError::Internal("an earlier operation failed midway; restart Porchlight".into())
}

impl AppState {
    pub fn open(dir: &Path) -> Result<Self> {
        let profile = Profile::open(dir, OpenOptions::default())?;
        let preferences = std::fs::read_to_string(dir.join(PREFERENCES))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        Ok(AppState {
            dir: dir.to_path_buf(),
            profile: Mutex::new(profile),
            preferences: Mutex::new(preferences),
            sync: Mutex::new(SyncStatus::LocalOnly),
            sync_task: Mutex::new(None),
            viewing: tokio::sync::watch::Sender::new(None),
        })
    }

    pub fn profile(&self) -> Result<MutexGuard<'_, Profile>> {
        self.profile.lock().map_err(|_| poisoned())
    }

    pub fn preferences(&self) -> Result<Preferences> {
        Ok(self.preferences.lock().map_err(|_| poisoned())?.clone())
    }

    pub fn save_preferences(&self, preferences: Preferences) -> Result<Preferences> {
        if !["system", "light", "dark"].contains(&preferences.theme.as_str()) {
            return Err(AppError::Invalid(format!(
                "theme '{}' is not one of system, light, dark",
                preferences.theme
            )));
        }
        let text = serde_json::to_string_pretty(&preferences)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        std::fs::write(self.dir.join(PREFERENCES), text).map_err(|e| {
            AppError::Internal(format!(
                "cannot save preferences in {}: {e}",
                self.dir.display()
            ))
        })?;
        *self.preferences.lock().map_err(|_| poisoned())? = preferences.clone();
        Ok(preferences)
    }

    pub fn sync_status(&self) -> Result<SyncStatus> {
        Ok(self.sync.lock().map_err(|_| poisoned())?.clone())
    }

    pub fn set_sync_status(&self, status: SyncStatus) {
        if let Ok(mut s) = self.sync.lock() {
            *s = status;
        }
    }
}
