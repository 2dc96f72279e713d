//! Transaction templates: a named checklist of tasks, each due at an offset
//! from one anchor date ("closing − 10 days", "contract + 3 business days",
//! "listing + 0 days 9am"). Applying a template to an anchor gives each
//! step its due date; business days skip weekends and holidays (US federal
//! by default, with the observed day when one falls on a weekend).
//!
//! Pure: no storage. The three templates a real-estate team starts with
//! are in [`builtin`].

use std::collections::BTreeSet;

use chrono::{Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::board::{Due, Priority};
use crate::error::{ModelError, Result};
use crate::time::{local_day_start, nth_weekday, parse_tz};

/// How far a step's due date is from the anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offset {
    /// Negative: before the anchor.
    pub days: i32,
    /// Count only business days (not weekends, not holidays).
    pub business: bool,
    /// A time of day; none: an all-day task.
    pub time: Option<NaiveTime>,
}

const OFFSET_HINT: &str =
    "write e.g. 'closing - 10 days', 'contract + 3 business days' or 'listing + 0 days 9am'";

fn bad_offset(text: &str) -> ModelError {
    ModelError::InvalidValue {
        what: "offset",
        value: text.to_string(),
        hint: OFFSET_HINT,
    }
}

impl Offset {
    /// Reads "closing - 10 days", "contract + 3 business days",
    /// "listing + 0 days 9am", "-10d", "+3bd", "10 days before",
    /// "2 business days after 14:00". The anchor's name, if written, must
    /// be `anchor` (any case) when one is given.
    pub fn parse(text: &str, anchor: Option<&str>) -> Result<Self> {
        let lower = text.trim().to_lowercase().replace(['−', '–'], "-");
        let mut words: Vec<String> = Vec::new();
        for w in lower.split_whitespace() {
            // "-10d" → "-", "10d"; "+3" → "+", "3".
            match w.strip_prefix(['+', '-']) {
                Some(rest) if !rest.is_empty() => {
                    words.push(w[..1].to_string());
                    words.push(rest.to_string());
                }
                _ => words.push(w.to_string()),
            }
        }
        let mut i = 0;
        // An anchor name first ("closing", "contract date").
        if words
            .get(i)
            .is_some_and(|w| w.chars().next().is_some_and(char::is_alphabetic))
        {
            let name = &words[i];
            if let Some(a) = anchor
                && !a.eq_ignore_ascii_case(name)
            {
                return Err(ModelError::InvalidValue {
                    what: "offset",
                    value: text.to_string(),
                    hint: "the offset names another anchor than the template's",
                });
            }
            i += 1;
            if words.get(i).is_some_and(|w| w == "date") {
                i += 1;
            }
        }
        let mut sign = 1i32;
        let mut signed = false;
        if let Some(w) = words.get(i)
            && (w == "+" || w == "-")
        {
            sign = if w == "-" { -1 } else { 1 };
            signed = true;
            i += 1;
        }
        let number = words.get(i).ok_or_else(|| bad_offset(text))?;
        let digits: String = number.chars().take_while(char::is_ascii_digit).collect();
        let n: i32 = digits.parse().map_err(|_| bad_offset(text))?;
        if n > 3650 {
            return Err(bad_offset(text));
        }
        let mut unit = number[digits.len()..].to_string();
        i += 1;
        if unit.is_empty() {
            unit = words.get(i).cloned().ok_or_else(|| bad_offset(text))?;
            i += 1;
            if unit == "business" || unit == "working" {
                let next = words.get(i).ok_or_else(|| bad_offset(text))?;
                unit = format!("b{next}");
                i += 1;
            }
        }
        let business = match unit.trim_end_matches('s') {
            "d" | "day" => false,
            "bd" | "bday" | "wd" => true,
            "w" | "week" => {
                return Self::finish(text, &words[i..], sign, signed, n * 7, false);
            }
            _ => return Err(bad_offset(text)),
        };
        Self::finish(text, &words[i..], sign, signed, n, business)
    }

