//! The relay binary killed with SIGKILL at random moments while several
//! clients sync: after each restart every change the relay acknowledged (its
//! heads in a sync message it sent) is present, and at the end all replicas
//! converge.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use automerge::AutoCommit;
use common::{Client, TestRelay};
use porchlight_model::ids::DocumentId;
use serde_json::json;

/// Starts the relay binary on a free port, on the storage of `dir` (its
/// SQLite file, or a PostgreSQL database kept for it); returns it and its
/// base URL.
fn start_relay(dir: &std::path::Path) -> (Child, String) {
    // The PostgreSQL server (if any) is the test's to keep (`_postgres`).
    let (storage, _) = common::storage_flags(dir);
    start_relay_with(&storage)
}

/// Starts the relay binary with these storage (and other) flags.
fn start_relay_with(flags: &[String]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_porchlight-relay"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(flags)
        .env("PORCHLIGHT_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn relay");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(rest) = line.split("addr=").nth(1) {
            let addr = rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
            // Keep draining the pipe so the relay never blocks on logging.
            std::thread::spawn(move || for _ in lines {});
            return (child, format!("http://{addr}"));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the relay did not report its address");
}

fn test_relay(base: &str) -> TestRelay {
    TestRelay::at(base)
}

/// A deterministic generator so a failure can be replayed from its seed.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_nothing_the_relay_acknowledged() {
    let dir = tempfile::tempdir().expect("dir");
    // On PostgreSQL, one server for every relay process of the test.
    let _postgres = common::storage_flags(dir.path()).1;
    let (mut child, base) = start_relay(dir.path());
    let relay = test_relay(&base);
    let owner = relay.account("owner@example.com", None).await;
    let (_, team) = relay
        .post("/api/teams", Some(&owner), json!({ "name": "Crash team" }))
        .await;
    let team_id = team["id"].as_i64().expect("team");
    let doc = DocumentId::random().to_string();
    let (s, _) = relay
        .post(
            &format!("/api/teams/{team_id}/documents"),
            Some(&owner),
            json!({ "document": doc }),
        )
        .await;
    assert_eq!(s, 200);

    let mut seed = 0x9e37_79b9_u64 ^ u64::from(std::process::id());
    eprintln!("seed {seed:#x}");
    let mut replicas: Vec<AutoCommit> = (0..3).map(|_| AutoCommit::new()).collect();
    let mut acknowledged = Vec::new();
    let mut base = base;
    let mut counter = 0u64;
    for round in 0..10 {
        let relay = test_relay(&base);
        let mut clients = Vec::new();
        for replica in &replicas {
            let mut c = Client::connect(&relay.ws, &owner).await;
            c.open(&doc, replica.clone()).await;
            clients.push(c);
        }
        let kill_after = Duration::from_millis(100 + next(&mut seed) % 400);
        let start = Instant::now();
        while start.elapsed() < kill_after {
            for c in clients.iter_mut() {
                counter += 1;
                c.edit(
                    &doc,
                    &format!("k{}", counter % 50),
                    &format!("round {round} edit {counter}"),
                )
                .await;
                c.pump_for(Duration::from_millis(5)).await;
            }
        }
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        for (i, c) in clients.iter_mut().enumerate() {
            c.pump_for(Duration::from_millis(50)).await;
            acknowledged.append(&mut c.acknowledged);
            replicas[i] = c.engine.document(&doc).expect("doc").clone();
        }
        let (next_child, next_base) = start_relay(dir.path());
        child = next_child;
        base = next_base;
        // Everything acknowledged before the kill is there after the restart.
        let relay = test_relay(&base);
        let mut check = Client::connect(&relay.ws, &owner).await;
        check.open(&doc, AutoCommit::new()).await;
        // Under load the relay may pause between frames; keep listening until
        // every acknowledged change is here or ten seconds have passed.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            check.pump().await;
            let recovered = check.engine.document_mut(&doc).expect("doc");
            let missing: Vec<_> = acknowledged
                .iter()
                .filter(|h| recovered.get_change_by_hash(h).is_none())
                .collect();
            if missing.is_empty() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "round {round}: {} acknowledged changes lost, e.g. {}",
                missing.len(),
                missing[0]
            );
        }
    }
    assert!(!acknowledged.is_empty(), "the relay acknowledged nothing");
    // Finally every replica converges through the restarted relay.
    let relay = test_relay(&base);
    let mut clients = Vec::new();
    for replica in &replicas {
        let mut c = Client::connect(&relay.ws, &owner).await;
        c.open(&doc, replica.clone()).await;
        clients.push(c);
    }
    for _ in 0..4 {
        for c in clients.iter_mut() {
            c.pump().await;
        }
    }
    let mut heads: Vec<_> = clients
        .iter_mut()
        .map(|c| c.engine.document_mut(&doc).expect("doc").get_heads())
        .collect();
    heads.dedup();
    assert_eq!(heads.len(), 1, "replicas did not converge");
    let _ = child.kill();
    let _ = child.wait();
}

