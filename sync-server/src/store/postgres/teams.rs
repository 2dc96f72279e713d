//! Teams, members, invites, API keys and the document registry.

use porchlight_api::apikeys::{ApiKeyInfo, Scope};
use tokio_postgres::{Row, Transaction};

use super::PgStore;
use crate::store::{
    Identity, KeyGrant, MemberChange, MemberInfo, Role, StoreError, TeamInfo, now_ms, rules,
};

async fn role_of(
    tx: &Transaction<'_>,
    team: i64,
    account: i64,
) -> Result<Option<Role>, StoreError> {
    let row = tx
        .query_opt(
            "SELECT role FROM members WHERE team_id = $1 AND account_id = $2",
            &[&team, &account],
        )
        .await?;
    Ok(row.and_then(|r| Role::parse(r.get::<_, &str>(0))))
}

/// Checks an invite (its code's hash) and adds `account` to its team,
/// inside the caller's transaction. `None` for an unknown or expired code.
pub(super) async fn redeem(
    tx: &Transaction<'_>,
    account: i64,
    code_hash: &str,
) -> Result<Option<(i64, Role)>, StoreError> {
    let Some(row) = tx
        .query_opt(
            "SELECT team_id, role, expires_at FROM invites WHERE code_hash = $1",
            &[&code_hash],
        )
        .await?
    else {
        return Ok(None);
    };
    let (team, role, expires): (i64, String, i64) = (row.get(0), row.get(1), row.get(2));
    if expires < now_ms() {
        return Ok(None);
    }
    let role = Role::parse(&role).unwrap_or(Role::Viewer);
    tx.execute(
        "INSERT INTO members (team_id, account_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (team_id, account_id) DO NOTHING",
        &[&team, &account, &role.as_str()],
    )
    .await?;
    Ok(Some((team, role)))
}

fn team_row(r: &Row) -> TeamInfo {
    TeamInfo {
        id: r.get(0),
        name: r.get(1),
        workspace: r.get(2),
        role: Role::parse(r.get::<_, &str>(3)).unwrap_or(Role::Viewer),
    }
}

fn key_row(r: &Row) -> ApiKeyInfo {
    ApiKeyInfo {
        id: r.get(0),
        name: r.get(1),
        scope: Scope::parse(r.get::<_, &str>(2)).unwrap_or(Scope::Read),
        created_by: r.get(3),
        created_at: r.get(4),
        expires_at: r.get(5),
        last_used_at: r.get(6),
    }
}

const KEY_COLUMNS: &str =
    "SELECT k.id, k.name, k.scope, a.email, k.created_at, k.expires_at, k.last_used_at
     FROM api_keys k LEFT JOIN accounts a ON a.id = k.created_by";

