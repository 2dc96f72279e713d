//! The audit log: security-relevant events with their actor, time, source
//! address and target, kept across restarts and deleted after the
//! configured retention.

use porchlight_api::audit::AuditEvent;

use super::*;

/// Longest page of the audit log one request reads.
pub const AUDIT_PAGE: i64 = 500;

/// One event to record.
#[derive(Debug, Clone, Default)]
pub struct Audit<'a> {
    pub event: &'a str,
    pub actor: Option<i64>,
    pub team: Option<i64>,
    pub source: Option<String>,
    pub target: Option<String>,
}

impl Store {
    /// Records an event. A failure is logged, never raised: the action it
    /// describes has already happened.
    pub fn audit(&self, a: Audit<'_>) {
        let result = self.with(|c| {
            c.execute(
                "INSERT INTO audit (at, event, actor, team_id, source, target) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![now_ms(), a.event, a.actor, a.team, a.source, a.target],
            )
        });
        if let Err(e) = result {
            tracing::error!(event = a.event, error = %e, "cannot write the audit log");
        }
    }

    /// A team's events, newest first, older than `before` (an event id).
    pub fn team_audit(
        &self,
        team: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        self.read_audit("a.team_id = ?1", team, before, limit)
    }

    /// Account-level events (sign-ups, logins, devices, API keys) of every
    /// account, for the relay's admin.
    pub fn account_audit(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        self.read_audit("a.team_id IS NULL AND ?1 = ?1", 0, before, limit)
    }

    fn read_audit(
        &self,
        filter: &str,
        key: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let sql = format!(
            "SELECT a.id, a.at, a.event, a.actor, acc.email, a.team_id, a.source, a.target
             FROM audit a LEFT JOIN accounts acc ON acc.id = a.actor
             WHERE {filter} AND a.id < ?2 ORDER BY a.id DESC LIMIT ?3"
        );
        self.with(|c| {
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(
                params![key, before.unwrap_or(i64::MAX), limit.clamp(1, AUDIT_PAGE)],
                |r| {
                    Ok(AuditEvent {
                        id: r.get(0)?,
                        at: r.get(1)?,
                        event: r.get(2)?,
                        actor: r.get(3)?,
                        actor_email: r.get(4)?,
                        team: r.get(5)?,
                        source: r.get(6)?,
                        target: r.get(7)?,
                    })
                },
            )?;
            rows.collect()
        })
    }

    /// Deletes events older than `days`; returns how many.
    pub fn prune_audit(&self, days: u32) -> Result<usize, StoreError> {
        let cutoff = now_ms() - i64::from(days) * 86_400_000;
        self.with(|c| c.execute("DELETE FROM audit WHERE at < ?1", [cutoff]))
    }
}
