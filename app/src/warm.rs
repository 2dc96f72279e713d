//! Loading the board on screen before its first edit. A write needs the
//! board's Automerge document in memory, and loading a big one takes a
//! while (about 200 ms for 10,000 tasks on the 2-core benchmark machine).
//! Done when the board is shown, on a thread of its own and without
//! holding the profile, so the first quick-add finds it loaded.

use std::sync::Mutex;

use porchlight_store::Profile;
use porchlight_store::ids::DocumentId;
use tauri::{AppHandle, Manager, Runtime};

use crate::state::AppState;

/// Boards being loaded now (one load each, however often the board is shown).
static WARMING: Mutex<Vec<DocumentId>> = Mutex::new(Vec::new());

/// True when `id` was not being loaded and now is.
fn claim(id: DocumentId) -> bool {
    match WARMING.lock() {
        Ok(mut w) if !w.contains(&id) => {
            w.push(id);
            true
        }
        _ => false,
    }
}

fn release(id: DocumentId) {
    if let Ok(mut w) = WARMING.lock() {
        w.retain(|b| *b != id);
    }
}

/// Loads board `id` for the profile in the background, unless it is loaded
/// or being loaded.
pub fn board<R: Runtime>(app: &AppHandle<R>, id: DocumentId) {
    let state = app.state::<AppState>();
    let path = match state.profile() {
        Ok(p) if !p.is_loaded(id) => p.db_path(),
        _ => return,
    };
    if !claim(id) {
        return;
    }
    let app = app.clone();
    let spawned = std::thread::Builder::new()
        .name("warm-board".into())
        .spawn(move || {
            match Profile::warm_up(&path, id) {
                Ok(Some(doc)) => {
                    if let Ok(mut p) = app.state::<AppState>().profile() {
                        p.adopt(doc);
                    }
                }
                Ok(None) => {}
                // The first write loads it again and says what is wrong.
                Err(e) => tracing::warn!(board = %id, error = %e, "cannot load the board ahead of its first edit"),
            }
            release(id);
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the board loader");
        release(id);
    }
}
