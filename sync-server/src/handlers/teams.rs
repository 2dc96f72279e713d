//! Teams, members, invites and the document registry.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use porchlight_model::ids::DocumentId;
use serde::Deserialize;

use super::blocking;
use crate::AppState;
use crate::auth::Auth;
use crate::error::AppError;
use crate::store::{Role, Store};

fn require_role(store: &Store, account: i64, team: i64, manage: bool) -> Result<Role, AppError> {
    let role = store
        .role(account, team)?
        .ok_or_else(|| AppError::not_found("no such team"))?;
    if manage && !role.manages() {
        return Err(AppError::forbidden(
            "only a team owner or admin can do that",
        ));
    }
    Ok(role)
}

#[derive(Debug, Deserialize)]
pub struct CreateTeam {
    pub name: String,
}

/// Creates a team and registers its workspace document.
pub async fn create(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Json(req): Json<CreateTeam>,
) -> Result<Json<serde_json::Value>, AppError> {
    let name = req.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::bad_request("a team name is 1 to 100 characters"));
    }
    let workspace_id = DocumentId::random();
    let workspace = workspace_id.to_string();
    // The workspace document itself, named after the team, so the first
    // member to sync finds it rather than an empty document.
    let mut doc =
        porchlight_doc::WorkspaceDoc::create(automerge::AutoCommit::new(), workspace_id, &name)
            .map_err(|e| {
                AppError::internal(format!("cannot create the workspace document: {e}"))
            })?;
    doc.commit(
        &porchlight_doc::ChangeNote::new("team.create", "relay"),
        chrono::Utc::now(),
    );
    let bytes = doc.into_doc().save();
    let store = state.store.clone();
    let ws = workspace.clone();
    let team = blocking(move || {
        let team = store.create_team(id.account, &name, &ws)?;
        store.append_chunks(&[(ws, bytes)])?;
        Ok(team)
    })
    .await?;
    Ok(Json(
        serde_json::json!({ "id": team, "workspace": workspace }),
    ))
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
) -> Result<Json<Vec<crate::store::TeamInfo>>, AppError> {
    let store = state.store.clone();
    Ok(Json(blocking(move || Ok(store.teams(id.account)?)).await?))
}

pub async fn members(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Path(team): Path<i64>,
) -> Result<Json<Vec<crate::store::MemberInfo>>, AppError> {
    let store = state.store.clone();
    blocking(move || {
        require_role(&store, id.account, team, false)?;
        Ok(Json(store.members(team)?))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct InviteRequest {
    pub role: Role,
    /// Hours until the code expires (default 72, at most 30 days).
    #[serde(default)]
    pub hours: Option<i64>,
}

pub async fn invite(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Path(team): Path<i64>,
    Json(req): Json<InviteRequest>,
) -> Result<Json<porchlight_model::team::Invite>, AppError> {
    if req.role == Role::Owner {
        return Err(AppError::bad_request(
            "invite as admin, member or viewer; ownership is not given by invite",
        ));
    }
    let hours = req.hours.unwrap_or(72).clamp(1, 24 * 30);
    let expires = chrono::Utc::now().timestamp_millis() + hours * 3_600_000;
    let store = state.store.clone();
    blocking(move || {
        require_role(&store, id.account, team, true)?;
        let code = store.create_invite(team, req.role, expires, id.account)?;
        Ok(Json(porchlight_model::team::Invite {
            code,
            role: req.role,
            expires_at: expires,
        }))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct JoinRequest {
    pub code: String,
}

pub async fn join(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Json(req): Json<JoinRequest>,
) -> Result<Json<serde_json::Value>, AppError> {
    let store = state.store.clone();
    blocking(move || match store.join(id.account, &req.code)? {
        Some((team, role)) => Ok(Json(serde_json::json!({ "team": team, "role": role }))),
        None => Err(AppError::bad_request(
            "the invite code is unknown or has expired",
        )),
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct RoleRequest {
    pub role: Role,
}

pub async fn set_role(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Path((team, account)): Path<(i64, i64)>,
    Json(req): Json<RoleRequest>,
) -> Result<Json<bool>, AppError> {
    let store = state.store.clone();
    blocking(move || {
        let mine = require_role(&store, id.account, team, true)?;
        if req.role == Role::Owner && mine != Role::Owner {
            return Err(AppError::forbidden("only an owner can make another owner"));
        }
        if !store.set_role(team, account, req.role)? {
            return Err(AppError::not_found("that account is not in the team"));
        }
        Ok(Json(true))
    })
    .await
}

pub async fn remove(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Path((team, account)): Path<(i64, i64)>,
) -> Result<Json<bool>, AppError> {
    let store = state.store.clone();
    blocking(move || {
        if account != id.account {
            require_role(&store, id.account, team, true)?;
        }
        if !store.remove_member(team, account)? {
            return Err(AppError::not_found("that account is not in the team"));
        }
        Ok(Json(true))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct RegisterRequest {
    pub document: String,
}

/// Registers a document to a team: the first team to do so owns it.
pub async fn register(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Path(team): Path<i64>,
    Json(req): Json<RegisterRequest>,
) -> Result<Json<serde_json::Value>, AppError> {
    let doc = DocumentId::parse(&req.document)
        .map_err(|e| AppError::bad_request(e.to_string()))?
        .to_string();
    let store = state.store.clone();
    blocking(move || {
        let role = require_role(&store, id.account, team, false)?;
        if role == Role::Viewer {
            return Err(AppError::forbidden("viewers cannot add documents"));
        }
        let owner = store.register_document(team, &doc)?;
        if owner != team {
            return Err(AppError::conflict("that document belongs to another team"));
        }
        Ok(Json(serde_json::json!({ "document": doc, "team": team })))
    })
    .await
}

pub async fn documents(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Path(team): Path<i64>,
) -> Result<Json<Vec<String>>, AppError> {
    let store = state.store.clone();
    blocking(move || {
        require_role(&store, id.account, team, false)?;
        Ok(Json(store.documents_of_team(team)?))
    })
    .await
}
