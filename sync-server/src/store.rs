//! The relay's storage: accounts, devices, teams, the document registry and
//! the documents' Automerge chunks, in one SQLite file.
//!
//! Every method commits before it returns, so a change the hub reports as
//! persisted survives a SIGKILL. Tokens and invite codes are stored hashed.

use std::path::Path;
use std::sync::Mutex;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::AppError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    password_hash TEXT NOT NULL, is_admin INTEGER NOT NULL, created_at INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS devices (
    id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0) STRICT;
CREATE TABLE IF NOT EXISTS teams (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, workspace_doc TEXT NOT NULL, created_at INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS members (
    team_id INTEGER NOT NULL REFERENCES teams(id), account_id INTEGER NOT NULL REFERENCES accounts(id),
    role TEXT NOT NULL CHECK (role IN ('owner','admin','member','viewer')),
    PRIMARY KEY (team_id, account_id)) STRICT;
CREATE TABLE IF NOT EXISTS invites (
    code_hash TEXT PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES teams(id),
    role TEXT NOT NULL, expires_at INTEGER NOT NULL, created_by INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES teams(id), created_at INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, data BLOB NOT NULL) STRICT;
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks (doc_id, id);
";

// Roles, teams and members are the team API's wire types, shared with the
// clients.
pub use porchlight_model::team::{MemberInfo, Role, TeamInfo};

/// The account behind a device token.
#[derive(Debug, Clone)]
pub struct Identity {
    pub account: i64,
    pub device: i64,
    pub email: String,
}

#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub use porchlight_model::ids::sha256_hex;

/// A fresh random Argon2 salt.
fn salt() -> Result<SaltString, AppError> {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    SaltString::encode_b64(&bytes).map_err(|e| AppError::internal(format!("salt: {e}")))
}

fn random_token(bytes: usize) -> String {
    porchlight_model::ids::random_hex(bytes)
}

impl Store {
    pub fn open(path: &Path) -> Result<Self, AppError> {
        let conn = Connection::open(path)
            .map_err(|e| AppError::internal(format!("open {}: {e}", path.display())))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(AppError::db)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(AppError::db)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(AppError::db)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(AppError::db)?;
        conn.execute_batch(SCHEMA).map_err(AppError::db)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, AppError> {
        let mut conn = self
            .conn
            .lock()
            .map_err(|_| AppError::internal("store lock poisoned"))?;
        f(&mut conn).map_err(AppError::db)
    }

    /// Creates an account. The first account is the admin; later ones need
    /// `open_registration` or an invite code (checked by the caller).
    pub fn create_account(
        &self,
        email: &str,
        name: &str,
        password: &str,
    ) -> Result<(i64, bool), AppError> {
        let salt = salt()?;
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| AppError::internal(format!("argon2: {e}")))?
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
        .map_err(|()| AppError::conflict("an account with that email already exists"))
    }

    pub fn account_count(&self) -> Result<i64, AppError> {
        self.with(|c| c.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get(0)))
    }

    /// Checks a password; returns a fresh device token on success.
    pub fn login(
        &self,
        email: &str,
        password: &str,
        device: &str,
    ) -> Result<Option<(String, i64)>, AppError> {
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
            .map_err(|e| AppError::internal(format!("stored hash: {e}")))?;
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

    pub fn identity(&self, token: &str) -> Result<Option<Identity>, AppError> {
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

    pub fn revoke_device(&self, account: i64, device: i64) -> Result<bool, AppError> {
        self.with(|c| {
            c.execute(
                "UPDATE devices SET revoked = 1 WHERE id = ?1 AND account_id = ?2",
                params![device, account],
            )
            .map(|n| n > 0)
        })
    }

    /// Creates a team owned by `account`, with its workspace document registered.
    pub fn create_team(&self, account: i64, name: &str, workspace: &str) -> Result<i64, AppError> {
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

    pub fn teams(&self, account: i64) -> Result<Vec<TeamInfo>, AppError> {
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

    pub fn role(&self, account: i64, team: i64) -> Result<Option<Role>, AppError> {
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

    pub fn members(&self, team: i64) -> Result<Vec<MemberInfo>, AppError> {
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

    pub fn set_role(&self, team: i64, account: i64, role: Role) -> Result<bool, AppError> {
        self.with(|c| {
            c.execute(
                "UPDATE members SET role = ?1 WHERE team_id = ?2 AND account_id = ?3",
                params![role.as_str(), team, account],
            )
            .map(|n| n > 0)
        })
    }

    pub fn remove_member(&self, team: i64, account: i64) -> Result<bool, AppError> {
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
    ) -> Result<String, AppError> {
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
    pub fn join(&self, account: i64, code: &str) -> Result<Option<(i64, Role)>, AppError> {
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

    /// Registers `doc` to `team`. First registration wins: returns the owning team.
    pub fn register_document(&self, team: i64, doc: &str) -> Result<i64, AppError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO documents (doc_id, team_id, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (doc_id) DO NOTHING",
                params![doc, team, now_ms()],
            )?;
            c.query_row("SELECT team_id FROM documents WHERE doc_id = ?1", [doc], |r| r.get(0))
        })
    }

    pub fn team_of_document(&self, doc: &str) -> Result<Option<i64>, AppError> {
        self.with(|c| {
            c.query_row(
                "SELECT team_id FROM documents WHERE doc_id = ?1",
                [doc],
                |r| r.get(0),
            )
            .optional()
        })
    }

    pub fn documents_of_team(&self, team: i64) -> Result<Vec<String>, AppError> {
        self.with(|c| {
            let mut stmt =
                c.prepare("SELECT doc_id FROM documents WHERE team_id = ?1 ORDER BY doc_id")?;
            let rows = stmt.query_map([team], |r| r.get(0))?;
            rows.collect()
        })
    }

    /// Appends changes of several documents in one transaction (group commit).
    pub fn append_chunks(&self, chunks: &[(String, Vec<u8>)]) -> Result<(), AppError> {
        self.with(|c| {
            let tx = c.transaction()?;
            {
                let mut stmt =
                    tx.prepare_cached("INSERT INTO chunks (doc_id, data) VALUES (?1, ?2)")?;
                for (doc, data) in chunks {
                    stmt.execute(params![doc, data])?;
                }
            }
            tx.commit()
        })
    }

    /// Every chunk of a document, oldest first.
    pub fn load_chunks(&self, doc: &str) -> Result<Vec<Vec<u8>>, AppError> {
        self.with(|c| {
            let mut stmt =
                c.prepare_cached("SELECT data FROM chunks WHERE doc_id = ?1 ORDER BY id")?;
            let rows = stmt.query_map([doc], |r| r.get(0))?;
            rows.collect()
        })
    }
}
