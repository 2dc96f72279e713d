//! A desktop notification for each new mention of the user: when the
//! reminder task looks at the store (at least every few seconds, and after
//! every change, a sync's included), unread mentions it has not seen
//! before are shown. Mentions already there when the app starts are in
//! the bell's count, not notified again.

use std::collections::HashSet;
use std::sync::Mutex;

use porchlight_store::inbox::{InboxItem, InboxKind};
use porchlight_store::model::InboxState;
use porchlight_store::profile::InboxFilter;
use tauri::{AppHandle, Emitter, Runtime};

use crate::state::AppState;

/// Event the UI hears to refresh the bell: the unread count.
pub const INBOX: &str = "inbox";

/// Mentions already seen; `None` until the first look.
static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// The unread mentions among `items` not in `seen`, which learns them; the
/// first call only learns.
pub fn fresh<'a>(seen: &mut Option<HashSet<String>>, items: &'a [InboxItem]) -> Vec<&'a InboxItem> {
    let mentions = items
        .iter()
        .filter(|i| i.kind == InboxKind::Mention && i.state == InboxState::Unread);
    match seen {
        None => {
            *seen = Some(mentions.map(|i| i.id.clone()).collect());
            vec![]
        }
        Some(known) => mentions.filter(|i| known.insert(i.id.clone())).collect(),
    }
}

/// Looks for new mentions and shows them.
pub fn look<R: Runtime>(app: &AppHandle<R>, state: &AppState) {
    let items = match state
        .profile()
        .and_then(|p| Ok(p.tasks().inbox(InboxFilter::Unread)?))
    {
        Ok(items) => items,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the inbox");
            return;
        }
    };
    let new: Vec<InboxItem> = match SEEN.lock() {
        Ok(mut seen) => fresh(&mut seen, &items).into_iter().cloned().collect(),
        Err(_) => return,
    };
    let _ = app.emit(INBOX, items.len());
    if new.is_empty() || !state.preferences().map(|p| p.notifications).unwrap_or(true) {
        return;
    }
    use tauri_plugin_notification::NotificationExt;
    for m in new {
        let title = format!("{} mentioned you on “{}”", m.by, m.title);
        if let Err(e) = app
            .notification()
            .builder()
            .title(&title)
            .body(&m.text)
            .show()
        {
            tracing::warn!(error = %e, "cannot show a native notification");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use porchlight_store::ids::{DocumentId, TaskId};

    fn item(id: &str, kind: InboxKind, state: InboxState) -> InboxItem {
        InboxItem {
            id: id.into(),
            key: format!("k{id}"),
            task: TaskId::new("t"),
            board: DocumentId::random(),
            title: "Lockbox".into(),
            kind,
            at: Utc::now(),
            by: "maria".into(),
            text: "@joe?".into(),
            state,
        }
    }

    #[test]
    fn only_mentions_new_since_the_first_look_are_fresh() {
        let mut seen = None;
        let start = [item("a", InboxKind::Mention, InboxState::Unread)];
        assert!(
            fresh(&mut seen, &start).is_empty(),
            "the first look only learns"
        );
        let later = [
            item("a", InboxKind::Mention, InboxState::Unread),
            item("b", InboxKind::Mention, InboxState::Unread),
            item("c", InboxKind::Comment, InboxState::Unread),
            item("d", InboxKind::Mention, InboxState::Read),
        ];
        let new: Vec<&str> = fresh(&mut seen, &later)
            .iter()
            .map(|i| i.id.as_str())
            .collect();
        assert_eq!(new, ["b"]);
        assert!(fresh(&mut seen, &later).is_empty(), "shown once");
    }
}
