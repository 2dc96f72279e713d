//! Insight into a team's work from its own tasks: throughput, cycle times,
//! overdue work over time, open work per person, and for every open task a
//! predicted completion date with an interval — from the history of
//! similar tasks, with robust statistics (medians and quantiles), nothing
//! downloaded and every number explainable.
//!
//! ## Prediction
//!
//! A task's *cycle time* is the time from its creation to its completion.
//! For an open task, the similar done tasks are, in order of preference:
//! tasks of the same template step, tasks sharing a label (the label with
//! the most history), tasks of the same assignee, then every done task;
//! the first group with at least [`MIN_HISTORY`] tasks is used. Of those,
//! only the ones that took at least as long as the open task has existed
//! so far say how long it will take (it is not done yet), when there are
//! [`MIN_HISTORY`] of them; otherwise the whole group does. The 10th, 50th
//! and 90th percentiles of their cycle times, added to the task's creation,
//! are the interval's start, the predicted date and the interval's end (an
//! 80 % interval; the backtests check that). With fewer than
//! [`MIN_HISTORY`] done tasks in all, there is no prediction and the
//! reason says so. A task whose predicted date is after its deadline is
//! *at risk*.
//!
//! ## Workload
//!
//! A person's load is their open tasks due within [`LOAD_DAYS`] days or
//! overdue. When someone's load is at least twice the median load of the
//! people with open work and at least [`LOAD_GAP`] tasks above it, moving
//! their latest-due such task to the person with the least load is
//! suggested (never done by itself).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::board::Task;
use crate::ids::TaskId;
use crate::time::local_day_start;

/// Done tasks a group needs before it predicts.
pub const MIN_HISTORY: usize = 5;
/// The horizon of a person's load, in days.
pub const LOAD_DAYS: i64 = 7;
/// How far above the median a load must be for a suggestion.
pub const LOAD_GAP: usize = 3;

const DAY_SECS: f64 = 86_400.0;

/// A count for the week starting `week` (a Monday, in the team's zone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WeekCount {
    pub week: NaiveDate,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub count: usize,
}

/// Cycle times of the tasks done with one label (or `*` for all).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CycleTime {
    pub label: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub done: usize,
    pub p50_days: f64,
    pub p90_days: f64,
}

/// One person's open work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Workload {
    /// The assignee ("" for unassigned work).
    pub person: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub open: usize,
    /// Open and due within [`LOAD_DAYS`] days, or overdue.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub due_soon: usize,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub overdue: usize,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at_risk: usize,
}

/// An open task's predicted completion.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Prediction {
    pub task: TaskId,
    pub title: String,
    pub deadline: Option<DateTime<Utc>>,
    /// The median completion date (none: too little history).
    pub predicted: Option<DateTime<Utc>>,
    /// The 80 % interval around it.
    pub low: Option<DateTime<Utc>>,
    pub high: Option<DateTime<Utc>>,
    /// Which tasks it is based on ("tasks labelled #inspection").
    pub basis: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub samples: usize,
    pub at_risk: bool,
    /// In a sentence, why.
    pub reason: String,
}

/// A suggested reassignment (shown, never applied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Suggestion {
    pub task: TaskId,
    pub title: String,
    pub from: String,
    pub to: String,
    pub reason: String,
}

/// Everything the Insights view shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Insights {
    pub completed_per_week: Vec<WeekCount>,
    /// Open tasks past their deadline at the end of each week.
    pub overdue_per_week: Vec<WeekCount>,
    pub cycle_times: Vec<CycleTime>,
    pub workload: Vec<Workload>,
    /// Open tasks predicted to finish after their deadline, latest first.
    pub at_risk: Vec<Prediction>,
    pub suggestions: Vec<Suggestion>,
}

/// What insight needs of a task: no description, comments or checklist,
/// so a store can read it from its tables without decoding whole tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub id: TaskId,
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub deadline: Option<DateTime<Utc>>,
    pub archived: bool,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    /// The template and step it was made from ("Escrow to closing#3").
    pub step: Option<String>,
}

impl From<&Task> for Facts {
    fn from(t: &Task) -> Self {
        Self {
            id: t.id.clone(),
            title: t.title.clone(),
            created_at: t.created_at,
            completed_at: t.completed_at,
            deadline: t.due.as_ref().map(|d| d.deadline()),
            archived: t.archived,
            labels: t.labels.clone(),
            assignees: t.assignees.clone(),
            step: t
                .template
                .as_ref()
                .map(|l| format!("{}#{}", l.template, l.step)),
        }
    }
}

