//! Changes made by other programs: the CLI (or a script) may write to the
//! same profile while the app is open. Once a second the app asks SQLite
//! whether another connection committed ([`Profile::changed_elsewhere`]);
//! if so the window refreshes and the reminder task looks again.
//!
//! [`Profile::changed_elsewhere`]: porchlight_store::Profile::changed_elsewhere

use std::time::Duration;

use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::reminders::Wake;
use crate::state::AppState;
use crate::sync::{DOC_CHANGED, DocChanged};

/// How often to look.
pub const EVERY: Duration = Duration::from_secs(1);

/// Starts watching the profile for other programs' writes.
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(EVERY).await;
            let Some(state) = app.try_state::<AppState>() else {
                continue;
            };
            let changed = match state.profile().and_then(|p| Ok(p.changed_elsewhere()?)) {
                Ok(changed) => changed,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot check the profile for outside changes");
                    false
                }
            };
            if changed {
                if let Some(wake) = app.try_state::<Wake>() {
                    wake.now();
                }
                let _ = app.emit(
                    DOC_CHANGED,
                    DocChanged {
                        document: String::new(),
                        origin: "external".into(),
                    },
                );
            }
        }
    });
}
