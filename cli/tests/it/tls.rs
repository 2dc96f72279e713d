//! Porchlight on TLS, with certificates made in the test (rcgen) and
//! trusted the way users trust a private CA (`PORCHLIGHT_CA_FILE` or the
//! connection's CA file): the relay over HTTPS/WSS end to end, RESO and
//! RETS servers and a photo over HTTPS, and the refusals — an untrusted,
//! expired or misnamed certificate, plain http:// to another machine, and
//! a next link to another origin (which must not receive the token).

use crate::common;
use porchlight_testkit::certs;
use porchlight_testkit::reso as fake_reso;
use porchlight_testkit::rets as fake_rets;

use std::path::Path;
use std::sync::{Arc, Mutex};

use certs::TestCa;
use serde_json::{Value, json};

/// The CLI off the runtime's threads (the servers run on them).
async fn cli(
    dir: &Path,
    args: &[&str],
    stdin: &str,
    env: &[(&str, &str)],
) -> (i32, String, String) {
    let dir = dir.to_path_buf();
    let args: Vec<String> = ["--user", "kim", "--tz", "UTC"]
        .iter()
        .chain(args)
        .map(|a| a.to_string())
        .collect();
    let stdin = stdin.to_string();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        common::run_cli_env(&dir, &args, &stdin, &env)
    })
    .await
    .expect("join")
}