impl PgStore {
    pub(super) async fn pg_create_team(
        &self,
        account: i64,
        name: &str,
        workspace: &str,
        max_owned: u32,
    ) -> Result<i64, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute(
            "SELECT id FROM accounts WHERE id = $1 FOR UPDATE",
            &[&account],
        )
        .await?;
        let owned: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM members WHERE account_id = $1 AND role = 'owner'",
                &[&account],
            )
            .await?
            .get(0);
        rules::teams_quota(owned, max_owned)?;
        let team: i64 = tx
            .query_one(
                "INSERT INTO teams (name, workspace_doc, created_at) VALUES ($1, $2, $3) RETURNING id",
                &[&name, &workspace, &now_ms()],
            )
            .await?
            .get(0);
        tx.execute(
            "INSERT INTO members (team_id, account_id, role) VALUES ($1, $2, 'owner')",
            &[&team, &account],
        )
        .await?;
        tx.execute(
            "INSERT INTO documents (doc_id, team_id, created_at) VALUES ($1, $2, $3)",
            &[&workspace, &team, &now_ms()],
        )
        .await?;
        tx.commit().await?;
        Ok(team)
    }

    pub(super) async fn pg_teams(&self, account: i64) -> Result<Vec<TeamInfo>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT t.id, t.name, t.workspace_doc, m.role FROM teams t JOIN members m ON m.team_id = t.id
                 WHERE m.account_id = $1 ORDER BY t.name",
                &[&account],
            )
            .await?;
        Ok(rows.iter().map(team_row).collect())
    }

    pub(super) async fn pg_members(&self, team: i64) -> Result<Vec<MemberInfo>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT a.id, a.email, a.name, m.role FROM members m JOIN accounts a ON a.id = m.account_id
                 WHERE m.team_id = $1 ORDER BY a.email",
                &[&team],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| MemberInfo {
                account: r.get(0),
                email: r.get(1),
                name: r.get(2),
                role: Role::parse(r.get::<_, &str>(3)).unwrap_or(Role::Viewer),
            })
            .collect())
    }

    pub(super) async fn pg_change_member(
        &self,
        team: i64,
        actor: i64,
        target: i64,
        change: MemberChange,
    ) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // The team's member rows, locked: two admins demoting the last two
        // owners at once cannot both pass the last-owner rule.
        tx.execute(
            "SELECT 1 FROM members WHERE team_id = $1 FOR UPDATE",
            &[&team],
        )
        .await?;
        let mine = role_of(&tx, team, actor)
            .await?
            .ok_or_else(|| StoreError::NotFound("no such team".into()))?;
        let theirs = role_of(&tx, team, target)
            .await?
            .ok_or_else(|| StoreError::NotFound("that account is not in the team".into()))?;
        let owners: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM members WHERE team_id = $1 AND role = 'owner'",
                &[&team],
            )
            .await?
            .get(0);
        let leaving = actor == target && change == MemberChange::Remove;
        rules::member_change(mine, theirs, leaving, change, owners)?;
        match change {
            MemberChange::Role(role) => {
                tx.execute(
                    "UPDATE members SET role = $1 WHERE team_id = $2 AND account_id = $3",
                    &[&role.as_str(), &team, &target],
                )
                .await?
            }
            MemberChange::Remove => {
                tx.execute(
                    "DELETE FROM members WHERE team_id = $1 AND account_id = $2",
                    &[&team, &target],
                )
                .await?
            }
        };
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn pg_transfer(
        &self,
        team: i64,
        owner: i64,
        to: i64,
    ) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute(
            "SELECT 1 FROM members WHERE team_id = $1 FOR UPDATE",
            &[&team],
        )
        .await?;
        rules::transfer(
            role_of(&tx, team, owner).await?,
            role_of(&tx, team, to).await?.is_some(),
        )?;
        if owner != to {
            tx.execute(
                "UPDATE members SET role = 'owner' WHERE team_id = $1 AND account_id = $2",
                &[&team, &to],
            )
            .await?;
            tx.execute(
                "UPDATE members SET role = 'admin' WHERE team_id = $1 AND account_id = $2",
                &[&team, &owner],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn pg_join(
        &self,
        account: i64,
        code_hash: &str,
    ) -> Result<Option<(i64, Role)>, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let joined = redeem(&tx, account, code_hash).await?;
        tx.commit().await?;
        Ok(joined)
    }

    pub(super) async fn pg_create_api_key(
        &self,
        team: i64,
        by: i64,
        name: &str,
        scope: Scope,
        key_hash: &str,
        expires_at: Option<i64>,
    ) -> Result<ApiKeyInfo, StoreError> {
        let c = self.client().await?;
        let id: i64 = c
            .query_one(
                "INSERT INTO api_keys (team_id, name, scope, token_hash, created_by, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                &[&team, &name, &scope.as_str(), &key_hash, &by, &now_ms(), &expires_at],
            )
            .await?
            .get(0);
        let row = c
            .query_one(&format!("{KEY_COLUMNS} WHERE k.id = $1"), &[&id])
            .await?;
        Ok(key_row(&row))
    }

    pub(super) async fn pg_api_keys(&self, team: i64) -> Result<Vec<ApiKeyInfo>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "{KEY_COLUMNS} WHERE k.team_id = $1 AND NOT k.revoked AND (k.expires_at IS NULL OR k.expires_at > $2) ORDER BY k.id DESC"
                ),
                &[&team, &now_ms()],
            )
            .await?;
        Ok(rows.iter().map(key_row).collect())
    }

    pub(super) async fn pg_key_identity(
        &self,
        key_hash: &str,
    ) -> Result<Option<Identity>, StoreError> {
        let now = now_ms();
        let c = self.client().await?;
        let Some(r) = c
            .query_opt(
                "SELECT k.id, k.team_id, k.scope, k.name, k.created_by, a.email, k.last_used_at
                 FROM api_keys k LEFT JOIN accounts a ON a.id = k.created_by
                 WHERE k.token_hash = $1 AND NOT k.revoked AND (k.expires_at IS NULL OR k.expires_at > $2)",
                &[&key_hash, &now],
            )
            .await?
        else {
            return Ok(None);
        };
        let id: i64 = r.get(0);
        let last: Option<i64> = r.get(6);
        if last.is_none_or(|l| now - l > rules::TOUCH_EVERY_MS) {
            c.execute(
                "UPDATE api_keys SET last_used_at = $1 WHERE id = $2",
                &[&now, &id],
            )
            .await?;
        }
        Ok(Some(Identity {
            account: r.get(4),
            device: 0,
            email: r.get::<_, Option<String>>(5).unwrap_or_default(),
            key: Some(KeyGrant {
                id,
                team: r.get(1),
                scope: Scope::parse(r.get::<_, &str>(2)).unwrap_or(Scope::Read),
                name: r.get(3),
            }),
        }))
    }

    pub(super) async fn pg_register_document(
        &self,
        team: i64,
        doc: &str,
        max_docs: u32,
    ) -> Result<i64, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        // One registration at a time per team, so the quota holds.
        tx.execute("SELECT id FROM teams WHERE id = $1 FOR UPDATE", &[&team])
            .await?;
        if let Some(r) = tx
            .query_opt("SELECT team_id FROM documents WHERE doc_id = $1", &[&doc])
            .await?
        {
            return Ok(r.get(0));
        }
        let count: i64 = tx
            .query_one(
                "SELECT COUNT(*) FROM documents WHERE team_id = $1",
                &[&team],
            )
            .await?
            .get(0);
        rules::documents_quota(count, max_docs)?;
        // Another team may register the same id in between: the first wins.
        let owner: i64 = tx
            .query_one(
                "INSERT INTO documents (doc_id, team_id, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (doc_id) DO UPDATE SET doc_id = EXCLUDED.doc_id RETURNING team_id",
                &[&doc, &team, &now_ms()],
            )
            .await?
            .get(0);
        tx.commit().await?;
        Ok(owner)
    }
}
