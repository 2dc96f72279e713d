//! Accounts and their devices: sign-up, password checks (Argon2id), device
//! tokens (stored hashed) and their revocation.

use porchlight_api::accounts::DeviceInfo;

use super::*;

/// One answer for a taken email and a bad invite code.
pub const SIGNUP_REFUSED: &str = "cannot sign up with that email and invite code: the code may be unknown, used up or expired (ask a team admin for a new one), or the email may already have an account (log in instead)";

/// What [`Store::create_account`] made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Created {
    pub account: i64,
    /// The first account administers the relay.
    pub admin: bool,
    /// The team joined through the invite, and the role in it.
    pub team: Option<(i64, Role)>,
}

pub(super) fn hash_password(password: &str) -> Result<String, StoreError> {
    crate::password::hash(password).map_err(|e| StoreError::Internal(e.to_string()))
}

impl Store {
    /// Creates an account, and redeems `invite` in the same transaction: a
    /// bad invite leaves nothing behind. With an invite, a taken email and a
    /// bad code get the same answer, so an outsider cannot probe for
    /// accounts. The first account is the admin; whether a later one needs
    /// an invite is the caller's check.
    pub fn create_account(
        &self,
        email: &str,
        name: &str,
        password: &str,
        invite: Option<&str>,
    ) -> Result<Created, StoreError> {
        let hash = hash_password(password)?;
        self.with(|c| {
            let tx = c.transaction()?;
            let count: i64 = tx.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get(0))?;
            let exists: Option<i64> = tx
                .query_row("SELECT id FROM accounts WHERE email = ?1", [email], |r| r.get(0))
                .optional()?;
            if exists.is_some() {
                return Ok(Err(match invite {
                    Some(_) => StoreError::Invalid(SIGNUP_REFUSED.into()),
                    None => StoreError::Conflict("an account with that email already exists".into()),
                }));
            }
            tx.execute(
                "INSERT INTO accounts (email, name, password_hash, is_admin, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![email, name, hash, count == 0, now_ms()],
            )?;
            let account = tx.last_insert_rowid();
            let team = match invite {
                Some(code) => match super::teams::redeem(&tx, account, code)? {
                    Some(joined) => Some(joined),
                    // Dropping the transaction rolls the account back.
                    None => return Ok(Err(StoreError::Invalid(SIGNUP_REFUSED.into()))),
                },
                None => None,
            };
            tx.commit()?;
            Ok(Ok(Created { account, admin: count == 0, team }))
        })?
    }

    /// Whether `account` administers the relay (the first account does).
    pub fn is_admin(&self, account: i64) -> Result<bool, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT is_admin FROM accounts WHERE id = ?1",
                [account],
                |r| r.get(0),
            )
            .optional()
        })
        .map(|admin| admin.unwrap_or(false))
    }

    pub fn account_count(&self) -> Result<i64, StoreError> {
        self.with(|c| c.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get(0)))
    }

    /// The account of `email` and whether `password` is its password.
    /// An unknown email costs the same time as a real check, so timing
    /// does not reveal which accounts exist.
    fn check_password(&self, email: &str, password: &str) -> Result<Option<i64>, StoreError> {
        let row: Option<(i64, String)> = self.with(|c| {
            c.query_row(
                "SELECT id, password_hash FROM accounts WHERE email = ?1",
                [email],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })?;
        let Some((account, hash)) = row else {
            crate::password::pretend(password);
            return Ok(None);
        };
        Ok(crate::password::verify(password, &hash)
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .then_some(account))
    }

    /// Checks a password; on success a fresh device token, within the
    /// account's device quota. `Ok(None)`: wrong email or password.
    pub fn login(
        &self,
        email: &str,
        password: &str,
        device: &str,
        max_devices: u32,
        token_days: u32,
    ) -> Result<Option<(String, i64, i64)>, StoreError> {
        let Some(account) = self.check_password(email, password)? else {
            return Ok(None);
        };
        let token = random_token(32);
        let token_hash = sha256_hex(token.as_bytes());
        let now = now_ms();
        let live_since = now - i64::from(token_days) * 86_400_000;
        let device_id = self.with(|c| {
            let tx = c.transaction()?;
            let live: i64 = tx.query_row(
                "SELECT COUNT(*) FROM devices WHERE account_id = ?1 AND revoked = 0 AND last_used_at >= ?2",
                params![account, live_since],
                |r| r.get(0),
            )?;
            if live >= i64::from(max_devices) {
                return Ok(Err(StoreError::Quota(format!(
                    "this account already has {live} signed-in devices (the relay allows {max_devices}): sign one out with `porchlight devices revoke ID` or in Settings, then sign in again"
                ))));
            }
            tx.execute(
                "INSERT INTO devices (account_id, name, token_hash, created_at, last_used_at) VALUES (?1, ?2, ?3, ?4, ?4)",
                params![account, device, token_hash, now],
            )?;
            let id = tx.last_insert_rowid();
            tx.commit()?;
            Ok(Ok(id))
        })??;
        Ok(Some((token, device_id, account)))
    }

    /// The identity behind a device token that is neither revoked nor
    /// expired (unused for `token_days`). Use slides the expiry forward;
    /// the write happens at most once an hour per device.
    pub fn identity(&self, token: &str, token_days: u32) -> Result<Option<Identity>, StoreError> {
        if token.starts_with(porchlight_api::apikeys::KEY_PREFIX) {
            return self.key_identity(token);
        }
        let hash = sha256_hex(token.as_bytes());
        let now = now_ms();
        let live_since = now - i64::from(token_days) * 86_400_000;
        self.with(|c| {
            let row: Option<(Identity, i64)> = c
                .query_row(
                    "SELECT d.account_id, d.id, a.email, d.last_used_at FROM devices d JOIN accounts a ON a.id = d.account_id
                     WHERE d.token_hash = ?1 AND d.revoked = 0 AND d.last_used_at >= ?2",
                    params![hash, live_since],
                    |r| {
                        Ok((
                            Identity { account: r.get(0)?, device: r.get(1)?, email: r.get(2)?, key: None },
                            r.get(3)?,
                        ))
                    },
                )
                .optional()?;
            let Some((identity, last_used)) = row else {
                return Ok(None);
            };
            if now - last_used > 3_600_000 {
                c.execute(
                    "UPDATE devices SET last_used_at = ?1 WHERE id = ?2",
                    params![now, identity.device],
                )?;
            }
            Ok(Some(identity))
        })
    }

    pub fn revoke_device(&self, account: i64, device: i64) -> Result<bool, StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE devices SET revoked = 1 WHERE id = ?1 AND account_id = ?2 AND revoked = 0",
                params![device, account],
            )
            .map(|n| n > 0)
        })
    }

    /// The account's devices that can still sign in, newest first.
    pub fn devices(
        &self,
        account: i64,
        current: i64,
        token_days: u32,
    ) -> Result<Vec<DeviceInfo>, StoreError> {
        let lifetime = i64::from(token_days) * 86_400_000;
        let live_since = now_ms() - lifetime;
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT id, name, created_at, last_used_at FROM devices
                 WHERE account_id = ?1 AND revoked = 0 AND last_used_at >= ?2 ORDER BY id DESC",
            )?;
            let rows = stmt.query_map(params![account, live_since], |r| {
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
            })?;
            rows.collect()
        })
    }

    /// Changes the password after checking the current one, and revokes
    /// every other device of the account. Returns the revoked devices;
    /// `Ok(None)` when the current password is wrong.
    pub fn change_password(
        &self,
        account: i64,
        keep_device: i64,
        current: &str,
        new: &str,
    ) -> Result<Option<Vec<i64>>, StoreError> {
        let email: String = self.with(|c| {
            c.query_row("SELECT email FROM accounts WHERE id = ?1", [account], |r| {
                r.get(0)
            })
        })?;
        if self.check_password(&email, current)? != Some(account) {
            return Ok(None);
        }
        let hash = hash_password(new)?;
        self.with(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "UPDATE accounts SET password_hash = ?1 WHERE id = ?2",
                params![hash, account],
            )?;
            let revoked: Vec<i64> = {
                let mut stmt = tx.prepare(
                    "UPDATE devices SET revoked = 1 WHERE account_id = ?1 AND id != ?2 AND revoked = 0 RETURNING id",
                )?;
                let rows = stmt.query_map(params![account, keep_device], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            tx.commit()?;
            Ok(Some(revoked))
        })
    }
}
