//! The REST API for tasks, `/api/v1/…`, for integrations with a team's API
//! key (a signed-in device works too, with its roles in its teams).
//!
//! Reads come from the relay's view of the boards ([`crate::view`]), which
//! follows every change within a moment. A write becomes an Automerge
//! change the relay makes in the board's hub shard on the caller's behalf
//! (its note names the key: "api:Zapier"), committed before the answer and
//! synced to every device like any edit; concurrent edits merge. Errors
//! are RFC 9457 problem details; every answer to an authenticated caller
//! carries `RateLimit-*` headers, and a task carries an `ETag`
//! (`If-None-Match` on reads, `If-Match` on writes).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use automerge::AutoCommit;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use governor::middleware::StateInformationMiddleware;
use governor::{Quota, RateLimiter};
use porchlight_api::ErrorBody;
use porchlight_api::tasks::{
    ApiBoard, ApiChecklistItem, ApiComment, ApiDue, ApiTask, NewComment, NewTask, Problem,
    TaskFilter, TaskPage, TaskPatch,
};
use porchlight_doc::{BoardDoc, ChangeNote, DocKind, TaskEdit, identify};
use porchlight_model::board::{Comment, Due, Priority, Task};
use porchlight_model::board::{
    MAX_COMMENT, MAX_DESCRIPTION, check_label, check_name, check_text, check_title,
};
use porchlight_model::ids::{CommentId, DocumentId, TaskId};
use porchlight_model::position;

use crate::AppState;
use crate::auth::Caller;
use crate::error::AppError;
use crate::extract::{Path, Query};
use crate::hub::EditMemo;
use crate::store::{Identity, Role, Storage, TaskQuery};

/// Tasks per page when the caller does not say.
const DEFAULT_PAGE: u32 = 100;
const MAX_PAGE: u32 = 500;
/// Rows read from the view per query while filtering a page.
const SCAN: i64 = 500;
/// Rows one page may scan before it answers with what it found (and a
/// cursor), so a filter that matches little stays bounded.
const MAX_SCAN: usize = 20_000;

type Keyed = RateLimiter<
    String,
    governor::state::keyed::DefaultKeyedStateStore<String>,
    governor::clock::DefaultClock,
    StateInformationMiddleware,
>;

/// Requests per minute per API key (or per account, for a device).
#[derive(Debug)]
pub struct ApiLimits {
    limiter: Keyed,
    per_minute: u32,
}

impl ApiLimits {
    pub fn new(per_minute: u32) -> Self {
        let per_minute = per_minute.max(1);
        let quota = Quota::per_minute(std::num::NonZeroU32::MIN.saturating_add(per_minute - 1));
        Self {
            limiter: RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>(),
            per_minute,
        }
    }

    /// Counts a request of `id`; the headers to send, or 429.
    fn check(&self, id: &Identity) -> Result<RateHeaders, AppError> {
        let key = match &id.key {
            Some(k) => format!("key:{}", k.id),
            None => format!("account:{}", id.account),
        };
        match self.limiter.check_key(&key) {
            Ok(snapshot) => Ok(RateHeaders {
                limit: self.per_minute,
                remaining: snapshot.remaining_burst_capacity(),
                reset: 60 / u64::from(self.per_minute).max(1),
            }),
            Err(not_until) => {
                let wait = not_until.wait_time_from(governor::clock::Clock::now(
                    &governor::clock::DefaultClock::default(),
                ));
                let secs = wait.as_secs().max(1);
                Err(AppError::too_many(format!(
                    "more than {} requests a minute with this key; wait {secs} s",
                    self.per_minute
                ))
                .retry_after(secs))
            }
        }
    }

