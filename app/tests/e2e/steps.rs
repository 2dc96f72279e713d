//! The later steps of the end-to-end test: the task detail's fields, the
//! team page, presence, reminders, and no secret left behind.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use porchlight_client::{self as client, Credentials, Presence, SyncEvent};
use porchlight_store::profile::TaskChanges;
use porchlight_store::{OpenOptions, Profile};
use serde_json::{Value, json};

use crate::common::{Desktop, Session, pl};

/// Waits up to `secs` for `ok`, then fails saying `what`.
fn eventually(secs: u64, what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < Duration::from_secs(secs), "{what}");
        std::thread::sleep(Duration::from_millis(150));
    }
}

/// Labels, assignees, reminder, recurrence and linked listings, edited in
/// the open task's detail and checked through the CLI.
pub fn detail_fields(s: &Session, p: &Path, id: &str) {
    s.type_into("[data-testid=labels-input]", "#staging, photos\u{E007}");
    s.wait_for("[data-testid=detail-labels]", |s| {
        s.text_of("[data-testid=detail-labels]").contains("#photos")
    });
    s.dom_click("[aria-label='Remove #photos']");
    s.wait_for("[data-testid=detail-labels]", |s| {
        !s.text_of("[data-testid=detail-labels]").contains("#photos")
    });
    s.type_into("[data-testid=assignees-input]", "@joe\u{E007}");
    s.wait_for("[data-testid=detail-assignees]", |s| {
        s.text_of("[data-testid=detail-assignees]").contains("@joe")
    });
    s.type_into(
        "[data-testid=detail-reminder-input]",
        "tomorrow 9am\u{E007}",
    );
    s.wait_for("[data-testid=detail-reminder]", |s| {
        !s.text_of("[data-testid=detail-reminder]")
            .contains("due time")
    });
    s.type_into(
        "[data-testid=detail-recurrence-input]",
        "every monday\u{E007}",
    );
    s.wait_for("[data-testid=detail-recurrence]", |s| {
        s.text_of("[data-testid=detail-recurrence]") == "every Monday"
    });
    s.type_into("[data-testid=listings-input]", "A12345\u{E007}");
    s.wait_for("[data-testid=detail-listings]", |s| {
        s.text_of("[data-testid=detail-listings]")
            .contains("mls:A12345")
    });
    // A recurrence the parser cannot read is said inline, and changes nothing.
    s.type_into(
        "[data-testid=detail-recurrence-input]",
        "every blue moon\u{E007}",
    );
    s.wait("[data-testid=detail-error]");
    s.shot("h-detail-fields");
    let t: Value = serde_json::from_str(&pl(p, &["--json", "task", "show", id], "")).expect("json");
    assert_eq!(t["labels"], json!(["followup", "staging"]), "{t}");
    assert_eq!(t["assignees"], json!(["joe"]), "{t}");
    assert_eq!(t["listings"], json!(["A12345"]), "{t}");
    assert!(
        t["reminder"]
            .as_str()
            .is_some_and(|r| r.contains("T09:00:00")),
        "{t}"
    );
    assert_eq!(t["recurrence"]["unit"], "on_days", "{t}");
    assert_eq!(t["recurrence"]["days"], json!(["mon"]), "{t}");
}

