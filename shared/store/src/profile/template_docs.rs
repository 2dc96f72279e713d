//! Templates as documents: this profile's own templates document (made on
//! the first edit, with the three shipped templates in it) and the ones
//! teammates shared with a team this device syncs. Reading takes every
//! one of them; a template found in several is the one saved last.

use std::collections::BTreeMap;

use automerge::AutoCommit;

use super::Profile;
use crate::doc::{ChangeNote, DocKind, StoredTemplate, TemplatesDoc, template_key};
use crate::error::{CoreError, Result};
use crate::ids::DocumentId;
use crate::model::{check_label, check_name, check_title};
use crate::store::{chunks, meta_get, meta_set};
use crate::template::{Holidays, Template, builtin};

/// Steps a template may have at most.
pub const MAX_STEPS: usize = 200;

/// A template and where it is kept.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TemplateEntry {
    pub key: String,
    pub template: Template,
    /// Who saved it last ("" for a shipped one not edited yet).
    pub by: String,
    /// The templates document holding it (none: shipped, not stored yet).
    pub doc: Option<DocumentId>,
}

/// Checks a template a person wrote, normalizing labels and names.
pub fn check_template(mut t: Template) -> Result<Template> {
    t.name = check_name("template", &t.name)?;
    t.anchor = check_name("anchor", &t.anchor)?.to_lowercase();
    if t.steps.is_empty() {
        return Err(CoreError::Model(crate::ModelError::InvalidValue {
            what: "template",
            value: t.name,
            hint: "a template needs at least one step",
        }));
    }
    if t.steps.len() > MAX_STEPS {
        return Err(CoreError::Model(crate::ModelError::InvalidValue {
            what: "template",
            value: t.name,
            hint: "a template has at most 200 steps",
        }));
    }
    for step in &mut t.steps {
        step.title = check_title(&step.title)?;
        for l in &mut step.labels {
            *l = check_label(l)?;
        }
        if let Some(a) = &step.assignee {
            step.assignee = Some(check_name("assignee", a.trim().trim_start_matches('@'))?);
        }
        for item in &step.checklist {
            check_title(item)?;
        }
    }
    Ok(t)
}

impl Profile {
    /// This profile's own templates document, if made.
    fn own_templates(&self) -> Result<Option<DocumentId>> {
        Ok(meta_get(self.store().conn(), "templates")?.and_then(|id| DocumentId::parse(&id).ok()))
    }

    /// Every templates document this profile holds.
    fn template_docs(&mut self) -> Result<Vec<TemplatesDoc>> {
        let ids = chunks::documents(self.store().conn(), DocKind::Templates.as_str())?;
        let mut out = Vec::new();
        for id in ids {
            out.push(TemplatesDoc::from_doc(self.read_doc(id)?)?);
        }
        Ok(out)
    }

    /// Every template, by name; the shipped three until they are edited
    /// or deleted.
    pub fn templates(&mut self) -> Result<Vec<TemplateEntry>> {
        let docs = self.template_docs()?;
        let mut found: BTreeMap<String, (StoredTemplate, DocumentId)> = BTreeMap::new();
        for d in &docs {
            for (key, stored) in d.templates() {
                let newer = found.get(&key).is_none_or(|(s, _)| stored.at > s.at);
                if newer {
                    found.insert(key, (stored, d.id()));
                }
            }
        }
        let mut out: Vec<TemplateEntry> = found
            .into_iter()
            .map(|(key, (s, doc))| TemplateEntry {
                key,
                template: s.template,
                by: s.by,
                doc: Some(doc),
            })
            .collect();
        if docs.is_empty() {
            out = builtin::all()
                .into_iter()
                .map(|t| TemplateEntry {
                    key: template_key(&t.name),
                    template: t,
                    by: String::new(),
                    doc: None,
                })
                .collect();
        }
        out.sort_by(|a, b| {
            a.template
                .name
                .to_lowercase()
                .cmp(&b.template.name.to_lowercase())
        });
        Ok(out)
    }

