//! The `porchlight` binary, driven as a person or a script would.

use std::path::Path;
use std::process::{Command, Output};

const NOW: &str = "2026-11-18T17:00:00Z"; // Wednesday 10:00 in Denver

fn pl(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_porchlight"));
    cmd.arg("--data-dir").arg(dir);
    // Defaults for the person, clock and zone, unless the test sets them.
    for (flag, value) in [
        ("--user", "maria"),
        ("--tz", "America/Denver"),
        ("--now", NOW),
    ] {
        if !args.contains(&flag) {
            cmd.args([flag, value]);
        }
    }
    cmd.args(args)
        .env_remove("PORCHLIGHT_LOG")
        .output()
        .expect("run porchlight")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = pl(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(dir, &all)).expect("json")
}

/// Runs a command that must fail; returns (exit code, stderr).
fn fails(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = pl(dir, args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    (out.status.code().unwrap_or(-1), err)
}

#[test]
fn quick_add_then_list_due_tomorrow_as_json() {
    let dir = tempfile::tempdir().expect("dir");
    ok(
        dir.path(),
        &["task", "add", "Call John tomorrow 3pm #followup !high"],
    );
    let tasks = json(dir.path(), &["task", "list", "--due", "tomorrow"]);
    let tasks = tasks.as_array().expect("array");
    assert_eq!(tasks.len(), 1);
    let t = &tasks[0];
    assert_eq!(t["title"], "Call John");
    // 15:00 in Denver (UTC-7) on Thursday 2026-11-19.
    assert_eq!(t["due"]["at"], "2026-11-19T22:00:00Z");
    assert_eq!(t["due"]["tz"], "America/Denver");
    assert_eq!(t["labels"], serde_json::json!(["followup"]));
    assert_eq!(t["priority"], "high");
    assert!(
        json(dir.path(), &["task", "list", "--due", "today"])
            .as_array()
            .expect("a")
            .is_empty()
    );
    ok(dir.path(), &["task", "add", "Book the showing mls:A77"]);
    let linked = json(dir.path(), &["task", "list", "--listing", "A77"]);
    let titles: Vec<&str> = linked
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|t| t["title"].as_str())
        .collect();
    assert_eq!(titles, ["Book the showing"]);
}

#[test]
fn a_task_lives_through_its_whole_life() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    ok(
        d,
        &[
            "board", "new", "Escrow", "-c", "Open", "-c", "Waiting", "-c", "Closed",
        ],
    );
    let t = json(
        d,
        &[
            "task",
            "add",
            "Inspection fri 9am @joe #escrow",
            "--board",
            "Escrow",
        ],
    );
    let id = t["id"].as_str().expect("id").to_string();
    let short = &id[..8];
    ok(
        d,
        &[
            "task",
            "edit",
            short,
            "--description",
            "Bring the ladder",
            "--priority",
            "urgent",
            "--due",
            "dec 5 10am",
        ],
    );
    ok(d, &["task", "move", short, "--column", "Waiting"]);
    ok(d, &["task", "check", short, "--add", "Roof"]);
    ok(d, &["task", "check", short, "--done", "1"]);
    ok(d, &["task", "comment", short, "Inspector confirmed"]);
    let shown = json(d, &["task", "show", short]);
    assert_eq!(shown["description"], "Bring the ladder");
    assert_eq!(shown["priority"], "urgent");
    assert_eq!(shown["checklist"][0]["done"], true);
    assert_eq!(shown["comments"][0]["author"], "maria");
    let board = ok(d, &["board", "show", "Escrow"]);
    assert!(board.contains("Waiting (1)"), "{board}");
    let found = json(d, &["search", "ladder"]);
    assert_eq!(found[0]["id"], id);
    let history = json(d, &["task", "history", short]);
    let first = history[0]["version"].as_str().expect("v").to_string();
    assert!(history.as_array().expect("a").len() >= 5);
    let restored = json(d, &["task", "restore", short, &first[..12]]);
    assert_eq!(restored["description"], "");
    assert_eq!(restored["priority"], "none");
    ok(d, &["task", "done", short]);
    assert!(json(d, &["task", "list"]).as_array().expect("a").is_empty());
    assert_eq!(
        json(d, &["task", "list", "--all"])
            .as_array()
            .expect("a")
            .len(),
        1
    );
    ok(d, &["task", "reopen", short]);
    ok(d, &["task", "archive", short]);
    ok(d, &["task", "archive", short, "--undo"]);
    ok(d, &["task", "delete", short]);
    assert!(
        json(d, &["task", "list", "--all", "--archived"])
            .as_array()
            .expect("a")
            .is_empty()
    );
    assert_eq!(json(d, &["labels"]), serde_json::json!(["escrow"]));
    let report = json(d, &["reindex"]);
    assert_eq!(report["boards"], 1);
    let csv = ok(d, &["export", "--format", "csv"]);
    assert!(csv.starts_with("id,board,column,title"), "{csv}");
}

