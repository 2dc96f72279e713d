//! The relay's storage: accounts, devices, API keys, teams, members,
//! invites, the document registry, the documents' Automerge chunks and the
//! audit log, behind one trait, [`Storage`], with two backends:
//!
//! - [`SqliteStore`]: the embedded default, one file under `--data-dir`,
//!   nothing else to run. One writer connection and a small pool of
//!   readers (WAL), so sign-ins and REST reads never wait for the hub's
//!   group commits.
//! - [`PgStore`]: PostgreSQL (`--database postgres://…`), for deployments
//!   that outgrow one machine; several relay nodes share it.
//!
//! Every method commits before it returns, so a change the hub reports as
//! persisted survives a SIGKILL. Tokens, keys and invite codes arrive
//! hashed. The rules both backends enforce inside their transactions (who
//! may change whom, the last owner, quotas) are in [`rules`], written once.
//! The same test suite runs on both (`PORCHLIGHT_TEST_DATABASE=postgres`).

pub mod migrate;
mod postgres;
pub mod rules;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use porchlight_api::accounts::DeviceInfo;
use porchlight_api::apikeys::{ApiKeyInfo, Scope};
use porchlight_api::audit::AuditEvent;

use crate::error::AppError;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

// Roles, teams and members are the team API's wire types, shared with the
// clients.
pub use porchlight_api::team::{MemberInfo, Role, TeamInfo};
pub use porchlight_model::ids::sha256_hex;

/// The storage a relay runs on.
pub type Store = Arc<dyn Storage>;

/// Longest page of the audit log one request reads.
pub const AUDIT_PAGE: i64 = 500;

/// One answer for a taken email and a bad invite code.
pub const SIGNUP_REFUSED: &str = "cannot sign up with that email and invite code: the code may be unknown, used up or expired (ask a team admin for a new one), or the email may already have an account (log in instead)";

/// What went wrong in the relay's storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(String),
    /// The request clashes with what is stored (an email already taken).
    #[error("{0}")]
    Conflict(String),
    /// The database was written by a newer relay.
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

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Db(e.to_string())
    }
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

/// What [`Storage::change_member`] does to a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChange {
    Role(Role),
    Remove,
}

/// What [`Storage::create_account`] made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Created {
    pub account: i64,
    /// The first account administers the relay.
    pub admin: bool,
    /// The team joined through the invite, and the role in it.
    pub team: Option<(i64, Role)>,
}

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
    pub scope: Scope,
    pub name: String,
}

impl KeyGrant {
    /// The role a key acts with in its team.
    pub fn role(&self) -> Role {
        match self.scope {
            Scope::Write => Role::Member,
            Scope::Read => Role::Viewer,
        }
    }
}

impl Identity {
    /// The role this identity acts with in `team`: a member's own, or for
    /// a key of that team, member (write) or viewer (read).
    pub async fn role_in(
        &self,
        store: &dyn Storage,
        team: i64,
    ) -> Result<Option<Role>, StoreError> {
        match &self.key {
            Some(k) if k.team == team => Ok(Some(k.role())),
            Some(_) => Ok(None),
            None => store.role(self.account, team).await,
        }
    }
}

/// One event for the audit log.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    pub event: &'static str,
    pub actor: Option<i64>,
    pub team: Option<i64>,
    pub source: Option<String>,
    pub target: Option<String>,
}

/// A chunk of a document as stored: its row id and its bytes.
#[derive(Debug, Clone)]
pub struct Chunk {
    pub id: i64,
    pub data: Vec<u8>,
}

/// A board as the relay's view holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewBoard {
    pub doc: String,
    pub team: i64,
    pub name: String,
    pub deleted: bool,
}

/// A task as the relay's view holds it: a few columns to filter on and the
/// whole task as JSON (`porchlight_model::board::Task`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewTask {
    pub doc: String,
    pub task: String,
    pub due_at: Option<i64>,
    pub done: bool,
    pub deleted: bool,
    pub updated_at: i64,
    pub data: String,
}

/// What one refresh of a board changes in the view, in one transaction.
#[derive(Debug, Clone)]
pub struct ViewUpdate {
    pub board: ViewBoard,
    pub upsert: Vec<ViewTask>,
    /// Task ids gone from the document.
    pub remove: Vec<String>,
    /// Events for the team's webhooks, queued in the same transaction.
    pub events: Vec<NewEvent>,
    /// `@name` mentions in new comments, queued for email in the same
    /// transaction.
    pub mentions: Vec<NewMention>,
}

