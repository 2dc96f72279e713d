//! Webhooks and their deliveries, on PostgreSQL. Several nodes claim due
//! deliveries with `FOR UPDATE SKIP LOCKED` and a lease, so each attempt
//! is made by one node.

use deadpool_postgres::GenericClient;
use porchlight_api::webhooks::DeliveryInfo;
use tokio_postgres::Row;

use super::PgStore;
use crate::store::{Delivery, NewEvent, Outcome, StoreError, WEBHOOKS_PER_TEAM, Webhook, now_ms};

const HOOK_COLUMNS: &str =
    "id, team_id, url, secret, events, board, format, created_by, created_at, disabled_at";

fn hook_at(r: &Row, at: usize) -> Webhook {
    let events: String = r.get(at + 4);
    Webhook {
        id: r.get(at),
        team: r.get(at + 1),
        url: r.get(at + 2),
        secret: r.get(at + 3),
        events: events
            .split(',')
            .filter(|e| !e.is_empty())
            .map(str::to_string)
            .collect(),
        board: r.get(at + 5),
        format: r.get(at + 6),
        created_by: r.get(at + 7),
        created_at: r.get(at + 8),
        disabled_at: r.get(at + 9),
    }
}

/// Queues `events` for the team's endpoints that want them, in `c` (a
/// transaction of the caller's).
pub(super) async fn enqueue(
    c: &impl GenericClient,
    team: i64,
    only: Option<i64>,
    events: &[NewEvent],
) -> Result<usize, StoreError> {
    if events.is_empty() {
        return Ok(0);
    }
    let hooks: Vec<Webhook> = c
        .query(
            &format!("SELECT {HOOK_COLUMNS} FROM webhooks WHERE team_id = $1 AND NOT removed"),
            &[&team],
        )
        .await?
        .iter()
        .map(|r| hook_at(r, 0))
        .collect();
    let now = now_ms();
    let insert = c
        .prepare(
            "INSERT INTO deliveries (webhook_id, event_id, event, body, state, attempts, next_at, created_at)
             VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)
             ON CONFLICT (webhook_id, event_id) DO NOTHING",
        )
        .await?;
    let mut n = 0;
    for hook in &hooks {
        for e in events {
            let wanted = match only {
                Some(id) => id == hook.id,
                None => hook.wants(e),
            };
            if wanted {
                n += c
                    .execute(&insert, &[&hook.id, &e.id, &e.kind, &e.body, &now])
                    .await? as usize;
            }
        }
    }
    Ok(n)
}

