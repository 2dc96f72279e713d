//! Benchmark (ignored by default; `make bench-sync`): a cold sync of a
//! shared listing cache to a second device through a real relay on
//! loopback. Maria imports N synthetic listings (50,000 unless
//! `PORCHLIGHT_BENCH_LISTINGS` says), shares them with her team and
//! syncs; Joe, on a fresh profile with no MLS access, syncs once and then
//! searches them. Prints wall times, Joe's peak memory and the sizes on
//! disk — the figures BENCHMARKS.md records. A second benchmark pulls the
//! same number of listings from the fake RESO and RETS servers.

use porchlight_testkit::certs;
mod common;
use porchlight_testkit::reso as fake_reso;
use porchlight_testkit::rets as fake_rets;

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
        porchlight_store::Profile::open(dir, porchlight_store::OpenOptions::default())
            .expect("profile")
            .listings()
            .all()
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

/// Benchmark (`make bench-sync`): pulls of N synthetic listings from the
/// fake RESO server (pages of 1,000 by `@odata.nextLink`) and the fake RETS
/// server (Digest auth, COMPACT pages of 2,500 by Offset) on loopback into
/// fresh profiles — the whole importer path: HTTP, parsing, mapping,
/// shard writes, materialized rows and FTS, a checkpoint per page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: make bench-sync"]
async fn pulls_from_the_fake_mls_servers() {
    use porchlight_store::listings::reso::{ResoAuth, ResoClient, ResoConfig};
    use porchlight_store::listings::rets::client::{RetsClient, RetsConfig};
    use porchlight_store::listings::{pull, rets, synthetic};

    let n: usize = std::env::var("PORCHLIGHT_BENCH_LISTINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let until = chrono::DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z")
        .expect("time")
        .with_timezone(&chrono::Utc);
    let mut listings = synthetic::listings(n, 3, "B", until);
    listings.sort_by_key(|l| (l.modification_timestamp, l.listing_key.clone()));

    // RESO: records as JSON, in the server's order.
    let records: Vec<serde_json::Value> = listings
        .iter()
        .map(|l| {
            let mut v = serde_json::to_value(l).expect("json");
            if let Some(obj) = v.as_object_mut() {
                obj.remove("Other");
                for (k, val) in &l.other {
                    obj.insert(k.clone(), serde_json::json!(val));
                }
                if let Some(t) = l.modification_timestamp {
                    obj.insert(
                        "ModificationTimestamp".into(),
                        serde_json::json!(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
                    );
                }
            }
            v
        })
        .collect();
    // RETS: the same listings as COMPACT rows.
    let status =
        |l: &porchlight_store::listings::Listing| match l.standard_status.map(|s| s.as_str()) {
            Some("Closed") => "S",
            Some("ActiveUnderContract") | Some("Pending") => "U",
            _ => "A",
        };
    let rows: Vec<fake_rets::Record> = listings
        .iter()
        .map(|l| fake_rets::Record {
            key: l.listing_key.clone(),
            price: l.list_price.unwrap_or(0.0) as u32,
            status: status(l),
            features: "P,G",
            city: l.city.clone().unwrap_or_default(),
            modified: l
                .modification_timestamp
                .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
                .unwrap_or_default(),
            remarks: l.public_remarks.clone().unwrap_or_default().into_bytes(),
        })
        .collect();
    let tmp = tempfile::tempdir().expect("certs");
    let ca = certs::TestCa::new(tmp.path(), "bench");
    let cert = ca.server("mls", &["127.0.0.1"]);
    for secure in [false, true] {
        let tls = secure.then_some((cert.cert.as_path(), cert.key.as_path()));
        let net = porchlight_store::listings::sources::NetSettings {
            ca_file: secure.then(|| ca.ca_pem.clone()),
            ..Default::default()
        };
        let scheme = if secure { "HTTPS" } else { "HTTP" };
        let (base, _fake) = fake_reso::start_with(records.clone(), tls).await;
        let dir = tempfile::tempdir().expect("dir");
        let mut p =
            porchlight_store::Profile::open(dir.path(), porchlight_store::OpenOptions::default())
                .expect("profile");
        let mut client = ResoClient::new(ResoConfig {
            base_url: format!("{base}/odata"),
            resource: "Property".into(),
            auth: ResoAuth::ClientCredentials {
                token_url: format!("{base}/token"),
                client_id: fake_reso::CLIENT_ID.into(),
                client_secret: fake_reso::CLIENT_SECRET.into(),
                scope: None,
            },
            page_size: 1000,
            expand_media: false,
            select: Vec::new(),
            net: net.clone(),
        })
        .expect("client");
        let t = Instant::now();
        let report = pull::pull(
            &mut p,
            "reso",
            &mut client,
            &pull::PullOptions::default(),
            &mut |_| {},
        )
        .await
        .expect("RESO pull");
        let reso = t.elapsed();
        assert_eq!(report.import.added, n);

        let (login_url, _fake) = fake_rets::start_with(
            fake_rets::Fake {
                records: rows.clone(),
                max_rows: 2500,
                ..fake_rets::Fake::default()
            },
            tls,
        )
        .await;
        let dir2 = tempfile::tempdir().expect("dir");
        let mut p2 =
            porchlight_store::Profile::open(dir2.path(), porchlight_store::OpenOptions::default())
                .expect("profile");
        let mut rets_client = RetsClient::new(RetsConfig {
            login_url,
            username: fake_rets::USER.into(),
            password: fake_rets::PASSWORD.into(),
            user_agent: fake_rets::USER_AGENT.into(),
            ua_password: None,
            version: "RETS/1.7.2".into(),
            resource: "Property".into(),
            class: "RES".into(),
            page_size: 2500,
            net: net.clone(),
            fields: Default::default(),
        })
        .expect("client");
        let t = Instant::now();
        let report = rets::replicate::pull(
            &mut p2,
            "rets",
            &mut rets_client,
            &pull::PullOptions::default(),
            &mut |_| {},
        )
        .await
        .expect("RETS pull");
        let rets_time = t.elapsed();
        assert_eq!(report.import.added, n);
        println!("listings: {n} over {scheme}");
        println!(
            "RESO pull (pages of 1,000, nextLink): {:.1} s, {:.0} listings/s",
            reso.as_secs_f64(),
            n as f64 / reso.as_secs_f64()
        );
        println!(
            "RETS pull (COMPACT pages of 2,500, Offset): {:.1} s, {:.0} listings/s ({} pages)",
            rets_time.as_secs_f64(),
            n as f64 / rets_time.as_secs_f64(),
            report.pages
        );
    }
    handshake_cost(&cert, &ca.ca_pem).await;
}

/// The cost of one fresh connection (TCP + TLS handshake + a small GET)
/// over HTTPS beside plain HTTP, averaged over 200 connections each: what
/// a pull pays once (its client keeps the connection).
async fn handshake_cost(cert: &certs::ServerCert, ca: &Path) {
    let (plain, _) = fake_reso::start(Vec::new()).await;
    let (secure, _) = fake_reso::start_with(Vec::new(), Some((&cert.cert, &cert.key))).await;
    let pem = std::fs::read(ca).expect("ca");
    let mut per = Vec::new();
    for base in [&plain, &secure] {
        let client = reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("pem"))
            .pool_max_idle_per_host(0)
            .build()
            .expect("client");
        let t = Instant::now();
        for _ in 0..200 {
            client
                .get(format!("{base}/media/none"))
                .send()
                .await
                .expect("get");
        }
        per.push(t.elapsed().as_secs_f64() * 1000.0 / 200.0);
    }
    println!(
        "a fresh connection and a small GET: {:.2} ms over HTTP, {:.2} ms over HTTPS (TLS handshake ≈ {:.2} ms, once per pull)",
        per[0],
        per[1],
        per[1] - per[0]
    );
}
