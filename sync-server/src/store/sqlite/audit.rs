//! The audit log.

use porchlight_api::audit::AuditEvent;
use rusqlite::params;

use super::Inner;
use crate::store::{AUDIT_PAGE, Audit, StoreError, now_ms};

impl Inner {
    pub(super) fn audit(&self, a: &Audit) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO audit (at, event, actor, team_id, source, target) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![now_ms(), a.event, a.actor, a.team, a.source, a.target],
            )?;
            Ok(())
        })
    }

    /// Events of one team (`Some`), or account events (`None`), newest
    /// first, older than `before` (an event id).
    pub(super) fn read_audit(
        &self,
        team: Option<i64>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        self.audit_page("a.team_id IS ?1", team, before, limit)
    }

    /// Events of the rows where `filter` (on `?1` = `key`) holds, newest
    /// first, older than `before`.
    pub(super) fn audit_page(
        &self,
        filter: &str,
        key: Option<i64>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT a.id, a.at, a.event, a.actor, acc.email, a.team_id, a.source, a.target
                 FROM audit a LEFT JOIN accounts acc ON acc.id = a.actor
                 WHERE {filter} AND a.id < ?2 ORDER BY a.id DESC LIMIT ?3"
            ))?;
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
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub(super) fn prune_audit(&self, days: u32) -> Result<u64, StoreError> {
        let cutoff = now_ms() - i64::from(days) * 86_400_000;
        self.write(|tx| Ok(tx.execute("DELETE FROM audit WHERE at < ?1", [cutoff])? as u64))
    }
}