impl Facts {
    fn is_done(&self) -> bool {
        self.completed_at.is_some()
    }

    fn template_name(&self) -> Option<&str> {
        self.step
            .as_deref()
            .and_then(|s| s.rsplit_once('#'))
            .map(|(t, _)| t)
    }
}

/// The value at quantile `q` of sorted `xs` (linear between neighbours).
pub fn quantile(xs: &[f64], q: f64) -> f64 {
    match xs.len() {
        0 => f64::NAN,
        1 => xs[0],
        n => {
            let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            xs[lo] + (xs[hi] - xs[lo]) * (pos - lo as f64)
        }
    }
}

fn days(d: Duration) -> f64 {
    d.num_seconds() as f64 / DAY_SECS
}

fn after(at: DateTime<Utc>, days: f64) -> DateTime<Utc> {
    at + Duration::seconds((days * DAY_SECS).round() as i64)
}

/// Done tasks' cycle times (days, sorted) by similarity group.
#[derive(Debug, Default)]
pub struct History {
    groups: HashMap<String, Vec<f64>>,
}

fn step_key(t: &Facts) -> Option<String> {
    t.step.as_ref().map(|s| format!("step:{s}"))
}

impl History {
    /// Learns from every done task of `tasks`.
    pub fn learn<'a>(tasks: impl IntoIterator<Item = &'a Facts>) -> Self {
        let mut groups: HashMap<String, Vec<f64>> = HashMap::new();
        for t in tasks {
            let Some(done) = t.completed_at else {
                continue;
            };
            let cycle = days(done - t.created_at).max(0.0);
            let mut keys = vec!["all".to_string()];
            keys.extend(step_key(t));
            keys.extend(t.labels.iter().map(|l| format!("label:{l}")));
            keys.extend(
                t.assignees
                    .iter()
                    .map(|a| format!("person:{}", a.to_lowercase())),
            );
            for k in keys {
                groups.entry(k).or_default().push(cycle);
            }
        }
        for v in groups.values_mut() {
            v.sort_by(f64::total_cmp);
        }
        Self { groups }
    }

    fn group(&self, key: &str) -> &[f64] {
        self.groups.get(key).map_or(&[], Vec::as_slice)
    }

    /// The group an open task is judged by, and its words.
    fn basis(&self, t: &Facts) -> Option<(String, &[f64])> {
        let enough = |xs: &[f64]| xs.len() >= MIN_HISTORY;
        if let Some(k) = step_key(t)
            && enough(self.group(&k))
            && let Some(template) = t.template_name()
        {
            return Some((
                format!("the same step of past {template} runs"),
                self.group(&k),
            ));
        }
        if let Some(l) = t.labels.iter().max_by_key(|l| {
            (
                self.group(&format!("label:{l}")).len(),
                std::cmp::Reverse(*l),
            )
        }) && enough(self.group(&format!("label:{l}")))
        {
            return Some((
                format!("tasks labelled #{l}"),
                self.group(&format!("label:{l}")),
            ));
        }
        if let Some(a) = t.assignees.first()
            && enough(self.group(&format!("person:{}", a.to_lowercase())))
        {
            return Some((
                format!("{a}'s tasks"),
                self.group(&format!("person:{}", a.to_lowercase())),
            ));
        }
        let all = self.group("all");
        enough(all).then(|| ("the team's tasks".to_string(), all))
    }

    /// The predicted completion of open task `t` at `now`.
    pub fn predict(&self, t: &Facts, now: DateTime<Utc>) -> Prediction {
        let deadline = t.deadline;
        let mut p = Prediction {
            task: t.id.clone(),
            title: t.title.clone(),
            deadline,
            predicted: None,
            low: None,
            high: None,
            basis: String::new(),
            samples: 0,
            at_risk: false,
            reason: String::new(),
        };
        let Some((basis, xs)) = self.basis(t) else {
            p.reason = format!(
                "too little history to predict: {} done task(s), {MIN_HISTORY} needed",
                self.group("all").len()
            );
            return p;
        };
        let age = days(now - t.created_at).max(0.0);
        // Only tasks that were still open at this age say how long this
        // one will take.
        let from = xs.partition_point(|c| *c < age);
        let alive = &xs[from..];
        let sample = if alive.len() >= MIN_HISTORY {
            alive
        } else {
            xs
        };
        let at = |q: f64| after(t.created_at, quantile(sample, q)).max(now);
        let (low, mid, high) = (at(0.1), at(0.5), at(0.9));
        p.predicted = Some(mid);
        p.low = Some(low);
        p.high = Some(high);
        p.samples = xs.len();
        p.basis = basis.clone();
        let median = quantile(xs, 0.5);
        let took = format!("{basis} took {} (median of {})", span(median), xs.len());
        match deadline {
            Some(d) if mid > d => {
                p.at_risk = true;
                let when = if d <= now {
                    format!("overdue by {}", span(days(now - d)))
                } else {
                    format!("due in {}", span(days(d - now)))
                };
                let open = if age >= 1.0 {
                    format!("; it has been open {}", span(age))
                } else {
                    String::new()
                };
                p.reason = format!("{took}{open}; {when}, predicted {}", mid.format("%b %-d"));
            }
            Some(_) => p.reason = format!("{took}; predicted in time"),
            None => p.reason = format!("{took}; no due date"),
        }
        p
    }
}

