//! What is wrong with a value a person gave, in their terms: every variant
//! says what was wrong and how to write it instead. All of these are the
//! user's to fix (the CLI exits 2).

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ModelError {
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
    #[error("invalid date '{0}': use e.g. 2026-12-05, 'tomorrow 3pm' or 'next tue'")]
    InvalidDate(String),
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
}

pub type Result<T, E = ModelError> = std::result::Result<T, E>;
