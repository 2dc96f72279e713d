//! Two CLI profiles of one team, synced through a real relay on loopback.

use crate::common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::{json, pl, sign_in, start, stop, team_with_board};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_profiles_edit_offline_and_converge_through_the_relay() {
    let relay_dir = tempfile::tempdir().expect("relay dir");
    let maria = tempfile::tempdir().expect("maria");
    let joe = tempfile::tempdir().expect("joe");
    let (running, addr) = start(relay_dir.path(), "127.0.0.1:0".parse().expect("addr")).await;
    let url = format!("http://{addr}");
    let (m, j) = (maria.path(), joe.path());
    sign_in(m, "maria", &url, "maria@example.com", None).await;
    let (id, code) = team_with_board(
        m,
        "maria",
        "Oak St",
        "Escrow",
        "Order the appraisal #escrow",
        "member",
    )
    .await;
    sign_in(j, "joe", &url, "joe@example.com", Some(&code)).await;
    let first = pl(j, "joe", &["sync"], "").await;
    assert!(first.contains("1 new"), "{first}");
    assert_eq!(
        json(&pl(j, "joe", &["--json", "task", "show", &id], "").await)["title"],
        "Order the appraisal"
    );

    // The relay goes down; both keep working.
    stop(running).await;
    pl(
        m,
        "maria",
        &[
            "task",
            "edit",
            &id,
            "--title",
            "Order the appraisal today",
            "--label",
            "urgent",
        ],
        "",
    )
    .await;
    pl(
        m,
        "maria",
        &["task", "add", "Call the lender", "--board", "Escrow"],
        "",
    )
    .await;
    pl(
        j,
        "joe",
        &[
            "task",
            "edit",
            &id,
            "--priority",
            "high",
            "--description",
            "Use Smith Appraisals",
        ],
        "",
    )
    .await;
    pl(
        j,
        "joe",
        &[
            "task",
            "add",
            "Send the inspection report",
            "--board",
            "Escrow",
        ],
        "",
    )
    .await;
    pl(j, "joe", &["task", "move", &id, "--column", "Doing"], "").await;

    // Back up on the same address; both sync (twice round, as people would).
    let (running, _) = start(relay_dir.path(), addr).await;
    pl(m, "maria", &["sync"], "").await;
    pl(j, "joe", &["sync"], "").await;
    pl(m, "maria", &["sync"], "").await;

    let board_m = json(&pl(m, "maria", &["--json", "board", "show", "Escrow"], "").await);
    let board_j = json(&pl(j, "joe", &["--json", "board", "show", "Escrow"], "").await);
    assert_eq!(board_m, board_j, "the two profiles differ after sync");
    let t = json(&pl(m, "maria", &["--json", "task", "show", &id], "").await);
    assert_eq!(t["title"], "Order the appraisal today");
    assert_eq!(t["priority"], "high");
    assert_eq!(t["description"], "Use Smith Appraisals");
    assert_eq!(t["labels"], serde_json::json!(["escrow", "urgent"]));
    assert_eq!(board_m["tasks"].as_array().expect("tasks").len(), 3);
    stop(running).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_is_told_read_only_and_teammates_never_see_its_changes() {
    let relay_dir = tempfile::tempdir().expect("relay dir");
    let owner = tempfile::tempdir().expect("owner");
    let viewer = tempfile::tempdir().expect("viewer");
    let (running, addr) = start(relay_dir.path(), "127.0.0.1:0".parse().expect("addr")).await;
    let url = format!("http://{addr}");
    let (o, v) = (owner.path(), viewer.path());
    sign_in(o, "olga", &url, "olga@example.com", None).await;
    let (id, code) = team_with_board(o, "olga", "Elm", "Listing", "Photos", "viewer").await;
    sign_in(v, "vic", &url, "vic@example.com", Some(&code)).await;
    pl(v, "vic", &["sync"], "").await;
    pl(
        v,
        "vic",
        &["task", "edit", &id, "--title", "Vandalised"],
        "",
    )
    .await;
    let out = pl(v, "vic", &["sync"], "").await;
    assert!(out.contains("read-only"), "{out}");
    pl(o, "olga", &["sync"], "").await;
    assert_eq!(
        json(&pl(o, "olga", &["--json", "task", "show", &id], "").await)["title"],
        "Photos"
    );
    stop(running).await;
}

/// Waits up to `secs` for a line containing `needle` from the watcher.
fn wait_for(lines: &std::sync::mpsc::Receiver<String>, needle: &str, secs: u64) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

async fn eventually(dir: &Path, user: &str, id: &str, field: &str, want: &str) -> bool {
    for _ in 0..40 {
        let t = json(&pl(dir, user, &["--json", "task", "show", id], "").await);
        if t[field] == want {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_sends_and_receives_live_and_reconnects_after_the_relay_restarts() {
    let relay_dir = tempfile::tempdir().expect("relay dir");
    let maria = tempfile::tempdir().expect("maria");
    let joe = tempfile::tempdir().expect("joe");
    let (running, addr) = start(relay_dir.path(), "127.0.0.1:0".parse().expect("addr")).await;
    let url = format!("http://{addr}");
    let (m, j) = (maria.path(), joe.path());
    sign_in(m, "maria", &url, "maria@example.com", None).await;
    let (id, code) =
        team_with_board(m, "maria", "Oak St", "Escrow", "Wire the deposit", "member").await;
    sign_in(j, "joe", &url, "joe@example.com", Some(&code)).await;
    pl(j, "joe", &["sync"], "").await;

    let mut watcher = Command::new(env!("CARGO_BIN_EXE_porchlight"))
        .arg("--data-dir")
        .arg(j)
        .args(["--user", "joe", "--tz", "UTC", "sync", "--watch"])
        .env("PORCHLIGHT_SECRETS", "file")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("watcher");
    let (tx, lines) = std::sync::mpsc::channel();
    for pipe in [
        watcher
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        watcher
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in std::io::BufRead::lines(std::io::BufReader::new(pipe)).map_while(Result::ok)
            {
                let _ = tx.send(line);
            }
        });
    }
    assert!(
        wait_for(&lines, "connected", 20),
        "the watcher did not connect"
    );

    // A teammate's change arrives without running sync by hand.
    pl(
        m,
        "maria",
        &["task", "edit", &id, "--title", "Wire the deposit by noon"],
        "",
    )
    .await;
    pl(m, "maria", &["sync"], "").await;
    assert!(
        wait_for(&lines, "remote change", 20),
        "no remote change printed"
    );
    assert!(eventually(j, "joe", &id, "title", "Wire the deposit by noon").await);

    // A local edit goes out while the watcher runs.
    pl(
        j,
        "joe",
        &["task", "edit", &id, "--description", "Account ends 4411"],
        "",
    )
    .await;
    let mut seen = false;
    for _ in 0..20 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        pl(m, "maria", &["sync"], "").await;
        if json(&pl(m, "maria", &["--json", "task", "show", &id], "").await)["description"]
            == "Account ends 4411"
        {
            seen = true;
            break;
        }
    }
    assert!(seen, "joe's local edit did not reach maria");

    // The relay restarts; the watcher reconnects and keeps receiving.
    stop(running).await;
    assert!(
        wait_for(&lines, "reconnecting", 20),
        "the watcher did not notice the relay going away"
    );
    let (running, _) = start(relay_dir.path(), addr).await;
    assert!(
        wait_for(&lines, "connected", 30),
        "the watcher did not reconnect"
    );
    pl(
        m,
        "maria",
        &["task", "edit", &id, "--priority", "urgent"],
        "",
    )
    .await;
    pl(m, "maria", &["sync"], "").await;
    assert!(
        eventually(j, "joe", &id, "priority", "urgent").await,
        "no change after the reconnect"
    );
    let _ = watcher.kill();
    let _ = watcher.wait();
    stop(running).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_roles_removals_and_ownership_go_by_email() {
    let relay_dir = tempfile::tempdir().expect("relay dir");
    let owner = tempfile::tempdir().expect("owner");
    let agent = tempfile::tempdir().expect("agent");
    let (running, addr) = start(relay_dir.path(), "127.0.0.1:0".parse().expect("addr")).await;
    let url = format!("http://{addr}");
    let (o, a) = (owner.path(), agent.path());
    sign_in(o, "olga", &url, "olga@example.com", None).await;
    let (_, code) = team_with_board(o, "olga", "Elm", "Listing", "Photos", "member").await;
    sign_in(a, "abe", &url, "abe@example.com", Some(&code)).await;
    let out = pl(
        o,
        "olga",
        &["team", "role", "Elm", "Abe@Example.com", "admin"],
        "",
    )
    .await;
    assert!(out.contains("abe@example.com is now admin"), "{out}");
    // An unknown email says where to look.
    let (code, _, err) = common::run_cli(
        o,
        &[
            "--user",
            "olga",
            "team",
            "remove",
            "Elm",
            "nobody@example.com",
        ],
        "",
    );
    assert_ne!(code, 0);
    assert!(err.contains("team members Elm"), "{err}");
    // The only owner cannot leave; after handing over, she can.
    let (code, _, err) = common::run_cli(
        o,
        &[
            "--user",
            "olga",
            "team",
            "remove",
            "Elm",
            "olga@example.com",
        ],
        "",
    );
    assert_ne!(code, 0);
    assert!(err.contains("last owner"), "{err}");
    let out = pl(
        o,
        "olga",
        &["team", "transfer", "Elm", "abe@example.com"],
        "",
    )
    .await;
    assert!(out.contains("abe@example.com now owns team Elm"), "{out}");
    let members = json(&pl(a, "abe", &["--json", "team", "members", "Elm"], "").await);
    let role = |email: &str| {
        members
            .as_array()
            .and_then(|m| m.iter().find(|m| m["email"] == email))
            .map(|m| m["role"].clone())
    };
    assert_eq!(role("abe@example.com"), Some(serde_json::json!("owner")));
    assert_eq!(role("olga@example.com"), Some(serde_json::json!("admin")));
    pl(
        o,
        "olga",
        &["team", "remove", "Elm", "olga@example.com"],
        "",
    )
    .await;
    let out = pl(a, "abe", &["team", "members", "Elm"], "").await;
    assert!(!out.contains("olga@example.com"), "{out}");
    // The team's audit log shows it, with who did it.
    let out = pl(a, "abe", &["team", "audit", "Elm"], "").await;
    for want in [
        "team.transferred",
        "member.removed",
        "member.role",
        "olga@example.com",
    ] {
        assert!(out.contains(want), "no {want} in:\n{out}");
    }
    // Devices, and a password change that signs the other ones out.
    let listed = json(&pl(a, "abe", &["--json", "devices"], "").await);
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    let out = pl(
        a,
        "abe",
        &["password"],
        "abe password\nabe's new passphrase\n",
    )
    .await;
    assert!(out.contains("Password changed"), "{out}");
    let (code, _, err) =
        common::run_cli(a, &["--user", "abe", "password"], "wrong\nwhatever else\n");
    assert_ne!(code, 0);
    assert!(err.contains("wrong email or password"), "{err}");
    stop(running).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_are_made_listed_and_revoked_and_the_admin_reads_the_relay_log() {
    let relay_dir = tempfile::tempdir().expect("relay dir");
    let owner = tempfile::tempdir().expect("owner");
    let (running, addr) = start(relay_dir.path(), "127.0.0.1:0".parse().expect("addr")).await;
    let url = format!("http://{addr}");
    let o = owner.path();
    sign_in(o, "olga", &url, "olga@example.com", None).await;
    team_with_board(o, "olga", "Elm", "Listing", "Photos", "member").await;
    let made = json(
        &pl(
            o,
            "olga",
            &[
                "--json",
                "apikey",
                "create",
                "--team",
                "Elm",
                "--scope",
                "read",
                "--name",
                "Calendar script",
                "--expires",
                "30d",
            ],
            "",
        )
        .await,
    );
    let key = made["key"].as_str().expect("key").to_string();
    assert!(key.starts_with("plk_"), "{made}");
    // The key reads the team's documents through the REST API.
    let teams = json(&pl(o, "olga", &["--json", "team", "list"], "").await);
    let team = teams[0]["id"].as_i64().expect("team id");
    let docs = reqwest::Client::new()
        .get(format!("{url}/api/teams/{team}/documents"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("documents");
    assert_eq!(docs.status(), 200);
    let out = pl(o, "olga", &["apikey", "list", "--team", "Elm"], "").await;
    assert!(out.contains("Calendar script"), "{out}");
    assert!(out.contains("read"), "{out}");
    assert!(!out.contains(&key), "the list printed the key:\n{out}");
    let id = made["info"]["id"].as_i64().expect("id").to_string();
    let out = pl(o, "olga", &["apikey", "revoke", "--team", "Elm", &id], "").await;
    assert!(out.contains("revoked"), "{out}");
    let refused = reqwest::Client::new()
        .get(format!("{url}/api/teams"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("teams");
    assert_eq!(refused.status(), 401);
    let (code, _, err) = common::run_cli(
        o,
        &[
            "--user", "olga", "apikey", "create", "--team", "Elm", "--scope", "admin",
        ],
        "",
    );
    assert_ne!(code, 0);
    assert!(err.contains("use read or write"), "{err}");
    // The first account administers the relay and reads its account log.
    let out = pl(o, "olga", &["audit"], "").await;
    assert!(out.contains("signup"), "{out}");
    assert!(out.contains("olga@example.com"), "{out}");
    stop(running).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_board_is_named_and_the_rest_still_syncs() {
    let relay_dir = tempfile::tempdir().expect("relay dir");
    let (olga, vic) = (
        tempfile::tempdir().expect("olga"),
        tempfile::tempdir().expect("vic"),
    );
    let (running, addr) = start(relay_dir.path(), "127.0.0.1:0".parse().expect("addr")).await;
    let url = format!("http://{addr}");
    let (o, v) = (olga.path(), vic.path());
    sign_in(o, "olga", &url, "olga@example.com", None).await;
    let (_, code) = team_with_board(o, "olga", "Oak", "Oak board", "Todo", "viewer").await;
    sign_in(v, "vic", &url, "vic@example.com", Some(&code)).await;
    // Vic owns a team of his own, and views Oak.
    pl(v, "vic", &["team", "create", "Elm"], "").await;
    pl(v, "vic", &["board", "new", "Elm board"], "").await;
    pl(
        v,
        "vic",
        &["board", "share", "Elm board", "--team", "Elm"],
        "",
    )
    .await;
    // A board shared with a team where he is a viewer is refused by the relay.
    pl(v, "vic", &["board", "new", "Side notes"], "").await;
    pl(
        v,
        "vic",
        &["board", "share", "Side notes", "--team", "Oak"],
        "",
    )
    .await;
    let out = pl(v, "vic", &["sync"], "").await;
    assert!(
        out.contains("problem: board 'Side notes'") && out.contains("viewers cannot add documents"),
        "the refusal is not named:\n{out}"
    );
    assert!(out.contains("Synced"), "{out}");
    // The rest went through: his own team's board, and the Oak board.
    let boards = pl(v, "vic", &["board", "list"], "").await;
    assert!(boards.contains("Oak board"), "{boards}");
    let summary = json(&pl(v, "vic", &["--json", "sync"], "").await);
    let docs = summary["documents"].as_u64().expect("documents");
    assert!(
        docs >= 3,
        "Oak's workspace and board, Elm's workspace and board: {summary}"
    );
    stop(running).await;
}

/// Fetches `url` until its body contains `needle` (the relay reads a
/// board into its view a moment after the sync).
async fn fetch_until(url: &str, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        let resp = reqwest::get(url).await.expect("feed");
        let status = resp.status().as_u16();
        last = resp.text().await.unwrap_or_default();
        if status == 200 && last.contains(needle) {
            return last;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{url} never had {needle}:\n{last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_url_prints_a_feed_of_the_shared_board_and_rotate_replaces_it() {
    let relay_dir = tempfile::tempdir().expect("relay dir");
    let maria = tempfile::tempdir().expect("maria");
    let (running, addr) = start(relay_dir.path(), "127.0.0.1:0".parse().expect("addr")).await;
    let url = format!("http://{addr}");
    let m = maria.path();
    sign_in(m, "maria", &url, "maria@example.com", None).await;
    team_with_board(
        m,
        "maria",
        "Oak St",
        "Escrow",
        "Order the appraisal",
        "member",
    )
    .await;
    pl(
        m,
        "maria",
        &[
            "task",
            "add",
            "Final walk-through 2027-03-19 10am @maria",
            "--board",
            "Escrow",
        ],
        "",
    )
    .await;
    pl(m, "maria", &["sync"], "").await;

    // In one team: no --team needed.
    let feed = pl(m, "maria", &["calendar", "url"], "")
        .await
        .trim()
        .to_string();
    assert!(feed.starts_with(&format!("{url}/ical/")), "{feed}");
    let body = fetch_until(&feed, "Final walk-through").await;
    assert!(body.contains("BEGIN:VCALENDAR\r\n"), "{body}");
    assert!(
        !body.contains("Order the appraisal"),
        "a task without a due date:\n{body}"
    );
    assert_eq!(pl(m, "maria", &["calendar", "url"], "").await.trim(), feed);

    let board = json(
        &pl(
            m,
            "maria",
            &["--json", "calendar", "url", "--board", "Escrow", "--mine"],
            "",
        )
        .await,
    );
    assert_eq!(board["mine"], true);
    let mine = board["url"].as_str().expect("url");
    fetch_until(mine, "Final walk-through").await;

    let rotated = pl(m, "maria", &["calendar", "url", "--rotate"], "")
        .await
        .trim()
        .to_string();
    assert_ne!(rotated, feed);
    assert_eq!(reqwest::get(&feed).await.expect("old").status(), 404);
    fetch_until(&rotated, "Final walk-through").await;

    // A board that is not shared has no feed, and the error says what to do.
    pl(m, "maria", &["board", "new", "Private"], "").await;
    let (code, _, err) = common::run_cli(
        m,
        &["--user", "maria", "calendar", "url", "--board", "Private"],
        "",
    );
    assert_ne!(code, 0);
    assert!(err.contains("board share"), "{err}");
    stop(running).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_added_tested_logged_and_removed_from_the_cli() {
    let relay_dir = tempfile::tempdir().expect("relay dir");
    let olga = tempfile::tempdir().expect("olga");
    let (running, addr) = common::start_with(
        relay_dir.path(),
        "127.0.0.1:0".parse().expect("addr"),
        |c| c.limits.webhook_private_targets = true,
    )
    .await;
    let url = format!("http://{addr}");
    let o = olga.path();
    sign_in(o, "olga", &url, "olga@example.com", None).await;
    team_with_board(o, "olga", "Elm", "Escrow", "Order the appraisal", "member").await;
    // A receiver that counts what it hears.
    let heard = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let h = heard.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |_body: String| {
            let h = h.clone();
            async move {
                h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let hook_url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let made = json(
        &pl(
            o,
            "olga",
            &[
                "--json",
                "webhook",
                "add",
                "--team",
                "Elm",
                &hook_url,
                "--events",
                "task.created,task.completed",
                "--board",
                "Escrow",
            ],
            "",
        )
        .await,
    );
    assert!(
        made["secret"]
            .as_str()
            .is_some_and(|s| s.starts_with("whsec_")),
        "{made}"
    );
    let id = made["info"]["id"].as_i64().expect("id").to_string();
    let list = pl(o, "olga", &["webhook", "list", "--team", "Elm"], "").await;
    assert!(
        list.contains(&hook_url) && list.contains("task.created,task.completed"),
        "{list}"
    );
    assert!(!list.contains("whsec_"), "{list}");
    let out = pl(o, "olga", &["webhook", "test", "--team", "Elm", &id], "").await;
    assert!(out.contains("on its way"), "{out}");
    let mut log = String::new();
    for _ in 0..50 {
        log = pl(o, "olga", &["webhook", "log", "--team", "Elm", &id], "").await;
        if log.contains("delivered") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        log.contains("webhook.test") && log.contains("delivered") && log.contains("200"),
        "{log}"
    );
    assert!(heard.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    // A bad event is named.
    let (code, _, err) = common::run_cli(
        o,
        &[
            "--user",
            "olga",
            "webhook",
            "add",
            "--team",
            "Elm",
            &hook_url,
            "--events",
            "task.exploded",
        ],
        "",
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("task.exploded") && err.contains("task.created"),
        "{err}"
    );
    let out = pl(o, "olga", &["webhook", "remove", "--team", "Elm", &id], "").await;
    assert!(out.contains("removed"), "{out}");
    stop(running).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_exports_its_data_and_deletes_itself() {
    let relay_dir = tempfile::tempdir().expect("relay dir");
    let (maria, joe, fresh) = (
        tempfile::tempdir().expect("maria"),
        tempfile::tempdir().expect("joe"),
        tempfile::tempdir().expect("fresh"),
    );
    let (running, addr) = start(relay_dir.path(), "127.0.0.1:0".parse().expect("addr")).await;
    let url = format!("http://{addr}");
    let (m, j) = (maria.path(), joe.path());
    sign_in(m, "maria", &url, "maria@example.com", None).await;
    let (task, code) =
        team_with_board(m, "maria", "Elm", "Escrow", "Order the appraisal", "member").await;
    sign_in(j, "joe", &url, "joe@example.com", Some(&code)).await;
    pl(j, "joe", &["sync"], "").await;
    pl(
        j,
        "joe",
        &["task", "comment", &task, "Lender says Friday."],
        "",
    )
    .await;
    pl(j, "joe", &["sync"], "").await;

    // The export: account.json and each document of the team.
    let out = j.join("export");
    let summary = json(
        &pl(
            j,
            "joe",
            &[
                "--json",
                "account",
                "export",
                "--output",
                out.to_str().expect("path"),
            ],
            "",
        )
        .await,
    );
    assert_eq!(summary["teams"], 1, "{summary}");
    let account: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("account.json")).expect("account.json"))
            .expect("json");
    assert_eq!(account["email"], "joe@example.com");
    assert_eq!(account["teams"][0]["name"], "Elm");
    assert_eq!(account["teams"][0]["role"], "member");
    assert!(
        account["audit"]
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e["event"] == "signup")),
        "{account}"
    );
    let docs: Vec<std::path::PathBuf> = std::fs::read_dir(out.join("documents"))
        .expect("documents")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    assert_eq!(
        docs.len(),
        summary["documents"].as_u64().expect("n") as usize
    );
    // The board file imports into a new profile, comment and all.
    let mut imported = false;
    for d in &docs {
        let (code, _, _) = common::run_cli(
            fresh.path(),
            &[
                "--user",
                "ana",
                "board",
                "import",
                d.to_str().expect("path"),
            ],
            "",
        );
        imported |= code == 0;
    }
    assert!(imported, "no exported document imported as a board");
    let shown = json(&pl(fresh.path(), "ana", &["--json", "task", "show", &task], "").await);
    assert_eq!(
        shown["comments"][0]["text"], "Lender says Friday.",
        "{shown}"
    );
    // An export never overwrites.
    let (code, _, err) = common::run_cli(
        j,
        &[
            "--user",
            "joe",
            "account",
            "export",
            "--output",
            out.to_str().expect("path"),
        ],
        "",
    );
    assert_ne!(code, 0);
    assert!(err.contains("not an empty folder"), "{err}");

    // Maria is the team's last owner with a member: she cannot go yet.
    let (code, _, err) = common::run_cli(
        m,
        &["--user", "maria", "account", "delete"],
        "maria password\n",
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("last owner") && err.contains("team transfer"),
        "{err}"
    );
    // A wrong password deletes nothing.
    let (code, _, _) = common::run_cli(
        j,
        &["--user", "joe", "account", "delete"],
        "not my password\n",
    );
    assert_ne!(code, 0);
    let out = pl(j, "joe", &["account", "delete"], "joe password\n").await;
    assert!(out.contains("deleted"), "{out}");
    // Joe can no longer sign in, he is gone from the team, and his comment stays.
    let (code, _, _) = common::run_cli(
        j,
        &[
            "--user",
            "joe",
            "login",
            "--relay",
            &url,
            "--email",
            "joe@example.com",
        ],
        "joe password\n",
    );
    assert_ne!(code, 0);
    let members = pl(m, "maria", &["team", "members", "Elm"], "").await;
    assert!(!members.contains("joe@example.com"), "{members}");
    pl(m, "maria", &["sync"], "").await;
    let shown = json(&pl(m, "maria", &["--json", "task", "show", &task], "").await);
    assert_eq!(shown["comments"][0]["text"], "Lender says Friday.");
    stop(running).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_reset_says_when_the_relay_sends_no_email() {
    let relay_dir = tempfile::tempdir().expect("relay dir");
    let p = tempfile::tempdir().expect("profile");
    let (running, addr) = start(relay_dir.path(), "127.0.0.1:0".parse().expect("addr")).await;
    let url = format!("http://{addr}");
    sign_in(p.path(), "olga", &url, "olga@example.com", None).await;
    let (code, _, err) = common::run_cli(
        p.path(),
        &[
            "--user",
            "olga",
            "password-reset",
            "--relay",
            &url,
            "--email",
            "olga@example.com",
        ],
        "",
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("sends no email") && err.contains("--smtp"),
        "{err}"
    );
    let (code, _, err) = common::run_cli(
        p.path(),
        &[
            "--user",
            "olga",
            "password-reset",
            "--relay",
            &url,
            "--email",
            "olga@example.com",
            "--code",
            "12345-67890",
        ],
        "a new password\n",
    );
    assert_ne!(code, 0);
    assert!(err.contains("sends no email"), "{err}");
    stop(running).await;
}

#[tokio::test]
async fn mail_settings_and_the_teams_retention_from_the_cli() {
    let relay_dir = tempfile::tempdir().expect("relay dir");
    let p = tempfile::tempdir().expect("profile");
    let (running, addr) = start(relay_dir.path(), "127.0.0.1:0".parse().expect("addr")).await;
    let url = format!("http://{addr}");
    sign_in(p.path(), "olga", &url, "olga@example.com", None).await;
    pl(p.path(), "olga", &["team", "create", "Oak St team"], "").await;

    // The digest is on by default, in UTC until a zone is given.
    let shown = pl(p.path(), "olga", &["account", "mail"], "").await;
    assert!(
        shown.contains("Daily digest: on") && shown.contains("UTC"),
        "{shown}"
    );
    let saved = json(
        &pl(
            p.path(),
            "olga",
            &[
                "--json",
                "account",
                "mail",
                "--time-zone",
                "America/Chicago",
                "--digest",
                "off",
                "--mentions",
                "off",
            ],
            "",
        )
        .await,
    );
    assert_eq!(
        saved,
        serde_json::json!({ "time_zone": "America/Chicago", "digest": false, "mentions": false })
    );
    let shown = pl(p.path(), "olga", &["account", "mail"], "").await;
    assert!(shown.contains("Mentions by email: off."), "{shown}");
    for (args, says) in [
        (vec!["account", "mail", "--time-zone", "Mars/Base"], "IANA"),
        (
            vec!["account", "mail", "--digest", "sometimes"],
            "on or off",
        ),
        (
            vec!["team", "retention", "Oak St team", "--days", "99999"],
            "3650",
        ),
    ] {
        let mut all: Vec<String> = vec!["--user".into(), "olga".into()];
        all.extend(args.iter().map(|a| a.to_string()));
        let dir = p.path().to_path_buf();
        let (code, _, err) = tokio::task::spawn_blocking(move || {
            let all: Vec<&str> = all.iter().map(String::as_str).collect();
            common::run_cli(&dir, &all, "")
        })
        .await
        .expect("join");
        assert_ne!(code, 0, "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
    }

    let shown = pl(p.path(), "olga", &["team", "retention", "Oak St team"], "").await;
    assert!(shown.contains("for ever"), "{shown}");
    let set = pl(
        p.path(),
        "olga",
        &["team", "retention", "Oak St team", "--days", "30"],
        "",
    )
    .await;
    assert!(set.contains("30 day(s)"), "{set}");
    let back = json(
        &pl(
            p.path(),
            "olga",
            &["--json", "team", "retention", "Oak St team"],
            "",
        )
        .await,
    );
    assert_eq!(back, serde_json::json!({ "deleted_task_days": 30 }));
    let again = pl(
        p.path(),
        "olga",
        &["team", "retention", "Oak St team", "--forever"],
        "",
    )
    .await;
    assert!(again.contains("for ever"), "{again}");
    stop(running).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_and_mentions_travel_through_the_relay() {
    let relay_dir = tempfile::tempdir().expect("relay dir");
    let maria = tempfile::tempdir().expect("maria");
    let joe = tempfile::tempdir().expect("joe");
    let (running, addr) = start(relay_dir.path(), "127.0.0.1:0".parse().expect("addr")).await;
    let url = format!("http://{addr}");
    let (m, j) = (maria.path(), joe.path());
    sign_in(m, "maria", &url, "maria@example.com", None).await;
    let (id, code) =
        team_with_board(m, "maria", "Oak St", "Escrow", "Lockbox code", "member").await;
    pl(
        m,
        "maria",
        &[
            "template",
            "new",
            "Short sale",
            "--anchor",
            "contract",
            "--step",
            "contract + 30 days | Lender approval",
        ],
        "",
    )
    .await;
    let shared = pl(m, "maria", &["template", "share", "--team", "Oak St"], "").await;
    assert!(shared.contains("shared with team Oak St"), "{shared}");
    pl(
        m,
        "maria",
        &["task", "comment", &id, "@joe can you get the code?"],
        "",
    )
    .await;
    pl(m, "maria", &["sync"], "").await;

    sign_in(j, "joe", &url, "joe@example.com", Some(&code)).await;
    pl(j, "joe", &["sync"], "").await;
    let list = pl(j, "joe", &["template", "list"], "").await;
    assert!(list.contains("Short sale"), "{list}");
    let inbox = pl(j, "joe", &["inbox"], "").await;
    assert!(inbox.contains("@joe can you get the code?"), "{inbox}");
    // Joe edits the team's template and reads the mention; maria gets both.
    pl(
        j,
        "joe",
        &[
            "template",
            "edit",
            "Short sale",
            "--add-step",
            "contract + 45 days | Close",
        ],
        "",
    )
    .await;
    pl(j, "joe", &["inbox", "read", "--all"], "").await;
    pl(j, "joe", &["sync"], "").await;
    pl(m, "maria", &["sync"], "").await;
    let shown = pl(m, "maria", &["template", "show", "Short sale"], "").await;
    assert!(shown.contains("Close"), "{shown}");
    let read = json(&pl(m, "maria", &["--json", "task", "show", &id], "").await);
    assert_eq!(
        read["inbox"]["joe"].as_object().map(|o| o.len()),
        Some(1),
        "{read}"
    );

    // Maria renames Joe; his devices still call him `joe`, and the mention
    // he read is still his, read, under the new name.
    let renamed = pl(m, "maria", &["people", "rename", "@joe", "joe.b"], "").await;
    assert!(
        renamed.contains("Renamed @joe to @joe.b on 1 board"),
        "{renamed}"
    );
    pl(m, "maria", &["sync"], "").await;
    pl(j, "joe", &["sync"], "").await;
    let people = pl(j, "joe", &["people"], "").await;
    assert!(people.contains("@joe.b  (formerly @joe)"), "{people}");
    let all = pl(j, "joe", &["inbox", "--all"], "").await;
    assert!(all.contains("@joe.b can you get the code?"), "{all}");
    assert!(all.contains("0 unread"), "{all}");
    let task = json(&pl(j, "joe", &["--json", "task", "show", &id], "").await);
    assert_eq!(
        task["inbox"]["joe.b"].as_object().map(|o| o.len()),
        Some(1),
        "{task}"
    );
    stop(running).await;
}
