//! A harness for driving the real app: Xvfb, tauri-driver over
//! WebKitWebDriver, a minimal W3C WebDriver client, and the CLI.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target")
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub fn require(path: &Path, how: &str) {
    assert!(path.exists(), "{} is missing: {how}", path.display());
}

pub fn which(tool: &str) -> PathBuf {
    let out = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .expect("sh");
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(!path.is_empty(), "{tool} is missing: run `make deps`");
    PathBuf::from(path)
}

/// A child process killed when dropped.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The CLI on a profile (the "second client", and for seeding/checking).
pub fn pl(dir: &Path, args: &[&str], stdin: &str) -> String {
    let (ok, stdout, stderr) = run(dir, args, stdin);
    assert!(ok, "porchlight {args:?}: {stderr}");
    stdout
}

/// The device token the CLI saved in `dir` (its secrets file: the tests
/// run it with PORCHLIGHT_SECRETS=file).
pub fn device_token(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("secrets.json")).expect("the CLI's secrets file");
    let secrets: Value = serde_json::from_str(&text).expect("secrets json");
    secrets
        .as_object()
        .and_then(|m| m.iter().find(|(k, _)| k.starts_with("relay-token")))
        .and_then(|(_, v)| v.as_str())
        .expect("a relay token in secrets.json")
        .to_string()
}

/// Runs the CLI on `dir`: whether it succeeded, its stdout and its stderr.
pub fn run(dir: &Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    use std::io::Write;
    let bin = target_dir().join("debug/porchlight");
    require(&bin, "build the CLI (`cargo build -p porchlight-cli`)");
    let user = if args.contains(&"--user") {
        &[][..]
    } else {
        &["--user", "maria"][..]
    };
    let mut child = Command::new(bin)
        .arg("--data-dir")
        .arg(dir)
        .args(user)
        .args(["--tz", "UTC"])
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
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A minimal W3C WebDriver client.
pub struct Driver {
    pub http: reqwest::blocking::Client,
    pub base: String,
}

impl Driver {
    pub fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
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

    pub fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body))
    }

    pub fn js(&self, session: &str, script: &str, args: Value) -> Value {
        self.post(
            &format!("/session/{session}/execute/sync"),
            json!({ "script": script, "args": args }),
        )
    }
}

pub struct Session<'a> {
    pub d: &'a Driver,
    pub id: String,
    pub shots: PathBuf,
    pub display: String,
}

/// How long a step waits for the window before it fails.
const WAIT: Duration = Duration::from_secs(30);