/// A mention to email: who was named in which comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMention {
    /// board␟task␟comment␟name: the same mention is queued once.
    pub key: String,
    /// The name mentioned, lower-case, as the person is called now on the
    /// board, then any name they had before there, joined by U+001F.
    pub name: String,
    pub author: String,
    pub board: String,
    pub title: String,
    pub text: String,
}

/// A queued mention, claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MentionMail {
    pub id: i64,
    pub team: i64,
    pub mention: NewMention,
}

/// Someone a mention's email goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MentionReader {
    pub account: i64,
    pub email: String,
    pub name: String,
}

/// How a member's name is written after `@`: lower case, its words joined
/// by dots ("Maria Lopez" → `maria.lopez`).
pub fn mention_name(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(".")
        .to_lowercase()
}

/// A listing of a team's shared listing cache as the view holds it: what
/// a `listing.changed` event is about.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewListing {
    pub key: String,
    pub list_price: Option<f64>,
    pub status: Option<String>,
}

/// What one refresh of a listing shard changes in the view.
#[derive(Debug, Clone)]
pub struct ListingUpdate {
    pub doc: String,
    pub team: i64,
    pub upsert: Vec<ViewListing>,
    /// Listings whose MLS record left the shard.
    pub remove: Vec<String>,
    pub events: Vec<NewEvent>,
}

/// A webhook endpoint of a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: i64,
    pub team: i64,
    pub url: String,
    /// `whsec_…`: the key of the HMAC signatures.
    pub secret: String,
    /// The event types it wants; empty: every one.
    pub events: Vec<String>,
    /// One board's id; empty: every board.
    pub board: String,
    /// standard, slack, teams or discord.
    pub format: String,
    pub created_by: i64,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

impl Webhook {
    /// Whether `event` goes to this endpoint.
    pub fn wants(&self, event: &NewEvent) -> bool {
        self.disabled_at.is_none()
            && (self.events.is_empty() || self.events.contains(&event.kind))
            && (self.board.is_empty() || event.board.is_empty() || self.board == event.board)
    }
}

/// An event for a team's webhooks: its id (the same on every retry), type,
/// board (empty for a team event) and JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub id: String,
    pub kind: String,
    pub board: String,
    pub body: String,
}

/// A delivery due to be sent, with its endpoint.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    pub hook: Webhook,
    pub event_id: String,
    pub event: String,
    pub body: String,
    pub attempts: i32,
    pub created_at: i64,
}

/// How a delivery attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered {
        status: i32,
        latency_ms: i64,
    },
    /// Try again at `next_at` (ms).
    Retry {
        next_at: i64,
        status: Option<i32>,
        error: String,
        latency_ms: i64,
    },
    /// Given up: the endpoint is disabled.
    Failed {
        status: Option<i32>,
        error: String,
        latency_ms: i64,
    },
}

/// Webhooks a team may have.
pub const WEBHOOKS_PER_TEAM: i64 = 25;

/// Which tasks of the view to read; tasks come in (doc, task) order,
/// after `after` when given.
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    pub team: i64,
    pub board: Option<String>,
    /// Only tasks with a due date (the calendar feeds).
    pub with_due: bool,
    pub include_done: bool,
    pub updated_since: Option<i64>,
    /// Only tasks due before this instant (ms).
    pub due_before: Option<i64>,
    pub after: Option<(String, String)>,
    pub limit: i64,
}

/// A calendar feed: whose, which team, one board or all, only the tasks
/// assigned to its owner or all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarFeed {
    pub secret: String,
    pub account: i64,
    pub team: i64,
    /// Empty for every board of the team.
    pub board: String,
    pub mine: bool,
}

/// A person's email settings, as the API shows them.
pub use porchlight_api::accounts::MailSettings;

/// Someone the daily digest goes to, with the local day it last went out
/// and the token of their unsubscribe link (made with the first digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestReader {
    pub account: i64,
    pub email: String,
    pub name: String,
    pub time_zone: Option<String>,
    pub sent_on: Option<String>,
    pub token: Option<String>,
}

/// Everything the relay keeps. Each method is one transaction.
#[async_trait]
pub trait Storage: Send + Sync + std::fmt::Debug {
    /// "sqlite FILE" or "postgres HOST/DB", for logs.
    fn describe(&self) -> String;
    /// Whether chunk ids become visible in the order they are handed out
    /// (SQLite: one writer). On PostgreSQL they do not: a chunk with a
    /// lower id can commit after one with a higher id was read.
    fn chunk_ids_visible_in_order(&self) -> bool;