#[test]
fn board_files_shared_both_ways_converge() {
    let a = tempfile::tempdir().expect("a");
    let b = tempfile::tempdir().expect("b");
    let files = tempfile::tempdir().expect("files");
    let file_a = files.path().join("from-a.automerge");
    let file_b = files.path().join("from-b.automerge");
    ok(a.path(), &["board", "new", "Open house"]);
    let t = json(
        a.path(),
        &[
            "task",
            "add",
            "Print flyers tomorrow #print",
            "--board",
            "Open house",
        ],
    );
    let id = t["id"].as_str().expect("id").to_string();
    ok(
        a.path(),
        &[
            "board",
            "export",
            "Open house",
            "--output",
            file_a.to_str().expect("p"),
        ],
    );
    ok(b.path(), &["board", "import", file_a.to_str().expect("p")]);
    // Both edit offline, including the same task.
    ok(
        a.path(),
        &["task", "edit", &id, "--title", "Print 100 flyers"],
    );
    ok(
        a.path(),
        &["task", "add", "Buy cookies", "--board", "Open house"],
    );
    ok(
        b.path(),
        &[
            "task",
            "edit",
            &id,
            "--priority",
            "high",
            "--label",
            "urgent-print",
        ],
    );
    ok(
        b.path(),
        &["task", "add", "Borrow signs", "--board", "Open house"],
    );
    ok(
        a.path(),
        &[
            "board",
            "export",
            "Open house",
            "--output",
            file_a.to_str().expect("p"),
        ],
    );
    ok(
        b.path(),
        &[
            "board",
            "export",
            "Open house",
            "--output",
            file_b.to_str().expect("p"),
        ],
    );
    ok(a.path(), &["board", "import", file_b.to_str().expect("p")]);
    ok(b.path(), &["board", "import", file_a.to_str().expect("p")]);
    let list_a = json(a.path(), &["board", "show", "Open house"]);
    let list_b = json(b.path(), &["board", "show", "Open house"]);
    assert_eq!(list_a, list_b);
    let task = json(a.path(), &["task", "show", &id]);
    assert_eq!(task["title"], "Print 100 flyers");
    assert_eq!(task["priority"], "high");
    assert_eq!(list_a["tasks"].as_array().expect("a").len(), 3);
}

