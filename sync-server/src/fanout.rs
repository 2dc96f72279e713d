//! Several relay nodes on one database: committed changes and presence
//! cross between them through NATS (`--nats nats://…`).
//!
//! Every change a shard has committed is published on the document's
//! subject (`porchlight.doc.<id>`), presence on `porchlight.presence.<id>`;
//! a node subscribes to the documents it holds in memory (those its clients
//! sync), and a message from another node is merged into the shard's copy
//! and offered to the node's own peers. Nothing is published before it is
//! durable, so NATS only carries news: a node that missed some (NATS was
//! away, or it fell behind) merges what the database holds into every
//! document it has in memory when NATS is back. Role changes and
//! revocations cross on `porchlight.access`, so they reach open
//! connections on every node. While NATS is away, `/readyz` says so and
//! the node goes on serving its own clients.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use futures_util::StreamExt;
use porchlight_sync::WireMessage;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::hub::{Hub, HubInput, Metrics, Registry, WeakHub};

/// Messages waiting to be published; past it they are dropped and the
/// other nodes catch up from the database.
const OUT_QUEUE: usize = 65_536;
const PREFIX: &str = "porchlight";

/// An access change for every node.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessEvent {
    /// The account's roles changed.
    Account(i64),
    /// The device's token was revoked.
    Device(i64),
    /// The API key was revoked.
    Key(i64),
}

#[derive(Debug, Serialize, Deserialize)]
struct AccessMessage {
    node: String,
    event: AccessEvent,
}

enum Outgoing {
    Change {
        doc: String,
        bytes: Vec<u8>,
        at: Instant,
    },
    Presence {
        doc: String,
        frame: Vec<u8>,
    },
    Access(AccessEvent),
}

enum Watch {
    Add(String, usize),
    Remove(String),
}

/// The hub and registry a node's fan-out delivers to (set once they
/// exist; weak, so the relay stops when it is told to).
#[derive(Debug)]
struct Targets {
    hub: WeakHub,
    registry: std::sync::Weak<Registry>,
}

impl Targets {
    fn hub(&self) -> Option<Hub> {
        self.hub.upgrade()
    }
}

/// A node's link to the others.
pub struct Fanout {
    /// This node's id: its own messages come back and are skipped.
    node: String,
    out: mpsc::Sender<Outgoing>,
    watch: mpsc::UnboundedSender<Watch>,
    connected: Arc<AtomicBool>,
    targets: Arc<OnceLock<Targets>>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Fanout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fanout")
            .field("node", &self.node)
            .field("connected", &self.is_connected())
            .finish_non_exhaustive()
    }
}

fn subject(kind: &str, doc: &str) -> String {
    format!("{PREFIX}.{kind}.{doc}")
}

/// A message: this node's id, a newline, then the bytes.
fn framed(node: &str, bytes: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(node.len() + 1 + bytes.len());
    v.extend_from_slice(node.as_bytes());
    v.push(b'\n');
    v.extend_from_slice(bytes);
    v
}

fn unframed<'a>(node: &str, payload: &'a [u8]) -> Option<&'a [u8]> {
    let at = payload.iter().position(|b| *b == b'\n')?;
    let (from, rest) = payload.split_at(at);
    (from != node.as_bytes()).then_some(&rest[1..])
}