    // Accounts and devices.

    /// Creates an account with an Argon2 PHC string, redeeming `invite`
    /// (its code's hash) in the same transaction: a bad invite leaves
    /// nothing behind, and a taken email gets the same answer. The first
    /// account is the relay's admin.
    async fn create_account(
        &self,
        email: &str,
        name: &str,
        password_hash: &str,
        invite_hash: Option<&str>,
    ) -> Result<Created, StoreError>;
    async fn is_admin(&self, account: i64) -> Result<bool, StoreError>;
    async fn account_count(&self) -> Result<i64, StoreError>;
    /// The account of `email` and its password's PHC string.
    async fn password_of(&self, email: &str) -> Result<Option<(i64, String)>, StoreError>;
    /// The PHC string of `account`'s password.
    async fn password_of_account(&self, account: i64) -> Result<Option<String>, StoreError>;
    /// A new device with a token (its hash), within `max_devices` live ones.
    async fn add_device(
        &self,
        account: i64,
        name: &str,
        token_hash: &str,
        max_devices: u32,
        token_days: u32,
    ) -> Result<i64, StoreError>;
    /// The identity behind a live device token (its hash); use slides the
    /// expiry forward (written at most hourly).
    async fn device_identity(
        &self,
        token_hash: &str,
        token_days: u32,
    ) -> Result<Option<Identity>, StoreError>;
    async fn revoke_device(&self, account: i64, device: i64) -> Result<bool, StoreError>;
    async fn devices(
        &self,
        account: i64,
        current: i64,
        token_days: u32,
    ) -> Result<Vec<DeviceInfo>, StoreError>;
    /// Sets a new password hash and revokes every other device; returns
    /// the revoked devices.
    async fn set_password(
        &self,
        account: i64,
        password_hash: &str,
        keep_device: i64,
    ) -> Result<Vec<i64>, StoreError>;

    // API keys.

    async fn create_api_key(
        &self,
        team: i64,
        by: i64,
        name: &str,
        scope: Scope,
        key_hash: &str,
        expires_at: Option<i64>,
    ) -> Result<ApiKeyInfo, StoreError>;
    async fn api_keys(&self, team: i64) -> Result<Vec<ApiKeyInfo>, StoreError>;
    async fn revoke_api_key(&self, team: i64, id: i64) -> Result<bool, StoreError>;
    async fn key_identity(&self, key_hash: &str) -> Result<Option<Identity>, StoreError>;

    // Teams, members and invites.

    async fn create_team(
        &self,
        account: i64,
        name: &str,
        workspace: &str,
        max_owned: u32,
    ) -> Result<i64, StoreError>;
    async fn teams(&self, account: i64) -> Result<Vec<TeamInfo>, StoreError>;
    /// A team's name and workspace document.
    async fn team_info(&self, team: i64) -> Result<Option<(String, String)>, StoreError>;
    /// Bytes of document changes the team stores.
    async fn team_bytes(&self, team: i64) -> Result<i64, StoreError>;
    async fn role(&self, account: i64, team: i64) -> Result<Option<Role>, StoreError>;
    async fn members(&self, team: i64) -> Result<Vec<MemberInfo>, StoreError>;
    /// Changes `target`'s membership on behalf of `actor`, by [`rules::member_change`].
    async fn change_member(
        &self,
        team: i64,
        actor: i64,
        target: i64,
        change: MemberChange,
    ) -> Result<(), StoreError>;
    /// Hands ownership from `owner` to the member `to`; `owner` stays as an admin.
    async fn transfer_ownership(&self, team: i64, owner: i64, to: i64) -> Result<(), StoreError>;
    async fn create_invite(
        &self,
        team: i64,
        role: Role,
        expires_at: i64,
        by: i64,
        code_hash: &str,
    ) -> Result<(), StoreError>;
    /// Redeems an invite (its code's hash): `None` for an unknown or expired one.
    async fn join(&self, account: i64, code_hash: &str) -> Result<Option<(i64, Role)>, StoreError>;

    // The document registry.

    /// Registers `doc` to `team` within `max_docs`; first registration
    /// wins: returns the owning team.
    async fn register_document(
        &self,
        team: i64,
        doc: &str,
        max_docs: u32,
    ) -> Result<i64, StoreError>;
    async fn team_of_document(&self, doc: &str) -> Result<Option<i64>, StoreError>;
    async fn documents_of_team(&self, team: i64) -> Result<Vec<String>, StoreError>;
    /// Every registered document of every team.
    async fn all_documents(&self) -> Result<Vec<String>, StoreError>;

