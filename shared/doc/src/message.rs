//! The note attached to every change: who made it and what it did.
//!
//! Automerge records the actor (a device) and a timestamp for each change; the
//! commit message adds the person and the operation, as a small JSON object.
//! Task history is read back from these notes and the change log.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ChangeNote {
    /// What was done: `task.add`, `task.edit`, `task.move`, `board.rename`, …
    pub op: String,
    /// The person who did it, as they are named in the profile.
    pub by: String,
    /// The task the change is about, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// The task fields it changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

impl ChangeNote {
    pub fn new(op: &str, by: &str) -> Self {
        Self {
            op: op.to_string(),
            by: by.to_string(),
            ..Self::default()
        }
    }

    pub fn for_task(op: &str, by: &str, task: &str, fields: Vec<String>) -> Self {
        Self {
            task: Some(task.to_string()),
            fields,
            ..Self::new(op, by)
        }
    }

    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a note; changes made by other automerge-repo clients have none,
    /// or a free-text message, and give `None`.
    pub fn decode(message: Option<&str>) -> Option<Self> {
        message.and_then(|m| serde_json::from_str(m).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_round_trip_and_foreign_messages_are_ignored() {
        let note = ChangeNote::for_task("task.edit", "maria", "ab12", vec!["title".into()]);
        assert_eq!(ChangeNote::decode(Some(&note.encode())), Some(note));
        assert_eq!(ChangeNote::decode(Some("fixed a typo")), None);
        assert_eq!(ChangeNote::decode(None), None);
    }
}
