//! The real app, end to end, as a person uses it: a fresh profile signed in
//! to a real relay (port 0), the app under Xvfb, driven through tauri-driver
//! and WebKitWebDriver. Screenshots of the X display go to
//! `target/e2e-screenshots/`.
//!
//! Needs: Xvfb, WebKitWebDriver (webkit2gtk-driver), tauri-driver,
//! ImageMagick's `import` (all installed by `make deps`), and the debug
//! builds of `porchlight-app` and `porchlight` (`make test` builds them).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn require(path: &Path, how: &str) {
    assert!(path.exists(), "{} is missing: {how}", path.display());
}

fn which(tool: &str) -> PathBuf {
    let out = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .expect("sh");
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(!path.is_empty(), "{tool} is missing: run `make deps`");
    PathBuf::from(path)
}

/// A child process killed when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The CLI on a profile (the "second client", and for seeding/checking).
fn pl(dir: &Path, args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let bin = target_dir().join("debug/porchlight");
    require(&bin, "build the CLI (`cargo build -p porchlight-cli`)");
    let mut child = Command::new(bin)
        .arg("--data-dir")
        .arg(dir)
        .args(["--user", "maria", "--tz", "UTC"])
        .args(args)
        .env("PORCHLIGHT_SECRETS", "file")
        .env_remove("PORCHLIGHT_TOKEN")
        .env_remove("PORCHLIGHT_RELAY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn porchlight");
    if let Some(mut s) = child.stdin.take() {
        let _ = s.write_all(stdin.as_bytes());
    }
    let out = child.wait_with_output().expect("porchlight");
    assert!(
        out.status.success(),
        "porchlight {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A minimal W3C WebDriver client.
struct Driver {
    http: reqwest::blocking::Client,
    base: String,
}

impl Driver {
    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().expect("webdriver request");
        let v: Value = resp.json().expect("webdriver json");
        if v["value"]["error"].is_string() {
            panic!("webdriver {path}: {}", v["value"]);
        }
        v["value"].clone()
    }

    fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body))
    }

    fn js(&self, session: &str, script: &str, args: Value) -> Value {
        self.post(
            &format!("/session/{session}/execute/sync"),
            json!({ "script": script, "args": args }),
        )
    }
}

