//! Calendar feeds (RFC 5545): a team's or a board's tasks with a due date
//! as events, for Google Calendar, Apple Calendar and Outlook to subscribe
//! to.
//!
//! What the feed does for the clients' known quirks:
//! - Lines end in CRLF and are folded at 75 octets, never inside a UTF-8
//!   character (Outlook rejects split characters; Google tolerates them).
//! - An all-day task is a `VALUE=DATE` event with a `DTEND` of the next day
//!   (Outlook shows a DATE event without `DTEND` as ending where it starts;
//!   RFC 5545 allows both).
//! - A timed task is `DTSTART`/`DTEND` in UTC (a range such as "sat 1-4pm"
//!   ends at its end; otherwise a 30-minute event: a task is
//!   a moment, and Google and Outlook draw zero-length events as a line).
//!   A repeating timed task is in its own time zone with a `VTIMEZONE`
//!   built from the tz database for the current year (Outlook ignores a
//!   `TZID` it has no `VTIMEZONE` for; in UTC the rule would move an hour
//!   at each daylight-saving change).
//! - `UID` is the task's id and the board's, unchanged by edits, so an
//!   edit updates the event instead of adding one; `DTSTAMP` and
//!   `LAST-MODIFIED` are the task's last edit.
//! - Done, archived and deleted tasks leave the feed: `STATUS:COMPLETED`
//!   belongs to `VTODO`, which Google and Outlook do not show; `VEVENT`
//!   allows only TENTATIVE, CONFIRMED and CANCELLED.
//! - `X-WR-CALNAME` names the calendar (Apple and Google read it) and
//!   `REFRESH-INTERVAL`/`X-PUBLISHED-TTL` ask for a refresh every 15
//!   minutes (Google decides for itself, typically every few hours).

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use porchlight_model::board::{Recurrence, RecurrenceMode, RecurrenceRule, Task, WeekdayName};

/// How long a timed task's event lasts.
const TIMED_MINUTES: i64 = 30;

/// One feed's tasks and what to call things.
#[derive(Debug)]
pub struct Feed<'a> {
    pub name: &'a str,
    /// Board names by document id (for each event's description).
    pub boards: &'a HashMap<String, String>,
    pub tasks: &'a [Task],
    /// For the year of the time zones' daylight-saving rules.
    pub now: DateTime<Utc>,
}

/// The calendar: every open task with a due date, sorted by due date.
pub fn render(feed: &Feed<'_>) -> String {
    let mut out = Ical::default();
    out.line("BEGIN:VCALENDAR");
    out.line("VERSION:2.0");
    out.line("PRODID:-//Porchlight//Relay//EN");
    out.line("CALSCALE:GREGORIAN");
    out.line("METHOD:PUBLISH");
    out.prop("X-WR-CALNAME", &text(feed.name));
    out.line("REFRESH-INTERVAL;VALUE=DURATION:PT15M");
    out.line("X-PUBLISHED-TTL:PT15M");
    let mut tasks: Vec<&Task> = feed
        .tasks
        .iter()
        .filter(|t| t.due.is_some() && t.completed_at.is_none() && !t.deleted && !t.archived)
        .collect();
    tasks.sort_by(|a, b| {
        let key = |t: &Task| (t.due.as_ref().map(|d| d.at), t.id.to_string());
        key(a).cmp(&key(b))
    });
    let mut zones = BTreeSet::new();
    for task in &tasks {
        if let Some(zone) = event_zone(task) {
            zones.insert(zone.name().to_string());
        }
    }
    for zone in &zones {
        if let Ok(tz) = zone.parse::<Tz>() {
            vtimezone(&mut out, tz, feed.now.year());
        }
    }
    for task in tasks {
        event(&mut out, task, feed);
    }
    out.line("END:VCALENDAR");
    out.0
}

/// The zone a task's event is written in: its own for a repeating timed
/// task, none (UTC) otherwise.
fn event_zone(task: &Task) -> Option<Tz> {
    let due = task.due.as_ref()?;
    let rec = task.recurrence.as_ref()?;
    if due.all_day || rec.mode != RecurrenceMode::Schedule {
        return None;
    }
    due.tz.parse::<Tz>().ok().filter(|z| *z != Tz::UTC)
}

