//! Account export and deletion, on SQLite.

use porchlight_api::audit::AuditEvent;
use rusqlite::params;

use super::Inner;
use crate::store::{StoreError, rules};

impl Inner {
    pub(super) fn actor_audit(
        &self,
        account: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        self.audit_page("a.actor = ?1", Some(account), before, limit)
    }

    pub(super) fn delete_account(
        &self,
        account: i64,
        unusable_hash: &str,
    ) -> Result<Vec<i64>, StoreError> {
        self.write(|tx| {
            // Teams it alone owns, and how many members each has.
            let mut stmt = tx.prepare(
                "SELECT t.name,
                   (SELECT COUNT(*) FROM members o WHERE o.team_id = m.team_id AND o.role = 'owner'),
                   (SELECT COUNT(*) FROM members a WHERE a.team_id = m.team_id)
                 FROM members m JOIN teams t ON t.id = m.team_id
                 WHERE m.account_id = ?1 AND m.role = 'owner'",
            )?;
            let owned: Vec<(String, i64, i64)> = stmt
                .query_map([account], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            drop(stmt);
            rules::may_delete_account(&owned)?;
            let devices: Vec<i64> = {
                let mut stmt = tx.prepare("SELECT id FROM devices WHERE account_id = ?1 AND revoked = 0")?;
                stmt.query_map([account], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?
            };
            tx.execute("UPDATE devices SET revoked = 1 WHERE account_id = ?1", [account])?;
            tx.execute("DELETE FROM members WHERE account_id = ?1", [account])?;
            tx.execute("DELETE FROM calendar_feeds WHERE account_id = ?1", [account])?;
            tx.execute(
                "UPDATE accounts SET email = 'deleted-' || id || '@deleted.invalid',
                   name = 'deleted user', password_hash = ?2 WHERE id = ?1",
                params![account, unusable_hash],
            )?;
            Ok(devices)
        })
    }
}

impl Inner {
    pub(super) fn create_reset(
        &self,
        email: &str,
        code_hash: &str,
        expires_at: i64,
    ) -> Result<Option<i64>, StoreError> {
        use rusqlite::OptionalExtension;
        self.write(|tx| {
            let Some(account): Option<i64> = tx
                .query_row("SELECT id FROM accounts WHERE email = ?1", [email], |r| r.get(0))
                .optional()?
            else {
                return Ok(None);
            };
            tx.execute(
                "UPDATE password_resets SET used = 1 WHERE account_id = ?1",
                [account],
            )?;
            tx.execute(
                "INSERT INTO password_resets (code_hash, account_id, expires_at) VALUES (?1, ?2, ?3)",
                params![code_hash, account, expires_at],
            )?;
            Ok(Some(account))
        })
    }

    pub(super) fn use_reset(
        &self,
        email: &str,
        code_hash: &str,
    ) -> Result<Option<i64>, StoreError> {
        use rusqlite::OptionalExtension;
        let now = crate::store::now_ms();
        self.write(|tx| {
            let found: Option<(i64, i64, bool, String)> = tx
                .query_row(
                    "SELECT r.account_id, r.expires_at, r.used, a.email FROM password_resets r
                     JOIN accounts a ON a.id = r.account_id WHERE r.code_hash = ?1",
                    [code_hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            tx.execute(
                "UPDATE password_resets SET used = 1 WHERE code_hash = ?1",
                [code_hash],
            )?;
            Ok(found.and_then(|(account, expires, used, owner)| {
                (!used && expires > now && owner == email).then_some(account)
            }))
        })
    }
}
