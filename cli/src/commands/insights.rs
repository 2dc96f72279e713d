//! `porchlight insights`.

use anyhow::Result;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use porchlight_store::Profile;
use porchlight_store::insights::WeekCount;

use super::print_json;
use crate::args::InsightsArgs;
use crate::output;

/// A bar of `count` against `max`, 30 cells at most.
fn bar(count: usize, max: usize) -> String {
    let cells = if max == 0 {
        0
    } else {
        (count * 30).div_ceil(max)
    };
    "█".repeat(cells)
}

fn weeks(title: &str, counts: &[WeekCount]) {
    println!("{title}");
    let max = counts.iter().map(|w| w.count).max().unwrap_or(0);
    for w in counts {
        println!(
            "  {}  {:>4}  {}",
            w.week.format("%b %d"),
            w.count,
            bar(w.count, max)
        );
    }
    println!();
}

fn day(at: Option<DateTime<Utc>>, tz: &Tz) -> String {
    at.map(|a| a.with_timezone(tz).format("%b %d").to_string())
        .unwrap_or_else(|| "—".into())
}

pub fn run(profile: &Profile, args: InsightsArgs, json: bool) -> Result<()> {
    let i = profile
        .tasks()
        .insights(args.board.as_deref(), args.weeks)?;
    if json {
        return print_json(&i);
    }
    let tz = profile.tz();
    weeks(
        "Tasks done per week (weeks start on Monday)",
        &i.completed_per_week,
    );
    weeks("Overdue at the end of each week", &i.overdue_per_week);
    println!("Cycle time, created → done (days), tasks done in these weeks");
    let rows: Vec<Vec<String>> = i
        .cycle_times
        .iter()
        .map(|c| {
            vec![
                if c.label == "*" {
                    "(all)".to_string()
                } else {
                    format!("#{}", c.label)
                },
                c.done.to_string(),
                format!("{:.1}", c.p50_days),
                format!("{:.1}", c.p90_days),
            ]
        })
        .collect();
    if rows.is_empty() {
        println!("  No task was done in these weeks.");
    } else {
        output::table(&["LABEL", "DONE", "MEDIAN", "90%"], &rows);
    }
    println!();
    println!("Open work per person");
    let rows: Vec<Vec<String>> = i
        .workload
        .iter()
        .map(|w| {
            vec![
                if w.person.is_empty() {
                    "(unassigned)".into()
                } else {
                    w.person.clone()
                },
                w.open.to_string(),
                w.due_soon.to_string(),
                w.overdue.to_string(),
                w.at_risk.to_string(),
            ]
        })
        .collect();
    if rows.is_empty() {
        println!("  No open tasks.");
    } else {
        output::table(&["PERSON", "OPEN", "DUE ≤7D", "OVERDUE", "AT RISK"], &rows);
    }
    println!();
    if i.at_risk.is_empty() {
        println!("No open task is predicted to be late.");
    } else {
        println!("At risk: predicted to finish after the deadline");
        let rows: Vec<Vec<String>> = i
            .at_risk
            .iter()
            .map(|p| {
                vec![
                    p.task.as_str().chars().take(8).collect(),
                    output::clip(&p.title, 32),
                    day(p.deadline, tz),
                    format!(
                        "{} ({}–{})",
                        day(p.predicted, tz),
                        day(p.low, tz),
                        day(p.high, tz)
                    ),
                    p.reason.clone(),
                ]
            })
            .collect();
        output::table(&["ID", "TITLE", "DUE", "PREDICTED (80%)", "WHY"], &rows);
    }
    for s in &i.suggestions {
        println!(
            "Suggestion: give “{}” ({}) to {} instead of {}: {}. (`porchlight task edit {} --assign {} --unassign {}`)",
            s.title,
            s.task.as_str().chars().take(8).collect::<String>(),
            s.to,
            s.from,
            s.reason,
            s.task.as_str().chars().take(8).collect::<String>(),
            s.to,
            s.from
        );
    }
    Ok(())
}