/// "6 days", "1 day", "5 hours".
fn span(days: f64) -> String {
    if days < 1.0 {
        let h = (days * 24.0).round().max(0.0) as i64;
        return format!("{h} hour{}", if h == 1 { "" } else { "s" });
    }
    let d = days.round() as i64;
    format!("{d} day{}", if d == 1 { "" } else { "s" })
}

/// The Monday starting the week of `at` in `tz`.
fn week_of(at: DateTime<Utc>, tz: &Tz) -> NaiveDate {
    let date = at.with_timezone(tz).date_naive();
    date - Days::new(u64::from(date.weekday().num_days_from_monday()))
}

/// Insight into `tasks` (a board's, or every board's; deleted ones left
/// out) over the last `weeks` weeks at `now`.
pub fn insights(tasks: &[Facts], now: DateTime<Utc>, tz: &Tz, weeks: u32) -> Insights {
    let live: Vec<&Facts> = tasks.iter().collect();
    let history = History::learn(live.iter().copied());
    let weeks = weeks.clamp(1, 520);
    let this_week = week_of(now, tz);
    let starts: Vec<NaiveDate> = (0..weeks)
        .rev()
        .map(|i| this_week - Days::new(7 * u64::from(i)))
        .collect();
    let first = starts[0];
    let mut done_per: BTreeMap<NaiveDate, usize> = starts.iter().map(|w| (*w, 0)).collect();
    let mut overdue_per: BTreeMap<NaiveDate, usize> = done_per.clone();
    // Deadline passes and completions, as events over time, to count the
    // overdue tasks at each week's end in one pass.
    let mut marks: Vec<(DateTime<Utc>, i64)> = Vec::new();
    for t in &live {
        if let Some(done) = t.completed_at {
            let w = week_of(done, tz);
            if w >= first
                && let Some(c) = done_per.get_mut(&w)
            {
                *c += 1;
            }
        }
        if t.archived {
            continue;
        }
        if let Some(deadline) = t.deadline {
            let end = t.completed_at;
            if end.is_none_or(|e| e > deadline) {
                marks.push((deadline, 1));
                if let Some(e) = end {
                    marks.push((e, -1));
                }
            }
        }
    }
    marks.sort();
    let mut overdue = 0i64;
    let mut next = marks.iter().peekable();
    for w in &starts {
        let end = local_day_start(tz, *w + Days::new(7)).min(now);
        while let Some((at, delta)) = next.peek() {
            if *at > end {
                break;
            }
            overdue += delta;
            next.next();
        }
        overdue_per.insert(*w, usize::try_from(overdue.max(0)).unwrap_or(0));
    }

    let since = local_day_start(tz, first);
    let mut labels: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for t in &live {
        let Some(done) = t.completed_at.filter(|d| *d >= since) else {
            continue;
        };
        let cycle = days(done - t.created_at).max(0.0);
        labels.entry("*".into()).or_default().push(cycle);
        for l in &t.labels {
            labels.entry(l.clone()).or_default().push(cycle);
        }
    }
    let mut cycle_times: Vec<CycleTime> = labels
        .into_iter()
        .map(|(label, mut xs)| {
            xs.sort_by(f64::total_cmp);
            CycleTime {
                label,
                done: xs.len(),
                p50_days: quantile(&xs, 0.5),
                p90_days: quantile(&xs, 0.9),
            }
        })
        .collect();
    cycle_times.sort_by(|a, b| b.done.cmp(&a.done).then(a.label.cmp(&b.label)));

    let open: Vec<&Facts> = live
        .iter()
        .copied()
        .filter(|t| !t.is_done() && !t.archived)
        .collect();
    let predictions: HashMap<&TaskId, Prediction> = open
        .iter()
        .map(|t| (&t.id, history.predict(t, now)))
        .collect();
    let horizon = now + Duration::days(LOAD_DAYS);
    let mut load: BTreeMap<String, Workload> = BTreeMap::new();
    for t in &open {
        let people: Vec<String> = if t.assignees.is_empty() {
            vec![String::new()]
        } else {
            t.assignees.iter().map(|a| a.to_lowercase()).collect()
        };
        let deadline = t.deadline;
        for person in people {
            let w = load.entry(person.clone()).or_insert(Workload {
                person,
                open: 0,
                due_soon: 0,
                overdue: 0,
                at_risk: 0,
            });
            w.open += 1;
            if deadline.is_some_and(|d| d <= horizon) {
                w.due_soon += 1;
            }
            if deadline.is_some_and(|d| d <= now) {
                w.overdue += 1;
            }
            if predictions.get(&t.id).is_some_and(|p| p.at_risk) {
                w.at_risk += 1;
            }
        }
    }
    let workload: Vec<Workload> = load.into_values().collect();
    let suggestions = suggest(&workload, &open);
    let mut at_risk: Vec<Prediction> = predictions.into_values().filter(|p| p.at_risk).collect();
    at_risk.sort_by(|a, b| {
        let late = |p: &Prediction| match (p.predicted, p.deadline) {
            (Some(m), Some(d)) => (m - d).num_seconds(),
            _ => 0,
        };
        late(b).cmp(&late(a)).then(a.task.cmp(&b.task))
    });
    Insights {
        completed_per_week: done_per
            .into_iter()
            .map(|(week, count)| WeekCount { week, count })
            .collect(),
        overdue_per_week: overdue_per
            .into_iter()
            .map(|(week, count)| WeekCount { week, count })
            .collect(),
        cycle_times,
        workload,
        at_risk,
        suggestions,
    }
}

