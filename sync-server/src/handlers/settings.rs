//! Settings people and teams change: a person's email settings (time zone,
//! the daily digest) with the one-click unsubscribe pages the digest links
//! to, and a team's retention of deleted tasks.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use porchlight_api::ErrorBody;
use porchlight_api::accounts::MailSettings;
use porchlight_api::team::Retention;

use crate::AppState;
use crate::auth::{Auth, Source};
use crate::error::AppError;
use crate::extract::Path;
use crate::store::Audit;

/// The longest retention a team can set (ten years).
const MAX_RETENTION_DAYS: u32 = 3650;

/// The caller's email settings.
#[utoipa::path(
    get,
    path = "/api/me/mail",
    tag = "accounts",
    security(("device" = [])),
    responses((status = 200, description = "The time zone and whether the daily digest is sent", body = MailSettings))
)]
pub async fn mail(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
) -> Result<Json<MailSettings>, AppError> {
    let s = state
        .store
        .mail_settings(id.account)
        .await?
        .ok_or_else(|| AppError::not_found("no such account"))?;
    Ok(Json(s))
}

/// Changes the caller's email settings.
#[utoipa::path(
    put,
    path = "/api/me/mail",
    tag = "accounts",
    security(("device" = [])),
    request_body = MailSettings,
    responses(
        (status = 200, description = "The settings as saved", body = MailSettings),
        (status = 400, description = "The time zone is not an IANA name", body = ErrorBody),
    )
)]
pub async fn set_mail(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    crate::extract::Json(req): crate::extract::Json<MailSettings>,
) -> Result<Json<MailSettings>, AppError> {
    let time_zone = match req.time_zone.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(z) => {
            let zone: chrono_tz::Tz = z.parse().map_err(|_| {
                AppError::bad_request(format!(
                    "'{}' is not a time zone; give an IANA name such as America/Chicago or Europe/Berlin",
                    z.chars().take(64).collect::<String>()
                ))
            })?;
            Some(zone.name().to_string())
        }
    };
    let settings = MailSettings {
        time_zone,
        digest: req.digest,
        mentions: req.mentions,
    };
    state.store.set_mail_settings(id.account, &settings).await?;
    Ok(Json(settings))
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    (
        status,
        Html(format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title>\
             <meta name=\"viewport\" content=\"width=device-width\"></head>\
             <body style=\"font-family:system-ui,sans-serif;max-width:36em;margin:3em auto;line-height:1.5\">\
             <h1 style=\"font-size:1.3em\">{title}</h1>{body}</body></html>"
        )),
    )
        .into_response()
}

/// A token as it appears in a link: hex, bounded.
fn token_ok(token: &str) -> bool {
    (16..=128).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_hexdigit())
}

fn unknown_link() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Unknown link",
        "<p>This unsubscribe link is not known here (its account may have been deleted). \
         Signed in, turn the digest off with <code>porchlight account mail --digest off</code>.</p>",
    )
}

/// The page a digest's unsubscribe link opens: a button, so that a mail
/// scanner following links does not unsubscribe anyone.
#[utoipa::path(
    get,
    path = "/api/unsubscribe/{token}",
    tag = "accounts",
    params(("token" = String, Path, description = "The token from a digest's link")),
    responses(
        (status = 200, description = "A page with an Unsubscribe button", content_type = "text/html", body = String),
        (status = 404, description = "Unknown token", content_type = "text/html", body = String),
    )
)]
pub async fn unsubscribe_page(Path(token): Path<String>) -> Response {
    if !token_ok(&token) {
        return unknown_link();
    }
    page(
        StatusCode::OK,
        "Stop the daily digest?",
        &format!(
            "<p>Porchlight emails you a digest of your due and overdue tasks on days when there are some.</p>\
             <form method=\"post\" action=\"{token}\"><button type=\"submit\" \
             style=\"font-size:1em;padding:.5em 1em\">Unsubscribe</button></form>"
        ),
    )
}

/// Unsubscribes: the button of the page above, or a mail program's
/// one-click unsubscribe (RFC 8058, body `List-Unsubscribe=One-Click`).
#[utoipa::path(
    post,
    path = "/api/unsubscribe/{token}",
    tag = "accounts",
    params(("token" = String, Path, description = "The token from a digest's link")),
    responses(
        (status = 200, description = "Unsubscribed", content_type = "text/html", body = String),
        (status = 404, description = "Unknown token", content_type = "text/html", body = String),
    )
)]
pub async fn unsubscribe(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    if !token_ok(&token) {
        return Ok(unknown_link());
    }
    Ok(match state.store.unsubscribe(&token).await? {
        Some(_) => page(
            StatusCode::OK,
            "Unsubscribed",
            "<p>You will get no more daily digests. Turn it back on with \
             <code>porchlight account mail --digest on</code>.</p>",
        ),
        None => unknown_link(),
    })
}

/// How long the team keeps deleted tasks.
#[utoipa::path(
    get,
    path = "/api/teams/{id}/retention",
    tag = "teams",
    security(("device" = [])),
    params(("id" = i64, Path, description = "The team")),
    responses(
        (status = 200, description = "The retention", body = Retention),
        (status = 404, description = "No such team, or the caller is not in it", body = ErrorBody),
    )
)]
pub async fn retention(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Path(team): Path<i64>,
) -> Result<Json<Retention>, AppError> {
    let store = &*state.store;
    super::teams::require_role(store, &id, team, false).await?;
    Ok(Json(Retention {
        deleted_task_days: store.retention(team).await?.map(|d| d.max(0) as u32),
    }))
}

/// Sets how long the team keeps deleted tasks (owners and admins).
#[utoipa::path(
    put,
    path = "/api/teams/{id}/retention",
    tag = "teams",
    security(("device" = [])),
    params(("id" = i64, Path, description = "The team")),
    request_body = Retention,
    responses(
        (status = 200, description = "The retention as saved", body = Retention),
        (status = 400, description = "More days than allowed", body = ErrorBody),
        (status = 403, description = "Only owners and admins set it", body = ErrorBody),
        (status = 404, description = "No such team, or the caller is not in it", body = ErrorBody),
    )
)]
pub async fn set_retention(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Source(src): Source,
    Path(team): Path<i64>,
    crate::extract::Json(req): crate::extract::Json<Retention>,
) -> Result<Json<Retention>, AppError> {
    if let Some(d) = req.deleted_task_days
        && d > MAX_RETENTION_DAYS
    {
        return Err(AppError::bad_request(format!(
            "{d} days is more than the longest retention, {MAX_RETENTION_DAYS} days; leave it out (null) to keep deleted tasks for ever"
        )));
    }
    let store = &*state.store;
    super::teams::require_role(store, &id, team, true).await?;
    store
        .set_retention(team, req.deleted_task_days.map(|d| d as i32))
        .await?;
    store
        .audit(Audit {
            event: "team.retention",
            actor: Some(id.account),
            team: Some(team),
            source: Some(src),
            target: Some(match req.deleted_task_days {
                Some(d) => format!("deleted tasks kept {d} days"),
                None => "deleted tasks kept for ever".into(),
            }),
        })
        .await;
    Ok(Json(req))
}
