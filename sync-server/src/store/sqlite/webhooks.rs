//! Webhooks and their deliveries, on SQLite.

use porchlight_api::webhooks::DeliveryInfo;
use rusqlite::{OptionalExtension, Transaction, params};

use super::Inner;
use crate::store::{Delivery, NewEvent, Outcome, StoreError, WEBHOOKS_PER_TEAM, Webhook, now_ms};

const HOOK_COLUMNS: &str =
    "id, team_id, url, secret, events, board, format, created_by, created_at, disabled_at";

fn hook_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Webhook> {
    let events: String = r.get(4)?;
    Ok(Webhook {
        id: r.get(0)?,
        team: r.get(1)?,
        url: r.get(2)?,
        secret: r.get(3)?,
        events: events
            .split(',')
            .filter(|e| !e.is_empty())
            .map(str::to_string)
            .collect(),
        board: r.get(5)?,
        format: r.get(6)?,
        created_by: r.get(7)?,
        created_at: r.get(8)?,
        disabled_at: r.get(9)?,
    })
}

/// Queues `events` for the team's endpoints that want them, inside `tx`
/// (a transaction of the outbox's writer).
pub(super) fn enqueue(
    tx: &Transaction<'_>,
    team: i64,
    only: Option<i64>,
    events: &[NewEvent],
) -> Result<usize, StoreError> {
    if events.is_empty() {
        return Ok(0);
    }
    let hooks: Vec<Webhook> = {
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT {HOOK_COLUMNS} FROM webhooks WHERE team_id = ?1 AND removed = 0"
        ))?;
        stmt.query_map([team], hook_row)?
            .collect::<rusqlite::Result<_>>()?
    };
    let now = now_ms();
    let mut insert = tx.prepare_cached(
        "INSERT INTO deliveries (webhook_id, event_id, event, body, state, attempts, next_at, created_at)
         VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?5)
         ON CONFLICT (webhook_id, event_id) DO NOTHING",
    )?;
    let mut n = 0;
    for hook in &hooks {
        for e in events {
            let wanted = match only {
                Some(id) => id == hook.id,
                None => hook.wants(e),
            };
            if wanted {
                n += insert.execute(params![hook.id, e.id, e.kind, e.body, now])?;
            }
        }
    }
    Ok(n)
}

/// Records one attempt in `tx`.
fn finish(
    tx: &Transaction<'_>,
    delivery: i64,
    hook: i64,
    outcome: &Outcome,
    now: i64,
) -> Result<(), StoreError> {
    match outcome {
        // Cached statements: a batch records hundreds of these.
        Outcome::Delivered { status, latency_ms } => tx
            .prepare_cached(
                "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1,
               last_status = ?1, last_error = NULL, latency_ms = ?2, done_at = ?3 WHERE id = ?4",
            )?
            .execute(params![status, latency_ms, now, delivery])?,
        Outcome::Retry {
            next_at,
            status,
            error,
            latency_ms,
        } => tx
            .prepare_cached(
                "UPDATE deliveries SET attempts = attempts + 1, next_at = ?1,
               last_status = ?2, last_error = ?3, latency_ms = ?4 WHERE id = ?5",
            )?
            .execute(params![next_at, status, error, latency_ms, delivery])?,
        Outcome::Failed {
            status,
            error,
            latency_ms,
        } => {
            // The endpoint itself is disabled in the main file, by the caller.
            tx.execute(
                "UPDATE deliveries SET state = 'failed', done_at = ?1 WHERE webhook_id = ?2 AND state = 'pending' AND id <> ?3",
                params![now, hook, delivery],
            )?;
            tx.execute(
                "UPDATE deliveries SET state = 'failed', attempts = attempts + 1,
                   last_status = ?1, last_error = ?2, latency_ms = ?3, done_at = ?4 WHERE id = ?5",
                params![status, error, latency_ms, now, delivery],
            )?
        }
    };
    Ok(())
}

