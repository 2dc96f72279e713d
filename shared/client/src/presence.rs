//! Presence: telling teammates which board this user is looking at, over
//! automerge-repo `ephemeral` messages that are never stored.

use futures_util::SinkExt;
use porchlight_store::sync::presence::PresenceNote;
use porchlight_store::sync::{PeerId, SyncEngine, WireMessage};
use tokio_tungstenite::tungstenite::Message;

use crate::*;

/// What a live session says about its user's presence: who they are, and
/// which document (board) they are looking at, if any. The app changes
/// `viewing` as the person opens and closes boards.
#[derive(Debug)]
pub struct Presence {
    pub user: String,
    pub viewing: tokio::sync::watch::Receiver<Option<String>>,
}

/// This session's presence: what it last said, and a counter for the
/// ephemeral messages it sends.
pub(crate) struct Announcer {
    pub(crate) user: String,
    pub(crate) session: String,
    pub(crate) count: u64,
    /// The synced document being viewed, if any.
    pub(crate) current: Option<String>,
}

impl Announcer {
    pub(crate) async fn say(
        &mut self,
        socket: &mut Socket,
        engine: &SyncEngine,
        relay: &PeerId,
        doc: &str,
        viewing: bool,
    ) -> Result<()> {
        self.count += 1;
        let note = PresenceNote {
            user: self.user.clone(),
            viewing,
        };
        let message = WireMessage::Ephemeral {
            sender_id: engine.peer_id().clone(),
            target_id: relay.clone(),
            count: self.count,
            session_id: self.session.clone(),
            document_id: doc.to_string(),
            data: note.encode(),
        };
        socket
            .send(Message::Binary(message.encode().into()))
            .await
            .map_err(|e| ClientError::Network(format!("the relay closed the connection: {e}")))
    }
}

/// Waits until the viewed document changes; never, without presence.
pub(crate) async fn viewing_changed(presence: &mut Option<&mut Presence>) -> Option<String> {
    if let Some(p) = presence
        && p.viewing.changed().await.is_ok()
    {
        return p.viewing.borrow_and_update().clone();
    }
    std::future::pending().await
}

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}