async fn ok(dir: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> String {
    let (code, out, err) = cli(dir, args, stdin, env).await;
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_over_https_and_wss_signs_up_logs_in_and_syncs_two_profiles() {
    let tmp = tempfile::tempdir().expect("dir");
    let ca = TestCa::new(tmp.path(), "team");
    let cert = ca.server("relay", &["localhost", "127.0.0.1"]);
    let relay_dir = tmp.path().join("relay");
    let (relay, addr) = common::start_tls(&relay_dir, &cert.cert, &cert.key).await;
    let url = format!("https://127.0.0.1:{}", addr.port());
    let (kim, joe) = (tmp.path().join("kim"), tmp.path().join("joe"));
    let ca_file = path(&ca.ca_pem);

    // Kim trusts the CA with the sign-in's --ca-file (saved with it).
    let pw = "kim's long password\n";
    let with_ca = ["--relay", url.as_str(), "--ca-file", ca_file];
    let mut signup = vec!["signup", "--email", "kim@example.com"];
    signup.extend(with_ca);
    ok(&kim, &signup, pw, &[]).await;
    let mut login = vec!["login", "--email", "kim@example.com"];
    login.extend(with_ca);
    ok(&kim, &login, pw, &[]).await;
    ok(&kim, &["team", "create", "Oak St"], "", &[]).await;
    let invite: Value = serde_json::from_str(
        &ok(
            &kim,
            &["--json", "team", "invite", "Oak St", "--role", "member"],
            "",
            &[],
        )
        .await,
    )
    .expect("json");
    ok(&kim, &["board", "new", "Escrow"], "", &[]).await;
    ok(
        &kim,
        &["task", "add", "Order the appraisal", "--board", "Escrow"],
        "",
        &[],
    )
    .await;
    ok(
        &kim,
        &["board", "share", "Escrow", "--team", "Oak St"],
        "",
        &[],
    )
    .await;
    ok(&kim, &["sync"], "", &[]).await;

    // Joe trusts it through PORCHLIGHT_CA_FILE, as a whole machine would.
    let env = [("PORCHLIGHT_CA_FILE", ca_file)];
    let code = invite["code"].as_str().expect("code");
    let pw = "joe's long password\n";
    ok(
        &joe,
        &[
            "signup",
            "--relay",
            &url,
            "--email",
            "joe@example.com",
            "--invite",
            code,
        ],
        pw,
        &env,
    )
    .await;
    ok(
        &joe,
        &["login", "--relay", &url, "--email", "joe@example.com"],
        pw,
        &env,
    )
    .await;
    let out = ok(&joe, &["sync"], "", &env).await;
    assert!(out.contains(&url), "{out}");
    let tasks = ok(&joe, &["task", "list", "--board", "Escrow"], "", &env).await;
    assert!(tasks.contains("Order the appraisal"), "{tasks}");

    // Without the CA, the same relay is refused, with the host and the fix.
    let (code, _, err) = cli(&joe, &["sync"], "", &[]).await;
    assert_ne!(code, 0);
    assert!(
        err.contains(&format!("127.0.0.1:{}", addr.port()))
            && err.contains("not trusted")
            && err.contains("PORCHLIGHT_CA_FILE"),
        "{err}"
    );
    common::stop(relay).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_expired_and_misnamed_certificates_are_refused_in_one_line_each() {
    let tmp = tempfile::tempdir().expect("dir");
    let ca = TestCa::new(tmp.path(), "team");
    let env = [("PORCHLIGHT_CA_FILE", path(&ca.ca_pem))];
    let cases = [
        (
            certs::self_signed(tmp.path(), "selfsigned", &["127.0.0.1"]),
            "not trusted",
        ),
        (ca.expired_server("expired", &["127.0.0.1"]), "expired"),
        (ca.server("misnamed", &["relay.example"]), "another name"),
    ];
    for (i, (cert, want)) in cases.into_iter().enumerate() {
        let (relay, addr) =
            common::start_tls(&tmp.path().join(format!("r{i}")), &cert.cert, &cert.key).await;
        let url = format!("https://127.0.0.1:{}", addr.port());
        let profile = tmp.path().join(format!("p{i}"));
        let (code, _, err) = cli(
            &profile,
            &["signup", "--relay", &url, "--email", "a@example.com"],
            "a long enough password\n",
            &env,
        )
        .await;
        assert_ne!(code, 0, "{want}");
        assert!(
            err.contains(want) && err.contains(&format!("127.0.0.1:{}", addr.port())),
            "{want}: {err}"
        );
        assert!(!err.contains("error sending request"), "{err}");
        common::stop(relay).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_another_machine_is_refused_before_anything_is_sent() {
    let tmp = tempfile::tempdir().expect("dir");
    let (code, _, err) = cli(
        tmp.path(),
        &[
            "login",
            "--relay",
            "http://relay.example:7280",
            "--email",
            "a@example.com",
        ],
        "pw\n",
        &[],
    )
    .await;
    assert_eq!(code, 2, "a user error: {err}");
    assert!(
        err.contains("unencrypted") && err.contains("--allow-insecure-http"),
        "{err}"
    );
    let (code, _, err) = cli(
        tmp.path(),
        &[
            "login",
            "--relay",
            "http://127.0.0.1:9",
            "--email",
            "a@example.com",
        ],
        "pw\n",
        &[],
    )
    .await;
    assert_ne!(code, 0);
    assert!(
        err.contains("connection refused") && !err.contains("unencrypted"),
        "loopback is allowed, and the cause is printed: {err}"
    );
}

fn listings() -> Vec<Value> {
    (0..12)
        .map(|i| {
            json!({
                "ListingKey": format!("S{i:02}"),
                "StandardStatus": "Active",
                "ListPrice": 500_000 + i,
                "City": "Golden",
                "ModificationTimestamp": format!("2026-11-21T08:{i:02}:00Z"),
                "Media": [{ "MediaURL": "MEDIA/1.jpg", "Order": 1 }],
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reso_pages_and_photos_come_over_https_with_the_connections_ca_file() {
    let tmp = tempfile::tempdir().expect("dir");
    let ca = TestCa::new(tmp.path(), "mls");
    let cert = ca.server("reso", &["127.0.0.1"]);
    let (base, fake) = fake_reso::start_with(Vec::new(), Some((&cert.cert, &cert.key))).await;
    assert!(base.starts_with("https://"));
    {
        let mut f = fake.lock().expect("fake");
        f.records = listings()
            .into_iter()
            .map(|mut r| {
                r["Media"][0]["MediaURL"] = json!(format!("{base}/media/1.jpg"));
                r
            })
            .collect();
        f.media.insert("1.jpg".into(), common::jpeg_image(64, 48));
    }
    let p = tmp.path().join("p");
    let (url, token_url) = (format!("{base}/odata"), format!("{base}/token"));
    let add = [
        "mls",
        "add-reso",
        "metro",
        "--url",
        &url,
        "--token-url",
        &token_url,
        "--client-id",
        fake_reso::CLIENT_ID,
        "--page-size",
        "5",
        "--media",
        "--ca-file",
        path(&ca.ca_pem),
    ];
    ok(&p, &add, &format!("{}\n", fake_reso::CLIENT_SECRET), &[]).await;
    let out = ok(&p, &["mls", "pull", "metro"], "", &[]).await;
    assert!(out.contains("12 new"), "{out}");
    let out = ok(&p, &["--json", "listings", "photos", "S03"], "", &[]).await;
    assert!(out.contains("thumb"), "a photo fetched over HTTPS: {out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rets_logs_in_searches_and_answers_basic_over_https() {
    let tmp = tempfile::tempdir().expect("dir");
    let ca = TestCa::new(tmp.path(), "rets");
    let cert = ca.server("rets", &["127.0.0.1"]);
    let records: Vec<fake_rets::Record> = (0..7)
        .map(|i| fake_rets::Record {
            key: format!("B{i}"),
            price: 200_000 + i,
            status: "A",
            features: "",
            city: "Lakewood".into(),
            modified: format!("2026-11-20T07:0{i}:00"),
            remarks: b"Near the park".to_vec(),
        })
        .collect();
    let fake = fake_rets::Fake {
        records,
        max_rows: 3,
        basic: true,
        ..fake_rets::Fake::default()
    };
    let (login, _shared) = fake_rets::start_with(fake, Some((&cert.cert, &cert.key))).await;
    let p = tmp.path().join("p");
    let env = [("PORCHLIGHT_CA_FILE", path(&ca.ca_pem))];
    ok(
        &p,
        &[
            "mls",
            "add-rets",
            "front",
            "--url",
            &login,
            "--user",
            fake_rets::USER,
        ],
        &format!("{}\n", fake_rets::PASSWORD),
        &env,
    )
    .await;
    let out = ok(&p, &["mls", "test", "front"], "", &env).await;
    assert!(out.contains("Maria Lopez"), "{out}");
    let out = ok(&p, &["mls", "pull", "front"], "", &env).await;
    assert!(out.contains("7 new"), "{out}");
}

/// Records every request it gets (method, path, Authorization header).
async fn recorder() -> (String, Arc<Mutex<Vec<String>>>) {
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let seen = seen.clone();
        async move {
            let auth = req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            if let Ok(mut s) = seen.lock() {
                s.push(format!("{} {} auth={auth}", req.method(), req.uri()));
            }
            axum::Json(json!({ "value": [] }))
        }
    });
    let (scheme, addr) = fake_reso::serve(app, None).await;
    (format!("{scheme}://{addr}"), got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_next_link_to_another_origin_is_refused_and_the_token_never_goes_there() {
    let tmp = tempfile::tempdir().expect("dir");
    let (other, got) = recorder().await;
    let (base, fake) = fake_reso::start(listings()).await;
    fake.lock().expect("fake").next_link_origin = Some(other.clone());
    let p = tmp.path().join("p");
    let (url, token_url) = (format!("{base}/odata"), format!("{base}/token"));
    let add = [
        "mls",
        "add-reso",
        "metro",
        "--url",
        &url,
        "--token-url",
        &token_url,
        "--client-id",
        fake_reso::CLIENT_ID,
        "--page-size",
        "5",
    ];
    ok(&p, &add, &format!("{}\n", fake_reso::CLIENT_SECRET), &[]).await;
    let (code, _, err) = cli(&p, &["mls", "pull", "metro"], "", &[]).await;
    assert_ne!(code, 0);
    let other_host = other.trim_start_matches("http://");
    assert!(
        err.contains("refused") && err.contains(other_host.split(':').next().unwrap_or("")),
        "{err}"
    );
    assert!(
        got.lock().expect("log").is_empty(),
        "nothing may reach the other origin: {:?}",
        got.lock().expect("log")
    );
    // The first page stays cached, and the next pull resumes from it.
    let out = ok(
        &p,
        &["--json", "listings", "search", "--limit", "50"],
        "",
        &[],
    )
    .await;
    let found: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(found.as_array().map(Vec::len), Some(5), "{out}");
}
