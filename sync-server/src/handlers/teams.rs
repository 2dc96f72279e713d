//! Teams, members, invites and the document registry.

use std::sync::Arc;

use crate::extract::Path;
use axum::Json;
use axum::extract::State;
use porchlight_api::ErrorBody;
use porchlight_api::team::{
    CreateTeam, CreatedTeam, Invite, InviteRequest, JoinRequest, Joined, MemberInfo,
    RegisterRequest, Registered, RoleRequest, TeamInfo, TransferRequest,
};
use porchlight_model::ids::DocumentId;

use crate::AppState;
use crate::auth::{Auth, Caller, Source};
use crate::error::AppError;
use crate::store::{Audit, Identity, MemberChange, Role, Storage, StoreError};

/// Passes a result on; a quota refusal is recorded in the audit log first.
pub async fn quota_audited<T>(
    store: &dyn Storage,
    actor: i64,
    team: Option<i64>,
    source: &str,
    result: Result<T, StoreError>,
) -> Result<T, StoreError> {
    if let Err(StoreError::Quota(message)) = &result {
        store
            .audit(Audit {
                event: "quota",
                actor: Some(actor),
                team,
                source: Some(source.to_string()),
                target: Some(message.clone()),
            })
            .await;
    }
    result
}

pub(super) async fn require_role(
    store: &dyn Storage,
    id: &Identity,
    team: i64,
    manage: bool,
) -> Result<Role, AppError> {
    let role = id
        .role_in(store, team)
        .await?
        .ok_or_else(|| AppError::not_found("no such team"))?;
    if manage && !role.manages() {
        return Err(AppError::forbidden(
            "only a team owner or admin can do that",
        ));
    }
    Ok(role)
}

/// Creates a team (the caller is its owner) and stores its workspace
/// document.
#[utoipa::path(
    post,
    path = "/api/teams",
    tag = "teams",
    security(("device" = [])),
    request_body = CreateTeam,
    responses(
        (status = 200, description = "The new team", body = CreatedTeam),
        (status = 400, description = "The name is empty or too long", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Source(src): Source,
    crate::extract::Json(req): crate::extract::Json<CreateTeam>,
) -> Result<Json<CreatedTeam>, AppError> {
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
    let store = &*state.store;
    let created = store
        .create_team(
            id.account,
            &name,
            &workspace,
            state.config.limits.teams_per_account,
        )
        .await;
    let team = quota_audited(store, id.account, None, &src, created).await?;
    store.append_chunks(&[(workspace.clone(), bytes)]).await?;
    store
        .audit(Audit {
            event: "team.created",
            actor: Some(id.account),
            team: Some(team),
            source: Some(src),
            target: Some(name),
        })
        .await;
    Ok(Json(CreatedTeam {
        id: team,
        workspace,
    }))
}

/// The caller's teams and their role in each.
#[utoipa::path(
    get,
    path = "/api/teams",
    tag = "teams",
    security(("device" = [])),
    responses((status = 200, description = "The caller's teams", body = Vec<TeamInfo>))
)]
pub async fn list(
    State(state): State<Arc<AppState>>,
    Caller(id): Caller,
) -> Result<Json<Vec<TeamInfo>>, AppError> {
    let store = &*state.store;
    Ok(Json(match &id.key {
        // A key sees the one team it is for.
        Some(k) => store
            .team_info(k.team)
            .await?
            .map(|(name, workspace)| TeamInfo {
                id: k.team,
                name,
                workspace,
                role: k.role(),
            })
            .into_iter()
            .collect(),
        None => store.teams(id.account).await?,
    }))
}

/// A team's members (any member may look).
#[utoipa::path(
    get,
    path = "/api/teams/{id}/members",
    tag = "teams",
    security(("device" = [])),
    params(("id" = i64, Path, description = "The team")),
    responses(
        (status = 200, description = "The members and their roles", body = Vec<MemberInfo>),
        (status = 404, description = "No such team, or the caller is not in it", body = ErrorBody),
    )
)]
pub async fn members(
    State(state): State<Arc<AppState>>,
    Caller(id): Caller,
    Path(team): Path<i64>,
) -> Result<Json<Vec<MemberInfo>>, AppError> {
    require_role(&*state.store, &id, team, false).await?;
    Ok(Json(state.store.members(team).await?))
}