/// Reassignments from whoever is far above the median load to whoever
/// has the least.
fn suggest(workload: &[Workload], open: &[&Facts]) -> Vec<Suggestion> {
    let people: Vec<&Workload> = workload.iter().filter(|w| !w.person.is_empty()).collect();
    if people.len() < 2 {
        return vec![];
    }
    let mut loads: Vec<f64> = people.iter().map(|w| w.due_soon as f64).collect();
    loads.sort_by(f64::total_cmp);
    let median = quantile(&loads, 0.5);
    let Some(lightest) = people.iter().min_by_key(|w| (w.due_soon, w.open)) else {
        return vec![];
    };
    let mut out = Vec::new();
    let mut moved: HashSet<&TaskId> = HashSet::new();
    for heavy in &people {
        let l = heavy.due_soon as f64;
        if heavy.person == lightest.person
            || l < 2.0 * median.max(1.0)
            || l < median + LOAD_GAP as f64
        {
            continue;
        }
        let candidate = open
            .iter()
            .filter(|t| {
                t.assignees
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(&heavy.person))
            })
            .filter(|t| t.deadline.is_some() && !moved.contains(&t.id))
            .max_by_key(|t| (t.deadline, &t.id));
        if let Some(t) = candidate {
            moved.insert(&t.id);
            out.push(Suggestion {
                task: t.id.clone(),
                title: t.title.clone(),
                from: heavy.person.clone(),
                to: lightest.person.clone(),
                reason: format!(
                    "{} has {} task(s) due within {LOAD_DAYS} days (the team's median is {}); {} has {}",
                    heavy.person, heavy.due_soon, median, lightest.person, lightest.due_soon
                ),
            });
        }
    }
    out
}

/// The ids of open tasks predicted to miss their deadline (for focus).
pub fn at_risk_ids(tasks: &[Facts], now: DateTime<Utc>) -> HashSet<TaskId> {
    let history = History::learn(tasks.iter());
    tasks
        .iter()
        .filter(|t| !t.is_done() && !t.archived && t.deadline.is_some())
        .filter(|t| history.predict(t, now).at_risk)
        .map(|t| t.id.clone())
        .collect()
}

#[cfg(test)]
mod tests;
