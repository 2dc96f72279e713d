//! `porchlight-apiload`: the relay's HTTP integrations under load. Creates
//! tasks through the REST API (`POST /api/v1/boards/{board}/tasks`) with a
//! write key, some at once, and reports the create latency; then asks for
//! a calendar feed over and over and reports how long the feed takes to
//! build and send.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use porchlight_loadgen::percentile;
use serde_json::json;

#[derive(Debug, Parser)]
#[command(
    name = "porchlight-apiload",
    about = "REST API create latency and calendar feed latency against a running relay"
)]
struct Args {
    /// The relay's base URL (http://127.0.0.1:7280).
    #[arg(long)]
    relay: String,
    /// A write API key of the team.
    #[arg(long)]
    key: String,
    /// The board's document id.
    #[arg(long)]
    board: String,
    /// Tasks to create.
    #[arg(long, default_value_t = 1000)]
    create: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Creates per second, paced (open loop); 0: as fast as they go.
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// A calendar feed URL to time (after the tasks are made).
    #[arg(long)]
    feed: Option<String>,
    /// How many times to fetch the feed.
    #[arg(long, default_value_t = 100)]
    gets: usize,
}

fn summary(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    println!(
        "{name}: n={} p50={:.2} ms p95={:.2} ms p99={:.2} ms max={:.2} ms",
        ms.len(),
        percentile(&ms, 0.50),
        percentile(&ms, 0.95),
        percentile(&ms, 0.99),
        ms.last().copied().unwrap_or(0.0)
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let http = reqwest::Client::new();
    let url = format!(
        "{}/api/v1/boards/{}/tasks",
        args.relay.trim_end_matches('/'),
        args.board
    );
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency.max(1) {
        let (http, url, key, next) = (http.clone(), url.clone(), args.key.clone(), next.clone());
        let total = args.create;
        let rate = args.rate;
        workers.push(tokio::spawn(async move {
            let mut times = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    return Ok::<_, anyhow::Error>(times);
                }
                if rate > 0.0 {
                    let due = started + Duration::from_secs_f64(i as f64 / rate);
                    tokio::time::sleep_until(due.into()).await;
                }
                let day = 1 + (i % 28);
                let month = 1 + (i / 28) % 12;
                let label = ["escrow", "inspection", "closing", "marketing"][i % 4];
                let who = ["maria", "joe", "ana"][i % 3];
                let body = json!({
                    "title": format!("Task {i}: call the lender about 48 Elm Ave"),
                    "due": format!("2027-{month:02}-{day:02}T15:00:00Z"),
                    "labels": [label],
                    "assignees": [who],
                });
                let t0 = Instant::now();
                let resp = http.post(&url).bearer_auth(&key).json(&body).send().await?;
                let status = resp.status();
                let _ = resp.bytes().await?;
                if status.as_u16() != 201 {
                    anyhow::bail!("task {i}: HTTP {status}");
                }
                times.push(t0.elapsed().as_secs_f64() * 1000.0);
            }
        }));
    }
    let mut creates = Vec::new();
    for w in workers {
        creates.extend(w.await??);
    }
    let took = started.elapsed().as_secs_f64();
    println!(
        "created {} tasks in {took:.1} s ({:.0}/s) with {} in flight",
        creates.len(),
        creates.len() as f64 / took,
        args.concurrency
    );
    summary("create", creates);

    if let Some(feed) = &args.feed {
        // The view follows the API's writes at once; wait for the last one
        // to be in the feed anyway, then time the gets.
        let mut bytes = 0;
        for _ in 0..100 {
            let body = http.get(feed).send().await?.text().await?;
            bytes = body.len();
            if body.matches("BEGIN:VEVENT").count() >= args.create {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let mut gets = Vec::new();
        for _ in 0..args.gets {
            let t0 = Instant::now();
            let resp = http.get(feed).send().await?;
            let status = resp.status();
            let body = resp.bytes().await?;
            if !status.is_success() {
                anyhow::bail!("feed: HTTP {status}");
            }
            bytes = body.len();
            gets.push(t0.elapsed().as_secs_f64() * 1000.0);
        }
        println!("feed: {} KiB", bytes / 1024);
        summary("feed", gets);
    }
    Ok(())
}
