//! The date, time and recurrence phrases of quick-add.

use chrono::{Datelike, Days, Months, NaiveDate, NaiveTime, Weekday};

use super::Tok;
use crate::board::{Recurrence, RecurrenceMode, RecurrenceRule, WeekdayName};

fn word<'a>(toks: &'a [Tok<'_>], i: usize) -> Option<&'a str> {
    toks.get(i)
        .map(|t| t.lower.trim_end_matches([',', '.', ';']))
}

fn weekday(w: &str, strict: bool) -> Option<Weekday> {
    Some(match w {
        "monday" | "mon" => Weekday::Mon,
        "tuesday" | "tue" | "tues" => Weekday::Tue,
        "wednesday" | "wed" => Weekday::Wed,
        "thursday" | "thu" | "thur" | "thurs" => Weekday::Thu,
        "friday" | "fri" => Weekday::Fri,
        "saturday" => Weekday::Sat,
        "sunday" => Weekday::Sun,
        // Ordinary words too: only after "on", "next" or "every".
        "sat" if !strict => Weekday::Sat,
        "sun" if !strict => Weekday::Sun,
        _ => return None,
    })
}

fn month(w: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if w == "sept" {
        return Some(9);
    }
    // Full names, or the usual three-letter abbreviations.
    NAMES
        .iter()
        .position(|n| *n == w || (w.len() == 3 && n.starts_with(w)))
        .map(|i| i as u32 + 1)
}

fn small_number(w: &str) -> Option<u32> {
    Some(match w {
        "a" | "an" | "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        _ => return w.parse().ok().filter(|n| (1..=999).contains(n)),
    })
}

/// "5", "5th", "21st" → 5, 21.
fn day_of_month(w: &str) -> Option<u32> {
    let digits = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &w[digits.len()..];
    if !matches!(suffix, "" | "st" | "nd" | "rd" | "th") || digits.is_empty() || digits.len() > 2 {
        return None;
    }
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

fn year(w: &str) -> Option<i32> {
    (w.len() == 4)
        .then(|| w.parse().ok())
        .flatten()
        .filter(|y| (1970..=2200).contains(y))
}

fn add_days(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_add_days(Days::new(n)).unwrap_or(d)
}

/// The next `day` after `today` (1–7 days on).
fn next_weekday(today: NaiveDate, day: Weekday) -> NaiveDate {
    let ahead = (7 + day.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    add_days(today, u64::from(if ahead == 0 { 7 } else { ahead }))
}

/// The first `day` on or after `today`.
fn weekday_from(today: NaiveDate, day: Weekday) -> NaiveDate {
    let ahead = (7 + day.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    add_days(today, u64::from(ahead))
}

/// A year-less date: this year, or next year if it has passed.
fn upcoming(today: NaiveDate, m: u32, d: u32) -> Option<NaiveDate> {
    let this = NaiveDate::from_ymd_opt(today.year(), m, d);
    match this {
        Some(date) if date >= today => Some(date),
        _ => NaiveDate::from_ymd_opt(today.year() + 1, m, d),
    }
}

fn part_of_day(w: Option<&str>) -> Option<NaiveTime> {
    let h = match w? {
        "morning" => 9,
        "afternoon" => 14,
        "evening" => 18,
        "night" => 20,
        _ => return None,
    };
    NaiveTime::from_hms_opt(h, 0, 0)
}

/// "first", "2nd", "last" → which week of the month (-1: the last).
fn week_of_month(w: &str) -> Option<i8> {
    Some(match w {
        "first" | "1st" => 1,
        "second" | "2nd" => 2,
        "third" | "3rd" => 3,
        "fourth" | "4th" => 4,
        "fifth" | "5th" => 5,
        "last" => -1,
        _ => return None,
    })
}

/// A monthly repeat on a weekday of the month, first due on its next day
/// from today (today included).
fn month_weekday(
    n: usize,
    mode: RecurrenceMode,
    every: u32,
    week: i8,
    day: Weekday,
    today: NaiveDate,
) -> (usize, Recurrence, Option<NaiveDate>) {
    let rule = RecurrenceRule::MonthWeekday {
        every,
        week,
        day: day.into(),
    };
    let first = today
        .pred_opt()
        .map(|d| crate::recurrence::step(&rule, d, d.day()));
    (n, Recurrence { mode, rule }, first)
}

/// A date phrase at the start of `toks`: (tokens used, date, default time).
pub(crate) fn date(
    toks: &[Tok<'_>],
    today: NaiveDate,
) -> Option<(usize, NaiveDate, Option<NaiveTime>)> {
    let w0 = word(toks, 0)?;
    if matches!(w0, "on" | "by" | "due") {
        let (n, d, t) = bare_date(&toks[1..], today, false)?;
        return Some((n + 1, d, t));
    }
    bare_date(toks, today, true)
}

/// A date without "every": one arm per phrase shape (weekday, "next
/// week", "in 3 days", "dec 5", "2026-12-05", …); long, but flat.
fn bare_date(
    toks: &[Tok<'_>],
    today: NaiveDate,
    strict: bool,
) -> Option<(usize, NaiveDate, Option<NaiveTime>)> {
    let w0 = word(toks, 0)?;
    let w1 = word(toks, 1);
    let with_part = |n: usize, d: NaiveDate| match part_of_day(word(toks, n)) {
        Some(t) => (n + 1, d, Some(t)),
        None => (n, d, None),
    };
    match w0 {
        "today" => return Some(with_part(1, today)),
        // "this morning", "this afternoon", "this evening" (hours as
        // "tomorrow morning": 9, 14, 18; "tonight" is 19).
        "this" if part_of_day(w1).is_some() => {
            return Some((2, today, part_of_day(w1)));
        }
        "tonight" => return Some((1, today, NaiveTime::from_hms_opt(19, 0, 0))),
        "tomorrow" | "tmrw" | "tmr" | "tomorow" => return Some(with_part(1, add_days(today, 1))),
        "eom" => return Some((1, end_of_month(today), None)),
        "end" if w1 == Some("of") => {
            let (skip, last) = if word(toks, 2) == Some("the") {
                (4, word(toks, 3))
            } else {
                (3, word(toks, 2))
            };
            if last == Some("month") {
                return Some((skip, end_of_month(today), None));
            }
            return None;
        }
        "next" => {
            let w1 = w1?;
            if let Some(day) = weekday(w1, false) {
                // The given day of next week (weeks start on Monday).
                let start_next_week =
                    add_days(today, u64::from(7 - today.weekday().num_days_from_monday()));
                return Some(with_part(2, weekday_from(start_next_week, day)));
            }
            return match w1 {
                "week" => Some((2, next_weekday(today, Weekday::Mon), None)),
                "month" => {
                    let first = today.with_day(1)?.checked_add_months(Months::new(1))?;
                    Some((2, first, None))
                }
                _ => None,
            };
        }
        "in" => {
            let n = small_number(w1?)?;
            let unit = word(toks, 2)?;
            let d = match unit.trim_end_matches('s') {
                "day" => add_days(today, u64::from(n)),
                "week" => add_days(today, 7 * u64::from(n)),
                "month" => today.checked_add_months(Months::new(n))?,
                "year" => today.checked_add_months(Months::new(12 * n))?,
                _ => return None,
            };
            return Some((3, d, None));
        }
        _ => {}
    }
    if let Some(day) = weekday(w0, strict) {
        return Some(with_part(1, next_weekday(today, day)));
    }
    // "sat 1-4pm", "sun 10am": a weekday too when a time follows.
    if let Some(day) = weekday(w0, false)
        && (time(&toks[1..]).is_some() || range(&toks[1..]).is_some())
    {
        return Some((1, next_weekday(today, day), None));
    }
    // "on the 15th": the next 15th (this month's, or next month's if it
    // has passed); only after "on", as "the 3rd" is ordinary words too.
    if !strict
        && w0 == "the"
        && let Some(d) = w1.and_then(day_of_month)
        && word(toks, 2).and_then(month).is_none()
        && word(toks, 2) != Some("of")
    {
        let this = NaiveDate::from_ymd_opt(today.year(), today.month(), d).filter(|x| *x >= today);
        let next = || {
            let first = today.with_day(1)?.checked_add_months(Months::new(1))?;
            NaiveDate::from_ymd_opt(first.year(), first.month(), d)
        };
        return Some((2, this.or_else(next)?, None));
    }
    // "dec 5", "december 5th 2027"
    if let Some(m) = month(w0)
        && let Some(d) = w1.and_then(day_of_month)
    {
        return match word(toks, 2).and_then(year) {
            Some(y) => Some((3, NaiveDate::from_ymd_opt(y, m, d)?, None)),
            None => Some((2, upcoming(today, m, d)?, None)),
        };
    }
    // "5 dec", "5th of december 2027"
    if let Some(d) = day_of_month(w0) {
        let (skip, mw) = if w1 == Some("of") {
            (3, word(toks, 2))
        } else {
            (2, w1)
        };
        if let Some(m) = mw.and_then(month) {
            return match word(toks, skip).and_then(year) {
                Some(y) => Some((skip + 1, NaiveDate::from_ymd_opt(y, m, d)?, None)),
                None => Some((skip, upcoming(today, m, d)?, None)),
            };
        }
    }
    // 2026-12-05
    if w0.len() == 10 && w0.as_bytes().get(4) == Some(&b'-') {
        return NaiveDate::parse_from_str(w0, "%Y-%m-%d")
            .ok()
            .map(|d| (1, d, None));
    }
    // 12/5, 12/5/2026, 12/5/26
    let parts: Vec<&str> = w0.split('/').collect();
    if (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.chars().all(|c| c.is_ascii_digit()))
    {
        let m: u32 = parts[0].parse().ok()?;
        let d: u32 = parts[1].parse().ok()?;
        let date = match parts.get(2) {
            Some(y) if y.len() == 4 => NaiveDate::from_ymd_opt(y.parse().ok()?, m, d)?,
            Some(y) if y.len() == 2 => {
                NaiveDate::from_ymd_opt(2000 + y.parse::<i32>().ok()?, m, d)?
            }
            Some(_) => return None,
            None => upcoming(today, m, d)?,
        };
        return Some((1, date, None));
    }
    None
}

fn end_of_month(today: NaiveDate) -> NaiveDate {
    today
        .with_day(1)
        .and_then(|f| f.checked_add_months(Months::new(1)))
        .and_then(|f| f.pred_opt())
        .unwrap_or(today)
}

/// A time phrase at the start of `toks`: (tokens used, time, weak). A weak
/// time is a bare hour after "at" ("at 12"), which may as well be the
/// start of an address ("at 12 Oak St"): the caller takes it only when the
/// text has no other time and no capitalised word follows it.
pub(crate) fn time(toks: &[Tok<'_>]) -> Option<(usize, NaiveTime, bool)> {
    let w0 = word(toks, 0)?;
    if w0 == "at" {
        let w1 = word(toks, 1)?;
        // "at 9": a bare hour; 1–6 mean the afternoon.
        if let Ok(h) = w1.parse::<u32>()
            && (0..=23).contains(&h)
            && word(toks, 2).is_none_or(|w| !matches!(w, "am" | "pm" | "a.m." | "p.m."))
        {
            let h = if (1..=6).contains(&h) { h + 12 } else { h };
            return NaiveTime::from_hms_opt(h, 0, 0).map(|t| (2, t, true));
        }
        let (n, t) = bare_time(&toks[1..])?;
        return Some((n + 1, t, false));
    }
    bare_time(toks).map(|(n, t)| (n, t, false))
}

/// A time range at the start of `toks`: "1-4pm", "10–11:30am",
/// "10am-2pm", "1pm - 4pm", "9 to 11am". (tokens used, start, end.) A
/// start without am/pm takes the end's, unless that would put it after
/// the end ("11-1pm" is 11:00 to 13:00).
pub(crate) fn range(toks: &[Tok<'_>]) -> Option<(usize, NaiveTime, NaiveTime)> {
    let w0 = word(toks, 0)?;
    let (left, right, n) = match w0.split_once(['-', '–']) {
        Some((l, r)) if !l.is_empty() && !r.is_empty() => (l.to_string(), r.to_string(), 1),
        _ => {
            let sep = word(toks, 1)?;
            if !matches!(sep, "-" | "–" | "to") {
                return None;
            }
            (w0.to_string(), word(toks, 2)?.to_string(), 3)
        }
    };
    let meridiem = |w: &str| {
        if w.ends_with("am") || w.ends_with("a.m.") {
            Some("am")
        } else if w.ends_with("pm") || w.ends_with("p.m.") {
            Some("pm")
        } else {
            None
        }
    };
    let one = |w: &str| -> Option<NaiveTime> {
        let tok = Tok {
            text: w,
            lower: w.to_string(),
            start: 0,
            end: w.len(),
        };
        bare_time(std::slice::from_ref(&tok)).map(|(_, t)| t)
    };
    // The end must say am/pm or have minutes, so "2-3" stays words.
    let end_mer = meridiem(&right);
    if end_mer.is_none() && !right.contains(':') {
        return None;
    }
    let end = one(&right)?;
    let start = match (meridiem(&left), end_mer) {
        (Some(_), _) => one(&left)?,
        (None, Some(m)) => {
            let same = one(&format!("{left}{m}"))?;
            if same <= end {
                same
            } else {
                one(&format!("{left}{}", if m == "pm" { "am" } else { "pm" }))?
            }
        }
        _ => one(&left)?,
    };
    Some((n, start, end))
}

/// Whether the word after a bare "at 12" makes it an address: a
/// capitalised word that is not a date word ("at 12 Oak St", but not
/// "at 5 Tomorrow").
pub(crate) fn starts_a_street(toks: &[Tok<'_>]) -> bool {
    let Some(t) = toks.first() else { return false };
    let capital = t.text.chars().next().is_some_and(char::is_uppercase);
    let lower = t.lower.trim_end_matches([',', '.', ';']);
    capital
        && weekday(lower, false).is_none()
        && month(lower).is_none()
        && !matches!(
            lower,
            "today" | "tonight" | "tomorrow" | "next" | "on" | "by"
        )
}

/// A time relative to now at the start of `toks`: "in 2 hours", "in 30
/// min", "in an hour", "in 90 minutes". (tokens used, minutes from now.)
pub(crate) fn relative(toks: &[Tok<'_>]) -> Option<(usize, i64)> {
    if word(toks, 0)? != "in" {
        return None;
    }
    let n = i64::from(small_number(word(toks, 1)?)?);
    let minutes = match word(toks, 2)? {
        "hour" | "hours" | "hr" | "hrs" | "h" => n * 60,
        "minute" | "minutes" | "min" | "mins" => n,
        _ => return None,
    };
    Some((3, minutes))
}

fn bare_time(toks: &[Tok<'_>]) -> Option<(usize, NaiveTime)> {
    let w0 = word(toks, 0)?;
    match w0 {
        "noon" | "midday" => return NaiveTime::from_hms_opt(12, 0, 0).map(|t| (1, t)),
        "midnight" => return NaiveTime::from_hms_opt(0, 0, 0).map(|t| (1, t)),
        _ => {}
    }
    let (body, meridiem, n) =
        if let Some(b) = w0.strip_suffix("am").or_else(|| w0.strip_suffix("a.m.")) {
            (b, Some(false), 1)
        } else if let Some(b) = w0.strip_suffix("pm").or_else(|| w0.strip_suffix("p.m.")) {
            (b, Some(true), 1)
        } else {
            match word(toks, 1) {
                Some("am" | "a.m.") => (w0, Some(false), 2),
                Some("pm" | "p.m.") => (w0, Some(true), 2),
                _ => (w0, None, 1),
            }
        };
    let (h, m) = match body.split_once([':', '.']) {
        Some((h, m)) if m.len() == 2 => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        Some(_) => return None,
        None if meridiem.is_some() => (body.parse::<u32>().ok()?, 0),
        None => return None,
    };
    if h > 23 || m > 59 || body.len() > 5 || body.starts_with('+') {
        return None;
    }
    let h = match meridiem {
        Some(pm) if (1..=12).contains(&h) => (h % 12) + if pm { 12 } else { 0 },
        Some(_) => return None,
        // "3:30" without am/pm: 1–6 mean the afternoon, like "at 3".
        None if (1..=6).contains(&h) && body.len() <= 4 => h + 12,
        None => h,
    };
    NaiveTime::from_hms_opt(h, m, 0).map(|t| (n, t))
}

/// "every …" at the start of `toks`: (tokens used, rule, first date if the
/// text gives none). One arm per phrase shape ("every monday", "every 3
/// days", "every month on the 15th", …); long, but flat.
pub(crate) fn recurrence(
    toks: &[Tok<'_>],
    today: NaiveDate,
    shorthand_ok: bool,
) -> Option<(usize, Recurrence, Option<NaiveDate>)> {
    let w0 = word(toks, 0)?;
    // "the last friday of every month", "the 2nd tuesday of every other month"
    if w0 == "the"
        && let Some(week) = word(toks, 1).and_then(week_of_month)
        && let Some(day) = word(toks, 2).and_then(|w| weekday(w, false))
        && word(toks, 3) == Some("of")
        && word(toks, 4) == Some("every")
    {
        let (n, every) = match (word(toks, 5)?, word(toks, 6)) {
            ("month", _) => (6, 1),
            ("other", Some("month")) => (7, 2),
            (k, Some("months")) => (7, small_number(k)?),
            _ => return None,
        };
        return Some(month_weekday(
            n,
            RecurrenceMode::Schedule,
            every,
            week,
            day,
            today,
        ));
    }
    if !shorthand_ok && !matches!(w0, "every" | "every!") {
        return None;
    }
    let shorthand = |rule| {
        Some((
            1,
            Recurrence {
                mode: RecurrenceMode::Schedule,
                rule,
            },
            Some(today),
        ))
    };
    let mode = match w0 {
        "every" => RecurrenceMode::Schedule,
        "every!" => RecurrenceMode::AfterCompletion,
        "daily" => return shorthand(RecurrenceRule::Days { every: 1 }),
        "weekly" => return shorthand(RecurrenceRule::Weeks { every: 1 }),
        "monthly" => {
            return shorthand(RecurrenceRule::Months {
                every: 1,
                day: None,
            });
        }
        "yearly" | "annually" => return shorthand(RecurrenceRule::Years { every: 1 }),
        _ => return None,
    };
    let w1 = word(toks, 1)?;
    let (mut n, rule) = match w1 {
        "day" => (2, RecurrenceRule::Days { every: 1 }),
        "weekday" | "workday" | "weekdays" => (2, RecurrenceRule::Weekdays),
        "week" => (2, RecurrenceRule::Weeks { every: 1 }),
        "month" => (
            2,
            RecurrenceRule::Months {
                every: 1,
                day: None,
            },
        ),
        "year" => (2, RecurrenceRule::Years { every: 1 }),
        "other" => match word(toks, 2)? {
            "day" => (3, RecurrenceRule::Days { every: 2 }),
            "week" => (3, RecurrenceRule::Weeks { every: 2 }),
            // "every other tuesday": every two weeks from the first Tuesday.
            w if weekday(w, false).is_some() => {
                let day = weekday(w, false)?;
                return Some((
                    3,
                    Recurrence {
                        mode,
                        rule: RecurrenceRule::Weeks { every: 2 },
                    },
                    Some(weekday_from(today, day)),
                ));
            }
            "month" => (
                3,
                RecurrenceRule::Months {
                    every: 2,
                    day: None,
                },
            ),
            _ => return None,
        },
        w => {
            if let Some(first) = weekday(w, false) {
                let mut days = vec![WeekdayName::from(first)];
                let mut n = 2;
                while let Some(next) = word(toks, n) {
                    if matches!(next, "and" | "&")
                        && let Some(d) = word(toks, n + 1).and_then(|x| weekday(x, false))
                    {
                        days.push(d.into());
                        n += 2;
                    } else if let Some(d) =
                        weekday(next, true).filter(|_| toks[n - 1].lower.ends_with(','))
                    {
                        days.push(d.into());
                        n += 1;
                    } else {
                        break;
                    }
                }
                (n, RecurrenceRule::OnDays { days })
            } else {
                let count = small_number(w)?;
                match word(toks, 2)?.trim_end_matches('s') {
                    "day" => (3, RecurrenceRule::Days { every: count }),
                    "week" => (3, RecurrenceRule::Weeks { every: count }),
                    "month" => (
                        3,
                        RecurrenceRule::Months {
                            every: count,
                            day: None,
                        },
                    ),
                    "year" => (3, RecurrenceRule::Years { every: count }),
                    _ => return None,
                }
            }
        }
    };
    // "every month on the last friday"
    if let RecurrenceRule::Months { every, day: None } = rule
        && word(toks, n) == Some("on")
        && word(toks, n + 1) == Some("the")
        && let Some(week) = word(toks, n + 2).and_then(week_of_month)
        && let Some(day) = word(toks, n + 3).and_then(|w| weekday(w, false))
    {
        return Some(month_weekday(n + 4, mode, every, week, day, today));
    }
    // "every month on the 1st"
    let rule = match rule {
        RecurrenceRule::Months { every, day: None } if word(toks, n) == Some("on") => {
            let (skip, dw) = if word(toks, n + 1) == Some("the") {
                (2, word(toks, n + 2))
            } else {
                (1, word(toks, n + 1))
            };
            match dw.and_then(day_of_month) {
                Some(d) => {
                    n += skip + 1;
                    RecurrenceRule::Months {
                        every,
                        day: u8::try_from(d).ok(),
                    }
                }
                None => RecurrenceRule::Months { every, day: None },
            }
        }
        other => other,
    };
    let first = match &rule {
        RecurrenceRule::Weekdays => Some(if today.weekday().number_from_monday() <= 5 {
            today
        } else {
            weekday_from(today, Weekday::Mon)
        }),
        RecurrenceRule::OnDays { days } => {
            days.iter().map(|d| weekday_from(today, (*d).into())).min()
        }
        RecurrenceRule::Months { day: Some(d), .. } => {
            let d = u32::from(*d);
            NaiveDate::from_ymd_opt(today.year(), today.month(), d)
                .filter(|x| *x >= today)
                .or_else(|| {
                    let next = today.with_day(1)?.checked_add_months(Months::new(1))?;
                    NaiveDate::from_ymd_opt(next.year(), next.month(), d)
                })
        }
        _ => Some(today),
    };
    Some((n, Recurrence { mode, rule }, first))
}
