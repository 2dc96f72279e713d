//! Teams, their members and roles, and invites (stored hashed).

use super::*;

impl Store {
    /// Creates a team owned by `account`, with its workspace document registered.
    pub fn create_team(
        &self,
        account: i64,
        name: &str,
        workspace: &str,
    ) -> Result<i64, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
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
            tx.commit()?;
            Ok(team)
        })
    }

    pub fn teams(&self, account: i64) -> Result<Vec<TeamInfo>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT t.id, t.name, t.workspace_doc, m.role FROM teams t JOIN members m ON m.team_id = t.id
                 WHERE m.account_id = ?1 ORDER BY t.name",
            )?;
            let rows = stmt.query_map([account], |r| {
                let role: String = r.get(3)?;
                Ok(TeamInfo { id: r.get(0)?, name: r.get(1)?, workspace: r.get(2)?, role: Role::parse(&role).unwrap_or(Role::Viewer) })
            })?;
            rows.collect()
        })
    }

    pub fn role(&self, account: i64, team: i64) -> Result<Option<Role>, StoreError> {
        let role: Option<String> = self.with(|c| {
            c.query_row(
                "SELECT role FROM members WHERE team_id = ?1 AND account_id = ?2",
                params![team, account],
                |r| r.get(0),
            )
            .optional()
        })?;
        Ok(role.as_deref().and_then(Role::parse))
    }

    pub fn members(&self, team: i64) -> Result<Vec<MemberInfo>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT a.id, a.email, a.name, m.role FROM members m JOIN accounts a ON a.id = m.account_id
                 WHERE m.team_id = ?1 ORDER BY a.email",
            )?;
            let rows = stmt.query_map([team], |r| {
                let role: String = r.get(3)?;
                Ok(MemberInfo { account: r.get(0)?, email: r.get(1)?, name: r.get(2)?, role: Role::parse(&role).unwrap_or(Role::Viewer) })
            })?;
            rows.collect()
        })
    }

    pub fn set_role(&self, team: i64, account: i64, role: Role) -> Result<bool, StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE members SET role = ?1 WHERE team_id = ?2 AND account_id = ?3",
                params![role.as_str(), team, account],
            )
            .map(|n| n > 0)
        })
    }

    pub fn remove_member(&self, team: i64, account: i64) -> Result<bool, StoreError> {
        self.with(|c| {
            c.execute(
                "DELETE FROM members WHERE team_id = ?1 AND account_id = ?2",
                params![team, account],
            )
            .map(|n| n > 0)
        })
    }

    /// A new invite code (returned once; stored hashed).
    pub fn create_invite(
        &self,
        team: i64,
        role: Role,
        expires_at: i64,
        by: i64,
    ) -> Result<String, StoreError> {
        let code = random_token(12);
        self.with(|c| {
            c.execute(
                "INSERT INTO invites (code_hash, team_id, role, expires_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![sha256_hex(code.as_bytes()), team, role.as_str(), expires_at, by],
            )
        })?;
        Ok(code)
    }

    /// Redeems an invite: adds the account to the team with the invite's role.
    pub fn join(&self, account: i64, code: &str) -> Result<Option<(i64, Role)>, StoreError> {
        let hash = sha256_hex(code.trim().as_bytes());
        self.with(|c| {
            let tx = c.transaction()?;
            let invite: Option<(i64, String, i64)> = tx
                .query_row(
                    "SELECT team_id, role, expires_at FROM invites WHERE code_hash = ?1",
                    [&hash],
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
            tx.commit()?;
            Ok(Some((team, role)))
        })
    }
}
