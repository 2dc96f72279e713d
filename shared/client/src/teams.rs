//! Typed calls to the relay's team API: create, list, join, members,
//! invite, change roles, remove, and the document registry. The relay
//! decides who may do what (owners and admins manage); a refusal comes back
//! as its plain message.

use porchlight_api::team::{
    CreateTeam, CreatedTeam, Invite, InviteRequest, JoinRequest, Joined, MemberInfo,
    RegisterRequest, Registered, Role, RoleRequest, TeamInfo, TransferRequest,
};

use super::{Credentials, Method, Result, call, get};

/// Creates a team; the signed-in account is its owner.
pub async fn create_team(creds: &Credentials, name: &str) -> Result<CreatedTeam> {
    let body = CreateTeam { name: name.into() };
    let token = Some(creds.token.as_str());
    call(
        Method::POST,
        &creds.endpoint()?,
        "/api/teams",
        token,
        Some(&body),
    )
    .await
}

/// The teams the signed-in account belongs to, with its role in each.
pub async fn teams(creds: &Credentials) -> Result<Vec<TeamInfo>> {
    get(
        Method::GET,
        &creds.endpoint()?,
        "/api/teams",
        Some(&creds.token),
    )
    .await
}

/// Joins the team an invite code is for.
pub async fn join(creds: &Credentials, code: &str) -> Result<Joined> {
    let body = JoinRequest { code: code.into() };
    let token = Some(creds.token.as_str());
    call(
        Method::POST,
        &creds.endpoint()?,
        "/api/join",
        token,
        Some(&body),
    )
    .await
}

/// The members of `team`.
pub async fn members(creds: &Credentials, team: i64) -> Result<Vec<MemberInfo>> {
    let path = format!("/api/teams/{team}/members");
    get(Method::GET, &creds.endpoint()?, &path, Some(&creds.token)).await
}

/// A new invite code for `team` with `role`, valid for `hours` (the relay's
/// default, 72, when `None`).
pub async fn invite(
    creds: &Credentials,
    team: i64,
    role: Role,
    hours: Option<i64>,
) -> Result<Invite> {
    invite_to(creds, team, role, hours, None).await
}

/// [`invite`], and the relay emails the code to `email` (when it sends
/// email).
pub async fn invite_to(
    creds: &Credentials,
    team: i64,
    role: Role,
    hours: Option<i64>,
    email: Option<String>,
) -> Result<Invite> {
    let body = InviteRequest { role, hours, email };
    let path = format!("/api/teams/{team}/invites");
    let token = Some(creds.token.as_str());
    call(Method::POST, &creds.endpoint()?, &path, token, Some(&body)).await
}

/// Gives `account` the role `role` in `team`.
pub async fn set_role(creds: &Credentials, team: i64, account: i64, role: Role) -> Result<()> {
    let path = format!("/api/teams/{team}/members/{account}");
    let token = Some(creds.token.as_str());
    let body = RoleRequest { role };
    let _: bool = call(Method::PUT, &creds.endpoint()?, &path, token, Some(&body)).await?;
    Ok(())
}

/// Hands the caller's ownership of `team` to `account` (the caller stays
/// as an admin).
pub async fn transfer_ownership(creds: &Credentials, team: i64, account: i64) -> Result<()> {
    let path = format!("/api/teams/{team}/owner");
    let token = Some(creds.token.as_str());
    let body = TransferRequest { account };
    let _: bool = call(Method::PUT, &creds.endpoint()?, &path, token, Some(&body)).await?;
    Ok(())
}

/// Removes `account` from `team` (anyone may remove themselves).
pub async fn remove_member(creds: &Credentials, team: i64, account: i64) -> Result<()> {
    let path = format!("/api/teams/{team}/members/{account}");
    let _: bool = get(
        Method::DELETE,
        &creds.endpoint()?,
        &path,
        Some(&creds.token),
    )
    .await?;
    Ok(())
}

/// Registers `document` to `team` (the first team to register an id owns
/// it).
pub(crate) async fn register_document(
    relay: &super::Endpoint,
    token: &str,
    team: i64,
    document: &str,
) -> Result<Registered> {
    let body = RegisterRequest {
        document: document.into(),
    };
    let path = format!("/api/teams/{team}/documents");
    call(Method::POST, relay, &path, Some(token), Some(&body)).await
}

/// The documents registered to `team`.
pub(crate) async fn team_documents(
    relay: &super::Endpoint,
    token: &str,
    team: i64,
) -> Result<Vec<String>> {
    let path = format!("/api/teams/{team}/documents");
    get(Method::GET, relay, &path, Some(token)).await
}

/// How long the team keeps deleted tasks.
pub async fn retention(creds: &Credentials, team: i64) -> Result<porchlight_api::team::Retention> {
    let path = format!("/api/teams/{team}/retention");
    get(Method::GET, &creds.endpoint()?, &path, Some(&creds.token)).await
}

/// Sets how long the team keeps deleted tasks (`None`: for ever).
pub async fn set_retention(
    creds: &Credentials,
    team: i64,
    days: Option<u32>,
) -> Result<porchlight_api::team::Retention> {
    let path = format!("/api/teams/{team}/retention");
    let body = porchlight_api::team::Retention {
        deleted_task_days: days,
    };
    call(
        Method::PUT,
        &creds.endpoint()?,
        &path,
        Some(&creds.token),
        Some(&body),
    )
    .await
}
