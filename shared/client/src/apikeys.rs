//! Typed calls for a team's API keys (owners and admins): make one (the
//! key is in the reply and nowhere else), list, revoke.

use porchlight_api::apikeys::{ApiKeyInfo, CreateApiKey, CreatedApiKey, Scope};

use super::{Credentials, Method, Result, call, get};

/// Makes a key for `team`; `expires_days` none: until revoked.
pub async fn create(
    creds: &Credentials,
    team: i64,
    name: &str,
    scope: Scope,
    expires_days: Option<u32>,
) -> Result<CreatedApiKey> {
    let body = CreateApiKey {
        name: name.into(),
        scope,
        expires_days,
    };
    let path = format!("/api/teams/{team}/apikeys");
    let token = Some(creds.token.as_str());
    call(Method::POST, &creds.endpoint()?, &path, token, Some(&body)).await
}

/// The team's keys that still work.
pub async fn list(creds: &Credentials, team: i64) -> Result<Vec<ApiKeyInfo>> {
    let path = format!("/api/teams/{team}/apikeys");
    get(Method::GET, &creds.endpoint()?, &path, Some(&creds.token)).await
}

/// Revokes key `id` of `team`.
pub async fn revoke(creds: &Credentials, team: i64, id: i64) -> Result<()> {
    let path = format!("/api/teams/{team}/apikeys/{id}");
    let _: bool = get(
        Method::DELETE,
        &creds.endpoint()?,
        &path,
        Some(&creds.token),
    )
    .await?;
    Ok(())
}
