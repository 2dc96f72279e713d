//! Account export and deletion, on PostgreSQL.

use porchlight_api::audit::AuditEvent;

use super::PgStore;
use crate::store::{StoreError, rules};

impl PgStore {
    pub(super) async fn pg_actor_audit(
        &self,
        account: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        self.pg_audit_page("a.actor = $1", Some(account), before, limit)
            .await
    }

    pub(super) async fn pg_delete_account(
        &self,
        account: i64,
        unusable_hash: &str,
    ) -> Result<Vec<i64>, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // The teams it owns, locked so an ownership change cannot slip in.
        let owned: Vec<(String, i64, i64)> = tx
            .query(
                "SELECT t.name,
                   (SELECT COUNT(*) FROM members o WHERE o.team_id = m.team_id AND o.role = 'owner'),
                   (SELECT COUNT(*) FROM members a WHERE a.team_id = m.team_id)
                 FROM members m JOIN teams t ON t.id = m.team_id
                 WHERE m.account_id = $1 AND m.role = 'owner' FOR UPDATE OF t",
                &[&account],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        rules::may_delete_account(&owned)?;
        let devices: Vec<i64> = tx
            .query(
                "UPDATE devices SET revoked = TRUE WHERE account_id = $1 AND NOT revoked RETURNING id",
                &[&account],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        tx.execute("DELETE FROM members WHERE account_id = $1", &[&account])
            .await?;
        tx.execute(
            "DELETE FROM calendar_feeds WHERE account_id = $1",
            &[&account],
        )
        .await?;
        tx.execute(
            "UPDATE accounts SET email = 'deleted-' || id || '@deleted.invalid',
               name = 'deleted user', password_hash = $2 WHERE id = $1",
            &[&account, &unusable_hash],
        )
        .await?;
        tx.commit().await?;
        Ok(devices)
    }
}

impl PgStore {
    pub(super) async fn pg_create_reset(
        &self,
        email: &str,
        code_hash: &str,
        expires_at: i64,
    ) -> Result<Option<i64>, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let Some(row) = tx
            .query_opt("SELECT id FROM accounts WHERE email = $1", &[&email])
            .await?
        else {
            return Ok(None);
        };
        let account: i64 = row.get(0);
        tx.execute(
            "UPDATE password_resets SET used = TRUE WHERE account_id = $1",
            &[&account],
        )
        .await?;
        tx.execute(
            "INSERT INTO password_resets (code_hash, account_id, expires_at) VALUES ($1, $2, $3)",
            &[&code_hash, &account, &expires_at],
        )
        .await?;
        tx.commit().await?;
        Ok(Some(account))
    }

    pub(super) async fn pg_use_reset(
        &self,
        email: &str,
        code_hash: &str,
    ) -> Result<Option<i64>, StoreError> {
        let now = crate::store::now_ms();
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let found = tx
            .query_opt(
                "SELECT r.account_id, r.expires_at, r.used, a.email FROM password_resets r
                 JOIN accounts a ON a.id = r.account_id WHERE r.code_hash = $1 FOR UPDATE OF r",
                &[&code_hash],
            )
            .await?;
        tx.execute(
            "UPDATE password_resets SET used = TRUE WHERE code_hash = $1",
            &[&code_hash],
        )
        .await?;
        tx.commit().await?;
        Ok(found.and_then(|r| {
            let (account, expires, used, owner): (i64, i64, bool, String) =
                (r.get(0), r.get(1), r.get(2), r.get(3));
            (!used && expires > now && owner == email).then_some(account)
        }))
    }
}
