//! Authentication: a device token in `Authorization: Bearer …`; for
//! browsers, whose WebSocket API cannot set headers, as a WebSocket
//! subprotocol `porchlight.token.<TOKEN>` (offered next to `porchlight`) or
//! as `?token=`. The relay logs no request URI, so a `?token=` is not
//! written anywhere. Tokens are looked up by their SHA-256 (stored hashed),
//! so no comparison ever runs on the token itself.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::AppState;
use crate::error::AppError;
use crate::store::Identity;

/// The subprotocol prefix that carries a token.
pub const TOKEN_PROTOCOL: &str = "porchlight.token.";

/// The client's address as the audit log records it (after trusted
/// proxies).
#[derive(Debug, Clone)]
pub struct Source(pub String);

impl FromRequestParts<Arc<AppState>> for Source {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<crate::limits::PeerAddr>>()
            .map(|c| c.0.0);
        Ok(Source(match peer {
            Some(peer) => state.guards.client_ip(peer, &parts.headers).to_string(),
            None => "unknown".into(),
        }))
    }
}

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
    let protocols = parts
        .headers
        .get_all(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| p.trim().strip_prefix(TOKEN_PROTOCOL).map(str::to_string));
    if protocols.is_some() {
        return protocols;
    }
    parts.uri.query().and_then(|q| {
        q.split('&')
            .find_map(|pair| pair.strip_prefix("token="))
            .map(|t| t.to_string())
    })
}

/// Any identity a token names: a device or an API key. For the routes a
/// key may use (sync, and reading its team's members and documents).
#[derive(Debug, Clone)]
pub struct Caller(pub Identity);

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = token_from(parts).ok_or_else(AppError::unauthorized)?;
        if token.len() > 256 {
            return Err(AppError::unauthorized());
        }
        let days = state.config.limits.token_days;
        crate::accounts::identity(&*state.store, &token, days)
            .await?
            .map(Caller)
            .ok_or_else(AppError::unauthorized)
    }
}

/// A signed-in device: every route that acts for an account. An API key is
/// refused here, so a route is closed to keys unless it asks for [`Caller`].
impl FromRequestParts<Arc<AppState>> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let Caller(identity) = Caller::from_request_parts(parts, state).await?;
        if identity.key.is_some() {
            return Err(AppError::forbidden(
                "an API key cannot do this: keys sync and read their team's documents; sign in as a person (porchlight login) for account and team changes",
            ));
        }
        Ok(Auth(identity))
    }
}