    fn finish(
        text: &str,
        rest: &[String],
        mut sign: i32,
        signed: bool,
        n: i32,
        business: bool,
    ) -> Result<Self> {
        let mut rest = rest;
        match rest.first().map(String::as_str) {
            Some("before") if !signed => {
                sign = -1;
                rest = &rest[1..];
            }
            Some("after") if !signed => rest = &rest[1..],
            _ => {}
        }
        let time = match rest {
            [] => None,
            [t] => Some(time_of_day(t).ok_or_else(|| bad_offset(text))?),
            [t, m] if m == "am" || m == "pm" => {
                Some(time_of_day(&format!("{t}{m}")).ok_or_else(|| bad_offset(text))?)
            }
            _ => return Err(bad_offset(text)),
        };
        Ok(Self {
            days: sign * n,
            business,
            time,
        })
    }

    /// As people write it: "- 10 days", "+ 3 business days 09:00".
    pub fn describe(&self, anchor: &str) -> String {
        let sign = if self.days < 0 { '-' } else { '+' };
        let n = self.days.unsigned_abs();
        let unit = match (self.business, n) {
            (true, 1) => "business day",
            (true, _) => "business days",
            (false, 1) => "day",
            (false, _) => "days",
        };
        let time = self
            .time
            .map(|t| format!(" {}", t.format("%H:%M")))
            .unwrap_or_default();
        format!("{anchor} {sign} {n} {unit}{time}")
    }
}

/// "9am", "9:30pm", "14:00" → a time of day.
fn time_of_day(w: &str) -> Option<NaiveTime> {
    let (body, pm) = if let Some(b) = w.strip_suffix("am") {
        (b, Some(false))
    } else if let Some(b) = w.strip_suffix("pm") {
        (b, Some(true))
    } else {
        (w, None)
    };
    let (h, m) = match body.split_once(':') {
        Some((h, m)) => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        None if pm.is_some() => (body.parse::<u32>().ok()?, 0),
        None => return None,
    };
    let h = match pm {
        Some(p) if (1..=12).contains(&h) => h % 12 + if p { 12 } else { 0 },
        Some(_) => return None,
        None => h,
    };
    NaiveTime::from_hms_opt(h, m, 0)
}

/// Days that are not business days besides weekends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holidays {
    /// Every US federal holiday (as observed) of any year.
    pub us_federal: bool,
    /// More days off (a local holiday, the office's closing days).
    pub extra: BTreeSet<NaiveDate>,
    /// Federal holidays the office works on after all.
    pub removed: BTreeSet<NaiveDate>,
}

impl Holidays {
    /// US federal holidays, nothing added or removed.
    pub fn us() -> Self {
        Self {
            us_federal: true,
            ..Self::default()
        }
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        if self.removed.contains(&d) {
            return false;
        }
        self.extra.contains(&d)
            || (self.us_federal
                && (us_federal(d.year()).contains(&d)
                    // 1 January of next year observed on 31 December.
                    || us_federal(d.year() + 1).contains(&d)))
    }

    pub fn is_business_day(&self, d: NaiveDate) -> bool {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.contains(d)
    }
}

/// A fixed-date holiday on a Saturday is observed the Friday before, on a
/// Sunday the Monday after (5 U.S.C. 6103).
fn observed(d: NaiveDate) -> NaiveDate {
    match d.weekday() {
        Weekday::Sat => d.pred_opt().unwrap_or(d),
        Weekday::Sun => d.succ_opt().unwrap_or(d),
        _ => d,
    }
}

