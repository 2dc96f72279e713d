//! Accounts and their devices, and the audit log.

use porchlight_api::accounts::DeviceInfo;
use porchlight_api::audit::AuditEvent;

use super::PgStore;
use crate::store::{
    AUDIT_PAGE, Audit, Created, Identity, SIGNUP_REFUSED, StoreError, now_ms, rules,
};

impl PgStore {
    pub(super) async fn pg_create_account(
        &self,
        email: &str,
        name: &str,
        hash: &str,
        invite_hash: Option<&str>,
    ) -> Result<Created, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // Serializes sign-ups so exactly one account is the first (the admin).
        tx.execute("LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE", &[])
            .await?;
        let count: i64 = tx
            .query_one("SELECT COUNT(*) FROM accounts", &[])
            .await?
            .get(0);
        if tx
            .query_opt("SELECT id FROM accounts WHERE email = $1", &[&email])
            .await?
            .is_some()
        {
            return Err(match invite_hash {
                Some(_) => StoreError::Invalid(SIGNUP_REFUSED.into()),
                None => StoreError::Conflict("an account with that email already exists".into()),
            });
        }
        let account: i64 = tx
            .query_one(
                "INSERT INTO accounts (email, name, password_hash, is_admin, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[&email, &name, &hash, &(count == 0), &now_ms()],
            )
            .await?
            .get(0);
        let team = match invite_hash {
            // Returning early drops the transaction: the account goes too.
            Some(code) => Some(
                super::teams::redeem(&tx, account, code)
                    .await?
                    .ok_or_else(|| StoreError::Invalid(SIGNUP_REFUSED.into()))?,
            ),
            None => None,
        };
        tx.commit().await?;
        Ok(Created {
            account,
            admin: count == 0,
            team,
        })
    }

    pub(super) async fn pg_add_device(
        &self,
        account: i64,
        name: &str,
        token_hash: &str,
        max_devices: u32,
        token_days: u32,
    ) -> Result<i64, StoreError> {
        let now = now_ms();
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // One sign-in at a time per account, so the quota holds.
        tx.execute(
            "SELECT id FROM accounts WHERE id = $1 FOR UPDATE",
            &[&account],
        )
        .await?;
        let live: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM devices WHERE account_id = $1 AND NOT revoked AND last_used_at >= $2",
                &[&account, &rules::live_since(now, token_days)],
            )
            .await?
            .get(0);
        rules::devices_quota(live, max_devices)?;
        let id: i64 = tx
            .query_one(
                "INSERT INTO devices (account_id, name, token_hash, created_at, last_used_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
                &[&account, &name, &token_hash, &now],
            )
            .await?
            .get(0);
        tx.commit().await?;
        Ok(id)
    }

    pub(super) async fn pg_device_identity(
        &self,
        token_hash: &str,
        token_days: u32,
    ) -> Result<Option<Identity>, StoreError> {
        let now = now_ms();
        let c = self.client().await?;
        let Some(row) = c
            .query_opt(
                "SELECT d.account_id, d.id, a.email, d.last_used_at FROM devices d JOIN accounts a ON a.id = d.account_id
                 WHERE d.token_hash = $1 AND NOT d.revoked AND d.last_used_at >= $2",
                &[&token_hash, &rules::live_since(now, token_days)],
            )
            .await?
        else {
            return Ok(None);
        };
        let identity = Identity {
            account: row.get(0),
            device: row.get(1),
            email: row.get(2),
            key: None,
        };
        let last_used: i64 = row.get(3);
        if now - last_used > rules::TOUCH_EVERY_MS {
            c.execute(
                "UPDATE devices SET last_used_at = $1 WHERE id = $2",
                &[&now, &identity.device],
            )
            .await?;
        }
        Ok(Some(identity))
    }

    pub(super) async fn pg_devices(
        &self,
        account: i64,
        current: i64,
        token_days: u32,
    ) -> Result<Vec<DeviceInfo>, StoreError> {
        let lifetime = i64::from(token_days) * 86_400_000;
        let rows = self
            .client()
            .await?
            .query(
                "SELECT id, name, created_at, last_used_at FROM devices
                 WHERE account_id = $1 AND NOT revoked AND last_used_at >= $2 ORDER BY id DESC",
                &[&account, &rules::live_since(now_ms(), token_days)],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let id: i64 = r.get(0);
                let last_used_at: i64 = r.get(3);
                DeviceInfo {
                    id,
                    name: r.get(1),
                    created_at: r.get(2),
                    last_used_at,
                    expires_at: last_used_at + lifetime,
                    current: id == current,
                }
            })
            .collect())
    }

    pub(super) async fn pg_set_password(
        &self,
        account: i64,
        hash: &str,
        keep_device: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute(
            "UPDATE accounts SET password_hash = $1 WHERE id = $2",
            &[&hash, &account],
        )
        .await?;
        let revoked = tx
            .query(
                "UPDATE devices SET revoked = TRUE WHERE account_id = $1 AND id != $2 AND NOT revoked RETURNING id",
                &[&account, &keep_device],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        tx.commit().await?;
        Ok(revoked)
    }

    pub(super) async fn pg_audit(&self, a: &Audit) -> Result<(), StoreError> {
        self.client()
            .await?
            .execute(
                "INSERT INTO audit (at, event, actor, team_id, source, target) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&now_ms(), &a.event, &a.actor, &a.team, &a.source, &a.target],
            )
            .await?;
        Ok(())
    }

    pub(super) async fn pg_read_audit(
        &self,
        team: Option<i64>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        self.pg_audit_page("a.team_id IS NOT DISTINCT FROM $1", team, before, limit)
            .await
    }

    /// Events of the rows where `filter` (on `$1` = `key`) holds, newest
    /// first, older than `before`.
    pub(super) async fn pg_audit_page(
        &self,
        filter: &str,
        key: Option<i64>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT a.id, a.at, a.event, a.actor, acc.email, a.team_id, a.source, a.target
                     FROM audit a LEFT JOIN accounts acc ON acc.id = a.actor
                     WHERE {filter} AND a.id < $2 ORDER BY a.id DESC LIMIT $3"
                ),
                &[
                    &key,
                    &before.unwrap_or(i64::MAX),
                    &limit.clamp(1, AUDIT_PAGE),
                ],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| AuditEvent {
                id: r.get(0),
                at: r.get(1),
                event: r.get(2),
                actor: r.get(3),
                actor_email: r.get(4),
                team: r.get(5),
                source: r.get(6),
                target: r.get(7),
            })
            .collect())
    }
}