/// The team page: the owner sees the members, makes an invite code that
/// works, and changes the new member's role. Returns Joe's profile.
pub fn team_page(s: &Session, c: &Path, url: &str, ca_file: &str, joe: &Path) {
    s.click("[data-testid=open-team]");
    s.wait("[data-testid=team][data-team='Oak St team']");
    s.wait_for(
        "[data-testid=member][data-email='maria@example.com']",
        |s| {
            s.text_of("[data-testid=member][data-email='maria@example.com']")
                .contains("(you)")
        },
    );
    s.click("[data-testid=create-invite]");
    s.wait("[data-testid=invite-code]");
    let code = s.text_of("[data-testid=invite-code]");
    assert!(code.len() >= 6, "invite code {code:?}");
    pl(
        joe,
        &[
            "signup",
            "--relay",
            url,
            "--ca-file",
            ca_file,
            "--email",
            "joe@example.com",
            "--name",
            "Joe",
            "--invite",
            &code,
        ],
        "joe's long password\n",
    );
    pl(
        joe,
        &[
            "login",
            "--relay",
            url,
            "--ca-file",
            ca_file,
            "--email",
            "joe@example.com",
        ],
        "joe's long password\n",
    );
    // Open the page again: Joe is a member; make him a viewer.
    s.click("[data-testid=board-list] button");
    s.click("[data-testid=open-team]");
    let joe_row = "[data-testid=member][data-email='joe@example.com']";
    s.wait(joe_row);
    let set = r#"
        const sel = document.querySelector(arguments[0] + ' [data-testid=member-role]');
        sel.value = 'viewer';
        sel.dispatchEvent(new Event('change', { bubbles: true }));
        return true"#;
    s.d.js(&s.id, set, json!([joe_row]));
    eventually(15, "Joe never became a viewer", || {
        let members: Value =
            serde_json::from_str(&pl(c, &["--json", "team", "members", "Oak St team"], ""))
                .expect("json");
        members.as_array().is_some_and(|m| {
            m.iter()
                .any(|m| m["email"] == "joe@example.com" && m["role"] == "viewer")
        })
    });
    s.shot("i-team-page");
    webhooks(s);
}

/// Settings turns the daily digest off; the relay says so to the CLI of
/// the same account.
pub fn digest(s: &Session, c: &Path) {
    s.wait("[data-testid=digest-toggle]");
    let on = s.d.js(
        &s.id,
        "return document.querySelector('[data-testid=digest-toggle]').checked",
        json!([]),
    );
    assert_eq!(on, json!(true), "the digest starts on");
    s.dom_click("[data-testid=digest-toggle]");
    eventually(15, "the digest never turned off", || {
        let mail: Value =
            serde_json::from_str(&pl(c, &["--json", "account", "mail"], "")).unwrap_or_default();
        mail["digest"] == false
    });
}

/// A webhook receiver on loopback: answers 200 to each POST and keeps the
/// bodies.
fn receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let bodies: Arc<Mutex<Vec<String>>> = Arc::default();
    let kept = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; length];
            if reader.read_exact(&mut body).is_ok() {
                kept.lock()
                    .expect("lock")
                    .push(String::from_utf8_lossy(&body).into_owned());
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (url, bodies)
}

/// The owner adds a webhook on the team page, sees its secret once, sends
/// a test event that reaches the receiver, and reads the delivery log.
fn webhooks(s: &Session) {
    let (url, bodies) = receiver();
    let team = "[data-testid=team][data-team='Oak St team']";
    s.click(&format!("{team} [data-testid=webhooks] summary"));
    s.type_into(&format!("{team} [data-testid=webhook-url]"), &url);
    s.click(&format!("{team} [data-testid=webhook-add]"));
    s.wait(&format!("{team} [data-testid=webhook-secret]"));
    assert!(
        s.text_of(&format!("{team} [data-testid=webhook-secret]"))
            .starts_with("whsec_"),
        "no signing secret shown"
    );
    s.wait(&format!("{team} [data-testid=webhook][data-url='{url}']"));
    s.click(&format!("{team} [data-testid=webhook-test]"));
    eventually(30, "the test event never reached the receiver", || {
        bodies
            .lock()
            .expect("lock")
            .iter()
            .any(|b| b.contains("\"webhook.test\""))
    });
    eventually(15, "the delivery log never showed the delivery", || {
        s.dom_click(&format!("{team} [data-testid=webhook-log]"));
        std::thread::sleep(Duration::from_millis(300));
        s.text_of(&format!("{team} [data-testid=webhook-deliveries]"))
            .contains("delivered")
    });
    s.shot("i-team-webhooks");
}

