//! The one error type of the core, in the user's terms.
//!
//! Every variant says what went wrong and, where it helps, how to fix it.
//! [`CoreError::is_user_error`] separates bad input (the user can fix it; the
//! CLI exits 2) from failures of the machine or the data (exit 1).

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CoreError {
    #[error("a task needs a title; write a few words describing it")]
    EmptyTitle,
    #[error("{field} is {len} characters long; the limit is {max}")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("a {what} needs a name")]
    EmptyName { what: &'static str },
    #[error("no board matches '{0}'; `porchlight board list` shows the boards")]
    UnknownBoard(String),
    #[error("'{0}' matches several boards ({1}); give more of the name or the id")]
    AmbiguousBoard(String, String),
    #[error("board '{board}' has no column '{column}' (its columns: {known})")]
    UnknownColumn {
        board: String,
        column: String,
        known: String,
    },
    #[error("column '{0}' already exists on this board")]
    DuplicateColumn(String),
    #[error(
        "column '{column}' still holds {count} task(s); move them first or name a column to move them to"
    )]
    ColumnNotEmpty { column: String, count: usize },
    #[error("a board needs at least one column")]
    LastColumn,
    #[error("no task matches '{0}'; `porchlight task list` shows the tasks")]
    UnknownTask(String),
    #[error("'{0}' matches several tasks ({1}); give more of the id")]
    AmbiguousTask(String, String),
    #[error(
        "task {task} has no checklist item '{item}'; give its position (1 to {count}) or the start of its id"
    )]
    UnknownChecklistItem {
        task: String,
        item: String,
        count: usize,
    },
    #[error("task {task} has no version '{version}'; `porchlight task history {task}` lists them")]
    UnknownVersion { task: String, version: String },
    #[error("invalid date '{0}': use e.g. 2026-12-05, 'tomorrow 3pm' or 'next tue'")]
    InvalidDate(String),
    #[error("no listing '{0}' in the cache; `porchlight listings search` lists them")]
    UnknownListing(String),
    #[error("unknown time zone '{0}': use an IANA name such as America/New_York or Europe/Berlin")]
    InvalidTimeZone(String),
    #[error("invalid priority '{0}': use none, low, medium, high or urgent")]
    InvalidPriority(String),
    #[error(
        "invalid recurrence '{0}': use e.g. 'every day', 'every monday', 'every 2 weeks' or 'every month on the 1st'"
    )]
    InvalidRecurrence(String),
    #[error("invalid {what} '{value}': {hint}")]
    InvalidValue {
        what: &'static str,
        value: String,
        hint: &'static str,
    },
    #[error("'{0}' is not a valid document id (expected an automerge: URL or a bs58check id)")]
    InvalidDocumentId(String),
    #[error("{path} is not a Porchlight board file: {reason}")]
    NotABoardFile { path: String, reason: String },
    #[error(
        "cannot open the profile database {path}: {reason}. If the file is damaged, move it aside \
         (the profile starts empty) or restore it from a backup"
    )]
    CorruptDatabase { path: PathBuf, reason: String },
    #[error(
        "the profile database {path} was written by a newer Porchlight (schema {found}, this build knows {known}); upgrade Porchlight"
    )]
    DatabaseTooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("cannot use the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("storage error: {0}")]
    Storage(#[from] rusqlite::Error),
    #[error("document {doc} is damaged: {reason}")]
    CorruptDocument { doc: String, reason: String },
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
}

impl CoreError {
    /// True when the input was at fault and the user can fix it.
    pub fn is_user_error(&self) -> bool {
        !matches!(
            self,
            CoreError::CorruptDatabase { .. }
                | CoreError::DatabaseTooNew { .. }
                | CoreError::DataDir { .. }
                | CoreError::Storage(_)
                | CoreError::CorruptDocument { .. }
                | CoreError::Automerge(_)
        )
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;
