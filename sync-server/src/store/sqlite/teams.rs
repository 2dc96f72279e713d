//! Teams, members, invites, API keys and the document registry.

use porchlight_api::apikeys::{ApiKeyInfo, Scope};
use rusqlite::{OptionalExtension, Transaction, params};

use super::Inner;
use crate::store::{
    Identity, KeyGrant, MemberChange, MemberInfo, Role, StoreError, TeamInfo, now_ms, rules,
};

fn role_of(tx: &Transaction<'_>, team: i64, account: i64) -> Result<Option<Role>, StoreError> {
    let r: Option<String> = tx
        .query_row(
            "SELECT role FROM members WHERE team_id = ?1 AND account_id = ?2",
            params![team, account],
            |r| r.get(0),
        )
        .optional()?;
    Ok(r.as_deref().and_then(Role::parse))
}

/// Checks an invite (its code's hash) and adds `account` to its team,
/// inside the caller's transaction. `None` for an unknown or expired code.
pub(super) fn redeem(
    tx: &Transaction<'_>,
    account: i64,
    code_hash: &str,
) -> Result<Option<(i64, Role)>, StoreError> {
    let invite: Option<(i64, String, i64)> = tx
        .query_row(
            "SELECT team_id, role, expires_at FROM invites WHERE code_hash = ?1",
            [code_hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((team, role, expires)) = invite else {
        return Ok(None);
    };
    if expires < now_ms() {
        return Ok(None);
    }
    let role = Role::parse(&role).unwrap_or(Role::Viewer);
    tx.execute(
        "INSERT INTO members (team_id, account_id, role) VALUES (?1, ?2, ?3)
         ON CONFLICT (team_id, account_id) DO NOTHING",
        params![team, account, role.as_str()],
    )?;
    Ok(Some((team, role)))
}

fn key_info(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApiKeyInfo> {
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
}

impl Inner {
    pub(super) fn create_team(
        &self,
        account: i64,
        name: &str,
        workspace: &str,
        max_owned: u32,
    ) -> Result<i64, StoreError> {
        self.write(|tx| {
            let owned: i64 = tx.query_row(
                "SELECT COUNT(*) FROM members WHERE account_id = ?1 AND role = 'owner'",
                [account],
                |r| r.get(0),
            )?;
            rules::teams_quota(owned, max_owned)?;
            tx.execute(
                "INSERT INTO teams (name, workspace_doc, created_at) VALUES (?1, ?2, ?3)",
                params![name, workspace, now_ms()],
            )?;
            let team = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO members (team_id, account_id, role) VALUES (?1, ?2, 'owner')",
                params![team, account],
            )?;
            tx.execute(
                "INSERT INTO documents (doc_id, team_id, created_at) VALUES (?1, ?2, ?3)",
                params![workspace, team, now_ms()],
            )?;
            Ok(team)
        })
    }

    pub(super) fn teams(&self, account: i64) -> Result<Vec<TeamInfo>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT t.id, t.name, t.workspace_doc, m.role FROM teams t JOIN members m ON m.team_id = t.id
                 WHERE m.account_id = ?1 ORDER BY t.name",
            )?;
            let rows = stmt.query_map([account], |r| {
                let role: String = r.get(3)?;
                Ok(TeamInfo { id: r.get(0)?, name: r.get(1)?, workspace: r.get(2)?, role: Role::parse(&role).unwrap_or(Role::Viewer) })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub(super) fn team_info(&self, team: i64) -> Result<Option<(String, String)>, StoreError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT name, workspace_doc FROM teams WHERE id = ?1",
                [team],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
        })
    }

    pub(super) fn team_bytes(&self, team: i64) -> Result<i64, StoreError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT stored_bytes FROM teams WHERE id = ?1",
                [team],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
        })
    }

    pub(super) fn role(&self, account: i64, team: i64) -> Result<Option<Role>, StoreError> {
        let role: Option<String> = self.read(|c| {
            Ok(c.query_row(
                "SELECT role FROM members WHERE team_id = ?1 AND account_id = ?2",
                params![team, account],
                |r| r.get(0),
            )
            .optional()?)
        })?;
        Ok(role.as_deref().and_then(Role::parse))
    }

    pub(super) fn members(&self, team: i64) -> Result<Vec<MemberInfo>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT a.id, a.email, a.name, m.role FROM members m JOIN accounts a ON a.id = m.account_id
                 WHERE m.team_id = ?1 ORDER BY a.email",
            )?;
            let rows = stmt.query_map([team], |r| {
                let role: String = r.get(3)?;
                Ok(MemberInfo { account: r.get(0)?, email: r.get(1)?, name: r.get(2)?, role: Role::parse(&role).unwrap_or(Role::Viewer) })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub(super) fn change_member(
        &self,
        team: i64,
        actor: i64,
        target: i64,
        change: MemberChange,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let mine = role_of(tx, team, actor)?
                .ok_or_else(|| StoreError::NotFound("no such team".into()))?;
            let theirs = role_of(tx, team, target)?
                .ok_or_else(|| StoreError::NotFound("that account is not in the team".into()))?;
            let owners: i64 = tx.query_row(
                "SELECT COUNT(*) FROM members WHERE team_id = ?1 AND role = 'owner'",
                [team],
                |r| r.get(0),
            )?;
            let leaving = actor == target && change == MemberChange::Remove;
            rules::member_change(mine, theirs, leaving, change, owners)?;
            match change {
                MemberChange::Role(role) => tx.execute(
                    "UPDATE members SET role = ?1 WHERE team_id = ?2 AND account_id = ?3",
                    params![role.as_str(), team, target],
                )?,
                MemberChange::Remove => tx.execute(
                    "DELETE FROM members WHERE team_id = ?1 AND account_id = ?2",
                    params![team, target],
                )?,
            };
            Ok(())
        })
    }

    pub(super) fn transfer_ownership(
        &self,
        team: i64,
        owner: i64,
        to: i64,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            rules::transfer(role_of(tx, team, owner)?, role_of(tx, team, to)?.is_some())?;
            if owner != to {
                tx.execute(
                    "UPDATE members SET role = 'owner' WHERE team_id = ?1 AND account_id = ?2",
                    params![team, to],
                )?;
                tx.execute(
                    "UPDATE members SET role = 'admin' WHERE team_id = ?1 AND account_id = ?2",
                    params![team, owner],
                )?;
            }
            Ok(())
        })
    }

    pub(super) fn create_invite(
        &self,
        team: i64,
        role: Role,
        expires_at: i64,
        by: i64,
        code_hash: &str,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO invites (code_hash, team_id, role, expires_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![code_hash, team, role.as_str(), expires_at, by],
            )?;
            Ok(())
        })
    }

    pub(super) fn join(
        &self,
        account: i64,
        code_hash: &str,
    ) -> Result<Option<(i64, Role)>, StoreError> {
        self.write(|tx| redeem(tx, account, code_hash))
    }

    pub(super) fn create_api_key(
        &self,
        team: i64,
        by: i64,
        name: &str,
        scope: Scope,
        key_hash: &str,
        expires_at: Option<i64>,
    ) -> Result<ApiKeyInfo, StoreError> {
        let now = now_ms();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO api_keys (team_id, name, scope, token_hash, created_by, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![team, name, scope.as_str(), key_hash, by, now, expires_at],
            )?;
            let id = tx.last_insert_rowid();
            Ok(tx.query_row(
                "SELECT k.id, k.name, k.scope, a.email, k.created_at, k.expires_at, k.last_used_at
                 FROM api_keys k LEFT JOIN accounts a ON a.id = k.created_by WHERE k.id = ?1",
                [id],
                key_info,
            )?)
        })
    }

    pub(super) fn api_keys(&self, team: i64) -> Result<Vec<ApiKeyInfo>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT k.id, k.name, k.scope, a.email, k.created_at, k.expires_at, k.last_used_at
                 FROM api_keys k LEFT JOIN accounts a ON a.id = k.created_by
                 WHERE k.team_id = ?1 AND k.revoked = 0 AND (k.expires_at IS NULL OR k.expires_at > ?2)
                 ORDER BY k.id DESC",
            )?;
            let rows = stmt.query_map(params![team, now_ms()], key_info)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub(super) fn revoke_api_key(&self, team: i64, id: i64) -> Result<bool, StoreError> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE api_keys SET revoked = 1 WHERE id = ?1 AND team_id = ?2 AND revoked = 0",
                params![id, team],
            )? > 0)
        })
    }

    pub(super) fn key_identity(&self, key_hash: &str) -> Result<Option<Identity>, StoreError> {
        let now = now_ms();
        let row = self.read(|c| {
            Ok(c.query_row(
                "SELECT k.id, k.team_id, k.scope, k.name, k.created_by, a.email, k.last_used_at
                 FROM api_keys k LEFT JOIN accounts a ON a.id = k.created_by
                 WHERE k.token_hash = ?1 AND k.revoked = 0 AND (k.expires_at IS NULL OR k.expires_at > ?2)",
                params![key_hash, now],
                |r| {
                    let scope: String = r.get(2)?;
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
                        r.get::<_, Option<i64>>(6)?,
                    ))
                },
            )
            .optional()?)
        })?;
        let Some((identity, last)) = row else {
            return Ok(None);
        };
        if last.is_none_or(|l| now - l > rules::TOUCH_EVERY_MS)
            && let Some(k) = &identity.key
        {
            let id = k.id;
            self.write(|tx| {
                tx.execute(
                    "UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2",
                    params![now, id],
                )?;
                Ok(())
            })?;
        }
        Ok(Some(identity))
    }

    pub(super) fn register_document(
        &self,
        team: i64,
        doc: &str,
        max_docs: u32,
    ) -> Result<i64, StoreError> {
        self.write(|tx| {
            let owner: Option<i64> = tx
                .query_row(
                    "SELECT team_id FROM documents WHERE doc_id = ?1",
                    [doc],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(owner) = owner {
                return Ok(owner);
            }
            let count: i64 = tx.query_row(
                "SELECT COUNT(*) FROM documents WHERE team_id = ?1",
                [team],
                |r| r.get(0),
            )?;
            rules::documents_quota(count, max_docs)?;
            tx.execute(
                "INSERT INTO documents (doc_id, team_id, created_at) VALUES (?1, ?2, ?3)",
                params![doc, team, now_ms()],
            )?;
            Ok(team)
        })
    }

    pub(super) fn team_of_document(&self, doc: &str) -> Result<Option<i64>, StoreError> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT team_id FROM documents WHERE doc_id = ?1",
                [doc],
                |r| r.get(0),
            )
            .optional()?)
        })
    }

    pub(super) fn documents_of_team(&self, team: i64) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            let mut stmt =
                c.prepare("SELECT doc_id FROM documents WHERE team_id = ?1 ORDER BY doc_id")?;
            let rows = stmt.query_map([team], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub(super) fn all_documents(&self) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare("SELECT doc_id FROM documents ORDER BY doc_id")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}
