//! The team page: teams, members, roles, invite codes and webhooks, from the relay's
//! team API (the relay decides who may change what; the UI only offers what
//! the signed-in role allows).

use porchlight_client::api::team::{Invite, MemberInfo, Role, TeamInfo};
use porchlight_client::api::webhooks::{CreateWebhook, CreatedWebhook, DeliveryInfo, WebhookInfo};
use porchlight_client::{self as client, Credentials, teams};
use serde::Serialize;
use tauri::State;

use crate::error::{AppError, Result};
use crate::state::AppState;

/// One team as the team page shows it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct TeamView {
    pub team: TeamInfo,
    pub members: Vec<MemberInfo>,
    /// The signed-in account's id in this team.
    #[ts(type = "number | null")]
    pub me: Option<i64>,
}

pub(crate) fn signed_in(state: &AppState) -> Result<Credentials> {
    client::load_credentials(&state.dir).map_err(|e| {
        if e.is_user_error() {
            AppError::Invalid("sign in to your team's relay in Settings to see your teams".into())
        } else {
            e.into()
        }
    })
}

async fn view(creds: &Credentials, team: TeamInfo) -> Result<TeamView> {
    let members = teams::members(creds, team.id).await?;
    let me = members
        .iter()
        .find(|m| m.email.eq_ignore_ascii_case(&creds.email))
        .map(|m| m.account);
    Ok(TeamView { team, members, me })
}

/// Every team of the signed-in account, with its members.
#[tauri::command]
pub async fn team_page(state: State<'_, AppState>) -> Result<Vec<TeamView>> {
    let creds = signed_in(&state)?;
    let mut out = Vec::new();
    for team in teams::teams(&creds).await? {
        out.push(view(&creds, team).await?);
    }
    Ok(out)
}

/// The signed-in person's calendar feed address for `team` (all its
/// boards; only their tasks with `mine`); `rotate` replaces it.
#[tauri::command]
pub async fn calendar_url(
    state: State<'_, AppState>,
    team: i64,
    mine: bool,
    rotate: bool,
) -> Result<String> {
    let creds = signed_in(&state)?;
    let feed = client::calendar::feed(&creds, team, None, mine, rotate).await?;
    Ok(client::calendar::feed_url(&creds, &feed))
}

/// A new invite code for `team`.
#[tauri::command]
pub async fn create_invite(
    state: State<'_, AppState>,
    team: i64,
    role: Role,
    hours: Option<i64>,
) -> Result<Invite> {
    if role == Role::Owner {
        return Err(AppError::Invalid(
            "invite as admin, member or viewer; make someone an owner from the member list".into(),
        ));
    }
    let creds = signed_in(&state)?;
    Ok(teams::invite(&creds, team, role, hours).await?)
}

/// Changes a member's role; returns the team's members afterwards.
#[tauri::command]
pub async fn set_member_role(
    state: State<'_, AppState>,
    team: i64,
    account: i64,
    role: Role,
) -> Result<Vec<MemberInfo>> {
    let creds = signed_in(&state)?;
    teams::set_role(&creds, team, account, role).await?;
    Ok(teams::members(&creds, team).await?)
}

/// Removes a member; returns the team's members afterwards.
#[tauri::command]
pub async fn remove_member(
    state: State<'_, AppState>,
    team: i64,
    account: i64,
) -> Result<Vec<MemberInfo>> {
    let creds = signed_in(&state)?;
    teams::remove_member(&creds, team, account).await?;
    Ok(teams::members(&creds, team).await?)
}

/// The team's webhooks (owners and admins; the relay refuses others).
#[tauri::command]
pub async fn webhooks(state: State<'_, AppState>, team: i64) -> Result<Vec<WebhookInfo>> {
    let creds = signed_in(&state)?;
    Ok(client::webhooks::list(&creds, team).await?)
}

/// Adds a webhook; the answer holds its signing secret, shown this once.
#[tauri::command]
pub async fn add_webhook(
    state: State<'_, AppState>,
    team: i64,
    url: String,
    events: Vec<String>,
    format: Option<String>,
) -> Result<CreatedWebhook> {
    let url = url.trim().to_string();
    if url.is_empty() {
        return Err(AppError::Invalid(
            "give the https:// address the events go to".into(),
        ));
    }
    let creds = signed_in(&state)?;
    let req = CreateWebhook {
        url,
        events,
        board: None,
        format,
    };
    Ok(client::webhooks::create(&creds, team, &req).await?)
}

/// Removes a webhook; the team's webhooks afterwards.
#[tauri::command]
pub async fn remove_webhook(
    state: State<'_, AppState>,
    team: i64,
    id: i64,
) -> Result<Vec<WebhookInfo>> {
    let creds = signed_in(&state)?;
    client::webhooks::remove(&creds, team, id).await?;
    Ok(client::webhooks::list(&creds, team).await?)
}

/// Sends a `webhook.test` event to one webhook now.
#[tauri::command]
pub async fn test_webhook(state: State<'_, AppState>, team: i64, id: i64) -> Result<String> {
    let creds = signed_in(&state)?;
    Ok(client::webhooks::test(&creds, team, id).await?)
}

/// A webhook's latest deliveries, newest first.
#[tauri::command]
pub async fn webhook_log(
    state: State<'_, AppState>,
    team: i64,
    id: i64,
) -> Result<Vec<DeliveryInfo>> {
    let creds = signed_in(&state)?;
    Ok(client::webhooks::log(&creds, team, id, 20).await?)
}