    /// The template whose name starts with `name` (any case; an exact
    /// name wins over a longer one).
    pub fn template(&mut self, name: &str) -> Result<TemplateEntry> {
        let all = self.templates()?;
        let wanted = name.trim().to_lowercase();
        if let Some(exact) = all
            .iter()
            .find(|e| e.template.name.to_lowercase() == wanted)
        {
            return Ok(exact.clone());
        }
        let found: Vec<&TemplateEntry> = all
            .iter()
            .filter(|e| !wanted.is_empty() && e.template.name.to_lowercase().starts_with(&wanted))
            .collect();
        match found.as_slice() {
            [one] => Ok((*one).clone()),
            _ => Err(CoreError::UnknownTemplate {
                name: name.to_string(),
                known: all
                    .iter()
                    .map(|e| e.template.name.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// Runs `op` on templates document `id` (this profile's own, made with
    /// the shipped templates in it when missing) as one change.
    fn write_templates<T>(
        &mut self,
        id: Option<DocumentId>,
        op_name: &str,
        op: impl FnOnce(&mut TemplatesDoc) -> Result<T>,
    ) -> Result<T> {
        let id = match id.or(self.own_templates()?) {
            Some(id) => id,
            None => self.create_templates_doc()?,
        };
        let now = self.now();
        let user = self.user().to_string();
        let cached = self.docs.remove(&id);
        let actor = self.actor.clone();
        let (out, loaded) = self.store.write(|tx| {
            let mut loaded = Self::refresh(tx, id, cached, &actor)?;
            let heads = loaded.doc.get_heads();
            let mut doc = TemplatesDoc::from_doc(std::mem::take(&mut loaded.doc))?;
            let out = op(&mut doc)?;
            doc.commit(&ChangeNote::new(op_name, &user), now);
            loaded.doc = doc.into_doc();
            Self::persist(tx, id, &mut loaded, &heads)?;
            Ok((out, loaded))
        })?;
        self.docs.insert(id, loaded);
        Ok(out)
    }

    fn create_templates_doc(&mut self) -> Result<DocumentId> {
        let id = DocumentId::random();
        let now = self.now();
        let user = self.user().to_string();
        let mut doc = TemplatesDoc::create(
            AutoCommit::new().with_actor(self.actor.clone()),
            id,
            "Templates",
        )?;
        for t in builtin::all() {
            doc.put(&StoredTemplate {
                template: t,
                by: String::new(),
                // Shipped ones are older than any edit.
                at: chrono::DateTime::UNIX_EPOCH,
            })?;
        }
        doc.set_holidays(&Holidays::us())?;
        doc.commit(&ChangeNote::new("templates.create", &user), now);
        self.add_document(id, DocKind::Templates, doc.into_doc(), |tx| {
            meta_set(tx, "templates", &id.to_string())
        })?;
        Ok(id)
    }

    /// Saves a template: a new one (`replacing` none; its name must be
    /// free) or a new version of the template named `replacing` (which
    /// may rename it).
    pub fn save_template(
        &mut self,
        template: Template,
        replacing: Option<&str>,
    ) -> Result<TemplateEntry> {
        let template = check_template(template)?;
        let key = template_key(&template.name);
        let all = self.templates()?;
        let old = match replacing {
            Some(name) => Some(self.template(name)?),
            None => None,
        };
        if let Some(clash) = all.iter().find(|e| e.key == key)
            && old.as_ref().is_none_or(|o| o.key != clash.key)
        {
            return Err(CoreError::DuplicateTemplate(clash.template.name.clone()));
        }
        let stored = StoredTemplate {
            template: template.clone(),
            by: self.user().to_string(),
            at: self.now(),
        };
        let doc = old.as_ref().and_then(|o| o.doc);
        let old_key = old.as_ref().map(|o| o.key.clone());
        let written = self.write_templates(doc, "template.save", |d| {
            if let Some(k) = &old_key
                && *k != key
            {
                d.delete(k)?;
            }
            d.put(&stored)?;
            Ok(d.id())
        })?;
        Ok(TemplateEntry {
            key,
            template,
            by: self.user().to_string(),
            doc: Some(written),
        })
    }

    /// Deletes a template (tasks made from it stay as they are).
    pub fn delete_template(&mut self, name: &str) -> Result<Template> {
        let entry = self.template(name)?;
        let key = entry.key.clone();
        self.write_templates(entry.doc, "template.delete", |d| Ok(d.delete(&key)?))?;
        Ok(entry.template)
    }

    /// The days besides weekends that business-day offsets skip: the
    /// saved list, or US federal holidays until one is saved.
    pub fn holidays(&mut self) -> Result<Holidays> {
        let own = self.own_templates()?;
        for d in self.template_docs()? {
            if Some(d.id()) == own
                && let Some(h) = d.holidays()
            {
                return Ok(h);
            }
        }
        Ok(Holidays::us())
    }

    pub fn set_holidays(&mut self, holidays: &Holidays) -> Result<()> {
        self.write_templates(
            None,
            "templates.holidays",
            |d| Ok(d.set_holidays(holidays)?),
        )
    }

    /// Marks this profile's templates document shared with a relay team
    /// (made first if need be), so `sync` brings it to every member.
    pub fn share_templates(&mut self, team: i64) -> Result<DocumentId> {
        let id = match self.own_templates()? {
            Some(id) => id,
            None => self.create_templates_doc()?,
        };
        self.store
            .write(|tx| meta_set(tx, &format!("shared:{id}"), &team.to_string()))?;
        Ok(id)
    }
}

#[cfg(test)]
mod tests;
