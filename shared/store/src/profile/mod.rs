//! A profile: one person's local data, and the API every shell calls.
//!
//! A profile is a directory holding `porchlight.db`. Documents are loaded
//! lazily into memory when an operation writes to them; queries go to the
//! materialized tables and never load a document. Every write runs in one
//! IMMEDIATE transaction that (1) picks up chunks another process wrote since
//! this one last looked, (2) applies the operation and commits it as one
//! Automerge change, (3) appends the change as a chunk, compacting when due,
//! and (4) re-materializes what the change touched. Only when that
//! transaction has committed does the operation return. If anything fails,
//! the in-memory document is dropped and reloaded from disk next time, so
//! memory never holds a change the disk does not.

mod activity;
mod boards;
mod files;
mod history;
mod imports;
mod inbox;
mod listings;
mod mls_sources;
mod pending;
mod people;
mod reminders;
mod sharing;
mod sink;
mod tasks;
mod template_docs;
mod templates;

pub use activity::{ACTIVITY_GROUP, ActivityEntry, verb};
pub use boards::BoardSummary;
pub use files::ImportReport;
pub use history::HistoryEntry;
pub use imports::{
    ImportFormat, ImportPlan, ImportProblem, Imported, Mapping, PlannedComment, PlannedTask,
    decode_text,
};
pub use inbox::{INBOX_DAYS, InboxFilter, InboxMarked};
pub use listings::{ListingImport, ListingQuery, ListingSort};
pub use listings::{Listings, ListingsMut};
pub use mls_sources::ConnectionError;
pub use pending::DEFER_WRITES_ABOVE;
pub use people::{Person, Renamed};
pub use reminders::{Reminder, ReminderKind};
pub use sharing::Absorbed;
pub use tasks::{Completion, NewTask, TaskChanges};
pub use template_docs::{MAX_STEPS, TemplateEntry, check_template};
pub use templates::AnchorMoved;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use automerge::{ActorId, AutoCommit};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rusqlite::Transaction;

use crate::doc::{BoardDoc, ChangeNote, DocKind, WorkspaceDoc};
use crate::error::{CoreError, Result};
use crate::ids::{DocumentId, TaskId};
use crate::store::{Store, chunks, materialize, meta_set};
use crate::time::{parse_tz, system_tz_name};

/// The database file inside a profile directory.
pub const DB_FILE: &str = "porchlight.db";

/// How a profile is opened. `None` fields come from the profile's saved
/// settings, then the machine (user name, time zone, clock).
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// The person's name as it appears in history and assignments.
    pub user: Option<String>,
    /// IANA time zone for "today" and for dates typed without one.
    pub tz: Option<String>,
    /// A fixed "now", for tests and reproducible scripts.
    pub now: Option<DateTime<Utc>>,
}

#[derive(Debug)]
struct Loaded {
    doc: AutoCommit,
    /// Hashes of the chunks already applied to `doc`.
    known: HashSet<String>,
    /// The document's write counter when `doc` was last refreshed.
    version: i64,
    /// What this writer's last append left (see [`chunks::Tail`]).
    tail: Option<chunks::Tail>,
}

/// How many documents [`Profile::adopt`] keeps in memory at most.
pub const WARMED: usize = 4;

/// A document loaded by [`Profile::warm_up`], for [`Profile::adopt`].
#[derive(Debug)]
pub struct WarmDoc {
    id: DocumentId,
    loaded: Loaded,
}

/// What a change touched, so only that is re-materialized.
#[derive(Debug)]
pub(crate) enum Touched {
    Tasks(Vec<TaskId>),
    Board,
    Everything,
}

/// Tasks, for reading: `profile.tasks()`.
#[derive(Debug, Clone, Copy)]
pub struct Tasks<'p> {
    p: &'p Profile,
}

/// Tasks, for writing: `profile.tasks_mut()`. Every write is one
/// transaction, reported done only after it commits.
#[derive(Debug)]
pub struct TasksMut<'p> {
    p: &'p mut Profile,
}

