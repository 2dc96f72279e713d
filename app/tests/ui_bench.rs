//! UI timings of the real app under Xvfb (WebDriver + performance marks):
//! cold start to interactive, quick-add to visible card, opening a board of
//! 2,000 tasks, and scrolling it. Not a pass/fail test: it prints the
//! figures for BENCHMARKS.md. Run with `make bench-ui`. A second test,
//! `listings_memory`, measures the app's memory with 100,000 listings
//! cached while the Listings, detail and Market views are used.

mod common;

use std::time::Instant;

use common::{Desktop, open_session, require, target_dir};
use porchlight_store::{OpenOptions, Profile};
use serde_json::{Value, json};

const TASKS: usize = 2_000;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The release build, as people run it (`make bench-ui` builds it);
/// PORCHLIGHT_BENCH_APP names another binary.
fn bench_app() -> std::path::PathBuf {
    let app = std::env::var_os("PORCHLIGHT_BENCH_APP")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| target_dir().join("release/porchlight-app"));
    require(
        &app,
        "build the app (`cargo build --release -p porchlight-app`)",
    );
    println!("ui-bench: app {}", app.display());
    app
}

fn bench_profile(dir: &std::path::Path) -> Profile {
    Profile::open(
        dir,
        OpenOptions {
            user: Some("bench".into()),
            tz: Some("UTC".into()),
            now: None,
        },
    )
    .expect("profile")
}

#[test]
#[ignore = "a benchmark: run with `make bench-ui`"]
fn ui_timings() {
    let app = bench_app();
    let shots = target_dir().join("e2e-screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let profile = tempfile::tempdir().expect("profile");
    {
        let mut p = bench_profile(profile.path());
        p.boards_mut()
            .create(
                "Big board",
                &["To do".into(), "Doing".into(), "Done".into()],
            )
            .expect("board");
        for i in 0..TASKS {
            p.tasks_mut()
                .quick_add("Big board", &format!("Listing task {i} #bench"))
                .expect("task");
        }
    }
    let desktop = Desktop::start(profile.path());
    let d = &desktop.driver;

    // Cold start: session request → app interactive, five times.
    let mut starts = Vec::new();
    let mut in_page = Vec::new();
    for _ in 0..5 {
        let t0 = Instant::now();
        let s = open_session(d, &app, &shots, &desktop.display);
        starts.push(t0.elapsed().as_secs_f64() * 1000.0);
        let mark = s.d.js(
            &s.id,
            "return performance.getEntriesByName('porchlight-interactive')[0].startTime",
            json!([]),
        );
        in_page.push(mark.as_f64().unwrap_or(f64::NAN));
        s.end();
    }

    let s = open_session(d, &app, &shots, &desktop.display);
    // Open the board of 2,000 tasks: click → first card in the DOM.
    // Leave the board (Today has no cards), wait until its cards are gone,
    // then click the board and time until its first card is in the DOM.
    let open_board = r#"
        const done = arguments[arguments.length - 1];
        document.querySelector('nav button').click();
        const cards = () => document.querySelectorAll('[data-testid=card]').length;
        const gone = () => {
            if (cards() > 0) return setTimeout(gone, 10);
            const t0 = performance.now();
            document.querySelector('[data-testid=board-list] button').click();
            const poll = () => cards() > 0 ? done(performance.now() - t0) : setTimeout(poll, 0);
            poll();
        };
        setTimeout(gone, 300);"#;
    // The open_board command alone (IPC both ways, no rendering).
    let command = r#"
        const done = arguments[arguments.length - 1];
        const board = arguments[0];
        const t0 = performance.now();
        window.__TAURI_INTERNALS__.invoke('open_board', { board })
            .then((v) => done([performance.now() - t0, v.tasks.length]));"#;
    let mut opens = Vec::new();
    let mut commands = Vec::new();
    for _ in 0..5 {
        let v: Value = s.d.post(
            &format!("/session/{}/execute/async", s.id),
            json!({ "script": command, "args": ["Big board"] }),
        );
        assert_eq!(v[1].as_u64(), Some(TASKS as u64), "{v}");
        commands.push(v[0].as_f64().unwrap_or(f64::NAN));
        let v: Value = s.d.post(
            &format!("/session/{}/execute/async", s.id),
            json!({ "script": open_board, "args": [] }),
        );
        opens.push(v.as_f64().unwrap_or(f64::NAN));
    }
    let cards_in_dom = s.d.js(
        &s.id,
        "return document.querySelectorAll('[data-testid=card]').length",
        json!([]),
    );

    // Scroll the 2,000-card column top to bottom in 40 steps; time each
    // step until the windowed list has re-rendered (next task turn).
    let scroll = r#"
        const done = arguments[arguments.length - 1];
        const list = document.querySelector('[data-testid=column] .cards');
        const steps = 40, times = [];
        let i = 0;
        const step = () => {
            if (i === steps) return done(times);
            const t0 = performance.now();
            list.scrollTop = (list.scrollHeight - list.clientHeight) * (++i / steps);
            list.dispatchEvent(new Event('scroll'));
            setTimeout(() => { times.push(performance.now() - t0); step(); }, 0);
        };
        step();"#;
    let v: Value = s.d.post(
        &format!("/session/{}/execute/async", s.id),
        json!({ "script": scroll, "args": [] }),
    );
    let frames: Vec<f64> = v
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    s.shot("bench-board-2000");

    // Quick-add → card visible, ten times.
    let quick_add = r#"
        const done = arguments[arguments.length - 1];
        const title = arguments[0];
        const t0 = performance.now();
        document.querySelector('[data-testid=quick-add] button[type=submit]').click();
        const seen = () => [...document.querySelectorAll('[data-testid=card] .card-title')].some(e => e.textContent === title);
        const poll = () => seen() ? done(performance.now() - t0) : setTimeout(poll, 0);
        poll();"#;
    s.click("header button.primary");
    s.wait("[data-testid=quick-add-input]");
    let mut adds = Vec::new();
    for i in 0..10 {
        // New cards go to the bottom of the column: scroll there first so
        // the windowed list renders it.
        s.d.js(&s.id, "const l = document.querySelector('[data-testid=column] .cards'); l.scrollTop = l.scrollHeight; l.dispatchEvent(new Event('scroll')); return true", json!([]));
        s.type_into(
            "[data-testid=quick-add-input]",
            &format!("Bench add {i} tomorrow #bench"),
        );
        let v: Value = s.d.post(
            &format!("/session/{}/execute/async", s.id),
            json!({ "script": quick_add, "args": [format!("Bench add {i}")] }),
        );
        adds.push(v.as_f64().unwrap_or(f64::NAN));
    }
    s.end();

    println!("ui-bench: tasks on the board: {TASKS}; cards in the DOM: {cards_in_dom}");
    println!(
        "ui-bench: cold start, session request to interactive: median {:.0} ms (runs {starts:.0?})",
        median(starts.clone())
    );
    println!(
        "ui-bench: cold start, page load to interactive mark: median {:.0} ms",
        median(in_page)
    );
    println!(
        "ui-bench: open the 2,000-task board: median {:.1} ms (runs {opens:.1?})",
        median(opens.clone())
    );
    println!(
        "ui-bench: open_board command alone (2,000 tasks over IPC): median {:.1} ms (runs {commands:.1?})",
        median(commands.clone())
    );
    println!(
        "ui-bench: scroll step to re-rendered list: median {:.1} ms, max {:.1} ms over {} steps",
        median(frames.clone()),
        frames.iter().cloned().fold(0.0, f64::max),
        frames.len()
    );
    println!(
        "ui-bench: quick-add to visible card: median {:.1} ms (runs {adds:.1?})",
        median(adds.clone())
    );
}

/// The processes of the app: the one named `porchlight-app` and its
/// descendants (WebKit's web and network processes).
fn app_tree() -> Vec<u32> {
    let mut parents = Vec::new();
    let mut root = None;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid …; comm may hold spaces, so split after ')'.
        let comm = stat
            .split('(')
            .nth(1)
            .and_then(|r| r.rsplit_once(')'))
            .map(|(c, _)| c.to_string());
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0);
        if comm.as_deref() == Some("porchlight-app") {
            root = Some(pid);
        }
        parents.push((pid, ppid));
    }
    let Some(root) = root else { return Vec::new() };
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let p = tree[i];
        tree.extend(parents.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    tree
}

