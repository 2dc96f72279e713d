//! The templates document: a workspace's (or a team's) transaction
//! templates and its holiday list. Each template is one value, stored as
//! JSON under `template:<key>` at the root, so two people editing
//! different templates both keep their edits, and two editing the same
//! one end with one whole template (the later), never a mix of two. An
//! edit made while someone else deleted the template keeps it (Automerge
//! keeps a value written concurrently with a delete).

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ChangeNote, DocKind, root_str};
use crate::error::{DocError, Result};
use porchlight_model::ids::DocumentId;
use porchlight_model::template::{Holidays, Template};

const PREFIX: &str = "template:";

/// A template as stored, with who saved it last and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTemplate {
    pub template: Template,
    pub by: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug)]
pub struct TemplatesDoc {
    doc: AutoCommit,
    id: DocumentId,
}

/// The key a template is stored under: its name, lower case, words joined
/// by `-` (names are unique without regard to case and spacing).
pub fn template_key(name: &str) -> String {
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
        .to_lowercase()
}

impl TemplatesDoc {
    pub fn create(doc: AutoCommit, id: DocumentId, name: &str) -> Result<Self> {
        let mut t = Self { doc, id };
        crate::put_header(&mut t.doc, DocKind::Templates, id, name)?;
        Ok(t)
    }

    pub fn from_doc(doc: AutoCommit) -> Result<Self> {
        let id = crate::expect_kind(&doc, DocKind::Templates, "templates")?;
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

    /// Every template, by key. A value that does not read (written by a
    /// newer build) is left out.
    pub fn templates(&self) -> Vec<(String, StoredTemplate)> {
        let keys: Vec<String> = self
            .doc
            .keys(ROOT)
            .filter(|k| k.starts_with(PREFIX))
            .collect();
        keys.into_iter()
            .filter_map(|k| {
                let json = root_str(&self.doc, &k)?;
                let stored: StoredTemplate = serde_json::from_str(&json).ok()?;
                Some((k[PREFIX.len()..].to_string(), stored))
            })
            .collect()
    }

    /// Saves a template under its name's key (replacing one there).
    pub fn put(&mut self, stored: &StoredTemplate) -> Result<String> {
        let key = template_key(&stored.template.name);
        let json = serde_json::to_string(stored).map_err(|e| DocError::CorruptDocument {
            doc: self.id.to_string(),
            reason: format!("cannot encode a template: {e}"),
        })?;
        self.doc.put(ROOT, format!("{PREFIX}{key}"), json)?;
        Ok(key)
    }

    /// Deletes the template stored under `key`; false when there is none.
    pub fn delete(&mut self, key: &str) -> Result<bool> {
        let k = format!("{PREFIX}{key}");
        if self.doc.get(ROOT, k.as_str())?.is_none() {
            return Ok(false);
        }
        self.doc.delete(ROOT, k.as_str())?;
        Ok(true)
    }

    /// The holiday list, if one was saved.
    pub fn holidays(&self) -> Option<Holidays> {
        root_str(&self.doc, "holidays").and_then(|j| serde_json::from_str(&j).ok())
    }

    pub fn set_holidays(&mut self, holidays: &Holidays) -> Result<()> {
        let json = serde_json::to_string(holidays).unwrap_or_default();
        self.doc.put(ROOT, "holidays", json)?;
        Ok(())
    }
}
