//! Quick-add: one line of English into a task.
//!
//! `Call John re 12 Oak St tomorrow 3pm #followup @maria !high mls:A12345`
//! gives the title `Call John re 12 Oak St`, due tomorrow at 15:00 local, the
//! label `followup`, the assignee `maria`, priority high and the linked
//! listing `A12345`. The parser is deterministic given "now" and a time zone,
//! never fails on odd text (what it does not understand stays in the title),
//! and returns the spans it recognised so a UI can highlight them.
//!
//! Rules worth knowing:
//! - Only the first date and the first time are taken; a second one stays in
//!   the title ("meet tomorrow or friday").
//! - A weekday means the next one, never today; `next tue` means the Tuesday
//!   of next week (Monday-based), which is later than `tue` early in a week.
//! - A date without a year is this year, or next year if it has passed.
//!   `12/5` is month/day.
//! - A time without a date is today, or tomorrow if it has passed.
//!   `at 1`…`at 6` mean the afternoon; `tonight` alone is 19:00;
//!   `this morning` 9:00, `this afternoon` 14:00, `this evening` 18:00 (as
//!   after `tomorrow`); `in 2 hours`, `in 30 min` count from now.
//! - A range (`1-4pm`, `10–11:30am`, `10am - 2pm`, `9 to 10am`) is due at its
//!   start and keeps its end; `sat` and `sun` count as days before a time.
//! - A bare `at 12` is a time only when nothing else in the text is one and
//!   no capitalised word follows it: in "Showing at 12 Oak St tomorrow 3pm"
//!   it is the address, and the words stay in the title.
//! - `sat` and `sun` count as days only after `on`, `next` or `every`, as
//!   they are ordinary words too; `may` and other month names need a day.
//! - `every …` sets a schedule; `every! …` repeats after completion.
//!   `daily`, `weekly`, `monthly`, `yearly` count only without an `every`.

mod dates;
#[cfg(test)]
mod tests;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::Serialize;

use crate::board::NewTask;
use crate::board::{Due, Priority, Recurrence};
use crate::error::Result;
use crate::time::{local_date, local_day_start, parse_tz};

/// What a recognised span is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SpanKind {
    Date,
    Time,
    Label,
    Assignee,
    Priority,
    Listing,
    Recurrence,
}

/// A recognised part of the input, as byte offsets and as UTF-16 offsets
/// (what a JavaScript UI indexes strings by).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Span {
    pub kind: SpanKind,
    pub start: usize,
    pub end: usize,
    pub start_utf16: usize,
    pub end_utf16: usize,
}

/// The result of parsing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Parsed {
    pub title: String,
    pub due: Option<Due>,
    pub priority: Option<Priority>,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub listings: Vec<String>,
    pub recurrence: Option<Recurrence>,
    pub spans: Vec<Span>,
}

impl Parsed {
    /// The task this text describes; fails if nothing is left for a title.
    pub fn to_new_task(&self) -> Result<NewTask> {
        let title = crate::board::check_title(&self.title)?;
        Ok(NewTask {
            title,
            due: self.due.clone(),
            priority: self.priority.unwrap_or_default(),
            labels: self.labels.clone(),
            assignees: self.assignees.clone(),
            listings: self.listings.clone(),
            recurrence: self.recurrence.clone(),
            ..NewTask::default()
        })
    }
}

/// A whitespace-separated word of the input.
#[derive(Debug, Clone)]
pub(crate) struct Tok<'a> {
    pub text: &'a str,
    pub lower: String,
    pub start: usize,
    pub end: usize,
}

fn tokenize(text: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                let word = &text[s..i];
                out.push(Tok {
                    text: word,
                    lower: word.to_lowercase(),
                    start: s,
                    end: i,
                });
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    out
}

fn word_chars(s: &str, extra: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || extra.contains(c))
}

/// Strips trailing punctuation a person might type after a tag ("#urgent,").
fn tag_body(s: &str) -> &str {
    s.trim_end_matches([',', '.', ';', ':', ')', '!', '?'])
}

