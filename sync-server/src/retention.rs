//! A team's retention of deleted tasks: with `deleted_task_days` set
//! (`porchlight team retention T --days N`), a task deleted and untouched
//! for that long is removed from its board for good, by a change the relay
//! makes in the board's shard like an API edit (synced to every device, so
//! no device shows or restores it any more). Automerge keeps every change,
//! so the task's past edits stay in the document's history; what retention
//! removes is the task from the board, the view, the feeds and the API.
//! Archived tasks are not deleted and are kept.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use automerge::AutoCommit;
use chrono::{DateTime, Utc};
use porchlight_doc::{BoardDoc, ChangeNote, DocKind, identify};
use porchlight_model::board::Task;
use porchlight_model::ids::TaskId;

use crate::AppState;
use crate::error::AppError;
use crate::hub::EditMemo;
use crate::store::Audit;

/// Deleted tasks looked at per team and round.
const BATCH: i64 = 2000;
/// Who the board's history names for these changes.
const ACTOR: &str = "relay (retention)";

/// Starts the retention task: at start, then every `retention_check_ms`.
pub fn spawn(state: Arc<AppState>) -> tokio::task::JoinHandle<()> {
    let every = Duration::from_millis(state.config.limits.retention_check_ms.max(100));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match purge_due(&state, Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    tasks = n,
                    "deleted tasks past their team's retention removed"
                ),
                Err(e) => {
                    tracing::error!(error = %e, "cannot apply the teams' retention of deleted tasks")
                }
            }
        }
    })
}

/// Removes every deleted task older than its team's retention at `now`;
/// how many went.
pub async fn purge_due(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let mut purged = 0;
    for (team, days) in state.store.retaining_teams().await? {
        let before = now.timestamp_millis() - i64::from(days.max(0)) * 86_400_000;
        let mut by_board: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for row in state.store.stale_deleted_tasks(team, before, BATCH).await? {
            // The view's flag also covers archived tasks; only deleted go.
            if serde_json::from_str::<Task>(&row.data).is_ok_and(|t| t.deleted) {
                by_board.entry(row.doc).or_default().push(row.task);
            }
        }
        for (board, tasks) in by_board {
            match purge(state, &board, tasks, before).await {
                Ok(n) if n > 0 => {
                    purged += n;
                    state.metrics.tasks_purged.inc_by(n as u64);
                    state
                        .store
                        .audit(Audit {
                            event: "retention.purged",
                            team: Some(team),
                            target: Some(format!("{n} deleted tasks of board {board}")),
                            ..Audit::default()
                        })
                        .await;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(%board, error = %e.detail.as_deref().unwrap_or(&e.message), "cannot remove deleted tasks from a board; tried again later")
                }
            }
        }
    }
    Ok(purged)
}

/// Removes `tasks` from `board` in its shard, each only if it is still
/// deleted and was not touched since `before` (a restore in the meantime
/// keeps it).
async fn purge(
    state: &AppState,
    board: &str,
    tasks: Vec<String>,
    before: i64,
) -> Result<usize, AppError> {
    let apply = move |am: &mut AutoCommit, _: &mut EditMemo| {
        if !matches!(identify(am), Ok((DocKind::Board, _))) {
            return Err(AppError::not_found("not a board"));
        }
        let mut b = BoardDoc::from_doc(std::mem::take(am))
            .map_err(|e| AppError::internal(format!("board: {e}")))?;
        let result = (|| {
            let mut n = 0usize;
            for id in &tasks {
                let id = TaskId::new(id.clone());
                let stale = b
                    .task(&id)
                    .map_err(|e| AppError::internal(e.to_string()))?
                    .is_some_and(|t| t.deleted && t.updated_at.timestamp_millis() < before);
                if stale
                    && b.purge_task(&id)
                        .map_err(|e| AppError::internal(e.to_string()))?
                {
                    n += 1;
                }
            }
            if n > 0 {
                b.commit(&ChangeNote::new("task.purge", ACTOR), Utc::now());
            }
            Ok(n)
        })();
        *am = b.into_doc();
        result.map(|n| serde_json::json!(n))
    };
    let value = state.hub.edit(board, Box::new(apply)).await?;
    Ok(value.as_u64().unwrap_or(0) as usize)
}