fn event(out: &mut Ical, task: &Task, feed: &Feed<'_>) {
    let Some(due) = &task.due else {
        return;
    };
    out.line("BEGIN:VEVENT");
    out.prop("UID", &format!("{}@{}", task.id, task.board));
    out.prop("DTSTAMP", &utc(task.updated_at));
    out.prop("CREATED", &utc(task.created_at));
    out.prop("LAST-MODIFIED", &utc(task.updated_at));
    let zone = due.tz.parse::<Tz>().unwrap_or(Tz::UTC);
    if due.all_day {
        let day = due.at.with_timezone(&zone).date_naive();
        out.line(&format!("DTSTART;VALUE=DATE:{}", date(day)));
        let next = day.succ_opt().unwrap_or(day);
        out.line(&format!("DTEND;VALUE=DATE:{}", date(next)));
    } else if let Some(z) = event_zone(task) {
        let start = due.at.with_timezone(&z).naive_local();
        let end = match due.end {
            Some(e) if e > due.at => e.with_timezone(&z).naive_local(),
            _ => start + Duration::minutes(TIMED_MINUTES),
        };
        out.line(&format!("DTSTART;TZID={}:{}", z.name(), local(start)));
        out.line(&format!("DTEND;TZID={}:{}", z.name(), local(end)));
    } else {
        out.prop("DTSTART", &utc(due.at));
        let end = match due.end {
            Some(e) if e > due.at => e,
            _ => due.at + Duration::minutes(TIMED_MINUTES),
        };
        out.prop("DTEND", &utc(end));
    }
    if let Some(rule) = task
        .recurrence
        .as_ref()
        .and_then(|r| rrule(r, due.at, &zone))
    {
        out.prop("RRULE", &rule);
    }
    out.prop("SUMMARY", &text(&task.title));
    out.prop("DESCRIPTION", &text(&description(task, feed)));
    if !task.labels.is_empty() {
        let labels: Vec<String> = task.labels.iter().map(|l| text(l)).collect();
        out.prop("CATEGORIES", &labels.join(","));
    }
    out.prop(
        "URL",
        &format!("porchlight://board/{}?task={}", task.board, task.id),
    );
    out.line("STATUS:CONFIRMED");
    out.line("TRANSP:TRANSPARENT");
    if let Some(at) = task.reminder {
        out.line("BEGIN:VALARM");
        out.line("ACTION:DISPLAY");
        out.prop("DESCRIPTION", &text(&task.title));
        out.line(&format!("TRIGGER;VALUE=DATE-TIME:{}", utc(at)));
        out.line("END:VALARM");
    }
    out.line("END:VEVENT");
}

fn description(task: &Task, feed: &Feed<'_>) -> String {
    let mut d = String::new();
    if !task.description.trim().is_empty() {
        d.push_str(task.description.trim());
        d.push_str("\n\n");
    }
    for item in &task.checklist {
        let _ = writeln!(d, "[{}] {}", if item.done { "x" } else { " " }, item.text);
    }
    if !task.checklist.is_empty() {
        d.push('\n');
    }
    if !task.assignees.is_empty() {
        let _ = writeln!(d, "Assigned to: {}", task.assignees.join(", "));
    }
    let board = feed
        .boards
        .get(&task.board.to_string())
        .map_or("a board", String::as_str);
    let _ = write!(d, "Board: {board}");
    d
}

/// The RRULE for a repeating task, or none for one that repeats after
/// completion (the feed shows its next single occurrence).
pub fn rrule(rec: &Recurrence, due: DateTime<Utc>, zone: &Tz) -> Option<String> {
    if rec.mode != RecurrenceMode::Schedule {
        return None;
    }
    let interval = |every: u32| {
        if every > 1 {
            format!(";INTERVAL={every}")
        } else {
            String::new()
        }
    };
    let day = |d: WeekdayName| match d {
        WeekdayName::Mon => "MO",
        WeekdayName::Tue => "TU",
        WeekdayName::Wed => "WE",
        WeekdayName::Thu => "TH",
        WeekdayName::Fri => "FR",
        WeekdayName::Sat => "SA",
        WeekdayName::Sun => "SU",
    };
    Some(match &rec.rule {
        RecurrenceRule::Days { every } => format!("FREQ=DAILY{}", interval(*every)),
        RecurrenceRule::Weeks { every } => format!("FREQ=WEEKLY{}", interval(*every)),
        RecurrenceRule::Weekdays => "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR".to_string(),
        RecurrenceRule::OnDays { days } if !days.is_empty() => {
            let days: Vec<&str> = days.iter().map(|d| day(*d)).collect();
            format!("FREQ=WEEKLY;BYDAY={}", days.join(","))
        }
        RecurrenceRule::OnDays { .. } => "FREQ=WEEKLY".to_string(),
        RecurrenceRule::Months { every, day } => {
            let on = day.map_or_else(|| due.with_timezone(zone).day(), u32::from);
            // "On the 31st" in a shorter month: the month's last day, as
            // the app does, rather than RFC 5545's skipping the month.
            let on = if on >= 29 {
                "BYMONTHDAY=28,29,30,31;BYSETPOS=-1".to_string()
            } else {
                format!("BYMONTHDAY={on}")
            };
            format!("FREQ=MONTHLY{};{on}", interval(*every))
        }
        RecurrenceRule::Years { every } => format!("FREQ=YEARLY{}", interval(*every)),
        RecurrenceRule::MonthWeekday {
            every,
            week,
            day: d,
        } => {
            format!("FREQ=MONTHLY{};BYDAY={week}{}", interval(*every), day(*d))
        }
    })
}

