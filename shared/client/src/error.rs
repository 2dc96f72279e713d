//! What went wrong talking to a relay.

use porchlight_store::secrets::SecretError;

/// What went wrong talking to a relay.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Something the user can fix: not signed in, a bad URL, a refused
    /// sign-in, a request the relay rejected.
    #[error("{0}")]
    Usage(String),
    /// The relay no longer takes the saved sign-in (revoked or expired).
    #[error("{0}")]
    SignedOut(String),
    /// The relay could not be reached or the connection dropped.
    #[error("{0}")]
    Network(String),
    /// The relay failed or broke the protocol.
    #[error("{0}")]
    Relay(String),
    #[error("{0}")]
    Core(#[from] porchlight_store::CoreError),
    #[error("{0}")]
    Secrets(#[from] SecretError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl ClientError {
    /// True when the user can fix it (a CLI exits 2; the app shows it inline).
    pub fn is_user_error(&self) -> bool {
        match self {
            ClientError::Usage(_) | ClientError::SignedOut(_) => true,
            ClientError::Core(e) => e.is_user_error(),
            ClientError::Secrets(_) => true,
            _ => false,
        }
    }
}

impl ClientError {
    /// True when the failure is about one request, not the relay or the
    /// sign-in: a sync pass reports it by name and goes on with the rest.
    pub fn is_per_request(&self) -> bool {
        !matches!(self, ClientError::Network(_) | ClientError::SignedOut(_))
    }
}

impl From<automerge::AutomergeError> for ClientError {
    fn from(e: automerge::AutomergeError) -> Self {
        ClientError::Core(porchlight_store::CoreError::from(e))
    }
}

/// HTTP methods for [`call`].
pub use reqwest::Method;

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

pub(crate) fn usage(message: impl Into<String>) -> ClientError {
    ClientError::Usage(message.into())
}