/// Makes an invite code (owners and admins).
#[utoipa::path(
    post,
    path = "/api/teams/{id}/invites",
    tag = "teams",
    security(("device" = [])),
    params(("id" = i64, Path, description = "The team")),
    request_body = InviteRequest,
    responses(
        (status = 200, description = "The code, its role and expiry", body = Invite),
        (status = 400, description = "Ownership is not given by invite", body = ErrorBody),
        (status = 403, description = "Only owners and admins invite", body = ErrorBody),
        (status = 404, description = "No such team, or the caller is not in it", body = ErrorBody),
    )
)]
pub async fn invite(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Source(src): Source,
    Path(team): Path<i64>,
    crate::extract::Json(req): crate::extract::Json<InviteRequest>,
) -> Result<Json<Invite>, AppError> {
    if req.role == Role::Owner {
        return Err(AppError::bad_request(
            "invite as admin, member or viewer; ownership is not given by invite",
        ));
    }
    let hours = req.hours.unwrap_or(72).clamp(1, 24 * 30);
    let expires = chrono::Utc::now().timestamp_millis() + hours * 3_600_000;
    let store = &*state.store;
    require_role(store, &id, team, true).await?;
    let code = crate::accounts::create_invite(store, team, req.role, expires, id.account).await?;
    store
        .audit(Audit {
            event: "invite.created",
            actor: Some(id.account),
            team: Some(team),
            source: Some(src),
            target: Some(format!("role {}", req.role.as_str())),
        })
        .await;
    let (mut emailed, mut email_error) = (None, None);
    if let Some(to) = req
        .email
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let sent = match &state.mailer {
            None => Err("this relay sends no email (its admin has not set --smtp)".to_string()),
            Some(m) => {
                let team_name = store
                    .team_info(team)
                    .await?
                    .map(|(n, _)| n)
                    .unwrap_or_default();
                let inviter = store
                    .account_name(id.account)
                    .await?
                    .unwrap_or_else(|| id.email.clone());
                let mail = crate::mail::invite(
                    &team_name,
                    &inviter,
                    req.role.as_str(),
                    &code,
                    &m.public_url,
                    hours,
                );
                m.send(to, &mail).await
            }
        };
        emailed = Some(sent.is_ok());
        email_error = sent.err();
    }
    Ok(Json(Invite {
        code,
        role: req.role,
        expires_at: expires,
        emailed,
        email_error,
    }))
}

/// Joins a team with an invite code.
#[utoipa::path(
    post,
    path = "/api/join",
    tag = "teams",
    security(("device" = [])),
    request_body = JoinRequest,
    responses(
        (status = 200, description = "The team joined and the role in it", body = Joined),
        (status = 400, description = "The code is unknown or has expired", body = ErrorBody),
    )
)]
pub async fn join(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Source(src): Source,
    crate::extract::Json(req): crate::extract::Json<JoinRequest>,
) -> Result<Json<Joined>, AppError> {
    let store = &*state.store;
    match crate::accounts::join(store, id.account, &req.code).await? {
        Some((team, role)) => {
            store
                .audit(Audit {
                    event: "invite.used",
                    actor: Some(id.account),
                    team: Some(team),
                    source: Some(src),
                    target: Some(format!("role {}", role.as_str())),
                })
                .await;
            crate::webhooks::member_joined(&state, team, id.account, role.as_str()).await;
            Ok(Json(Joined { team, role }))
        }
        None => Err(AppError::bad_request(
            "the invite code is unknown or has expired",
        )),
    }
}

/// Changes a member's role. Owners and admins may; an admin only for
/// members below admin and to roles below admin; the last owner stays.
#[utoipa::path(
    put,
    path = "/api/teams/{id}/members/{account}",
    tag = "teams",
    security(("device" = [])),
    params(("id" = i64, Path, description = "The team"), ("account" = i64, Path, description = "The member's account")),
    request_body = RoleRequest,
    responses(
        (status = 200, description = "Changed", body = bool, content_type = "application/json"),
        (status = 403, description = "The caller may not change this member's role, or it is the last owner", body = ErrorBody),
        (status = 404, description = "No such team or member", body = ErrorBody),
    )
)]
pub async fn set_role(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Source(src): Source,
    Path((team, account)): Path<(i64, i64)>,
    crate::extract::Json(req): crate::extract::Json<RoleRequest>,
) -> Result<Json<bool>, AppError> {
    let store = &*state.store;
    store
        .change_member(team, id.account, account, MemberChange::Role(req.role))
        .await?;
    store
        .audit(Audit {
            event: "member.role",
            actor: Some(id.account),
            team: Some(team),
            source: Some(src),
            target: Some(format!("account {account} → {}", req.role.as_str())),
        })
        .await;
    state.access_changed(account).await;
    Ok(Json(true))
}

/// Removes a member (owners and admins; anyone may remove themselves).
#[utoipa::path(
    delete,
    path = "/api/teams/{id}/members/{account}",
    tag = "teams",
    security(("device" = [])),
    params(("id" = i64, Path, description = "The team"), ("account" = i64, Path, description = "The member's account")),
    responses(
        (status = 200, description = "Removed", body = bool, content_type = "application/json"),
        (status = 403, description = "The caller may not remove this member, or it is the last owner", body = ErrorBody),
        (status = 404, description = "No such team or member", body = ErrorBody),
    )
)]
pub async fn remove(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Source(src): Source,
    Path((team, account)): Path<(i64, i64)>,
) -> Result<Json<bool>, AppError> {
    let store = &*state.store;
    store
        .change_member(team, id.account, account, MemberChange::Remove)
        .await?;
    store
        .audit(Audit {
            event: "member.removed",
            actor: Some(id.account),
            team: Some(team),
            source: Some(src),
            target: Some(format!("account {account}")),
        })
        .await;
    state.access_changed(account).await;
    Ok(Json(true))
}

