//! Password reset by email: `POST /api/password-reset` sends a one-time
//! code (the answer is the same whether or not the email has an account);
//! `POST /api/password-reset/confirm` sets a new password with it and
//! signs every device out.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use porchlight_api::ErrorBody;
use porchlight_api::accounts::{PasswordResetConfirm, PasswordResetRequest};

use crate::AppState;
use crate::error::AppError;
use crate::limits::PeerAddr;
use crate::store::{Audit, sha256_hex};

/// How long a reset code works.
pub const RESET_MINUTES: i64 = 30;

/// 403: the relay's configuration rules it out (not a server fault, so
/// not 5xx).
fn no_email() -> AppError {
    AppError::new(
        StatusCode::FORBIDDEN,
        "no_email",
        "this relay sends no email, so it cannot reset passwords: ask its admin (who can set --smtp)",
    )
}

/// A reset code: 10 digits in two groups, easy to type from a phone.
fn new_code() -> String {
    let n: u64 = rand::random::<u64>() % 10_000_000_000;
    format!("{:05}-{:05}", n / 100_000, n % 100_000)
}

fn code_hash(code: &str) -> String {
    let digits: String = code.chars().filter(char::is_ascii_digit).collect();
    sha256_hex(digits.as_bytes())
}

/// Emails a reset code to the account with this email, if there is one.
#[utoipa::path(
    post,
    path = "/api/password-reset",
    tag = "accounts",
    request_body = PasswordResetRequest,
    responses(
        (status = 200, description = "If an account has this email, a code is on its way (the same answer either way)", body = bool, content_type = "application/json"),
        (status = 429, description = "Too many requests from this address or for this email; see Retry-After", body = ErrorBody),
        (status = 403, description = "The relay sends no email (no --smtp)", body = ErrorBody),
    )
)]
pub async fn request(
    State(state): State<Arc<AppState>>,
    axum::extract::ConnectInfo(PeerAddr(peer)): axum::extract::ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    crate::extract::Json(req): crate::extract::Json<PasswordResetRequest>,
) -> Result<Json<bool>, AppError> {
    let Some(mailer) = &state.mailer else {
        return Err(no_email());
    };
    let email = super::accounts::check_email(&req.email)?;
    let ip = state.guards.client_ip(peer, &headers);
    state.guards.login(ip, &email).await?;
    let code = new_code();
    let expires = crate::store::now_ms() + RESET_MINUTES * 60_000;
    let store = &*state.store;
    if let Some(account) = store
        .create_reset(&email, &code_hash(&code), expires)
        .await?
    {
        let mail = crate::mail::reset(&code, &mailer.public_url, RESET_MINUTES);
        if let Err(e) = mailer.send(&email, &mail).await {
            tracing::error!(account, error = %e, "cannot email a password reset code");
            return Err(AppError::unavailable(
                "the relay could not send the email just now; try again in a minute",
                60,
            ));
        }
        store
            .audit(Audit {
                event: "password.reset_requested",
                actor: Some(account),
                team: None,
                source: Some(ip.to_string()),
                target: None,
            })
            .await;
    }
    Ok(Json(true))
}

/// Sets a new password with an emailed code; every device is signed out.
#[utoipa::path(
    post,
    path = "/api/password-reset/confirm",
    tag = "accounts",
    request_body = PasswordResetConfirm,
    responses(
        (status = 200, description = "The password is changed; log in with it", body = bool, content_type = "application/json"),
        (status = 400, description = "The code is wrong, used or expired, or the password is out of bounds", body = ErrorBody),
        (status = 429, description = "Too many attempts; see Retry-After", body = ErrorBody),
        (status = 403, description = "The relay sends no email (no --smtp)", body = ErrorBody),
    )
)]
pub async fn confirm(
    State(state): State<Arc<AppState>>,
    axum::extract::ConnectInfo(PeerAddr(peer)): axum::extract::ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    crate::extract::Json(req): crate::extract::Json<PasswordResetConfirm>,
) -> Result<Json<bool>, AppError> {
    if state.mailer.is_none() {
        return Err(no_email());
    }
    let email = super::accounts::check_email(&req.email)?;
    if req.password.chars().count() < 8 || req.password.len() > 1024 {
        return Err(AppError::bad_request(
            "the new password must be 8 to 1024 characters long",
        ));
    }
    let ip = state.guards.client_ip(peer, &headers);
    state.guards.login(ip, &email).await?;
    let store = &*state.store;
    let Some(account) = store.use_reset(&email, &code_hash(&req.code)).await? else {
        return Err(AppError::bad_request(
            "the code is wrong, already used or expired: ask for a new one (porchlight password-reset --relay … --email …)",
        ));
    };
    let permit = state.guards.hashing().await?;
    let password = req.password.clone();
    let hash = tokio::task::spawn_blocking(move || crate::password::hash(&password))
        .await
        .map_err(|e| AppError::internal(format!("hashing task: {e}")))?
        .map_err(|e| AppError::internal(e.to_string()))?;
    drop(permit);
    let revoked = store.set_password(account, &hash, 0).await?;
    store
        .audit(Audit {
            event: "password.reset",
            actor: Some(account),
            team: None,
            source: Some(ip.to_string()),
            target: Some(format!("{} devices signed out", revoked.len())),
        })
        .await;
    for device in &revoked {
        state.device_revoked(*device).await;
    }
    Ok(Json(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_ten_digits_and_read_the_same_however_typed() {
        for _ in 0..100 {
            let c = new_code();
            assert_eq!(c.len(), 11, "{c}");
            assert_eq!(c.chars().filter(char::is_ascii_digit).count(), 10);
            assert_eq!(code_hash(&c), code_hash(&c.replace('-', " ")));
        }
    }
}