/// The eleven US federal holidays of `year`, as observed (5 U.S.C. 6103).
pub fn us_federal(year: i32) -> Vec<NaiveDate> {
    let fixed = |m, d| NaiveDate::from_ymd_opt(year, m, d).map(observed);
    [
        fixed(1, 1),                            // New Year's Day
        nth_weekday(year, 1, Weekday::Mon, 3),  // Martin Luther King Jr. Day
        nth_weekday(year, 2, Weekday::Mon, 3),  // Washington's Birthday
        nth_weekday(year, 5, Weekday::Mon, -1), // Memorial Day
        fixed(6, 19).filter(|_| year >= 2021),  // Juneteenth
        fixed(7, 4),                            // Independence Day
        nth_weekday(year, 9, Weekday::Mon, 1),  // Labor Day
        nth_weekday(year, 10, Weekday::Mon, 2), // Columbus Day
        fixed(11, 11),                          // Veterans Day
        nth_weekday(year, 11, Weekday::Thu, 4), // Thanksgiving Day
        fixed(12, 25),                          // Christmas Day
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The date `offset` is from `anchor` (the time is the caller's).
pub fn shift(anchor: NaiveDate, offset: &Offset, holidays: &Holidays) -> NaiveDate {
    if !offset.business {
        let n = u64::from(offset.days.unsigned_abs());
        return if offset.days < 0 {
            anchor.checked_sub_days(Days::new(n))
        } else {
            anchor.checked_add_days(Days::new(n))
        }
        .unwrap_or(anchor);
    }
    let step = |d: NaiveDate| {
        if offset.days < 0 {
            d.pred_opt()
        } else {
            d.succ_opt()
        }
    };
    let mut d = anchor;
    let mut left = offset.days.unsigned_abs();
    while left > 0 {
        let Some(next) = step(d) else { break };
        d = next;
        if holidays.is_business_day(d) {
            left -= 1;
        }
    }
    d
}

/// One task of a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub title: String,
    pub offset: Offset,
    /// A person's name, or a role the team fills when applying
    /// ("listing agent").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checklist: Vec<String>,
    #[serde(default)]
    pub priority: Priority,
}

/// A named checklist keyed to one anchor date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub name: String,
    /// What the anchor date is: "closing", "contract", "listing".
    pub anchor: String,
    pub steps: Vec<Step>,
}

/// What a task made from a template remembers: which application of
/// which template it came from, its step and offset, and the anchor, so
/// moving the anchor moves it (and an edited template changes nothing
/// already made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateLink {
    /// One application of a template (all its tasks share it).
    pub run: String,
    pub template: String,
    pub step: u32,
    pub anchor: NaiveDate,
    pub offset: Offset,
    /// Whether business days skipped US federal holidays.
    pub holidays: bool,
}

/// A step with its due date for one anchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Planned {
    pub step: usize,
    pub title: String,
    pub due: Due,
}

/// The due date `offset` from `anchor` gives, in zone `tz`.
pub fn due_at(anchor: NaiveDate, offset: &Offset, tz: &str, holidays: &Holidays) -> Result<Due> {
    let zone = parse_tz(tz)?;
    let day = shift(anchor, offset, holidays);
    Ok(match offset.time {
        Some(t) => {
            let at = zone
                .from_local_datetime(&day.and_time(t))
                .earliest()
                .map(|x| x.with_timezone(&Utc))
                .unwrap_or_else(|| local_day_start(&zone, day));
            Due::at_time(at, tz)
        }
        None => Due {
            at: local_day_start(&zone, day),
            tz: tz.to_string(),
            all_day: true,
            end: None,
        },
    })
}

impl Template {
    /// Every step's due date for `anchor`, in zone `tz`, in step order.
    pub fn plan(&self, anchor: NaiveDate, tz: &str, holidays: &Holidays) -> Result<Vec<Planned>> {
        self.steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                Ok(Planned {
                    step: i,
                    title: s.title.clone(),
                    due: due_at(anchor, &s.offset, tz, holidays)?,
                })
            })
            .collect()
    }
}

pub mod builtin;
#[cfg(test)]
mod tests;
