//! Board files: a board saved as a plain Automerge file, for sharing without
//! a server (email, USB stick). Importing merges the file into the board of
//! the same id, or adds the board if it is new; both sides converge however
//! many times files go back and forth.

use automerge::AutoCommit;
use serde::Serialize;

use super::BoardsMut;
use super::{Profile, Touched};
use crate::doc::{BoardDoc, ChangeNote, DocKind, identify};
use crate::error::{CoreError, Result};
use crate::ids::DocumentId;
use crate::store::chunks;

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub board: DocumentId,
    pub name: String,
    /// True when the board was new to this profile.
    pub added: bool,
    /// Changes in the file that this profile did not have.
    pub new_changes: usize,
}

impl Profile {}

impl BoardsMut<'_> {
    /// The board as an Automerge file (the whole document with its history).
    pub fn export(&mut self, key: &str) -> Result<Vec<u8>> {
        let id = self.p.boards().resolve(key)?;
        Ok(self.p.read_board(id)?.into_doc().save())
    }

    /// Merges a board file. `source` names the file in error messages.
    pub fn import(&mut self, bytes: &[u8], source: &str) -> Result<ImportReport> {
        let bad = |reason: String| CoreError::NotABoardFile {
            path: source.to_string(),
            reason,
        };
        if bytes.is_empty() {
            return Err(bad("the file is empty".into()));
        }
        let mut incoming =
            AutoCommit::load(bytes).map_err(|e| bad(format!("not an Automerge document ({e})")))?;
        let (kind, id) = identify(&incoming).map_err(|e| bad(e.to_string()))?;
        if kind != DocKind::Board {
            return Err(bad(format!("it holds a {}, not a board", kind.as_str())));
        }
        let known = chunks::version(self.p.store().conn(), id)? > 0;
        if known {
            let new_changes = self.p.write_board(id, move |b, _, user| {
                let before = b.doc_mut().get_heads();
                let added = b.doc_mut().merge(&mut incoming)?.len();
                let after = b.doc_mut().get_heads();
                let added = if before == after { 0 } else { added };
                Ok((
                    added,
                    ChangeNote::new("board.import", user),
                    Touched::Everything,
                ))
            })?;
            let name = self.p.boards().get(&id.to_string())?.name;
            return Ok(ImportReport {
                board: id,
                name,
                added: false,
                new_changes,
            });
        }
        let new_changes = incoming.get_changes(&[]).len();
        let doc = incoming.with_actor(self.p.actor.clone());
        let name = BoardDoc::from_doc(doc.clone())?.name();
        self.p.add_document(id, DocKind::Board, doc, |_| Ok(()))?;
        Ok(ImportReport {
            board: id,
            name,
            added: true,
            new_changes,
        })
    }
}