/// Presence both ways: Joe (a live sync session of the core client, as
/// the app runs it) looks at the board the app shows; each sees the other.
pub fn presence(s: &Session, p: &Path, joe: &Path, url: &str, ca_file: &str, board: &str) {
    // The app announces its profile's user name (the one its comments and
    // history carry).
    let me = Profile::open(p, OpenOptions::default())
        .expect("the app's profile")
        .user()
        .to_string();
    s.click("[data-testid=board-list] button");
    s.wait("[data-testid=board]");
    let creds = Credentials {
        relay: url.to_string(),
        token: crate::common::device_token(joe),
        email: "joe@example.com".into(),
        trust: porchlight_client::Trust {
            ca_file: Some(ca_file.into()),
            allow_insecure_http: false,
        },
    };
    let (viewing_tx, viewing) = tokio::sync::watch::channel(Some(board.to_string()));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let seen: Arc<Mutex<Vec<Vec<String>>>> = Arc::default();
    let seen_by_joe = seen.clone();
    let dir = joe.to_path_buf();
    let session = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async move {
            let mut profile = Profile::open(
                &dir,
                OpenOptions {
                    user: Some("joe".into()),
                    tz: Some("UTC".into()),
                    now: None,
                },
            )
            .expect("joe's profile");
            let mut on_event = move |e: SyncEvent| {
                if let SyncEvent::Presence { viewers, .. } = e
                    && let Ok(mut seen) = seen_by_joe.lock()
                {
                    seen.push(viewers);
                }
            };
            let presence = Presence {
                user: "joe".into(),
                viewing,
            };
            tokio::select! {
                r = client::watch_with_presence(&mut profile, &creds, Some(presence), &mut on_event) => {
                    panic!("joe's session ended: {r:?}")
                }
                _ = stop_rx => {}
            }
        });
    });
    s.wait_for("[data-testid=presence]", |s| {
        s.text_of("[data-testid=presence]").contains("joe")
    });
    eventually(20, "Joe never saw the app's user on the board", || {
        seen.lock()
            .map(|v| v.iter().any(|viewers| viewers == std::slice::from_ref(&me)))
            .unwrap_or(false)
    });
    s.shot("j-presence");
    // Joe closes the board: he is gone from it at once.
    let _ = viewing_tx.send(None);
    eventually(15, "Joe still shown after closing the board", || {
        s.text_of("[data-testid=presence]").is_empty()
    });
    let _ = stop_tx.send(());
    let _ = session.join();
}

/// Adds a task in the app's profile (as the CLI would, from another
/// process) with a reminder `secs` from now.
fn remind(p: &Path, title: &str, secs: i64) {
    let mut profile = Profile::open(
        p,
        OpenOptions {
            user: Some("maria".into()),
            tz: Some("UTC".into()),
            now: None,
        },
    )
    .expect("profile");
    let (task, _) = profile
        .tasks_mut()
        .quick_add("Oak St listing", title)
        .expect("task");
    profile
        .tasks_mut()
        .edit(
            task.id.as_str(),
            &TaskChanges {
                reminder: Some(Some(Utc::now() + chrono::Duration::seconds(secs))),
                ..TaskChanges::default()
            },
        )
        .expect("reminder");
}

fn notify_calls(desktop: &Desktop, title: &str) -> usize {
    std::fs::read_to_string(&desktop.notifications)
        .unwrap_or_default()
        .matches(title)
        .count()
}

