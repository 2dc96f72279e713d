//! Who may sync what, cached in each shard: a document's team (fixed once
//! registered), an account's role in a team (forgotten the moment the hub
//! hears the account's roles changed), and the bytes a team stores (read
//! again after a while, and counted up by this shard's own commits). Every frame is checked, so
//! without the cache each one would cost three database reads.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use porchlight_sync::Access;
use tokio::runtime::Handle;

use crate::store::{KeyGrant, Role, Store, StoreError};

/// How long a team's stored bytes, as read, are trusted (other nodes
/// and shards add to them too).
const FULL_FOR: Duration = Duration::from_secs(30);
/// Entries kept before a map is cleared (it refills from the database).
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Default)]
pub struct AccessCache {
    team_of: HashMap<String, i64>,
    roles: HashMap<(i64, i64), Option<Role>>,
    bytes: HashMap<i64, (u64, Instant)>,
}

impl AccessCache {
    fn bound<K, V>(map: &mut HashMap<K, V>) {
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
    }

    /// The team that owns `doc`, if it is registered.
    pub fn team_of(
        &mut self,
        store: &Store,
        rt: &Handle,
        doc: &str,
    ) -> Result<Option<i64>, StoreError> {
        if let Some(team) = self.team_of.get(doc) {
            return Ok(Some(*team));
        }
        // Unknown ids are asked again each time: one may be registered now.
        let team = rt.block_on(store.team_of_document(doc))?;
        if let Some(team) = team {
            Self::bound(&mut self.team_of);
            self.team_of.insert(doc.to_string(), team);
        }
        Ok(team)
    }

    fn role(
        &mut self,
        store: &Store,
        rt: &Handle,
        account: i64,
        team: i64,
    ) -> Result<Option<Role>, StoreError> {
        if let Some(role) = self.roles.get(&(account, team)) {
            return Ok(*role);
        }
        let role = rt.block_on(store.role(account, team))?;
        Self::bound(&mut self.roles);
        self.roles.insert((account, team), role);
        Ok(role)
    }

    fn full(
        &mut self,
        store: &Store,
        rt: &Handle,
        team: i64,
        limit: u64,
    ) -> Result<bool, StoreError> {
        if limit == 0 {
            return Ok(false);
        }
        if let Some((bytes, at)) = self.bytes.get(&team)
            && at.elapsed() < FULL_FOR
        {
            return Ok(*bytes >= limit);
        }
        let bytes = rt.block_on(store.team_bytes(team))?.max(0) as u64;
        Self::bound(&mut self.bytes);
        self.bytes.insert(team, (bytes, Instant::now()));
        Ok(bytes >= limit)
    }

    /// This shard committed `n` bytes of `doc`'s changes.
    pub fn stored(&mut self, doc: &str, n: usize) {
        if let Some(team) = self.team_of.get(doc)
            && let Some((bytes, _)) = self.bytes.get_mut(team)
        {
            *bytes += n as u64;
        }
    }

    /// The access of an account (or of an API key) to `doc`, and whether
    /// its team is over its storage quota (then writes are refused:
    /// read-only). `None`: not this account's, or no such document.
    pub fn access(
        &mut self,
        store: &Store,
        rt: &Handle,
        account: i64,
        key: Option<&KeyGrant>,
        doc: &str,
        bytes_per_team: u64,
    ) -> Result<Option<(Access, bool)>, StoreError> {
        let Some(team) = self.team_of(store, rt, doc)? else {
            return Ok(None);
        };
        let role = match key {
            Some(k) if k.team != team => None,
            Some(k) => Some(k.role()),
            None => self.role(store, rt, account, team)?,
        };
        let Some(role) = role else {
            return Ok(None);
        };
        let full = self.full(store, rt, team, bytes_per_team)?;
        let access = match role {
            Role::Viewer => Access::ReadOnly,
            _ if full => Access::ReadOnly,
            _ => Access::ReadWrite,
        };
        Ok(Some((access, full)))
    }

    /// The account's roles changed: ask the database again.
    pub fn forget_account(&mut self, account: i64) {
        self.roles.retain(|(a, _), _| *a != account);
    }

    /// A team's stored bytes moved (a compaction): read them again.
    pub fn forget_quota(&mut self) {
        self.bytes.clear();
    }
}
