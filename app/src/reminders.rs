//! Reminders: native notifications at a task's reminder or due time, fired
//! from the local store, so they work offline.
//!
//! One background task asks the core which reminders fall in the window
//! since it last looked ([`Profile::reminders_between`]), shows them, and
//! records how far it has looked in `reminders.json` in the profile, so a
//! reminder fires once, and one that came due while the app was closed
//! fires when it opens (up to [`CATCH_UP`] late). It wakes at the next
//! reminder it knows of, when a document changes, and at least every
//! [`RECHECK`] (another process — the CLI, a sync — may have added one).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use porchlight_store::profile::Reminder;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::Notify;

use crate::state::AppState;

/// Event the UI shows as an in-app banner.
pub const REMINDER: &str = "reminder";
/// The longest sleep between two looks at the store.
pub const RECHECK: Duration = Duration::from_secs(10);
/// How far back reminders missed while the app was closed are still shown.
pub const CATCH_UP: chrono::Duration = chrono::Duration::hours(24);
const FILE: &str = "reminders.json";

/// `reminder` event payload.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ReminderFired {
    pub task: String,
    pub board: String,
    pub title: String,
    pub body: String,
    /// Whether a native notification was shown too (off in Settings).
    pub notified: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Checked {
    /// Everything due up to this instant (ms) has been shown.
    until_ms: i64,
}

fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// Where the last look ended; `now` on the first run (nothing old floods
/// in), and never further back than [`CATCH_UP`].
pub fn checked_until(dir: &Path, now: DateTime<Utc>) -> DateTime<Utc> {
    let saved = std::fs::read_to_string(path(dir))
        .ok()
        .and_then(|t| serde_json::from_str::<Checked>(&t).ok())
        .and_then(|c| DateTime::from_timestamp_millis(c.until_ms));
    match saved {
        Some(at) => at.clamp(now - CATCH_UP, now),
        None => now,
    }
}

/// Records that everything up to `until` has been shown (atomically: a
/// crash leaves the old file or the new one).
pub fn save_checked(dir: &Path, until: DateTime<Utc>) -> std::io::Result<()> {
    let text = serde_json::to_string(&Checked {
        until_ms: until.timestamp_millis(),
    })?;
    let tmp = dir.join(format!("{FILE}.tmp"));
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, path(dir))
}

/// Wakes the reminder task (a document changed).
#[derive(Debug, Clone, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub fn now(&self) {
        self.0.notify_one();
    }
}

/// Shows one reminder: the in-app banner always, a native notification
/// when they are on.
fn fire<R: Runtime>(app: &AppHandle<R>, reminder: &Reminder, native: bool) {
    let (title, body) = reminder.text();
    let mut notified = false;
    if native {
        use tauri_plugin_notification::NotificationExt;
        match app
            .notification()
            .builder()
            .title(&title)
            .body(&body)
            .show()
        {
            Ok(()) => notified = true,
            Err(e) => tracing::warn!(error = %e, "cannot show a native notification"),
        }
    }
    let _ = app.emit(
        REMINDER,
        ReminderFired {
            task: reminder.task.id.to_string(),
            board: reminder.task.board.to_string(),
            title,
            body,
            notified,
        },
    );
}

/// One look: fires what came due since the last one; returns when to look
/// next.
fn look<R: Runtime>(app: &AppHandle<R>, state: &AppState) -> Duration {
    let now = Utc::now();
    let since = checked_until(&state.dir, now);
    let horizon = now + chrono::Duration::from_std(RECHECK).unwrap_or_default();
    let found = state.profile().map(|profile| {
        (
            profile.reminders_between(since, now),
            profile.reminders_between(now, horizon),
        )
    });
    let (due, upcoming) = match found {
        Ok(both) => both,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read reminders");
            return RECHECK;
        }
    };
    match due {
        Ok(due) => {
            let native = state.preferences().map(|p| p.notifications).unwrap_or(true);
            for r in &due {
                fire(app, r, native);
            }
            if let Err(e) = save_checked(&state.dir, now) {
                tracing::warn!(error = %e, "cannot record shown reminders");
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot read reminders"),
    }
    crate::mentions::look(app, state);
    upcoming
        .ok()
        .and_then(|r| r.first().map(|r| r.at))
        .and_then(|at| (at - Utc::now()).to_std().ok())
        .map(|d| d.min(RECHECK))
        .unwrap_or(RECHECK)
}

/// Starts the reminder task.
pub fn start<R: Runtime>(app: &AppHandle<R>, wake: Wake) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            let wait = match app.try_state::<AppState>() {
                Some(state) => look(&app, &state),
                None => RECHECK,
            };
            // Just past the reminder's instant, so the window includes it.
            let wait = wait + Duration::from_millis(5);
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = wake.0.notified() => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_mark_starts_now_survives_restarts_and_caps_catch_up() {
        let dir = tempfile::tempdir().expect("dir");
        let now = Utc::now();
        assert_eq!(checked_until(dir.path(), now), now);
        let earlier = now - chrono::Duration::minutes(5);
        save_checked(dir.path(), earlier).expect("save");
        assert_eq!(
            checked_until(dir.path(), now).timestamp_millis(),
            earlier.timestamp_millis()
        );
        save_checked(dir.path(), now - chrono::Duration::days(9)).expect("save");
        assert_eq!(checked_until(dir.path(), now), now - CATCH_UP);
        // A damaged file counts as a first run, not an error.
        std::fs::write(path(dir.path()), "{not json").expect("write");
        assert_eq!(checked_until(dir.path(), now), now);
    }
}
