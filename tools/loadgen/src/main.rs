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
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use clap::Parser;
use futures_util::StreamExt;
use porchlight_loadgen::{connect, cpu_seconds, now_us, percentile, register_documents, rss_kib};
use porchlight_model::ids::DocumentId;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;

#[derive(Debug, Parser)]
#[command(
    name = "porchlight-loadgen",
    about = "Load generator for automerge-repo sync servers"
)]
struct Args {
    /// WebSocket URL of the server, e.g. ws://127.0.0.1:7280/sync; repeat
    /// for several relay nodes (client i goes to the i-th modulo their
    /// number, so the clients of one document are spread over the nodes).
    #[arg(long, required = true)]
    url: Vec<String>,
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
    /// Changes each document already has before the load starts (its
    /// creator makes them), standing in for a board with a long history.
    #[arg(long, default_value_t = 0)]
    history: usize,
    /// Also write every propagation latency (ms, one a line, sorted) to
    /// this file, so several runs can be pooled and compared.
    #[arg(long)]
    latencies: Option<std::path::PathBuf>,
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
        let base = args.url[0]
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
        let url = &args.url[(id / docs.len()) % args.url.len()];
        let mut c = connect(url, args.token.as_deref(), id, doc).await?;
        let mut am = AutoCommit::new();
        if id < docs.len() {
            for i in 0..args.history {
                am.put(ROOT, format!("h{}", i % 100), i as i64)?;
                am.commit();
            }
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
                // During the load, wake for the next write (or the end of the
                // load, whichever is first); after it, keep draining until
                // the server has been quiet for 3 s.
                let wait = if in_load {
                    next_write
                        .min(started + run_for)
                        .saturating_duration_since(Instant::now())
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
                    // A write only inside the load window: the window is
                    // checked when the wait ends, not when it began (a
                    // client whose first write fell after the window used
                    // to write while the others were already draining).
                    Err(_)
                        if in_load
                            && Instant::now() >= next_write
                            && started.elapsed() < run_for =>
                    {
                        c.write().await?;
                        writes += 1;
                        next_write += per_client;
                    }
                    Err(_) if in_load => {}
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
    // Every client has disconnected (the tasks are done); the server's
    // documents leave memory as their last peer goes.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_idle = args.server_pid.and_then(rss_kib);
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
    if let Some(path) = &args.latencies {
        let lines: String = lat.iter().map(|ms| format!("{ms:.3}\n")).collect();
        std::fs::write(path, lines)
            .with_context(|| format!("writing the latencies to {}", path.display()))?;
    }
    let report = serde_json::json!({
        "nodes": args.url.len(),
        "clients": args.clients,
        "docs": args.docs,
        "history": args.history,
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
        "server_rss_kib": { "before": rss_before, "peak": if peak_rss > 0 { Some(peak_rss) } else { None }, "after": rss_after, "after_disconnect": rss_idle },
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
