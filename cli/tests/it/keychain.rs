//! The device token lives in a real OS keychain: a Secret Service
//! (gnome-keyring) in a private D-Bus session. Signing in stores it there,
//! `sync` reads it from there, no file of the profile and no output holds
//! it, and `logout` removes it.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::{start, stop};

fn require(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{tool} is missing: `make deps` installs gnome-keyring, libsecret-tools and dbus"
    );
}

/// Every byte of every file under `dir` (SQLite, WAL, JSON, anything).
fn contains_anywhere(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path)
                && bytes.windows(needle.len()).any(|w| w == needle)
            {
                hits.push(path.display().to_string());
            }
        }
    }
    hits
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_kept_in_the_secret_service_and_nowhere_else() {
    for tool in ["dbus-run-session", "gnome-keyring-daemon", "secret-tool"] {
        require(tool);
    }
    let relay_dir = tempfile::tempdir().expect("relay");
    let profile = tempfile::tempdir().expect("profile");
    let (running, addr) = start(relay_dir.path(), "127.0.0.1:0".parse().expect("addr")).await;
    let dir = profile.path().to_path_buf();
    // A keyring of its own: gnome-keyring keeps keyrings under the home
    // directory, and one left by another run has another password.
    let home = tempfile::tempdir().expect("home");
    let home_dir = home.path().to_path_buf();
    let bin = env!("CARGO_BIN_EXE_porchlight");
    // One D-Bus session for the whole story, with an unlocked keyring.
    // PORCHLIGHT_SECRETS=keychain: a keychain that does not work is an error,
    // never a silent fall back to the file.
    let script = format!(
        r#"set -euo pipefail
mkdir -p "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
echo -n unlock-the-test-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null
export PORCHLIGHT_SECRETS=keychain
pl() {{ "{bin}" --data-dir "{dir}" --user kim "$@"; }}
echo "a long password" | pl signup --relay http://{addr} --email kim@example.com >/dev/null
echo "a long password" | pl login --relay http://{addr} --email kim@example.com 2>login.err >/dev/null
echo "== login stderr"; cat login.err
pl board new "Keychain board" >/dev/null
pl sync 2>&1
echo "== keyring"; secret-tool search --all service porchlight 2>&1 | grep -E '^(secret|attribute)' || true
pl logout
echo "== after logout"; secret-tool search --all service porchlight 2>&1 | grep -c '^secret' || true
pl sync 2>&1 || echo "sync refused: $?"
"#,
        dir = dir.display()
    );
    let out = tokio::task::spawn_blocking(move || {
        Command::new("dbus-run-session")
            .args(["--", "bash", "-c", &script])
            .current_dir(&dir)
            .env("HOME", &home_dir)
            .env("XDG_DATA_HOME", home_dir.join("data"))
            .env("XDG_CACHE_HOME", home_dir.join("cache"))
            .env_remove("PORCHLIGHT_TOKEN")
            .env_remove("PORCHLIGHT_RELAY")
            .output()
            .expect("dbus-run-session")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stdout}\n{stderr}");

    let section = |name: &str| -> String {
        stdout
            .split(&format!("== {name}\n"))
            .nth(1)
            .and_then(|s| s.split("\n== ").next())
            .unwrap_or_default()
            .to_string()
    };
    // Signed in with no warning about a missing keychain.
    assert!(!section("login stderr").contains("warning"), "{stdout}");
    assert!(
        stdout.contains("Synced"),
        "sync works with the keychain token:\n{stdout}"
    );
    // The token is in the keyring, under the porchlight service.
    let keyring = section("keyring");
    let token = keyring
        .lines()
        .find_map(|l| l.strip_prefix("secret = "))
        .unwrap_or_default()
        .trim()
        .to_string();
    assert_eq!(token.len(), 64, "a device token in the keyring: {stdout}");
    assert!(keyring.contains("relay-token@"), "{keyring}");
    // ...and in no file of the profile: not SQLite, not relay.json, not a
    // secrets file.
    let leaks = contains_anywhere(profile.path(), token.as_bytes());
    assert!(leaks.is_empty(), "the token leaked into {leaks:?}");
    // Nor in anything the CLI printed (the one copy is secret-tool's
    // listing).
    assert_eq!(
        stdout.matches(&token).count(),
        1,
        "the token was printed:\n{stdout}"
    );
    assert!(!stderr.contains(&token), "the token was logged:\n{stderr}");
    // Logout removes it from the keyring; sync then asks to sign in.
    assert_eq!(
        section("after logout").lines().next().map(str::trim),
        Some("0"),
        "{stdout}"
    );
    assert!(stdout.contains("not signed in"), "{stdout}");
    stop(running).await;
}