/// Parses `text` as typed at `now` by someone in time zone `tz`.
///
/// Long on purpose: one pass over the tokens, each arm claiming its kind
/// (`#tag`, `@person`, `!priority`, `mls:KEY`, dates, `every …`); split up,
/// the arms would have to pass the half-built result around.
pub fn parse(text: &str, now: DateTime<Utc>, tz: &str) -> Result<Parsed> {
    let zone = parse_tz(tz)?;
    let toks = tokenize(text);
    let mut used = vec![false; toks.len()];
    let mut spans: Vec<(SpanKind, usize, usize)> = Vec::new();
    let mut out = Parsed {
        title: String::new(),
        due: None,
        priority: None,
        labels: vec![],
        assignees: vec![],
        listings: vec![],
        recurrence: None,
        spans: vec![],
    };
    let today = local_date(&zone, now);
    let local_now = now.with_timezone(&zone).naive_local();
    let mut date: Option<NaiveDate> = None;
    let mut time: Option<NaiveTime> = None;
    let mut default_time: Option<NaiveTime> = None;
    let mut recurrence_first: Option<NaiveDate> = None;
    let mut weak_time: Option<(usize, usize, NaiveTime)> = None;
    let mut end_time: Option<NaiveTime> = None;

    // "weekly" and friends are ordinary words in a title like "Weekly
    // update every! 7 days": an explicit "every" phrase takes precedence.
    let shorthand_ok = !toks
        .iter()
        .any(|t| t.lower == "every" || t.lower == "every!");
    let mut i = 0;
    while i < toks.len() {
        let tok = &toks[i];
        let mark =
            |used: &mut Vec<bool>, spans: &mut Vec<(SpanKind, usize, usize)>, kind, n: usize| {
                for u in used.iter_mut().skip(i).take(n) {
                    *u = true;
                }
                spans.push((kind, toks[i].start, toks[i + n - 1].end));
            };
        // Tags: #label @person !priority mls:KEY
        if let Some(rest) = tok.text.strip_prefix('#') {
            let body = tag_body(rest);
            if word_chars(body, "-_/") {
                let label = body.to_lowercase();
                if !out.labels.contains(&label) {
                    out.labels.push(label);
                }
                mark(&mut used, &mut spans, SpanKind::Label, 1);
                i += 1;
                continue;
            }
        }
        if let Some(rest) = tok.text.strip_prefix('@') {
            let body = tag_body(rest);
            if word_chars(body, "-_.") {
                let name = body.to_lowercase();
                if !out.assignees.contains(&name) {
                    out.assignees.push(name);
                }
                mark(&mut used, &mut spans, SpanKind::Assignee, 1);
                i += 1;
                continue;
            }
        }
        if let Some(rest) = tok.lower.strip_prefix('!')
            && out.priority.is_none()
        {
            let body = if rest.chars().all(|c| c == '!') {
                rest
            } else {
                tag_body(rest)
            };
            let p = match body {
                "urgent" | "4" | "!!" => Some(Priority::Urgent),
                "high" | "hi" | "3" | "!" => Some(Priority::High),
                "medium" | "med" | "2" => Some(Priority::Medium),
                "low" | "lo" | "1" => Some(Priority::Low),
                "none" | "0" => Some(Priority::None),
                _ => None,
            };
            if let Some(p) = p {
                out.priority = Some(p);
                mark(&mut used, &mut spans, SpanKind::Priority, 1);
                i += 1;
                continue;
            }
        }
        if tok
            .text
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("mls:"))
        {
            let key = tag_body(tok.text.get(4..).unwrap_or_default());
            if !key.is_empty() && key.len() <= 64 && word_chars(key, "-_.") {
                if !out.listings.iter().any(|k| k == key) {
                    out.listings.push(key.to_string());
                }
                mark(&mut used, &mut spans, SpanKind::Listing, 1);
                i += 1;
                continue;
            }
        }
        // Recurrence
        if out.recurrence.is_none()
            && let Some((n, rec, first)) = dates::recurrence(&toks[i..], today, shorthand_ok)
        {
            out.recurrence = Some(rec);
            recurrence_first = first;
            mark(&mut used, &mut spans, SpanKind::Recurrence, n);
            i += n;
            continue;
        }
        // Dates and times
        if date.is_none()
            && let Some((n, d, soft)) = dates::date(&toks[i..], today)
        {
            date = Some(d);
            default_time = soft;
            mark(&mut used, &mut spans, SpanKind::Date, n);
            i += n;
            continue;
        }
        if date.is_none()
            && time.is_none()
            && let Some((n, minutes)) = dates::relative(&toks[i..])
        {
            let at = (now + chrono::Duration::minutes(minutes))
                .with_timezone(&zone)
                .naive_local();
            date = Some(at.date());
            time = Some(at.time());
            mark(&mut used, &mut spans, SpanKind::Time, n);
            i += n;
            continue;
        }
        if time.is_none()
            && let Some((n, start, end)) = dates::range(&toks[i..])
        {
            time = Some(start);
            end_time = Some(end);
            mark(&mut used, &mut spans, SpanKind::Time, n);
            i += n;
            continue;
        }
        if time.is_none()
            && let Some((n, t, weak)) = dates::time(&toks[i..])
        {
            if weak {
                // "at 12": kept aside; a real time elsewhere, or a street
                // name after it, leaves it in the title.
                if weak_time.is_none() && !dates::starts_a_street(&toks[i + n..]) {
                    weak_time = Some((i, n, t));
                }
                i += 1;
                continue;
            }
            time = Some(t);
            mark(&mut used, &mut spans, SpanKind::Time, n);
            i += n;
            continue;
        }
        i += 1;
    }
    if time.is_none()
        && let Some((at, n, t)) = weak_time
        && used[at..at + n].iter().all(|u| !u)
    {
        time = Some(t);
        for u in used.iter_mut().skip(at).take(n) {
            *u = true;
        }
        spans.push((SpanKind::Time, toks[at].start, toks[at + n - 1].end));
    }

    // "on the 1st every month": a monthly repeat with a date keeps to
    // that day of the month, as "every month on the 1st" does.
    if let (Some(d), Some(Recurrence { rule, .. })) = (date, out.recurrence.as_mut())
        && let crate::board::RecurrenceRule::Months {
            day: day @ None, ..
        } = rule
    {
        *day = u8::try_from(chrono::Datelike::day(&d)).ok();
    }
    let time = time.or(default_time);
    // A recurrence without a date starts on its first scheduled day.
    let date = date.or(recurrence_first);
    let date = match (date, time) {
        (None, Some(t)) => {
            // A bare time: today, or tomorrow if it has passed.
            Some(if today.and_time(t) <= local_now {
                today.succ_opt().unwrap_or(today)
            } else {
                today
            })
        }
        (d, _) => d,
    };
    out.due = date.map(|d| match time {
        Some(t) => {
            let instant = |day: NaiveDate, t: NaiveTime| {
                zone.from_local_datetime(&day.and_time(t))
                    .earliest()
                    .map(|x| x.with_timezone(&Utc))
            };
            let at = instant(d, t).unwrap_or_else(|| local_day_start(&zone, d));
            // A range's end; one before the start is the next day's.
            let end = end_time.and_then(|e| {
                let day = if e <= t { d.succ_opt()? } else { d };
                instant(day, e)
            });
            Due {
                end,
                ..Due::at_time(at, tz)
            }
        }
        None => Due {
            at: local_day_start(&zone, d),
            tz: tz.to_string(),
            all_day: true,
            end: None,
        },
    });

    out.title = toks
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(t, _)| t.text)
        .collect::<Vec<_>>()
        .join(" ");
    spans.sort_by_key(|s| s.1);
    let utf16 = |byte: usize| text[..byte].encode_utf16().count();
    out.spans = spans
        .into_iter()
        .map(|(kind, start, end)| Span {
            kind,
            start,
            end,
            start_utf16: utf16(start),
            end_utf16: utf16(end),
        })
        .collect();
    Ok(out)
}

