//! The commands the UI calls, one module per domain. Each is a thin call
//! into `porchlight-store`; errors come back as [`crate::AppError`].

pub mod account;
pub mod boards;
pub mod listings;
pub mod mls;
pub mod tasks;
pub mod team;
pub mod views;
pub mod work;

use tauri::{AppHandle, Emitter, Manager};

use crate::sync::{DOC_CHANGED, DocChanged};

/// Tells every window that a document changed here (and the reminder task,
/// whose next reminder may have moved).
fn changed_locally(app: &AppHandle, document: &impl ToString) {
    if let Some(wake) = app.try_state::<crate::reminders::Wake>() {
        wake.now();
    }
    let _ = app.emit(
        DOC_CHANGED,
        DocChanged {
            document: document.to_string(),
            origin: "local".into(),
        },
    );
}
