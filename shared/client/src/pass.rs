//! One sync pass: connect, sync every document the account may see,
//! store what came, and close.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use automerge::AutoCommit;
use futures_util::{SinkExt, StreamExt};
use porchlight_store::Profile;
use porchlight_store::ids::DocumentId;
use porchlight_store::profile::Absorbed;
use porchlight_store::sync::{Access, Effect, PeerId, PeerMetadata, SyncEngine, WireMessage};
use serde::Serialize;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::*;

/// How long sync waits for more frames before it calls the exchange done.
pub(crate) const QUIET: Duration = Duration::from_millis(600);
/// The longest one sync pass may take.
pub(crate) const SYNC_LIMIT: Duration = Duration::from_secs(120);

/// What one sync pass did.
#[derive(Debug, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncSummary {
    pub documents: usize,
    pub added: usize,
    pub updated: usize,
    pub unavailable: Vec<String>,
    pub read_only: Vec<String>,
    pub errors: Vec<String>,
}

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) async fn send_all(socket: &mut Socket, effects: Vec<Effect>) -> Result<()> {
    for e in effects {
        if let Effect::Send { message, .. } = e {
            socket
                .send(Message::Binary(message.encode().into()))
                .await
                .map_err(|e| {
                    ClientError::Network(format!("the relay closed the connection: {e}"))
                })?;
        }
    }
    Ok(())
}

/// The documents to sync: shared boards (registered with their team first)
/// and every document of the user's teams. A board whose registration is
/// refused, or a team whose list cannot be read, is left out and named in
/// `problems`; the rest syncs. Only a lost connection or sign-in stops it.
pub(crate) async fn documents(
    profile: &mut Profile,
    base: &Endpoint,
    token: &str,
    problems: &mut Vec<String>,
) -> Result<Vec<DocumentId>> {
    let mut docs: BTreeMap<DocumentId, ()> = BTreeMap::new();
    // Bound first: a handle kept alive across the awaits below would make
    // the future unsendable (the profile is not `Sync`).
    let shared = profile.boards().shared()?;
    for (doc, team) in shared {
        match crate::teams::register_document(base, token, team, &doc.to_string()).await {
            Ok(_) => {
                docs.insert(doc, ());
            }
            Err(e) if e.is_per_request() => {
                let name = profile
                    .boards()
                    .get(&doc.to_string())
                    .map(|b| format!("board '{}' ({doc})", b.name))
                    .unwrap_or_else(|_| format!("board {doc}"));
                problems.push(format!(
                    "{name} was not synced: team {team} refused it: {e}"
                ));
            }
            Err(e) => return Err(e),
        }
    }
    let teams: Vec<porchlight_api::team::TeamInfo> =
        get(Method::GET, base, "/api/teams", Some(token)).await?;
    for team in teams {
        match crate::teams::team_documents(base, token, team.id).await {
            Ok(list) => {
                for d in list {
                    // An id this build cannot read is skipped: a newer client's.
                    if let Ok(doc) = DocumentId::parse(&d) {
                        docs.insert(doc, ());
                    }
                }
            }
            Err(e) if e.is_per_request() => problems.push(format!(
                "team '{}' was not synced: its documents could not be listed: {e}",
                team.name
            )),
            Err(e) => return Err(e),
        }
    }
    Ok(docs.into_keys().collect())
}

/// Adds each document's local copy to the engine and asks the relay for
/// it. A copy that cannot be read is named in `problems` and left out.
pub(crate) async fn open_all(
    profile: &mut Profile,
    socket: &mut Socket,
    engine: &mut SyncEngine,
    relay: &PeerId,
    docs: Vec<DocumentId>,
    problems: &mut Vec<String>,
) -> Result<Vec<DocumentId>> {
    let mut opened = Vec::with_capacity(docs.len());
    for doc in docs {
        let key = doc.to_string();
        let copy = match profile.sync_copy(doc) {
            Ok(copy) => copy.unwrap_or_else(AutoCommit::new),
            Err(e) => {
                problems.push(format!(
                    "document {key} was not synced: this device's copy cannot be read: {e}"
                ));
                continue;
            }
        };
        engine.add_document(&key, copy);
        let effects = engine.open(relay, &key, Access::ReadWrite);
        send_all(socket, effects).await?;
        opened.push(doc);
    }
    Ok(opened)
}

