//! The background sync: while signed in, a task keeps a live session with
//! the relay (its own profile handle on the same SQLite file), and tells the
//! UI about remote changes and the connection as events.

use porchlight_client::{self as client, SyncEvent};
use porchlight_store::{OpenOptions, Profile};
use tauri::{AppHandle, Emitter, Manager};

use crate::state::{AppState, SyncStatus};

/// Event names the UI listens to.
pub const DOC_CHANGED: &str = "doc-changed";
pub const SYNC_STATUS: &str = "sync-status";
pub const PRESENCE: &str = "presence";

/// `presence` payload: who else is looking at `document`.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct PresenceChanged {
    pub document: String,
    pub viewers: Vec<String>,
}

/// `doc-changed` payload.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct DocChanged {
    pub document: String,
    /// "local" (this window), "remote" (a teammate, through the relay) or
    /// "external" (another program on this device, like the CLI; `document`
    /// is then empty: anything may have changed).
    pub origin: String,
}

pub(crate) fn set_status(app: &AppHandle, status: SyncStatus) {
    if let Some(state) = app.try_state::<AppState>() {
        state.set_sync_status(status.clone());
    }
    let _ = app.emit(SYNC_STATUS, status);
}

/// Starts (or restarts) the background sync if this profile is signed in.
pub fn start(app: &AppHandle) {
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    stop(app);
    let dir = state.dir.clone();
    let creds = match client::load_credentials(&dir) {
        Ok(c) => c,
        Err(e) if e.is_user_error() => {
            set_status(app, SyncStatus::LocalOnly);
            return;
        }
        Err(e) => {
            set_status(
                app,
                SyncStatus::Error {
                    reason: e.to_string(),
                },
            );
            return;
        }
    };
    set_status(app, SyncStatus::Syncing);
    let viewing = state.viewing.subscribe();
    let handle = app.clone();
    let task = tauri::async_runtime::spawn(async move {
        let mut profile = match Profile::open(&dir, OpenOptions::default()) {
            Ok(p) => p,
            Err(e) => {
                set_status(
                    &handle,
                    SyncStatus::Error {
                        reason: e.to_string(),
                    },
                );
                return;
            }
        };
        let events = handle.clone();
        let mut on_event = move |event: SyncEvent| match event {
            SyncEvent::Connected { documents, .. } => {
                set_status(&events, SyncStatus::UpToDate { documents })
            }
            SyncEvent::RemoteChange { document } => {
                if let Some(wake) = events.try_state::<crate::reminders::Wake>() {
                    wake.now();
                }
                let _ = events.emit(
                    DOC_CHANGED,
                    DocChanged {
                        document,
                        origin: "remote".into(),
                    },
                );
            }
            SyncEvent::RelayMessage { message } => tracing::info!(%message, "relay"),
            SyncEvent::Presence { document, viewers } => {
                let _ = events.emit(PRESENCE, PresenceChanged { document, viewers });
            }
            SyncEvent::Disconnected { error, retry_in_ms } => set_status(
                &events,
                SyncStatus::Offline {
                    reason: error,
                    retry_in_ms,
                },
            ),
        };
        let presence = client::Presence {
            user: profile.user().to_string(),
            viewing,
        };
        if let Err(e) =
            client::watch_with_presence(&mut profile, &creds, Some(presence), &mut on_event).await
        {
            set_status(
                &handle,
                SyncStatus::Error {
                    reason: e.to_string(),
                },
            );
        }
    });
    if let Ok(mut slot) = state.sync_task.lock() {
        *slot = Some(task);
    }
}

/// Stops the background sync.
pub fn stop(app: &AppHandle) {
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    if let Ok(mut slot) = state.sync_task.lock()
        && let Some(task) = slot.take()
    {
        task.abort();
    }
}