    /// Forgets keys idle long enough that their limit is full again.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// `RateLimit-Limit`, `-Remaining`, `-Reset` (seconds until one more
/// request is allowed).
#[derive(Debug, Clone, Copy)]
struct RateHeaders {
    limit: u32,
    remaining: u32,
    reset: u64,
}

impl RateHeaders {
    fn apply(self, mut response: Response) -> Response {
        let h = response.headers_mut();
        h.insert("ratelimit-limit", self.limit.into());
        h.insert("ratelimit-remaining", self.remaining.into());
        h.insert("ratelimit-reset", self.reset.into());
        response
    }
}

/// Error answers of `/api/v1` as RFC 9457 problem details.
pub async fn problems(response: Response) -> Response {
    let status = response.status();
    if !status.is_client_error() && !status.is_server_error() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !json {
        return Response::from_parts(parts, body);
    }
    let bytes = axum::body::to_bytes(body, 256 * 1024)
        .await
        .unwrap_or_default();
    let Ok(error) = serde_json::from_slice::<ErrorBody>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let problem = Problem {
        kind: "about:blank".into(),
        title: status.canonical_reason().unwrap_or("Error").into(),
        status: status.as_u16(),
        detail: error.message,
        code: error.error,
    };
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(
        parts,
        Body::from(serde_json::to_vec(&problem).unwrap_or_default()),
    )
}

/// The teams `id` reaches, with its role in each.
async fn teams_of(store: &dyn Storage, id: &Identity) -> Result<Vec<(i64, Role)>, AppError> {
    Ok(match &id.key {
        Some(k) => vec![(k.team, k.role())],
        None => store
            .teams(id.account)
            .await?
            .into_iter()
            .map(|t| (t.id, t.role))
            .collect(),
    })
}

/// The team of `board` when `id` may reach it (to change it with `write`);
/// another team's board answers like an unknown one.
async fn board_team(
    store: &dyn Storage,
    id: &Identity,
    board: &str,
    write: bool,
) -> Result<i64, AppError> {
    let unknown = || {
        AppError::not_found(format!(
            "no board {board} in your team; GET /api/v1/boards lists them"
        ))
    };
    let team = store.team_of_document(board).await?.ok_or_else(unknown)?;
    let role = id.role_in(store, team).await?.ok_or_else(unknown)?;
    if write && role == Role::Viewer {
        return Err(AppError::forbidden(match id.key {
            Some(_) => {
                "this API key is read-only: make a write key (porchlight apikey create --scope write) to change tasks"
            }
            None => "a viewer cannot change the team's tasks",
        }));
    }
    Ok(team)
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 || text.len() > 1024 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The API's form of a task.
pub fn api_task(task: &Task) -> ApiTask {
    ApiTask {
        id: task.id.to_string(),
        board: task.board.to_string(),
        title: task.title.clone(),
        description: task.description.clone(),
        column: task.column.to_string(),
        due: task.due.as_ref().map(|d| ApiDue {
            at: rfc3339(d.at),
            tz: d.tz.clone(),
            all_day: d.all_day,
            date: d
                .tz
                .parse::<chrono_tz::Tz>()
                .map(|z| d.at.with_timezone(&z).date_naive())
                .unwrap_or_else(|_| d.at.date_naive())
                .to_string(),
        }),
        reminder: task.reminder.map(rfc3339),
        priority: task.priority.as_str().to_string(),
        labels: task.labels.clone(),
        assignees: task.assignees.clone(),
        checklist: task
            .checklist
            .iter()
            .map(|i| ApiChecklistItem {
                id: i.id.to_string(),
                text: i.text.clone(),
                done: i.done,
            })
            .collect(),
        comments: task
            .comments
            .iter()
            .map(|c| ApiComment {
                id: c.id.to_string(),
                author: c.author.clone(),
                at: rfc3339(c.at),
                text: c.text.clone(),
            })
            .collect(),
        repeats: task.recurrence.is_some(),
        created_by: task.created_by.clone(),
        created_at: rfc3339(task.created_at),
        updated_by: task.updated_by.clone(),
        updated_at: rfc3339(task.updated_at),
        completed_at: task.completed_at.map(rfc3339),
    }
}

fn etag(task: &ApiTask) -> String {
    let json = serde_json::to_vec(task).unwrap_or_default();
    format!("\"{}\"", &porchlight_model::ids::sha256_hex(&json)[..32])
}

fn with_etag(status: StatusCode, task: &ApiTask) -> Response {
    let mut r = (status, Json(task)).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag(task)) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

/// An instant (RFC 3339) or a day (YYYY-MM-DD, the start of it in UTC).
fn instant(field: &str, text: &str) -> Result<DateTime<Utc>, AppError> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .ok_or_else(|| {
            AppError::bad_request(format!(
                "{field} '{text}' is neither an instant (2027-01-15T15:00:00Z) nor a day (2027-01-15)"
            ))
        })
}

/// A due date: an instant, or a day in `tz` for an all-day task.
fn due(text: &str, tz: Option<&str>) -> Result<Due, AppError> {
    let tz = tz.unwrap_or("UTC");
    if tz.parse::<chrono_tz::Tz>().is_err() {
        return Err(AppError::bad_request(format!(
            "'{tz}' is not an IANA time zone (e.g. America/New_York)"
        )));
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(Due::at_time(at.with_timezone(&Utc), tz));
    }
    let day = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::bad_request(format!(
            "due '{text}' is neither an instant (2027-01-15T15:00:00Z) nor a day (2027-01-15)"
        ))
    })?;
    Due::on_day(day, tz).map_err(|e| AppError::bad_request(e.to_string()))
}

