//! The REST API for tasks (`/api/v1/…`): what integrations read and write
//! with a team's API key. A write becomes an Automerge change the relay
//! makes on the key's behalf, so it syncs to every device like any edit.

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A board of the team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ApiBoard {
    /// The board's document id.
    pub id: String,
    pub name: String,
    #[schema(value_type = i64)]
    pub team: i64,
}

/// When a task is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ApiDue {
    /// RFC 3339, UTC; for an all-day task, the start of the day in `tz`.
    pub at: String,
    /// The IANA time zone the due date was set in.
    pub tz: String,
    pub all_day: bool,
    /// The day (YYYY-MM-DD) in `tz`.
    pub date: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ApiChecklistItem {
    pub id: String,
    pub text: String,
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ApiComment {
    pub id: String,
    pub author: String,
    /// RFC 3339, UTC.
    pub at: String,
    pub text: String,
}

/// A task as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ApiTask {
    pub id: String,
    pub board: String,
    pub title: String,
    pub description: String,
    /// The column's id.
    pub column: String,
    pub due: Option<ApiDue>,
    /// RFC 3339, UTC.
    pub reminder: Option<String>,
    /// none, low, medium, high or urgent.
    pub priority: String,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub checklist: Vec<ApiChecklistItem>,
    pub comments: Vec<ApiComment>,
    /// Whether the task repeats (its rule is edited in the app).
    pub repeats: bool,
    pub created_by: String,
    pub created_at: String,
    pub updated_by: String,
    pub updated_at: String,
    /// Set once the task is done.
    pub completed_at: Option<String>,
}

/// A page of tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TaskPage {
    pub tasks: Vec<ApiTask>,
    /// Pass as `cursor` for the next page; none on the last page.
    pub next_cursor: Option<String>,
}

/// `GET /api/v1/tasks` filters; every one optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskFilter {
    /// One board's id.
    pub board: Option<String>,
    /// Tasks assigned to this name.
    pub assignee: Option<String>,
    /// Tasks with this label.
    pub label: Option<String>,
    /// Due before this instant (RFC 3339) or day (YYYY-MM-DD, UTC).
    pub due_before: Option<String>,
    /// Due at or after this instant (RFC 3339) or day (YYYY-MM-DD, UTC).
    pub due_after: Option<String>,
    /// Changed at or after this instant (RFC 3339).
    pub updated_since: Option<String>,
    /// Include done tasks [default: false].
    pub include_done: Option<bool>,
    /// From `next_cursor` of the page before.
    pub cursor: Option<String>,
    /// Tasks per page, 1–500 [default: 100].
    pub limit: Option<u32>,
}

/// `POST /api/v1/boards/{board}/tasks`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    /// 1–500 characters.
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// An instant (RFC 3339, e.g. 2027-01-15T15:00:00Z) or a day for an
    /// all-day task (2027-01-15).
    #[serde(default)]
    pub due: Option<String>,
    /// The IANA time zone of an all-day `due` [default: UTC].
    #[serde(default)]
    pub tz: Option<String>,
    /// A column's name or id [default: the board's first column].
    #[serde(default)]
    pub column: Option<String>,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub assignees: Vec<String>,
    /// none, low, medium, high or urgent [default: none].
    #[serde(default)]
    pub priority: Option<String>,
}

/// `PATCH /api/v1/boards/{board}/tasks/{task}`: only what is given
/// changes; `"due": null` clears the due date.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub due: Option<Option<String>>,
    #[serde(default)]
    pub tz: Option<String>,
    #[serde(default)]
    pub column: Option<String>,
    #[serde(default)]
    pub add_labels: Vec<String>,
    #[serde(default)]
    pub remove_labels: Vec<String>,
    #[serde(default)]
    pub add_assignees: Vec<String>,
    #[serde(default)]
    pub remove_assignees: Vec<String>,
    #[serde(default)]
    pub priority: Option<String>,
}

/// A field that was sent (even as null) is `Some`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `POST /api/v1/boards/{board}/tasks/{task}/comments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    /// 1–10,000 characters.
    pub text: String,
}

/// An error, as RFC 9457 problem details (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`about:blank` when the status says it).
    #[serde(rename = "type")]
    pub kind: String,
    /// The status's short text.
    pub title: String,
    pub status: u16,
    /// What went wrong and what to do about it.
    pub detail: String,
    /// The stable code the relay's other routes send as `error`.
    pub code: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_tells_a_cleared_due_date_from_an_absent_one() {
        let absent: TaskPatch = serde_json::from_str(r#"{"title":"x"}"#).expect("json");
        assert_eq!(absent.due, None);
        let cleared: TaskPatch = serde_json::from_str(r#"{"due":null}"#).expect("json");
        assert_eq!(cleared.due, Some(None));
        let set: TaskPatch = serde_json::from_str(r#"{"due":"2027-01-15"}"#).expect("json");
        assert_eq!(set.due, Some(Some("2027-01-15".into())));
        assert!(serde_json::from_str::<TaskPatch>(r#"{"titel":"x"}"#).is_err());
    }
}
