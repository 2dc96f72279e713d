//! The relay's materialized view of the team's boards: one row per board
//! and per task, kept in storage beside the documents, which the calendar
//! feeds (and later the REST API, webhooks and email) read instead of
//! loading Automerge documents on every request.
//!
//! A shard tells the [`Indexer`] which board documents it committed; the
//! indexer waits a moment (so a burst of edits is one refresh), reads the
//! chunks it has not read yet ([`cursor`]: on PostgreSQL a chunk with a
//! lower id can appear after a higher one), applies them to its own copy of the
//! document, and writes the tasks that changed. Which tasks changed comes
//! from automerge's diff between the copy's old and new heads (not from
//! the changes' notes: completing a repeating task also adds its next
//! instance, and other automerge-repo clients write no notes). Rows
//! are compared with what the view holds, so refreshing twice, or on two
//! nodes, writes nothing the second time. On several nodes the node that
//! committed a change refreshes its board.
//!
//! Listing shards (the team's shared listing cache) are read the same way
//! into `view_listings`, price and status only: a change of either to a
//! listing the view already held is a `listing.changed` event (the first
//! import of a shard announces nothing).
//!
//! `porchlight-relay reindex` rebuilds the whole view from the documents.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use porchlight_doc::listing_shard::mls_record_key;
use porchlight_doc::{BoardDoc, DocKind, ListingShardDoc, identify};
use porchlight_model::board::Task;
use porchlight_model::ids::TaskId;
use tokio::sync::mpsc;

use crate::hub::Metrics;
use crate::store::{ListingUpdate, Store, ViewBoard, ViewListing, ViewTask, ViewUpdate};

mod cursor;
use cursor::{ChunkCursor, LATE_COMMIT};

/// Board documents waiting for a refresh; past it a request is dropped
/// (the board is refreshed on its next commit, or by `reindex`).
const QUEUE: usize = 4096;
/// How long the indexer gathers requests before refreshing.
const SETTLE: Duration = Duration::from_millis(200);
/// Board documents kept in the indexer's memory between refreshes.
const CACHED: usize = 256;
/// Listing shards kept in the indexer's memory between refreshes.
const CACHED_SHARDS: usize = 64;

/// Where shards send the board documents they committed.
#[derive(Debug, Clone)]
pub struct Indexer {
    tx: mpsc::Sender<String>,
    pending: Arc<Mutex<HashSet<String>>>,
}

impl Indexer {
    /// Starts the background task on the current runtime.
    pub fn spawn(store: Store, metrics: Arc<Metrics>, wake: Arc<tokio::sync::Notify>) -> Self {
        let (tx, mut rx) = mpsc::channel::<String>(QUEUE);
        let pending: Arc<Mutex<HashSet<String>>> = Arc::default();
        let taken = pending.clone();
        tokio::spawn(async move {
            let mut view = View::emitting(store, wake);
            while let Some(first) = rx.recv().await {
                tokio::time::sleep(SETTLE).await;
                let mut docs = vec![first];
                while let Ok(d) = rx.try_recv() {
                    docs.push(d);
                }
                if let Ok(mut p) = taken.lock() {
                    for d in &docs {
                        p.remove(d);
                    }
                }
                for doc in docs {
                    match view.refresh(&doc).await {
                        Ok(_) => {
                            metrics.view_refreshes.inc();
                        }
                        Err(e) => {
                            metrics.view_failures.inc();
                            view.forget(&doc);
                            tracing::error!(%doc, error = %e, "cannot refresh the view of a board");
                        }
                    }
                }
            }
        });
        Self { tx, pending }
    }

    /// Asks for `doc` (a board) to be refreshed soon.
    pub fn touched(&self, doc: &str) {
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        if pending.insert(doc.to_string()) && self.tx.try_send(doc.to_string()).is_err() {
            pending.remove(doc);
            tracing::warn!(%doc, "the view's queue is full; the board is refreshed on its next change");
        }
    }
}