/// A `VTIMEZONE` for `zone` from its offsets in `year`: one STANDARD
/// component for a zone without daylight saving, else a STANDARD and a
/// DAYLIGHT component with yearly rules (the nth or last weekday of the
/// month the change fell on).
fn vtimezone(out: &mut Ical, zone: Tz, year: i32) {
    let offset = |at: DateTime<Utc>| zone.offset_from_utc_datetime(&at.naive_utc()).fix();
    let Some(start) = Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).single() else {
        return;
    };
    // The instants in the year where the offset changes, to the hour.
    let mut changes = Vec::new();
    let mut prev = offset(start);
    let mut at = start;
    while at.year() == year {
        let next = at + Duration::hours(1);
        let o = offset(next);
        if o != prev {
            changes.push((next, prev.local_minus_utc(), o.local_minus_utc()));
            prev = o;
        }
        at = next;
    }
    out.line("BEGIN:VTIMEZONE");
    out.prop("TZID", zone.name());
    if changes.is_empty() {
        let o = prev.local_minus_utc();
        out.line("BEGIN:STANDARD");
        out.line("DTSTART:19700101T000000");
        out.prop("TZOFFSETFROM", &tz_offset(o));
        out.prop("TZOFFSETTO", &tz_offset(o));
        out.line("END:STANDARD");
    }
    for (at, from, to) in changes {
        let kind = if to > from { "DAYLIGHT" } else { "STANDARD" };
        // DTSTART is the local time of the change in the offset before it.
        let local_at = (at + Duration::seconds(i64::from(from))).naive_utc();
        let day = local_at.date();
        let days_in_month = days_in_month(day);
        let nth = if day.day() + 7 > days_in_month {
            "-1".to_string()
        } else {
            ((day.day() - 1) / 7 + 1).to_string()
        };
        let weekday = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
            [day.weekday().num_days_from_monday() as usize];
        out.line(&format!("BEGIN:{kind}"));
        out.line(&format!("DTSTART:{}", local(local_at)));
        out.prop("TZOFFSETFROM", &tz_offset(from));
        out.prop("TZOFFSETTO", &tz_offset(to));
        out.line(&format!(
            "RRULE:FREQ=YEARLY;BYMONTH={};BYDAY={nth}{weekday}",
            day.month()
        ));
        out.line(&format!("END:{kind}"));
    }
    out.line("END:VTIMEZONE");
}

fn days_in_month(day: NaiveDate) -> u32 {
    let (y, m) = (day.year(), day.month());
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    next.and_then(|n| n.pred_opt()).map_or(28, |d| d.day())
}

fn tz_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    format!("{sign}{:02}{:02}", s / 3600, (s % 3600) / 60)
}

fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

fn local(at: chrono::NaiveDateTime) -> String {
    format!(
        "{}T{:02}{:02}{:02}",
        date(at.date()),
        at.hour(),
        at.minute(),
        at.second()
    )
}

fn date(day: NaiveDate) -> String {
    day.format("%Y%m%d").to_string()
}

/// A TEXT value: backslash, semicolon, comma and newline escaped, other
/// control characters dropped (they are not allowed in a content line).
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Content lines, CRLF-terminated and folded.
#[derive(Debug, Default)]
struct Ical(String);

impl Ical {
    fn prop(&mut self, name: &str, value: &str) {
        self.line(&format!("{name}:{value}"));
    }