impl PgStore {
    pub(super) async fn pg_create_webhook(&self, h: &Webhook) -> Result<i64, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // Counted under the team's row lock, so two requests cannot both
        // take the last place.
        tx.execute("SELECT 1 FROM teams WHERE id = $1 FOR UPDATE", &[&h.team])
            .await?;
        let count: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM webhooks WHERE team_id = $1 AND NOT removed",
                &[&h.team],
            )
            .await?
            .get(0);
        if count >= WEBHOOKS_PER_TEAM {
            return Err(StoreError::Quota(format!(
                "the team has {WEBHOOKS_PER_TEAM} webhooks, the most it may have; remove one first (porchlight webhook remove)"
            )));
        }
        let id: i64 = tx
            .query_one(
                "INSERT INTO webhooks (team_id, url, secret, events, board, format, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                &[
                    &h.team,
                    &h.url,
                    &h.secret,
                    &h.events.join(","),
                    &h.board,
                    &h.format,
                    &h.created_by,
                    &h.created_at,
                ],
            )
            .await?
            .get(0);
        tx.commit().await?;
        Ok(id)
    }

    pub(super) async fn pg_webhooks(&self, team: i64) -> Result<Vec<Webhook>, StoreError> {
        Ok(self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT {HOOK_COLUMNS} FROM webhooks WHERE team_id = $1 AND NOT removed ORDER BY id"
                ),
                &[&team],
            )
            .await?
            .iter()
            .map(|r| hook_at(r, 0))
            .collect())
    }

    pub(super) async fn pg_remove_webhook(&self, team: i64, id: i64) -> Result<bool, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let n = tx
            .execute(
                "UPDATE webhooks SET removed = TRUE WHERE team_id = $1 AND id = $2 AND NOT removed",
                &[&team, &id],
            )
            .await?;
        tx.execute(
            "DELETE FROM deliveries WHERE webhook_id = $1 AND state = 'pending'",
            &[&id],
        )
        .await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    pub(super) async fn pg_enqueue_events(
        &self,
        team: i64,
        only: Option<i64>,
        events: &[NewEvent],
    ) -> Result<usize, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let n = enqueue(&tx, team, only, events).await?;
        tx.commit().await?;
        Ok(n)
    }

    pub(super) async fn pg_claim_deliveries(
        &self,
        now: i64,
        lease: i64,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        let hook_columns: Vec<String> =
            HOOK_COLUMNS.split(", ").map(|c| format!("w.{c}")).collect();
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "WITH due AS (
                       SELECT d.id FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
                       WHERE d.state = 'pending' AND d.next_at <= $1 AND NOT w.removed
                       ORDER BY d.next_at, d.id LIMIT $2 FOR UPDATE OF d SKIP LOCKED),
                     leased AS (
                       UPDATE deliveries SET next_at = $3 FROM due WHERE deliveries.id = due.id
                       RETURNING deliveries.*)
                     SELECT l.id, l.event_id, l.event, l.body, l.attempts, l.created_at, {}
                     FROM leased l JOIN webhooks w ON w.id = l.webhook_id",
                    hook_columns.join(", ")
                ),
                &[&now, &limit, &lease],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| Delivery {
                id: r.get(0),
                event_id: r.get(1),
                event: r.get(2),
                body: r.get(3),
                attempts: r.get(4),
                created_at: r.get(5),
                hook: hook_at(r, 6),
            })
            .collect())
    }

    pub(super) async fn pg_finish_deliveries(
        &self,
        done: &[(i64, i64, Outcome)],
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        for (delivery, hook, outcome) in done {
            let (delivery, hook) = (*delivery, *hook);
            match outcome {
                Outcome::Delivered { status, latency_ms } => {
                    tx.execute(
                        "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1,
                           last_status = $1, last_error = NULL, latency_ms = $2, done_at = $3 WHERE id = $4",
                        &[status, latency_ms, &now, &delivery],
                    )
                    .await?;
                }
                Outcome::Retry {
                    next_at,
                    status,
                    error,
                    latency_ms,
                } => {
                    tx.execute(
                        "UPDATE deliveries SET attempts = attempts + 1, next_at = $1,
                           last_status = $2, last_error = $3, latency_ms = $4 WHERE id = $5",
                        &[next_at, status, error, latency_ms, &delivery],
                    )
                    .await?;
                }
                Outcome::Failed {
                    status,
                    error,
                    latency_ms,
                } => {
                    tx.execute(
                        "UPDATE webhooks SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL",
                        &[&now, &hook],
                    )
                    .await?;
                    tx.execute(
                        "UPDATE deliveries SET state = 'failed', done_at = $1 WHERE webhook_id = $2 AND state = 'pending' AND id <> $3",
                        &[&now, &hook, &delivery],
                    )
                    .await?;
                    tx.execute(
                        "UPDATE deliveries SET state = 'failed', attempts = attempts + 1,
                           last_status = $1, last_error = $2, latency_ms = $3, done_at = $4 WHERE id = $5",
                        &[status, error, latency_ms, &now, &delivery],
                    )
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn pg_deliveries(
        &self,
        team: i64,
        hook: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<DeliveryInfo>, StoreError> {
        let c = self.client().await?;
        let known = c
            .query_opt(
                "SELECT id FROM webhooks WHERE id = $1 AND team_id = $2 AND NOT removed",
                &[&hook, &team],
            )
            .await?;
        if known.is_none() {
            return Err(StoreError::NotFound(format!(
                "the team has no webhook {hook}; `porchlight webhook list` shows them"
            )));
        }
        let rows = c
            .query(
                "SELECT id, event_id, event, state, attempts, last_status, last_error, latency_ms, created_at, done_at
                 FROM deliveries WHERE webhook_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
                &[&hook, &before.unwrap_or(i64::MAX), &limit],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| DeliveryInfo {
                id: r.get(0),
                event_id: r.get(1),
                event: r.get(2),
                state: r.get(3),
                attempts: r.get(4),
                last_status: r.get(5),
                last_error: r.get(6),
                latency_ms: r.get(7),
                created_at: r.get(8),
                done_at: r.get(9),
            })
            .collect())
    }

    pub(super) async fn pg_prune_deliveries(&self, days: u32) -> Result<u64, StoreError> {
        let cutoff = now_ms() - i64::from(days) * 86_400_000;
        Ok(self
            .client()
            .await?
            .execute(
                "DELETE FROM deliveries WHERE state <> 'pending' AND done_at < $1",
                &[&cutoff],
            )
            .await?)
    }
}
