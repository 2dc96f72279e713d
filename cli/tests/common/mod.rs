//! Helpers: a relay in this process on loopback, and the CLI as a subprocess.
#![allow(dead_code)]

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};

use porchlight_relay::{Config, Relay};
use tokio::net::TcpListener;

pub struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

pub async fn start(dir: &Path, addr: SocketAddr) -> (Running, SocketAddr) {
    start_with(dir, addr, |_| {}).await
}

/// [`start`] with the relay's configuration adjusted first.
pub async fn start_with(
    dir: &Path,
    addr: SocketAddr,
    adjust: impl FnOnce(&mut Config),
) -> (Running, SocketAddr) {
    let listener = TcpListener::bind(addr).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut config = Config::for_dir(dir.to_path_buf());
    adjust(&mut config);
    let relay = Relay::start(config).await.expect("relay");
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        relay
            .serve(listener, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
    });
    (Running { stop, task }, addr)
}

/// A relay serving HTTPS and WSS with `cert` and `key` on loopback.
pub async fn start_tls(dir: &Path, cert: &Path, key: &Path) -> (Running, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let tls = porchlight_relay::tls::ServerTls::load(cert, key).expect("certificate");
    let listener = porchlight_relay::tls::TlsListener::new(listener, tls).expect("listener");
    let relay = Relay::start(Config::for_dir(dir.to_path_buf()))
        .await
        .expect("relay");
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        relay
            .serve(listener, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
    });
    (Running { stop, task }, addr)
}

pub async fn stop(r: Running) {
    let _ = r.stop.send(());
    let _ = r.task.await;
}

/// Runs porchlight in profile `dir` as `user` (zone UTC), feeding `stdin`;
/// returns stdout, failing the test if the command fails.
pub async fn pl(dir: &Path, user: &str, args: &[&str], stdin: &str) -> String {
    let dir = dir.to_path_buf();
    let mut all: Vec<String> = ["--user", user, "--tz", "UTC"].map(String::from).to_vec();
    all.extend(args.iter().map(|a| a.to_string()));
    let stdin = stdin.to_string();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = all.iter().map(String::as_str).collect();
        let (code, out, err) = run_cli(&dir, &args, &stdin);
        assert_eq!(code, 0, "{args:?}: {err}");
        out
    })
    .await
    .expect("join")
}

/// Runs porchlight (blocking) with `stdin`; returns (exit code, stdout,
/// stderr) whatever the outcome. Tests keep secrets out of the developer's
/// keychain (the keychain itself is tested in keychain.rs) and ignore the
/// developer's relay settings.
pub fn run_cli(dir: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    run_cli_env(dir, args, stdin, &[])
}

/// [`run_cli`] with extra environment variables (e.g. `PORCHLIGHT_CA_FILE`).
pub fn run_cli_env(
    dir: &Path,
    args: &[&str],
    stdin: &str,
    env: &[(&str, &str)],
) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_porchlight"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("PORCHLIGHT_TOKEN")
        .env_remove("PORCHLIGHT_RELAY")
        .env_remove("PORCHLIGHT_CA_FILE")
        .envs(env.iter().copied())
        .env("PORCHLIGHT_SECRETS", "file")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    if let Some(mut s) = child.stdin.take() {
        let _ = s.write_all(stdin.as_bytes());
    }
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[allow(unused_imports)]
pub use porchlight_testkit::jpeg::jpeg_image;

/// The keys of every cached listing, sorted.
pub fn cached(p: &porchlight_store::Profile) -> Vec<String> {
    let mut keys: Vec<String> = p
        .listings()
        .search(&porchlight_store::profile::ListingQuery {
            limit: Some(1000),
            ..Default::default()
        })
        .expect("search")
        .into_iter()
        .map(|c| c.key)
        .collect();
    keys.sort();
    keys
}

pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("json")
}

/// Signs up (with an invite after the first account) and logs in.
pub async fn sign_in(dir: &Path, user: &str, url: &str, email: &str, invite: Option<&str>) {
    let password = format!("{user} password\n");
    let mut signup = vec!["signup", "--relay", url, "--email", email];
    if let Some(code) = invite {
        signup.extend(["--invite", code]);
    }
    pl(dir, user, &signup, &password).await;
    pl(
        dir,
        user,
        &["login", "--relay", url, "--email", email],
        &password,
    )
    .await;
}

/// As `user`: creates `team` and board `board` with one task `title`, shares
/// the board with the team and syncs. Returns the task id and an invite code
/// for `role`.
pub async fn team_with_board(
    dir: &Path,
    user: &str,
    team: &str,
    board: &str,
    title: &str,
    role: &str,
) -> (String, String) {
    pl(dir, user, &["team", "create", team], "").await;
    let invite = json(
        &pl(
            dir,
            user,
            &["--json", "team", "invite", team, "--role", role],
            "",
        )
        .await,
    );
    pl(dir, user, &["board", "new", board], "").await;
    let task = json(
        &pl(
            dir,
            user,
            &["--json", "task", "add", title, "--board", board],
            "",
        )
        .await,
    );
    pl(dir, user, &["board", "share", board, "--team", team], "").await;
    pl(dir, user, &["sync"], "").await;
    (
        task["id"].as_str().expect("task id").to_string(),
        invite["code"].as_str().expect("invite code").to_string(),
    )
}
