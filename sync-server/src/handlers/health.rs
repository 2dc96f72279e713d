//! Health, readiness and Prometheus metrics.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use crate::AppState;

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when storage answers and the hub is running.
pub async fn readyz(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let store = state.store.clone();
    let db = tokio::task::spawn_blocking(move || store.account_count()).await;
    match (db, state.hub.is_closed()) {
        (Ok(Ok(_)), false) => (StatusCode::OK, "ready"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "not ready"),
    }
}

pub async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

/// The OpenAPI document of every endpoint.
pub async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../openapi.json"),
    )
}
