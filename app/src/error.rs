//! The one error type commands return: tagged, serializable, and already
//! worded for the person using the app.

use porchlight_client::ClientError;
use porchlight_store::CoreError;
use serde::Serialize;

/// `{ "kind": "...", "message": "..." }` in the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, ts_rs::TS)]
#[serde(tag = "kind", content = "message", rename_all = "snake_case")]
pub enum AppError {
    /// Bad input the person can correct (an empty title, an impossible date).
    #[error("{0}")]
    Invalid(String),
    /// Something named that does not exist (any more).
    #[error("{0}")]
    NotFound(String),
    /// The relay cannot be reached.
    #[error("{0}")]
    Offline(String),
    /// The relay refused or failed (wrong password, no access).
    #[error("{0}")]
    Relay(String),
    /// A fault in the app or its storage; details are in the log.
    #[error("{0}")]
    Internal(String),
}

impl From<porchlight_store::ModelError> for AppError {
    fn from(e: porchlight_store::ModelError) -> Self {
        CoreError::from(e).into()
    }
}

impl From<porchlight_store::listings::SinkError> for AppError {
    fn from(e: porchlight_store::listings::SinkError) -> Self {
        if e.is_user_error() {
            AppError::Invalid(e.to_string())
        } else {
            AppError::Internal(e.to_string())
        }
    }
}

impl From<CoreError> for AppError {
    fn from(e: CoreError) -> Self {
        let message = e.to_string();
        match e {
            CoreError::UnknownBoard(_)
            | CoreError::UnknownTask(_)
            | CoreError::UnknownColumn { .. }
            | CoreError::UnknownChecklistItem { .. }
            | CoreError::UnknownVersion { .. }
            | CoreError::UnknownListing(_)
            | CoreError::UnknownInboxItem(_)
            | CoreError::UnknownTemplate { .. } => AppError::NotFound(message),
            e if e.is_user_error() => AppError::Invalid(message),
            _ => {
                tracing::error!(error = %message, "core error");
                AppError::Internal(message)
            }
        }
    }
}

impl From<ClientError> for AppError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Core(core) => core.into(),
            ClientError::Usage(m) | ClientError::SignedOut(m) => AppError::Relay(m),
            ClientError::Network(m) => AppError::Offline(m),
            ClientError::Relay(m) => AppError::Relay(m),
            other => AppError::Internal(other.to_string()),
        }
    }
}

pub type Result<T> = std::result::Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_serialize_tagged_for_the_ui() {
        let e: AppError = CoreError::Model(porchlight_store::ModelError::EmptyTitle).into();
        let json = serde_json::to_value(&e).expect("json");
        assert_eq!(json["kind"], "invalid");
        assert!(json["message"].as_str().expect("message").contains("title"));
        let e: AppError = CoreError::UnknownTask("abc".into()).into();
        assert_eq!(serde_json::to_value(&e).expect("json")["kind"], "not_found");
        let e: AppError = ClientError::Network("cannot reach the relay".into()).into();
        assert_eq!(serde_json::to_value(&e).expect("json")["kind"], "offline");
    }
}
