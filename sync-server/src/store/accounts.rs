//! Accounts and their devices: sign-up, password checks (Argon2id), device
//! tokens (stored hashed) and their revocation.

use argon2::{Algorithm, Params, Version};

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

/// Argon2id with the parameters stated: 19 MiB of memory, 2 passes, one
/// lane (OWASP's first recommendation). Each hash or check holds 19 MiB
/// while it runs, so the handlers bound how many run at once.
pub const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
pub const ARGON2_PASSES: u32 = 2;
pub const ARGON2_LANES: u32 = 1;

fn argon2() -> Result<Argon2<'static>, StoreError> {
    let params = Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, ARGON2_LANES, None)
        .map_err(|e| StoreError::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A PHC string of `password` with a fresh salt.
pub(super) fn hash_password(password: &str) -> Result<String, StoreError> {
    let salt = salt()?;
    Ok(argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| StoreError::Internal(format!("argon2: {e}")))?
        .to_string())
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

    /// Checks a password; returns a fresh device token on success.
    pub fn login(
        &self,
        email: &str,
        password: &str,
        device: &str,
    ) -> Result<Option<(String, i64)>, StoreError> {
        let row: Option<(i64, String)> = self.with(|c| {
            c.query_row(
                "SELECT id, password_hash FROM accounts WHERE email = ?1",
                [email],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })?;
        let Some((account, hash)) = row else {
            // Spend the same time as a real check, so timing does not reveal accounts.
            let _ = hash_password(password);
            return Ok(None);
        };
        let parsed = PasswordHash::new(&hash)
            .map_err(|e| StoreError::Internal(format!("stored hash: {e}")))?;
        if argon2()?
            .verify_password(password.as_bytes(), &parsed)
            .is_err()
        {
            return Ok(None);
        }
        let token = random_token(32);
        let token_hash = sha256_hex(token.as_bytes());
        let device_id = self.with(|c| {
            c.execute(
                "INSERT INTO devices (account_id, name, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![account, device, token_hash, now_ms()],
            )?;
            Ok(c.last_insert_rowid())
        })?;
        Ok(Some((token, device_id)))
    }

    pub fn identity(&self, token: &str) -> Result<Option<Identity>, StoreError> {
        let hash = sha256_hex(token.as_bytes());
        self.with(|c| {
            c.query_row(
                "SELECT d.account_id, d.id, a.email FROM devices d JOIN accounts a ON a.id = d.account_id
                 WHERE d.token_hash = ?1 AND d.revoked = 0",
                [hash],
                |r| Ok(Identity { account: r.get(0)?, device: r.get(1)?, email: r.get(2)? }),
            )
            .optional()
        })
    }

    pub fn revoke_device(&self, account: i64, device: i64) -> Result<bool, StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE devices SET revoked = 1 WHERE id = ?1 AND account_id = ?2",
                params![device, account],
            )
            .map(|n| n > 0)
        })
    }
}