#[test]
fn bad_input_gets_one_clear_line_and_exit_code_2() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    ok(d, &["board", "new", "Home"]);
    let t = json(d, &["task", "add", "Fix gate"]);
    let id = t["id"].as_str().expect("id").to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["task", "add", ""], "needs a title"),
        (vec!["task", "add", "#only @tags !high"], "needs a title"),
        (
            vec!["task", "add", "x", "--board", "Nope"],
            "no board matches 'Nope'",
        ),
        (
            vec!["task", "add", "x", "--column", "Nope"],
            "has no column 'Nope'",
        ),
        (
            vec!["task", "edit", &id, "--due", "feb 30"],
            "invalid date 'feb 30'",
        ),
        (
            vec!["task", "edit", &id, "--due", "whenever"],
            "invalid date",
        ),
        (
            vec!["task", "edit", &id, "--priority", "meh"],
            "invalid priority",
        ),
        (
            vec!["task", "edit", &id, "--repeat", "sometimes"],
            "invalid recurrence",
        ),
        (vec!["task", "show", "ffffffff"], "no task matches"),
        (
            vec!["task", "list", "--due", "someday"],
            "invalid due filter",
        ),
        (vec!["board", "show", "Nope"], "no board matches"),
        (vec!["board", "import", "/nonexistent/file"], "cannot read"),
        (
            vec!["--tz", "Mars/Base", "task", "list"],
            "unknown time zone",
        ),
        (
            vec!["--now", "yesterday", "task", "list"],
            "not an RFC 3339",
        ),
    ];
    for (args, expected) in cases {
        let (code, err) = fails(d, &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    let long = "x".repeat(600);
    let (code, err) = fails(d, &["task", "add", &long]);
    assert_eq!((code, err.contains("limit is 500")), (2, true), "{err}");
    let huge = "y".repeat(100_001);
    let (code, err) = fails(d, &["task", "edit", &id, "--description", &huge]);
    assert_eq!((code, err.contains("description")), (2, true), "{err}");
    let garbage = d.join("garbage.automerge");
    std::fs::write(&garbage, b"\x85o\x4a\x83 not really").expect("write");
    let (code, err) = fails(d, &["board", "import", garbage.to_str().expect("p")]);
    assert_eq!(
        (code, err.contains("not a Porchlight board file")),
        (2, true),
        "{err}"
    );
}

#[test]
fn a_corrupt_database_is_named_with_what_to_do() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("porchlight.db"), vec![0x42u8; 64 * 1024]).expect("write");
    let (code, err) = fails(dir.path(), &["task", "list"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("porchlight.db") && err.contains("move it aside"),
        "{err}"
    );
}

#[test]
fn with_no_zone_given_or_saved_tz_from_the_environment_decides() {
    let dir = tempfile::tempdir().expect("dir");
    let add = |tz: &str, text: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_porchlight"))
            .arg("--data-dir")
            .arg(dir.path())
            .args([
                "--user", "maria", "--now", NOW, "--json", "task", "add", text,
            ])
            .env("TZ", tz)
            .env_remove("PORCHLIGHT_LOG")
            .output()
            .expect("run porchlight");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let task: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        task
    };
    let task = add("America/Chicago", "Call John tomorrow 3pm");
    assert_eq!(task["due"]["at"], "2026-11-19T21:00:00Z", "{task}");
    assert_eq!(task["due"]["tz"], "America/Chicago");
    // The POSIX form with a colon works too.
    let task = add(":Asia/Tokyo", "Call John tomorrow 9am");
    assert_eq!(task["due"]["at"], "2026-11-20T00:00:00Z", "{task}");
}

#[test]
fn a_template_is_shown_with_its_dates_and_applied_to_a_board() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let list = json(d, &["template", "list"]);
    let names: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|t| t["template"]["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "Buyer under contract",
            "Escrow to closing",
            "Listing preparation",
        ]
    );
    // Closing on Friday 15 January 2027 (Monday 18th is MLK day).
    let shown = ok(d, &["template", "show", "escrow", "--anchor", "2027-01-15"]);
    assert!(shown.contains("closing - 3 business days"), "{shown}");
    assert!(shown.contains("2027-01-12"), "{shown}");
    ok(d, &["board", "new", "Closings"]);
    let made = json(
        d,
        &[
            "template",
            "apply",
            "Escrow",
            "--board",
            "Closings",
            "--anchor",
            "2027-01-15",
            "--name",
            "48 Elm Ave",
        ],
    );
    let made = made.as_array().expect("array");
    assert_eq!(made.len(), 14);
    let task = |title: &str| {
        made.iter()
            .find(|t| t["title"] == format!("48 Elm Ave: {title}"))
            .unwrap_or_else(|| panic!("{title} not made"))
    };
    assert_eq!(task("Record the deed")["due"]["at"], "2027-01-19T07:00:00Z");
    assert_eq!(task("Closing")["due"]["at"], "2027-01-15T17:00:00Z");
    assert_eq!(
        task("Closing")["checklist"].as_array().map(Vec::len),
        Some(3)
    );
    assert_eq!(task("Closing")["labels"], serde_json::json!(["closing"]));
    // The closing moves a week: what is not done moves with it.
    let first = made
        .iter()
        .find(|t| t["title"] == "48 Elm Ave: Open escrow and send the contract")
        .expect("first step");
    let first_id = first["id"].as_str().expect("id").to_string();
    ok(d, &["task", "done", &first_id]);
    let closing = task("Closing")["id"].as_str().expect("id").to_string();
    let moved = json(d, &["template", "move", &closing, "--anchor", "2027-01-22"]);
    assert_eq!(moved, serde_json::json!({ "moved": 13, "done": 1 }));
    let shown = json(d, &["task", "show", &closing]);
    assert_eq!(shown["due"]["at"], "2027-01-22T17:00:00Z");
    let deed = task("Record the deed")["id"]
        .as_str()
        .expect("id")
        .to_string();
    // Friday 22nd + 1 business day: Monday 25th.
    assert_eq!(
        json(d, &["task", "show", &deed])["due"]["at"],
        "2027-01-25T07:00:00Z"
    );
    let done = json(d, &["task", "show", &first_id]);
    assert_eq!(done["due"]["at"], first["due"]["at"], "a done task stayed");
    let said = ok(d, &["template", "move", &closing, "--anchor", "2027-01-15"]);
    assert!(
        said.contains("Moved 13 task(s)") && said.contains("1 done"),
        "{said}"
    );
    let plain = json(
        d,
        &["task", "add", "Call the lender", "--board", "Closings"],
    );
    let (_, err) = fails(
        d,
        &[
            "template",
            "move",
            plain["id"].as_str().expect("id"),
            "--anchor",
            "jan 20",
        ],
    );
    assert!(err.contains("not made from a template"), "{err}");
    // Bad input says what to do.
    let (code, err) = fails(
        d,
        &[
            "template", "apply", "Nope", "--board", "Closings", "--anchor", "jan 15",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("Escrow to closing"), "{err}");
    let (code, err) = fails(d, &["template", "show", "escrow", "--anchor", "someday"]);
    assert_eq!(code, 2);
    assert!(err.contains("2027-01-15"), "{err}");
}