    // Document chunks.

    /// Appends changes of several documents in one transaction (group commit).
    async fn append_chunks(&self, chunks: &[(String, Vec<u8>)]) -> Result<(), StoreError>;
    /// Every chunk of a document, oldest first.
    async fn load_chunks(&self, doc: &str) -> Result<Vec<Chunk>, StoreError>;
    /// Replaces the chunks `folded` (ids) of `doc` with `snapshot`, in one
    /// transaction; every other chunk stays. Named one by one, not "up to
    /// an id": on PostgreSQL ids are handed out when a chunk is inserted
    /// but become visible when its transaction commits, so a chunk with a
    /// lower id than one already read can appear after the read, and must
    /// not be deleted unread.
    async fn compact(&self, doc: &str, folded: &[i64], snapshot: &[u8]) -> Result<(), StoreError>;

    /// The chunks of a document stored after chunk id `after` but those
    /// in `except` (read already), oldest first (a compaction's snapshot
    /// comes back too: it gets a new id).
    async fn load_chunks_after(
        &self,
        doc: &str,
        after: i64,
        except: &[i64],
    ) -> Result<Vec<Chunk>, StoreError>;

    // The boards' materialized view.

    /// The stored view of some tasks of a board (all when `tasks` is None).
    async fn view_tasks_of(
        &self,
        doc: &str,
        tasks: Option<&[String]>,
    ) -> Result<Vec<ViewTask>, StoreError>;
    async fn write_view(&self, update: &ViewUpdate) -> Result<(), StoreError>;
    /// The view's listings of a shard: all, or those in `keys`.
    async fn view_listings_of(
        &self,
        doc: &str,
        keys: Option<&[String]>,
    ) -> Result<Vec<ViewListing>, StoreError>;
    /// Writes a shard's listings and queues their events, in one transaction.
    async fn write_listings(&self, update: &ListingUpdate) -> Result<(), StoreError>;
    async fn view_boards(&self, team: i64) -> Result<Vec<ViewBoard>, StoreError>;
    async fn view_tasks(&self, query: &TaskQuery) -> Result<Vec<ViewTask>, StoreError>;
    /// Empties the view (before a reindex).
    async fn clear_view(&self) -> Result<(), StoreError>;
    /// A number that changes whenever the team's view does (every
    /// `write_view` and `clear_view` moves it).
    async fn view_version(&self, team: i64) -> Result<i64, StoreError>;

    // Calendar feeds.

    /// The feed for (account, team, board, mine), made with `new_secret`
    /// if there is none, or given `new_secret` when `rotate`.
    async fn calendar_feed(
        &self,
        feed: &CalendarFeed,
        rotate: bool,
    ) -> Result<CalendarFeed, StoreError>;
    async fn feed_by_secret(&self, secret: &str) -> Result<Option<CalendarFeed>, StoreError>;
    /// The account's name (whom `--mine` feeds match assignees against).
    async fn account_name(&self, account: i64) -> Result<Option<String>, StoreError>;

    // The daily digest and the teams' retention of deleted tasks.

