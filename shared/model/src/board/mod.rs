//! The domain model: what a board, a column and a task are, independent of how
//! they are stored. Documents (`porchlight-doc`) are read into these types, and
//! the store materializes them into SQLite rows.

mod task;
mod validate;

pub use task::{
    ChecklistItem, Comment, Due, InboxState, Priority, Recurrence, RecurrenceMode, RecurrenceRule,
    Stamp, Task, WeekdayName, mention_spans, mentions_in, utc_from_millis,
};
pub use validate::{
    MAX_COMMENT, MAX_DESCRIPTION, MAX_LABEL, MAX_NAME, MAX_TITLE, check_label, check_name,
    check_text, check_title,
};

use serde::{Deserialize, Serialize};

use crate::ids::{ColumnId, DocumentId};

/// A column of a board, in display order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Column {
    pub id: ColumnId,
    pub name: String,
    pub position: String,
}

/// A board with its columns (tasks are queried separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Board {
    pub id: DocumentId,
    pub name: String,
    pub columns: Vec<Column>,
}

impl Board {
    /// Finds a column by id, exact name, or case-insensitive name.
    pub fn column(&self, key: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.id.as_str() == key || c.name == key)
            .or_else(|| {
                self.columns
                    .iter()
                    .find(|c| c.name.eq_ignore_ascii_case(key))
            })
    }

    pub fn column_names(&self) -> String {
        self.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What a shell gives to create a task.
#[derive(Debug, Clone, Default)]
pub struct NewTask {
    pub title: String,
    pub description: String,
    /// Column id or name; the board's first column when `None`.
    pub column: Option<String>,
    pub due: Option<Due>,
    pub reminder: Option<chrono::DateTime<chrono::Utc>>,
    pub priority: Priority,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub listings: Vec<String>,
    pub recurrence: Option<Recurrence>,
}
