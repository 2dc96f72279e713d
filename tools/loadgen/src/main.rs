//! `porchlight-loadgen`: a load generator for any automerge-repo sync server.
//!
//! N clients connect over WebSocket (automerge-repo protocol v1), spread over
//! M documents. Each document's first client creates it; then every client
//! writes its own key at a steady total rate, each value carrying the time
//! it was written. Every client records, for each teammate's value it
//! receives, how long it took to arrive. At the end all clients go quiet and
//! must agree. Reported: time to first sync, propagation latency
//! (p50/p99/max), delivered changes per second, the server's RSS (when given
//! its pid) and convergence.
//!
//! Documents are registered through the Porchlight REST API when
//! `--register-team` is given; any other server needs no registration.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use porchlight_model::ids::DocumentId;
use porchlight_sync::{Access, Effect, PeerId, PeerMetadata, SyncEngine, WireMessage};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[derive(Debug, Parser)]
#[command(
    name = "porchlight-loadgen",
    about = "Load generator for automerge-repo sync servers"
)]
struct Args {
    /// WebSocket URL of the server, e.g. ws://127.0.0.1:7280/sync
    #[arg(long)]
    url: String,
    /// Device token (sent as ?token=), for Porchlight.
    #[arg(long)]
    token: Option<String>,
    /// Porchlight only: register the documents with this team id first,
    /// through the REST API at the same host.
    #[arg(long)]
    register_team: Option<i64>,
    #[arg(long, default_value_t = 100)]
    clients: usize,
    #[arg(long, default_value_t = 10)]
    docs: usize,
    /// Changes per second across all clients.
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    /// Seconds of steady load.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// The server's process id, to sample its resident memory.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// CPU seconds (user + system) a process has used so far, and ours.
fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/stat"),
        None => "/proc/self/stat".to_string(),
    };
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the command name (which may contain spaces) in parentheses.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on Linux.
    Some(ticks / 100.0)
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Client {
    id: usize,
    doc: String,
    engine: SyncEngine,
    socket: Socket,
    relay: PeerId,
    /// Last value seen per key, so each new value is timed once.
    seen: HashMap<String, u64>,
    /// How many changes this client has written (its `n{id}` key).
    written: u64,
}

#[derive(Default)]
struct Samples {
    first_sync_ms: Vec<f64>,
    latency_ms: Vec<f64>,
    /// Teammates' changes received, counted by their write counters (a
    /// client that receives three writes of one teammate in one message
    /// counts three, but can time only the newest).
    delivered: u64,
    /// When the last teammate value arrived.
    last_delivery: Option<Instant>,
}

async fn connect(url: &str, token: Option<&str>, id: usize, doc: &str) -> Result<Client> {
    let full = match token {
        Some(t) => format!("{url}?token={t}"),
        None => url.to_string(),
    };
    let request = full.as_str().into_client_request()?;
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .with_context(|| format!("client {id} cannot connect"))?;
    let engine = SyncEngine::new(
        PeerId(format!("loadgen-{id}-{}", DocumentId::random())),
        PeerMetadata::default(),
    );
    socket
        .send(Message::Binary(engine.join().encode().into()))
        .await?;
    let relay = loop {
        let Some(frame) = socket.next().await else {
            return Err(anyhow!("closed during handshake"));
        };
        if let Message::Binary(bytes) = frame? {
            match WireMessage::decode(&bytes)? {
                WireMessage::Peer { sender_id, .. } => break sender_id,
                WireMessage::Error { message } => {
                    return Err(anyhow!("handshake refused: {message}"));
                }
                _ => {}
            }
        }
    };
    let c = Client {
        id,
        doc: doc.to_string(),
        engine,
        socket,
        relay: relay.clone(),
        seen: HashMap::new(),
        written: 0,
    };
    Ok(c)
}

impl Client {
    async fn send(&mut self, effects: Vec<Effect>) -> Result<()> {
        for e in effects {
            if let Effect::Send { message, .. } = e {
                self.socket
                    .send(Message::Binary(message.encode().into()))
                    .await?;
            }
        }
        Ok(())
    }

    async fn open(&mut self, doc: AutoCommit) -> Result<()> {
        self.engine.add_document(&self.doc, doc);
        let relay = self.relay.clone();
        let effects = self
            .engine
            .open(&relay, &self.doc.clone(), Access::ReadWrite);
        self.send(effects).await
    }

    async fn write(&mut self) -> Result<()> {
        let key = format!("c{}", self.id);
        let doc = self.doc.clone();
        if let Some(d) = self.engine.document_mut(&doc) {
            self.written += 1;
            d.put(ROOT, key, now_us())?;
            d.put(ROOT, format!("n{}", self.id), self.written)?;
            d.commit();
        }
        let effects = self.engine.local_change(&doc);
        self.send(effects).await
    }

