//! Calendar feeds: `POST /api/teams/{id}/calendar` makes (or rotates) a
//! person's secret feed address; `GET /ical/{secret}.ics` serves it from
//! the relay's view of the boards (see [`crate::ical`]).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use porchlight_api::ErrorBody;
use porchlight_api::calendar::{CalendarFeedInfo, CalendarRequest};

use super::teams::require_role;
use crate::AppState;
use crate::auth::{Auth, Source};
use crate::error::AppError;
use crate::extract::Path;
use crate::store::{Audit, CalendarFeed, TaskQuery};

/// Feeds kept built, by secret.
const CACHED_FEEDS: usize = 256;

/// Built feeds, each with the team's view version it was built at: a
/// calendar app polling an unchanged team gets the same text without the
/// view being read again.
#[derive(Debug, Default)]
pub struct FeedCache {
    feeds: std::sync::Mutex<HashMap<String, Cached>>,
}

/// A built feed: the view version, (body, ETag), when last served.
type Cached = (i64, Arc<(String, String)>, std::time::Instant);

impl FeedCache {
    fn get(&self, secret: &str, version: i64) -> Option<Arc<(String, String)>> {
        let mut feeds = self.feeds.lock().ok()?;
        let hit = feeds.get_mut(secret).filter(|(v, _, _)| *v == version)?;
        hit.2 = std::time::Instant::now();
        Some(hit.1.clone())
    }

    fn put(&self, secret: &str, version: i64, built: Arc<(String, String)>) {
        let Ok(mut feeds) = self.feeds.lock() else {
            return;
        };
        if feeds.len() >= CACHED_FEEDS
            && !feeds.contains_key(secret)
            && let Some(oldest) = feeds
                .iter()
                .min_by_key(|(_, (_, _, used))| *used)
                .map(|(k, _)| k.clone())
        {
            feeds.remove(&oldest);
        }
        feeds.insert(
            secret.to_string(),
            (version, built, std::time::Instant::now()),
        );
    }
}

/// Tasks read per query while a feed is built.
const PAGE: i64 = 2000;
/// The most tasks one feed holds (the soonest due); calendar apps slow
/// down well before this.
pub const MAX_FEED_TASKS: usize = 20_000;

/// Makes the caller's feed address for the team (or one board of it), or
/// gives the one it has; `rotate` replaces it.
#[utoipa::path(
    post,
    path = "/api/teams/{id}/calendar",
    tag = "calendar",
    security(("device" = [])),
    params(("id" = i64, Path, description = "The team")),
    request_body = CalendarRequest,
    responses(
        (status = 200, description = "The feed's address", body = CalendarFeedInfo),
        (status = 403, description = "API keys have no calendar: a feed belongs to a person", body = ErrorBody),
        (status = 404, description = "No such team or board, or the caller is not in it", body = ErrorBody),
    )
)]
pub async fn feed_url(
    State(state): State<Arc<AppState>>,
    Auth(id): Auth,
    Source(src): Source,
    Path(team): Path<i64>,
    crate::extract::Json(req): crate::extract::Json<CalendarRequest>,
) -> Result<Json<CalendarFeedInfo>, AppError> {
    if id.key.is_some() {
        return Err(AppError::forbidden(
            "a calendar feed belongs to a person: ask for it signed in on a device, not with an API key",
        ));
    }
    let store = &*state.store;
    require_role(store, &id, team, false).await?;
    let board = req.board.unwrap_or_default();
    if !board.is_empty() && store.team_of_document(&board).await? != Some(team) {
        return Err(AppError::not_found(format!(
            "the team has no board {board}; `porchlight board list` shows the boards and their ids"
        )));
    }
    let feed = store
        .calendar_feed(
            &CalendarFeed {
                secret: porchlight_model::ids::random_hex(24),
                account: id.account,
                team,
                board: board.clone(),
                mine: req.mine,
            },
            req.rotate,
        )
        .await?;
    if req.rotate {
        store
            .audit(Audit {
                event: "calendar.rotated",
                actor: Some(id.account),
                team: Some(team),
                source: Some(src),
                target: Some(if board.is_empty() {
                    "all boards".into()
                } else {
                    board.clone()
                }),
            })
            .await;
    }
    Ok(Json(CalendarFeedInfo {
        path: format!("/ical/{}.ics", feed.secret),
        board: (!board.is_empty()).then_some(board),
        mine: feed.mine,
    }))
}

/// A calendar feed (RFC 5545). The address is the credential: no token.
#[utoipa::path(
    get,
    path = "/ical/{file}",
    tag = "calendar",
    params(("file" = String, Path, description = "The feed's secret and .ics, as `porchlight calendar url` prints it")),
    responses(
        (status = 200, description = "The calendar", content_type = "text/calendar", body = String),
        (status = 304, description = "Unchanged since the ETag sent in If-None-Match"),
        (status = 404, description = "No such feed (rotated, or its owner left the team)", body = ErrorBody),
    )
)]
pub async fn feed(
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let missing = || {
        AppError::not_found(
            "no such calendar feed: it may have been rotated; `porchlight calendar url` prints the current address",
        )
    };
    let secret = file.strip_suffix(".ics").ok_or_else(missing)?;
    if secret.is_empty() || secret.len() > 128 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(missing());
    }
    let store = &*state.store;
    let feed = store.feed_by_secret(secret).await?.ok_or_else(missing)?;
    // A feed lives as long as its owner is in the team.
    if store.role(feed.account, feed.team).await?.is_none() {
        return Err(missing());
    }
    let version = store.view_version(feed.team).await?;
    let built = match state.feeds.get(secret, version) {
        Some(b) => b,
        None => {
            let body = build(&state, &feed).await?;
            let etag = crate::ical::etag(&body);
            let b = Arc::new((body, etag));
            state.feeds.put(secret, version, b.clone());
            b
        }
    };
    let (body, etag) = (built.0.clone(), built.1.clone());
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
            body,
        )
            .into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    Ok(response)
}

/// The feed's calendar text.
async fn build(state: &AppState, feed: &CalendarFeed) -> Result<String, AppError> {
    let store = &state.store;
    let boards = crate::view::boards_of(store, feed.team).await?;
    let me = if feed.mine {
        store.account_name(feed.account).await?
    } else {
        None
    };
    let query = TaskQuery {
        team: feed.team,
        board: (!feed.board.is_empty()).then(|| feed.board.clone()),
        with_due: true,
        include_done: false,
        limit: PAGE,
        ..TaskQuery::default()
    };
    let mut tasks = crate::view::tasks_where(store, query, &boards, |t| {
        me.as_deref()
            .is_none_or(|me| crate::view::assigned_to(t, me))
    })
    .await?;
    if tasks.len() > MAX_FEED_TASKS {
        tasks.sort_by_key(|t| t.due.as_ref().map(|d| d.at));
        tasks.truncate(MAX_FEED_TASKS);
    }
    let team_name = store
        .team_info(feed.team)
        .await?
        .map(|(n, _)| n)
        .unwrap_or_default();
    let name = match boards.get(&feed.board) {
        Some((board, _)) => format!("{board} ({team_name})"),
        None => team_name,
    };
    let name = if feed.mine {
        format!("{name}: mine")
    } else {
        name
    };
    let names: HashMap<String, String> = boards.into_iter().map(|(k, (n, _))| (k, n)).collect();
    Ok(crate::ical::render(&crate::ical::Feed {
        name: &name,
        boards: &names,
        tasks: &tasks,
        now: chrono::Utc::now(),
    }))
}