/// What a refresh found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refreshed {
    /// Not a board (a workspace or a listing shard), or not registered.
    NotABoard,
    /// Tasks written and removed.
    Board { written: usize, removed: usize },
    /// A listing shard: listings written and removed.
    Listings { written: usize, removed: usize },
}

#[derive(Debug)]
struct Cached {
    board: BoardDoc,
    team: i64,
    read: ChunkCursor,
    used: u64,
}

#[derive(Debug)]
struct CachedShard {
    shard: ListingShardDoc,
    team: i64,
    read: ChunkCursor,
    used: u64,
}

/// The indexer's copies of board documents and the code that reads them
/// into the view.
#[derive(Debug)]
pub struct View {
    store: Store,
    cache: HashMap<String, Cached>,
    shards: HashMap<String, CachedShard>,
    not_boards: HashSet<String>,
    clock: u64,
    /// Whether refreshes queue webhook events (not while reindexing).
    emit: bool,
    /// Poked when events were queued (the webhook delivery task).
    wake: Option<Arc<tokio::sync::Notify>>,
}

impl View {
    /// A view that queues no webhook events (for reindexing).
    pub fn new(store: Store) -> Self {
        Self {
            store,
            cache: HashMap::new(),
            shards: HashMap::new(),
            not_boards: HashSet::new(),
            clock: 0,
            emit: false,
            wake: None,
        }
    }

    /// A view whose refreshes queue webhook events and poke `wake`.
    pub fn emitting(store: Store, wake: Arc<tokio::sync::Notify>) -> Self {
        Self {
            emit: true,
            wake: Some(wake),
            ..Self::new(store)
        }
    }

    /// A cursor over a document's chunks, for this storage.
    fn cursor(&self) -> ChunkCursor {
        ChunkCursor::new(if self.store.chunk_ids_visible_in_order() {
            Duration::ZERO
        } else {
            LATE_COMMIT
        })
    }

    /// Drops the copy of `doc` (after a failure: the next refresh starts
    /// from storage).
    pub fn forget(&mut self, doc: &str) {
        self.cache.remove(doc);
        self.shards.remove(doc);
    }

    /// Brings the view of `doc` up to what storage holds.
    pub async fn refresh(&mut self, doc: &str) -> anyhow::Result<Refreshed> {
        if self.not_boards.contains(doc) {
            return Ok(Refreshed::NotABoard);
        }
        self.clock += 1;
        if self.shards.contains_key(doc) {
            return self.refresh_listings(doc, false).await;
        }
        let changed = match self.cache.get_mut(doc) {
            Some(cached) => {
                cached.used = self.clock;
                let chunks = cached.read.unread(&self.store, doc).await?;
                if chunks.is_empty() {
                    return Ok(Refreshed::Board {
                        written: 0,
                        removed: 0,
                    });
                }
                let before = cached.board.heads();
                for c in &chunks {
                    cached.board.doc_mut().load_incremental(&c.data)?;
                }
                changed_tasks(&mut cached.board, &before)
            }
            None => {
                let Some(team) = self.store.team_of_document(doc).await? else {
                    return Ok(Refreshed::NotABoard);
                };
                let chunks = self.store.load_chunks(doc).await?;
                let mut read = self.cursor();
                read.read(chunks.iter().map(|c| c.id), Instant::now());
                let am =
                    tokio::task::spawn_blocking(move || crate::compact::load_document(&chunks))
                        .await??;
                match identify(&am) {
                    Ok((DocKind::Board, _)) => {}
                    Ok((DocKind::ListingShard, _)) => {
                        evict_oldest(&mut self.shards, CACHED_SHARDS, |c| c.used);
                        self.shards.insert(
                            doc.to_string(),
                            CachedShard {
                                shard: ListingShardDoc::from_doc(am)?,
                                team,
                                read,
                                used: self.clock,
                            },
                        );
                        return self.refresh_listings(doc, true).await;
                    }
                    _ => {
                        if self.not_boards.len() >= 100_000 {
                            self.not_boards.clear();
                        }
                        self.not_boards.insert(doc.to_string());
                        return Ok(Refreshed::NotABoard);
                    }
                }
                evict_oldest(&mut self.cache, CACHED, |c| c.used);
                self.cache.insert(
                    doc.to_string(),
                    Cached {
                        board: BoardDoc::from_doc(am)?,
                        team,
                        read,
                        used: self.clock,
                    },
                );
                None
            }
        };
        let Some(cached) = self.cache.get(doc) else {
            anyhow::bail!("the board {doc} left the cache while it was read");
        };
        let update = diff(doc, cached, changed.as_deref(), &self.store, self.emit).await?;
        let (written, removed) = (update.upsert.len(), update.remove.len());
        let events = !update.events.is_empty();
        self.store.write_view(&update).await?;
        if events && let Some(w) = &self.wake {
            w.notify_one();
        }
        Ok(Refreshed::Board { written, removed })
    }