/// Reminders fire from the local store: an in-app banner and a native
/// notification (seen on the session bus); with notifications off, only
/// the banner.
pub fn reminders(s: &Session, p: &Path, desktop: &Desktop) {
    remind(p, "Send the seller the net sheet", 3);
    let banner = "[data-testid=reminder]";
    s.wait_for(banner, |s| {
        s.text_of("[data-testid=reminders]")
            .contains("Reminder: Send the seller the net sheet")
    });
    // The task came from another program on this profile: the open board
    // shows it without a reload.
    s.wait_card("To do", "Send the seller the net sheet");
    eventually(10, "no native notification reached the session bus", || {
        notify_calls(desktop, "Reminder: Send the seller the net sheet") == 1
    });
    s.shot("k-reminder");
    // Notifications off: the banner still shows, the desktop stays quiet.
    s.click("[data-testid=open-settings]");
    // A DOM click: a screen click can land on the desktop's notification
    // popups, stacked over the window by now.
    s.dom_click("[data-testid=notifications]");
    // Saved before the next reminder is made (a fixed wait was flaky).
    eventually(10, "notifications were never turned off", || {
        std::fs::read_to_string(p.join("app.json"))
            .is_ok_and(|t| t.replace(' ', "").contains("\"notifications\":false"))
    });
    remind(p, "Call the inspector back", 2);
    s.wait_for(banner, |s| {
        s.text_of("[data-testid=reminders]")
            .contains("Reminder: Call the inspector back")
    });
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(notify_calls(desktop, "Call the inspector back"), 0);
    s.dom_click("[data-testid=notifications]");
}

/// No secret is written to the profile's database, its config files or
/// the app's log (at debug level). The token's own place is the OS
/// keychain (here the 0600 file the harness asks for).
pub fn no_secrets_left(p: &Path, desktop: &Desktop, secrets: &[&str]) {
    let mut places = vec![desktop.log.clone()];
    for entry in std::fs::read_dir(p).expect("profile dir").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name != "secrets.json" && entry.path().is_file() {
            places.push(entry.path());
        }
    }
    assert!(
        places.iter().any(|p| p.ends_with("porchlight.db")),
        "{places:?}"
    );
    for place in places {
        let bytes = std::fs::read(&place).unwrap_or_default();
        for secret in secrets {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "a secret is in {}",
                place.display()
            );
        }
    }
}

/// The Listings view (filter, open a listing, a team note, comparables, a
/// task made from it) and the Market view, over listings imported by the
/// CLI into the app's profile.
pub fn listings(s: &Session, p: &Path) {
    let csv = p.join("e2e-listings.csv");
    let path = csv.to_str().expect("path");
    pl(
        p,
        &[
            "mls", "generate", "--count", "400", "--seed", "5", "-o", path,
        ],
        "",
    );
    pl(p, &["mls", "import-csv", path], "");
    s.click("[data-testid=open-listings]");
    s.wait("[data-testid=listing-row]");
    s.type_into("[data-testid=listing-city]", "Denver");
    s.wait_for("[data-testid=listing-table]", |s| {
        let rows = s.d.js(
            &s.id,
            "return [...document.querySelectorAll('[data-testid=listing-row] td:nth-child(3)')].map(td => td.textContent)",
            json!([]),
        );
        rows.as_array()
            .is_some_and(|r| !r.is_empty() && r.iter().all(|c| c == "Denver"))
    });
    s.dom_click("[data-testid=listing-row] button");
    s.wait("[data-testid=listing-detail]");
    let key = s.d.js(
        &s.id,
        "return document.querySelector('[data-testid=listing-row].selected').dataset.key",
        json!([]),
    );
    let key = key.as_str().expect("selected listing").to_string();
    s.type_into("[data-testid=listing-note-input]", "Roof looks new\u{E007}");
    s.wait_for("[data-testid=listing-notes]", |s| {
        s.text_of("[data-testid=listing-notes]")
            .contains("Roof looks new")
    });
    s.wait_for("[data-testid=listing-comps]", |s| {
        !s.text_of("[data-testid=listing-comps]").is_empty()
    });
    s.shot("l-listings");
    let shown: Value =
        serde_json::from_str(&pl(p, &["--json", "listings", "show", &key], "")).expect("json");
    assert_eq!(
        shown["team"]["notes"][0]["text"], "Roof looks new",
        "{shown}"
    );
    // A task from the listing: quick-add opens filled in, linked to it.
    s.dom_click("[data-testid=listing-create-task]");
    s.type_into("[data-testid=quick-add-input]", "\u{E007}");
    eventually(15, "no task made from the listing", || {
        let tasks: Value =
            serde_json::from_str(&pl(p, &["--json", "task", "list"], "")).expect("json");
        tasks.as_array().is_some_and(|t| {
            t.iter().any(|t| {
                t["title"]
                    .as_str()
                    .is_some_and(|x| x.starts_with("Schedule showing"))
                    && t["listings"] == json!([key])
            })
        })
    });
    s.click("[data-testid=open-market]");
    s.wait_for("[data-testid=market-table]", |s| {
        s.text_of("[data-testid=market-table]").contains("Denver")
    });
    s.shot("m-market");
}

