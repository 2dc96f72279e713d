//! A team's webhooks (owners and admins): add one (its signing secret is
//! shown once), list, remove, send a test event, read the delivery log.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use porchlight_api::ErrorBody;
use porchlight_api::webhooks::{CreateWebhook, CreatedWebhook, DeliveryInfo, EVENTS, WebhookInfo};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

use super::teams::require_role;
use crate::AppState;
use crate::auth::{Auth, Source};
use crate::error::AppError;
use crate::extract::{Path, Query};
use crate::store::{Audit, Webhook};

/// Longest webhook URL.
const MAX_URL: usize = 2048;

fn info(h: &Webhook) -> WebhookInfo {
    WebhookInfo {
        id: h.id,
        url: h.url.clone(),
        events: h.events.clone(),
        board: (!h.board.is_empty()).then(|| h.board.clone()),
        format: h.format.clone(),
        created_at: h.created_at,
        disabled_at: h.disabled_at,
    }
}

/// Adds an endpoint; the reply holds its signing secret, shown only here.
#[utoipa::path(
    post,
    path = "/api/teams/{id}/webhooks",
    tag = "webhooks",
    security(("device" = [])),
    params(("id" = i64, Path, description = "The team")),
    request_body = CreateWebhook,
    responses(
        (status = 200, description = "The endpoint and its secret (shown once)", body = CreatedWebhook),
        (status = 400, description = "The URL, an event, the board or the format is wrong (the message says how)", body = ErrorBody),
        (status = 403, description = "Only owners and admins add webhooks, or the team has as many as it may", body = ErrorBody),
        (status = 404, description = "No such team, or the caller is not in it", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Source(src): Source,
    Path(team): Path<i64>,
    crate::extract::Json(req): crate::extract::Json<CreateWebhook>,
) -> Result<Json<CreatedWebhook>, AppError> {
    let store = &*state.store;
    require_role(store, &id, team, true).await?;
    let url = req.url.trim().to_string();
    if url.len() > MAX_URL {
        return Err(AppError::bad_request(format!(
            "the URL is longer than {MAX_URL} characters"
        )));
    }
    crate::webhooks::check_target(&url, state.config.limits.webhook_private_targets)
        .await
        .map_err(AppError::bad_request)?;
    let mut events: Vec<String> = Vec::new();
    for e in &req.events {
        let e = e.trim();
        if !EVENTS.contains(&e) {
            return Err(AppError::bad_request(format!(
                "'{e}' is not an event; the events are: {}",
                EVENTS.join(", ")
            )));
        }
        if !events.iter().any(|x| x == e) {
            events.push(e.to_string());
        }
    }
    let board = req.board.unwrap_or_default();
    if !board.is_empty() && store.team_of_document(&board).await? != Some(team) {
        return Err(AppError::bad_request(format!(
            "the team has no board {board}; `porchlight board list` shows the ids"
        )));
    }
    let format = req
        .format
        .as_deref()
        .unwrap_or("standard")
        .trim()
        .to_lowercase();
    if !["standard", "slack", "teams", "discord"].contains(&format.as_str()) {
        return Err(AppError::bad_request(format!(
            "'{format}' is not a format; use standard, slack, teams or discord"
        )));
    }
    let mut hook = Webhook {
        id: 0,
        team,
        url,
        secret: crate::webhooks::new_secret(),
        events,
        board,
        format,
        created_by: id.account,
        created_at: crate::store::now_ms(),
        disabled_at: None,
    };
    hook.id = store.create_webhook(&hook).await?;
    store
        .audit(Audit {
            event: "webhook.created",
            actor: Some(id.account),
            team: Some(team),
            source: Some(src),
            target: Some(format!("webhook {} {}", hook.id, hook.url)),
        })
        .await;
    Ok(Json(CreatedWebhook {
        secret: hook.secret.clone(),
        info: info(&hook),
    }))
}

/// The team's endpoints (never their secrets).
#[utoipa::path(
    get,
    path = "/api/teams/{id}/webhooks",
    tag = "webhooks",
    security(("device" = [])),
    params(("id" = i64, Path, description = "The team")),
    responses(
        (status = 200, description = "Oldest first", body = Vec<WebhookInfo>),
        (status = 403, description = "Only owners and admins see webhooks", body = ErrorBody),
        (status = 404, description = "No such team, or the caller is not in it", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Path(team): Path<i64>,
) -> Result<Json<Vec<WebhookInfo>>, AppError> {
    require_role(&*state.store, &id, team, true).await?;
    Ok(Json(
        state.store.webhooks(team).await?.iter().map(info).collect(),
    ))
}

/// Removes an endpoint; what it had not been sent yet is dropped.
#[utoipa::path(
    delete,
    path = "/api/teams/{id}/webhooks/{hook}",
    tag = "webhooks",
    security(("device" = [])),
    params(
        ("id" = i64, Path, description = "The team"),
        ("hook" = i64, Path, description = "The webhook's id, as the list shows it"),
    ),
    responses(
        (status = 200, description = "Removed", body = bool, content_type = "application/json"),
        (status = 403, description = "Only owners and admins remove webhooks", body = ErrorBody),
        (status = 404, description = "No such webhook in this team", body = ErrorBody),
    )
)]
pub async fn remove(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Source(src): Source,
    Path((team, hook)): Path<(i64, i64)>,
) -> Result<Json<bool>, AppError> {
    let store = &*state.store;
    require_role(store, &id, team, true).await?;
    if !store.remove_webhook(team, hook).await? {
        return Err(AppError::not_found(format!(
            "the team has no webhook {hook}; `porchlight webhook list` shows them"
        )));
    }
    store
        .audit(Audit {
            event: "webhook.removed",
            actor: Some(id.account),
            team: Some(team),
            source: Some(src),
            target: Some(format!("webhook {hook}")),
        })
        .await;
    Ok(Json(true))
}

