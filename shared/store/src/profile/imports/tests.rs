//! Imports from fixtures shaped like each tool's real exports.

use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::profile::{OpenOptions, Profile};
use crate::store::TaskQuery;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 12, 16, 0, 0)
        .single()
        .unwrap_or_default()
}

fn profile() -> Profile {
    Profile::in_memory(OpenOptions {
        user: Some("alex".into()),
        tz: Some("America/Chicago".into()),
        now: Some(now()),
    })
    .expect("profile")
}

fn all_tasks(p: &Profile) -> Vec<Task> {
    p.tasks()
        .list(&TaskQuery {
            include_done: true,
            include_archived: true,
            ..Default::default()
        })
        .expect("tasks")
}

const TRELLO: &[u8] = include_bytes!("fixtures/trello-board.json");
const TODOIST: &[u8] = include_bytes!("fixtures/todoist-project.csv");
const SHEET: &[u8] = include_bytes!("fixtures/sheet.csv");

#[test]
fn a_trello_board_becomes_a_board_with_everything_on_its_cards() {
    let mut p = profile();
    let plan = p
        .plan_import(&ImportFormat::Trello, TRELLO, "export")
        .expect("plan");
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    assert_eq!(plan.name, "48 Elm Ave – Escrow");
    // Lists in their order; the closed list is not a column.
    assert_eq!(plan.columns, ["To Do", "Doing", "Done"]);
    let done = p.boards_mut().import_plan(&plan, false).expect("import");
    assert_eq!(done.tasks, 5);
    assert_eq!(done.board.name, "48 Elm Ave – Escrow");
    let tasks = all_tasks(&p);
    let get = |title: &str| {
        tasks
            .iter()
            .find(|t| t.title == title)
            .unwrap_or_else(|| panic!("no task {title}"))
    };
    let title = get("Order the title report");
    assert_eq!(title.labels, ["urgent"]);
    assert_eq!(title.assignees, ["marialopez"]);
    assert_eq!(
        title.due.as_ref().map(|d| d.at),
        Utc.with_ymd_and_hms(2027, 1, 20, 17, 0, 0).single()
    );
    assert!(
        title
            .description
            .starts_with("Ask for the **preliminary** report.")
    );
    let items: Vec<(&str, bool)> = title
        .checklist
        .iter()
        .map(|i| (i.text.as_str(), i.done))
        .collect();
    assert_eq!(
        items,
        [("Call title company", true), ("Forward to lender", false)]
    );
    let said: Vec<(&str, &str)> = title
        .comments
        .iter()
        .map(|c| (c.author.as_str(), c.text.as_str()))
        .collect();
    assert_eq!(
        said,
        [
            ("Maria Lopez", "Called them, waiting."),
            ("Joe Park", "@marialopez they said Tuesday"),
        ]
    );
    assert_eq!(title.comments[1].mentions, ["marialopez"]);
    // The card's id says when it was made.
    assert_eq!(
        title.created_at,
        DateTime::from_timestamp(0x65a1_f300, 0).expect("time")
    );
    let wired = get("Earnest money wired");
    assert!(wired.completed_at.is_some());
    assert_eq!(wired.labels, ["green"]);
    let inspection = get("Schedule the inspection");
    assert_eq!(inspection.assignees, ["joepark", "samortiz3"]);
    let items: Vec<&str> = inspection
        .checklist
        .iter()
        .map(|i| i.text.as_str())
        .collect();
    assert_eq!(
        items,
        [
            "Before: Confirm access with listing agent",
            "After: Send report to buyer"
        ]
    );
    assert!(get("Staging quote").archived, "closed card");
    assert!(get("Drone photos").archived, "card of a closed list");
    // The board's columns hold the cards of their lists.
    let board = p.boards().get("48 Elm Ave – Escrow").expect("board");
    assert_eq!(
        board.column("Doing").map(|c| &c.id),
        Some(&inspection.column)
    );
}

#[test]
fn files_that_are_not_trello_exports_say_so() {
    let p = profile();
    for (bytes, says) in [
        (&b"not json"[..], "not JSON"),
        (&b"{\"name\": \"x\"}"[..], "no lists or cards"),
    ] {
        let err = p
            .plan_import(&ImportFormat::Trello, bytes, "f")
            .expect_err("refused")
            .to_string();
        assert!(err.contains(says), "{err}");
    }
}

