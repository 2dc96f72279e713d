//! `porchlight-hooksink`: webhook receivers for the fan-out benchmark.
//! Listens on `--endpoints` loopback ports, answers every POST with 200 at
//! once, prints each endpoint's URL on a line, and after `--seconds`
//! prints how many deliveries arrived (in all, and per second).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

#[derive(Debug, Parser)]
#[command(
    name = "porchlight-hooksink",
    about = "Webhook receivers that count deliveries"
)]
struct Args {
    #[arg(long, default_value_t = 10)]
    endpoints: usize,
    /// How long to listen.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
}

async fn serve(listener: tokio::net::TcpListener, count: Arc<AtomicU64>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let count = count.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut reader = BufReader::new(read);
            // Keep-alive: one request after another on the connection.
            loop {
                let mut length = 0usize;
                let mut any = false;
                loop {
                    let mut line = String::new();
                    match reader.read_line(&mut line).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    if line == "\r\n" {
                        break;
                    }
                    any = true;
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                if !any {
                    return;
                }
                let mut body = vec![0u8; length];
                if reader.read_exact(&mut body).await.is_err() {
                    return;
                }
                count.fetch_add(1, Ordering::Relaxed);
                if write
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let count = Arc::new(AtomicU64::new(0));
    for _ in 0..args.endpoints.max(1) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("http://{}/hook", listener.local_addr()?);
        tokio::spawn(serve(listener, count.clone()));
    }
    println!("ready");
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    let n = count.load(Ordering::Relaxed);
    println!(
        "received {n} deliveries in {:.0} s ({:.0}/s)",
        started.elapsed().as_secs_f64(),
        n as f64 / started.elapsed().as_secs_f64()
    );
    Ok(())
}