#[test]
fn a_mention_lands_in_the_teammates_inbox_and_the_feed_says_who_did_what() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    ok(d, &["board", "new", "Escrow: 48 Elm"]);
    let task = json(d, &["task", "add", "Lockbox code for 48 Elm tomorrow"]);
    let id = task["id"].as_str().expect("id").to_string();
    ok(
        d,
        &["task", "comment", &id, "@Joe can you get the lockbox code?"],
    );
    ok(d, &["task", "edit", &id, "--assign", "sam"]);

    let joe = |args: &[&str]| {
        let mut all = vec!["--user", "joe"];
        all.extend_from_slice(args);
        ok(d, &all)
    };
    let inbox = joe(&["inbox"]);
    assert!(inbox.contains("mention"), "{inbox}");
    assert!(
        inbox.contains("@Joe can you get the lockbox code?"),
        "{inbox}"
    );
    assert!(inbox.contains("1 unread"), "{inbox}");
    let items = json(d, &["--user", "joe", "inbox", "--unread"]);
    let item = items[0]["id"].as_str().expect("item id").to_string();
    let read = joe(&["inbox", "read", &item]);
    assert!(read.contains("Marked 1 item read; 0 unread."), "{read}");
    assert_eq!(
        json(d, &["--user", "joe", "inbox", "--unread"]),
        serde_json::json!([])
    );
    joe(&["inbox", "archive", "--all"]);
    assert!(joe(&["inbox"]).contains("Your inbox is empty."));
    assert!(joe(&["inbox", "--all"]).contains("mention"));

    // Sam was assigned by maria; the due date is tomorrow, so also due soon.
    let sam = json(d, &["--user", "sam", "inbox"]);
    let kinds: Vec<&str> = sam
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"assigned"), "{sam}");

    // Dana watches it and hears of the next comment.
    let watched = ok(d, &["--user", "dana", "task", "watch", &id]);
    assert!(watched.contains("Watching"), "{watched}");
    assert!(watched.contains("dana"), "{watched}");
    ok(d, &["task", "comment", &id, "Code is 4412"]);
    let dana = ok(d, &["--user", "dana", "inbox"]);
    assert!(dana.contains("Code is 4412"), "{dana}");
    ok(d, &["--user", "dana", "task", "watch", &id, "--off"]);
    assert!(ok(d, &["--user", "dana", "inbox"]).contains("empty"));

    let (_, err) = fails(d, &["--user", "joe", "inbox", "read", "zzzz"]);
    assert!(err.contains("no item 'zzzz' in your inbox"), "{err}");

    let feed = ok(d, &["activity", "--since", "1d"]);
    assert!(
        feed.contains("maria created the board “Escrow: 48 Elm”"),
        "{feed}"
    );
    assert!(
        feed.contains(
            "maria added, commented on, edited the assignees of “Lockbox code for 48 Elm” (4 changes)"
        ),
        "{feed}"
    );
    assert!(!feed.contains("watch"), "watching is private: {feed}");
    let (_, err) = fails(d, &["activity", "--since", "yesterday"]);
    assert!(err.contains("30m, 12h, 2d or 1w"), "{err}");
}

