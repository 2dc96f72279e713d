//! Today / Tomorrow / Upcoming / Overdue, Focus, and search as you type.

use porchlight_store::model::Task;
use porchlight_store::{DueFilter, TaskQuery};
use tauri::State;

use crate::error::{AppError, Result};
use crate::state::AppState;

/// Open tasks due `when`: "today", "tomorrow", "week" (upcoming) or "overdue".
#[tauri::command(async)]
pub fn list_due(state: State<'_, AppState>, when: String) -> Result<Vec<Task>> {
    let due = match when.as_str() {
        "today" => DueFilter::Today,
        "tomorrow" => DueFilter::Tomorrow,
        "week" => DueFilter::Week,
        "overdue" => DueFilter::Overdue,
        other => {
            return Err(AppError::Invalid(format!(
                "'{other}' is not a view: use today, tomorrow, week or overdue"
            )));
        }
    };
    Ok(state.profile()?.tasks().list(&TaskQuery {
        due: Some(due),
        ..TaskQuery::default()
    })?)
}

/// What to do next, in the core's focus order.
#[tauri::command(async)]
pub fn focus_tasks(state: State<'_, AppState>, limit: Option<usize>) -> Result<Vec<Task>> {
    Ok(state
        .profile()?
        .tasks()
        .focus(limit.unwrap_or(20).min(200))?)
}

/// Full-text search over titles, descriptions, comments and checklists,
/// best match first.
#[tauri::command(async)]
pub fn search_tasks(state: State<'_, AppState>, text: String) -> Result<Vec<Task>> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    Ok(state.profile()?.tasks().search(&text, 50)?)
}
