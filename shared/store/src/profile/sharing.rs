//! What sync needs from a profile: copies of documents to sync, absorbing
//! what came back, and which boards are shared with which team.

use automerge::AutoCommit;
use serde::Serialize;

use super::{Boards, BoardsMut};
use super::{Profile, Touched};
use crate::doc::{ChangeNote, DocKind, identify};
use crate::error::{CoreError, Result};
use crate::ids::DocumentId;
use crate::store::{chunks, meta_get, meta_set};

/// What absorbing a synced document did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Absorbed {
    /// Nothing new.
    Unchanged,
    /// New changes merged into a document this profile had.
    Updated,
    /// A document this profile did not have was added.
    Added,
    /// The document is empty or not one Porchlight keeps; nothing stored.
    Skipped,
}

impl From<bool> for Absorbed {
    /// Whether a merge changed the local document.
    fn from(changed: bool) -> Self {
        if changed {
            Absorbed::Updated
        } else {
            Absorbed::Unchanged
        }
    }
}

impl Profile {
    /// Merges a synced copy into the stored document and, when that changed
    /// it, lets `materialize` update the tables (it hands the document
    /// back), then stores the new changes, in one transaction; true when
    /// anything changed.
    pub(crate) fn merge_synced(
        &mut self,
        id: DocumentId,
        synced: &mut AutoCommit,
        materialize: impl FnOnce(&rusqlite::Transaction<'_>, AutoCommit) -> Result<AutoCommit>,
    ) -> Result<bool> {
        let actor = self.actor.clone();
        let changed = self.store.write(|tx| {
            let mut loaded = Self::refresh(tx, id, None, &actor)?;
            let heads = loaded.doc.get_heads();
            loaded.doc.merge(synced)?;
            if loaded.doc.get_heads() == heads {
                return Ok(false);
            }
            loaded.doc = materialize(tx, std::mem::take(&mut loaded.doc))?;
            Self::persist(tx, id, &mut loaded, &heads)?;
            Ok(true)
        })?;
        // A copy kept in memory from before is stale now.
        self.docs.remove(&id);
        Ok(changed)
    }

    /// A copy of a local document to sync, or `None` if this profile does not have it.
    pub fn sync_copy(&mut self, id: DocumentId) -> Result<Option<AutoCommit>> {
        if chunks::version(self.store().conn(), id)? == 0 {
            return Ok(None);
        }
        Ok(Some(self.read_doc(id)?))
    }

    /// Stores what sync brought for `id`: merges it into the local document
    /// (or adds the document) and re-materializes, in one transaction.
    pub fn absorb(&mut self, id: DocumentId, synced: &mut AutoCommit) -> Result<Absorbed> {
        if synced.get_heads().is_empty() {
            return Ok(Absorbed::Skipped);
        }
        let Ok((kind, own_id)) = identify(synced) else {
            return Ok(Absorbed::Skipped);
        };
        if own_id != id {
            return Err(CoreError::CorruptDocument {
                doc: id.to_string(),
                reason: format!("the synced document says it is {own_id}"),
            });
        }
        let known = chunks::version(self.store().conn(), id)? > 0;
        match (kind, known) {
            (DocKind::Board, true) => {
                let changed = self.write_board(id, |b, _, user| {
                    let before = b.doc_mut().get_heads();
                    b.doc_mut().merge(synced)?;
                    let changed = b.doc_mut().get_heads() != before;
                    Ok((
                        changed,
                        ChangeNote::new("board.sync", user),
                        Touched::Everything,
                    ))
                })?;
                Ok(if changed {
                    Absorbed::Updated
                } else {
                    Absorbed::Unchanged
                })
            }
            (DocKind::Board, false) => {
                let doc = synced.clone().with_actor(self.actor.clone());
                self.add_document(id, DocKind::Board, doc, |_| Ok(()))?;
                Ok(Absorbed::Added)
            }
            (DocKind::ListingShard, true) => Ok(self.absorb_shard(id, synced)?.into()),
            // Templates have no tables: merged and stored as they are.
            (DocKind::Templates, true) => {
                Ok(self.merge_synced(id, synced, |_, doc| Ok(doc))?.into())
            }
            (kind @ (DocKind::ListingShard | DocKind::Templates), false) => {
                let doc = synced.clone().with_actor(self.actor.clone());
                self.add_document(id, kind, doc, |_| Ok(()))?;
                Ok(Absorbed::Added)
            }
            // Team workspace documents are not kept locally yet.
            (DocKind::Workspace, _) => Ok(Absorbed::Skipped),
        }
    }
}

impl Boards<'_> {
    /// Boards marked shared, with their team.
    pub fn shared(&self) -> Result<Vec<(DocumentId, i64)>> {
        let keys: Vec<String> = self
            .p
            .store()
            .conn()
            .prepare_cached("SELECT key FROM meta WHERE key LIKE 'shared:%' ORDER BY key")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::new();
        for key in keys {
            let Some(team) = meta_get(self.p.store().conn(), &key)?.and_then(|t| t.parse().ok())
            else {
                continue;
            };
            if let Ok(id) = DocumentId::parse(key.trim_start_matches("shared:")) {
                out.push((id, team));
            }
        }
        Ok(out)
    }
}

impl BoardsMut<'_> {
    /// Marks a board as shared with a relay team (by the team's id there).
    pub fn share(&mut self, key: &str, team: i64) -> Result<DocumentId> {
        let id = self.p.boards().resolve(key)?;
        self.p
            .store
            .write(|tx| meta_set(tx, &format!("shared:{id}"), &team.to_string()))?;
        Ok(id)
    }
}
