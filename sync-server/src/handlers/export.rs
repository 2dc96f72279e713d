//! An account's data out (`GET /api/account/export` and each document's
//! Automerge file), and the account deleted (`POST /api/account/delete`).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use porchlight_api::ErrorBody;
use porchlight_api::export::{AccountExport, DeleteAccount, ExportedTeam};

use crate::AppState;
use crate::auth::{Auth, Source};
use crate::error::AppError;
use crate::extract::Path;
use crate::store::Audit;

/// Audit events an export holds at most.
const EXPORT_AUDIT: usize = 5_000;

/// Everything about the account: its teams and their documents (each
/// fetched on its own as an Automerge file), devices and what it did.
#[utoipa::path(
    get,
    path = "/api/account/export",
    tag = "accounts",
    security(("device" = [])),
    responses(
        (status = 200, description = "The account's data", body = AccountExport),
    )
)]
pub async fn export(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
) -> Result<Json<AccountExport>, AppError> {
    let store = &*state.store;
    let mut teams = Vec::new();
    for t in store.teams(id.account).await? {
        teams.push(ExportedTeam {
            documents: store.documents_of_team(t.id).await?,
            id: t.id,
            name: t.name,
            role: t.role,
        });
    }
    let mut audit = Vec::new();
    let mut before = None;
    while audit.len() < EXPORT_AUDIT {
        let page = store
            .actor_audit(id.account, before, crate::store::AUDIT_PAGE)
            .await?;
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        let full = page.len() as i64 == crate::store::AUDIT_PAGE;
        audit.extend(page);
        if !full {
            break;
        }
    }
    audit.truncate(EXPORT_AUDIT);
    Ok(Json(AccountExport {
        account: id.account,
        name: store.account_name(id.account).await?.unwrap_or_default(),
        email: id.email,
        admin: store.is_admin(id.account).await?,
        teams,
        devices: store
            .devices(id.account, id.device, state.config.limits.token_days)
            .await?,
        audit,
        exported_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }))
}

/// One of the account's teams' documents, as an Automerge file (what
/// `Automerge.load` or `porchlight board import` reads).
#[utoipa::path(
    get,
    path = "/api/account/export/documents/{doc}",
    tag = "accounts",
    security(("device" = [])),
    params(("doc" = String, Path, description = "A document id from the export")),
    responses(
        (status = 200, description = "The document", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, description = "No such document in the account's teams", body = ErrorBody),
    )
)]
pub async fn document(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Path(doc): Path<String>,
) -> Result<Response, AppError> {
    let store = &*state.store;
    let unknown = || AppError::not_found(format!("no document {doc} in your teams"));
    let team = store.team_of_document(&doc).await?.ok_or_else(unknown)?;
    store.role(id.account, team).await?.ok_or_else(unknown)?;
    let chunks = store.load_chunks(&doc).await?;
    let bytes = tokio::task::spawn_blocking(move || {
        crate::compact::load_document(&chunks).map(|mut d| d.save())
    })
    .await
    .map_err(|e| AppError::internal(format!("export task: {e}")))?
    .map_err(|e| AppError::internal(format!("document {doc}: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

/// Deletes the account (the password confirms): devices signed out at
/// once, memberships and calendar feeds gone; what it wrote in shared
/// documents stays, as "deleted user".
#[utoipa::path(
    post,
    path = "/api/account/delete",
    tag = "accounts",
    security(("device" = [])),
    request_body = DeleteAccount,
    responses(
        (status = 200, description = "Deleted; how many devices were signed out", body = u32, content_type = "application/json"),
        (status = 401, description = "The password is wrong", body = ErrorBody),
        (status = 403, description = "The account is the last owner of a team with other members", body = ErrorBody),
        (status = 429, description = "Too many attempts; see Retry-After", body = ErrorBody),
        (status = 503, description = "Too many password checks at once; see Retry-After", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Source(src): Source,
    crate::extract::Json(req): crate::extract::Json<DeleteAccount>,
) -> Result<Json<u32>, AppError> {
    if req.password.len() > 1024 {
        return Err(super::accounts::bad_credentials());
    }
    state
        .guards
        .login(
            src.parse().unwrap_or(std::net::IpAddr::from([0, 0, 0, 0])),
            &id.email,
        )
        .await?;
    let store = &*state.store;
    let permit = state.guards.hashing().await?;
    let revoked = crate::accounts::delete_account(store, id.account, &req.password)
        .await?
        .ok_or_else(super::accounts::bad_credentials)?;
    drop(permit);
    store
        .audit(Audit {
            event: "account.deleted",
            actor: Some(id.account),
            team: None,
            source: Some(src),
            target: Some(format!("{} devices signed out", revoked.len())),
        })
        .await;
    for device in &revoked {
        state.device_revoked(*device).await;
    }
    // Roles changed: open connections of the account lose its teams.
    state.access_changed(id.account).await;
    Ok(Json(revoked.len() as u32))
}
