//! A person's earlier names. People are known by name everywhere a board
//! names them (assignees, mentions, authors, watching, inbox state); a
//! rename is recorded in each board document as an `OLD → NEW` entry, and
//! everything stored under the old name reads as the new one. So a mention
//! of `@maria` written before Maria became `maria.g` still reaches her, and
//! shows her new name.

use std::collections::BTreeMap;

use crate::board::{Stamp, Task, mention_spans};

/// Renames in force on one board: old name (lower case) → new name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Renames(BTreeMap<String, String>);

impl Renames {
    /// Renames from `old → new` pairs (old names compared ignoring case).
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(old, new)| (old.to_lowercase(), new))
                .filter(|(old, new)| {
                    !old.is_empty() && !new.is_empty() && *old != new.to_lowercase()
                })
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `name` is a former name (it reads as another).
    fn is_renamed(&self, name: &str) -> bool {
        self.0.contains_key(&name.to_lowercase())
    }

    /// The `old → new` entries.
    pub fn pairs(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// The name `name` goes by now. One step: a board's renames are kept
    /// flat (renaming `joseph → joe.s` also turns an earlier `joe →
    /// joseph` into `joe → joe.s`), so two people renamed at once on two
    /// devices (`maria → maria.g` on one, `joe → maria` on the other) stay
    /// two people. A name never renamed comes back as it was given.
    pub fn resolve(&self, name: &str) -> String {
        match self.0.get(&name.to_lowercase()) {
            Some(now) => now.to_lowercase(),
            None => name.to_string(),
        }
    }

    /// Every name that reads as `person` now, `person` first.
    pub fn names_of(&self, person: &str) -> Vec<String> {
        let now = self.resolve(person).to_lowercase();
        let mut out = vec![now.clone()];
        for old in self.0.keys() {
            if self.resolve(old) == now && !out.contains(old) {
                out.push(old.clone());
            }
        }
        out
    }

    /// Rewrites every name in `task` to the name its person goes by now:
    /// assignees, comment authors and mentions (the `@name`s of a comment's
    /// text too), who made and last changed it, the stamps, watching and
    /// inbox state. Where an old and a new name both hold a value (Maria
    /// read an item as `maria`, then as `maria.g`), the new name's wins.
    /// The description's text stays as written: editors change it by
    /// position, and its mentions are read through [`Self::resolve`].
    pub fn apply(&self, task: &mut Task) {
        if self.is_empty() {
            return;
        }
        let r = |n: &str| self.resolve(n);
        let mut assignees: Vec<String> = task.assignees.iter().map(|a| r(a)).collect();
        assignees.sort();
        assignees.dedup();
        task.assignees = assignees;
        for c in &mut task.comments {
            c.author = r(&c.author);
            let mut mentions: Vec<String> = Vec::new();
            for m in &c.mentions {
                let m = r(m);
                if !mentions.contains(&m) {
                    mentions.push(m);
                }
            }
            mentions.sort();
            c.mentions = mentions;
            c.text = self.rewrite_mentions(&c.text);
        }
        task.created_by = r(&task.created_by);
        task.updated_by = r(&task.updated_by);
        let stamps = |m: &BTreeMap<String, Stamp>| {
            self.merge(m, |s| Stamp {
                by: r(&s.by),
                at: s.at,
            })
        };
        task.assigned = stamps(&task.assigned);
        task.mentioned = stamps(&task.mentioned);
        task.watch = self.merge(&task.watch, |on| *on);
        let mut inbox: BTreeMap<String, BTreeMap<String, crate::board::InboxState>> =
            BTreeMap::new();
        // Old names first, so the name in use now writes last and wins.
        let mut people: Vec<(&String, _)> = task.inbox.iter().collect();
        people.sort_by_key(|(name, _)| !self.is_renamed(name));
        for (name, items) in people {
            inbox.entry(r(name)).or_default().extend(items.clone());
        }
        task.inbox = inbox;
    }

    /// `map` with its keys renamed; a key in use now beats a renamed one.
    fn merge<V, W>(&self, map: &BTreeMap<String, V>, f: impl Fn(&V) -> W) -> BTreeMap<String, W> {
        let mut out = BTreeMap::new();
        for renamed in [true, false] {
            for (k, v) in map {
                if self.is_renamed(k) == renamed {
                    out.insert(self.resolve(k), f(v));
                }
            }
        }
        out
    }

    /// `text` with each `@old` mention written as `@new`.
    pub fn rewrite_mentions(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for span in mention_spans(text) {
            let name = &text[span.clone()];
            if !self.is_renamed(name) {
                continue;
            }
            out.push_str(&text[last..span.start]);
            out.push_str(&self.resolve(name));
            last = span.end;
        }
        out.push_str(&text[last..]);
        out
    }
}

#[cfg(test)]
mod tests;