/// Opens the WebSocket and completes the handshake.
pub(crate) async fn connect(relay: &Endpoint, token: &str) -> Result<(Socket, SyncEngine, PeerId)> {
    let ws_url = format!("{}/sync", relay.base.replacen("http", "ws", 1));
    let mut request = ws_url
        .as_str()
        .into_client_request()
        .map_err(|e| usage(format!("'{ws_url}' is not a usable relay URL: {e}")))?;
    let bearer = format!("Bearer {token}")
        .parse()
        .map_err(|_| usage("the saved token is damaged; run `porchlight login` again"))?;
    request.headers_mut().insert("Authorization", bearer);
    let tls = porchlight_net::websocket_tls(relay.trust.ca_file.as_deref())
        .map_err(|e| usage(e.to_string()))?;
    let connecting = tokio_tungstenite::connect_async_tls_with_config(
        request,
        None,
        true,
        Some(tokio_tungstenite::Connector::Rustls(tls)),
    );
    let (mut socket, _) = tokio::time::timeout(porchlight_net::CONNECT_TIMEOUT, connecting)
        .await
        .map_err(|_| {
            ClientError::Network(format!(
                "cannot open a sync connection to {ws_url}: timed out"
            ))
        })?
        .map_err(|e| match e {
            tokio_tungstenite::tungstenite::Error::Http(r) if r.status().as_u16() == 401 => {
                ClientError::SignedOut(
                    "the relay refused the saved sign-in; run `porchlight login` again".into(),
                )
            }
            e => ClientError::Network(format!(
                "cannot open a sync connection to {ws_url}: {}",
                porchlight_net::describe(&e, &ws_url)
            )),
        })?;
    let engine = SyncEngine::new(
        PeerId(format!("porchlight-{}", DocumentId::random())),
        PeerMetadata::default(),
    );
    socket
        .send(Message::Binary(engine.join().encode().into()))
        .await
        .map_err(|e| ClientError::Network(format!("the relay closed the connection: {e}")))?;
    let relay = loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .map_err(|_| ClientError::Relay("the relay did not answer the handshake".into()))?
            .ok_or_else(|| {
                ClientError::Network("the relay closed the connection during the handshake".into())
            })?
            .map_err(|e| ClientError::Network(format!("the sync connection failed: {e}")))?;
        let Message::Binary(bytes) = frame else {
            continue;
        };
        let decoded = WireMessage::decode(&bytes)
            .map_err(|e| ClientError::Relay(format!("unreadable handshake from the relay: {e}")))?;
        match decoded {
            WireMessage::Peer { sender_id, .. } => break sender_id,
            WireMessage::Error { message } => {
                return Err(ClientError::Relay(format!(
                    "the relay refused the handshake: {message}"
                )));
            }
            _ => continue,
        }
    };
    Ok((socket, engine, relay))
}

/// An ephemeral message from a peer: (sender, document, data).
pub(crate) type Ephemeral = (PeerId, String, Vec<u8>);

/// Handles one frame from the relay; returns the documents that changed,
/// and the frame's data if it was an ephemeral message (presence).
pub(crate) async fn handle_frame(
    socket: &mut Socket,
    engine: &mut SyncEngine,
    relay: &PeerId,
    bytes: &[u8],
    summary: &mut SyncSummary,
) -> Result<(Vec<String>, Option<Ephemeral>)> {
    let frame = match WireMessage::decode(bytes) {
        Ok(f) => f,
        Err(e) => {
            summary
                .errors
                .push(format!("unreadable frame from the relay: {e}"));
            return Ok((vec![], None));
        }
    };
    let mut ephemeral = None;
    match &frame {
        WireMessage::Error { message } => summary.errors.push(message.clone()),
        WireMessage::DocUnavailable { document_id, .. } => {
            summary.unavailable.push(document_id.clone())
        }
        WireMessage::Ephemeral {
            sender_id,
            document_id,
            data,
            ..
        } => ephemeral = Some((sender_id.clone(), document_id.clone(), data.clone())),
        _ => {}
    }
    let effects = engine.receive(relay, frame, Access::ReadWrite);
    let changed = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Changed { doc, .. } => Some(doc.clone()),
            _ => None,
        })
        .collect();
    send_all(socket, effects).await?;
    Ok((changed, ephemeral))
}

