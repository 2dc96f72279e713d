//! The real app, end to end, as a person uses it: a fresh profile signed in
//! to a real relay (port 0) over TLS with a private CA (made in the test
//! and trusted through the sign-in's CA file), the app under Xvfb, driven through tauri-driver
//! and WebKitWebDriver. Screenshots of the X display go to
//! `target/e2e-screenshots/`.
//!
//! Needs: Xvfb, WebKitWebDriver (webkit2gtk-driver), tauri-driver,
//! ImageMagick's `import` (all installed by `make deps`), and the debug
//! builds of `porchlight-app` and `porchlight` (`make test` builds them).

use porchlight_testkit::certs;
mod common;
use porchlight_testkit::rets as fake_rets;

use porchlight_testkit::jpeg;
#[path = "e2e/steps.rs"]
mod steps;

use std::time::{Duration, Instant};

use common::{Desktop, free_port, open_session, pl, require, target_dir};
use serde_json::{Value, json};

#[test]
fn a_person_uses_the_real_app_end_to_end() {
    let app = target_dir().join("debug/porchlight-app");
    require(&app, "build the app (`cargo build -p porchlight-app`)");
    let shots = target_dir().join("e2e-screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot dir");

    // A real relay on port 0, serving HTTPS/WSS with a certificate from
    // the team's own CA, in its own thread with its own runtime.
    let relay_dir = tempfile::tempdir().expect("relay dir");
    let ca = certs::TestCa::new(relay_dir.path(), "team");
    let cert = ca.server("relay", &["127.0.0.1", "localhost"]);
    let ca_file = ca.ca_pem.to_str().expect("utf-8 path").to_string();
    let tls = porchlight_relay::tls::ServerTls::load(&cert.cert, &cert.key).expect("tls");
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
            let relay = porchlight_relay::Relay::start({
                // The test's webhook receiver is on loopback.
                let mut c = porchlight_relay::Config::for_dir(relay_path);
                c.limits.webhook_private_targets = true;
                c
            })
            .await
            .expect("relay");
            let listener =
                porchlight_relay::tls::TlsListener::new(listener, tls).expect("tls listener");
            relay
                .serve(listener, async {
                    let _ = stop_rx.await;
                })
                .await
                .expect("serve");
        });
    });
    let addr = addr_rx.recv().expect("relay address");
    let url = format!("https://{addr}");

    // The CLI (Maria's laptop): account, team, a shared board.
    let cli = tempfile::tempdir().expect("cli profile");
    let c = cli.path();
    pl(
        c,
        &[
            "signup",
            "--relay",
            &url,
            "--ca-file",
            &ca_file,
            "--email",
            "maria@example.com",
        ],
        "correct horse battery\n",
    );
    pl(
        c,
        &[
            "login",
            "--relay",
            &url,
            "--ca-file",
            &ca_file,
            "--email",
            "maria@example.com",
        ],
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
        &[
            "login",
            "--relay",
            &url,
            "--ca-file",
            &ca_file,
            "--email",
            "maria@example.com",
        ],
        "correct horse battery\n",
    );
    pl(p, &["sync"], "");
    let token = common::device_token(p);
    let boards: Value =
        serde_json::from_str(&pl(p, &["--json", "board", "list"], "")).expect("json");
    let board_id = boards
        .as_array()
        .and_then(|b| b.iter().find(|b| b["name"] == "Oak St listing"))
        .and_then(|b| b["id"].as_str())
        .expect("the shared board")
        .to_string();
    let joe = tempfile::tempdir().expect("joe's profile");

    let desktop = Desktop::start(p);
    let (d, display) = (&desktop.driver, desktop.display.clone());
    let s = open_session(d, &app, &shots, &display);
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
    s.click_until("[data-testid=show-history]", "[data-testid=history]");
    // Newest first: the rename, then the description edits; restore the one
    // before the rename.
    let restore = r#"return [...document.querySelectorAll('[data-testid=restore]')].map(b => b.dataset.version)"#;
    let versions = s.d.js(&s.id, restore, json!([]));
    let before_rename = versions[1]
        .as_str()
        .expect("an earlier version")
        .to_string();
    // A DOM click: the button is low in a scrolled panel (see click_until).
    s.dom_click(&format!(
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
    let s = open_session(d, &app, &shots, &display);
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

    // (h) the rest of the task detail; (i) the team page; (j) presence;
    // (k) reminders.
    steps::detail_fields(&s, p, &id);
    s.click("[aria-label='Close the task']");
    steps::team_page(&s, c, &url, &ca_file, joe.path());
    steps::presence(&s, p, joe.path(), &url, &ca_file, &board_id);
    steps::work(&s, p, c, joe.path(), &desktop);
    steps::reminders(&s, p, &desktop);
    steps::listings(&s, p);
    let rets_password = steps::mls(&s, p);
    s.click("[data-testid=board-list] button");
    s.click(&format!("[data-task=\"{id}\"]"));

    // Bad input gives an inline message; nothing crashes or is lost.
    // An impossible date:
    s.type_into("[data-testid=detail-due-input]", "feb 30\u{E007}");
    s.wait("[data-testid=detail-error]");
    assert!(
        s.text_of("[data-testid=detail-error]").contains("feb 30"),
        "{}",
        s.text_of("[data-testid=detail-error]")
    );
    s.click("[aria-label='Close the task']");
    // An empty title:
    s.click("header button.primary");
    s.type_into("[data-testid=quick-add-input]", "   \u{E007}");
    s.wait("[data-testid=quick-add-error]");
    s.shot("bad-input");
    // Settings shows the calendar feed's address, which a calendar app
    // (here, an HTTPS client trusting the team's CA) reads.
    s.click("[data-testid=open-settings]");
    s.wait("[data-testid=settings]");
    s.click("[data-testid=calendar-show]");
    s.wait("[data-testid=calendar-url]");
    let feed = s.d.js(
        &s.id,
        "return document.querySelector('[data-testid=calendar-url]').value",
        json!([]),
    );
    let feed = feed.as_str().expect("the address").to_string();
    assert!(
        feed.starts_with(&format!("{url}/ical/")) && feed.ends_with(".ics"),
        "{feed}"
    );
    s.shot("calendar");
    let ca = reqwest::Certificate::from_pem(&std::fs::read(&ca_file).expect("ca")).expect("pem");
    let body = reqwest::blocking::Client::builder()
        .add_root_certificate(ca)
        .build()
        .expect("client")
        .get(&feed)
        .send()
        .expect("feed")
        .text()
        .expect("text");
    assert!(body.starts_with("BEGIN:VCALENDAR\r\n"), "{body}");
    steps::digest(&s, c);
    // Settings lists the account's devices: this app and the CLI profile
    // that made the team. Signing the CLI out from here stops its sync.
    s.wait_for("[data-testid=devices]", |s| {
        s.text_of("[data-testid=devices]")
            .contains("(this computer)")
            && s.find("[data-testid=device-revoke]").is_some()
    });
    s.shot("devices");
    s.click("[data-testid=device-revoke]");
    s.wait_for("[data-testid=devices]", |s| {
        s.find("[data-testid=device-revoke]").is_none()
    });
    let refused = common::run(c, &["sync"], "");
    assert!(
        !refused.0 && refused.2.contains("login"),
        "the signed-out CLI still syncs: {refused:?}"
    );
    // Sign out, then a wrong password and a relay that does not answer.
    s.click("[data-testid=settings] button");
    s.wait_for("[data-testid=sync-status]", |s| {
        s.text_of("[data-testid=sync-status]") == "On this device only"
    });
    let relay_url = s.wait("[data-testid=relay-url]");
    s.d.post(
        &format!("/session/{}/element/{relay_url}/clear", s.id),
        json!({}),
    );
    s.type_into("[data-testid=relay-url]", &url);
    s.type_into("[data-testid=relay-email]", "maria@example.com");
    // Without the team's CA the relay's certificate is refused, in words.
    s.type_into("[data-testid=relay-password]", "not the password\u{E007}");
    s.wait_for("[data-testid=settings-error]", |s| {
        s.text_of("[data-testid=settings-error]")
            .contains("not trusted")
    });
    let untrusted = s.text_of("[data-testid=settings-error]");
    assert!(untrusted.contains("PORCHLIGHT_CA_FILE"), "{untrusted}");
    s.shot("untrusted-relay");
    // With it (the Settings page's CA file), TLS works and the relay
    // itself answers: the password is wrong.
    s.type_into("[data-testid=relay-ca-file]", &ca_file);
    s.type_into("[data-testid=relay-password]", "not the password\u{E007}");
    s.wait_for("[data-testid=settings-error]", |s| {
        s.text_of("[data-testid=settings-error]")
            .to_lowercase()
            .contains("password")
    });
    let wrong = s.text_of("[data-testid=settings-error]");
    assert!(wrong.to_lowercase().contains("password"), "{wrong}");
    let dead = format!("http://127.0.0.1:{}", free_port());
    s.d.post(
        &format!("/session/{}/element/{relay_url}/clear", s.id),
        json!({}),
    );
    s.type_into("[data-testid=relay-url]", &dead);
    s.type_into("[data-testid=relay-password]", "x\u{E007}");
    s.wait_for("[data-testid=settings-error]", |s| {
        s.text_of("[data-testid=settings-error]")
            .contains("cannot reach")
    });
    s.shot("bad-relay");
    // The boards are still there after all that.
    s.click("[data-testid=board-list] button");
    s.wait_card("Doing", "Call the seller");
    s.end();
    steps::no_secrets_left(
        p,
        &desktop,
        &[
            &token,
            "correct horse battery",
            "not the password",
            &rets_password,
        ],
    );

    let _ = stop_tx.send(());
    let _ = relay_thread.join();
}