/// Hands ownership to another member; the caller (an owner) becomes an
/// admin.
#[utoipa::path(
    put,
    path = "/api/teams/{id}/owner",
    tag = "teams",
    security(("device" = [])),
    params(("id" = i64, Path, description = "The team")),
    request_body = TransferRequest,
    responses(
        (status = 200, description = "Handed over", body = bool, content_type = "application/json"),
        (status = 403, description = "Only an owner hands ownership over", body = ErrorBody),
        (status = 404, description = "No such team or member", body = ErrorBody),
    )
)]
pub async fn transfer(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Source(src): Source,
    Path(team): Path<i64>,
    crate::extract::Json(req): crate::extract::Json<TransferRequest>,
) -> Result<Json<bool>, AppError> {
    let store = &*state.store;
    store
        .transfer_ownership(team, id.account, req.account)
        .await?;
    store
        .audit(Audit {
            event: "team.transferred",
            actor: Some(id.account),
            team: Some(team),
            source: Some(src),
            target: Some(format!("account {}", req.account)),
        })
        .await;
    state.access_changed(id.account).await;
    state.access_changed(req.account).await;
    Ok(Json(true))
}

/// Registers a document to a team: the first team to do so owns it.
#[utoipa::path(
    post,
    path = "/api/teams/{id}/documents",
    tag = "teams",
    security(("device" = [])),
    params(("id" = i64, Path, description = "The team")),
    request_body = RegisterRequest,
    responses(
        (status = 200, description = "The document is the team's", body = Registered),
        (status = 400, description = "Not a document id", body = ErrorBody),
        (status = 403, description = "Viewers cannot add documents, or the team is at its quota", body = ErrorBody),
        (status = 404, description = "No such team, or the caller is not in it", body = ErrorBody),
        (status = 409, description = "The document belongs to another team", body = ErrorBody),
    )
)]
pub async fn register(
    State(state): State<Arc<AppState>>,
    Caller(id): Caller,
    Source(src): Source,
    Path(team): Path<i64>,
    crate::extract::Json(req): crate::extract::Json<RegisterRequest>,
) -> Result<Json<Registered>, AppError> {
    let doc = DocumentId::parse(&req.document)
        .map_err(|e| AppError::bad_request(e.to_string()))?
        .to_string();
    let max_docs = state.config.limits.documents_per_team;
    let store = &*state.store;
    let role = require_role(store, &id, team, false).await?;
    if role == Role::Viewer {
        return Err(AppError::forbidden("viewers cannot add documents"));
    }
    let registered = store.register_document(team, &doc, max_docs).await;
    let owner = quota_audited(store, id.account, Some(team), &src, registered).await?;
    if owner != team {
        return Err(AppError::conflict("that document belongs to another team"));
    }
    store
        .audit(Audit {
            event: "document.registered",
            actor: Some(id.account),
            team: Some(team),
            source: Some(src),
            target: Some(doc.clone()),
        })
        .await;
    Ok(Json(Registered {
        document: doc,
        team,
    }))
}

/// The documents registered to a team.
#[utoipa::path(
    get,
    path = "/api/teams/{id}/documents",
    tag = "teams",
    security(("device" = [])),
    params(("id" = i64, Path, description = "The team")),
    responses(
        (status = 200, description = "Document ids", body = Vec<String>),
        (status = 404, description = "No such team, or the caller is not in it", body = ErrorBody),
    )
)]
pub async fn documents(
    State(state): State<Arc<AppState>>,
    Caller(id): Caller,
    Path(team): Path<i64>,
) -> Result<Json<Vec<String>>, AppError> {
    require_role(&*state.store, &id, team, false).await?;
    Ok(Json(state.store.documents_of_team(team).await?))
}

/// A team's audit log (owners and admins), newest first.
#[utoipa::path(
    get,
    path = "/api/teams/{id}/audit",
    tag = "teams",
    security(("device" = [])),
    params(("id" = i64, Path, description = "The team"), super::accounts::AuditPage),
    responses(
        (status = 200, description = "Newest first; page with `before`", body = Vec<porchlight_api::audit::AuditEvent>),
        (status = 403, description = "Only owners and admins", body = ErrorBody),
        (status = 404, description = "No such team, or the caller is not in it", body = ErrorBody),
    )
)]
pub async fn audit(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Path(team): Path<i64>,
    crate::extract::Query(page): crate::extract::Query<super::accounts::AuditPage>,
) -> Result<Json<Vec<porchlight_api::audit::AuditEvent>>, AppError> {
    require_role(&*state.store, &id, team, true).await?;
    Ok(Json(
        state
            .store
            .team_audit(
                team,
                page.before,
                page.limit.unwrap_or(100).min(crate::store::AUDIT_PAGE),
            )
            .await?,
    ))
}