/// Stores the engine's copy of `doc` in the profile. A copy the profile
/// refuses is named in the summary's errors; the others are still stored.
pub(crate) fn store_synced(
    profile: &mut Profile,
    engine: &SyncEngine,
    doc: &DocumentId,
    summary: &mut SyncSummary,
) -> Result<Absorbed> {
    let Some(synced) = engine.document(&doc.to_string()) else {
        return Ok(Absorbed::Skipped);
    };
    let absorbed = match profile.absorb(*doc, &mut synced.clone()) {
        Ok(a) => a,
        // The profile itself failing (disk full, a damaged file) stops the
        // pass; one document that does not merge does not.
        Err(
            e @ (porchlight_store::CoreError::Storage(_)
            | porchlight_store::CoreError::CorruptDatabase { .. }
            | porchlight_store::CoreError::DataDir { .. }),
        ) => return Err(e.into()),
        Err(e) => {
            summary
                .errors
                .push(format!("document {doc} could not be stored: {e}"));
            return Ok(Absorbed::Skipped);
        }
    };
    match absorbed {
        Absorbed::Added => summary.added += 1,
        Absorbed::Updated => summary.updated += 1,
        Absorbed::Unchanged | Absorbed::Skipped => {}
    }
    Ok(absorbed)
}

/// Syncs every document of the user's teams and every shared board once,
/// until the relay has nothing more to say, then stores what arrived. One
/// document that fails is named in the summary; the others sync.
pub async fn sync_once(profile: &mut Profile, creds: &Credentials) -> Result<SyncSummary> {
    let base = creds.endpoint()?;
    let mut summary = SyncSummary::default();
    let docs = documents(profile, &base, &creds.token, &mut summary.errors).await?;
    let (mut socket, mut engine, relay) = connect(&base, &creds.token).await?;
    let docs = open_all(
        profile,
        &mut socket,
        &mut engine,
        &relay,
        docs,
        &mut summary.errors,
    )
    .await?;
    summary.documents = docs.len();
    let started = Instant::now();
    while started.elapsed() < SYNC_LIMIT {
        let Ok(next) = tokio::time::timeout(QUIET, socket.next()).await else {
            break;
        };
        match next {
            Some(Ok(Message::Binary(bytes))) => {
                handle_frame(&mut socket, &mut engine, &relay, &bytes, &mut summary).await?;
            }
            Some(Ok(_)) => continue,
            _ => break,
        }
    }
    let _ = socket.close(None).await;
    for doc in &docs {
        if engine.is_read_only(&relay, &doc.to_string()) {
            summary.read_only.push(doc.to_string());
        }
        store_synced(profile, &engine, doc, &mut summary)?;
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use porchlight_store::OpenOptions;
    use porchlight_store::doc::BoardDoc;
    use porchlight_store::ids::ColumnId;

    fn board(id: DocumentId, name: &str) -> AutoCommit {
        let columns = [(ColumnId::random(), "Todo".to_string())];
        BoardDoc::create(
            AutoCommit::new(),
            id,
            name,
            &columns,
            None,
            chrono::Utc::now(),
        )
        .expect("board")
        .into_doc()
    }

    #[test]
    fn a_document_that_does_not_merge_is_named_and_the_others_are_stored() {
        let dir = tempfile::tempdir().expect("dir");
        let mut profile = Profile::open(dir.path(), OpenOptions::default()).expect("profile");
        let mut engine = SyncEngine::new(PeerId("me".into()), PeerMetadata::default());
        let (good, bad) = (DocumentId::random(), DocumentId::random());
        engine.add_document(&good.to_string(), board(good, "Oak St"));
        // A teammate's document that claims to be another one.
        engine.add_document(&bad.to_string(), board(DocumentId::random(), "Impostor"));
        let mut summary = SyncSummary::default();
        let absorbed =
            store_synced(&mut profile, &engine, &bad, &mut summary).expect("per document");
        assert!(matches!(absorbed, Absorbed::Skipped));
        assert_eq!(summary.errors.len(), 1, "{:?}", summary.errors);
        assert!(
            summary.errors[0].contains(&bad.to_string()),
            "{:?}",
            summary.errors
        );
        store_synced(&mut profile, &engine, &good, &mut summary).expect("stored");
        assert_eq!(summary.added, 1);
        let names: Vec<String> = profile
            .boards()
            .list()
            .expect("boards")
            .into_iter()
            .map(|b| b.name)
            .collect();
        assert_eq!(names, vec!["Oak St".to_string()]);
    }
}
