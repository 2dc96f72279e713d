//! A team's API keys: made, listed and revoked by its owners and admins,
//! stored as a SHA-256 of the key (which is shown once), looked up by that
//! hash, expiring at a fixed time if one was given.

use porchlight_api::apikeys::{ApiKeyInfo, KEY_PREFIX, Scope};

use super::*;

/// The longest key name.
pub const MAX_KEY_NAME: usize = 100;

impl Store {
    /// Makes a key for `team`; returns the key (shown once) and its record.
    pub fn create_api_key(
        &self,
        team: i64,
        by: i64,
        name: &str,
        scope: Scope,
        expires_at: Option<i64>,
    ) -> Result<(String, ApiKeyInfo), StoreError> {
        let key = format!("{KEY_PREFIX}{}", random_token(32));
        let now = now_ms();
        let (id, created_by) = self.with(|c| {
            c.execute(
                "INSERT INTO api_keys (team_id, name, scope, token_hash, created_by, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![team, name, scope.as_str(), sha256_hex(key.as_bytes()), by, now, expires_at],
            )?;
            let id = c.last_insert_rowid();
            let email = c
                .query_row("SELECT email FROM accounts WHERE id = ?1", [by], |r| r.get(0))
                .optional()?;
            Ok((id, email))
        })?;
        let info = ApiKeyInfo {
            id,
            name: name.to_string(),
            scope,
            created_by,
            created_at: now,
            expires_at,
            last_used_at: None,
        };
        Ok((key, info))
    }

    /// The team's keys that still work, newest first.
    pub fn api_keys(&self, team: i64) -> Result<Vec<ApiKeyInfo>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT k.id, k.name, k.scope, a.email, k.created_at, k.expires_at, k.last_used_at
                 FROM api_keys k LEFT JOIN accounts a ON a.id = k.created_by
                 WHERE k.team_id = ?1 AND k.revoked = 0 AND (k.expires_at IS NULL OR k.expires_at > ?2)
                 ORDER BY k.id DESC",
            )?;
            let rows = stmt.query_map(params![team, now_ms()], |r| {
                let scope: String = r.get(2)?;
                Ok(ApiKeyInfo {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    scope: Scope::parse(&scope).unwrap_or(Scope::Read),
                    created_by: r.get(3)?,
                    created_at: r.get(4)?,
                    expires_at: r.get(5)?,
                    last_used_at: r.get(6)?,
                })
            })?;
            rows.collect()
        })
    }

    /// Revokes key `id` of `team`; `false` when there is no such live key.
    pub fn revoke_api_key(&self, team: i64, id: i64) -> Result<bool, StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE api_keys SET revoked = 1 WHERE id = ?1 AND team_id = ?2 AND revoked = 0",
                params![id, team],
            )
            .map(|n| n > 0)
        })
    }

    /// The identity behind a live API key; its last use is noted at most
    /// once an hour.
    pub(super) fn key_identity(&self, key: &str) -> Result<Option<Identity>, StoreError> {
        let hash = sha256_hex(key.as_bytes());
        let now = now_ms();
        self.with(|c| {
            let row = c
                .query_row(
                    "SELECT k.id, k.team_id, k.scope, k.name, k.created_by, a.email, k.last_used_at
                     FROM api_keys k LEFT JOIN accounts a ON a.id = k.created_by
                     WHERE k.token_hash = ?1 AND k.revoked = 0 AND (k.expires_at IS NULL OR k.expires_at > ?2)",
                    params![hash, now],
                    |r| {
                        let scope: String = r.get(2)?;
                        let last: Option<i64> = r.get(6)?;
                        Ok((
                            Identity {
                                account: r.get(4)?,
                                device: 0,
                                email: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                                key: Some(KeyGrant {
                                    id: r.get(0)?,
                                    team: r.get(1)?,
                                    scope: Scope::parse(&scope).unwrap_or(Scope::Read),
                                    name: r.get(3)?,
                                }),
                            },
                            last,
                        ))
                    },
                )
                .optional()?;
            let Some((identity, last)) = row else {
                return Ok(None);
            };
            if last.is_none_or(|l| now - l > 3_600_000)
                && let Some(k) = &identity.key
            {
                c.execute(
                    "UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2",
                    params![now, k.id],
                )?;
            }
            Ok(Some(identity))
        })
    }
}