#[test]
fn a_todoist_export_keeps_sections_subtasks_notes_and_reports_bad_rows_by_line() {
    let mut p = profile();
    let plan = p
        .plan_import(&ImportFormat::Todoist, TODOIST, "Listing 12 Oak")
        .expect("plan");
    assert_eq!(plan.columns, ["Before listing", "Listing week"]);
    let problems: Vec<(&str, &str)> = plan
        .problems
        .iter()
        .map(|p| (p.at.as_str(), p.reason.as_str()))
        .collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(problems[0].0, "line 11");
    assert!(
        problems[0].1.contains("'someday soon' is not a date"),
        "{problems:?}"
    );
    assert_eq!(problems[1].0, "line 12");
    assert!(problems[1].1.contains("PRIORITY '9'"), "{problems:?}");

    // Nothing is made while rows are bad …
    let err = p
        .boards_mut()
        .import_plan(&plan, false)
        .expect_err("bad rows");
    assert!(
        err.to_string()
            .contains("2 row(s) cannot be imported (line 11:"),
        "{err}"
    );
    assert!(p.boards().list().expect("boards").is_empty());
    // … unless asked to skip them.
    let done = p.boards_mut().import_plan(&plan, true).expect("import");
    assert_eq!((done.tasks, done.skipped), (3, 2));
    let tasks = all_tasks(&p);
    let get = |title: &str| tasks.iter().find(|t| t.title == title).expect(title);
    let sign = get("Order yard sign");
    assert_eq!(sign.labels, ["marketing"]);
    assert_eq!(sign.priority, Priority::High);
    assert_eq!(sign.description, "Two-sided");
    assert!(sign.due.as_ref().is_some_and(|d| d.all_day));
    let photos = get("Schedule photographer");
    assert_eq!(photos.priority, Priority::Urgent);
    assert_eq!(photos.labels, ["marketing", "photos"]);
    assert_eq!(photos.assignees, ["joe.park"]);
    assert_eq!(
        photos.due.as_ref().map(Due::display).as_deref(),
        Some("2027-01-18 10:00")
    );
    let items: Vec<&str> = photos.checklist.iter().map(|i| i.text.as_str()).collect();
    assert_eq!(items, ["Confirm date with seller", "Send shot list"]);
    assert_eq!(photos.comments[0].author, "joe.park");
    assert_eq!(photos.comments[0].text, "Photographer prefers mornings");
    let weekly = get("Weekly seller update");
    assert!(weekly.recurrence.is_some());
}

#[test]
fn a_spreadsheet_with_guessed_columns_mixed_encodings_and_semicolons() {
    let mut p = profile();
    let plan = p
        .plan_import(&ImportFormat::Csv(Mapping::default()), SHEET, "sheet")
        .expect("plan");
    let lines: Vec<&str> = plan.problems.iter().map(|p| p.at.as_str()).collect();
    assert_eq!(lines, ["line 5", "line 6"], "{:?}", plan.problems);
    assert_eq!(plan.columns, ["In progress", "To do", "Done"]);
    let titles: Vec<&str> = plan.tasks.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Book stager", "Café meeting with seller", "Post to MLS"]
    );
    assert_eq!(plan.tasks[1].description, "bring the “comps”");
    assert_eq!(plan.tasks[0].labels, ["needs-review", "staging"]);
    assert_eq!(plan.tasks[0].assignees, ["dana.k"]);
    assert_eq!(plan.tasks[1].priority, Priority::High);
    assert!(plan.tasks[2].completed_at.is_some());
    let done = p.boards_mut().import_plan(&plan, true).expect("import");
    assert_eq!(done.tasks, 3);
}

#[test]
fn a_mapping_names_the_columns_and_wrong_mappings_are_explained() {
    let p = profile();
    let csv = b"What,When,Who\nCall lender,2027-01-14 09:00,Ana\n";
    let mapping = Mapping::parse("title=What, due=When, assignee=Who").expect("mapping");
    let plan = p
        .plan_import(&ImportFormat::Csv(mapping), csv, "calls")
        .expect("plan");
    assert_eq!(plan.tasks[0].title, "Call lender");
    assert_eq!(plan.tasks[0].assignees, ["ana"]);
    assert!(plan.tasks[0].due.is_some());
    // No title column to guess.
    let err = p
        .plan_import(&ImportFormat::Csv(Mapping::default()), csv, "calls")
        .expect_err("no title")
        .to_string();
    assert!(err.contains("--mapping title=COLUMN"), "{err}");
    let err = p
        .plan_import(
            &ImportFormat::Csv(Mapping::parse("title=Nope").expect("mapping")),
            csv,
            "calls",
        )
        .expect_err("unknown column")
        .to_string();
    assert!(
        err.contains("column 'Nope'") && err.contains("What, When, Who"),
        "{err}"
    );
    assert!(Mapping::parse("colour=What").is_err());
    assert!(Mapping::parse("title").is_err());
}

#[test]
fn decoding_handles_boms_utf16_and_windows_lines() {
    assert_eq!(decode_text(b"\xEF\xBB\xBFa,b"), "a,b");
    assert_eq!(decode_text(b"\xFF\xFEa\x00,\x00b\x00"), "a,b");
    assert_eq!(decode_text(b"caf\xc3\xa9\nna\xefve\n"), "café\nnaïve\n");
    assert_eq!(decode_text(b"a\r\nb\r\n"), "a\nb\n");
}
