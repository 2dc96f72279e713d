//! Accounts and device tokens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, State};
use porchlight_api::ErrorBody;
use porchlight_api::accounts::{LoginRequest, LoginResponse, Me, SignupRequest, SignupResponse};

use super::blocking;
use crate::AppState;
use crate::auth::Auth;
use crate::error::AppError;

/// Failed logins allowed per email within [`LOGIN_WINDOW`].
const LOGIN_ATTEMPTS: u32 = 5;
const LOGIN_WINDOW: Duration = Duration::from_secs(60);

/// Counts failed logins per email.
#[derive(Debug, Default)]
pub struct LoginLimiter(Mutex<HashMap<String, (u32, Instant)>>);

impl LoginLimiter {
    fn blocked(&self, email: &str) -> bool {
        let Ok(map) = self.0.lock() else { return false };
        map.get(email)
            .is_some_and(|(n, since)| *n >= LOGIN_ATTEMPTS && since.elapsed() < LOGIN_WINDOW)
    }

    fn failed(&self, email: &str) {
        if let Ok(mut map) = self.0.lock() {
            let entry = map.entry(email.to_string()).or_insert((0, Instant::now()));
            if entry.1.elapsed() >= LOGIN_WINDOW {
                *entry = (0, Instant::now());
            }
            entry.0 += 1;
        }
    }

    fn succeeded(&self, email: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(email);
        }
    }
}

fn check_email(email: &str) -> Result<String, AppError> {
    let email = email.trim().to_lowercase();
    let ok = email.len() <= 254
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
        (status = 400, description = "Not an email address, a password out of bounds, or an unknown invite", body = ErrorBody),
        (status = 403, description = "Registration is by invitation", body = ErrorBody),
        (status = 409, description = "The email is taken", body = ErrorBody),
    )
)]
pub async fn signup(
    State(state): State<Arc<AppState>>,
    Json(req): Json<SignupRequest>,
) -> Result<Json<SignupResponse>, AppError> {
    let email = check_email(&req.email)?;
    if req.password.chars().count() < 8 || req.password.len() > 1024 {
        return Err(AppError::bad_request(
            "the password must be 8 to 1024 characters long",
        ));
    }
    let name = req
        .name
        .clone()
        .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_string());
    let open = state.config.open_registration;
    let store = state.store.clone();
    blocking(move || {
        let first = store.account_count()? == 0;
        if !first && !open && req.invite.is_none() {
            return Err(AppError::forbidden(
                "registration is by invitation: ask a team admin for an invite code",
            ));
        }
        let (account, admin) = store.create_account(&email, &name, &req.password)?;
        let team = match &req.invite {
            Some(code) => Some(
                store
                    .join(account, code)?
                    .ok_or_else(|| {
                        AppError::bad_request("the invite code is unknown or has expired")
                    })?
                    .0,
            ),
            None => None,
        };
        Ok(Json(SignupResponse {
            account,
            admin,
            team,
        }))
    })
    .await
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
        (status = 429, description = "Too many failed logins", body = ErrorBody),
    )
)]
pub async fn login(
    State(state): State<Arc<AppState>>,
    Json(req): Json<LoginRequest>,
) -> Result<Json<LoginResponse>, AppError> {
    let email = req.email.trim().to_lowercase();
    if state.login_limiter.blocked(&email) {
        return Err(AppError::too_many(
            "too many failed logins; wait a minute and try again",
        ));
    }
    let store = state.store.clone();
    let device = req.device.clone().unwrap_or_else(|| "device".into());
    let e = email.clone();
    let result = blocking(move || Ok(store.login(&e, &req.password, &device)?)).await?;
    match result {
        Some((token, device)) => {
            state.login_limiter.succeeded(&email);
            Ok(Json(LoginResponse { token, device }))
        }
        None => {
            state.login_limiter.failed(&email);
            Err(AppError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "bad_credentials",
                "wrong email or password",
            ))
        }
    }
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
    let store = state.store.clone();
    let admin = blocking(move || Ok(store.is_admin(id.account)?)).await?;
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
        (status = 200, description = "Revoked", body = bool),
        (status = 404, description = "No such device on this account", body = ErrorBody),
    )
)]
pub async fn revoke_device(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Path(device): Path<i64>,
) -> Result<Json<bool>, AppError> {
    let store = state.store.clone();
    let done = blocking(move || Ok(store.revoke_device(id.account, device)?)).await?;
    if !done {
        return Err(AppError::not_found("no such device on your account"));
    }
    Ok(Json(true))
}
