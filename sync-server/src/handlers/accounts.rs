//! Accounts and device tokens.

use std::sync::Arc;

use crate::extract::Path;
use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use porchlight_api::ErrorBody;
use porchlight_api::accounts::{
    DeviceInfo, LoginRequest, LoginResponse, Me, PasswordChange, PasswordChanged, SignupRequest,
    SignupResponse,
};
use porchlight_api::audit::AuditEvent;

use crate::AppState;
use crate::auth::{Auth, Source};
use crate::error::AppError;
use crate::limits::PeerAddr;
use crate::store::{AUDIT_PAGE, Audit, StoreError};

/// Validates and normalizes an email; nothing else looks at one first.
pub fn check_email(email: &str) -> Result<String, AppError> {
    if email.len() > 320 {
        return Err(AppError::bad_request(
            "that is not an email address (longer than 254 characters)",
        ));
    }
    let email = email.trim().to_lowercase();
    let ok = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email
            .split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && b.contains('.'));
    if !ok {
        return Err(AppError::bad_request("that is not an email address"));
    }
    Ok(email)
}

/// Creates an account. The first account administers the relay; later
/// ones need an invite code unless registration is open.
#[utoipa::path(
    post,
    path = "/api/signup",
    tag = "accounts",
    request_body = SignupRequest,
    responses(
        (status = 200, description = "The account was created", body = SignupResponse),
        (status = 400, description = "Not an email address, a password out of bounds, or (with an invite) a bad invite or a taken email: one answer for both", body = ErrorBody),
        (status = 403, description = "Registration is by invitation", body = ErrorBody),
        (status = 409, description = "The email is taken (open registration, no invite)", body = ErrorBody),
        (status = 429, description = "Too many sign-ups from this address", body = ErrorBody),
        (status = 503, description = "Too many password checks at once; see Retry-After", body = ErrorBody),
    )
)]
pub async fn signup(
    State(state): State<Arc<AppState>>,
    ConnectInfo(PeerAddr(peer)): ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    crate::extract::Json(req): crate::extract::Json<SignupRequest>,
) -> Result<Json<SignupResponse>, AppError> {
    let email = check_email(&req.email)?;
    if req.password.chars().count() < 8 || req.password.len() > 1024 {
        return Err(AppError::bad_request(
            "the password must be 8 to 1024 characters long",
        ));
    }
    if req.invite.as_ref().is_some_and(|i| i.len() > 128) {
        return Err(AppError::bad_request(crate::store::SIGNUP_REFUSED));
    }
    let name = req
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| email.split('@').next().unwrap_or_default())
        .chars()
        .take(100)
        .collect::<String>();
    let ip = state.guards.client_ip(peer, &headers);
    state.guards.signup(ip).await?;
    let source = ip.to_string();
    let store = &*state.store;
    let first = store.account_count().await? == 0;
    if !first && !state.config.open_registration && req.invite.is_none() {
        return Err(AppError::forbidden(
            "registration is by invitation: ask a team admin for an invite code",
        ));
    }
    let permit = state.guards.hashing().await?;
    let created =
        crate::accounts::sign_up(store, &email, &name, &req.password, req.invite.as_deref())
            .await?;
    drop(permit);
    store
        .audit(Audit {
            event: "signup",
            actor: Some(created.account),
            team: None,
            source: Some(source.clone()),
            target: Some(email),
        })
        .await;
    if let Some((team, role)) = created.team {
        store
            .audit(Audit {
                event: "invite.used",
                actor: Some(created.account),
                team: Some(team),
                source: Some(source),
                target: Some(format!("role {}", role.as_str())),
            })
            .await;
        crate::webhooks::member_joined(&state, team, created.account, role.as_str()).await;
    }
    Ok(Json(SignupResponse {
        account: created.account,
        admin: created.admin,
        team: created.team.map(|(team, _)| team),
    }))
}

/// Signs in and makes a device token.
#[utoipa::path(
    post,
    path = "/api/login",
    tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "A new device token", body = LoginResponse),
        (status = 401, description = "Wrong email or password", body = ErrorBody),
        (status = 429, description = "Too many logins from this address or for this account; see Retry-After", body = ErrorBody),
        (status = 503, description = "Too many password checks at once; see Retry-After", body = ErrorBody),
    )
)]
pub async fn login(
    State(state): State<Arc<AppState>>,
    ConnectInfo(PeerAddr(peer)): ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    crate::extract::Json(req): crate::extract::Json<LoginRequest>,
) -> Result<Json<LoginResponse>, AppError> {
    let email = check_email(&req.email).map_err(|_| bad_credentials())?;
    if req.password.len() > 1024 {
        return Err(bad_credentials());
    }
    let ip = state.guards.client_ip(peer, &headers);
    state.guards.login(ip, &email).await?;
    let device = req
        .device
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .unwrap_or("device")
        .chars()
        .take(100)
        .collect::<String>();
    let store = &*state.store;
    let permit = state.guards.hashing().await?;
    let limits = &state.config.limits;
    let result = crate::accounts::log_in(
        store,
        &email,
        &req.password,
        &device,
        limits.devices_per_account,
        limits.token_days,
    )
    .await;
    drop(permit);
    let (event, actor) = match &result {
        Ok(Some((_, _, account))) => ("login", Some(*account)),
        Ok(None) => ("login.failed", None),
        Err(StoreError::Quota(_)) => ("quota", None),
        Err(_) => ("login.error", None),
    };
    store
        .audit(Audit {
            event,
            actor,
            team: None,
            source: Some(ip.to_string()),
            target: Some(email),
        })
        .await;
    match result? {
        Some((token, device, _)) => Ok(Json(LoginResponse { token, device })),
        None => Err(bad_credentials()),
    }
}

