//! `porchlight-failover`: two relay nodes on one database and NATS. Client
//! X on node A and client Y on node B share a document; X writes and the
//! time until Y has the change is the cross-node propagation (repeated).
//! Then node A is killed (SIGKILL, by its pid) and X, with its copy of the
//! document, reconnects to node B at once and writes again: the time from
//! the kill until Y has that change is the cost of the failover (a real
//! client adds its reconnect backoff, which starts at a fraction of a
//! second).

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use clap::Parser;
use futures_util::StreamExt;
use porchlight_loadgen::{Client, connect, percentile, register_documents};
use porchlight_model::ids::DocumentId;
use tokio_tungstenite::tungstenite::Message;

#[derive(Debug, Parser)]
#[command(
    name = "porchlight-failover",
    about = "Cross-node propagation and the cost of losing a node"
)]
struct Args {
    /// Node A's WebSocket URL (the one killed).
    #[arg(long)]
    a: String,
    /// Node B's WebSocket URL.
    #[arg(long)]
    b: String,
    /// Node A's process id.
    #[arg(long)]
    pid: u32,
    /// A write API key of the team.
    #[arg(long)]
    token: String,
    #[arg(long)]
    team: i64,
    #[arg(long, default_value_t = 200)]
    samples: usize,
}

/// Serves both clients' sockets until `check` holds for Y's copy (the
/// sync protocol needs X to answer the relay too); the time taken.
async fn until(
    x: &mut Client,
    y: &mut Client,
    check: impl Fn(&AutoCommit) -> bool,
) -> Result<Duration> {
    let started = Instant::now();
    loop {
        if y.engine.document(&y.doc).is_some_and(&check) {
            return Ok(started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(10) {
            return Err(anyhow!("no change within 10 s"));
        }
        tokio::select! {
            next = x.socket.next() => {
                if let Some(Ok(Message::Binary(bytes))) = next {
                    x.handle(&bytes).await?;
                }
            }
            next = y.socket.next() => {
                if let Some(Ok(Message::Binary(bytes))) = next {
                    y.handle(&bytes).await?;
                }
            }
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
}

fn has(key: &str, value: i64) -> impl Fn(&AutoCommit) -> bool + '_ {
    move |d| matches!(d.get(ROOT, key), Ok(Some((automerge::Value::Scalar(v), _))) if v.as_i64() == Some(value))
}

async fn put(c: &mut Client, key: &str, value: i64) -> Result<()> {
    let doc = c.doc.clone();
    if let Some(d) = c.engine.document_mut(&doc) {
        d.put(ROOT, key, value)?;
        d.commit();
    }
    let effects = c.engine.local_change(&doc);
    c.send(effects).await
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let doc = DocumentId::random().to_string();
    let base = args
        .a
        .replacen("ws", "http", 1)
        .trim_end_matches("/sync")
        .to_string();
    register_documents(&base, args.team, &args.token, std::slice::from_ref(&doc))
        .await
        .context("registering the document")?;
    let mut x = connect(&args.a, Some(&args.token), 1, &doc).await?;
    let mut y = connect(&args.b, Some(&args.token), 2, &doc).await?;
    let mut created = AutoCommit::new();
    created.put(ROOT, "created", 1)?;
    created.commit();
    x.open(created).await?;
    y.open(AutoCommit::new()).await?;
    until(&mut x, &mut y, |d| {
        d.get(ROOT, "created").ok().flatten().is_some()
    })
    .await?;
    let mut cross = Vec::new();
    for i in 0..args.samples as i64 {
        let t0 = Instant::now();
        put(&mut x, "k", i).await?;
        until(&mut x, &mut y, has("k", i)).await?;
        cross.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    cross.sort_by(f64::total_cmp);
    let replica = x.engine.document(&doc).context("doc")?.clone();
    drop(x);
    let killed = Instant::now();
    std::process::Command::new("kill")
        .args(["-9", &args.pid.to_string()])
        .status()?;
    // X comes back through node B at once.
    let mut x = loop {
        match connect(&args.b, Some(&args.token), 3, &doc).await {
            Ok(c) => break c,
            Err(_) if killed.elapsed() < Duration::from_secs(10) => {
                tokio::time::sleep(Duration::from_millis(10)).await
            }
            Err(e) => return Err(e),
        }
    };
    let connected = killed.elapsed();
    x.open(replica).await?;
    put(&mut x, "after", 1).await?;
    until(&mut x, &mut y, has("after", 1)).await?;
    let served = killed.elapsed();
    println!(
        "{}",
        serde_json::json!({
            "cross_node_ms": { "samples": cross.len(), "p50": percentile(&cross, 0.5), "p99": percentile(&cross, 0.99), "max": cross.last() },
            "failover_ms": { "reconnected": connected.as_secs_f64() * 1000.0, "change_through_node_b_seen": served.as_secs_f64() * 1000.0 },
        })
    );
    Ok(())
}
