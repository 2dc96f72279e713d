//! What can be wrong with a document or a change to it.

use porchlight_model::ModelError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum DocError {
    #[error("document {doc} is damaged: {reason}")]
    CorruptDocument { doc: String, reason: String },
    #[error("no task matches '{0}'; `porchlight task list` shows the tasks")]
    UnknownTask(String),
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    /// A value given for the change that is not right.
    #[error(transparent)]
    Model(#[from] ModelError),
}

impl DocError {
    /// True when the input was at fault and the user can fix it.
    pub fn is_user_error(&self) -> bool {
        matches!(self, DocError::UnknownTask(_) | DocError::Model(_))
    }
}

pub type Result<T, E = DocError> = std::result::Result<T, E>;
