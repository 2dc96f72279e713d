//! The one error type of the core, in the user's terms.
//!
//! Every variant says what went wrong and, where it helps, how to fix it.
//! [`CoreError::is_user_error`] separates bad input (the user can fix it; the
//! CLI exits 2) from failures of the machine or the data (exit 1).

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CoreError {
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
    #[error("nobody is called @{name} on these boards (people: {known})")]
    UnknownPerson { name: String, known: String },
    #[error("@{0} is already someone's name on these boards; pick another, or rename them first")]
    NameTaken(String),
    #[error(
        "@{name} is a former name of @{now} on these boards (their old mentions still mean them); pick another"
    )]
    FormerName { name: String, now: String },
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
    #[error("no template '{name}' (or more than one); the templates are: {known}")]
    UnknownTemplate { name: String, known: String },
    #[error("a template named '{0}' exists already; `porchlight template edit` changes it")]
    DuplicateTemplate(String),
    #[error("cannot import this {format} file: {reason}")]
    ImportFile {
        format: &'static str,
        reason: String,
    },
    #[error(
        "{count} row(s) cannot be imported ({first}); fix them, or pass --skip-bad to import the rest (--dry-run lists them all)"
    )]
    ImportProblems { count: usize, first: String },
    #[error("no item '{0}' in your inbox; `porchlight inbox --all` lists them with their ids")]
    UnknownInboxItem(String),
    #[error("no listing '{0}' in the cache; `porchlight listings search` lists them")]
    UnknownListing(String),
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
    /// A value a person gave that is not right (the domain model's errors).
    #[error(transparent)]
    Model(#[from] porchlight_model::ModelError),
    #[error("storage error: {0}")]
    Storage(#[from] rusqlite::Error),
    #[error("document {doc} is damaged: {reason}")]
    CorruptDocument { doc: String, reason: String },
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
}

impl From<porchlight_doc::DocError> for CoreError {
    fn from(e: porchlight_doc::DocError) -> Self {
        use porchlight_doc::DocError;
        match e {
            DocError::CorruptDocument { doc, reason } => CoreError::CorruptDocument { doc, reason },
            DocError::UnknownTask(id) => CoreError::UnknownTask(id),
            DocError::Automerge(e) => CoreError::Automerge(e),
            DocError::Model(e) => CoreError::Model(e),
        }
    }
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
