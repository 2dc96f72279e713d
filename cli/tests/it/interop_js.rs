//! Interoperability with the JavaScript automerge-repo (`interop/js`, pinned
//! in its lockfile): a JS peer writes a board that `porchlight sync` then
//! sees, and reads back what the CLI wrote.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{json, pl, sign_in, start, stop};
use porchlight_store::ids::DocumentId;

fn js_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../interop/js")
}

/// Runs the JS peer; returns its stdout.
async fn node(args: Vec<String>) -> String {
    let dir = js_dir();
    assert!(
        dir.join("node_modules/@automerge/automerge-repo").exists(),
        "the JS peer is not installed: run `make interop-deps`"
    );
    tokio::task::spawn_blocking(move || {
        let out = Command::new("node")
            .current_dir(&dir)
            .arg("peer.mjs")
            .args(&args)
            .output()
            .expect("run node");
        assert!(
            out.status.success(),
            "node peer.mjs {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    })
    .await
    .expect("join")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn javascript_automerge_repo_and_porchlight_sync_see_each_others_boards() {
    let relay_dir = tempfile::tempdir().expect("relay");
    let maria = tempfile::tempdir().expect("maria");
    let m = maria.path();
    let (running, addr) = start(relay_dir.path(), "127.0.0.1:0".parse().expect("addr")).await;
    let url = format!("http://{addr}");
    sign_in(m, "maria", &url, "maria@example.com", None).await;
    let team = json(&pl(m, "maria", &["--json", "team", "create", "Oak St"], "").await);
    let team_id = team["id"].as_i64().expect("team");
    // An integration's way in: a write key for the team.
    let token = pl(
        m,
        "maria",
        &[
            "apikey",
            "create",
            "--team",
            "Oak St",
            "--scope",
            "write",
            "--name",
            "interop peer",
        ],
        "",
    )
    .await
    .trim()
    .to_string();

    // JS → Porchlight: a document registered to the team, written by the JS repo.
    let doc = DocumentId::random().to_string();
    let registered = reqwest::Client::new()
        .post(format!("{url}/api/teams/{team_id}/documents"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "document": doc }))
        .send()
        .await
        .expect("register");
    assert!(registered.status().is_success());
    let ws = format!("ws://{addr}/sync?token={token}");
    node(vec![
        "write".into(),
        ws.clone(),
        doc.clone(),
        "Written in JavaScript".into(),
    ])
    .await;
    let out = pl(m, "maria", &["sync"], "").await;
    assert!(out.contains("1 new"), "{out}");
    let tasks = json(
        &pl(
            m,
            "maria",
            &["--json", "task", "list", "--board", "From JavaScript"],
            "",
        )
        .await,
    );
    assert_eq!(tasks[0]["title"], "Written in JavaScript");
    assert_eq!(tasks[0]["priority"], "high");
    assert_eq!(tasks[0]["labels"], serde_json::json!(["interop"]));

    // Porchlight → JS: a task added with the CLI reaches the JS repo.
    pl(
        m,
        "maria",
        &[
            "task",
            "add",
            "Written with porchlight",
            "--board",
            "From JavaScript",
        ],
        "",
    )
    .await;
    pl(m, "maria", &["sync"], "").await;
    let seen = json(&node(vec!["read".into(), ws, doc]).await);
    let titles: Vec<String> = seen["tasks"]
        .as_object()
        .expect("tasks")
        .values()
        .filter_map(|t| t["title"].as_str().map(str::to_string))
        .collect();
    assert!(
        titles.contains(&"Written with porchlight".to_string()),
        "{titles:?}"
    );
    stop(running).await;
}