/// Boards and their columns, for reading: `profile.boards()`.
#[derive(Debug, Clone, Copy)]
pub struct Boards<'p> {
    p: &'p Profile,
}

/// Boards and their columns, for writing: `profile.boards_mut()`.
#[derive(Debug)]
pub struct BoardsMut<'p> {
    p: &'p mut Profile,
}

impl Profile {
    /// Reads tasks: one, a query, search, focus order.
    pub fn tasks(&self) -> Tasks<'_> {
        Tasks { p: self }
    }

    /// Writes tasks: add, edit, move, complete, checklists, comments,
    /// history and restore.
    pub fn tasks_mut(&mut self) -> TasksMut<'_> {
        TasksMut { p: self }
    }

    /// Reads boards: the list, one board, which are shared.
    pub fn boards(&self) -> Boards<'_> {
        Boards { p: self }
    }

    /// Writes boards: create, rename, delete, columns, share, export and
    /// import.
    pub fn boards_mut(&mut self) -> BoardsMut<'_> {
        BoardsMut { p: self }
    }
}

#[derive(Debug)]
pub struct Profile {
    store: Store,
    docs: HashMap<DocumentId, Loaded>,
    /// Documents [`Self::adopt`] kept, oldest first (at most [`WARMED`]).
    warmed: Vec<DocumentId>,
    /// Stored size from which a task write to a board that is not loaded
    /// is kept pending (see `pending`).
    defer_above: u64,
    actor: ActorId,
    user: String,
    tz_name: String,
    tz: Tz,
    fixed_now: Option<DateTime<Utc>>,
    workspace: DocumentId,
}

/// The counts `reindex` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ReindexReport {
    pub documents: usize,
    pub boards: usize,
    pub tasks: usize,
    pub listings: usize,
}

fn default_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "me".to_string())
}

