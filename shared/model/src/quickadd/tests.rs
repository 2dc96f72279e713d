//! Table-driven quick-add cases. "Now" is Wednesday 2026-11-18 10:00 in
//! Denver (17:00 UTC).

use chrono::{TimeZone, Utc};

use super::*;
use crate::board::{RecurrenceMode, RecurrenceRule, WeekdayName};

const TZ: &str = "America/Denver";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 18, 17, 0, 0)
        .single()
        .unwrap_or_default()
}

fn p(text: &str) -> Parsed {
    match parse(text, now(), TZ) {
        Ok(parsed) => parsed,
        Err(e) => panic!("{text:?}: {e}"),
    }
}

/// (input, title left over, due as shown in Denver or "" for none)
const DATES: &[(&str, &str, &str)] = &[
    ("Call John today", "Call John", "2026-11-18"),
    ("Call John tonight", "Call John", "2026-11-18 19:00"),
    ("Call John tonight 9pm", "Call John", "2026-11-18 21:00"),
    ("Call John tomorrow", "Call John", "2026-11-19"),
    ("Call John tmrw", "Call John", "2026-11-19"),
    (
        "Call John tomorrow morning",
        "Call John",
        "2026-11-19 09:00",
    ),
    (
        "Call John tomorrow evening",
        "Call John",
        "2026-11-19 18:00",
    ),
    ("Call John tomorrow 3pm", "Call John", "2026-11-19 15:00"),
    ("Call John tomorrow at 3pm", "Call John", "2026-11-19 15:00"),
    ("Call John friday", "Call John", "2026-11-20"),
    ("Call John Fri", "Call John", "2026-11-20"),
    ("Call John on friday", "Call John", "2026-11-20"),
    ("Call John monday", "Call John", "2026-11-23"),
    ("Call John wednesday", "Call John", "2026-11-25"),
    ("Call John tue", "Call John", "2026-11-24"),
    ("Call John next tue", "Call John", "2026-11-24"),
    ("Call John next fri", "Call John", "2026-11-27"),
    ("Call John next sunday", "Call John", "2026-11-29"),
    ("Call John next week", "Call John", "2026-11-23"),
    ("Call John next month", "Call John", "2026-12-01"),
    ("Call John on sat", "Call John", "2026-11-21"),
    ("Call John in 3 days", "Call John", "2026-11-21"),
    ("Call John in 2 weeks", "Call John", "2026-12-02"),
    ("Call John in a month", "Call John", "2026-12-18"),
    ("Call John in one week", "Call John", "2026-11-25"),
    ("Call John end of month", "Call John", "2026-11-30"),
    ("Call John end of the month", "Call John", "2026-11-30"),
    ("Call John eom", "Call John", "2026-11-30"),
    ("Call John dec 5", "Call John", "2026-12-05"),
    ("Call John December 5th", "Call John", "2026-12-05"),
    ("Call John 5 dec", "Call John", "2026-12-05"),
    ("Call John 5th of december", "Call John", "2026-12-05"),
    ("Call John dec 5 2027", "Call John", "2027-12-05"),
    ("Call John 12/5", "Call John", "2026-12-05"),
    ("Call John 12/5/2026", "Call John", "2026-12-05"),
    ("Call John 12/5/26", "Call John", "2026-12-05"),
    ("Call John 2026-12-05", "Call John", "2026-12-05"),
    ("Call John jan 3", "Call John", "2027-01-03"),
    ("Call John nov 1", "Call John", "2027-11-01"),
    ("Call John sept 9", "Call John", "2027-09-09"),
    ("Call John noon", "Call John", "2026-11-18 12:00"),
    ("Call John at noon", "Call John", "2026-11-18 12:00"),
    ("Call John 3pm", "Call John", "2026-11-18 15:00"),
    ("Call John 3 pm", "Call John", "2026-11-18 15:00"),
    ("Call John 3:30pm", "Call John", "2026-11-18 15:30"),
    ("Call John 10.30am", "Call John", "2026-11-18 10:30"),
    ("Call John 9am", "Call John", "2026-11-19 09:00"),
    ("Call John 15:00", "Call John", "2026-11-18 15:00"),
    ("Call John 3:30", "Call John", "2026-11-18 15:30"),
    ("Call John 9:30", "Call John", "2026-11-19 09:30"),
    ("Call John at 5", "Call John", "2026-11-18 17:00"),
    ("Call John at 11", "Call John", "2026-11-18 11:00"),
    ("Call John midnight", "Call John", "2026-11-19 00:00"),
    ("Call John 12am", "Call John", "2026-11-19 00:00"),
    ("Call John 12pm", "Call John", "2026-11-18 12:00"),
    ("Call John friday at 9am", "Call John", "2026-11-20 09:00"),
    ("3pm call John tomorrow", "call John", "2026-11-19 15:00"),
    ("Report due friday", "Report", "2026-11-20"),
    // An address after "at" is not a time when a real one is elsewhere.
    (
        "Showing at 12 Oak St tomorrow 3pm",
        "Showing at 12 Oak St",
        "2026-11-19 15:00",
    ),
    ("Showing at 12 Oak St", "Showing at 12 Oak St", ""),
    (
        "Showing at 12 Oak St friday",
        "Showing at 12 Oak St",
        "2026-11-20",
    ),
    (
        "Open house at 48 Elm Ave on sat at 1pm",
        "Open house at 48 Elm Ave",
        "2026-11-21 13:00",
    ),
    ("Lunch at 12 tomorrow", "Lunch", "2026-11-19 12:00"),
    ("Meet at 3 tomorrow", "Meet", "2026-11-19 15:00"),
    (
        "Meet at 5 at 48 Elm Ave",
        "Meet at 48 Elm Ave",
        "2026-11-18 17:00",
    ),
    ("Meet at 9 3pm", "Meet at 9", "2026-11-18 15:00"),
    // Time ranges: the start is the due time, the end is kept.
    (
        "Open house sat 1-4pm",
        "Open house",
        "2026-11-21 13:00-16:00",
    ),
    (
        "Showing 10–11:30am tomorrow",
        "Showing",
        "2026-11-19 10:00-11:30",
    ),
    (
        "Inspection tomorrow 10am-2pm",
        "Inspection",
        "2026-11-19 10:00-14:00",
    ),
    ("Lunch tomorrow 11-1pm", "Lunch", "2026-11-19 11:00-13:00"),
    (
        "Meeting tomorrow 1pm - 3pm",
        "Meeting",
        "2026-11-19 13:00-15:00",
    ),
    ("Call tomorrow 9 to 10am", "Call", "2026-11-19 09:00-10:00"),
    ("Party sat 9pm-1am", "Party", "2026-11-21 21:00-01:00"),
    ("Fix units 2-3", "Fix units 2-3", ""),
    ("Sun 10am brunch", "brunch", "2026-11-22 10:00"),
    // Relative times, from now (10:00 in Denver).
    ("Call back in 2 hours", "Call back", "2026-11-18 12:00"),
    ("Call back in 30 min", "Call back", "2026-11-18 10:30"),
    ("Call back in an hour", "Call back", "2026-11-18 11:00"),
    ("Call back in 90 minutes", "Call back", "2026-11-18 11:30"),
    ("Call back in 20 hrs", "Call back", "2026-11-19 06:00"),
    ("in 2 potatoes", "in 2 potatoes", ""),
    // Parts of the day.
    ("Call John this morning", "Call John", "2026-11-18 09:00"),
    ("Call John this afternoon", "Call John", "2026-11-18 14:00"),
    ("Call John this evening", "Call John", "2026-11-18 18:00"),
    (
        "Call John tomorrow afternoon",
        "Call John",
        "2026-11-19 14:00",
    ),
    ("this is the listing", "this is the listing", ""),
    // A day of the month after "on".
    ("Pay rent on the 1st", "Pay rent", "2026-12-01"),
    ("Pay rent on the 25th", "Pay rent", "2026-11-25"),
    ("Pay rent on the 18th", "Pay rent", "2026-11-18"),
    ("Read the 3rd chapter", "Read the 3rd chapter", ""),
    ("Report by dec 5", "Report", "2026-12-05"),
    // Ambiguous and hostile
    ("Meet tomorrow or friday", "Meet or friday", "2026-11-19"),
    ("Meet 3pm or 4pm", "Meet or 4pm", "2026-11-18 15:00"),
    ("tomorrow tomorrow", "tomorrow", "2026-11-19"),
    ("May call the lender", "May call the lender", ""),
    ("Sun room cleanup", "Sun room cleanup", ""),
    ("Sat down with the sellers", "Sat down with the sellers", ""),
    ("Fix unit 2/30", "Fix unit 2/30", ""),
    ("Fix 2026-13-45", "Fix 2026-13-45", ""),
    ("Call at 25", "Call at 25", ""),
    ("Room 12 paint", "Room 12 paint", ""),
    ("Call John re 12 Oak St", "Call John re 12 Oak St", ""),
    ("in 0 days", "in 0 days", ""),
    ("in 3 potatoes", "in 3 potatoes", ""),
    ("end of story", "end of story", ""),
    ("next door neighbour", "next door neighbour", ""),
    ("13pm rehearsal", "13pm rehearsal", ""),
    ("Call 555-1234", "Call 555-1234", ""),
    ("", "", ""),
    ("   ", "", ""),
    ("🏠 showing tomorrow", "🏠 showing", "2026-11-19"),
    ("Café visit tomorrow", "Café visit", "2026-11-19"),
];

