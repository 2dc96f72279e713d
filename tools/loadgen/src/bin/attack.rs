//! `porchlight-attack`: the attacks of the relay's security review, with
//! their cost measured. Against a fresh relay it signs up, makes a team and
//! two boards (with `--email`/`--password`, it logs in to an existing
//! account instead). A legitimate client syncs one board the whole time,
//! writing a change every 100 ms and timing the relay's answer (the sync
//! round trip); `/healthz` is asked every 100 ms; the relay's RSS is
//! sampled. First an idle baseline, then the attack on the other board:
//!
//! - `login-flood`: CONCURRENCY tasks post wrong passwords as fast as the
//!   relay answers (with `--forwarded`, each from a random address in
//!   `X-Forwarded-For`, which counts only when the relay trusts 127.0.0.1 as
//!   a proxy: a botnet's spread of addresses);
//! - `presence-flood`: READERS connections open the board and never read,
//!   while one member sends presence messages of SIZE bytes as fast as it
//!   can, reconnecting whenever the relay cuts it off.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use automerge::AutoCommit;
use automerge::transaction::Transactable;
use clap::{Parser, Subcommand};
use futures_util::{SinkExt, StreamExt};
use porchlight_loadgen::{Client, connect, percentile, rss_kib};
use porchlight_model::ids::DocumentId;
use porchlight_sync::WireMessage;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

#[derive(Debug, Parser)]
#[command(
    name = "porchlight-attack",
    about = "Attacks on a Porchlight relay, measured"
)]
struct Args {
    /// The relay, e.g. http://127.0.0.1:7280
    #[arg(long)]
    base: String,
    /// The relay's process id, to sample its resident memory.
    #[arg(long)]
    pid: Option<u32>,
    /// An existing account to use (else one is signed up: a fresh relay).
    #[arg(long, default_value = "victim@example.com")]
    email: String,
    #[arg(long, default_value = "correct horse battery")]
    password: String,
    /// Seconds of idle baseline before the attack.
    #[arg(long, default_value_t = 5)]
    baseline: u64,
    /// Seconds of attack.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    #[command(subcommand)]
    attack: Attack,
}

#[derive(Debug, Subcommand)]
enum Attack {
    LoginFlood {
        #[arg(long, default_value_t = 500)]
        concurrency: usize,
        #[arg(long)]
        forwarded: bool,
    },
    PresenceFlood {
        #[arg(long, default_value_t = 50)]
        readers: usize,
        #[arg(long, default_value_t = 60 * 1024)]
        size: usize,
    },
}

/// What a phase measured.
#[derive(Debug, Default)]
struct Phase {
    round_trip_ms: Vec<f64>,
    /// Round trips over a second: (seconds into the phase, milliseconds).
    stalls: Vec<(f64, f64)>,
    healthz_ms: Vec<f64>,
    healthz_failed: u64,
    rss_peak_kib: u64,
}

impl Phase {
    fn report(&mut self) -> Value {
        self.round_trip_ms.sort_by(f64::total_cmp);
        self.healthz_ms.sort_by(f64::total_cmp);
        json!({
            "round_trip_ms": {
                "samples": self.round_trip_ms.len(),
                "p50": percentile(&self.round_trip_ms, 0.5),
                "p99": percentile(&self.round_trip_ms, 0.99),
                "max": self.round_trip_ms.last(),
                "over_1s": self.stalls,
            },
            "healthz_ms": { "p99": percentile(&self.healthz_ms, 0.99), "max": self.healthz_ms.last(), "failed": self.healthz_failed },
            "rss_peak_mib": self.rss_peak_kib as f64 / 1024.0,
        })
    }
}

async fn rest(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Value,
) -> Result<Value> {
    let mut req = http.request(method, &url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.with_context(|| url.clone())?;
    let status = resp.status();
    let value: Value = resp.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(anyhow!("{url}: {status} {value}"));
    }
    Ok(value)
}