    /// Brings the view of the listing shard `doc` (in the shard cache) up
    /// to what storage holds; `first`: just loaded, every listing is read.
    async fn refresh_listings(&mut self, doc: &str, first: bool) -> anyhow::Result<Refreshed> {
        let Some(cached) = self.shards.get_mut(doc) else {
            anyhow::bail!("the listing shard {doc} left the cache while it was read");
        };
        cached.used = self.clock;
        let changed = if first {
            None
        } else {
            let chunks = cached.read.unread(&self.store, doc).await?;
            if chunks.is_empty() {
                return Ok(Refreshed::Listings {
                    written: 0,
                    removed: 0,
                });
            }
            let before = cached.shard.doc_mut().get_heads();
            for c in &chunks {
                cached.shard.doc_mut().load_incremental(&c.data)?;
            }
            Some(changed_listings(&mut cached.shard, &before))
        };
        let update = listing_diff(doc, cached, changed.as_deref(), &self.store, self.emit).await?;
        let (written, removed) = (update.upsert.len(), update.remove.len());
        if written + removed == 0 {
            return Ok(Refreshed::Listings { written, removed });
        }
        let events = !update.events.is_empty();
        self.store.write_listings(&update).await?;
        if events && let Some(w) = &self.wake {
            w.notify_one();
        }
        Ok(Refreshed::Listings { written, removed })
    }
}

/// Drops the least recently used entries until `map` has room for one more.
fn evict_oldest<T>(map: &mut HashMap<String, T>, cap: usize, used: impl Fn(&T) -> u64) {
    while map.len() >= cap {
        let Some(oldest) = map
            .iter()
            .min_by_key(|(_, c)| used(c))
            .map(|(k, _)| k.clone())
        else {
            return;
        };
        map.remove(&oldest);
    }
}

/// The listings whose MLS records the changes after `before` wrote or
/// removed.
fn changed_listings(shard: &mut ListingShardDoc, before: &[automerge::ChangeHash]) -> Vec<String> {
    use automerge::PatchAction;
    let doc = shard.doc_mut();
    let after = doc.get_heads();
    let mut keys = HashSet::new();
    for patch in doc.diff(before, &after) {
        if !patch.path.is_empty() {
            continue;
        }
        if let PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } = &patch.action
            && let Some(k) = mls_record_key(key)
        {
            keys.insert(k.to_string());
        }
    }
    let mut keys: Vec<String> = keys.into_iter().collect();
    keys.sort();
    keys
}

