//! The live session: stays connected, sends local edits as they are saved,
//! stores remote changes as they come, reconnects with backoff.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;
use porchlight_net::{Retries, RetryPolicy};
use porchlight_store::Profile;
use porchlight_store::ids::DocumentId;
use porchlight_store::profile::Absorbed;
use porchlight_store::sync::presence::{HEARTBEAT, PresenceBook, PresenceNote};
use serde::Serialize;
use tokio_tungstenite::tungstenite::Message;

use crate::*;

/// How often `--watch` looks for local edits to send.
pub(crate) const LOCAL_POLL: Duration = Duration::from_secs(1);
/// The wait before the next connection attempt, from the one retry
/// policy ([`RetryPolicy::RECONNECT`]): doubling after each attempt that
/// never got connected, and back to the first after a connection that
/// worked, so a relay restart after hours of good sync is retried within
/// seconds rather than after the longest wait.
#[derive(Debug)]
pub(crate) struct Backoff {
    policy: RetryPolicy,
    waits: Retries,
}

impl Backoff {
    pub(crate) fn new(policy: RetryPolicy) -> Self {
        Backoff {
            policy,
            waits: policy.start(),
        }
    }

    /// The wait (jitter included) after a session that ended, `connected`
    /// saying whether it got as far as syncing.
    pub(crate) fn after(&mut self, connected: bool) -> Duration {
        if connected {
            self.waits = self.policy.start();
        }
        // The reconnect policy never runs out; a policy that does keeps
        // its longest wait.
        self.waits.next_wait(None).unwrap_or(self.policy.longest)
    }
}

/// What a live sync session reports as it goes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SyncEvent {
    /// Connected and syncing this many documents.
    Connected { relay: String, documents: usize },
    /// A teammate's change to `document` was stored in the profile.
    RemoteChange { document: String },
    /// The relay said something about a document (read-only, unavailable…).
    RelayMessage { message: String },
    /// The connection ended; the next attempt is in `retry_in_ms`.
    Disconnected { error: String, retry_in_ms: u64 },
    /// Who else is looking at `document` now (empty: no one).
    Presence {
        document: String,
        viewers: Vec<String>,
    },
}

/// Stays connected: sends local edits as they are saved, stores remote
/// changes as they arrive (reporting each through `on_event`), and
/// reconnects with exponential backoff and jitter when the connection
/// drops. Returns only on an error the user must fix (a refused sign-in);
/// otherwise runs until the future is dropped.
pub async fn watch(
    profile: &mut Profile,
    creds: &Credentials,
    on_event: &mut (dyn FnMut(SyncEvent) + Send),
) -> Result<()> {
    watch_with_presence(profile, creds, None, on_event).await
}

/// [`watch`], also telling teammates which board this user is looking at
/// and reporting who else is ([`SyncEvent::Presence`]).
pub async fn watch_with_presence(
    profile: &mut Profile,
    creds: &Credentials,
    mut presence: Option<Presence>,
    on_event: &mut (dyn FnMut(SyncEvent) + Send),
) -> Result<()> {
    let base = creds.endpoint()?;
    let mut backoff = Backoff::new(RetryPolicy::RECONNECT);
    loop {
        let mut book = PresenceBook::default();
        let mut connected = false;
        let ended = session(
            profile,
            &base,
            &creds.token,
            presence.as_mut(),
            &mut book,
            &mut |event| {
                connected |= matches!(event, SyncEvent::Connected { .. });
                on_event(event)
            },
        )
        .await;
        // Nobody is seen through a connection that is gone.
        for document in book.clear() {
            on_event(SyncEvent::Presence {
                document,
                viewers: vec![],
            });
        }
        let error = match ended {
            Ok(()) => "the connection to the relay closed".to_string(),
            Err(e) if e.is_user_error() => return Err(e),
            Err(e) => e.to_string(),
        };
        let wait = backoff.after(connected);
        on_event(SyncEvent::Disconnected {
            error,
            retry_in_ms: wait.as_millis() as u64,
        });
        tokio::time::sleep(wait).await;
    }
}

