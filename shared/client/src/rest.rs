//! The relay's REST API, with the request and reply types of
//! `porchlight-api`; a refusal comes back as the relay's plain message.

use std::time::Duration;

use porchlight_api::ErrorBody;
use porchlight_api::accounts::{LoginRequest, LoginResponse, SignupRequest, SignupResponse};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use reqwest::Method;

use crate::*;

/// One REST call: `body` (if any) sent as JSON, the reply read as `T`.
pub async fn call<B: Serialize + ?Sized, T: DeserializeOwned>(
    method: Method,
    relay: &Endpoint,
    path: &str,
    token: Option<&str>,
    body: Option<&B>,
) -> Result<T> {
    let base = &relay.base;
    let url = format!("{base}{path}");
    let mut req = relay
        .http()?
        .pinned
        .request(method, &url)
        .timeout(Duration::from_secs(30));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    let resp = req.send().await.map_err(|e| {
        ClientError::Network(format!(
            "cannot reach the relay at {base}: {}",
            porchlight_net::describe(&e, &url)
        ))
    })?;
    let status = resp.status();
    let bytes =
        porchlight_net::read_capped(resp, porchlight_net::caps::json(), "a relay reply", "")
            .await
            .map_err(|e| ClientError::Network(e.to_string()))?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|e| {
            ClientError::Relay(format!(
                "the relay's answer to {path} is not readable ({e}); is {base} a Porchlight relay of this version?"
            ))
        });
    }
    let message = serde_json::from_slice::<ErrorBody>(&bytes)
        .map(|b| b.message)
        .unwrap_or_else(|_| {
            let text = String::from_utf8_lossy(&bytes);
            let text = text.trim();
            if text.is_empty() {
                "no message".to_string()
            } else {
                text.chars().take(200).collect()
            }
        });
    if status.as_u16() == 401 && token.is_some() {
        return Err(ClientError::SignedOut(format!(
            "the relay refused the saved sign-in ({message}); run `porchlight login` again"
        )));
    }
    if status.is_client_error() {
        return Err(usage(format!("the relay said: {message}")));
    }
    Err(ClientError::Relay(format!(
        "the relay failed ({status}): {message}"
    )))
}

/// The largest file [`get_bytes`] reads (a shared listing cache of
/// 100,000 listings is well under it).
const MAX_FILE: u64 = 1 << 30;

/// A GET whose answer is a file (bytes), not JSON.
pub async fn get_bytes(relay: &Endpoint, path: &str, token: Option<&str>) -> Result<Vec<u8>> {
    let base = &relay.base;
    let url = format!("{base}{path}");
    let mut req = relay
        .http()?
        .pinned
        .get(&url)
        .timeout(Duration::from_secs(600));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.map_err(|e| {
        ClientError::Network(format!(
            "cannot reach the relay at {base}: {}",
            porchlight_net::describe(&e, &url)
        ))
    })?;
    let status = resp.status();
    let bytes = porchlight_net::read_capped(resp, MAX_FILE, "a document", "")
        .await
        .map_err(|e| ClientError::Network(e.to_string()))?;
    if status.is_success() {
        return Ok(bytes);
    }
    let message = serde_json::from_slice::<ErrorBody>(&bytes)
        .map(|b| b.message)
        .unwrap_or_else(|_| format!("HTTP {status}"));
    if status.is_client_error() {
        return Err(usage(format!("the relay said: {message}")));
    }
    Err(ClientError::Relay(format!(
        "the relay failed ({status}): {message}"
    )))
}

/// A call with no body.
pub async fn get<T: DeserializeOwned>(
    method: Method,
    relay: &Endpoint,
    path: &str,
    token: Option<&str>,
) -> Result<T> {
    call::<(), T>(method, relay, path, token, None).await
}

/// Creates an account (the first one administers the relay).
pub async fn signup(relay: &Endpoint, request: &SignupRequest) -> Result<SignupResponse> {
    call(Method::POST, relay, "/api/signup", None, Some(request)).await
}

/// Signs in and returns a new device token.
pub async fn login(relay: &Endpoint, request: &LoginRequest) -> Result<LoginResponse> {
    call(Method::POST, relay, "/api/login", None, Some(request)).await
}

/// Asks the relay to email a password-reset code to `email`.
pub async fn password_reset(relay: &Endpoint, email: &str) -> Result<()> {
    let body = porchlight_api::accounts::PasswordResetRequest {
        email: email.to_string(),
    };
    let _: bool = call(
        Method::POST,
        relay,
        "/api/password-reset",
        None,
        Some(&body),
    )
    .await?;
    Ok(())
}

/// Sets a new password with an emailed reset code.
pub async fn password_reset_confirm(
    relay: &Endpoint,
    email: &str,
    code: &str,
    password: &str,
) -> Result<()> {
    let body = porchlight_api::accounts::PasswordResetConfirm {
        email: email.to_string(),
        code: code.to_string(),
        password: password.to_string(),
    };
    let _: bool = call(
        Method::POST,
        relay,
        "/api/password-reset/confirm",
        None,
        Some(&body),
    )
    .await?;
    Ok(())
}
