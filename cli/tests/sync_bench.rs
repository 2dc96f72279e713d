//! Benchmark (ignored by default; `make bench-sync`): a cold sync of a
//! shared listing cache to a second device through a real relay on
//! loopback. Maria imports N synthetic listings (50,000 unless
//! `PORCHLIGHT_BENCH_LISTINGS` says), shares them with her team and
//! syncs; Joe, on a fresh profile with no MLS access, syncs once and then
//! searches them. Prints wall times, Joe's peak memory and the sizes on
//! disk — the figures BENCHMARKS.md records.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{json, pl, sign_in, start, stop};

/// Runs porchlight, returning its wall time and peak resident memory
/// (VmHWM, sampled from /proc while it runs).
fn measured(dir: &Path, user: &str, args: &[&str]) -> (Duration, u64) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_porchlight"))
        .arg("--data-dir")
        .arg(dir)
        .args(["--user", user])
        .args(args)
        .env("PORCHLIGHT_SECRETS", "file")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            if let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak_kib = peak_kib.max(kib);
            }
        }
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "{args:?} failed");
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (started.elapsed(), peak_kib)
}

fn size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.file_type() {
                    Ok(t) if t.is_dir() => size(&e.path()),
                    _ => e.metadata().map(|m| m.len()).unwrap_or(0),
                })
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: make bench-sync"]
async fn cold_sync_of_a_shared_listing_cache() {
    let n: usize = std::env::var("PORCHLIGHT_BENCH_LISTINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let relay_dir = tempfile::tempdir().expect("relay dir");
    let maria = tempfile::tempdir().expect("maria");
    let joe = tempfile::tempdir().expect("joe");
    let (running, addr) = start(relay_dir.path(), "127.0.0.1:0".parse().expect("addr")).await;
    let url = format!("http://{addr}");
    let (m, j) = (maria.path().to_path_buf(), joe.path().to_path_buf());
    sign_in(&m, "maria", &url, "maria@example.com", None).await;
    pl(&m, "maria", &["team", "create", "Oak St"], "").await;
    let invite = json(
        &pl(
            &m,
            "maria",
            &["--json", "team", "invite", "Oak St", "--role", "member"],
            "",
        )
        .await,
    );
    let code = invite["code"].as_str().expect("code").to_string();
    sign_in(&j, "joe", &url, "joe@example.com", Some(&code)).await;

    let csv = m.join("listings.csv");
    let count = n.to_string();
    let csv_arg = csv.to_str().expect("path").to_string();
    let run = |dir: std::path::PathBuf, user: &'static str, args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            measured(&dir, user, &args)
        })
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    run(
        m.clone(),
        "maria",
        s(&["mls", "generate", "--count", &count, "--output", &csv_arg]),
    )
    .await
    .expect("join");
    let (import, _) = run(m.clone(), "maria", s(&["mls", "import-csv", &csv_arg]))
        .await
        .expect("join");
    let (share, _) = run(
        m.clone(),
        "maria",
        s(&["listings", "share", "--team", "Oak St"]),
    )
    .await
    .expect("join");
    let (upload, upload_kib) = run(m.clone(), "maria", s(&["sync"])).await.expect("join");
    let (cold, cold_kib) = run(j.clone(), "joe", s(&["sync"])).await.expect("join");
    stop(running).await;
    let count = |dir: &Path| {
        porchlight_core::Profile::open(dir, porchlight_core::OpenOptions::default())
            .expect("profile")
            .all_listings()
            .expect("listings")
            .len()
    };
    assert_eq!(count(&m), n, "Maria has every listing");
    assert_eq!(count(&j), n, "Joe has every listing");
    let (search, _) = run(
        j.clone(),
        "joe",
        s(&[
            "listings",
            "search",
            "kitchen",
            "--city",
            "Denver",
            "--min-price",
            "300000",
            "--beds",
            "3",
        ]),
    )
    .await
    .expect("join");
    println!("listings: {n}");
    println!(
        "maria import: {:.1} s, share: {:.1} s",
        import.as_secs_f64(),
        share.as_secs_f64()
    );
    println!(
        "maria upload sync: {:.1} s (peak {} MiB)",
        upload.as_secs_f64(),
        upload_kib / 1024
    );
    println!(
        "joe cold sync: {:.1} s (peak {} MiB)",
        cold.as_secs_f64(),
        cold_kib / 1024
    );
    println!(
        "joe search after sync (process start to answer): {} ms",
        search.as_millis()
    );
    println!(
        "on disk: maria {} MB, joe {} MB, relay {} MB",
        size(&m) / 1_000_000,
        size(&j) / 1_000_000,
        size(relay_dir.path()) / 1_000_000
    );
}
