//! The people the boards name, and renaming one (see
//! [`porchlight_model::people`]): a rename is written into every board,
//! so it syncs with each board's team, and everything the boards hold
//! under the old name — assignments, mentions, comments, watching, inbox
//! state — reads as the new one.

use std::collections::HashMap;

use serde::Serialize;

use super::{Boards, BoardsMut, Touched};
use crate::doc::ChangeNote;
use crate::error::{CoreError, Result};
use crate::ids::DocumentId;
use crate::store::meta_set;
use porchlight_model::ModelError;
use porchlight_model::board::mentions_in;
use porchlight_model::people::Renames;

/// A person the boards name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Person {
    pub name: String,
    /// Names they went by before, in sort order.
    pub formerly: Vec<String>,
}

/// What [`BoardsMut::rename_person`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Renamed {
    pub from: String,
    pub to: String,
    /// Boards the rename was written into.
    pub boards: usize,
    /// Whether it was this profile's user (whose name changed too).
    pub you: bool,
}

impl Boards<'_> {
    /// Each board's renames, from its row (boards without any left out).
    pub(crate) fn renames(&self) -> Result<HashMap<DocumentId, Renames>> {
        let mut stmt = self
            .p
            .store()
            .conn()
            .prepare_cached("SELECT doc_id, renames FROM boards WHERE renames <> '{}'")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = HashMap::new();
        for row in rows {
            let (id, json) = row?;
            let renames = parse_renames(&id, &json)?;
            if let Ok(id) = DocumentId::parse(&id) {
                out.insert(id, renames);
            }
        }
        Ok(out)
    }

    /// Everyone the boards name (see [`super::Tasks::people`]), with the
    /// names they went by before, by name.
    pub fn people_with_former_names(&self) -> Result<Vec<Person>> {
        let renames = self.renames()?;
        let mut out: Vec<Person> = self
            .p
            .tasks()
            .people()?
            .into_iter()
            .map(|name| Person {
                name,
                formerly: vec![],
            })
            .collect();
        for person in &mut out {
            for r in renames.values() {
                for old in r.names_of(&person.name).into_iter().skip(1) {
                    if !person.formerly.contains(&old) {
                        person.formerly.push(old);
                    }
                }
            }
            person.formerly.sort();
        }
        Ok(out)
    }
}

/// A name as `@name` can mention it: lower case, letters, digits, `.`,
/// `-` or `_`.
fn check_person(name: &str) -> Result<String> {
    let name = name.trim().trim_start_matches('@').to_lowercase();
    if mentions_in(&format!("@{name}")) != [name.clone()] {
        return Err(ModelError::InvalidValue {
            what: "name",
            value: name,
            hint: "a person's name is one word of letters, digits, '.', '-' or '_' (like maria.g), so that @name mentions them",
        }
        .into());
    }
    Ok(name)
}

impl BoardsMut<'_> {
    /// Renames the person called `old` to `new` on every board of this
    /// profile (one change per board, synced with its team). Renaming
    /// this profile's user changes the profile's name too.
    pub fn rename_person(&mut self, old: &str, new: &str) -> Result<Renamed> {
        let old = check_person(old)?;
        let new = check_person(new)?;
        let people: Vec<String> = self.p.tasks().people()?;
        if !people.contains(&old) {
            return Err(CoreError::UnknownPerson {
                name: old,
                known: people.join(", "),
            });
        }
        if old == new {
            return Err(ModelError::InvalidValue {
                what: "new name",
                value: new,
                hint: "that is the name they have now; give a different one",
            }
            .into());
        }
        let renames = self.p.boards().renames()?;
        // Boards already renamed by an earlier attempt that stopped half
        // way (each board is its own write): the same rename goes on.
        let resumed = renames.values().any(|r| r.resolve(&old) == new);
        if people.contains(&new) && !resumed {
            return Err(CoreError::NameTaken(new));
        }
        // A name someone went by before still means them (in old mentions
        // and assignments); only they may take it back.
        for r in renames.values() {
            let now = r.resolve(&new);
            if r.pairs().contains_key(&new) && now != old {
                return Err(CoreError::FormerName { name: new, now });
            }
        }
        let boards = self.p.boards().list()?;
        for board in &boards {
            let (old, new) = (old.clone(), new.clone());
            self.p.write_board(board.id, move |b, _, user| {
                if b.renames().resolve(&old) != new {
                    b.rename_person(&old, &new)?;
                }
                let note = ChangeNote {
                    fields: vec![old, new],
                    ..ChangeNote::new("person.rename", user)
                };
                Ok(((), note, Touched::Everything))
            })?;
        }
        // The user, by whatever name a board knew them.
        let user = self.p.user.clone();
        let you = user.to_lowercase() == old || renames.values().any(|r| r.resolve(&user) == old);
        if you {
            self.p.user = new.clone();
            let user = new.clone();
            self.p.store.write(|tx| meta_set(tx, "user", &user))?;
        }
        Ok(Renamed {
            from: old,
            to: new,
            boards: boards.len(),
            you,
        })
    }
}

/// A board's renames as the boards table keeps them (a JSON object).
pub(crate) fn parse_renames(board: &str, json: &str) -> Result<Renames> {
    let pairs: HashMap<String, String> =
        serde_json::from_str(json).map_err(|e| CoreError::CorruptDocument {
            doc: "boards table".into(),
            reason: format!("renames of {board}: {e}; run `porchlight reindex`"),
        })?;
    Ok(Renames::new(pairs))
}