/// A fixture of the store's import tests (in the workspace's `shared/store`).
fn fixture(name: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace");
    root.join("shared/store/src/profile/imports/fixtures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn imports_show_a_dry_run_refuse_bad_rows_and_make_a_board() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let trello = fixture("trello-board.json");
    let dry = ok(d, &["import", "trello", &trello, "--dry-run"]);
    assert!(
        dry.contains("Would make the board '48 Elm Ave – Escrow' with columns To Do, Doing, Done and 5 task(s)"),
        "{dry}"
    );
    assert_eq!(
        json(d, &["board", "list"]),
        serde_json::json!([]),
        "a dry run makes nothing"
    );
    let made = ok(d, &["import", "trello", &trello, "--name", "Elm escrow"]);
    assert!(
        made.contains("Made the board 'Elm escrow' with 5 task(s)."),
        "{made}"
    );
    let tasks = json(d, &["task", "list", "--board", "Elm escrow"]);
    assert_eq!(
        tasks.as_array().map(Vec::len),
        Some(2),
        "open, not archived: {tasks}"
    );

    let todoist = fixture("todoist-project.csv");
    let out = pl(d, &["import", "todoist", &todoist]);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("line 11: 'someday soon' is not a date"),
        "{stdout}"
    );
    assert!(stdout.contains("line 12: PRIORITY '9'"), "{stdout}");
    let (_, err) = fails(d, &["import", "todoist", &todoist]);
    assert!(err.contains("pass --skip-bad"), "{err}");
    let made = ok(d, &["import", "todoist", &todoist, "--skip-bad"]);
    assert!(
        made.contains("Made the board 'todoist-project' with 3 task(s) (2 row(s) skipped)."),
        "{made}"
    );

    let sheet = dir.path().join("calls.csv");
    std::fs::write(&sheet, "What,Stage\nCall lender,Waiting\n").expect("write");
    let sheet = sheet.to_string_lossy().into_owned();
    let (_, err) = fails(d, &["import", "csv", &sheet]);
    assert!(err.contains("--mapping title=COLUMN"), "{err}");
    let (_, err) = fails(d, &["import", "csv", &sheet, "--mapping", "colour=What"]);
    assert!(err.contains("'colour' is not a task field"), "{err}");
    let made = ok(
        d,
        &[
            "import",
            "csv",
            &sheet,
            "--mapping",
            "title=What,column=Stage",
        ],
    );
    assert!(
        made.contains("Made the board 'calls' with 1 task(s)."),
        "{made}"
    );
    let feed = ok(d, &["activity", "--board", "calls"]);
    assert!(feed.contains("maria imported the board “calls”"), "{feed}");
}