/// Whether a stored chunk parses whole: its changes, or a snapshot, are
/// read into an empty document. A chunk whose changes depend on others
/// (every incremental chunk but the first) parses but cannot be applied
/// there; Automerge says so with `MissingDeps`, which is fine here.
fn check_chunk(data: &[u8]) -> std::result::Result<(), String> {
    let strict = automerge::LoadOptions::new()
        .on_partial_load(automerge::OnPartialLoad::Error)
        .verification_mode(automerge::VerificationMode::DontCheck);
    match automerge::Automerge::load_with_options(data, strict) {
        Ok(_) | Err(automerge::AutomergeError::MissingDeps) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

impl Profile {
    /// Opens the profile in `dir`, creating the directory and database if needed.
    pub fn open(dir: &Path, options: OpenOptions) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| CoreError::DataDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let store = Store::open(&dir.join(DB_FILE))?;
        Self::with_store(store, options)
    }

    /// A profile in memory, for tests.
    pub fn in_memory(options: OpenOptions) -> Result<Self> {
        Self::with_store(Store::open_in_memory()?, options)
    }

    fn with_store(mut store: Store, options: OpenOptions) -> Result<Self> {
        let actor = match store.meta("actor")? {
            Some(hex) => {
                ActorId::try_from(hex.as_str()).map_err(|_| CoreError::CorruptDatabase {
                    path: store.path().to_path_buf(),
                    reason: "the device id in the meta table is damaged".into(),
                })?
            }
            None => {
                let actor = ActorId::random();
                store.write(|tx| meta_set(tx, "actor", &actor.to_hex_string()))?;
                actor
            }
        };
        let user = match options.user {
            Some(u) => crate::model::check_name("user name", &u)?,
            None => store.meta("user")?.unwrap_or_else(default_user),
        };
        let tz_name = match options.tz {
            Some(tz) => tz,
            None => store.meta("tz")?.unwrap_or_else(system_tz_name),
        };
        let tz = parse_tz(&tz_name)?;
        let existing = store
            .meta("workspace")?
            .and_then(|w| DocumentId::parse(&w).ok());
        let mut profile = Self {
            store,
            docs: HashMap::new(),
            warmed: Vec::new(),
            defer_above: DEFER_WRITES_ABOVE,
            actor,
            user,
            tz_name,
            tz,
            fixed_now: options.now,
            workspace: existing.unwrap_or_else(DocumentId::random),
        };
        if existing.is_none() {
            profile.create_personal_workspace()?;
        }
        Ok(profile)
    }

    fn create_personal_workspace(&mut self) -> Result<()> {
        let id = self.workspace;
        let now = self.now();
        let doc = AutoCommit::new().with_actor(self.actor.clone());
        let mut ws = WorkspaceDoc::create(doc, id, "Personal")?;
        ws.commit(&ChangeNote::new("workspace.create", &self.user), now);
        self.add_document(id, DocKind::Workspace, ws.into_doc(), |tx| {
            meta_set(tx, "workspace", &id.to_string())
        })
    }

    /// Stores a document this profile did not have — its whole history as
    /// one chunk, plus its tables — and lists a board in the workspace.
    /// `extra` runs in the same transaction.
    pub(crate) fn add_document(
        &mut self,
        id: DocumentId,
        kind: DocKind,
        mut doc: AutoCommit,
        extra: impl FnOnce(&Transaction<'_>) -> Result<()>,
    ) -> Result<()> {
        let bytes = doc.save();
        let board = match kind {
            DocKind::Board => Some(BoardDoc::from_doc(doc.clone())?),
            DocKind::Workspace | DocKind::ListingShard | DocKind::Templates => None,
        };
        let shard = match kind {
            DocKind::ListingShard => Some(crate::doc::ListingShardDoc::from_doc(doc.clone())?),
            _ => None,
        };
        let loaded = self.store.write(|tx| {
            chunks::register(tx, id, kind.as_str())?;
            let (hash, version) = chunks::append(tx, id, &bytes)?;
            if let Some(board) = &board {
                materialize_board(tx, board, Touched::Everything)?;
            }
            if let Some(shard) = &shard {
                Self::adopt_shard_scope(tx, shard)?;
                materialize::put_listing_shard(tx, id, &shard.listings())?;
            }
            extra(tx)?;
            Ok(Loaded {
                doc,
                known: HashSet::from([hash]),
                version,
                tail: None,
            })
        })?;
        self.docs.insert(id, loaded);
        if board.is_some() {
            // The workspace lists boards in the order they arrived; the time
            // is a key that sorts that way on every device.
            let position = format!("{:015}", self.now().timestamp_millis().max(0));
            let user = self.user.clone();
            self.write_workspace(|ws| {
                ws.add_board(id, &position)?;
                Ok(ChangeNote::new("workspace.add-board", &user))
            })?;
        }
        Ok(())
    }

    /// Saves the user name and time zone as this profile's defaults.
    pub fn save_settings(&mut self) -> Result<()> {
        let (user, tz) = (self.user.clone(), self.tz_name.clone());
        self.store.write(|tx| {
            meta_set(tx, "user", &user)?;
            meta_set(tx, "tz", &tz)
        })
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn tz_name(&self) -> &str {
        &self.tz_name
    }

    pub fn tz(&self) -> &Tz {
        &self.tz
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.fixed_now.unwrap_or_else(Utc::now)
    }

    pub fn workspace_id(&self) -> DocumentId {
        self.workspace
    }

    pub fn db_path(&self) -> PathBuf {
        self.store.path().to_path_buf()
    }

    /// Loads a document from its chunks, or brings a cached one up to date
    /// with chunks another process wrote, then applies the task writes
    /// kept pending while it was not loaded.
    fn refresh(
        tx: &Transaction<'_>,
        id: DocumentId,
        cached: Option<Loaded>,
        actor: &ActorId,
    ) -> Result<Loaded> {
        let mut loaded = Self::refresh_chunks(tx, id, cached, actor)?;
        Self::apply_pending(tx, id, &mut loaded)?;
        Ok(loaded)
    }

    /// [`Self::refresh`] without the pending writes.
    fn refresh_chunks(
        tx: &Transaction<'_>,
        id: DocumentId,
        cached: Option<Loaded>,
        actor: &ActorId,
    ) -> Result<Loaded> {
        let version = chunks::version(tx, id)?;
        let mut loaded = match cached {
            Some(l) if l.version == version => return Ok(l),
            Some(l) => l,
            None => Loaded {
                doc: AutoCommit::new().with_actor(actor.clone()),
                known: HashSet::new(),
                version: 0,
                tail: None,
            },
        };
        let fresh = chunks::load_unknown(tx, id, &loaded.known)?;
        if fresh.is_empty() && loaded.known.is_empty() {
            return Err(CoreError::UnknownBoard(id.to_string()));
        }
        if loaded.known.is_empty() {
            let doc = load_all(id, &fresh)?;
            loaded.doc = doc.with_actor(actor.clone());
            loaded.known.extend(fresh.into_iter().map(|c| c.hash));
            loaded.version = version;
            return Ok(loaded);
        }
        for chunk in fresh {
            let damaged = |e: String| CoreError::CorruptDocument {
                doc: id.to_string(),
                reason: format!("chunk {} does not load: {e}", chunk.hash),
            };
            // Automerge's incremental load keeps what parses of a chunk and
            // drops the rest with only a log line; a chunk another process
            // wrote is checked whole first.
            check_chunk(&chunk.data).map_err(damaged)?;
            loaded
                .doc
                .load_incremental(&chunk.data)
                .map_err(|e| damaged(e.to_string()))?;
            loaded.known.insert(chunk.hash);
        }
        loaded.version = version;
        Ok(loaded)
    }

    /// Loads document `id` of the profile database at `path` on the calling
    /// thread, over a read-only connection of its own: the slow part of a
    /// first write to a big board (Automerge's load, about 200 ms for
    /// 10,000 tasks) done while the profile keeps serving; hand the result
    /// to [`Self::adopt`]. `None` when the document is not stored there.
    pub fn warm_up(path: &Path, id: DocumentId) -> Result<Option<WarmDoc>> {
        let flags =
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = rusqlite::Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // One read transaction: the chunks and the version agree.
        let tx = conn.unchecked_transaction()?;
        let version = chunks::version(&tx, id)?;
        if version == 0 {
            return Ok(None);
        }
        let fresh = chunks::load_unknown(&tx, id, &HashSet::new())?;
        if fresh.is_empty() {
            return Ok(None);
        }
        let doc = load_all(id, &fresh)?;
        Ok(Some(WarmDoc {
            id,
            loaded: Loaded {
                doc,
                known: fresh.into_iter().map(|c| c.hash).collect(),
                version,
                tail: None,
            },
        }))
    }

    /// Keeps a document [`Self::warm_up`] loaded for the next write, unless
    /// this profile has one loaded already; what was written since the
    /// warm-up is applied at that write, as for any cached document. True
    /// when kept.
    /// Only the last [`WARMED`] documents kept this way stay in memory
    /// (browsing many big boards should not hold all of them); an older
    /// one is loaded again by its next write.
    pub fn adopt(&mut self, warm: WarmDoc) -> bool {
        if self.docs.contains_key(&warm.id) {
            return false;
        }
        let mut loaded = warm.loaded;
        loaded.doc.set_actor(self.actor.clone());
        self.docs.insert(warm.id, loaded);
        self.warmed.retain(|id| *id != warm.id);
        self.warmed.push(warm.id);
        while self.warmed.len() > WARMED {
            let oldest = self.warmed.remove(0);
            self.docs.remove(&oldest);
        }
        true
    }

    /// Whether document `id` is loaded in memory (a write to it does not
    /// load it first).
    pub fn is_loaded(&self, id: DocumentId) -> bool {
        self.docs.contains_key(&id)
    }

    /// Writes the changes made since `heads` as a chunk, compacting when due.
    fn persist(
        tx: &Transaction<'_>,
        id: DocumentId,
        loaded: &mut Loaded,
        heads: &[automerge::ChangeHash],
    ) -> Result<()> {
        let bytes = loaded.doc.save_after(heads);
        if bytes.is_empty() {
            return Ok(());
        }
        let (hash, tail) = chunks::append_after(tx, id, &bytes, loaded.tail)?;
        loaded.known.insert(hash);
        loaded.version = tail.version;
        loaded.tail = Some(tail);
        if tail.incremental >= chunks::COMPACT_AFTER {
            let snapshot = loaded.doc.save();
            let mut heads = loaded.doc.get_heads();
            heads.sort();
            let key = chunks::sha256_hex(&heads.iter().flat_map(|h| h.0).collect::<Vec<u8>>());
            let (hash, version) = chunks::compact(tx, id, &key, &snapshot)?;
            loaded.known = HashSet::from([hash]);
            loaded.version = version;
            loaded.tail = None;
        }
        Ok(())
    }

    /// Runs `op` on a board document inside one write transaction, then
    /// commits the change, stores it and re-materializes what it touched.
    pub(crate) fn write_board<T>(
        &mut self,
        id: DocumentId,
        op: impl FnOnce(&mut BoardDoc, DateTime<Utc>, &str) -> Result<(T, ChangeNote, Touched)>,
    ) -> Result<T> {
        let now = self.now();
        let user = self.user.clone();
        let cached = self.docs.remove(&id);
        let actor = self.actor.clone();
        let (out, loaded) = self.store.write(|tx| {
            let mut loaded = Self::refresh(tx, id, cached, &actor)?;
            let heads = loaded.doc.get_heads();
            let mut board = BoardDoc::from_doc(std::mem::take(&mut loaded.doc))?;
            let (out, note, touched) = op(&mut board, now, &user)?;
            board.commit(&note, now);
            materialize_board(tx, &board, touched)?;
            loaded.doc = board.into_doc();
            Self::persist(tx, id, &mut loaded, &heads)?;
            Ok((out, loaded))
        })?;
        self.docs.insert(id, loaded);
        Ok(out)
    }

    /// Runs `op` on the workspace document, like [`Self::write_board`].
    pub(crate) fn write_workspace(
        &mut self,
        op: impl FnOnce(&mut WorkspaceDoc) -> Result<ChangeNote>,
    ) -> Result<()> {
        let id = self.workspace;
        let now = self.now();
        let cached = self.docs.remove(&id);
        let actor = self.actor.clone();
        let loaded = self.store.write(|tx| {
            let mut loaded = Self::refresh(tx, id, cached, &actor)?;
            let heads = loaded.doc.get_heads();
            let mut ws = WorkspaceDoc::from_doc(std::mem::take(&mut loaded.doc))?;
            let note = op(&mut ws)?;
            ws.commit(&note, now);
            loaded.doc = ws.into_doc();
            Self::persist(tx, id, &mut loaded, &heads)?;
            Ok(loaded)
        })?;
        self.docs.insert(id, loaded);
        Ok(())
    }

    /// A copy of any document, loaded or refreshed, for reading.
    pub(crate) fn read_doc(&mut self, id: DocumentId) -> Result<AutoCommit> {
        let cached = self.docs.remove(&id);
        let actor = self.actor.clone();
        let loaded = self
            .store
            .write(|tx| Self::refresh(tx, id, cached, &actor))?;
        let doc = loaded.doc.clone();
        self.docs.insert(id, loaded);
        Ok(doc)
    }

    /// A board document, loaded or refreshed, for reading.
    pub(crate) fn read_board(&mut self, id: DocumentId) -> Result<BoardDoc> {
        Ok(BoardDoc::from_doc(self.read_doc(id)?)?)
    }

    /// The workspace document, loaded or refreshed, for reading.
    pub(crate) fn read_workspace(&mut self) -> Result<WorkspaceDoc> {
        Ok(WorkspaceDoc::from_doc(self.read_doc(self.workspace)?)?)
    }

    /// Rebuilds every materialized table from the chunks.
    pub fn reindex(&mut self) -> Result<ReindexReport> {
        self.docs.clear();
        let actor = self.actor.clone();
        let mut report = ReindexReport {
            documents: 0,
            boards: 0,
            tasks: 0,
            listings: 0,
        };
        self.store.write(|tx| {
            materialize::clear_all(tx)?;
            for kind in [
                DocKind::Board,
                DocKind::Workspace,
                DocKind::ListingShard,
                DocKind::Templates,
            ] {
                for id in chunks::documents(tx, kind.as_str())? {
                    report.documents += 1;
                    if kind == DocKind::ListingShard {
                        let loaded = Self::refresh(tx, id, None, &actor)?;
                        let shard = crate::doc::ListingShardDoc::from_doc(loaded.doc)?;
                        report.listings +=
                            materialize::put_listing_shard(tx, id, &shard.listings())?;
                        continue;
                    }
                    if kind != DocKind::Board {
                        continue;
                    }
                    let loaded = Self::refresh(tx, id, None, &actor)?;
                    let board = BoardDoc::from_doc(loaded.doc)?;
                    report.boards += 1;
                    report.tasks += materialize_board(tx, &board, Touched::Everything)?;
                }
            }
            Ok(())
        })?;
        Ok(report)
    }

    /// True when another process (or another handle, like the app's sync
    /// task) changed this profile since the last call, so a window showing
    /// it should refresh. The first call says false.
    pub fn changed_elsewhere(&self) -> Result<bool> {
        self.store.changed_elsewhere()
    }

    pub(crate) fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }
}

/// Loads a document from all of its chunks. A first load reads every chunk
/// in one call (one pass of Automerge's loader instead of one per chunk: a
/// third faster for a board of 10,000 tasks), strictly.
fn load_all(id: DocumentId, fresh: &[chunks::Chunk]) -> Result<AutoCommit> {
    let strict = || automerge::LoadOptions::new().on_partial_load(automerge::OnPartialLoad::Error);
    let upto = |n: usize| -> Vec<u8> {
        fresh[..n]
            .iter()
            .flat_map(|c| c.data.iter().copied())
            .collect()
    };
    match AutoCommit::load_with_options(&upto(fresh.len()), strict()) {
        Ok(doc) => Ok(doc),
        Err(whole) => {
            // Automerge's incremental load would skip a chunk it cannot
            // parse and leave part of the board out; find the first chunk
            // whose prefix does not load, and say which (a prefix that
            // loads stays loadable).
            let (mut good, mut bad) = (0, fresh.len());
            let mut error = whole.to_string();
            while bad - good > 1 {
                let mid = (good + bad) / 2;
                match AutoCommit::load_with_options(&upto(mid), strict()) {
                    Ok(_) => good = mid,
                    Err(e) => {
                        bad = mid;
                        error = e.to_string();
                    }
                }
            }
            Err(CoreError::CorruptDocument {
                doc: id.to_string(),
                reason: format!("chunk {} does not load: {error}", fresh[bad - 1].hash),
            })
        }
    }
}

/// Materializes what a change touched; returns the number of live tasks written.
pub(crate) fn materialize_board(
    tx: &Transaction<'_>,
    board: &BoardDoc,
    touched: Touched,
) -> Result<usize> {
    let view = board.board()?;
    let first_column = view.columns.first().map(|c| c.id.clone());
    let deleted = board.is_deleted();
    let fix = |mut task: crate::model::Task| {
        // A task whose column was removed concurrently shows in the first column.
        if !view.columns.iter().any(|c| c.id == task.column)
            && let Some(first) = &first_column
        {
            task.column = first.clone();
        }
        task
    };
    let mut written = 0;
    match touched {
        Touched::Tasks(ids) => {
            for id in ids {
                if let Some(task) = board.task(&id)? {
                    written += usize::from(!task.deleted);
                    materialize::put_task(tx, &fix(task))?;
                }
            }
        }
        Touched::Board | Touched::Everything => {
            materialize::put_board(tx, &view, board.workspace(), deleted)?;
            materialize::put_renames(tx, board.id(), &board.renames())?;
            if matches!(touched, Touched::Everything) || deleted {
                materialize::clear_board_tasks(tx, board.id())?;
                if !deleted {
                    for task in board.tasks()? {
                        written += usize::from(!task.deleted);
                        materialize::put_task(tx, &fix(task))?;
                    }
                }
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests;