#[test]
fn dates_and_times() {
    let mut failures = Vec::new();
    for (input, title, due) in DATES {
        let got = p(input);
        let got_due = got.due.as_ref().map(Due::display).unwrap_or_default();
        if got.title != *title || got_due != *due {
            failures.push(format!(
                "{input:?}: got ({:?}, {got_due:?}), want ({title:?}, {due:?})",
                got.title
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_example_from_the_issue() {
    let got = p("Call John re 12 Oak St tomorrow 3pm #followup @maria !high mls:A12345");
    assert_eq!(got.title, "Call John re 12 Oak St");
    assert_eq!(
        got.due.as_ref().map(Due::display).as_deref(),
        Some("2026-11-19 15:00")
    );
    assert_eq!(got.due.as_ref().map(|d| d.tz.as_str()), Some(TZ));
    assert_eq!(got.labels, ["followup"]);
    assert_eq!(got.assignees, ["maria"]);
    assert_eq!(got.priority, Some(Priority::High));
    assert_eq!(got.listings, ["A12345"]);
    let kinds: Vec<SpanKind> = got.spans.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            SpanKind::Date,
            SpanKind::Time,
            SpanKind::Label,
            SpanKind::Assignee,
            SpanKind::Priority,
            SpanKind::Listing
        ]
    );
}

/// (input, title, labels, assignees, priority, listings)
type TagCase = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    Option<Priority>,
    &'static [&'static str],
);
const TAGS: &[TagCase] = &[
    ("Stage #staging", "Stage", &["staging"], &[], None, &[]),
    (
        "Stage #Staging, now",
        "Stage now",
        &["staging"],
        &[],
        None,
        &[],
    ),
    (
        "Stage #follow-up #a #a",
        "Stage",
        &["follow-up", "a"],
        &[],
        None,
        &[],
    ),
    ("Stage #", "Stage #", &[], &[], None, &[]),
    ("#", "#", &[], &[], None, &[]),
    ("##", "##", &[], &[], None, &[]),
    (
        "Stage @maria @Joe",
        "Stage",
        &[],
        &["maria", "joe"],
        None,
        &[],
    ),
    ("Stage @", "Stage @", &[], &[], None, &[]),
    (
        "Email maria@example.com",
        "Email maria@example.com",
        &[],
        &[],
        None,
        &[],
    ),
    (
        "Ask @maria's broker",
        "Ask @maria's broker",
        &[],
        &[],
        None,
        &[],
    ),
    (
        "Stage !urgent",
        "Stage",
        &[],
        &[],
        Some(Priority::Urgent),
        &[],
    ),
    ("Stage !HIGH", "Stage", &[], &[], Some(Priority::High), &[]),
    ("Stage !1", "Stage", &[], &[], Some(Priority::Low), &[]),
    ("Stage !med", "Stage", &[], &[], Some(Priority::Medium), &[]),
    ("Stage !!", "Stage", &[], &[], Some(Priority::High), &[]),
    ("Stage !!!", "Stage", &[], &[], Some(Priority::Urgent), &[]),
    (
        "Stage !high !low",
        "Stage !low",
        &[],
        &[],
        Some(Priority::High),
        &[],
    ),
    ("Buy milk!", "Buy milk!", &[], &[], None, &[]),
    ("Stage !", "Stage !", &[], &[], None, &[]),
    ("Stage !bogus", "Stage !bogus", &[], &[], None, &[]),
    (
        "Show mls:A12345 mls:B-9",
        "Show",
        &[],
        &[],
        None,
        &["A12345", "B-9"],
    ),
    ("Show MLS:a1", "Show", &[], &[], None, &["a1"]),
    ("Show mls:", "Show mls:", &[], &[], None, &[]),
    ("#followup @maria", "", &["followup"], &["maria"], None, &[]),
];

#[test]
fn tags() {
    for (input, title, labels, people, priority, listings) in TAGS {
        let got = p(input);
        assert_eq!(got.title, *title, "{input:?}");
        assert_eq!(got.labels, *labels, "{input:?}");
        assert_eq!(got.assignees, *people, "{input:?}");
        assert_eq!(got.priority, *priority, "{input:?}");
        assert_eq!(got.listings, *listings, "{input:?}");
    }
}

fn days(d: &[WeekdayName]) -> RecurrenceRule {
    RecurrenceRule::OnDays { days: d.to_vec() }
}

#[test]
fn recurrence() {
    use RecurrenceMode::{AfterCompletion as After, Schedule};
    let cases: Vec<(&str, &str, RecurrenceMode, RecurrenceRule, &str)> = vec![
        (
            "Water plants every day",
            "Water plants",
            Schedule,
            RecurrenceRule::Days { every: 1 },
            "2026-11-18",
        ),
        (
            "Standup every weekday 9am",
            "Standup",
            Schedule,
            RecurrenceRule::Weekdays,
            "2026-11-18 09:00",
        ),
        (
            "Team call every monday",
            "Team call",
            Schedule,
            days(&[WeekdayName::Mon]),
            "2026-11-23",
        ),
        (
            "Open house every sat",
            "Open house",
            Schedule,
            days(&[WeekdayName::Sat]),
            "2026-11-21",
        ),
        (
            "Gym every mon and wed",
            "Gym",
            Schedule,
            days(&[WeekdayName::Mon, WeekdayName::Wed]),
            "2026-11-18",
        ),
        (
            "Report every 2 weeks",
            "Report",
            Schedule,
            RecurrenceRule::Weeks { every: 2 },
            "2026-11-18",
        ),
        (
            "Team lunch the last friday of every month",
            "Team lunch",
            Schedule,
            RecurrenceRule::MonthWeekday {
                every: 1,
                week: -1,
                day: WeekdayName::Fri,
            },
            "2026-11-27",
        ),
        (
            "Broker open every month on the 2nd tuesday",
            "Broker open",
            Schedule,
            RecurrenceRule::MonthWeekday {
                every: 1,
                week: 2,
                day: WeekdayName::Tue,
            },
            "2026-12-08",
        ),
        (
            "Market report the first monday of every other month",
            "Market report",
            Schedule,
            RecurrenceRule::MonthWeekday {
                every: 2,
                week: 1,
                day: WeekdayName::Mon,
            },
            "2027-01-04",
        ),
        (
            "Sprinklers every other tuesday",
            "Sprinklers",
            Schedule,
            RecurrenceRule::Weeks { every: 2 },
            "2026-11-24",
        ),
        (
            "Report every other week",
            "Report",
            Schedule,
            RecurrenceRule::Weeks { every: 2 },
            "2026-11-18",
        ),
        (
            "Rent every month on the 1st",
            "Rent",
            Schedule,
            RecurrenceRule::Months {
                every: 1,
                day: Some(1),
            },
            "2026-12-01",
        ),
        (
            "Rent on the 1st every month",
            "Rent",
            Schedule,
            RecurrenceRule::Months {
                every: 1,
                day: Some(1),
            },
            "2026-12-01",
        ),
        (
            "Rent every month on 20th",
            "Rent",
            Schedule,
            RecurrenceRule::Months {
                every: 1,
                day: Some(20),
            },
            "2026-11-20",
        ),
        (
            "Filter every! 3 days",
            "Filter",
            After,
            RecurrenceRule::Days { every: 3 },
            "2026-11-18",
        ),
        (
            "Haircut every! 4 weeks",
            "Haircut",
            After,
            RecurrenceRule::Weeks { every: 4 },
            "2026-11-18",
        ),
        (
            "Taxes every year",
            "Taxes",
            Schedule,
            RecurrenceRule::Years { every: 1 },
            "2026-11-18",
        ),
        (
            "Backup daily",
            "Backup",
            Schedule,
            RecurrenceRule::Days { every: 1 },
            "2026-11-18",
        ),
        (
            "weekly standup",
            "standup",
            Schedule,
            RecurrenceRule::Weeks { every: 1 },
            "2026-11-18",
        ),
        (
            "Review every day dec 5",
            "Review",
            Schedule,
            RecurrenceRule::Days { every: 1 },
            "2026-12-05",
        ),
    ];
    for (input, title, mode, rule, due) in cases {
        let got = p(input);
        assert_eq!(got.title, title, "{input:?}");
        assert_eq!(got.recurrence, Some(Recurrence { mode, rule }), "{input:?}");
        assert_eq!(
            got.due.as_ref().map(Due::display).as_deref(),
            Some(due),
            "{input:?}"
        );
    }
    for plain in ["every", "every blue moon", "Everyone meet"] {
        let got = p(plain);
        assert_eq!(got.recurrence, None, "{plain:?}");
        assert_eq!(got.title, plain);
    }
}

#[test]
fn spans_point_at_the_recognised_text() {
    let text = "🏠 Show tomorrow #open";
    let got = p(text);
    let date = &got.spans[0];
    assert_eq!(&text[date.start..date.end], "tomorrow");
    // 🏠 is two UTF-16 units: "🏠 Show " is 8 units.
    assert_eq!((date.start_utf16, date.end_utf16), (8, 16));
    let label = &got.spans[1];
    assert_eq!(&text[label.start..label.end], "#open");
}

#[test]
fn other_time_zones_keep_their_wall_clock() {
    let got = parse("Call tomorrow 3pm", now(), "Asia/Tokyo").expect("parse");
    // 17:00 UTC is already 02:00 on the 19th in Tokyo, so tomorrow is the 20th.
    assert_eq!(
        got.due.as_ref().map(Due::display).as_deref(),
        Some("2026-11-20 15:00")
    );
    assert!(parse("x", now(), "Nowhere/Special").is_err());
}

#[test]
fn hostile_input_parses_and_fails_cleanly_at_task_creation() {
    let long = "word ".repeat(2_000);
    let got = p(&long);
    assert_eq!(got.title.len(), 9_999);
    assert!(matches!(
        got.to_new_task(),
        Err(crate::ModelError::TooLong { field: "title", .. })
    ));
    assert!(matches!(
        p("").to_new_task(),
        Err(crate::ModelError::EmptyTitle)
    ));
    assert!(matches!(
        p("#followup @maria !high").to_new_task(),
        Err(crate::ModelError::EmptyTitle)
    ));
    let control = p("a\u{0}b \u{202e}tomorrow\t\n#x");
    assert_eq!(control.labels, ["x"]);
}
