//! How the team works: the inbox (with the bell's count), watching, the
//! activity feed, insights, `@name` completion and templates.

use porchlight_store::inbox::InboxItem;
use porchlight_store::insights::Insights;
use porchlight_store::model::{InboxState, Task};
use porchlight_store::profile::{InboxFilter, InboxMarked, Person, Renamed};
use serde::Serialize;
use tauri::{AppHandle, State};

use crate::error::{AppError, Result};
use crate::state::AppState;

/// The inbox: "current" (not archived), "unread" or "all".
#[tauri::command(async)]
pub fn inbox(state: State<'_, AppState>, filter: String) -> Result<Vec<InboxItem>> {
    let filter = match filter.as_str() {
        "current" => InboxFilter::Current,
        "unread" => InboxFilter::Unread,
        "all" => InboxFilter::All,
        other => {
            return Err(AppError::Invalid(format!(
                "'{other}' is not an inbox view: use current, unread or all"
            )));
        }
    };
    let mut items = state.profile()?.tasks().inbox(filter)?;
    items.truncate(200);
    Ok(items)
}

/// Unread inbox items (the bell).
#[tauri::command(async)]
pub fn unread_count(state: State<'_, AppState>) -> Result<usize> {
    Ok(state.profile()?.tasks().unread_count()?)
}

/// Marks items (every one when `ids` is empty) read, unread or archived.
#[tauri::command(async)]
pub fn mark_inbox(
    app: AppHandle,
    state: State<'_, AppState>,
    ids: Vec<String>,
    to: InboxState,
) -> Result<InboxMarked> {
    let marked = state.profile()?.tasks_mut().mark_inbox(&ids, to)?;
    super::changed_locally(&app, &"inbox");
    Ok(marked)
}

#[tauri::command(async)]
pub fn watch_task(
    app: AppHandle,
    state: State<'_, AppState>,
    task: String,
    on: bool,
) -> Result<Task> {
    let task = state.profile()?.tasks_mut().watch(&task, on)?;
    super::changed_locally(&app, &task.board);
    Ok(task)
}

/// One line of the activity feed.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ActivityLine {
    pub at: chrono::DateTime<chrono::Utc>,
    pub by: String,
    pub board: String,
    pub board_name: String,
    pub task: Option<String>,
    /// "maria completed “Order the title report”".
    pub text: String,
}

/// The feed of one board (or all) over the last `days` days, newest first.
#[tauri::command(async)]
pub fn activity(
    state: State<'_, AppState>,
    board: Option<String>,
    days: u32,
) -> Result<Vec<ActivityLine>> {
    let mut profile = state.profile()?;
    let since = profile.now() - chrono::Duration::days(i64::from(days.clamp(1, 365)));
    let feed = profile.activity(board.as_deref(), since)?;
    Ok(feed
        .iter()
        .take(300)
        .map(|e| ActivityLine {
            at: e.at,
            by: e.by.clone(),
            board: e.board.to_string(),
            board_name: e.board_name.clone(),
            task: e.task.clone(),
            text: e.describe(),
        })
        .collect())
}

/// Insights for one board (or all) over `weeks` weeks.
#[tauri::command(async)]
pub fn insights(state: State<'_, AppState>, board: Option<String>, weeks: u32) -> Result<Insights> {
    Ok(state
        .profile()?
        .tasks()
        .insights(board.as_deref(), weeks.clamp(1, 104))?)
}

/// Names to complete `@…` with: everyone the boards name.
#[tauri::command(async)]
pub fn people(state: State<'_, AppState>) -> Result<Vec<String>> {
    Ok(state.profile()?.tasks().people()?)
}

/// The people the boards name, with their former names (Team → People).
#[tauri::command(async)]
pub fn people_on_boards(state: State<'_, AppState>) -> Result<Vec<Person>> {
    Ok(state.profile()?.boards().people_with_former_names()?)
}

/// Renames a person on every board (synced with each board's team).
#[tauri::command(async)]
pub fn rename_person(
    app: AppHandle,
    state: State<'_, AppState>,
    old: String,
    new: String,
) -> Result<Renamed> {
    let (done, boards) = {
        let mut p = state.profile()?;
        let done = p.boards_mut().rename_person(&old, &new)?;
        (done, p.boards().list()?)
    };
    for b in boards {
        super::changed_locally(&app, &b.id);
    }
    Ok(done)
}

/// A template in the picker.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct TemplateInfo {
    pub name: String,
    /// What the date is: "closing", "contract", "listing".
    pub anchor: String,
    #[ts(type = "number")]
    pub steps: usize,
}

/// A step of the preview, with its date for the chosen anchor.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PlannedStep {
    pub title: String,
    /// "closing - 3 business days".
    pub when: String,
    /// The due date, as the task will show it.
    pub due: String,
}

#[tauri::command(async)]
pub fn templates(state: State<'_, AppState>) -> Result<Vec<TemplateInfo>> {
    Ok(state
        .profile()?
        .templates()?
        .into_iter()
        .map(|e| TemplateInfo {
            steps: e.template.steps.len(),
            name: e.template.name,
            anchor: e.template.anchor,
        })
        .collect())
}

fn anchor_date(anchor: &str) -> Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(anchor.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::Invalid(format!("'{anchor}' is not a date like 2027-01-15")))
}

/// The steps of `name` with their dates for `anchor` (YYYY-MM-DD).
#[tauri::command(async)]
pub fn template_preview(
    state: State<'_, AppState>,
    name: String,
    anchor: String,
) -> Result<Vec<PlannedStep>> {
    let date = anchor_date(&anchor)?;
    let mut profile = state.profile()?;
    let t = profile.template(&name)?.template;
    let holidays = profile.holidays()?;
    let plan = t.plan(date, profile.tz_name(), &holidays)?;
    Ok(t.steps
        .iter()
        .zip(plan)
        .map(|(s, p)| PlannedStep {
            title: s.title.clone(),
            when: s.offset.describe(&t.anchor),
            due: p.due.display(),
        })
        .collect())
}

/// Adds the template's tasks to `board`, due from `anchor`; `prefix` goes
/// before each title ("48 Elm Ave").
#[tauri::command(async)]
pub fn apply_template(
    app: AppHandle,
    state: State<'_, AppState>,
    board: String,
    name: String,
    anchor: String,
    prefix: Option<String>,
) -> Result<Vec<Task>> {
    let date = anchor_date(&anchor)?;
    let mut profile = state.profile()?;
    let t = profile.template(&name)?.template;
    let made = profile
        .tasks_mut()
        .apply_template(&board, &t, date, prefix.as_deref(), true)?;
    if let Some(first) = made.first() {
        super::changed_locally(&app, &first.board);
    }
    Ok(made)
}