/// Parses text that must be only a date and/or time ("fri 3pm",
/// "2026-12-05"), as typed in a due-date field.
pub fn parse_due(text: &str, now: DateTime<Utc>, tz: &str) -> Result<Due> {
    let parsed = parse(text, now, tz)?;
    match parsed.due {
        Some(due)
            if parsed.title.is_empty()
                && parsed
                    .spans
                    .iter()
                    .all(|s| matches!(s.kind, SpanKind::Date | SpanKind::Time)) =>
        {
            Ok(due)
        }
        _ => Err(crate::ModelError::InvalidDate(text.to_string())),
    }
}

/// Parses text that must be only a recurrence ("every monday", "every! 3 days").
pub fn parse_recurrence(text: &str, now: DateTime<Utc>, tz: &str) -> Result<Recurrence> {
    let parsed = parse(text, now, tz)?;
    match parsed.recurrence {
        Some(rec) if parsed.title.is_empty() => Ok(rec),
        _ => Err(crate::ModelError::InvalidRecurrence(text.to_string())),
    }
}

#[cfg(test)]
mod field_tests {
    use super::*;

    #[test]
    fn due_fields_accept_only_dates() {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 18, 17, 0, 0)
            .single()
            .unwrap_or_default();
        assert_eq!(
            parse_due("dec 5 3pm", now, "UTC")
                .map(|d| d.display())
                .ok()
                .as_deref(),
            Some("2026-12-05 15:00")
        );
        assert!(matches!(
            parse_due("feb 30", now, "UTC"),
            Err(crate::ModelError::InvalidDate(_))
        ));
        assert!(parse_due("call bob", now, "UTC").is_err());
        assert!(parse_due("", now, "UTC").is_err());
        assert!(parse_recurrence("every monday", now, "UTC").is_ok());
        assert!(matches!(
            parse_recurrence("sometimes", now, "UTC"),
            Err(crate::ModelError::InvalidRecurrence(_))
        ));
    }
}