    /// Appends `line` folded at 75 octets: each continuation starts with
    /// one space, which counts toward its 75.
    fn line(&mut self, line: &str) {
        let mut rest = line;
        let mut limit = 75;
        loop {
            if rest.len() <= limit {
                self.0.push_str(rest);
                self.0.push_str("\r\n");
                return;
            }
            let mut cut = limit;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            self.0.push_str(&rest[..cut]);
            self.0.push_str("\r\n ");
            rest = &rest[cut..];
            limit = 74;
        }
    }
}

/// The feed's entity tag: a hash of its body.
pub fn etag(body: &str) -> String {
    format!(
        "\"{}\"",
        &porchlight_model::ids::sha256_hex(body.as_bytes())[..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use porchlight_model::board::{ChecklistItem, Due};
    use porchlight_model::ids::{ColumnId, DocumentId, ItemId};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn task(title: &str, due: Option<Due>) -> Task {
        let mut t = Task::new(
            DocumentId::random(),
            title,
            ColumnId::new("todo"),
            "a",
            "maria",
            at("2027-01-02T10:00:00Z"),
        );
        t.due = due;
        t
    }

    fn render_tasks(tasks: &[Task]) -> String {
        let boards = HashMap::new();
        render(&Feed {
            name: "Team",
            boards: &boards,
            tasks,
            now: at("2027-01-05T00:00:00Z"),
        })
    }

    #[test]
    fn lines_end_in_crlf_and_fold_at_75_octets_without_splitting_characters() {
        let mut out = Ical::default();
        let long = format!("SUMMARY:{}", "é".repeat(100));
        out.line(&long);
        assert!(out.0.ends_with("\r\n"));
        for (i, line) in out.0.split("\r\n").filter(|l| !l.is_empty()).enumerate() {
            assert!(line.len() <= 75, "line {i} is {} octets", line.len());
            if i > 0 {
                assert!(line.starts_with(' '));
            }
        }
        // Unfolding gives the line back.
        let unfolded = out.0.replace("\r\n ", "");
        assert_eq!(unfolded.trim_end(), long);
    }

    #[test]
    fn text_values_are_escaped_and_control_characters_dropped() {
        assert_eq!(text("a;b,c\\d\ne\u{7}"), "a\\;b\\,c\\\\d\\ne");
    }

    #[test]
    fn all_day_tasks_are_dates_and_timed_tasks_are_utc() {
        let day = Due::on_day(
            NaiveDate::from_ymd_opt(2027, 1, 15).expect("date"),
            "America/New_York",
        )
        .expect("due");
        let timed = Due::at_time(at("2027-01-16T17:30:00Z"), "America/New_York");
        let cal = render_tasks(&[task("Inspection", Some(day)), task("Closing", Some(timed))]);
        assert!(cal.contains("DTSTART;VALUE=DATE:20270115\r\nDTEND;VALUE=DATE:20270116\r\n"));
        assert!(cal.contains("DTSTART:20270116T173000Z\r\nDTEND:20270116T180000Z\r\n"));
        assert!(cal.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(cal.ends_with("END:VCALENDAR\r\n"));
        assert!(!cal.contains("VTIMEZONE"));
        // A range ("sat 1-4pm") ends at its end, not 30 minutes on.
        let open_house = Due {
            end: Some(at("2027-01-16T21:00:00Z")),
            ..Due::at_time(at("2027-01-16T18:00:00Z"), "America/New_York")
        };
        let cal = render_tasks(&[task("Open house", Some(open_house))]);
        assert!(
            cal.contains("DTSTART:20270116T180000Z\r\nDTEND:20270116T210000Z\r\n"),
            "{cal}"
        );
    }

    #[test]
    fn done_archived_deleted_and_undated_tasks_leave_the_feed() {
        let due = Some(Due::at_time(at("2027-01-16T17:30:00Z"), "UTC"));
        let mut done = task("done", due.clone());
        done.completed_at = Some(at("2027-01-03T00:00:00Z"));
        let mut archived = task("archived", due.clone());
        archived.archived = true;
        let mut deleted = task("deleted", due.clone());
        deleted.deleted = true;
        let cal = render_tasks(&[done, archived, deleted, task("no date", None)]);
        assert!(!cal.contains("BEGIN:VEVENT"), "{cal}");
    }

    #[test]
    fn repeating_tasks_get_rules_and_their_time_zone() {
        let mut weekly = task(
            "Team meeting",
            Some(Due::at_time(at("2027-01-04T14:00:00Z"), "America/New_York")),
        );
        weekly.recurrence = Some(Recurrence {
            mode: RecurrenceMode::Schedule,
            rule: RecurrenceRule::OnDays {
                days: vec![WeekdayName::Mon],
            },
        });
        let mut after = task(
            "Water plants",
            Some(Due::at_time(at("2027-01-04T14:00:00Z"), "America/New_York")),
        );
        after.recurrence = Some(Recurrence {
            mode: RecurrenceMode::AfterCompletion,
            rule: RecurrenceRule::Days { every: 3 },
        });
        let cal = render_tasks(&[weekly, after]);
        assert!(cal.contains("RRULE:FREQ=WEEKLY;BYDAY=MO\r\n"), "{cal}");
        assert_eq!(cal.matches("RRULE:FREQ=WEEKLY;BYDAY=MO").count(), 1);
        assert!(cal.contains("DTSTART;TZID=America/New_York:20270104T090000\r\n"));
        // New York's rules for the year: second Sunday of March at 2:00,
        // first Sunday of November at 2:00.
        assert!(cal.contains("BEGIN:DAYLIGHT\r\nDTSTART:20270314T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\n"), "{cal}");
        assert!(cal.contains("BEGIN:STANDARD\r\nDTSTART:20271107T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\n"), "{cal}");
        // The after-completion task: its next occurrence only, in UTC.
        assert!(cal.contains("DTSTART:20270104T140000Z"));
    }

    #[test]
    fn rules_for_each_kind_of_repeat() {
        let due = at("2027-01-31T15:00:00Z");
        let rule = |r: RecurrenceRule| {
            rrule(
                &Recurrence {
                    mode: RecurrenceMode::Schedule,
                    rule: r,
                },
                due,
                &Tz::UTC,
            )
            .expect("rule")
        };
        assert_eq!(rule(RecurrenceRule::Days { every: 1 }), "FREQ=DAILY");
        assert_eq!(
            rule(RecurrenceRule::Weeks { every: 2 }),
            "FREQ=WEEKLY;INTERVAL=2"
        );
        assert_eq!(
            rule(RecurrenceRule::Weekdays),
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
        );
        assert_eq!(
            rule(RecurrenceRule::Months {
                every: 1,
                day: Some(15)
            }),
            "FREQ=MONTHLY;BYMONTHDAY=15"
        );
        assert_eq!(
            rule(RecurrenceRule::Months {
                every: 3,
                day: None
            }),
            "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=28,29,30,31;BYSETPOS=-1"
        );
        assert_eq!(rule(RecurrenceRule::Years { every: 1 }), "FREQ=YEARLY");
        assert_eq!(
            rule(RecurrenceRule::MonthWeekday {
                every: 1,
                week: -1,
                day: WeekdayName::Fri
            }),
            "FREQ=MONTHLY;BYDAY=-1FR"
        );
        assert_eq!(
            rule(RecurrenceRule::MonthWeekday {
                every: 2,
                week: 2,
                day: WeekdayName::Tue
            }),
            "FREQ=MONTHLY;INTERVAL=2;BYDAY=2TU"
        );
    }

    #[test]
    fn reminders_are_alarms_and_descriptions_carry_the_checklist_and_board() {
        let mut t = task(
            "Final walk-through",
            Some(Due::at_time(at("2027-01-20T16:00:00Z"), "UTC")),
        );
        t.reminder = Some(at("2027-01-20T15:00:00Z"));
        t.description = "Bring the keys; check the furnace".into();
        t.checklist = vec![ChecklistItem {
            id: ItemId::new("i1"),
            text: "meter readings".into(),
            done: true,
            position: "a".into(),
        }];
        t.labels = vec!["closing".into()];
        let mut boards = HashMap::new();
        boards.insert(t.board.to_string(), "48 Elm Ave".to_string());
        let tasks = [t];
        let cal = render(&Feed {
            name: "Team",
            boards: &boards,
            tasks: &tasks,
            now: at("2027-01-05T00:00:00Z"),
        });
        assert!(cal.contains("BEGIN:VALARM\r\nACTION:DISPLAY\r\n"));
        assert!(cal.contains("TRIGGER;VALUE=DATE-TIME:20270120T150000Z\r\n"));
        let unfolded = cal.replace("\r\n ", "");
        assert!(unfolded.contains(
            "DESCRIPTION:Bring the keys\\; check the furnace\\n\\n[x] meter readings\\n\\nBoard: 48 Elm Ave"
        ), "{unfolded}");
        assert!(unfolded.contains("CATEGORIES:closing\r\n"));
    }
}
