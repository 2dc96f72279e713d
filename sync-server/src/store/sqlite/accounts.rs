//! Accounts and their devices.

use porchlight_api::accounts::DeviceInfo;
use rusqlite::{OptionalExtension, params};

use super::Inner;
use crate::store::{Created, Identity, SIGNUP_REFUSED, StoreError, now_ms, rules};

impl Inner {
    pub(super) fn create_account(
        &self,
        email: &str,
        name: &str,
        hash: &str,
        invite_hash: Option<&str>,
    ) -> Result<Created, StoreError> {
        self.write(|tx| {
            let count: i64 = tx.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get(0))?;
            let exists: Option<i64> = tx
                .query_row("SELECT id FROM accounts WHERE email = ?1", [email], |r| r.get(0))
                .optional()?;
            if exists.is_some() {
                return Err(match invite_hash {
                    Some(_) => StoreError::Invalid(SIGNUP_REFUSED.into()),
                    None => StoreError::Conflict("an account with that email already exists".into()),
                });
            }
            tx.execute(
                "INSERT INTO accounts (email, name, password_hash, is_admin, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![email, name, hash, count == 0, now_ms()],
            )?;
            let account = tx.last_insert_rowid();
            let team = match invite_hash {
                // An error rolls the account back with the transaction.
                Some(code) => Some(
                    super::teams::redeem(tx, account, code)?
                        .ok_or_else(|| StoreError::Invalid(SIGNUP_REFUSED.into()))?,
                ),
                None => None,
            };
            Ok(Created { account, admin: count == 0, team })
        })
    }

    pub(super) fn is_admin(&self, account: i64) -> Result<bool, StoreError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT is_admin FROM accounts WHERE id = ?1",
                [account],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(false))
        })
    }

    pub(super) fn account_count(&self) -> Result<i64, StoreError> {
        self.read(|c| Ok(c.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get(0))?))
    }

    pub(super) fn password_of(&self, email: &str) -> Result<Option<(i64, String)>, StoreError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT id, password_hash FROM accounts WHERE email = ?1",
                [email],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
        })
    }

    pub(super) fn password_of_account(&self, account: i64) -> Result<Option<String>, StoreError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT password_hash FROM accounts WHERE id = ?1",
                [account],
                |r| r.get(0),
            )
            .optional()?)
        })
    }

    pub(super) fn add_device(
        &self,
        account: i64,
        name: &str,
        token_hash: &str,
        max_devices: u32,
        token_days: u32,
    ) -> Result<i64, StoreError> {
        let now = now_ms();
        self.write(|tx| {
            let live: i64 = tx.query_row(
                "SELECT COUNT(*) FROM devices WHERE account_id = ?1 AND revoked = 0 AND last_used_at >= ?2",
                params![account, rules::live_since(now, token_days)],
                |r| r.get(0),
            )?;
            rules::devices_quota(live, max_devices)?;
            tx.execute(
                "INSERT INTO devices (account_id, name, token_hash, created_at, last_used_at) VALUES (?1, ?2, ?3, ?4, ?4)",
                params![account, name, token_hash, now],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    pub(super) fn device_identity(
        &self,
        token_hash: &str,
        token_days: u32,
    ) -> Result<Option<Identity>, StoreError> {
        let now = now_ms();
        let row = self.read(|c| {
            Ok(c.query_row(
                "SELECT d.account_id, d.id, a.email, d.last_used_at FROM devices d JOIN accounts a ON a.id = d.account_id
                 WHERE d.token_hash = ?1 AND d.revoked = 0 AND d.last_used_at >= ?2",
                params![token_hash, rules::live_since(now, token_days)],
                |r| {
                    Ok((
                        Identity { account: r.get(0)?, device: r.get(1)?, email: r.get(2)?, key: None },
                        r.get::<_, i64>(3)?,
                    ))
                },
            )
            .optional()?)
        })?;
        let Some((identity, last_used)) = row else {
            return Ok(None);
        };
        if now - last_used > rules::TOUCH_EVERY_MS {
            self.write(|tx| {
                tx.execute(
                    "UPDATE devices SET last_used_at = ?1 WHERE id = ?2",
                    params![now, identity.device],
                )?;
                Ok(())
            })?;
        }
        Ok(Some(identity))
    }

    pub(super) fn revoke_device(&self, account: i64, device: i64) -> Result<bool, StoreError> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE devices SET revoked = 1 WHERE id = ?1 AND account_id = ?2 AND revoked = 0",
                params![device, account],
            )? > 0)
        })
    }

    pub(super) fn devices(
        &self,
        account: i64,
        current: i64,
        token_days: u32,
    ) -> Result<Vec<DeviceInfo>, StoreError> {
        let lifetime = i64::from(token_days) * 86_400_000;
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT id, name, created_at, last_used_at FROM devices
                 WHERE account_id = ?1 AND revoked = 0 AND last_used_at >= ?2 ORDER BY id DESC",
            )?;
            let rows = stmt.query_map(
                params![account, rules::live_since(now_ms(), token_days)],
                |r| {
                    let id: i64 = r.get(0)?;
                    let last_used_at: i64 = r.get(3)?;
                    Ok(DeviceInfo {
                        id,
                        name: r.get(1)?,
                        created_at: r.get(2)?,
                        last_used_at,
                        expires_at: last_used_at + lifetime,
                        current: id == current,
                    })
                },
            )?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub(super) fn set_password(
        &self,
        account: i64,
        hash: &str,
        keep_device: i64,
    ) -> Result<Vec<i64>, StoreError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE accounts SET password_hash = ?1 WHERE id = ?2",
                params![hash, account],
            )?;
            let mut stmt = tx.prepare(
                "UPDATE devices SET revoked = 1 WHERE account_id = ?1 AND id != ?2 AND revoked = 0 RETURNING id",
            )?;
            let rows = stmt.query_map(params![account, keep_device], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}