struct Session<'a> {
    d: &'a Driver,
    id: String,
    shots: PathBuf,
    display: String,
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Session<'_> {
    fn find(&self, css: &str) -> Option<String> {
        let v = self.d.call(
            reqwest::Method::POST,
            &format!("/session/{}/elements", self.id),
            Some(json!({ "using": "css selector", "value": css })),
        );
        v.as_array()?.first()?[ELEMENT].as_str().map(str::to_string)
    }

    /// Waits up to 15 s for `css` to match.
    fn wait(&self, css: &str) -> String {
        self.wait_for(css, |_| true)
    }

    fn wait_for(&self, css: &str, ok: impl Fn(&Session) -> bool) -> String {
        let start = Instant::now();
        loop {
            if let Some(e) = self.find(css)
                && ok(self)
            {
                return e;
            }
            if start.elapsed() > Duration::from_secs(15) {
                self.shot("timeout");
                let found = self.d.call(
                    reqwest::Method::POST,
                    &format!("/session/{}/elements", self.id),
                    Some(json!({ "using": "css selector", "value": css })),
                );
                let body = self.d.js(
                    &self.id,
                    "return document.body.outerHTML.slice(0, 300)",
                    json!([]),
                );
                panic!("the app never showed {css}: {found} {body}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn click(&self, css: &str) {
        let e = self.wait(css);
        self.d.post(
            &format!("/session/{}/element/{e}/click", self.id),
            json!({}),
        );
    }

    fn type_into(&self, css: &str, text: &str) {
        let e = self.wait(css);
        self.d.post(
            &format!("/session/{}/element/{e}/value", self.id),
            json!({ "text": text }),
        );
    }

    fn text_of(&self, css: &str) -> String {
        let script =
            "const e = document.querySelector(arguments[0]); return e ? e.innerText : null";
        self.d
            .js(&self.id, script, json!([css]))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The titles of the cards in the column named `column`.
    fn cards_in(&self, column: &str) -> Vec<String> {
        let script = r#"
            const col = [...document.querySelectorAll('[data-testid=column]')].find(c => c.dataset.column === arguments[0]);
            return col ? [...col.querySelectorAll('[data-testid=card] .card-title')].map(e => e.textContent) : null"#;
        self.d
            .js(&self.id, script, json!([column]))
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn wait_card(&self, column: &str, title: &str) {
        let start = Instant::now();
        while !self.cards_in(column).iter().any(|t| t == title) {
            if start.elapsed() > Duration::from_secs(20) {
                self.shot("timeout");
                panic!(
                    "'{title}' never appeared in column {column}: {:?}",
                    self.cards_in(column)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn shot(&self, name: &str) {
        let path = self.shots.join(format!("{name}.png"));
        let _ = Command::new("import")
            .args(["-display", &self.display, "-window", "root"])
            .arg(&path)
            .status();
    }

    fn end(self) {
        let _ = self.d.call(
            reqwest::Method::DELETE,
            &format!("/session/{}", self.id),
            None,
        );
    }
}

fn open_session<'a>(d: &'a Driver, app: &Path, shots: &Path, display: &str) -> Session<'a> {
    let start = Instant::now();
    let v = d.post(
        "/session",
        json!({ "capabilities": { "alwaysMatch": {
            "browserName": "wry",
            "tauri:options": { "application": app }
        } } }),
    );
    let id = v["sessionId"].as_str().expect("session id").to_string();
    let s = Session {
        d,
        id,
        shots: shots.to_path_buf(),
        display: display.to_string(),
    };
    s.wait("body[data-ready=true]");
    eprintln!(
        "e2e: app interactive {} ms after the session was requested",
        start.elapsed().as_millis()
    );
    s
}

#[test]
fn a_person_uses_the_real_app_end_to_end() {
    let app = target_dir().join("debug/porchlight-app");
    require(&app, "build the app (`cargo build -p porchlight-app`)");
    let webkit = which("WebKitWebDriver");
    let tauri_driver = which("tauri-driver");
    let xvfb = which("Xvfb");
    let shots = target_dir().join("e2e-screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot dir");

    // A real relay on port 0, in its own thread with its own runtime.
    let relay_dir = tempfile::tempdir().expect("relay dir");
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let relay_path = relay_dir.path().to_path_buf();
    let relay_thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            addr_tx
                .send(listener.local_addr().expect("addr"))
                .expect("send addr");
            let relay =
                porchlight_relay::Relay::start(porchlight_relay::Config::for_dir(relay_path))
                    .expect("relay");
            relay
                .serve(listener, async {
                    let _ = stop_rx.await;
                })
                .await
                .expect("serve");
        });
    });
    let addr = addr_rx.recv().expect("relay address");
    let url = format!("http://{addr}");

    // The CLI (Maria's laptop): account, team, a shared board.
    let cli = tempfile::tempdir().expect("cli profile");
    let c = cli.path();
    pl(
        c,
        &["signup", "--relay", &url, "--email", "maria@example.com"],
        "correct horse battery\n",
    );
    pl(
        c,
        &["login", "--relay", &url, "--email", "maria@example.com"],
        "correct horse battery\n",
    );
    pl(c, &["team", "create", "Oak St team"], "");
    pl(
        c,
        &[
            "board",
            "new",
            "Oak St listing",
            "-c",
            "To do",
            "-c",
            "Doing",
            "-c",
            "Done",
        ],
        "",
    );
    pl(
        c,
        &["board", "share", "Oak St listing", "--team", "Oak St team"],
        "",
    );
    pl(c, &["sync"], "");

    // The app's fresh profile, signed in to the same team on another device.
    let profile = tempfile::tempdir().expect("app profile");
    let p = profile.path();
    pl(
        p,
        &["login", "--relay", &url, "--email", "maria@example.com"],
        "correct horse battery\n",
    );
    pl(p, &["sync"], "");

    // Xvfb and tauri-driver.
    let display = format!(":{}", 90 + free_port() % 100);
    let _xvfb = Proc(
        Command::new(xvfb)
            .args([
                display.as_str(),
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb"),
    );
    std::thread::sleep(Duration::from_millis(500));
    let port = free_port();
    let native = free_port();
    let _driver = Proc(
        Command::new(tauri_driver)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .arg("--native-driver")
            .arg(webkit)
            .env("DISPLAY", &display)
            .env("PORCHLIGHT_DATA_DIR", p)
            .env("PORCHLIGHT_SECRETS", "file")
            .env("TZ", "UTC")
            .env_remove("PORCHLIGHT_TOKEN")
            .env_remove("PORCHLIGHT_RELAY")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver"),
    );
    let d = Driver {
        http: reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("http"),
        base: format!("http://127.0.0.1:{port}"),
    };
    let up = Instant::now();
    while d.http.get(format!("{}/status", d.base)).send().is_err() {
        assert!(
            up.elapsed() < Duration::from_secs(20),
            "tauri-driver did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let s = open_session(&d, &app, &shots, &display);
    s.click("[data-testid=board-list] button");
    s.wait("[data-testid=board]");
    s.wait_for("[data-testid=sync-status]", |s| {
        s.text_of("[data-testid=sync-status]") == "Up to date"
    });

    // (a) quick-add with a date and a label: the right column, the right date.
    s.click("header button.primary");
    s.type_into(
        "[data-testid=quick-add-input]",
        "Call the seller tomorrow 3pm #followup\u{E007}",
    );
    s.wait_card("To do", "Call the seller");
    let listed: Value =
        serde_json::from_str(&pl(p, &["--json", "task", "list", "--due", "tomorrow"], ""))
            .expect("json");
    let task = listed
        .as_array()
        .and_then(|a| a.iter().find(|t| t["title"] == "Call the seller"))
        .expect("the task is due tomorrow")
        .clone();
    assert_eq!(task["labels"], json!(["followup"]));
    assert!(
        task["due"]["at"]
            .as_str()
            .expect("due")
            .contains("T15:00:00"),
        "{task}"
    );
    let id = task["id"].as_str().expect("id").to_string();
    s.shot("a-quick-add");

    // (b) drag it to another column.
    let drag = r#"
        const card = document.querySelector(`[data-task="${arguments[0]}"]`);
        const col = [...document.querySelectorAll('[data-testid=column]')].find(c => c.dataset.column === 'Doing');
        const dt = new DataTransfer();
        card.dispatchEvent(new DragEvent('dragstart', { bubbles: true, dataTransfer: dt }));
        col.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt }));
        col.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
        return true"#;
    s.d.js(&s.id, drag, json!([id]));
    s.wait_card("Doing", "Call the seller");
    s.shot("b-dragged");

    // (c) open it: a checklist item, a comment, a description.
    s.click(&format!("[data-task=\"{id}\"]"));
    s.wait("[data-testid=task-detail]");
    s.type_into(
        "[data-testid=checklist-input]",
        "Bring the lockbox code\u{E007}",
    );
    s.wait_for("[data-testid=checklist]", |s| {
        s.text_of("[data-testid=checklist]")
            .contains("lockbox code")
    });
    s.type_into(
        "[data-testid=comment-input]",
        "Seller prefers mornings\u{E007}",
    );
    s.wait_for("[data-testid=comments]", |s| {
        s.text_of("[data-testid=comments]")
            .contains("prefers mornings")
    });
    s.type_into(
        "[data-testid=detail-description]",
        "Ask about the hardwood floors",
    );
    let described = Instant::now();
    loop {
        let t: Value =
            serde_json::from_str(&pl(p, &["--json", "task", "show", &id], "")).expect("json");
        if t["description"] == "Ask about the hardwood floors" {
            break;
        }
        assert!(
            described.elapsed() < Duration::from_secs(15),
            "description never saved: {t}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    s.shot("c-detail");

    // (f) restore an earlier version from History: rename, then go back.
    let title = s.wait("[data-testid=detail-title]");
    s.d.post(
        &format!("/session/{}/element/{title}/clear", s.id),
        json!({}),
    );
    s.type_into("[data-testid=detail-title]", "Renamed by mistake\u{E004}");
    s.wait_card("Doing", "Renamed by mistake");
    s.click("[data-testid=show-history]");
    s.wait("[data-testid=history]");
    // Newest first: the rename, then the description edits; restore the one
    // before the rename.
    let restore = r#"return [...document.querySelectorAll('[data-testid=restore]')].map(b => b.dataset.version)"#;
    let versions = s.d.js(&s.id, restore, json!([]));
    let before_rename = versions[1]
        .as_str()
        .expect("an earlier version")
        .to_string();
    s.click(&format!(
        "[data-testid=restore][data-version=\"{before_rename}\"]"
    ));
    s.wait_card("Doing", "Call the seller");
    s.shot("f-restored");
    s.click("[aria-label='Close the task']");

    // (e) the CLI edits the same board; the app shows it without a reload.
    pl(c, &["sync"], "");
    pl(
        c,
        &[
            "task",
            "add",
            "Order the yard sign",
            "--board",
            "Oak St listing",
        ],
        "",
    );
    pl(c, &["sync"], "");
    s.wait_card("To do", "Order the yard sign");
    s.shot("e-remote-change");

    // (g) search finds the task by a word from its description.
    s.type_into("[data-testid=search]", "hardwood");
    s.wait_for("[data-testid=task-list]", |s| {
        s.text_of("[data-testid=task-list]")
            .contains("Call the seller")
    });
    s.shot("g-search");

    // (d) restart the app: everything is still there.
    s.end();
    let s = open_session(&d, &app, &shots, &display);
    s.click("[data-testid=board-list] button");
    s.wait_card("Doing", "Call the seller");
    s.wait_card("To do", "Order the yard sign");
    s.click(&format!("[data-task=\"{id}\"]"));
    s.wait_for("[data-testid=checklist]", |s| {
        s.text_of("[data-testid=checklist]")
            .contains("lockbox code")
    });
    assert!(
        s.text_of("[data-testid=comments]")
            .contains("prefers mornings")
    );
    let desc = s.d.js(
        &s.id,
        "return document.querySelector('[data-testid=detail-description]').value",
        json!([]),
    );
    assert_eq!(desc, "Ask about the hardwood floors");
    s.shot("d-restarted");

    // Bad input gives an inline message; nothing crashes.
    s.click("[aria-label='Close the task']");
    s.click("header button.primary");
    s.type_into("[data-testid=quick-add-input]", "   \u{E007}");
    s.wait("[data-testid=quick-add-error]");
    s.end();

    let _ = stop_tx.send(());
    let _ = relay_thread.join();
}