fn priority(text: &str) -> Result<Priority, AppError> {
    text.trim().to_lowercase().parse::<Priority>().map_err(|_| {
        AppError::bad_request(format!(
            "priority '{text}' is not one of none, low, medium, high, urgent"
        ))
    })
}

fn user_error(e: impl std::fmt::Display) -> AppError {
    AppError::bad_request(e.to_string())
}

fn person(name: &str) -> Result<String, AppError> {
    check_name("assignee", name.trim().trim_start_matches('@')).map_err(user_error)
}

/// The boards the caller reaches.
#[utoipa::path(
    get,
    path = "/api/v1/boards",
    tag = "tasks",
    security(("device" = [])),
    responses(
        (status = 200, description = "The boards of the key's team (or the account's teams)", body = Vec<ApiBoard>),
        (status = 429, description = "Too many requests with this key", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn boards(
    State(state): State<Arc<AppState>>,
    Caller(id): Caller,
) -> Result<Response, AppError> {
    let rate = state.api_limits.check(&id)?;
    let store = &*state.store;
    let mut out = Vec::new();
    for (team, _) in teams_of(store, &id).await? {
        for b in store.view_boards(team).await? {
            if !b.deleted {
                out.push(ApiBoard {
                    id: b.doc,
                    name: b.name,
                    team,
                });
            }
        }
    }
    Ok(rate.apply(Json(out).into_response()))
}

/// Tasks of the caller's teams, filtered, a page at a time (in a stable
/// order: by board, then task id).
#[utoipa::path(
    get,
    path = "/api/v1/tasks",
    tag = "tasks",
    security(("device" = [])),
    params(TaskFilter),
    responses(
        (status = 200, description = "A page of tasks", body = TaskPage),
        (status = 400, description = "A filter cannot be read (the detail says which)", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such board in the caller's teams", content_type = "application/problem+json", body = Problem),
        (status = 429, description = "Too many requests with this key", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn tasks(
    State(state): State<Arc<AppState>>,
    Caller(id): Caller,
    Query(filter): Query<TaskFilter>,
) -> Result<Response, AppError> {
    let rate = state.api_limits.check(&id)?;
    let store = &*state.store;
    let limit = filter.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::bad_request(format!(
            "limit is 1 to {MAX_PAGE}, not {limit}"
        )));
    }
    let due_before = filter
        .due_before
        .as_deref()
        .map(|t| instant("due_before", t))
        .transpose()?;
    let due_after = filter
        .due_after
        .as_deref()
        .map(|t| instant("due_after", t))
        .transpose()?;
    let updated_since = filter
        .updated_since
        .as_deref()
        .map(|t| instant("updated_since", t))
        .transpose()?;
    let mut teams: Vec<i64> = match &filter.board {
        Some(b) => vec![board_team(store, &id, b, false).await?],
        None => teams_of(store, &id)
            .await?
            .into_iter()
            .map(|(t, _)| t)
            .collect(),
    };
    teams.sort_unstable();
    // The cursor: "team/doc/task" of the last task of the page before.
    let cursor = match filter.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => {
            let text = String::from_utf8(from_hex(c).unwrap_or_default()).unwrap_or_default();
            let mut parts = text.splitn(3, '/');
            match (
                parts.next().and_then(|t| t.parse::<i64>().ok()),
                parts.next(),
                parts.next(),
            ) {
                (Some(team), Some(doc), Some(task)) => {
                    Some((team, doc.to_string(), task.to_string()))
                }
                _ => {
                    return Err(AppError::bad_request(
                        "the cursor cannot be read: pass next_cursor of the page before, unchanged",
                    ));
                }
            }
        }
    };
    let assignee = filter
        .assignee
        .as_deref()
        .map(|a| a.trim_start_matches('@').to_lowercase());
    let label = filter
        .label
        .as_deref()
        .map(|l| l.trim_start_matches('#').to_lowercase());
    let mut page = Vec::new();
    let mut scanned = 0;
    let mut last: Option<(i64, String, String)> = None;
    let mut more = false;
    'teams: for team in teams {
        if let Some((t, _, _)) = &cursor
            && team < *t
        {
            continue;
        }
        let mut query = TaskQuery {
            team,
            board: filter.board.clone(),
            with_due: due_before.is_some() || due_after.is_some(),
            include_done: filter.include_done.unwrap_or(false),
            updated_since: updated_since.map(|t| t.timestamp_millis()),
            due_before: None,
            after: cursor
                .as_ref()
                .filter(|(t, _, _)| *t == team)
                .map(|(_, d, k)| (d.clone(), k.clone())),
            limit: SCAN,
        };
        loop {
            let rows = store.view_tasks(&query).await?;
            let full = rows.len() as i64 == SCAN;
            for row in rows {
                scanned += 1;
                query.after = Some((row.doc.clone(), row.task.clone()));
                last = Some((team, row.doc.clone(), row.task.clone()));
                let task: Task = match serde_json::from_str(&row.data) {
                    Ok(t) => t,
                    Err(_) => continue,
                };
                let due_at = task.due.as_ref().map(|d| d.at);
                let keep = assignee
                    .as_ref()
                    .is_none_or(|a| task.assignees.iter().any(|x| x.to_lowercase() == *a))
                    && label
                        .as_ref()
                        .is_none_or(|l| task.labels.iter().any(|x| x.to_lowercase() == *l))
                    && due_before.is_none_or(|b| due_at.is_some_and(|d| d < b))
                    && due_after.is_none_or(|a| due_at.is_some_and(|d| d >= a));
                if keep {
                    page.push(api_task(&task));
                    if page.len() as u32 == limit {
                        more = true;
                        break 'teams;
                    }
                }
                if scanned >= MAX_SCAN {
                    more = true;
                    break 'teams;
                }
            }
            if !full {
                break;
            }
        }
    }
    let next_cursor = if more {
        last.map(|(t, d, k)| to_hex(format!("{t}/{d}/{k}").as_bytes()))
    } else {
        None
    };
    Ok(rate.apply(
        Json(TaskPage {
            tasks: page,
            next_cursor,
        })
        .into_response(),
    ))
}

/// One task.
#[utoipa::path(
    get,
    path = "/api/v1/boards/{board}/tasks/{task}",
    tag = "tasks",
    security(("device" = [])),
    params(
        ("board" = String, Path, description = "The board's id"),
        ("task" = String, Path, description = "The task's id"),
    ),
    responses(
        (status = 200, description = "The task, with its ETag", body = ApiTask),
        (status = 304, description = "Unchanged since the ETag sent in If-None-Match"),
        (status = 404, description = "No such task on a board of the caller's teams", content_type = "application/problem+json", body = Problem),
        (status = 429, description = "Too many requests with this key", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn task(
    State(state): State<Arc<AppState>>,
    Caller(id): Caller,
    Path((board, task)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let rate = state.api_limits.check(&id)?;
    let store = &*state.store;
    board_team(store, &id, &board, false).await?;
    let found = read_task(store, &board, &task).await?;
    let api = api_task(&found);
    let tag = etag(&api);
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag))
    {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(v) = HeaderValue::from_str(&tag) {
            r.headers_mut().insert(header::ETAG, v);
        }
        return Ok(rate.apply(r));
    }
    Ok(rate.apply(with_etag(StatusCode::OK, &api)))
}

async fn read_task(store: &dyn Storage, board: &str, task: &str) -> Result<Task, AppError> {
    let missing = || AppError::not_found(format!("no task {task} on board {board}"));
    let row = store
        .view_tasks_of(board, Some(&[task.to_string()]))
        .await?
        .into_iter()
        .next()
        .filter(|r| !r.deleted)
        .ok_or_else(missing)?;
    serde_json::from_str(&row.data).map_err(|e| AppError::internal(format!("view row: {e}")))
}

/// Who the change notes name: the key ("api:Zapier") or the account.
async fn author(store: &dyn Storage, id: &Identity) -> Result<String, AppError> {
    Ok(match &id.key {
        Some(k) => format!("api:{}", k.name),
        None => store
            .account_name(id.account)
            .await?
            .unwrap_or_else(|| id.email.clone()),
    })
}

/// A position below every task of `column`: after the one the memo holds
/// from the previous relay-made add (valid while nothing else changed the
/// board), else after the column's last as read from the board.
fn bottom_of(
    b: &BoardDoc,
    memo: &mut EditMemo,
    column: &porchlight_model::ids::ColumnId,
) -> Result<String, AppError> {
    let key = format!("last:{column}");
    let last = match memo.get(&key) {
        Some(p) => Some(p.clone()),
        None => b
            .last_position(column)
            .map_err(|e| AppError::internal(e.to_string()))?,
    };
    let position = position::between(last.as_deref(), None);
    memo.insert(key, position.clone());
    Ok(position)
}

/// The task `id` of the board, unless it is missing or deleted (404).
fn live_task(b: &BoardDoc, id: &TaskId) -> Result<Task, AppError> {
    b.task(id)
        .map_err(|e| AppError::internal(e.to_string()))?
        .filter(|t| !t.deleted)
        .ok_or_else(|| AppError::not_found(format!("no task {id} on this board")))
}

/// Runs `change` on the board in its hub shard, commits it, and answers
/// with the task it names; the view's row is written at once, so a read
/// right after sees it.
async fn change_board(
    state: &AppState,
    board: &str,
    team: i64,
    change: impl FnOnce(&mut BoardDoc, &mut EditMemo, DateTime<Utc>) -> Result<TaskId, AppError>
    + Send
    + 'static,
) -> Result<Task, AppError> {
    let board_id = board.to_string();
    let apply =
        move |am: &mut AutoCommit, memo: &mut EditMemo| -> Result<serde_json::Value, AppError> {
            if !matches!(identify(am), Ok((DocKind::Board, _))) {
                return Err(AppError::not_found(format!(
                    "no board {board_id} in your team; GET /api/v1/boards lists them"
                )));
            }
            let mut b = BoardDoc::from_doc(std::mem::take(am))
                .map_err(|e| AppError::internal(format!("board: {e}")))?;
            let now = Utc::now();
            let result = change(&mut b, memo, now).and_then(|id| {
                let task = b
                    .task(&id)
                    .map_err(|e| AppError::internal(format!("read back: {e}")))?
                    .ok_or_else(|| AppError::internal("the task is gone after the change"))?;
                Ok((task, b.name(), b.is_deleted(), b.renames().pairs().clone()))
            });
            *am = b.into_doc();
            let (task, name, deleted, renames) = result?;
            serde_json::to_value((task, name, deleted, renames))
                .map_err(|e| AppError::internal(e.to_string()))
        };
    let value = state.hub.edit(board, Box::new(apply)).await?;
    let (task, name, deleted, renames): (Task, String, bool, BTreeMap<String, String>) =
        serde_json::from_value(value).map_err(|e| AppError::internal(e.to_string()))?;
    let renames = porchlight_model::people::Renames::new(renames);
    let row =
        crate::view::view_task(board, &task).map_err(|e| AppError::internal(e.to_string()))?;
    // The events of this change, against the task as the view held it (the
    // indexer, finding the row already written, announces nothing twice).
    let old: Option<Task> = state
        .store
        .view_tasks_of(board, Some(std::slice::from_ref(&row.task)))
        .await?
        .into_iter()
        .next()
        .and_then(|r| serde_json::from_str(&r.data).ok())
        .map(|mut t: Task| {
            renames.apply(&mut t);
            t
        });
    let events = crate::webhooks::task_events(team, (board, &name), old.as_ref(), &task);
    let mentions = crate::mentions::new_mentions((board, &name), old.as_ref(), &task, &renames);
    let any = !events.is_empty();
    state
        .store
        .write_view(&crate::store::ViewUpdate {
            board: crate::store::ViewBoard {
                doc: board.to_string(),
                team,
                name,
                deleted,
            },
            upsert: vec![row],
            remove: vec![],
            events,
            mentions,
        })
        .await?;
    if any {
        state.webhook_wake.notify_one();
    }
    Ok(task)
}

/// `If-Match`: the write goes ahead only if the task is as the caller saw it.
async fn check_if_match(
    store: &dyn Storage,
    headers: &HeaderMap,
    board: &str,
    task: &str,
) -> Result<(), AppError> {
    let Some(want) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let now = etag(&api_task(&read_task(store, board, task).await?));
    if want.split(',').any(|t| t.trim() == now || t.trim() == "*") {
        Ok(())
    } else {
        Err(AppError::new(
            StatusCode::PRECONDITION_FAILED,
            "changed",
            "the task changed since you read it (If-Match): read it again and retry",
        ))
    }
}

/// Adds a task at the bottom of a column.
#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/tasks",
    tag = "tasks",
    security(("device" = [])),
    params(("board" = String, Path, description = "The board's id")),
    request_body = NewTask,
    responses(
        (status = 201, description = "The new task, with its ETag", body = ApiTask),
        (status = 400, description = "A field is wrong (the detail says which and how)", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "A read-only key or a viewer", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such board in the caller's teams", content_type = "application/problem+json", body = Problem),
        (status = 429, description = "Too many requests with this key", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn create(
    State(state): State<Arc<AppState>>,
    Caller(id): Caller,
    Path(board): Path<String>,
    crate::extract::Json(new): crate::extract::Json<NewTask>,
) -> Result<Response, AppError> {
    let rate = state.api_limits.check(&id)?;
    let store = &*state.store;
    let team = board_team(store, &id, &board, true).await?;
    let by = author(store, &id).await?;
    let title = check_title(&new.title).map_err(user_error)?;
    let description = new.description.unwrap_or_default();
    check_text("description", &description, MAX_DESCRIPTION).map_err(user_error)?;
    let due = new
        .due
        .as_deref()
        .map(|d| due(d, new.tz.as_deref()))
        .transpose()?;
    let priority = new
        .priority
        .as_deref()
        .map(priority)
        .transpose()?
        .unwrap_or_default();
    let mut labels: Vec<String> = new
        .labels
        .iter()
        .map(|l| check_label(l).map_err(user_error))
        .collect::<Result<_, _>>()?;
    let mut assignees: Vec<String> = new
        .assignees
        .iter()
        .map(|a| person(a))
        .collect::<Result<_, _>>()?;
    labels.sort();
    labels.dedup();
    assignees.sort();
    assignees.dedup();
    let board_id = DocumentId::parse(&board)
        .map_err(|_| AppError::not_found(format!("no board {board} in your team")))?;
    let column = new.column.clone();
    let task = change_board(&state, &board, team, move |b, memo, now| {
        let shape = b.board().map_err(|e| AppError::internal(e.to_string()))?;
        let col = match &column {
            Some(c) => shape
                .columns
                .iter()
                .find(|x| x.id.as_str() == c || x.name.eq_ignore_ascii_case(c.trim()))
                .ok_or_else(|| {
                    let names: Vec<&str> = shape.columns.iter().map(|x| x.name.as_str()).collect();
                    AppError::bad_request(format!(
                        "the board has no column '{c}'; its columns are: {}",
                        names.join(", ")
                    ))
                })?,
            None => shape.columns.first().ok_or_else(|| {
                AppError::bad_request("the board has no column to add the task to")
            })?,
        };
        // The column's last position: remembered from the previous add
        // while nothing else changed the board, else read from it.
        let position = bottom_of(b, memo, &col.id)?;
        let mut task = Task::new(board_id, title, col.id.clone(), position, &by, now);
        task.description = description;
        task.due = due;
        task.priority = priority;
        task.labels = labels;
        task.assignees = assignees;
        b.insert_task(&task)
            .map_err(|e| AppError::internal(e.to_string()))?;
        b.commit(
            &ChangeNote::for_task("task.add", &by, task.id.as_str(), vec![]),
            now,
        );
        Ok(task.id)
    })
    .await?;
    let api = api_task(&task);
    let mut r = with_etag(StatusCode::CREATED, &api);
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/boards/{board}/tasks/{}", api.id)) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(rate.apply(r))
}

/// Changes the fields given.
#[utoipa::path(
    patch,
    path = "/api/v1/boards/{board}/tasks/{task}",
    tag = "tasks",
    security(("device" = [])),
    params(
        ("board" = String, Path, description = "The board's id"),
        ("task" = String, Path, description = "The task's id"),
    ),
    request_body = TaskPatch,
    responses(
        (status = 200, description = "The task as it is now", body = ApiTask),
        (status = 400, description = "A field is wrong (the detail says which and how)", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "A read-only key or a viewer", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such task on a board of the caller's teams", content_type = "application/problem+json", body = Problem),
        (status = 412, description = "If-Match: the task changed since it was read", content_type = "application/problem+json", body = Problem),
        (status = 429, description = "Too many requests with this key", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn update(
    State(state): State<Arc<AppState>>,
    Caller(id): Caller,
    Path((board, task)): Path<(String, String)>,
    headers: HeaderMap,
    crate::extract::Json(patch): crate::extract::Json<TaskPatch>,
) -> Result<Response, AppError> {
    let rate = state.api_limits.check(&id)?;
    let store = &*state.store;
    let team = board_team(store, &id, &board, true).await?;
    check_if_match(store, &headers, &board, &task).await?;
    let by = author(store, &id).await?;
    let mut edits = Vec::new();
    if let Some(t) = &patch.title {
        edits.push(TaskEdit::Title(check_title(t).map_err(user_error)?));
    }
    if let Some(d) = &patch.description {
        check_text("description", d, MAX_DESCRIPTION).map_err(user_error)?;
        edits.push(TaskEdit::Description(d.clone()));
    }
    match &patch.due {
        Some(Some(d)) => edits.push(TaskEdit::Due(Some(due(d, patch.tz.as_deref())?))),
        Some(None) => edits.push(TaskEdit::Due(None)),
        None => {}
    }
    if let Some(p) = &patch.priority {
        edits.push(TaskEdit::Priority(priority(p)?));
    }
    for l in &patch.add_labels {
        edits.push(TaskEdit::AddLabel(check_label(l).map_err(user_error)?));
    }
    for l in &patch.remove_labels {
        edits.push(TaskEdit::RemoveLabel(
            l.trim().trim_start_matches('#').to_string(),
        ));
    }
    for a in &patch.add_assignees {
        edits.push(TaskEdit::AddAssignee(person(a)?));
    }
    for a in &patch.remove_assignees {
        edits.push(TaskEdit::RemoveAssignee(person(a)?));
    }
    let column = patch.column.clone();
    if edits.is_empty() && column.is_none() {
        return Err(AppError::bad_request(
            "nothing to change: give at least one of title, description, due, column, priority, add_labels, remove_labels, add_assignees, remove_assignees",
        ));
    }
    let id_ = TaskId::new(task.clone());
    let changed = change_board(&state, &board, team, move |b, memo, now| {
        let current = live_task(b, &id_)?;
        let mut edits = edits;
        if let Some(c) = &column {
            let shape = b.board().map_err(|e| AppError::internal(e.to_string()))?;
            let col = shape
                .columns
                .iter()
                .find(|x| x.id.as_str() == c || x.name.eq_ignore_ascii_case(c.trim()))
                .ok_or_else(|| AppError::bad_request(format!("the board has no column '{c}'")))?;
            if col.id != current.column {
                let position = bottom_of(b, memo, &col.id)?;
                edits.push(TaskEdit::Column(col.id.clone()));
                edits.push(TaskEdit::Position(position));
            }
        }
        let fields: Vec<String> = edits
            .iter()
            .map(|e| e.field().to_string())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        b.edit_task(&id_, &edits, &by, now)
            .map_err(|e| AppError::bad_request(e.to_string()))?;
        b.commit(
            &ChangeNote::for_task("task.edit", &by, id_.as_str(), fields),
            now,
        );
        Ok(id_)
    })
    .await?;
    Ok(rate.apply(with_etag(StatusCode::OK, &api_task(&changed))))
}

/// Marks a task done (a repeating task gets its next instance, as in the
/// app).
#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/tasks/{task}/complete",
    tag = "tasks",
    security(("device" = [])),
    params(
        ("board" = String, Path, description = "The board's id"),
        ("task" = String, Path, description = "The task's id"),
    ),
    responses(
        (status = 200, description = "The task, done", body = ApiTask),
        (status = 403, description = "A read-only key or a viewer", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such task on a board of the caller's teams", content_type = "application/problem+json", body = Problem),
        (status = 429, description = "Too many requests with this key", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn complete(
    State(state): State<Arc<AppState>>,
    Caller(id): Caller,
    Path((board, task)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let rate = state.api_limits.check(&id)?;
    let store = &*state.store;
    let team = board_team(store, &id, &board, true).await?;
    let by = author(store, &id).await?;
    let id_ = TaskId::new(task.clone());
    let done = change_board(&state, &board, team, move |b, _memo, now| {
        let current = live_task(b, &id_)?;
        if current.completed_at.is_some() {
            return Ok(id_);
        }
        b.edit_task(&id_, &[TaskEdit::Completed(Some(now))], &by, now)
            .map_err(|e| AppError::internal(e.to_string()))?;
        if let Some(rec) = &current.recurrence {
            let tz = current.due.as_ref().map_or("UTC", |d| d.tz.as_str());
            let due = porchlight_model::recurrence::next_due(rec, current.due.as_ref(), now, tz);
            let mut next = current.clone();
            next.id = TaskId::random();
            next.reminder = current
                .reminder
                .zip(current.due.as_ref())
                .map(|(r, d)| due.at - (d.at - r));
            next.due = Some(due);
            next.checklist.iter_mut().for_each(|i| i.done = false);
            next.comments.clear();
            next.completed_at = None;
            next.created_by = by.clone();
            next.created_at = now;
            next.updated_by = by.clone();
            next.updated_at = now;
            b.insert_task(&next)
                .map_err(|e| AppError::internal(e.to_string()))?;
        }
        b.commit(
            &ChangeNote::for_task("task.complete", &by, id_.as_str(), vec!["completed".into()]),
            now,
        );
        Ok(id_)
    })
    .await?;
    Ok(rate.apply(with_etag(StatusCode::OK, &api_task(&done))))
}

/// Adds a comment.
#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/tasks/{task}/comments",
    tag = "tasks",
    security(("device" = [])),
    params(
        ("board" = String, Path, description = "The board's id"),
        ("task" = String, Path, description = "The task's id"),
    ),
    request_body = NewComment,
    responses(
        (status = 201, description = "The comment", body = ApiComment),
        (status = 400, description = "The text is empty or too long", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "A read-only key or a viewer", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such task on a board of the caller's teams", content_type = "application/problem+json", body = Problem),
        (status = 429, description = "Too many requests with this key", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn comment(
    State(state): State<Arc<AppState>>,
    Caller(id): Caller,
    Path((board, task)): Path<(String, String)>,
    crate::extract::Json(new): crate::extract::Json<NewComment>,
) -> Result<Response, AppError> {
    let rate = state.api_limits.check(&id)?;
    let store = &*state.store;
    let team = board_team(store, &id, &board, true).await?;
    let text = new.text.trim().to_string();
    if text.is_empty() {
        return Err(AppError::bad_request("the comment is empty"));
    }
    check_text("comment", &text, MAX_COMMENT).map_err(user_error)?;
    let by = author(store, &id).await?;
    let comment_id = CommentId::random();
    let cid = comment_id.clone();
    let id_ = TaskId::new(task.clone());
    let with = change_board(&state, &board, team, move |b, _memo, now| {
        live_task(b, &id_)?;
        let c = Comment {
            id: cid,
            author: by.clone(),
            at: now,
            mentions: porchlight_model::board::mentions_in(&text),
            text,
        };
        b.edit_task(&id_, &[TaskEdit::AddComment(c)], &by, now)
            .map_err(|e| AppError::internal(e.to_string()))?;
        b.commit(
            &ChangeNote::for_task("task.comment", &by, id_.as_str(), vec!["comments".into()]),
            now,
        );
        Ok(id_)
    })
    .await?;
    let api = api_task(&with);
    let made = api
        .comments
        .iter()
        .find(|c| c.id == comment_id.to_string())
        .cloned()
        .ok_or_else(|| AppError::internal("the comment is gone after the change"))?;
    Ok(rate.apply((StatusCode::CREATED, Json(made)).into_response()))
}