/// The MLS connections page against a fake RETS server (a connection added
/// with the CLI, tested and pulled from the window with a progress bar),
/// then a pulled listing's photos fetched and shown from the cache, its
/// favourite, showing status and tags set in the window, and the
/// comparables report exported. Returns the RETS password (to check it
/// is in no file).
pub fn mls(s: &Session, p: &Path) -> String {
    use crate::fake_rets::{self, Fake, Photo, Record};
    let (tx, rx) = std::sync::mpsc::channel();
    // The fake lives as long as the test process.
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async move {
            let records: Vec<Record> = (0..23u32)
                .map(|i| Record {
                    key: format!("T{i:02}"),
                    price: 300_000 + i * 1000,
                    status: ["A", "U", "S"][i as usize % 3],
                    features: "P",
                    city: "Golden".into(),
                    modified: format!("2026-11-20T09:{i:02}:00"),
                    remarks: if i == 1 {
                        b"Caf\xe9 on the corner".to_vec()
                    } else {
                        format!("Home {i}").into_bytes()
                    },
                })
                .collect();
            let mut fake = Fake {
                records,
                max_rows: 5,
                ua_password: true,
                ..Fake::default()
            };
            fake.photos.insert(
                "T01".into(),
                vec![
                    Photo::Jpeg(crate::jpeg::jpeg_image(800, 600)),
                    Photo::Missing,
                    Photo::Jpeg(crate::jpeg::jpeg_image(640, 480)),
                ],
            );
            fake.photos.insert(
                "T22".into(),
                vec![Photo::Jpeg(crate::jpeg::jpeg_image(400, 300))],
            );
            let (url, state) = fake_rets::start(fake).await;
            tx.send((url, state)).expect("send url");
            std::future::pending::<()>().await;
        });
    });
    let (url, fake) = rx.recv().expect("fake RETS url");
    // Added in the app's form: a missing password is caught before
    // anything is saved; then it is saved and tested at once.
    s.click("[data-testid=open-mls]");
    s.wait("[data-testid=mls-empty]");
    s.dom_click("[data-testid=mls-add-open]");
    s.dom_click("[data-testid=mls-kind-rets]");
    s.wait("[data-testid=mls-user]");
    s.type_into("[data-testid=mls-name]", "metro");
    s.type_into("[data-testid=mls-url]", &url);
    s.type_into("[data-testid=mls-user]", fake_rets::USER);
    s.dom_click("[data-testid=mls-save]");
    s.wait_for("[data-testid=mls-form-error]", |s| {
        s.text_of("[data-testid=mls-form-error]") == "Give the RETS password."
    });
    s.type_into("[data-testid=mls-secret]", fake_rets::PASSWORD);
    s.dom_click("[data-testid=mls-ua-wanted]");
    s.type_into("[data-testid=mls-ua-password]", fake_rets::UA_PASSWORD);
    s.shot("m-mls-add");
    s.dom_click("[data-testid=mls-save]");
    s.wait("[data-testid=mls-connection]");
    s.wait_for("[data-testid=mls-said]", |s| {
        s.text_of("[data-testid=mls-said]")
            .contains("Logged in as Maria Lopez; Property:RES has 7 fields.")
    });
    // The user-agent password typed into the form signed every request.
    let violations = fake.lock().expect("fake").violations.clone();
    assert!(violations.is_empty(), "{violations:?}");
    let listed = pl(p, &["mls", "list"], "");
    assert!(
        listed.contains("metro  RETS") && listed.contains("as maria"),
        "{listed}"
    );
    s.dom_click("[data-testid=mls-pull]");
    s.wait_for("[data-testid=mls-said]", |s| {
        s.text_of("[data-testid=mls-said]")
            .contains("Pulled: 23 new")
    });
    // The last progress event may reach the window after the pull's answer.
    s.wait_for("[data-testid=mls-progress-text]", |s| {
        s.text_of("[data-testid=mls-progress-text]")
            .contains("23 of 23 listings")
    });
    s.wait_for("[data-testid=mls-connection]", |s| {
        s.text_of("[data-testid=mls-connection]")
            .contains("Newest change pulled")
    });
    // Again, with photos: the listing at the mark comes again and its
    // photos are fetched as the pull goes (T01's are left for later).
    s.dom_click("[data-testid=mls-pull-photos]");
    s.dom_click("[data-testid=mls-pull]");
    s.wait_for("[data-testid=mls-said]", |s| {
        s.text_of("[data-testid=mls-said]")
            .contains("Photos of 1 listing fetched (1 photo).")
    });
    s.shot("n-mls");
    let violations = fake.lock().expect("fake").violations.clone();
    assert!(violations.is_empty(), "{violations:?}");

    // The pulled listing: photos, favourite, showing, a tag, the report.
    s.click("[data-testid=open-listings]");
    s.wait("[data-testid=listing-row]");
    s.type_into("[data-testid=listing-text]", "corner");
    s.wait_for("[data-testid=listing-table]", |s| {
        let keys = s.d.js(
            &s.id,
            "return [...document.querySelectorAll('[data-testid=listing-row]')].map(r => r.dataset.key)",
            json!([]),
        );
        keys == json!(["T01"])
    });
    s.dom_click("[data-testid=listing-row] button");
    s.wait("[data-testid=listing-fetch-photos]");
    s.dom_click("[data-testid=listing-fetch-photos]");
    let thumbs = |s: &Session| {
        s.d.js(
            &s.id,
            "return [...document.querySelectorAll('[data-testid=listing-thumb]')].filter(i => i.complete && i.naturalWidth > 0).map(i => [i.naturalWidth, i.naturalHeight])",
            json!([]),
        )
    };
    s.wait_for("[data-testid=listing-photos]", |s| {
        thumbs(s) == json!([[320, 240], [320, 240]])
    });
    s.dom_click("[data-testid=listing-favourite]");
    s.d.js(
        &s.id,
        "const e = document.querySelector('[data-testid=listing-showing]'); e.value = 'scheduled'; e.dispatchEvent(new Event('change', { bubbles: true })); return true",
        json!([]),
    );
    s.type_into("[data-testid=listing-tag-input]", "pool\u{E007}");
    s.wait_for("[data-testid=listing-tags]", |s| {
        s.text_of("[data-testid=listing-tags]").contains("#pool")
    });
    s.wait_for("[data-testid=listing-comps]", |s| {
        s.find("[data-testid=listing-export-report]").is_some()
    });
    s.dom_click("[data-testid=listing-export-report]");
    s.wait_for("[data-testid=listing-notice]", |s| {
        s.text_of("[data-testid=listing-notice]")
            .contains("Report saved to")
    });
    let notice = s.text_of("[data-testid=listing-notice]");
    let path = notice.trim_start_matches("Report saved to ").trim();
    let html = std::fs::read_to_string(path).expect("the report file");
    assert!(html.contains("<!doctype html>") && html.contains("Comparable sales"));
    s.shot("o-listing-photos");
    eventually(15, "favourite, showing and tag not saved", || {
        let shown: Value =
            serde_json::from_str(&pl(p, &["--json", "listings", "show", "T01"], "")).expect("json");
        eprintln!("e2e: T01's team layer: {}", shown["team"]);
        shown["team"]["favourite"] == json!(true)
            && shown["team"]["showing"] == json!("scheduled")
            && shown["team"]["tags"] == json!(["pool"])
    });
    // Offline: the photos come from the cache.
    let out = pl(p, &["listings", "photos", "T01", "--offline"], "");
    assert!(out.contains("T01: 2 photos"), "{out}");

    // Removing the connection forgets it and its passwords; the listings stay.
    s.click("[data-testid=open-mls]");
    s.dom_click("[data-testid=mls-remove]");
    s.dom_click("[data-testid=mls-remove-confirm]");
    s.wait("[data-testid=mls-empty]");
    assert_eq!(pl(p, &["mls", "list"], "").trim(), "");
    let secrets = std::fs::read_to_string(p.join("secrets.json")).unwrap_or_default();
    assert!(!secrets.contains(fake_rets::PASSWORD), "{secrets}");
    let out = pl(p, &["listings", "show", "T01"], "");
    assert!(out.contains("T01"), "{out}");
    fake_rets::PASSWORD.to_string()
}