/// An account (signed up when new), a team and two registered boards.
async fn setup(args: &Args, http: &reqwest::Client) -> Result<(String, String, String)> {
    let b = &args.base;
    let cred = json!({ "email": args.email, "password": args.password, "device": "attack bench" });
    // A relay that already has the account answers 400 here; log in anyway.
    let _ = rest(
        http,
        reqwest::Method::POST,
        format!("{b}/api/signup"),
        None,
        cred.clone(),
    )
    .await;
    let login = rest(
        http,
        reqwest::Method::POST,
        format!("{b}/api/login"),
        None,
        cred,
    )
    .await?;
    let token = login["token"].as_str().context("no token")?.to_string();
    let team = rest(
        http,
        reqwest::Method::POST,
        format!("{b}/api/teams"),
        Some(&token),
        json!({ "name": format!("bench {}", DocumentId::random()) }),
    )
    .await?;
    let id = team["id"].as_i64().context("no team id")?;
    let (quiet, flooded) = (
        DocumentId::random().to_string(),
        DocumentId::random().to_string(),
    );
    for doc in [&quiet, &flooded] {
        rest(
            http,
            reqwest::Method::POST,
            format!("{b}/api/teams/{id}/documents"),
            Some(&token),
            json!({ "document": doc }),
        )
        .await?;
    }
    Ok((token, quiet, flooded))
}

/// Writes a change every 100 ms until `stop` and times the relay's next
/// sync frame after each.
async fn round_trips(c: &mut Client, stop: Instant) -> Result<(Vec<f64>, Vec<(f64, f64)>)> {
    let (mut out, mut stalls) = (Vec::new(), Vec::new());
    let began = Instant::now();
    while Instant::now() < stop {
        let t0 = Instant::now();
        c.write().await?;
        loop {
            let next = tokio::time::timeout(Duration::from_secs(10), c.socket.next()).await;
            let bytes = match next {
                Ok(Some(Ok(Message::Binary(bytes)))) => bytes,
                // Pings (answered by the socket itself) and the like.
                Ok(Some(Ok(_))) => continue,
                // No answer within 10 s, or the connection gone, counts as
                // a 10 s round trip.
                _ => {
                    out.push(10_000.0);
                    break;
                }
            };
            let is_sync = matches!(WireMessage::decode(&bytes), Ok(WireMessage::Sync { .. }));
            c.handle(&bytes).await?;
            if is_sync {
                out.push(t0.elapsed().as_secs_f64() * 1000.0);
                break;
            }
        }
        if let Some(&ms) = out.last()
            && ms > 1000.0
        {
            stalls.push(((t0 - began).as_secs_f64(), ms));
        }
        tokio::time::sleep(Duration::from_millis(100).saturating_sub(t0.elapsed())).await;
    }
    Ok((out, stalls))
}

/// Measures `secs`: the client's round trips, /healthz and the RSS.
async fn measure(args: &Args, client: &mut Client, secs: u64) -> Result<Phase> {
    let stop = Instant::now() + Duration::from_secs(secs);
    let url = format!("{}/healthz", args.base);
    let pid = args.pid;
    let probe = tokio::spawn(async move {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?;
        let mut p = Phase::default();
        while Instant::now() < stop {
            let t0 = Instant::now();
            match http.get(&url).send().await {
                Ok(r) if r.status().is_success() => {
                    p.healthz_ms.push(t0.elapsed().as_secs_f64() * 1000.0)
                }
                _ => p.healthz_failed += 1,
            }
            if let Some(kib) = pid.and_then(rss_kib) {
                p.rss_peak_kib = p.rss_peak_kib.max(kib);
            }
            tokio::time::sleep(Duration::from_millis(100).saturating_sub(t0.elapsed())).await;
        }
        Ok::<_, anyhow::Error>(p)
    });
    let (rt, stalls) = round_trips(client, stop).await?;
    let mut p = probe.await??;
    p.round_trip_ms = rt;
    p.stalls = stalls;
    Ok(p)
}