/// One connected session of `watch`; returns when the connection ends.
/// One `select!` over the socket, local saves, presence and the heartbeat;
/// long because the arms share the engine and the socket.
pub(crate) async fn session(
    profile: &mut Profile,
    base: &Endpoint,
    token: &str,
    mut presence: Option<&mut Presence>,
    book: &mut PresenceBook,
    on_event: &mut (dyn FnMut(SyncEvent) + Send),
) -> Result<()> {
    let mut summary = SyncSummary::default();
    let docs = documents(profile, base, token, &mut summary.errors).await?;
    let (mut socket, mut engine, relay) = connect(base, token).await?;
    let docs = open_all(
        profile,
        &mut socket,
        &mut engine,
        &relay,
        docs,
        &mut summary.errors,
    )
    .await?;
    on_event(SyncEvent::Connected {
        relay: base.base.clone(),
        documents: docs.len(),
    });
    for message in summary.errors.drain(..) {
        on_event(SyncEvent::RelayMessage { message });
    }
    let synced: BTreeMap<String, ()> = docs.iter().map(|d| (d.to_string(), ())).collect();
    // Only documents the relay syncs carry presence (a board kept on this
    // device alone has no one else to see it).
    let shared = |doc: Option<String>| doc.filter(|d| synced.contains_key(d));
    let mut me = Announcer {
        user: presence
            .as_ref()
            .map(|p| p.user.clone())
            .unwrap_or_default(),
        session: DocumentId::random().to_string(),
        count: 0,
        current: shared(presence.as_ref().and_then(|p| p.viewing.borrow().clone())),
    };
    if let Some(doc) = me.current.clone() {
        me.say(&mut socket, &engine, &relay, &doc, true).await?;
    }
    let mut poll = tokio::time::interval(LOCAL_POLL);
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    loop {
        tokio::select! {
            next = socket.next() => match next {
                Some(Ok(Message::Binary(bytes))) => {
                    let (changed, ephemeral) =
                        handle_frame(&mut socket, &mut engine, &relay, &bytes, &mut summary).await?;
                    for key in changed {
                        let Ok(doc) = DocumentId::parse(&key) else { continue };
                        if matches!(store_synced(profile, &engine, &doc, &mut summary)?, Absorbed::Updated | Absorbed::Added) {
                            on_event(SyncEvent::RemoteChange { document: key });
                        }
                    }
                    if let Some((sender, document, data)) = ephemeral
                        && presence.is_some()
                        && let Some(note) = PresenceNote::decode(&data)
                    {
                        let arrived = note.viewing;
                        if book.heard(&document, &sender, note, now_ms()) {
                            on_event(SyncEvent::Presence { viewers: book.viewers(&document), document: document.clone() });
                            // Someone new is here: say we are too, rather
                            // than leave them waiting for our heartbeat.
                            if arrived && me.current.as_deref() == Some(document.as_str()) {
                                me.say(&mut socket, &engine, &relay, &document, true).await?;
                            }
                        }
                    }
                    for message in summary.errors.drain(..) {
                        on_event(SyncEvent::RelayMessage { message });
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                    return Err(ClientError::Network("the connection to the relay closed".into()));
                }
                Some(Ok(_)) => {}
            },
            viewing = viewing_changed(&mut presence) => {
                let viewing = shared(viewing);
                if viewing != me.current {
                    if let Some(old) = me.current.take() {
                        me.say(&mut socket, &engine, &relay, &old, false).await?;
                    }
                    if let Some(new) = viewing.clone() {
                        me.say(&mut socket, &engine, &relay, &new, true).await?;
                    }
                    me.current = viewing;
                }
            }
            _ = heartbeat.tick() => {
                if let Some(doc) = me.current.clone() {
                    me.say(&mut socket, &engine, &relay, &doc, true).await?;
                }
                for document in book.expire(now_ms()) {
                    on_event(SyncEvent::Presence { viewers: book.viewers(&document), document });
                }
            }
            _ = poll.tick() => {
                // Local edits made by other commands or the app: merge them
                // into the engine's copy and send.
                for doc in &docs {
                    let key = doc.to_string();
                    let Some(mut local) = profile.sync_copy(*doc)? else { continue };
                    let Some(engine_doc) = engine.document_mut(&key) else { continue };
                    if local.get_heads() == engine_doc.get_heads() {
                        continue;
                    }
                    engine_doc.merge(&mut local)?;
                    let effects = engine.local_change(&key);
                    send_all(&mut socket, effects).await?;
                }
            }
        }
    }
}
