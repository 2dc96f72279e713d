//! The relay binary serving HTTPS itself: certificates made in the test,
//! a renewed certificate loaded on SIGHUP while an open connection keeps
//! working, a bad renewal keeping the old certificate, and a handshake
//! that never finishes holding up nobody else.

use porchlight_testkit::certs;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use certs::TestCa;

struct RelayProcess(Child);

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts `porchlight-relay serve` with TLS; waits for its "listening" line.
fn spawn(
    dir: &std::path::Path,
    port: u16,
    cert: &std::path::Path,
    key: &std::path::Path,
) -> RelayProcess {
    let mut child = Command::new(env!("CARGO_BIN_EXE_porchlight-relay"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir.join("relay"))
        .arg("--tls-cert")
        .arg(cert)
        .arg("--tls-key")
        .arg(key)
        .env("PORCHLIGHT_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn the relay");
    let out = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(out).lines();
    loop {
        let line = lines.next().expect("the relay exited").expect("read");
        if line.contains("listening") {
            assert!(line.contains("HTTPS"), "{line}");
            break;
        }
    }
    // Keep draining its log so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    RelayProcess(child)
}

fn client(ca: &std::path::Path) -> reqwest::Client {
    let pem = std::fs::read(ca).expect("ca");
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("pem"))
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

async fn healthz(c: &reqwest::Client, port: u16) -> Result<String, reqwest::Error> {
    c.get(format!("https://127.0.0.1:{port}/healthz"))
        .send()
        .await?
        .text()
        .await
}

fn hup(relay: &RelayProcess) {
    let status = Command::new("kill")
        .args(["-HUP", &relay.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

#[tokio::test]
async fn sighup_loads_a_renewed_certificate_without_dropping_open_connections() {
    let tmp = tempfile::tempdir().expect("dir");
    let old_ca = TestCa::new(tmp.path(), "old");
    let new_ca = TestCa::new(tmp.path(), "new");
    let live = old_ca.server("live", &["127.0.0.1"]);
    let port = free_port();
    let relay = spawn(tmp.path(), port, &live.cert, &live.key);

    let trusts_old = client(&old_ca.ca_pem);
    assert_eq!(healthz(&trusts_old, port).await.expect("old cert"), "ok");

    // A renewal signed by another CA replaces the files; SIGHUP.
    let renewed = new_ca.server("renewed", &["127.0.0.1"]);
    std::fs::copy(&renewed.cert, &live.cert).expect("copy cert");
    std::fs::copy(&renewed.key, &live.key).expect("copy key");
    hup(&relay);
    let trusts_new = client(&new_ca.ca_pem);
    let mut answered = None;
    for _ in 0..50 {
        if let Ok(body) = healthz(&trusts_new, port).await {
            answered = Some(body);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        answered.as_deref(),
        Some("ok"),
        "the renewed certificate is served"
    );
    // The connection opened before the reload is still served (a new one
    // would be refused: this client trusts only the old CA).
    assert_eq!(
        healthz(&trusts_old, port).await.expect("kept connection"),
        "ok"
    );
    let fresh_old = client(&old_ca.ca_pem);
    assert!(
        healthz(&fresh_old, port).await.is_err(),
        "new connections get the new certificate"
    );

    // A broken renewal keeps the certificate that works.
    std::fs::write(&live.cert, "not a certificate").expect("break");
    hup(&relay);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = client(&new_ca.ca_pem);
    assert_eq!(healthz(&again, port).await.expect("still serving"), "ok");
}

#[tokio::test]
async fn a_client_that_never_finishes_its_handshake_holds_up_nobody() {
    let tmp = tempfile::tempdir().expect("dir");
    let ca = TestCa::new(tmp.path(), "ca");
    let cert = ca.server("relay", &["127.0.0.1"]);
    let port = free_port();
    let _relay = spawn(tmp.path(), port, &cert.cert, &cert.key);
    // Ten silent TCP connections that never send a ClientHello.
    let mut silent = Vec::new();
    for _ in 0..10 {
        silent.push(
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("connect"),
        );
    }
    let c = client(&ca.ca_pem);
    let answered = tokio::time::timeout(Duration::from_secs(5), healthz(&c, port))
        .await
        .expect("answered while others stall")
        .expect("ok");
    assert_eq!(answered, "ok");
}

#[tokio::test]
async fn tls_flags_need_both_files_and_a_bad_key_is_named() {
    let tmp = tempfile::tempdir().expect("dir");
    let ca = TestCa::new(tmp.path(), "ca");
    let cert = ca.server("relay", &["127.0.0.1"]);
    let other = ca.server("other", &["127.0.0.1"]);
    let run = |args: &[&std::ffi::OsStr]| {
        Command::new(env!("CARGO_BIN_EXE_porchlight-relay"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(tmp.path().join("r"))
            .args(args)
            .output()
            .expect("run")
    };
    let out = run(&["--tls-cert".as_ref(), cert.cert.as_os_str()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-key"));
    let out = run(&[
        "--tls-cert".as_ref(),
        cert.cert.as_os_str(),
        "--tls-key".as_ref(),
        other.key.as_os_str(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("does not fit") && err.contains("other-key.pem"),
        "{err}"
    );
}