/// (l) A template applied from the board with a date and a preview; (m) a
/// teammate mentioned with `@` completion, who finds it in his inbox after
/// a sync; (n) a mention of the app's user rings the bell and notifies;
/// (o) the activity feed and insights.
pub fn work(s: &Session, p: &Path, c: &Path, joe: &Path, desktop: &Desktop) {
    let me = Profile::open(p, OpenOptions::default())
        .expect("the app's profile")
        .user()
        .to_string();
    s.click("[data-testid=board-list] button");
    s.wait("[data-testid=board]");
    s.click("[data-testid=new-from-template]");
    s.wait("[data-testid=from-template]");
    let choose = r#"
        const sel = document.querySelector('[data-testid=template-name]');
        sel.value = 'Escrow to closing';
        sel.dispatchEvent(new Event('change', { bubbles: true }));
        const d = document.querySelector('[data-testid=template-anchor]');
        d.value = '2027-01-15';
        d.dispatchEvent(new Event('input', { bubbles: true }));
        return true"#;
    s.d.js(&s.id, choose, json!([]));
    s.type_into("[data-testid=template-prefix]", "48 Elm Ave");
    // Closing Friday 15 January 2027; three business days before: the 12th.
    s.wait_for("[data-testid=template-preview]", |s| {
        s.text_of("[data-testid=template-preview]")
            .contains("2027-01-12")
    });
    s.shot("w-from-template");
    s.click("[data-testid=template-apply]");
    s.wait_for("[data-testid=notice]", |s| {
        s.text_of("[data-testid=notice]")
            .contains("tasks from the template")
    });
    let tasks: Value = serde_json::from_str(&pl(
        p,
        &["--json", "task", "list", "--board", "Oak St listing"],
        "",
    ))
    .expect("json");
    let made: Vec<&Value> = tasks
        .as_array()
        .expect("tasks")
        .iter()
        .filter(|t| {
            t["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("48 Elm Ave: "))
        })
        .collect();
    assert!(made.len() >= 10, "{} template tasks", made.len());
    let id = made[0]["id"].as_str().expect("id").to_string();

    // @jo → the completion offers joe (a member of the team).
    s.dom_click(&format!("[data-task=\"{id}\"]"));
    s.wait("[data-testid=task-detail]");
    s.type_into("[data-testid=comment-input]", "@jo");
    s.wait_for("[data-testid=mention-suggestions]", |s| {
        s.text_of("[data-testid=mention-suggestions]")
            .contains("@joe")
    });
    s.type_into("[data-testid=comment-input]", "\u{E007}");
    s.type_into(
        "[data-testid=comment-input]",
        "can you get the lockbox code?\u{E007}",
    );
    s.wait_for("[data-testid=comments]", |s| {
        s.text_of("[data-testid=comments]")
            .contains("@joe can you get the lockbox code?")
    });
    assert!(s.find("[data-testid=comments] mark.mention").is_some());
    s.shot("w-mention");
    eventually(30, "joe never found the mention in his inbox", || {
        pl(joe, &["sync"], "");
        pl(joe, &["--user", "joe", "inbox", "--unread"], "").contains("lockbox code")
    });

    // Maria's laptop mentions the app's user: the bell counts it, the
    // desktop shows it, the panel opens the task and marks it read.
    s.click("[aria-label='Close the task']");
    pl(c, &["sync"], "");
    let text = format!("@{me} the lender called back");
    pl(c, &["task", "comment", &id, &text], "");
    pl(c, &["sync"], "");
    s.wait_for("[data-testid=inbox-count]", |s| {
        s.text_of("[data-testid=inbox-count]") != "0"
    });
    eventually(15, "no desktop notification for the mention", || {
        notify_calls(desktop, "maria mentioned you") == 1
    });
    s.click("[data-testid=inbox-bell]");
    s.wait_for("[data-testid=inbox-items]", |s| {
        s.text_of("[data-testid=inbox-items]")
            .contains("the lender called back")
    });
    s.shot("w-inbox");
    s.click("[data-testid=inbox-item][data-kind=mention] button.link");
    s.wait("[data-testid=task-detail]");
    s.wait_for("[data-testid=inbox-items]", |s| {
        s.find("[data-testid=inbox-item][data-kind=mention][data-state=unread]")
            .is_none()
    });
    s.click("[aria-label='Close the inbox']");
    s.click("[aria-label='Close the task']");

    s.click("[data-testid=open-activity]");
    s.wait_for("[data-testid=activity]", |s| {
        s.text_of("[data-testid=activity]")
            .contains("applied a template to")
    });
    s.shot("w-activity");
    s.click("[data-testid=open-insights]");
    s.wait("[data-testid=insights] canvas");
    s.wait_for("[data-testid=insights]", |s| {
        s.text_of("[data-testid=insights]")
            .contains("Open work per person")
    });
    s.shot("w-insights");

    // Team → People: rename joe; his mention follows him to the new name,
    // on his own machine too after a sync.
    s.click("[data-testid=open-team]");
    let joe_row = "[data-testid=person][data-name='joe']";
    s.wait(joe_row);
    s.click(&format!("{joe_row} [data-testid=person-rename]"));
    s.d.js(
        &s.id,
        "const i = document.querySelector('[data-testid=person-new-name]'); i.value = ''; i.dispatchEvent(new Event('input', { bubbles: true })); return true",
        json!([]),
    );
    s.type_into("[data-testid=person-new-name]", "joe.b");
    s.click("[data-testid=person-save]");
    s.wait_for("[data-testid=people-done]", |s| {
        s.text_of("[data-testid=people-done]")
            .contains("Renamed @joe to @joe.b")
    });
    s.wait_for("[data-testid=person][data-name='joe.b']", |s| {
        s.text_of("[data-testid=person][data-name='joe.b']")
            .contains("formerly @joe")
    });
    s.shot("w-people-rename");
    eventually(30, "joe's mention did not follow the rename", || {
        pl(joe, &["sync"], "");
        pl(joe, &["--user", "joe", "inbox", "--all"], "")
            .contains("@joe.b can you get the lockbox code?")
    });
    s.click("[data-testid=board-list] button");
    s.wait("[data-testid=board]");
}