/// A `/proc` field in kB (`VmRSS:`, `Pss:` …) of one file.
fn kib(path: &str, field: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

#[test]
#[ignore = "a benchmark: run with `make bench-ui`"]
fn listings_memory() {
    const LISTINGS: usize = 100_000;
    let app = bench_app();
    let shots = target_dir().join("e2e-screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let profile = tempfile::tempdir().expect("profile");
    {
        let mut p = bench_profile(profile.path());
        let now = p.now();
        for chunk in
            porchlight_store::listings::synthetic::listings(LISTINGS, 7, "M", now).chunks(25_000)
        {
            p.listings_mut()
                .import("mls", chunk, false)
                .expect("import");
        }
    }
    let desktop = Desktop::start(profile.path());
    let s = open_session(&desktop.driver, &app, &shots, &desktop.display);
    let tree = app_tree();
    assert!(!tree.is_empty(), "the app process is running");
    let sample = |label: &str| {
        let tree = app_tree();
        let rss: u64 = tree
            .first()
            .map(|p| kib(&format!("/proc/{p}/status"), "VmRSS:"))
            .unwrap_or(0);
        let hwm: u64 = tree
            .first()
            .map(|p| kib(&format!("/proc/{p}/status"), "VmHWM:"))
            .unwrap_or(0);
        let pss: u64 = tree
            .iter()
            .map(|p| kib(&format!("/proc/{p}/smaps_rollup"), "Pss:"))
            .sum();
        println!(
            "ui-bench: memory {label}: app process RSS {} MiB (peak {} MiB); app + WebKit processes ({}) PSS {} MiB",
            rss / 1024,
            hwm / 1024,
            tree.len(),
            pss / 1024
        );
    };
    sample("at start");
    s.click("[data-testid=open-listings]");
    s.wait("[data-testid=listing-row]");
    sample("Listings view (first 500 of 100,000)");
    s.type_into("[data-testid=listing-city]", "Denver");
    std::thread::sleep(std::time::Duration::from_millis(800));
    s.dom_click("[data-testid=listing-row] button");
    s.wait("[data-testid=listing-detail]");
    s.wait_for("[data-testid=listing-comps]", |s| {
        !s.text_of("[data-testid=listing-comps]").is_empty()
    });
    sample("after a search and a listing's detail with comparables");
    s.click("[data-testid=open-market]");
    s.wait("[data-testid=market-table]");
    sample("Market view (stats over 100,000)");
    s.shot("bench-listings-100k");
    s.end();
}