/// Wrong passwords from `concurrency` tasks until `stop`; the answers by
/// status.
async fn login_flood(base: String, concurrency: usize, forwarded: bool, stop: Instant) -> Value {
    let counts: Arc<[AtomicU64; 6]> = Arc::new(Default::default());
    let mut tasks = Vec::new();
    for n in 0..concurrency {
        let (base, counts) = (base.clone(), counts.clone());
        tasks.push(tokio::spawn(async move {
            let Ok(http) = reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
            else {
                return;
            };
            let mut i = 0u64;
            while Instant::now() < stop {
                i += 1;
                let mut req = http.post(format!("{base}/api/login")).json(&json!({
                    "email": format!("guess{n}-{i}@example.com"),
                    "password": "not the password",
                }));
                if forwarded {
                    let ip = format!("10.{}.{}.{}", n % 250, (i / 250) % 250, i % 250);
                    req = req.header("X-Forwarded-For", ip);
                }
                let slot = match req.send().await.map(|r| r.status().as_u16()) {
                    Ok(401) => 0,
                    Ok(429) => 1,
                    Ok(503) => 2,
                    Ok(400) => 3,
                    Ok(_) => 4,
                    Err(_) => 5,
                };
                counts[slot].fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let c = |i: usize| counts[i].load(Ordering::Relaxed);
    json!({ "attempts": (0..6).map(c).sum::<u64>(), "401_checked": c(0), "429_rate_limited": c(1),
        "503_busy": c(2), "400": c(3), "other": c(4), "failed": c(5) })
}

/// Paused readers on `doc`, and one member sending presence as fast as it
/// can, reconnecting whenever it is cut off.
async fn presence_flood(
    ws: String,
    token: String,
    doc: String,
    readers: usize,
    size: usize,
    stop: Instant,
) -> Result<Value> {
    let mut paused = Vec::new();
    for id in 0..readers {
        let mut c = connect(&ws, Some(&token), 10_000 + id, &doc).await?;
        c.open(AutoCommit::new()).await?;
        paused.push(c);
    }
    let (mut sent, mut reconnects) = (0u64, 0u64);
    let payload = vec![0x5a; size];
    while Instant::now() < stop {
        let mut c = match connect(&ws, Some(&token), 99_999, &doc).await {
            Ok(c) => c,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        c.open(AutoCommit::new()).await?;
        let me = c.engine.peer_id().clone();
        while Instant::now() < stop {
            let message = WireMessage::Ephemeral {
                sender_id: me.clone(),
                target_id: c.relay.clone(),
                count: sent,
                session_id: "flood".into(),
                document_id: doc.clone(),
                data: payload.clone(),
            };
            let write = c.socket.send(Message::Binary(message.encode().into()));
            match tokio::time::timeout(Duration::from_secs(1), write).await {
                Ok(Ok(())) => sent += 1,
                _ => break,
            }
            // Drain whatever the relay says, so only the readers are slow.
            while let Ok(Some(frame)) = tokio::time::timeout(Duration::ZERO, c.socket.next()).await
            {
                if frame.is_err() {
                    break;
                }
            }
        }
        reconnects += 1;
    }
    let still_open = paused.len();
    drop(paused);
    Ok(
        json!({ "presence_sent": sent, "presence_bytes": sent * size as u64, "attacker_connections": reconnects, "paused_readers": still_open }),
    )
}

// The legitimate client and the probes run on a runtime of their own, on
// this thread; the attack on another. In one runtime, the attacker's 500
// tasks delayed the client's own wake-ups, which the relay is not to blame
// for (a real attack comes from other machines).
fn main() -> Result<()> {
    let args = Args::parse();
    let victim = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let attacker = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let http = reqwest::Client::new();
    let (token, quiet, flooded) = victim.block_on(setup(&args, &http))?;
    let ws = format!("{}/sync", args.base.replacen("http", "ws", 1));
    let mut client = victim.block_on(async {
        let mut client = connect(&ws, Some(&token), 1, &quiet).await?;
        let mut am = AutoCommit::new();
        am.put(automerge::ROOT, "created", 1)?;
        client.open(am).await?;
        Ok::<_, anyhow::Error>(client)
    })?;
    let rss_start = args.pid.and_then(rss_kib);
    let mut idle = victim.block_on(measure(&args, &mut client, args.baseline))?;
    let stop = Instant::now() + Duration::from_secs(args.seconds);
    let attack = match &args.attack {
        Attack::LoginFlood {
            concurrency,
            forwarded,
        } => {
            let (base, c, f) = (args.base.clone(), *concurrency, *forwarded);
            attacker.spawn(async move { Ok(login_flood(base, c, f, stop).await) })
        }
        Attack::PresenceFlood { readers, size } => attacker.spawn(presence_flood(
            ws.clone(),
            token.clone(),
            flooded.clone(),
            *readers,
            *size,
            stop,
        )),
    };
    let mut under = victim.block_on(measure(&args, &mut client, args.seconds))?;
    let attacked: Value = attacker.block_on(attack)??;
    std::thread::sleep(Duration::from_secs(3));
    let report = json!({
        "attack": format!("{:?}", args.attack),
        "seconds": args.seconds,
        "rss_start_mib": rss_start.map(|k| k as f64 / 1024.0),
        "rss_after_mib": args.pid.and_then(rss_kib).map(|k| k as f64 / 1024.0),
        "idle": idle.report(),
        "under_attack": under.report(),
        "attacker": attacked,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