pub(super) fn bad_credentials() -> AppError {
    AppError::new(
        axum::http::StatusCode::UNAUTHORIZED,
        "bad_credentials",
        "wrong email or password",
    )
}

/// Who the token belongs to.
#[utoipa::path(
    get,
    path = "/api/me",
    tag = "accounts",
    security(("device" = [])),
    responses(
        (status = 200, description = "The token's account and device, and whether it administers the relay", body = Me),
        (status = 401, description = "No valid token", body = ErrorBody),
    )
)]
pub async fn me(State(state): State<Arc<AppState>>, Auth(id): Auth) -> Result<Json<Me>, AppError> {
    let admin = state.store.is_admin(id.account).await?;
    Ok(Json(Me {
        account: id.account,
        device: id.device,
        email: id.email,
        admin,
    }))
}

/// Revokes one of the account's devices (its token stops working).
#[utoipa::path(
    delete,
    path = "/api/devices/{id}",
    tag = "accounts",
    security(("device" = [])),
    params(("id" = i64, Path, description = "The device, as login returned it")),
    responses(
        (status = 200, description = "Revoked", body = bool, content_type = "application/json"),
        (status = 404, description = "No such device on this account", body = ErrorBody),
    )
)]
pub async fn revoke_device(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Source(src): Source,
    Path(device): Path<i64>,
) -> Result<Json<bool>, AppError> {
    let done = state.store.revoke_device(id.account, device).await?;
    if done {
        state
            .store
            .audit(Audit {
                event: "device.revoked",
                actor: Some(id.account),
                team: None,
                source: Some(src),
                target: Some(format!("device {device}")),
            })
            .await;
    }
    if !done {
        return Err(AppError::not_found("no such device on your account"));
    }
    state.device_revoked(device).await;
    Ok(Json(true))
}

/// The account's signed-in devices (tokens neither revoked nor expired).
#[utoipa::path(
    get,
    path = "/api/devices",
    tag = "accounts",
    security(("device" = [])),
    responses(
        (status = 200, description = "Newest first; `current` is the device asking", body = Vec<DeviceInfo>),
        (status = 401, description = "No valid token", body = ErrorBody),
    )
)]
pub async fn devices(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
) -> Result<Json<Vec<DeviceInfo>>, AppError> {
    let days = state.config.limits.token_days;
    Ok(Json(
        state.store.devices(id.account, id.device, days).await?,
    ))
}

/// Changes the password and signs every other device out (their open
/// connections close).
#[utoipa::path(
    post,
    path = "/api/password",
    tag = "accounts",
    security(("device" = [])),
    request_body = PasswordChange,
    responses(
        (status = 200, description = "Changed; how many other devices were signed out", body = PasswordChanged),
        (status = 400, description = "The new password is out of bounds", body = ErrorBody),
        (status = 401, description = "The current password is wrong", body = ErrorBody),
        (status = 429, description = "Too many attempts from this address or for this account; see Retry-After", body = ErrorBody),
        (status = 503, description = "Too many password checks at once; see Retry-After", body = ErrorBody),
    )
)]
pub async fn change_password(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Source(src): Source,
    crate::extract::Json(req): crate::extract::Json<PasswordChange>,
) -> Result<Json<PasswordChanged>, AppError> {
    if req.new.chars().count() < 8 || req.new.len() > 1024 || req.current.len() > 1024 {
        return Err(AppError::bad_request(
            "the new password must be 8 to 1024 characters long",
        ));
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
    let revoked =
        crate::accounts::change_password(store, id.account, id.device, &req.current, &req.new)
            .await?
            .ok_or_else(bad_credentials)?;
    drop(permit);
    store
        .audit(Audit {
            event: "password.changed",
            actor: Some(id.account),
            team: None,
            source: Some(src),
            target: Some(format!("{} other devices signed out", revoked.len())),
        })
        .await;
    for device in &revoked {
        state.device_revoked(*device).await;
    }
    Ok(Json(PasswordChanged {
        revoked: revoked.len() as u32,
    }))
}

/// Which page of an audit log.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct AuditPage {
    /// Events older than this event id (the last `id` of the previous page).
    pub before: Option<i64>,
    /// At most this many (default 100, at most 500).
    pub limit: Option<i64>,
}

/// Account-level events of every account (sign-ups, logins, devices,
/// password changes): the relay admin's view.
#[utoipa::path(
    get,
    path = "/api/audit",
    tag = "accounts",
    security(("device" = [])),
    params(AuditPage),
    responses(
        (status = 200, description = "Newest first", body = Vec<AuditEvent>),
        (status = 403, description = "Only the relay's admin", body = ErrorBody),
    )
)]
pub async fn audit(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    crate::extract::Query(page): crate::extract::Query<AuditPage>,
) -> Result<Json<Vec<AuditEvent>>, AppError> {
    if !state.store.is_admin(id.account).await? {
        return Err(AppError::forbidden(
            "only the relay's admin (its first account) reads the account log; team owners and admins read their team's with `porchlight team audit`",
        ));
    }
    Ok(Json(
        state
            .store
            .account_audit(page.before, page.limit.unwrap_or(100).min(AUDIT_PAGE))
            .await?,
    ))
}
