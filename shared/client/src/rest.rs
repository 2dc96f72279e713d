//! The relay's REST API.

use std::time::Duration;

use serde_json::Value;

use crate::*;

/// A REST call; relay errors come back as their plain message.
pub async fn call(
    method: reqwest::Method,
    relay: &Endpoint,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<Value> {
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
        req = req.json(&b);
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
    let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if status.is_success() {
        return Ok(value);
    }
    let message = value["message"]
        .as_str()
        .unwrap_or("no message")
        .to_string();
    if status.as_u16() == 401 && token.is_some() {
        return Err(usage(format!(
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
