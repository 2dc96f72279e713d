//! Boards: the sidebar list, one board with its tasks, a new board.

use porchlight_store::model::{Board, Task};
use porchlight_store::profile::BoardSummary;
use porchlight_store::{Profile, TaskQuery};
use serde::Serialize;
use tauri::ipc::Response;
use tauri::{AppHandle, State};

use crate::error::{AppError, Result};
use crate::state::AppState;

/// A board as the kanban and list views show it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct BoardView {
    pub board: Board,
    /// Open tasks, in column and position order.
    pub tasks: Vec<Task>,
}

#[tauri::command(async)]
pub fn list_boards(state: State<'_, AppState>) -> Result<Vec<BoardSummary>> {
    Ok(state.profile()?.boards().list()?)
}

/// A [`BoardView`] as JSON, its tasks passed through from the materialized
/// table undecoded (a board of thousands of tasks opens without decoding
/// and re-encoding each one).
pub fn board_view_json(profile: &Profile, key: &str) -> Result<String> {
    let board = profile.boards().get(key)?;
    let tasks = profile.tasks().list_json(&TaskQuery {
        board: Some(board.id),
        ..TaskQuery::default()
    })?;
    let board = serde_json::to_string(&board).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(format!("{{\"board\":{board},\"tasks\":{tasks}}}"))
}

/// One board with its open tasks: a [`BoardView`].
#[tauri::command(async)]
pub fn open_board(state: State<'_, AppState>, board: String) -> Result<Response> {
    let profile = state.profile()?;
    Ok(Response::new(board_view_json(&profile, &board)?))
}

#[tauri::command(async)]
pub fn create_board(app: AppHandle, state: State<'_, AppState>, name: String) -> Result<Board> {
    let board = state.profile()?.boards_mut().create(&name, &[])?;
    super::changed_locally(&app, &board.id);
    Ok(board)
}

/// The board now on screen (`None`: no board), so teammates see who is
/// looking at it (presence travels only while signed in to a relay), and
/// whose document is loaded ahead of its first edit.
#[tauri::command(async)]
pub fn set_viewing(
    app: AppHandle,
    state: State<'_, AppState>,
    board: Option<String>,
) -> Result<()> {
    let id = match board {
        Some(key) => Some(state.profile()?.boards().resolve(&key)?),
        None => None,
    };
    // Its first edit should not wait for the board to load.
    if let Some(id) = id {
        crate::warm::board(&app, id);
    }
    let doc = id.map(|id| id.to_string());
    state.viewing.send_replace(doc);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use porchlight_store::OpenOptions;

    #[test]
    fn the_raw_board_json_is_a_board_view() {
        let mut p = Profile::in_memory(OpenOptions {
            user: Some("maria".into()),
            tz: Some("UTC".into()),
            now: None,
        })
        .expect("profile");
        p.boards_mut()
            .create("Oak St", &["To do".into(), "Done".into()])
            .expect("board");
        p.tasks_mut()
            .quick_add("Oak St", "Call the seller tomorrow #followup")
            .expect("task");
        let board = p.boards().get("Oak St").expect("board");
        let tasks = p
            .tasks()
            .list(&TaskQuery {
                board: Some(board.id),
                ..TaskQuery::default()
            })
            .expect("tasks");
        let typed = serde_json::to_value(BoardView { board, tasks }).expect("typed");
        let raw: serde_json::Value =
            serde_json::from_str(&board_view_json(&p, "Oak St").expect("raw")).expect("json");
        assert_eq!(raw, typed);
        assert!(matches!(
            board_view_json(&p, "No such board"),
            Err(AppError::NotFound(_))
        ));
    }
}