/// Queues a `webhook.test` event for one endpoint (even a disabled one),
/// sent at once; its delivery shows in the log.
#[utoipa::path(
    post,
    path = "/api/teams/{id}/webhooks/{hook}/test",
    tag = "webhooks",
    security(("device" = [])),
    params(
        ("id" = i64, Path, description = "The team"),
        ("hook" = i64, Path, description = "The webhook's id"),
    ),
    responses(
        (status = 200, description = "Queued: the event's id", body = String, content_type = "application/json"),
        (status = 403, description = "Only owners and admins test webhooks", body = ErrorBody),
        (status = 404, description = "No such webhook in this team", body = ErrorBody),
    )
)]
pub async fn test(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Path((team, hook)): Path<(i64, i64)>,
) -> Result<Json<String>, AppError> {
    let store = &*state.store;
    require_role(store, &id, team, true).await?;
    if !store.webhooks(team).await?.iter().any(|h| h.id == hook) {
        return Err(AppError::not_found(format!(
            "the team has no webhook {hook}; `porchlight webhook list` shows them"
        )));
    }
    let e = crate::webhooks::event(
        "webhook.test",
        team,
        None,
        json!({ "message": "a test from Porchlight: this webhook works" }),
    );
    let event_id = e.id.clone();
    store.enqueue_events(team, Some(hook), &[e]).await?;
    state.webhook_wake.notify_one();
    Ok(Json(event_id))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Deliveries older than this delivery id (the last id of the page
    /// before).
    pub before: Option<i64>,
    /// At most this many, 1–500 [default: 50].
    pub limit: Option<i64>,
}

/// An endpoint's deliveries, newest first: state, attempts, the receiver's
/// status, latency.
#[utoipa::path(
    get,
    path = "/api/teams/{id}/webhooks/{hook}/deliveries",
    tag = "webhooks",
    security(("device" = [])),
    params(
        ("id" = i64, Path, description = "The team"),
        ("hook" = i64, Path, description = "The webhook's id"),
        LogQuery,
    ),
    responses(
        (status = 200, description = "Newest first", body = Vec<DeliveryInfo>),
        (status = 403, description = "Only owners and admins read the log", body = ErrorBody),
        (status = 404, description = "No such webhook in this team", body = ErrorBody),
    )
)]
pub async fn deliveries(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Path((team, hook)): Path<(i64, i64)>,
    Query(q): Query<LogQuery>,
) -> Result<Json<Vec<DeliveryInfo>>, AppError> {
    let store = &*state.store;
    require_role(store, &id, team, true).await?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::bad_request(format!(
            "limit is 1 to 500, not {limit}"
        )));
    }
    Ok(Json(store.deliveries(team, hook, q.before, limit).await?))
}
