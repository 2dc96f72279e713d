//! Typed calls to the relay's team API: list teams and members, invite,
//! change roles, remove. The relay decides who may do what (owners and
//! admins manage); a refusal comes back as its plain message.

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{ClientError, Credentials, Result, call};
use porchlight_store::team::{Invite, MemberInfo, Role, TeamInfo};

async fn get<T: DeserializeOwned>(
    creds: &Credentials,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Result<T> {
    let value = call(method, &creds.endpoint()?, path, Some(&creds.token), body).await?;
    serde_json::from_value(value).map_err(|e| {
        ClientError::Relay(format!("the relay's answer to {path} is not readable: {e}"))
    })
}

/// The teams the signed-in account belongs to, with its role in each.
pub async fn teams(creds: &Credentials) -> Result<Vec<TeamInfo>> {
    get(creds, Method::GET, "/api/teams", None).await
}

/// The members of `team`.
pub async fn members(creds: &Credentials, team: i64) -> Result<Vec<MemberInfo>> {
    get(
        creds,
        Method::GET,
        &format!("/api/teams/{team}/members"),
        None,
    )
    .await
}

/// A new invite code for `team` with `role`, valid for `hours` (the relay's
/// default, 72, when `None`).
pub async fn invite(
    creds: &Credentials,
    team: i64,
    role: Role,
    hours: Option<i64>,
) -> Result<Invite> {
    let body = json!({ "role": role, "hours": hours });
    get(
        creds,
        Method::POST,
        &format!("/api/teams/{team}/invites"),
        Some(body),
    )
    .await
}

/// Gives `account` the role `role` in `team`.
pub async fn set_role(creds: &Credentials, team: i64, account: i64, role: Role) -> Result<()> {
    let path = format!("/api/teams/{team}/members/{account}");
    let _: Value = get(creds, Method::PUT, &path, Some(json!({ "role": role }))).await?;
    Ok(())
}

/// Removes `account` from `team` (anyone may remove themselves).
pub async fn remove_member(creds: &Credentials, team: i64, account: i64) -> Result<()> {
    let path = format!("/api/teams/{team}/members/{account}");
    let _: Value = get(creds, Method::DELETE, &path, None).await?;
    Ok(())
}