/// What to write for a shard: the listings (all, or `only`) whose price
/// or status differ from the view's, and `listing.changed` for those the
/// view already held.
async fn listing_diff(
    doc: &str,
    cached: &CachedShard,
    only: Option<&[String]>,
    store: &Store,
    emit: bool,
) -> anyhow::Result<ListingUpdate> {
    let stored: HashMap<String, ViewListing> = store
        .view_listings_of(doc, only)
        .await?
        .into_iter()
        .map(|l| (l.key.clone(), l))
        .collect();
    let current = match only {
        None => cached.shard.listings(),
        Some(keys) => cached
            .shard
            .listings_of(&keys.iter().map(String::as_str).collect()),
    };
    let source = cached.shard.source();
    let mut update = ListingUpdate {
        doc: doc.to_string(),
        team: cached.team,
        upsert: Vec::new(),
        remove: Vec::new(),
        events: Vec::new(),
    };
    let mut seen = HashSet::new();
    for (key, listing) in &current {
        let Some(mls) = &listing.mls else { continue };
        seen.insert(key.clone());
        let row = ViewListing {
            key: key.clone(),
            list_price: mls.list_price,
            status: mls.standard_status.map(|s| s.as_str().to_string()),
        };
        match stored.get(key) {
            Some(old) if *old == row => continue,
            Some(old) if emit => {
                update.events.push(crate::webhooks::listing_changed(
                    cached.team,
                    &source,
                    mls,
                    old,
                ));
            }
            _ => {}
        }
        update.upsert.push(row);
    }
    update.remove = stored
        .keys()
        .filter(|k| !seen.contains(*k))
        .cloned()
        .collect();
    Ok(update)
}

/// The tasks the changes after `before` touched, from automerge's diff of
/// the two states (a change's note names one task, but completing a
/// repeating task also adds its next instance); `None` when the tasks map
/// itself was replaced or a person renamed (then every task is reread).
fn changed_tasks(board: &mut BoardDoc, before: &[automerge::ChangeHash]) -> Option<Vec<String>> {
    use automerge::{PatchAction, Prop};
    let after = board.heads();
    let patches = board.doc_mut().diff(before, &after);
    let mut ids = HashSet::new();
    for patch in patches {
        match patch.path.first() {
            Some((_, Prop::Map(top))) if top == "tasks" => match patch.path.get(1) {
                // Inside one task.
                Some((_, Prop::Map(id))) => {
                    ids.insert(id.clone());
                }
                Some(_) => return None,
                // On the tasks map: a task added or removed.
                None => match &patch.action {
                    PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
                        ids.insert(key.clone());
                    }
                    _ => return None,
                },
            },
            // Columns, the name: no task.
            Some(_) => {}
            None => match &patch.action {
                // The tasks map replaced, or a person renamed (whose name
                // any task may hold).
                PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key }
                    if key == "tasks" || key.starts_with(porchlight_doc::RENAMED) =>
                {
                    return None;
                }
                _ => {}
            },
        }
    }
    let mut ids: Vec<String> = ids.into_iter().collect();
    ids.sort();
    Some(ids)
}

/// The view's row for a task.
pub fn view_task(doc: &str, task: &Task) -> anyhow::Result<ViewTask> {
    Ok(ViewTask {
        doc: doc.to_string(),
        task: task.id.to_string(),
        due_at: task.due.as_ref().map(|d| d.at.timestamp_millis()),
        done: task.completed_at.is_some(),
        deleted: task.deleted || task.archived,
        updated_at: task.updated_at.timestamp_millis(),
        data: serde_json::to_string(task)?,
    })
}

/// What to write: the tasks (all, or `only`) whose rows differ from the
/// view's, and the rows whose tasks are gone.
/// A board the view has never held: only tasks made within this long are
/// announced as created (not a whole board's history at once).
const NEW_TASK_MS: i64 = 24 * 3_600_000;