/// Two relay processes on one PostgreSQL and one NATS; node 1 is SIGKILLed
/// at random moments while clients write through both. Node 1's clients
/// go on through node 2 (as behind a load balancer), node 1 comes back,
/// and every change either node acknowledged is still there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_in_a_loop_loses_nothing_and_its_clients_go_on_elsewhere() {
    use porchlight_testkit::services::{TestNats, TestPostgres};
    let pg = TestPostgres::start().expect("PostgreSQL");
    let nats = TestNats::start().expect("nats-server");
    let flags = vec![
        "--database".to_string(),
        pg.database("relay").expect("database"),
        "--nats".to_string(),
        nats.url(),
    ];
    let (mut one, mut one_base) = start_relay_with(&flags);
    let (mut two, two_base) = start_relay_with(&flags);
    let relay = test_relay(&one_base);
    let owner = relay.account("owner@example.com", None).await;
    let (_, team) = relay
        .post(
            "/api/teams",
            Some(&owner),
            json!({ "name": "Failover team" }),
        )
        .await;
    let doc = DocumentId::random().to_string();
    let (s, _) = relay
        .post(
            &format!("/api/teams/{}/documents", team["id"]),
            Some(&owner),
            json!({ "document": doc }),
        )
        .await;
    assert_eq!(s, 200);
    let mut seed = 0x51ed_270b_u64 ^ u64::from(std::process::id());
    eprintln!("seed {seed:#x}");
    let mut replicas: Vec<AutoCommit> = (0..3).map(|_| AutoCommit::new()).collect();
    let mut acknowledged = Vec::new();
    let mut counter = 0u64;
    let steady = test_relay(&two_base);
    for round in 0..6 {
        // Replicas 0 and 1 on node 1, replica 2 on node 2.
        let first = test_relay(&one_base);
        let mut clients = Vec::new();
        for (i, replica) in replicas.iter().enumerate() {
            let ws = if i < 2 { &first.ws } else { &steady.ws };
            let mut c = Client::connect(ws, &owner).await;
            c.open(&doc, replica.clone()).await;
            clients.push(c);
        }
        let kill_after = Duration::from_millis(100 + next(&mut seed) % 400);
        let start = Instant::now();
        while start.elapsed() < kill_after {
            for c in clients.iter_mut() {
                counter += 1;
                c.edit(
                    &doc,
                    &format!("k{}", counter % 40),
                    &format!("round {round} edit {counter}"),
                )
                .await;
                c.pump_for(Duration::from_millis(5)).await;
            }
        }
        one.kill().expect("SIGKILL");
        let _ = one.wait();
        for (i, c) in clients.iter_mut().enumerate() {
            c.pump_for(Duration::from_millis(50)).await;
            acknowledged.append(&mut c.acknowledged);
            replicas[i] = c.engine.document(&doc).expect("doc").clone();
        }
        // Node 1's clients carry on through node 2 while node 1 is down.
        for replica in replicas.iter_mut().take(2) {
            let mut c = Client::connect(&steady.ws, &owner).await;
            c.open(&doc, replica.clone()).await;
            counter += 1;
            c.edit(&doc, "failover", &format!("edit {counter} through node 2"))
                .await;
            c.pump().await;
            acknowledged.append(&mut c.acknowledged);
            *replica = c.engine.document(&doc).expect("doc").clone();
        }
        (one, one_base) = start_relay_with(&flags);
        // Everything either node acknowledged is there, read through node 1.
        let back = test_relay(&one_base);
        let mut check = Client::connect(&back.ws, &owner).await;
        check.open(&doc, AutoCommit::new()).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            check.pump().await;
            let recovered = check.engine.document_mut(&doc).expect("doc");
            let missing: Vec<_> = acknowledged
                .iter()
                .filter(|h| recovered.get_change_by_hash(h).is_none())
                .collect();
            if missing.is_empty() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "round {round}: {} acknowledged changes lost, e.g. {}",
                missing.len(),
                missing[0]
            );
        }
    }
    assert!(!acknowledged.is_empty(), "the relays acknowledged nothing");
    for child in [&mut one, &mut two] {
        let _ = child.kill();
        let _ = child.wait();
    }
}
