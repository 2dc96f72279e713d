//! A task and its parts.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Days, NaiveTime, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::ids::{ColumnId, CommentId, DocumentId, ItemId, TaskId};
use crate::time::{local_day_start, parse_tz};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Priority {
    #[default]
    None,
    Low,
    Medium,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 5] = [
        Priority::None,
        Priority::Low,
        Priority::Medium,
        Priority::High,
        Priority::Urgent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::None => "none",
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    /// 0 (none) to 4 (urgent), for sorting.
    pub fn rank(self) -> i64 {
        self as i64
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Priority {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "" => Ok(Priority::None),
            "low" | "1" => Ok(Priority::Low),
            "medium" | "med" | "2" => Ok(Priority::Medium),
            "high" | "3" => Ok(Priority::High),
            "urgent" | "4" => Ok(Priority::Urgent),
            _ => Err(ModelError::InvalidPriority(s.to_string())),
        }
    }
}

/// When a task is due: an instant, the time zone it was entered in (so "9am"
/// stays 9am for the person who wrote it), and whether only the day matters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Due {
    /// For an all-day due date, the start of that day in `tz`.
    pub at: DateTime<Utc>,
    pub tz: String,
    pub all_day: bool,
    /// When a timed task ends ("sat 1-4pm"); none: it has no length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub end: Option<DateTime<Utc>>,
}

impl Due {
    pub fn at_time(at: DateTime<Utc>, tz: &str) -> Self {
        Self {
            at,
            tz: tz.to_string(),
            all_day: false,
            end: None,
        }
    }

    /// The whole day `date` in `tz`.
    pub fn on_day(date: chrono::NaiveDate, tz: &str) -> Result<Self, ModelError> {
        let zone = parse_tz(tz)?;
        Ok(Self {
            at: local_day_start(&zone, date),
            tz: tz.to_string(),
            all_day: true,
            end: None,
        })
    }

    /// The moment after which the task is overdue: the due time, or for an
    /// all-day date the end of that day.
    pub fn deadline(&self) -> DateTime<Utc> {
        if !self.all_day {
            return self.at;
        }
        match parse_tz(&self.tz) {
            Ok(zone) => {
                let date = self.at.with_timezone(&zone).date_naive();
                let next = date.checked_add_days(Days::new(1)).unwrap_or(date);
                local_day_start(&zone, next)
            }
            Err(_) => self.at + chrono::Duration::days(1),
        }
    }

    /// The local date and (unless all-day) time, in the zone it was entered in.
    pub fn display(&self) -> String {
        match parse_tz(&self.tz) {
            Ok(zone) => {
                let local = self.at.with_timezone(&zone);
                if self.all_day {
                    local.format("%Y-%m-%d").to_string()
                } else if let Some(end) = self.end {
                    format!(
                        "{}-{}",
                        local.format("%Y-%m-%d %H:%M"),
                        end.with_timezone(&zone).format("%H:%M")
                    )
                } else {
                    local.format("%Y-%m-%d %H:%M").to_string()
                }
            }
            Err(_) => self.at.to_rfc3339(),
        }
    }

    /// The same wall-clock time on another day.
    pub fn moved_to(&self, date: chrono::NaiveDate) -> Self {
        let Ok(zone) = parse_tz(&self.tz) else {
            return self.clone();
        };
        if self.all_day {
            return Self {
                at: local_day_start(&zone, date),
                ..self.clone()
            };
        }
        let time: NaiveTime = self.at.with_timezone(&zone).time();
        let at = zone
            .from_local_datetime(&date.and_time(time))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| local_day_start(&zone, date));
        // A range keeps its length.
        let end = self.end.map(|e| at + (e - self.at));
        Self {
            at,
            end,
            ..self.clone()
        }
    }
}

/// Whether the next instance follows the calendar or the last completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RecurrenceMode {
    /// Next instance on the next scheduled date ("every monday").
    Schedule,
    /// Next instance a fixed interval after completion ("every! 3 days").
    AfterCompletion,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "unit", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RecurrenceRule {
    Days {
        every: u32,
    },
    Weeks {
        every: u32,
    },
    /// Monday to Friday.
    Weekdays,
    /// On the given days of the week.
    OnDays {
        days: Vec<WeekdayName>,
    },
    /// Every `every` months, on `day` of the month (or the due date's day).
    Months {
        every: u32,
        day: Option<u8>,
    },
    Years {
        every: u32,
    },
    /// Every `every` months on the `week`th `day` of the month (1 to 4;
    /// -1 is the last): "the last friday of every month".
    MonthWeekday {
        every: u32,
        week: i8,
        day: WeekdayName,
    },
}

/// A weekday, serialized by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum WeekdayName {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl From<Weekday> for WeekdayName {
    fn from(day: Weekday) -> Self {
        match day {
            Weekday::Mon => WeekdayName::Mon,
            Weekday::Tue => WeekdayName::Tue,
            Weekday::Wed => WeekdayName::Wed,
            Weekday::Thu => WeekdayName::Thu,
            Weekday::Fri => WeekdayName::Fri,
            Weekday::Sat => WeekdayName::Sat,
            Weekday::Sun => WeekdayName::Sun,
        }
    }
}

