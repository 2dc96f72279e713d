//! A team's API keys (owners and admins): make one (shown once), list them,
//! revoke one (its open connections close at once).

use std::sync::Arc;

use crate::extract::Path;
use axum::Json;
use axum::extract::State;
use porchlight_api::ErrorBody;
use porchlight_api::apikeys::{ApiKeyInfo, CreateApiKey, CreatedApiKey};

use super::teams::require_role;
use crate::AppState;
use crate::auth::{Auth, Source};
use crate::error::AppError;
use crate::store::Audit;

/// The longest key name.
pub const MAX_KEY_NAME: usize = 100;

/// Makes an API key for the team; the reply is the only time the key is
/// shown.
#[utoipa::path(
    post,
    path = "/api/teams/{id}/apikeys",
    tag = "teams",
    security(("device" = [])),
    params(("id" = i64, Path, description = "The team")),
    request_body = CreateApiKey,
    responses(
        (status = 200, description = "The key (shown once) and its record", body = CreatedApiKey),
        (status = 400, description = "The name is empty or too long, or the expiry is out of range", body = ErrorBody),
        (status = 403, description = "Only owners and admins make keys", body = ErrorBody),
        (status = 404, description = "No such team, or the caller is not in it", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Source(src): Source,
    Path(team): Path<i64>,
    crate::extract::Json(req): crate::extract::Json<CreateApiKey>,
) -> Result<Json<CreatedApiKey>, AppError> {
    let name = req.name.trim().to_string();
    if name.is_empty() || name.chars().count() > MAX_KEY_NAME {
        return Err(AppError::bad_request(format!(
            "give the key a name of 1 to {MAX_KEY_NAME} characters that says what it is for"
        )));
    }
    let expires_at = match req.expires_days {
        None => None,
        Some(d @ 1..=3650) => {
            Some(chrono::Utc::now().timestamp_millis() + i64::from(d) * 86_400_000)
        }
        Some(d) => {
            return Err(AppError::bad_request(format!(
                "a key expires after 1 to 3650 days, not {d}; leave the expiry out for a key that lasts until it is revoked"
            )));
        }
    };
    let store = &*state.store;
    require_role(store, &id, team, true).await?;
    let (key, info) =
        crate::accounts::create_api_key(store, team, id.account, &name, req.scope, expires_at)
            .await?;
    store
        .audit(Audit {
            event: "apikey.created",
            actor: Some(id.account),
            team: Some(team),
            source: Some(src),
            target: Some(format!(
                "key {} '{}' ({})",
                info.id,
                info.name,
                info.scope.as_str()
            )),
        })
        .await;
    Ok(Json(CreatedApiKey { key, info }))
}

/// The team's keys that still work (never the keys themselves).
#[utoipa::path(
    get,
    path = "/api/teams/{id}/apikeys",
    tag = "teams",
    security(("device" = [])),
    params(("id" = i64, Path, description = "The team")),
    responses(
        (status = 200, description = "Newest first", body = Vec<ApiKeyInfo>),
        (status = 403, description = "Only owners and admins see keys", body = ErrorBody),
        (status = 404, description = "No such team, or the caller is not in it", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Path(team): Path<i64>,
) -> Result<Json<Vec<ApiKeyInfo>>, AppError> {
    require_role(&*state.store, &id, team, true).await?;
    Ok(Json(state.store.api_keys(team).await?))
}

/// Revokes a key: it stops working and its open connections close.
#[utoipa::path(
    delete,
    path = "/api/teams/{id}/apikeys/{key}",
    tag = "teams",
    security(("device" = [])),
    params(
        ("id" = i64, Path, description = "The team"),
        ("key" = i64, Path, description = "The key's id, as the list shows it"),
    ),
    responses(
        (status = 200, description = "Revoked", body = bool, content_type = "application/json"),
        (status = 403, description = "Only owners and admins revoke keys", body = ErrorBody),
        (status = 404, description = "No such live key in this team", body = ErrorBody),
    )
)]
pub async fn revoke(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Source(src): Source,
    Path((team, key)): Path<(i64, i64)>,
) -> Result<Json<bool>, AppError> {
    let store = &*state.store;
    require_role(store, &id, team, true).await?;
    if !store.revoke_api_key(team, key).await? {
        return Err(AppError::not_found(format!(
            "the team has no live API key {key}; `porchlight apikey list` shows them"
        )));
    }
    store
        .audit(Audit {
            event: "apikey.revoked",
            actor: Some(id.account),
            team: Some(team),
            source: Some(src),
            target: Some(format!("key {key}")),
        })
        .await;
    state.key_revoked(key).await;
    Ok(Json(true))
}
