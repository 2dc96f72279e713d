//! Accounts and their devices: sign-up, password checks (Argon2id), device
//! tokens (stored hashed) and their revocation.

use super::*;

impl Store {
    /// Creates an account. The first account is the admin; later ones need
    /// `open_registration` or an invite code (checked by the caller).
    pub fn create_account(
        &self,
        email: &str,
        name: &str,
        password: &str,
    ) -> Result<(i64, bool), StoreError> {
        let salt = salt()?;
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| StoreError::Internal(format!("argon2: {e}")))?
            .to_string();
        self.with(|c| {
            let tx = c.transaction()?;
            let count: i64 = tx.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get(0))?;
            let exists: Option<i64> = tx
                .query_row("SELECT id FROM accounts WHERE email = ?1", [email], |r| r.get(0))
                .optional()?;
            if exists.is_some() {
                return Ok(Err(()));
            }
            tx.execute(
                "INSERT INTO accounts (email, name, password_hash, is_admin, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![email, name, hash, count == 0, now_ms()],
            )?;
            let id = tx.last_insert_rowid();
            tx.commit()?;
            Ok(Ok((id, count == 0)))
        })?
        .map_err(|()| StoreError::Conflict("an account with that email already exists".into()))
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
            let _ = salt().map(|s| {
                Argon2::default()
                    .hash_password(password.as_bytes(), &s)
                    .is_ok()
            });
            return Ok(None);
        };
        let parsed = PasswordHash::new(&hash)
            .map_err(|e| StoreError::Internal(format!("stored hash: {e}")))?;
        if Argon2::default()
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