impl Fanout {
    /// Connects to NATS at `url` in the background (a node starts, and
    /// serves its own clients, while NATS is away).
    pub async fn connect(url: &str, metrics: Arc<Metrics>) -> anyhow::Result<Arc<Self>> {
        let node = porchlight_model::ids::random_hex(8);
        let connected = Arc::new(AtomicBool::new(false));
        let targets: Arc<OnceLock<Targets>> = Arc::new(OnceLock::new());
        let (events, mut event_rx) = mpsc::unbounded_channel::<async_nats::Event>();
        let client = async_nats::ConnectOptions::new()
            .name(format!("porchlight-relay {node}"))
            .retry_on_initial_connect()
            .reconnect_delay_callback(|attempts| {
                std::time::Duration::from_millis((attempts as u64 * 250).min(2_000))
            })
            .event_callback(move |event| {
                let events = events.clone();
                async move {
                    let _ = events.send(event);
                }
            })
            .connect(url)
            .await
            .map_err(|e| anyhow::anyhow!("cannot use NATS at {url}: {e}"))?;
        // Connection events: readiness, and catching up after an absence.
        {
            let (connected, targets, metrics) =
                (connected.clone(), targets.clone(), metrics.clone());
            tokio::spawn(async move {
                let mut was_connected = false;
                while let Some(event) = event_rx.recv().await {
                    match event {
                        async_nats::Event::Connected => {
                            connected.store(true, Ordering::Relaxed);
                            metrics.fanout_connected.set(1);
                            tracing::info!("NATS connected");
                            if was_connected {
                                catch_up(&targets).await;
                            }
                            was_connected = true;
                        }
                        async_nats::Event::Disconnected => {
                            connected.store(false, Ordering::Relaxed);
                            metrics.fanout_connected.set(0);
                            tracing::warn!(
                                "NATS disconnected; serving this node's clients, catching up when it returns"
                            );
                        }
                        async_nats::Event::SlowConsumer(_) => {
                            tracing::warn!("fell behind on NATS; catching up from the database");
                            catch_up(&targets).await;
                        }
                        other => tracing::info!(event = %other, "NATS"),
                    }
                }
            });
        }
        let (out, out_rx) = mpsc::channel(OUT_QUEUE);
        tokio::spawn(publisher(
            client.clone(),
            node.clone(),
            out_rx,
            metrics.clone(),
        ));
        let (watch, watch_rx) = mpsc::unbounded_channel();
        tokio::spawn(watcher(
            client.clone(),
            node.clone(),
            watch_rx,
            targets.clone(),
        ));
        tokio::spawn(access_listener(client, node.clone(), targets.clone()));
        Ok(Arc::new(Self {
            node,
            out,
            watch,
            connected,
            targets,
            metrics,
        }))
    }

    /// Gives the fan-out the hub and registry to deliver to.
    pub fn attach(&self, hub: &Hub, registry: &Arc<Registry>) {
        let _ = self.targets.set(Targets {
            hub: hub.downgrade(),
            registry: Arc::downgrade(registry),
        });
    }

    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    /// The shard `shard` now holds `doc`: listen for the other nodes' news.
    pub fn watch(&self, doc: &str, shard: usize) {
        let _ = self.watch.send(Watch::Add(doc.to_string(), shard));
    }

    pub fn unwatch(&self, doc: &str) {
        let _ = self.watch.send(Watch::Remove(doc.to_string()));
    }

    fn queue(&self, message: Outgoing) {
        if self.out.try_send(message).is_err() {
            self.metrics.fanout_dropped.inc();
        }
    }

    /// Committed changes of `doc`, for the other nodes.
    pub fn publish_change(&self, doc: &str, bytes: Vec<u8>) {
        self.queue(Outgoing::Change {
            doc: doc.to_string(),
            bytes,
            at: Instant::now(),
        });
    }

    /// A presence frame about `doc`, for the other nodes' peers.
    pub fn publish_presence(&self, doc: &str, frame: Vec<u8>) {
        self.queue(Outgoing::Presence {
            doc: doc.to_string(),
            frame,
        });
    }

    /// A role change or revocation, for the other nodes' open connections.
    pub fn publish_access(&self, event: AccessEvent) {
        self.queue(Outgoing::Access(event));
    }
}

async fn catch_up(targets: &OnceLock<Targets>) {
    if let Some(hub) = targets.get().and_then(Targets::hub) {
        hub.broadcast(|| HubInput::CatchUp).await;
    }
}