async fn diff(
    doc: &str,
    cached: &Cached,
    only: Option<&[String]>,
    store: &Store,
    emit: bool,
) -> anyhow::Result<ViewUpdate> {
    let board = &cached.board;
    let stored: HashMap<String, ViewTask> = store
        .view_tasks_of(doc, only)
        .await?
        .into_iter()
        .map(|t| (t.task.clone(), t))
        .collect();
    let mut upsert = Vec::new();
    let mut remove = Vec::new();
    let mut seen = HashSet::new();
    let tasks: Vec<Task> = match only {
        None => board.tasks()?,
        Some(ids) => {
            let mut out = Vec::new();
            for id in ids {
                match board.task(&TaskId::new(id.clone()))? {
                    Some(t) => out.push(t),
                    None => remove.push(id.clone()),
                }
            }
            out
        }
    };
    let first_sight = only.is_none() && stored.is_empty();
    let name = board.name();
    let renames = board.renames();
    let now = chrono::Utc::now().timestamp_millis();
    let mut events = Vec::new();
    let mut mentions = Vec::new();
    for task in &tasks {
        let row = view_task(doc, task)?;
        seen.insert(row.task.clone());
        let before = stored.get(&row.task);
        if before == Some(&row) {
            continue;
        }
        if emit && !(first_sight && now - task.created_at.timestamp_millis() > NEW_TASK_MS) {
            // The row as stored, under the names people go by now: a
            // rename alone is no assignment, no edit and no new mention.
            let old: Option<Task> =
                before
                    .and_then(|r| serde_json::from_str(&r.data).ok())
                    .map(|mut t| {
                        renames.apply(&mut t);
                        t
                    });
            events.extend(crate::webhooks::task_events(
                cached.team,
                (doc, &name),
                old.as_ref(),
                task,
            ));
            mentions.extend(crate::mentions::new_mentions(
                (doc, &name),
                old.as_ref(),
                task,
                &renames,
            ));
        }
        upsert.push(row);
    }
    if only.is_none() {
        remove.extend(stored.keys().filter(|k| !seen.contains(*k)).cloned());
    }
    remove.retain(|id| stored.contains_key(id));
    Ok(ViewUpdate {
        board: ViewBoard {
            doc: doc.to_string(),
            team: cached.team,
            name,
            deleted: board.is_deleted(),
        },
        upsert,
        remove,
        events,
        mentions,
    })
}

/// A team's boards as the view holds them: id → (name, deleted).
pub async fn boards_of(
    store: &Store,
    team: i64,
) -> Result<HashMap<String, (String, bool)>, crate::store::StoreError> {
    Ok(store
        .view_boards(team)
        .await?
        .into_iter()
        .map(|b| (b.doc, (b.name, b.deleted)))
        .collect())
}

/// Every task `query` selects on a board of `boards` that is not deleted,
/// and that `keep` keeps, read page by page (`query.limit` a page). A row
/// whose JSON does not read is logged and skipped (`reindex` rewrites it).
pub async fn tasks_where(
    store: &Store,
    mut query: crate::store::TaskQuery,
    boards: &HashMap<String, (String, bool)>,
    mut keep: impl FnMut(&Task) -> bool,
) -> Result<Vec<Task>, crate::store::StoreError> {
    let mut out = Vec::new();
    loop {
        let page = store.view_tasks(&query).await?;
        let Some(last) = page.last() else { break };
        query.after = Some((last.doc.clone(), last.task.clone()));
        let full = page.len() as i64 == query.limit;
        for row in page {
            if boards.get(&row.doc).is_none_or(|(_, deleted)| *deleted) {
                continue;
            }
            match serde_json::from_str::<Task>(&row.data) {
                Ok(t) if keep(&t) => out.push(t),
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(doc = %row.doc, task = %row.task, error = %e, "a task in the view does not read; run porchlight-relay reindex");
                }
            }
        }
        if !full {
            break;
        }
    }
    Ok(out)
}

/// Whether `task` is assigned to the person called `name` (assignees are
/// names, with or without `@`, in any case).
pub fn assigned_to(task: &Task, name: &str) -> bool {
    let name = name.to_lowercase();
    task.assignees
        .iter()
        .any(|a| a.trim_start_matches('@').to_lowercase() == name)
}

/// Rebuilds the whole view from the stored documents; `progress` hears
/// (documents done, documents in all) after each one.
pub async fn reindex(
    store: &Store,
    mut progress: impl FnMut(usize, usize),
) -> anyhow::Result<(usize, usize)> {
    store.clear_view().await?;
    let docs = store.all_documents().await?;
    let mut view = View::new(store.clone());
    let (mut boards, mut tasks) = (0, 0);
    for (i, doc) in docs.iter().enumerate() {
        if let Refreshed::Board { written, .. } = view.refresh(doc).await? {
            boards += 1;
            tasks += written;
        }
        view.forget(doc);
        progress(i + 1, docs.len());
    }
    Ok((boards, tasks))
}
