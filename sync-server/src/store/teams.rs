//! Teams, their members and roles, and invites (stored hashed).

use super::*;

impl Store {
    /// Creates a team owned by `account`, with its workspace document registered.
    /// Refused past `max_owned` teams owned by the account.
    pub fn create_team(
        &self,
        account: i64,
        name: &str,
        workspace: &str,
        max_owned: u32,
    ) -> Result<i64, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let owned: i64 = tx.query_row(
                "SELECT COUNT(*) FROM members WHERE account_id = ?1 AND role = 'owner'",
                [account],
                |r| r.get(0),
            )?;
            if owned >= i64::from(max_owned) {
                return Ok(Err(StoreError::Quota(format!(
                    "this account already owns {owned} teams (the relay allows {max_owned}): hand one over or ask the relay's admin to raise teams_per_account"
                ))));
            }
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
            Ok(Ok(team))
        })?
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

    /// A team's name and workspace document.
    pub fn team_info(&self, team: i64) -> Result<Option<(String, String)>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT name, workspace_doc FROM teams WHERE id = ?1",
                [team],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })
    }

    /// Bytes of document changes the team stores.
    pub fn team_bytes(&self, team: i64) -> Result<i64, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT stored_bytes FROM teams WHERE id = ?1",
                [team],
                |r| r.get(0),
            )
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

    /// Changes `target`'s membership of `team` on behalf of `actor`, in one
    /// transaction with the rules: only owners and admins act on others
    /// (anyone may leave); nobody acts on a member of equal or higher rank,
    /// or gives a rank at or above their own, unless they are an owner; the
    /// last owner can neither leave nor be demoted.
    pub fn change_member(
        &self,
        team: i64,
        actor: i64,
        target: i64,
        change: MemberChange,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let role_of = |account: i64| -> rusqlite::Result<Option<Role>> {
                let r: Option<String> = tx
                    .query_row(
                        "SELECT role FROM members WHERE team_id = ?1 AND account_id = ?2",
                        params![team, account],
                        |r| r.get(0),
                    )
                    .optional()?;
                Ok(r.as_deref().and_then(Role::parse))
            };
            let Some(mine) = role_of(actor)? else {
                return Ok(Err(StoreError::NotFound("no such team".into())));
            };
            let Some(theirs) = role_of(target)? else {
                return Ok(Err(StoreError::NotFound(
                    "that account is not in the team".into(),
                )));
            };
            let leaving = actor == target && change == MemberChange::Remove;
            if !leaving {
                if !mine.manages() {
                    return Ok(Err(StoreError::Forbidden(
                        "only a team owner or admin can do that".into(),
                    )));
                }
                let too_high = |r: Role| r.rank() >= mine.rank();
                if mine != Role::Owner
                    && (too_high(theirs)
                        || matches!(change, MemberChange::Role(r) if too_high(r)))
                {
                    return Ok(Err(StoreError::Forbidden(format!(
                        "an {} can only change members below their own rank; ask an owner",
                        mine.as_str()
                    ))));
                }
            }
            let demotes_owner = theirs == Role::Owner
                && !matches!(change, MemberChange::Role(Role::Owner));
            if demotes_owner {
                let owners: i64 = tx.query_row(
                    "SELECT COUNT(*) FROM members WHERE team_id = ?1 AND role = 'owner'",
                    [team],
                    |r| r.get(0),
                )?;
                if owners <= 1 {
                    return Ok(Err(StoreError::Forbidden(
                        "the team's last owner cannot leave or be demoted: hand ownership to another member first (porchlight team transfer)".into(),
                    )));
                }
            }
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
            tx.commit()?;
            Ok(Ok(()))
        })?
    }

    /// Hands ownership from `owner` to the member `to`; `owner` stays as an
    /// admin. One transaction.
    pub fn transfer_ownership(&self, team: i64, owner: i64, to: i64) -> Result<(), StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let role = |account: i64| -> rusqlite::Result<Option<String>> {
                tx.query_row(
                    "SELECT role FROM members WHERE team_id = ?1 AND account_id = ?2",
                    params![team, account],
                    |r| r.get(0),
                )
                .optional()
            };
            match role(owner)?.as_deref() {
                None => return Ok(Err(StoreError::NotFound("no such team".into()))),
                Some("owner") => {}
                Some(_) => {
                    return Ok(Err(StoreError::Forbidden(
                        "only an owner can hand ownership over".into(),
                    )));
                }
            }
            if role(to)?.is_none() {
                return Ok(Err(StoreError::NotFound(
                    "that account is not in the team".into(),
                )));
            }
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
            tx.commit()?;
            Ok(Ok(()))
        })?
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
        self.with(|c| {
            let tx = c.transaction()?;
            let joined = redeem(&tx, account, code)?;
            tx.commit()?;
            Ok(joined)
        })
    }
}

/// Checks an invite and adds `account` to its team, inside the caller's
/// transaction. `None` for an unknown or expired code.
pub(super) fn redeem(
    tx: &rusqlite::Transaction<'_>,
    account: i64,
    code: &str,
) -> rusqlite::Result<Option<(i64, Role)>> {
    let hash = sha256_hex(code.trim().as_bytes());
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
    Ok(Some((team, role)))
}