    /// An account's email settings (`None`: no such account).
    async fn mail_settings(&self, account: i64) -> Result<Option<MailSettings>, StoreError>;
    async fn set_mail_settings(
        &self,
        account: i64,
        settings: &MailSettings,
    ) -> Result<(), StoreError>;
    /// Everyone who wants the digest and belongs to a team.
    async fn digest_readers(&self) -> Result<Vec<DigestReader>, StoreError>;
    /// Marks `account`'s digest of local day `day` as sent, keeping its
    /// unsubscribe token or setting `token`; false when it already was
    /// (another node got there first).
    async fn claim_digest(&self, account: i64, day: &str, token: &str) -> Result<bool, StoreError>;
    /// Undoes a claim whose mail could not be sent, so the next round tries
    /// again.
    async fn release_digest(
        &self,
        account: i64,
        day: &str,
        previous: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Turns the digest off for the holder of an unsubscribe token; their
    /// email, or `None` for an unknown token.
    async fn unsubscribe(&self, token: &str) -> Result<Option<String>, StoreError>;
    /// How many days a team keeps deleted tasks (`None`: for ever).
    async fn retention(&self, team: i64) -> Result<Option<i32>, StoreError>;
    async fn set_retention(&self, team: i64, days: Option<i32>) -> Result<(), StoreError>;
    /// Teams with a retention, and its days.
    async fn retaining_teams(&self) -> Result<Vec<(i64, i32)>, StoreError>;
    /// The view's deleted or archived tasks of `team` untouched since
    /// `before` (ms), at most `limit`.
    async fn stale_deleted_tasks(
        &self,
        team: i64,
        before: i64,
        limit: i64,
    ) -> Result<Vec<ViewTask>, StoreError>;

    // Export and deletion.

    /// Audit events the account caused, newest first.
    async fn actor_audit(
        &self,
        account: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError>;
    /// Deletes an account: its devices (their ids come back, to close
    /// their connections), memberships and calendar feeds go; the row
    /// stays as "deleted user" so authorship and the audit log still
    /// resolve. Refused while it is the last owner of a team with other
    /// members.
    /// `unusable_hash` replaces the password hash (of a random secret
    /// nobody has).
    async fn delete_account(
        &self,
        account: i64,
        unusable_hash: &str,
    ) -> Result<Vec<i64>, StoreError>;

    // Password resets.

    /// Stores a reset code (hashed) for the account with `email`; the
    /// account, or `None` when no account has that email. Earlier unused
    /// codes of the account stop working.
    async fn create_reset(
        &self,
        email: &str,
        code_hash: &str,
        expires_at: i64,
    ) -> Result<Option<i64>, StoreError>;
    /// Uses a reset code: the account it was made for, if the code is
    /// that email's, unused and unexpired (it is used up either way).
    async fn use_reset(&self, email: &str, code_hash: &str) -> Result<Option<i64>, StoreError>;

    // Webhooks.

    /// Adds an endpoint (its id comes back); at most [`WEBHOOKS_PER_TEAM`].
    async fn create_webhook(&self, hook: &Webhook) -> Result<i64, StoreError>;
    /// The team's endpoints that were not removed.
    async fn webhooks(&self, team: i64) -> Result<Vec<Webhook>, StoreError>;
    /// Removes an endpoint; its pending deliveries are dropped.
    async fn remove_webhook(&self, team: i64, id: i64) -> Result<bool, StoreError>;
    /// Queues `events` for every endpoint of `team` that wants them (or only
    /// endpoint `only`, enabled or not, for a test); how many deliveries.
    async fn enqueue_events(
        &self,
        team: i64,
        only: Option<i64>,
        events: &[NewEvent],
    ) -> Result<usize, StoreError>;
    /// Deliveries due at `now`, at most `limit`, each leased until `lease`
    /// (another node does not take them meanwhile).
    async fn claim_deliveries(
        &self,
        now: i64,
        lease: i64,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError>;
    /// Records attempts (delivery, its endpoint, what happened), all in one
    /// transaction; `Failed` disables the endpoint (on SQLite in a second
    /// transaction, in the main file: the deliveries have a file of their
    /// own).
    async fn finish_deliveries(&self, done: &[(i64, i64, Outcome)]) -> Result<(), StoreError>;
    /// An endpoint's deliveries, newest first.
    async fn deliveries(
        &self,
        team: i64,
        hook: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<porchlight_api::webhooks::DeliveryInfo>, StoreError>;
    /// Deletes finished deliveries older than `days`.
    async fn prune_deliveries(&self, days: u32) -> Result<u64, StoreError>;

    // Mentions by email.
    /// Queued mentions not sent, at most `limit`, claimed at `now` (one
    /// claimed before `stale` is taken again: its node stopped).
    async fn claim_mentions(
        &self,
        now: i64,
        stale: i64,
        limit: i64,
    ) -> Result<Vec<MentionMail>, StoreError>;
    /// Marks a claimed mention sent (or, `sent` false, gives it back).
    async fn finish_mention(&self, id: i64, sent: bool, now: i64) -> Result<(), StoreError>;
    /// Members of `team` with mention emails on, with their names.
    async fn mention_readers(&self, team: i64) -> Result<Vec<MentionReader>, StoreError>;

    // The audit log.

    /// Records an event; a failure is logged, never raised (the action it
    /// describes has already happened).
    async fn audit(&self, event: Audit);
    async fn team_audit(
        &self,
        team: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError>;
    /// Account-level events (no team) of every account.
    async fn account_audit(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError>;
    /// Deletes events older than `days`; returns how many.
    async fn prune_audit(&self, days: u32) -> Result<u64, StoreError>;
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