pub const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Session<'_> {
    pub fn find(&self, css: &str) -> Option<String> {
        let v = self.d.call(
            reqwest::Method::POST,
            &format!("/session/{}/elements", self.id),
            Some(json!({ "using": "css selector", "value": css })),
        );
        v.as_array()?.first()?[ELEMENT].as_str().map(str::to_string)
    }

    /// Waits up to 30 s for `css` to match (a cold CI machine can take
    /// seconds to start WebKit or answer a first pull).
    pub fn wait(&self, css: &str) -> String {
        self.wait_for(css, |_| true)
    }

    pub fn wait_for(&self, css: &str, ok: impl Fn(&Session) -> bool) -> String {
        let start = Instant::now();
        loop {
            if let Some(e) = self.find(css)
                && ok(self)
            {
                return e;
            }
            if start.elapsed() > WAIT {
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

    pub fn click(&self, css: &str) {
        let e = self.wait(css);
        self.d.post(
            &format!("/session/{}/element/{e}/click", self.id),
            json!({}),
        );
    }

    /// Clicks `css` through the DOM once it is there (for buttons in panels
    /// that scroll and re-render; see `click_until`).
    pub fn dom_click(&self, css: &str) {
        self.wait(css);
        self.d.js(
            &self.id,
            "document.querySelector(arguments[0]).click(); return true",
            json!([css]),
        );
    }

    /// Clicks `css` through the DOM (not at screen coordinates, which a
    /// re-render of a scrolled panel can move under a busy machine) until
    /// `then` shows, up to three times.
    pub fn click_until(&self, css: &str, then: &str) {
        for _ in 0..3 {
            self.wait(css);
            self.d.js(
                &self.id,
                "const e = document.querySelector(arguments[0]); if (e) e.click(); return true",
                json!([css]),
            );
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(5) {
                if self.find(then).is_some() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        self.wait(then);
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let e = self.wait(css);
        self.d.post(
            &format!("/session/{}/element/{e}/value", self.id),
            json!({ "text": text }),
        );
    }

    pub fn text_of(&self, css: &str) -> String {
        let script =
            "const e = document.querySelector(arguments[0]); return e ? e.innerText : null";
        self.d
            .js(&self.id, script, json!([css]))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The titles of the cards in the column named `column`.
    pub fn cards_in(&self, column: &str) -> Vec<String> {
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

    pub fn wait_card(&self, column: &str, title: &str) {
        let start = Instant::now();
        while !self.cards_in(column).iter().any(|t| t == title) {
            if start.elapsed() > WAIT {
                self.shot("timeout");
                panic!(
                    "'{title}' never appeared in column {column}: {:?}",
                    self.cards_in(column)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn shot(&self, name: &str) {
        let path = self.shots.join(format!("{name}.png"));
        let _ = Command::new("import")
            .args(["-display", &self.display, "-window", "root"])
            .arg(&path)
            .status();
    }

    pub fn end(self) {
        let _ = self.d.call(
            reqwest::Method::DELETE,
            &format!("/session/{}", self.id),
            None,
        );
    }
}

pub fn open_session<'a>(d: &'a Driver, app: &Path, shots: &Path, display: &str) -> Session<'a> {
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

/// Xvfb on a free display and tauri-driver on free ports, with the app's
/// environment pointing at `profile`.
pub struct Desktop {
    pub driver: Driver,
    pub display: String,
    /// Everything the app (and the drivers) wrote to stderr, at debug level.
    pub log: PathBuf,
    /// Every call to the desktop notification service, as dbus-monitor saw it.
    pub notifications: PathBuf,
    _logs: tempfile::TempDir,
    // Dropped in this order: the driver (and app), the monitor, the
    // notification daemon, the bus, the display.
    _tauri_driver: Proc,
    _monitor: Proc,
    _dunst: Proc,
    _bus: Proc,
    _xvfb: Proc,
}

/// A private D-Bus session bus: (the daemon, its address).
fn session_bus() -> (Proc, String) {
    let mut bus = Command::new(which("dbus-daemon"))
        .args(["--session", "--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon");
    let mut address = String::new();
    if let Some(out) = bus.stdout.take() {
        use std::io::BufRead;
        let _ = std::io::BufReader::new(out).read_line(&mut address);
    }
    let address = address.trim().to_string();
    assert!(
        !address.is_empty(),
        "dbus-daemon did not report its address"
    );
    (Proc(bus), address)
}

/// When a test fails, the end of the app's log goes to the test's output
/// (CI shows that, not the temporary log file).
impl Drop for Desktop {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            let tail = &lines[lines.len().saturating_sub(80)..];
            eprintln!("e2e: the last lines of the app's log:\n{}", tail.join("\n"));
        }
    }
}

impl Desktop {
    pub fn start(profile: &Path) -> Desktop {
        let webkit = which("WebKitWebDriver");
        let tauri_driver = which("tauri-driver");
        let xvfb = which("Xvfb");
        let p = profile;
        // Xvfb picks a free display itself and writes its number to stdout.
        let mut xvfb = Command::new(xvfb)
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb");
        let mut number = String::new();
        if let Some(out) = xvfb.stdout.take() {
            use std::io::BufRead;
            let _ = std::io::BufReader::new(out).read_line(&mut number);
        }
        let display = format!(":{}", number.trim());
        assert!(display.len() > 1, "Xvfb did not report its display");
        let _xvfb = Proc(xvfb);
        // A session bus of its own, with a notification daemon on the
        // virtual display (reminders show up in screenshots) and a monitor
        // that records every notification the app sends.
        let (_bus, bus) = session_bus();
        let logs = tempfile::tempdir().expect("log dir");
        let notifications = logs.path().join("notifications.log");
        let _dunst = Proc(
            Command::new(which("dunst"))
                .env("DISPLAY", &display)
                .env("DBUS_SESSION_BUS_ADDRESS", &bus)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("dunst"),
        );
        let _monitor = Proc(
            Command::new(which("dbus-monitor"))
                .arg("--address")
                .arg(&bus)
                .arg("interface='org.freedesktop.Notifications',member='Notify'")
                .stdout(std::fs::File::create(&notifications).expect("monitor log"))
                .stderr(Stdio::null())
                .spawn()
                .expect("dbus-monitor"),
        );
        let log = logs.path().join("app.log");
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
                .env("DBUS_SESSION_BUS_ADDRESS", &bus)
                .env("PORCHLIGHT_LOG", "debug")
                .env_remove("PORCHLIGHT_TOKEN")
                .env_remove("PORCHLIGHT_RELAY")
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).expect("app log"))
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

        Desktop {
            driver: d,
            display,
            log,
            notifications,
            _logs: logs,
            _tauri_driver: _driver,
            _monitor,
            _dunst,
            _bus,
            _xvfb,
        }
    }
}
