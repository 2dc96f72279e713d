//! The relay's storage: accounts, devices, teams, the document registry and
//! the documents' Automerge chunks, in one SQLite file.
//!
//! Every method commits before it returns, so a change the hub reports as
//! persisted survives a SIGKILL. Tokens and invite codes are stored hashed.
//! The methods are grouped by area: [`accounts`], [`teams`], [`registry`]
//! and [`chunks`]; the schema is a numbered list of migrations
//! ([`migrations`]). Errors are [`StoreError`]s, which the handlers turn
//! into HTTP answers.

mod accounts;
mod apikeys;
mod audit;
pub use accounts::{Created, SIGNUP_REFUSED};
pub use apikeys::MAX_KEY_NAME;
pub use audit::{AUDIT_PAGE, Audit};
mod chunks;
mod migrations;
mod registry;
mod teams;

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::AppError;

/// What went wrong in the relay's storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    /// The request clashes with what is stored (an email already taken).
    #[error("{0}")]
    Conflict(String),
    /// The data directory's database was written by a newer relay.
    #[error(
        "the relay database {path} has schema {found}; this relay knows up to {known}: upgrade the relay"
    )]
    TooNew {
        path: String,
        found: i64,
        known: i64,
    },
    /// The caller may not do this (the message says why).
    #[error("{0}")]
    Forbidden(String),
    /// No such thing, or not visible to the caller.
    #[error("{0}")]
    NotFound(String),
    /// A quota was reached (the message names it and what to do).
    #[error("{0}")]
    Quota(String),
    /// Bad input the caller can fix (the message says how).
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Internal(String),
}

/// What [`Store::change_member`] does to a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChange {
    Role(Role),
    Remove,
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => AppError::conflict(m),
            StoreError::Forbidden(m) => AppError::forbidden(m),
            StoreError::NotFound(m) => AppError::not_found(m),
            StoreError::Invalid(m) => AppError::bad_request(m),
            StoreError::Quota(m) => AppError::quota(m),
            e => AppError::internal(e.to_string()),
        }
    }
}

// Roles, teams and members are the team API's wire types, shared with the
// clients.
pub use porchlight_api::team::{MemberInfo, Role, TeamInfo};

/// Who a token speaks for: a signed-in device of an account, or a team's
/// API key (then `account` and `email` are the key's maker, for the audit
/// log, and `device` is 0).
#[derive(Debug, Clone)]
pub struct Identity {
    pub account: i64,
    pub device: i64,
    pub email: String,
    pub key: Option<KeyGrant>,
}

/// What an API key may reach: one team, read or write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyGrant {
    pub id: i64,
    pub team: i64,
    pub scope: porchlight_api::apikeys::Scope,
    pub name: String,
}

impl Identity {
    /// The role this identity acts with in `team`: a member's own, or for
    /// a key of that team, member (write) or viewer (read).
    pub fn role_in(&self, store: &Store, team: i64) -> Result<Option<Role>, StoreError> {
        match &self.key {
            Some(k) if k.team == team => Ok(Some(match k.scope {
                porchlight_api::apikeys::Scope::Write => Role::Member,
                porchlight_api::apikeys::Scope::Read => Role::Viewer,
            })),
            Some(_) => Ok(None),
            None => store.role(self.account, team),
        }
    }
}

#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub use porchlight_model::ids::sha256_hex;

fn random_token(bytes: usize) -> String {
    porchlight_model::ids::random_hex(bytes)
}

impl Store {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = Connection::open(path)
            .map_err(|e| StoreError::Internal(format!("open {}: {e}", path.display())))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations::apply(&mut conn, path)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let mut conn = self
            .conn
            .lock()
            .map_err(|_| StoreError::Internal("store lock poisoned".into()))?;
        Ok(f(&mut conn)?)
    }
}
