//! Authentication: a device token in `Authorization: Bearer …`, or `?token=`
//! for browsers (whose WebSocket API cannot set headers).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::AppState;
use crate::error::AppError;
use crate::store::Identity;

/// The authenticated device and its account.
#[derive(Debug, Clone)]
pub struct Auth(pub Identity);

fn token_from(parts: &Parts) -> Option<String> {
    if let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION)
        && let Ok(text) = value.to_str()
        && let Some(token) = text.strip_prefix("Bearer ")
    {
        return Some(token.trim().to_string());
    }
    parts.uri.query().and_then(|q| {
        q.split('&')
            .find_map(|pair| pair.strip_prefix("token="))
            .map(|t| t.to_string())
    })
}

impl FromRequestParts<Arc<AppState>> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = token_from(parts).ok_or_else(AppError::unauthorized)?;
        if token.len() > 256 {
            return Err(AppError::unauthorized());
        }
        let store = state.store.clone();
        let identity = tokio::task::spawn_blocking(move || store.identity(&token))
            .await
            .map_err(|e| AppError::internal(format!("join: {e}")))??;
        identity.map(Auth).ok_or_else(AppError::unauthorized)
    }
}