#[test]
fn insights_predict_from_the_teams_history_and_explain_the_risk() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    ok(d, &["board", "new", "Escrows"]);
    // Six inspections, each done six days after it was made.
    for day in 1..=6 {
        let made = format!("2026-10-{:02}T15:00:00Z", day);
        let done = format!("2026-10-{:02}T15:00:00Z", day + 6);
        let t = json(
            d,
            &["--now", &made, "task", "add", "Inspection #inspection"],
        );
        let id = t["id"].as_str().expect("id").to_string();
        ok(d, &["--now", &done, "task", "done", &id]);
    }
    let open = json(
        d,
        &[
            "task",
            "add",
            "Inspection at 48 Elm #inspection in 2 days @maria",
        ],
    );
    let id = open["id"].as_str().expect("id").to_string();

    let out = ok(d, &["insights", "--weeks", "8"]);
    assert!(out.contains("Tasks done per week"), "{out}");
    assert!(out.contains("#inspection"), "{out}");
    assert!(out.contains("At risk"), "{out}");
    assert!(
        out.contains("tasks labelled #inspection took 6 days (median of 6)"),
        "{out}"
    );
    let data = json(d, &["insights", "--board", "Escrows"]);
    assert_eq!(data["at_risk"][0]["task"], id.as_str());
    assert_eq!(data["at_risk"][0]["at_risk"], true);
    let weeks = data["completed_per_week"].as_array().expect("weeks");
    assert_eq!(weeks.len(), 12);
    let total: u64 = weeks.iter().filter_map(|w| w["count"].as_u64()).sum();
    assert_eq!(total, 6);

    let shown = ok(d, &["task", "show", &id]);
    assert!(shown.contains("AT RISK"), "{shown}");
    let out = pl(d, &["insights", "--weeks", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 is not in 1..=520"));
}

#[test]
fn templates_are_made_edited_exported_and_follow_the_holiday_list() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let made = ok(
        d,
        &[
            "template",
            "new",
            "Short sale",
            "--anchor",
            "contract",
            "--step",
            "contract + 2 business days | Send the package to the lender #lender @maria !high",
            "--step",
            "contract + 30 days | Lender approval",
        ],
    );
    assert!(
        made.contains("Saved the template 'Short sale' (2 steps from the contract date)."),
        "{made}"
    );
    let (_, err) = fails(
        d,
        &[
            "template",
            "new",
            "Short sale",
            "--step",
            "closing + 1 day | x",
        ],
    );
    assert!(err.contains("exists already"), "{err}");
    let (_, err) = fails(d, &["template", "new", "Odd", "--step", "no pipe here"]);
    assert!(err.contains("needs an offset and a title"), "{err}");

    let shown = ok(d, &["template", "show", "short"]);
    assert!(shown.contains("Send the package to the lender"), "{shown}");
    assert!(shown.contains("contract + 2 business days"), "{shown}");
    ok(
        d,
        &[
            "template",
            "edit",
            "short",
            "--remove-step",
            "2",
            "--add-step",
            "contract + 45 days | Close #closing",
            "--rename",
            "Short sale (bank)",
        ],
    );
    let exported = json(d, &["template", "export", "Short sale (bank)"]);
    let steps: Vec<&str> = exported["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["title"].as_str())
        .collect();
    assert_eq!(steps, ["Send the package to the lender", "Close"]);
    assert_eq!(exported["steps"][0]["assignee"], "maria");
    // Back in from a file.
    let file = d.join("t.json");
    let mut changed = exported.clone();
    changed["steps"][1]["title"] = serde_json::json!("Close of escrow");
    std::fs::write(&file, changed.to_string()).expect("write");
    let file = file.to_string_lossy().into_owned();
    ok(
        d,
        &["template", "edit", "Short sale (bank)", "--file", &file],
    );
    assert!(ok(d, &["template", "show", "Short sale (bank)"]).contains("Close of escrow"));
    let (_, err) = fails(
        d,
        &[
            "template",
            "edit",
            "Short sale (bank)",
            "--remove-step",
            "9",
        ],
    );
    assert!(err.contains("steps 1 to 2"), "{err}");

    // A local day off moves business days; the list says so.
    let days = ok(d, &["template", "holidays", "--add", "2026-11-20"]);
    assert!(days.contains("Fri 2026-11-20"), "{days}");
    assert!(days.contains("Thu 2026-11-26"), "Thanksgiving: {days}");
    ok(d, &["board", "new", "Deals"]);
    let tasks = json(
        d,
        &[
            "template",
            "apply",
            "Short sale (bank)",
            "--board",
            "Deals",
            "--anchor",
            "2026-11-18",
        ],
    );
    // Wednesday 18th + 2 business days: Thursday 19th, not Friday 20th
    // (off), so Monday 23rd.
    assert_eq!(tasks[0]["due"]["at"], "2026-11-23T07:00:00Z");
    let (_, err) = fails(d, &["template", "holidays", "--add", "soon"]);
    assert!(err.contains("not a date like 2027-01-08"), "{err}");

    let gone = ok(d, &["template", "delete", "Short sale (bank)"]);
    assert!(gone.contains("tasks made from it stay"), "{gone}");
    assert_eq!(
        json(d, &["task", "list", "--board", "Deals"])
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}