impl Inner {
    pub(super) fn create_webhook(&self, h: &Webhook) -> Result<i64, StoreError> {
        self.write(|tx| {
            let count: i64 = tx.query_row(
                "SELECT COUNT(*) FROM webhooks WHERE team_id = ?1 AND removed = 0",
                [h.team],
                |r| r.get(0),
            )?;
            if count >= WEBHOOKS_PER_TEAM {
                return Err(StoreError::Quota(format!(
                    "the team has {WEBHOOKS_PER_TEAM} webhooks, the most it may have; remove one first (porchlight webhook remove)"
                )));
            }
            tx.execute(
                "INSERT INTO webhooks (team_id, url, secret, events, board, format, created_by, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    h.team,
                    h.url,
                    h.secret,
                    h.events.join(","),
                    h.board,
                    h.format,
                    h.created_by,
                    h.created_at
                ],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    pub(super) fn webhooks(&self, team: i64) -> Result<Vec<Webhook>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {HOOK_COLUMNS} FROM webhooks WHERE team_id = ?1 AND removed = 0 ORDER BY id"
            ))?;
            Ok(stmt
                .query_map([team], hook_row)?
                .collect::<rusqlite::Result<_>>()?)
        })
    }

    pub(super) fn remove_webhook(&self, team: i64, id: i64) -> Result<bool, StoreError> {
        let removed = self.write(|tx| {
            Ok(tx.execute(
                "UPDATE webhooks SET removed = 1 WHERE team_id = ?1 AND id = ?2 AND removed = 0",
                params![team, id],
            )? > 0)
        })?;
        // Then its queue (a removed endpoint is never claimed, so a crash
        // between the two sends nothing more).
        if removed {
            self.write_outbox(|tx| {
                tx.execute(
                    "DELETE FROM deliveries WHERE webhook_id = ?1 AND state = 'pending'",
                    [id],
                )?;
                Ok(())
            })?;
        }
        Ok(removed)
    }

    pub(super) fn enqueue_events(
        &self,
        team: i64,
        only: Option<i64>,
        events: &[NewEvent],
    ) -> Result<usize, StoreError> {
        self.write_outbox(|tx| enqueue(tx, team, only, events))
    }

    pub(super) fn claim_deliveries(
        &self,
        now: i64,
        lease: i64,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        // Asked every second: look on a reader first, so an idle relay
        // takes no write lock for nothing.
        let due: bool = self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM deliveries WHERE state = 'pending' AND next_at <= ?1)",
            )?
            .query_row([now], |r| r.get(0))?)
        })?;
        if !due {
            return Ok(Vec::new());
        }
        self.write_outbox(|tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT d.id, d.event_id, d.event, d.body, d.attempts, d.created_at,
                        {}
                 FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
                 WHERE d.state = 'pending' AND d.next_at <= ?1 AND w.removed = 0
                 ORDER BY d.next_at, d.id LIMIT ?2",
                HOOK_COLUMNS
                    .split(", ")
                    .map(|c| format!("w.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))?;
            let due: Vec<Delivery> = stmt
                .query_map(params![now, limit], |r| {
                    let hook = Webhook {
                        id: r.get(6)?,
                        team: r.get(7)?,
                        url: r.get(8)?,
                        secret: r.get(9)?,
                        events: r
                            .get::<_, String>(10)?
                            .split(',')
                            .filter(|e| !e.is_empty())
                            .map(str::to_string)
                            .collect(),
                        board: r.get(11)?,
                        format: r.get(12)?,
                        created_by: r.get(13)?,
                        created_at: r.get(14)?,
                        disabled_at: r.get(15)?,
                    };
                    Ok(Delivery {
                        id: r.get(0)?,
                        event_id: r.get(1)?,
                        event: r.get(2)?,
                        body: r.get(3)?,
                        attempts: r.get(4)?,
                        created_at: r.get(5)?,
                        hook,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            let mut lease_stmt =
                tx.prepare_cached("UPDATE deliveries SET next_at = ?1 WHERE id = ?2")?;
            for d in &due {
                lease_stmt.execute(params![lease, d.id])?;
            }
            Ok(due)
        })
    }

    pub(super) fn finish_deliveries(&self, done: &[(i64, i64, Outcome)]) -> Result<(), StoreError> {
        let now = now_ms();
        self.write_outbox(|tx| {
            for (delivery, hook, outcome) in done {
                finish(tx, *delivery, *hook, outcome, now)?;
            }
            Ok(())
        })?;
        let failed: Vec<i64> = done
            .iter()
            .filter(|(_, _, o)| matches!(o, Outcome::Failed { .. }))
            .map(|(_, hook, _)| *hook)
            .collect();
        if !failed.is_empty() {
            self.write(|tx| {
                for hook in &failed {
                    tx.execute(
                        "UPDATE webhooks SET disabled_at = ?1 WHERE id = ?2 AND disabled_at IS NULL",
                        params![now, hook],
                    )?;
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    pub(super) fn deliveries(
        &self,
        team: i64,
        hook: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<DeliveryInfo>, StoreError> {
        self.read(|c| {
            let known: Option<i64> = c
                .query_row(
                    "SELECT id FROM webhooks WHERE id = ?1 AND team_id = ?2 AND removed = 0",
                    params![hook, team],
                    |r| r.get(0),
                )
                .optional()?;
            if known.is_none() {
                return Err(StoreError::NotFound(format!(
                    "the team has no webhook {hook}; `porchlight webhook list` shows them"
                )));
            }
            let mut stmt = c.prepare_cached(
                "SELECT id, event_id, event, state, attempts, last_status, last_error, latency_ms, created_at, done_at
                 FROM deliveries WHERE webhook_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![hook, before.unwrap_or(i64::MAX), limit], |r| {
                Ok(DeliveryInfo {
                    id: r.get(0)?,
                    event_id: r.get(1)?,
                    event: r.get(2)?,
                    state: r.get(3)?,
                    attempts: r.get(4)?,
                    last_status: r.get(5)?,
                    last_error: r.get(6)?,
                    latency_ms: r.get(7)?,
                    created_at: r.get(8)?,
                    done_at: r.get(9)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub(super) fn prune_deliveries(&self, days: u32) -> Result<u64, StoreError> {
        let cutoff = now_ms() - i64::from(days) * 86_400_000;
        self.write_outbox(|tx| {
            Ok(tx.execute(
                "DELETE FROM deliveries WHERE state <> 'pending' AND done_at < ?1",
                [cutoff],
            )? as u64)
        })
    }
}