    /// Handles one frame; returns latencies (ms) of teammates' newest values
    /// that arrived, and how many of their changes arrived.
    async fn handle(&mut self, bytes: &[u8]) -> Result<(Vec<f64>, u64)> {
        let frame = WireMessage::decode(bytes)?;
        let relay = self.relay.clone();
        let effects = self.engine.receive(&relay, frame, Access::ReadWrite);
        let changed = effects.iter().any(|e| matches!(e, Effect::Changed { .. }));
        self.send(effects).await?;
        let mut out = Vec::new();
        let mut delivered = 0;
        if changed && let Some(d) = self.engine.document(&self.doc) {
            let now = now_us();
            let own = format!("c{}", self.id);
            let own_count = format!("n{}", self.id);
            for key in d.keys(ROOT) {
                if key == own || key == own_count {
                    continue;
                }
                if key.starts_with('n') {
                    if let Ok(Some((automerge::Value::Scalar(v), _))) = d.get(ROOT, key.as_str())
                        && let Some(n) = v.as_u64()
                    {
                        let old = self.seen.insert(key, n).unwrap_or(0);
                        delivered += n.saturating_sub(old);
                    }
                    continue;
                }
                if let Ok(Some((automerge::Value::Scalar(v), _))) = d.get(ROOT, key.as_str())
                    && let Some(t) = v.as_u64()
                    && self.seen.get(&key).is_none_or(|old| *old < t)
                {
                    self.seen.insert(key, t);
                    out.push(now.saturating_sub(t) as f64 / 1000.0);
                }
            }
        }
        Ok((out, delivered))
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

// One long function on purpose: the phases of a run (connect, warm up,
// offer load, drain, converge, report) read top to bottom as the report
// prints them, and share their counters.
#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
    let args = Args::parse();
    let docs: Vec<String> = (0..args.docs.max(1))
        .map(|_| DocumentId::random().to_string())
        .collect();
    if let Some(team) = args.register_team {
        let base = args
            .url
            .replacen("ws", "http", 1)
            .trim_end_matches("/sync")
            .to_string();
        let http = register_documents(
            &base,
            team,
            args.token.as_deref().unwrap_or_default(),
            &docs,
        )
        .await;
        http.context("registering documents")?;
    }
    let samples = Arc::new(Mutex::new(Samples::default()));
    let rss_before = args.server_pid.and_then(rss_kib);
    // Creators: the first client of each document creates it on the server.
    let start_all = Instant::now();
    let mut clients = Vec::new();
    for id in 0..args.clients {
        let doc = &docs[id % docs.len()];
        let t0 = Instant::now();
        let mut c = connect(&args.url, args.token.as_deref(), id, doc).await?;
        let mut am = AutoCommit::new();
        if id < docs.len() {
            am.put(ROOT, "created", now_us())?;
            am.commit();
        }
        c.open(am).await?;
        // First sync: until the server has answered for this document.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let Ok(Some(Ok(Message::Binary(bytes)))) = tokio::time::timeout(
                deadline.saturating_duration_since(Instant::now()),
                c.socket.next(),
            )
            .await
            else {
                return Err(anyhow!("client {id}: no first sync within 30 s"));
            };
            c.handle(&bytes).await?;
            let ready = c
                .engine
                .document(doc)
                .is_some_and(|d| d.get(ROOT, "created").ok().flatten().is_some());
            if ready {
                break;
            }
        }
        samples
            .lock()
            .await
            .first_sync_ms
            .push(t0.elapsed().as_secs_f64() * 1000.0);
        clients.push(c);
    }
    let connect_secs = start_all.elapsed().as_secs_f64();
    // Steady load: each client writes at rate/clients per second.
    let per_client = Duration::from_secs_f64(args.clients as f64 / args.rate.max(0.001));
    let run_for = Duration::from_secs(args.seconds);
    let load_started = Instant::now();
    let server_cpu_before = args.server_pid.and_then(|p| cpu_seconds(Some(p)));
    let own_cpu_before = cpu_seconds(None);
    let mut tasks = Vec::new();
    let mut peak_rss = rss_before.unwrap_or(0);
    for mut c in clients {
        let samples = samples.clone();
        let offset = per_client.mul_f64((c.id as f64 * 0.618).fract());
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let mut next_write = Instant::now() + offset;
            let mut writes = 0u64;
            loop {
                let in_load = started.elapsed() < run_for;
                // After the load, keep draining until the server has been quiet for 3 s.
                let wait = if in_load {
                    next_write.saturating_duration_since(Instant::now())
                } else {
                    Duration::from_secs(3)
                };
                match tokio::time::timeout(wait, c.socket.next()).await {
                    Ok(Some(Ok(Message::Binary(bytes)))) => {
                        let (got, delivered) = c.handle(&bytes).await?;
                        if !got.is_empty() || delivered > 0 {
                            let mut s = samples.lock().await;
                            s.latency_ms.extend(got);
                            s.delivered += delivered;
                            s.last_delivery = Some(Instant::now());
                        }
                    }
                    Ok(Some(Ok(_))) => {}
                    Ok(_) => return Err(anyhow!("client {}: connection closed", c.id)),
                    Err(_) if in_load => {
                        c.write().await?;
                        writes += 1;
                        next_write += per_client;
                    }
                    Err(_) => break,
                }
            }
            let heads = c
                .engine
                .document_mut(&c.doc.clone())
                .map(|d| d.get_heads())
                .unwrap_or_default();
            Ok::<_, anyhow::Error>((c.doc.clone(), heads, writes))
        }));
    }
    let sampler_pid = args.server_pid;
    let sampler = tokio::spawn(async move {
        let mut peak = 0;
        for _ in 0..(run_for.as_secs() * 4 + 8) {
            if let Some(kib) = sampler_pid.and_then(rss_kib) {
                peak = peak.max(kib);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        peak
    });
    let mut per_doc: HashMap<String, Vec<Vec<automerge::ChangeHash>>> = HashMap::new();
    let mut writes = 0;
    for t in tasks {
        let (doc, heads, w) = t.await??;
        writes += w;
        per_doc.entry(doc).or_default().push(heads);
    }
    peak_rss = peak_rss.max(sampler.await.unwrap_or(0));
    let converged = per_doc
        .values()
        .all(|hs| hs.windows(2).all(|w| w[0] == w[1]));
    let rss_after = args.server_pid.and_then(rss_kib);
    let server_cpu = args
        .server_pid
        .and_then(|p| cpu_seconds(Some(p)))
        .zip(server_cpu_before)
        .map(|(after, before)| after - before);
    let own_cpu = cpu_seconds(None)
        .zip(own_cpu_before)
        .map(|(after, before)| after - before);
    let s = samples.lock().await;
    let delivery_secs = s
        .last_delivery
        .map_or(0.0, |t| t.duration_since(load_started).as_secs_f64());
    let mut lat = s.latency_ms.clone();
    lat.sort_by(f64::total_cmp);
    let mut first = s.first_sync_ms.clone();
    first.sort_by(f64::total_cmp);
    let report = serde_json::json!({
        "clients": args.clients,
        "docs": args.docs,
        "rate_target": args.rate,
        "seconds": args.seconds,
        "connect_all_seconds": connect_secs,
        "first_sync_ms": { "p50": percentile(&first, 0.5), "p99": percentile(&first, 0.99), "max": first.last() },
        "writes": writes,
        // Every teammate's change that reached a client; at most writes × (clients per doc - 1).
        "delivered_changes": s.delivered,
        "latency_samples": lat.len(),
        // Over the time deliveries actually took (load plus drain), not the nominal load time.
        "delivery_seconds": delivery_secs,
        "delivered_per_second": s.delivered as f64 / delivery_secs.max(0.001),
        "propagation_ms": { "p50": percentile(&lat, 0.5), "p99": percentile(&lat, 0.99), "max": lat.last() },
        // CPU seconds spent from the start of the load to the end of the drain.
        "server_cpu_seconds": server_cpu,
        "loadgen_cpu_seconds": own_cpu,
        "server_rss_kib": { "before": rss_before, "peak": if peak_rss > 0 { Some(peak_rss) } else { None }, "after": rss_after },
        "converged": converged,
    });
    if args.json {
        println!("{report}");
    } else {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    if !converged {
        eprintln!("porchlight-loadgen: clients did not converge within the drain window");
        std::process::exit(3);
    }
    Ok(())
}

/// Registers documents with a Porchlight team (plain HTTP/1.1 over a socket,
/// so the load generator needs no HTTP client library).
async fn register_documents(base: &str, team: i64, token: &str, docs: &[String]) -> Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = base.trim_start_matches("http://").to_string();
    for doc in docs {
        let body = format!("{{\"document\":\"{doc}\"}}");
        let request = format!(
            "POST /api/teams/{team}/documents HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut stream = tokio::net::TcpStream::connect(&host).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut response = String::new();
        stream.read_to_string(&mut response).await?;
        if !response.starts_with("HTTP/1.1 200") {
            return Err(anyhow!(
                "registering {doc}: {}",
                response.lines().next().unwrap_or_default()
            ));
        }
    }
    Ok(())
}
