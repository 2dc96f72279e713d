//! Boards: the sidebar list, one board with its tasks, a new board.

use porchlight_core::TaskQuery;
use porchlight_core::model::{Board, Task};
use porchlight_core::profile::BoardSummary;
use serde::Serialize;
use tauri::{AppHandle, State};

use crate::error::Result;
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
    Ok(state.profile()?.boards()?)
}

#[tauri::command(async)]
pub fn open_board(state: State<'_, AppState>, board: String) -> Result<BoardView> {
    let profile = state.profile()?;
    let board = profile.board(&board)?;
    let tasks = profile.list_tasks(&TaskQuery {
        board: Some(board.id),
        ..TaskQuery::default()
    })?;
    Ok(BoardView { board, tasks })
}

#[tauri::command(async)]
pub fn create_board(app: AppHandle, state: State<'_, AppState>, name: String) -> Result<Board> {
    let board = state.profile()?.create_board(&name, &[])?;
    super::changed_locally(&app, &board.id);
    Ok(board)
}

/// The board now on screen (`None`: no board), so teammates see who is
/// looking at it. Presence travels only while signed in to a relay.
#[tauri::command(async)]
pub fn set_viewing(state: State<'_, AppState>, board: Option<String>) -> Result<()> {
    let doc = match board {
        Some(key) => Some(state.profile()?.resolve_board(&key)?.to_string()),
        None => None,
    };
    state.viewing.send_replace(doc);
    Ok(())
}
