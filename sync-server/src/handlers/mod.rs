//! HTTP handlers by area.

pub mod accounts;
pub mod apikeys;
pub mod calendar;
pub mod export;
pub mod health;
pub mod reset;
pub mod settings;
pub mod sync;
pub mod teams;
pub mod v1;
pub mod webhooks;

use crate::error::AppError;

/// Runs blocking storage work off the async workers.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::internal(format!("join: {e}")))?
}
