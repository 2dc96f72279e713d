//! Crash safety: a writer killed with SIGKILL at random moments never loses a
//! task it reported saved, and the database always opens cleanly.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn porchlight(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_porchlight"));
    cmd.arg("--data-dir")
        .arg(dir)
        .args(["--tz", "UTC", "--user", "crash"]);
    cmd
}

/// A small deterministic generator, so a failing run can be replayed.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn sigkill_never_loses_an_acknowledged_task() {
    let dir = tempfile::tempdir().expect("dir");
    let status = porchlight(dir.path())
        .args(["board", "new", "Crash"])
        .output()
        .expect("board");
    assert!(status.status.success());
    let mut acknowledged: Vec<String> = Vec::new();
    let mut seed = 0x5eed_u64 ^ u64::from(std::process::id());
    eprintln!("seed {seed:#x}");
    for round in 0..25 {
        let mut child = porchlight(dir.path())
            .args(["task", "add", "--stdin", "--board", "Crash"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let mut stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let writer = std::thread::spawn(move || {
            for i in 0..100_000 {
                if writeln!(stdin, "round {round} task {i} #crash").is_err() {
                    break;
                }
            }
        });
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let delay = Duration::from_millis(20 + next(&mut seed) % 300);
        let start = Instant::now();
        while start.elapsed() < delay {
            while let Ok(id) = rx.try_recv() {
                acknowledged.push(id);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        let _ = reader.join();
        // Ids already printed before the kill count as acknowledged too.
        acknowledged.extend(rx.try_iter());
        let _ = writer.join();

        let out = porchlight(dir.path())
            .args(["--json", "task", "list", "--all"])
            .output()
            .expect("list");
        assert!(
            out.status.success(),
            "round {round}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tasks: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let present: std::collections::HashSet<&str> = tasks
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|t| t["id"].as_str())
            .collect();
        for id in &acknowledged {
            assert!(
                present.contains(id.as_str()),
                "round {round}: acknowledged task {id} is missing"
            );
        }
    }
    assert!(
        acknowledged.len() > 25,
        "the writer should have saved tasks: {}",
        acknowledged.len()
    );
    // The chunks agree with the tables: a rebuild finds every task.
    let out = porchlight(dir.path())
        .args(["--json", "reindex"])
        .output()
        .expect("reindex");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(report["tasks"].as_u64().unwrap_or(0) >= acknowledged.len() as u64);
}
