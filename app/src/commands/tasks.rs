//! Tasks: quick-add (with the parser's live highlighting), moves, edits,
//! the description as text splices, checklist, comments, history, restore.

use porchlight_store::model::{Priority, Task};
use porchlight_store::profile::{Completion, HistoryEntry, TaskChanges};
use porchlight_store::quickadd::{self, Parsed};
use serde::Deserialize;
use tauri::{AppHandle, State};

use crate::error::{AppError, Result};
use crate::state::AppState;

/// What the quick-add bar recognises in `text`, for highlighting as you type.
#[tauri::command(async)]
pub fn parse_quick_add(state: State<'_, AppState>, text: String) -> Result<Parsed> {
    let profile = state.profile()?;
    Ok(quickadd::parse(&text, profile.now(), profile.tz_name())?)
}

#[tauri::command(async)]
pub fn quick_add(
    app: AppHandle,
    state: State<'_, AppState>,
    board: String,
    text: String,
) -> Result<Task> {
    let (task, _) = state.profile()?.tasks_mut().quick_add(&board, &text)?;
    super::changed_locally(&app, &task.board);
    Ok(task)
}

#[tauri::command(async)]
pub fn get_task(state: State<'_, AppState>, task: String) -> Result<Task> {
    Ok(state.profile()?.tasks().get(&task)?)
}

/// Moves a task to `column` at `index` among its cards (drag and drop, or
/// the keyboard).
#[tauri::command(async)]
pub fn move_task(
    app: AppHandle,
    state: State<'_, AppState>,
    task: String,
    column: String,
    index: Option<usize>,
) -> Result<Task> {
    let task = state
        .profile()?
        .tasks_mut()
        .move_to(&task, Some(&column), index)?;
    super::changed_locally(&app, &task.board);
    Ok(task)
}

/// Field edits from the task detail. Dates are typed the way quick-add
/// reads them ("fri 3pm", "2026-12-05"); an empty string clears.
#[derive(Debug, Default, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct TaskPatch {
    #[ts(optional)]
    pub title: Option<String>,
    #[ts(optional)]
    pub due: Option<String>,
    #[ts(optional)]
    pub reminder: Option<String>,
    #[ts(optional)]
    pub priority: Option<Priority>,
    #[ts(optional)]
    pub recurrence: Option<String>,
    pub add_labels: Vec<String>,
    pub remove_labels: Vec<String>,
    pub add_assignees: Vec<String>,
    pub remove_assignees: Vec<String>,
    pub add_listings: Vec<String>,
    pub remove_listings: Vec<String>,
}

#[tauri::command(async)]
pub fn update_task(
    app: AppHandle,
    state: State<'_, AppState>,
    task: String,
    patch: TaskPatch,
) -> Result<Task> {
    let mut profile = state.profile()?;
    let (now, tz) = (profile.now(), profile.tz_name().to_string());
    let due = match patch.due.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(text) => Some(Some(quickadd::parse_due(text, now, &tz)?)),
    };
    let reminder = match patch.reminder.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(text) => Some(Some(quickadd::parse_due(text, now, &tz)?.at)),
    };
    let recurrence = match patch.recurrence.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(text) => Some(Some(quickadd::parse_recurrence(text, now, &tz)?)),
    };
    let changes = TaskChanges {
        title: patch.title,
        description: None,
        due,
        reminder,
        priority: patch.priority,
        recurrence,
        add_labels: patch.add_labels,
        remove_labels: patch.remove_labels,
        add_assignees: patch.add_assignees,
        remove_assignees: patch.remove_assignees,
        add_listings: patch.add_listings,
        remove_listings: patch.remove_listings,
    };
    let task = profile.tasks_mut().edit(&task, &changes)?;
    super::changed_locally(&app, &task.board);
    Ok(task)
}

/// The character index of UTF-16 offset `utf16` in `text` (what a browser
/// text field reports), clamped to the end.
fn char_index(text: &str, utf16: usize) -> usize {
    let mut units = 0;
    for (i, c) in text.chars().enumerate() {
        if units >= utf16 {
            return i;
        }
        units += c.len_utf16();
    }
    text.chars().count()
}

/// One edit of the description, as the text field made it: at UTF-16
/// offset `start`, `delete` UTF-16 units removed and `insert` typed. Applied
/// as an Automerge text splice, so two people typing in one description
/// both keep their words.
#[tauri::command(async)]
pub fn splice_description(
    app: AppHandle,
    state: State<'_, AppState>,
    task: String,
    start: usize,
    delete: usize,
    insert: String,
) -> Result<Task> {
    let mut profile = state.profile()?;
    let current = profile.tasks().get(&task)?.description;
    let from = char_index(&current, start);
    let to = char_index(&current, start + delete);
    let task = profile
        .tasks_mut()
        .splice_description(&task, from, to - from, &insert)?;
    super::changed_locally(&app, &task.board);
    Ok(task)
}

#[tauri::command(async)]
pub fn add_checklist_item(
    app: AppHandle,
    state: State<'_, AppState>,
    task: String,
    text: String,
) -> Result<Task> {
    let task = state
        .profile()?
        .tasks_mut()
        .add_checklist_item(&task, &text)?;
    super::changed_locally(&app, &task.board);
    Ok(task)
}

#[tauri::command(async)]
pub fn set_checklist_done(
    app: AppHandle,
    state: State<'_, AppState>,
    task: String,
    item: String,
    done: bool,
) -> Result<Task> {
    let task = state
        .profile()?
        .tasks_mut()
        .set_checklist_done(&task, &item, done)?;
    super::changed_locally(&app, &task.board);
    Ok(task)
}

#[tauri::command(async)]
pub fn add_comment(
    app: AppHandle,
    state: State<'_, AppState>,
    task: String,
    text: String,
) -> Result<Task> {
    let task = state.profile()?.tasks_mut().comment(&task, &text)?;
    super::changed_locally(&app, &task.board);
    Ok(task)
}

#[tauri::command(async)]
pub fn complete_task(
    app: AppHandle,
    state: State<'_, AppState>,
    task: String,
) -> Result<Completion> {
    let done = state.profile()?.tasks_mut().complete(&task)?;
    super::changed_locally(&app, &done.task.board);
    Ok(done)
}

#[tauri::command(async)]
pub fn task_history(state: State<'_, AppState>, task: String) -> Result<Vec<HistoryEntry>> {
    Ok(state.profile()?.tasks_mut().history(&task)?)
}

#[tauri::command(async)]
pub fn restore_task(
    app: AppHandle,
    state: State<'_, AppState>,
    task: String,
    version: String,
) -> Result<Task> {
    if version.trim().is_empty() {
        return Err(AppError::Invalid("choose a version to restore".into()));
    }
    let task = state.profile()?.tasks_mut().restore(&task, &version)?;
    super::changed_locally(&app, &task.board);
    Ok(task)
}

#[cfg(test)]
mod tests {
    use super::char_index;

    #[test]
    fn browser_offsets_become_character_indexes() {
        assert_eq!(char_index("hello", 2), 2);
        // "é" is one UTF-16 unit; "🏠" is two.
        assert_eq!(char_index("é🏠x", 1), 1);
        assert_eq!(char_index("é🏠x", 3), 2);
        assert_eq!(char_index("é🏠x", 99), 3);
        assert_eq!(char_index("", 4), 0);
    }
}
