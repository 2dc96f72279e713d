//! The workspace document: a team's (or a person's) name, board list and label
//! catalogue.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, Value};
use chrono::{DateTime, Utc};

use super::{ChangeNote, DocKind, root_str};
use crate::error::Result;
use porchlight_model::ids::DocumentId;

#[derive(Debug)]
pub struct WorkspaceDoc {
    doc: AutoCommit,
    id: DocumentId,
}

impl WorkspaceDoc {
    pub fn create(doc: AutoCommit, id: DocumentId, name: &str) -> Result<Self> {
        let mut ws = Self { doc, id };
        let d = &mut ws.doc;
        crate::put_header(d, DocKind::Workspace, id, name)?;
        d.put_object(ROOT, "boards", ObjType::Map)?;
        d.put_object(ROOT, "labels", ObjType::Map)?;
        Ok(ws)
    }

    pub fn from_doc(doc: AutoCommit) -> Result<Self> {
        let id = crate::expect_kind(&doc, DocKind::Workspace, "a workspace")?;
        Ok(Self { doc, id })
    }

    pub fn id(&self) -> DocumentId {
        self.id
    }

    pub fn into_doc(self) -> AutoCommit {
        self.doc
    }

    pub fn doc_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    pub fn name(&self) -> String {
        root_str(&self.doc, "name").unwrap_or_default()
    }

    pub fn commit(&mut self, note: &ChangeNote, now: DateTime<Utc>) {
        crate::commit_note(&mut self.doc, note, now);
    }

    fn map(&mut self, key: &str) -> Result<automerge::ObjId> {
        match self.doc.get(ROOT, key)? {
            Some((Value::Object(ObjType::Map), id)) => Ok(id),
            _ => Ok(self.doc.put_object(ROOT, key, ObjType::Map)?),
        }
    }

    /// Lists a board in this workspace at `position`.
    pub fn add_board(&mut self, board: DocumentId, position: &str) -> Result<()> {
        let boards = self.map("boards")?;
        let entry = self
            .doc
            .put_object(&boards, board.to_string(), ObjType::Map)?;
        self.doc.put(&entry, "position", position)?;
        Ok(())
    }

    pub fn remove_board(&mut self, board: DocumentId) -> Result<()> {
        let boards = self.map("boards")?;
        if self.doc.get(&boards, board.to_string())?.is_some() {
            self.doc.delete(&boards, board.to_string())?;
        }
        Ok(())
    }

    /// The boards listed, in order.
    pub fn boards(&self) -> Vec<DocumentId> {
        let Ok(Some((Value::Object(ObjType::Map), boards))) = self.doc.get(ROOT, "boards") else {
            return vec![];
        };
        let mut entries: Vec<(String, DocumentId)> = self
            .doc
            .map_range(&boards, ..)
            .filter_map(|item| {
                let id = DocumentId::parse(&item.key).ok()?;
                let position =
                    super::string_at(&self.doc, &item.id(), "position").unwrap_or_default();
                Some((position, id))
            })
            .collect();
        entries.sort();
        entries.into_iter().map(|(_, id)| id).collect()
    }

    /// Adds a label to the catalogue (idempotent).
    pub fn add_label(&mut self, label: &str) -> Result<()> {
        let labels = self.map("labels")?;
        if self.doc.get(&labels, label)?.is_none() {
            self.doc.put(&labels, label, true)?;
        }
        Ok(())
    }

    pub fn labels(&self) -> Vec<String> {
        let Ok(Some((Value::Object(ObjType::Map), labels))) = self.doc.get(ROOT, "labels") else {
            return vec![];
        };
        let mut out: Vec<String> = self.doc.keys(&labels).collect();
        out.sort();
        out
    }
}
