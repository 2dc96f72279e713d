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
/// and every document of the user's teams.
pub(crate) async fn documents(
    profile: &mut Profile,
    base: &Endpoint,
    token: &str,
) -> Result<Vec<DocumentId>> {
    let mut docs: BTreeMap<DocumentId, ()> = BTreeMap::new();
    // Bound first: a handle kept alive across the awaits below would make
    // the future unsendable (the profile is not `Sync`).
    let shared = profile.boards().shared()?;
    for (doc, team) in shared {
        crate::teams::register_document(base, token, team, &doc.to_string())
            .await
            .map_err(|e| match e {
                ClientError::Usage(m) => {
                    usage(format!("cannot share board {doc} with team {team}: {m}"))
                }
                other => other,
            })?;
        docs.insert(doc, ());
    }
    let teams: Vec<porchlight_api::team::TeamInfo> =
        get(Method::GET, base, "/api/teams", Some(token)).await?;
    for team in teams {
        for d in crate::teams::team_documents(base, token, team.id).await? {
            // An id this build cannot read is skipped: a newer client's.
            if let Ok(doc) = DocumentId::parse(&d) {
                docs.insert(doc, ());
            }
        }
    }
    Ok(docs.into_keys().collect())
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
                usage("the relay refused the saved sign-in; run `porchlight login` again")
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

/// Stores the engine's copy of `doc` in the profile.
pub(crate) fn store_synced(
    profile: &mut Profile,
    engine: &SyncEngine,
    doc: &DocumentId,
    summary: &mut SyncSummary,
) -> Result<Absorbed> {
    let Some(synced) = engine.document(&doc.to_string()) else {
        return Ok(Absorbed::Skipped);
    };
    let absorbed = profile.absorb(*doc, &mut synced.clone())?;
    match absorbed {
        Absorbed::Added => summary.added += 1,
        Absorbed::Updated => summary.updated += 1,
        Absorbed::Unchanged | Absorbed::Skipped => {}
    }
    Ok(absorbed)
}

/// Syncs every document of the user's teams and every shared board once,
/// until the relay has nothing more to say, then stores what arrived.
pub async fn sync_once(profile: &mut Profile, creds: &Credentials) -> Result<SyncSummary> {
    let base = creds.endpoint()?;
    let docs = documents(profile, &base, &creds.token).await?;
    let (mut socket, mut engine, relay) = connect(&base, &creds.token).await?;
    let mut summary = SyncSummary {
        documents: docs.len(),
        ..SyncSummary::default()
    };
    for doc in &docs {
        let key = doc.to_string();
        let copy = profile.sync_copy(*doc)?.unwrap_or_else(AutoCommit::new);
        engine.add_document(&key, copy);
        let effects = engine.open(&relay, &key, Access::ReadWrite);
        send_all(&mut socket, effects).await?;
    }
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