async fn publisher(
    client: async_nats::Client,
    node: String,
    mut rx: mpsc::Receiver<Outgoing>,
    metrics: Arc<Metrics>,
) {
    while let Some(message) = rx.recv().await {
        let (subject, payload, queued) = match message {
            Outgoing::Change { doc, bytes, at } => {
                (subject("doc", &doc), framed(&node, &bytes), Some(at))
            }
            Outgoing::Presence { doc, frame } => {
                (subject("presence", &doc), framed(&node, &frame), None)
            }
            Outgoing::Access(event) => {
                let m = AccessMessage {
                    node: node.clone(),
                    event,
                };
                match serde_json::to_vec(&m) {
                    Ok(json) => (format!("{PREFIX}.access"), json, None),
                    Err(_) => continue,
                }
            }
        };
        if let Err(e) = client.publish(subject, payload.into()).await {
            tracing::warn!(error = %e, "cannot publish to NATS; the other nodes catch up later");
            metrics.fanout_dropped.inc();
            continue;
        }
        if let Some(at) = queued {
            metrics.fanout_lag.observe(at.elapsed().as_secs_f64());
        }
    }
}

/// Subscriptions per document held in memory, each forwarding into the
/// shard that holds it.
async fn watcher(
    client: async_nats::Client,
    node: String,
    mut rx: mpsc::UnboundedReceiver<Watch>,
    targets: Arc<OnceLock<Targets>>,
) {
    let mut subs: HashMap<String, tokio::task::JoinHandle<()>> = HashMap::new();
    while let Some(w) = rx.recv().await {
        match w {
            Watch::Add(doc, shard) => {
                if subs.contains_key(&doc) {
                    continue;
                }
                let mut sub = match client.subscribe(format!("{PREFIX}.*.{doc}")).await {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(%doc, error = %e, "cannot subscribe on NATS");
                        continue;
                    }
                };
                let (node, targets, d) = (node.clone(), targets.clone(), doc.clone());
                subs.insert(
                    doc,
                    tokio::spawn(async move {
                        while let Some(m) = sub.next().await {
                            let Some(hub) = targets.get().and_then(Targets::hub) else {
                                continue;
                            };
                            let Some(bytes) = unframed(&node, &m.payload) else {
                                continue;
                            };
                            let input = if m.subject.as_str().starts_with(&format!("{PREFIX}.doc."))
                            {
                                HubInput::Remote {
                                    doc: d.clone(),
                                    changes: bytes.to_vec(),
                                }
                            } else {
                                match WireMessage::decode(bytes) {
                                    Ok(message @ WireMessage::Ephemeral { .. }) => {
                                        HubInput::RemotePresence { message }
                                    }
                                    _ => continue,
                                }
                            };
                            hub.send(shard, input).await;
                        }
                    }),
                );
            }
            Watch::Remove(doc) => {
                if let Some(task) = subs.remove(&doc) {
                    // Dropping the subscriber unsubscribes.
                    task.abort();
                }
            }
        }
    }
}

async fn access_listener(
    client: async_nats::Client,
    node: String,
    targets: Arc<OnceLock<Targets>>,
) {
    let mut sub = match client.subscribe(format!("{PREFIX}.access")).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot subscribe to access changes on NATS");
            return;
        }
    };
    while let Some(m) = sub.next().await {
        let Ok(message) = serde_json::from_slice::<AccessMessage>(&m.payload) else {
            continue;
        };
        if message.node == node {
            continue;
        }
        let Some(t) = targets.get() else { continue };
        match message.event {
            AccessEvent::Account(account) => {
                if let Some(hub) = t.hub() {
                    hub.broadcast(|| HubInput::Access { account }).await;
                }
            }
            AccessEvent::Device(device) => {
                if let Some(r) = t.registry.upgrade() {
                    r.close(Some(device), None);
                }
            }
            AccessEvent::Key(key) => {
                if let Some(r) = t.registry.upgrade() {
                    r.close(None, Some(key));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_skips_its_own_messages() {
        let m = framed("abc", b"changes");
        assert_eq!(unframed("abc", &m), None);
        assert_eq!(unframed("xyz", &m), Some(&b"changes"[..]));
        assert_eq!(unframed("xyz", b"no newline"), None);
    }
}