impl From<WeekdayName> for Weekday {
    fn from(day: WeekdayName) -> Self {
        match day {
            WeekdayName::Mon => Weekday::Mon,
            WeekdayName::Tue => Weekday::Tue,
            WeekdayName::Wed => Weekday::Wed,
            WeekdayName::Thu => Weekday::Thu,
            WeekdayName::Fri => Weekday::Fri,
            WeekdayName::Sat => Weekday::Sat,
            WeekdayName::Sun => Weekday::Sun,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Recurrence {
    pub mode: RecurrenceMode,
    #[serde(flatten)]
    pub rule: RecurrenceRule,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChecklistItem {
    pub id: ItemId,
    pub text: String,
    pub done: bool,
    pub position: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Comment {
    pub id: CommentId,
    pub author: String,
    pub at: DateTime<Utc>,
    pub text: String,
    /// The people the comment mentions (`@name`), lower-case, stored with
    /// the comment when it is written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(optional, as = "Option<Vec<String>>"))]
    pub mentions: Vec<String>,
}

/// Who did something to a task, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub by: String,
    pub at: DateTime<Utc>,
}

/// What a person did with an item of their inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum InboxState {
    Unread,
    Read,
    Archived,
}

impl InboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            InboxState::Unread => "unread",
            InboxState::Read => "read",
            InboxState::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "unread" => Some(InboxState::Unread),
            "read" => Some(InboxState::Read),
            "archived" => Some(InboxState::Archived),
            _ => None,
        }
    }
}

/// The people `@name` mentions in `text`, lower-case, each once, in order.
/// A mention starts a word (so `joe@example.com` is not one) and is
/// letters, digits, `-`, `_` or `.`; trailing punctuation is not part of it.
pub fn mentions_in(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for span in mention_spans(text) {
        let name = text[span].to_lowercase();
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Where each `@name` of `text` is: the byte range of the name, after the
/// `@` (see [`mentions_in`]).
pub fn mention_spans(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        let starts_word = prev.is_none_or(|p| !(p.is_alphanumeric() || "-_.@".contains(p)));
        prev = Some(c);
        if c != '@' || !starts_word {
            continue;
        }
        let rest = &text[i + 1..];
        let len = rest
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || "-_.".contains(*c)))
            .map_or(rest.len(), |(j, _)| j);
        let name = rest[..len].trim_end_matches(['.', '-', '_']);
        if !name.is_empty() {
            out.push(i + 1..i + 1 + name.len());
        }
    }
    out
}

/// A task as read from its board document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Task {
    pub id: TaskId,
    pub board: DocumentId,
    pub title: String,
    pub description: String,
    pub column: ColumnId,
    pub position: String,
    pub due: Option<Due>,
    pub reminder: Option<DateTime<Utc>>,
    pub priority: Priority,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub checklist: Vec<ChecklistItem>,
    pub comments: Vec<Comment>,
    pub listings: Vec<String>,
    pub recurrence: Option<Recurrence>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub archived: bool,
    pub deleted: bool,
    /// The template application this task was made by, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub template: Option<crate::template::TemplateLink>,
    /// Who each assignee was assigned by, and when.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub assigned: BTreeMap<String, Stamp>,
    /// The people the description mentions, and who mentioned them when.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub mentioned: BTreeMap<String, Stamp>,
    /// Watching set by hand: true to watch, false to stop watching a task
    /// one would watch anyway (see [`Task::watchers`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub watch: BTreeMap<String, bool>,
    /// Each person's read and archived inbox items about this task, by item.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub inbox: BTreeMap<String, BTreeMap<String, InboxState>>,
}

impl Task {
    /// A new open task with every optional field empty.
    pub fn new(
        board: DocumentId,
        title: impl Into<String>,
        column: ColumnId,
        position: impl Into<String>,
        by: &str,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: TaskId::random(),
            board,
            title: title.into(),
            description: String::new(),
            column,
            position: position.into(),
            due: None,
            reminder: None,
            priority: Priority::None,
            labels: vec![],
            assignees: vec![],
            checklist: vec![],
            comments: vec![],
            listings: vec![],
            recurrence: None,
            created_by: by.to_string(),
            created_at: now,
            updated_by: by.to_string(),
            updated_at: now,
            completed_at: None,
            archived: false,
            deleted: false,
            template: None,
            assigned: BTreeMap::new(),
            mentioned: BTreeMap::new(),
            watch: BTreeMap::new(),
            inbox: BTreeMap::new(),
        }
    }

    pub fn is_done(&self) -> bool {
        self.completed_at.is_some()
    }

    /// Who watches the task: its creator, assignees and commenters, and
    /// whoever chose to watch it, less whoever chose not to. Lower-case.
    pub fn watchers(&self) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = std::iter::once(&self.created_by)
            .chain(&self.assignees)
            .chain(self.comments.iter().map(|c| &c.author))
            .filter(|n| !n.is_empty())
            .map(|n| n.to_lowercase())
            .collect();
        for (person, on) in &self.watch {
            if *on {
                out.insert(person.to_lowercase());
            } else {
                out.remove(&person.to_lowercase());
            }
        }
        out
    }

    /// Whether `person` watches the task (names compare without case).
    pub fn watched_by(&self, person: &str) -> bool {
        self.watchers().contains(&person.to_lowercase())
    }
}

/// A convenient UTC instant from milliseconds, clamped to chrono's range.
pub fn utc_from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}
