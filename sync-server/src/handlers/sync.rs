//! `GET /sync`: the automerge-repo WebSocket endpoint.
//!
//! Authenticated at the upgrade; the connection's peer id is assigned here
//! from the device, whatever `senderId` the client claims. One writer task per
//! connection drains a bounded queue; the reader forwards frames to the hub.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use porchlight_sync::PeerId;

use crate::AppState;
use crate::auth::Caller;
use crate::hub::gate::{Gate, Gated};
use crate::hub::{HubInput, Kill, Outbound, RELAY_ID};

/// How often the relay pings an idle connection.
pub const PING_INTERVAL: Duration = Duration::from_secs(20);
/// A connection silent this long (no frame, no pong) is closed.
/// Bytes read from a connection's socket at a time.
const READ_BUFFER: usize = 8 * 1024;

pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a closing connection's writer may take to send what is left.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// The WebSocket upgrade: automerge-repo protocol v1, one CBOR map per
/// binary message. Members sync their teams' documents; viewers get a
/// read-only sync; anything else is `doc-unavailable`. The token may also
/// come as `?token=` (browsers cannot set headers on a WebSocket).
#[utoipa::path(
    get,
    path = "/sync",
    tag = "sync",
    security(("device" = [])),
    responses(
        (status = 101, description = "Switching protocols"),
        (status = 401, description = "No valid token", body = porchlight_api::ErrorBody),
    )
)]
pub async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<Arc<AppState>>,
    Caller(id): Caller,
) -> Response {
    let max = state.config.max_message_bytes;
    // tungstenite's default 128 KiB read buffer per connection is 1.3 GB at
    // 10,000 connections; sync frames are small, and a large one still
    // arrives (the buffer grows up to max_message_size while it is read).
    ws.protocols(["porchlight"])
        .max_message_size(max)
        .max_frame_size(max)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .on_upgrade(move |socket| connection(socket, state, id))
}

// The connection's two halves: a writer task draining its send queue (and
// pinging), and the reader loop here, which passes each frame through the
// connection's gate and on to the shard of its document. Either ending
// ends both, and so does a shard or a revocation killing the connection,
// even while the writer is stuck on a peer that never reads.
async fn connection(socket: WebSocket, state: Arc<AppState>, id: crate::store::Identity) {
    let n = state.next_conn.fetch_add(1, Ordering::Relaxed);
    let peer = match &id.key {
        Some(k) => PeerId(format!("key-{}-{n}", k.id)),
        None => PeerId(format!("device-{}-{n}", id.device)),
    };
    let (out, mut queue) = crate::hub::queue(&state.send_budget);
    let kill = Arc::new(Kill::default());
    let mut gate = Gate::new(
        peer.clone(),
        RELAY_ID,
        state.config.limits.documents_per_connection as usize,
        state.metrics.clone(),
    );
    let mut connected = vec![false; state.hub.shards()];
    state.metrics.connections.inc();
    state.registry.add(
        peer.clone(),
        id.device,
        id.key.as_ref().map(|k| k.id),
        out.clone(),
        kill.clone(),
    );
    let (mut sink, mut stream) = socket.split();
    let mut writer = tokio::spawn(async move {
        let mut ping = tokio::time::interval(PING_INTERVAL);
        ping.tick().await;
        loop {
            tokio::select! {
                next = queue.rx.recv() => match next {
                    Some(Outbound::Frame(bytes) | Outbound::Presence(bytes)) => {
                        let len = bytes.len();
                        let sent = sink.send(Message::Binary(bytes.into())).await;
                        queue.sent(len);
                        if sent.is_err() { break; }
                    }
                    Some(Outbound::Close(reason)) => {
                        let frame = axum::extract::ws::CloseFrame { code: 1008, reason: reason.chars().take(120).collect::<String>().into() };
                        let _ = sink.send(Message::Close(Some(frame))).await;
                        break;
                    }
                    None => break,
                },
                _ = ping.tick() => {
                    if sink.send(Message::Ping(Vec::new().into())).await.is_err() { break; }
                }
            }
        }
    });
    let mut shutdown = state.shutdown.subscribe();
    let mut writer_done = false;
    loop {
        let next = tokio::select! {
            next = tokio::time::timeout(IDLE_TIMEOUT, stream.next()) => next,
            _ = shutdown.wait_for(|stop| *stop) => break,
            _ = kill.killed() => break,
            _ = &mut writer => { writer_done = true; break; }
        };
        let Ok(Some(Ok(message))) = next else { break };
        match message {
            Message::Binary(bytes) => match gate.frame(&bytes) {
                Gated::Answer { frames, close } => {
                    for f in frames {
                        out.try_send(Outbound::Frame(f.encode()));
                    }
                    if let Some(reason) = close {
                        // The writer sends it and stops; the loop ends then.
                        out.try_send(Outbound::Close(reason));
                    }
                }
                Gated::Route { doc, message } => {
                    let shard = state.hub.shard_of(&doc);
                    if !connected[shard] {
                        let joined = HubInput::Connect {
                            peer: peer.clone(),
                            account: id.account,
                            key: id.key.clone(),
                            claimed: gate.claimed().cloned().unwrap_or_else(|| peer.clone()),
                            out: out.clone(),
                            kill: kill.clone(),
                        };
                        if !state.hub.send(shard, joined).await {
                            break;
                        }
                        connected[shard] = true;
                    }
                    let frame = HubInput::Frame {
                        peer: peer.clone(),
                        doc,
                        message,
                        arrived: Instant::now(),
                    };
                    if !state.hub.send(shard, frame).await {
                        break;
                    }
                }
                Gated::Drop => {}
            },
            Message::Close(_) => break,
            Message::Text(_) => {
                tracing::info!(%peer, "text frame on /sync; the protocol is binary CBOR");
                break;
            }
            Message::Ping(_) | Message::Pong(_) => {}
        }
    }
    state.registry.remove(&peer);
    for (shard, _) in connected.iter().enumerate().filter(|(_, c)| **c) {
        state
            .hub
            .send(shard, HubInput::Disconnect { peer: peer.clone() })
            .await;
    }
    state.metrics.connections.dec();
    drop(out);
    // A close frame already queued gets a moment to leave; a writer stuck
    // on a peer that does not read is cut off.
    if !writer_done
        && tokio::time::timeout(CLOSE_GRACE, &mut writer)
            .await
            .is_err()
    {
        writer.abort();
    }
}
