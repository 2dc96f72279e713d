//! `porchlight template …`: the shipped transaction templates, shown with
//! their dates for an anchor, and applied to a board.

use anyhow::Result;
use porchlight_store::Profile;
use porchlight_store::quickadd::parse_due;
use porchlight_store::template::{Holidays, Template, builtin};
use serde_json::json;

use super::print_json;
use crate::UsageError;
use crate::args::TemplateCmd;

/// The template whose name starts with `name` (any case), or a usage error
/// naming the templates.
fn find(name: &str) -> Result<Template> {
    let all = builtin::all();
    let wanted = name.trim().to_lowercase();
    let found: Vec<&Template> = all
        .iter()
        .filter(|t| t.name.to_lowercase().starts_with(&wanted))
        .collect();
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        _ => {
            let names: Vec<&str> = all.iter().map(|t| t.name.as_str()).collect();
            Err(UsageError(format!(
                "{} template '{name}'; the templates are: {}",
                if found.is_empty() {
                    "no"
                } else {
                    "more than one"
                },
                names.join(", ")
            ))
            .into())
        }
    }
}

/// The anchor date as typed ("2027-01-15", "jan 15", "next fri").
fn anchor_date(profile: &Profile, text: &str) -> Result<chrono::NaiveDate> {
    let due = parse_due(text, profile.now(), profile.tz_name()).map_err(|_| {
        UsageError(format!(
            "--anchor '{text}' is not a date; write e.g. 2027-01-15, 'jan 15' or 'next fri'"
        ))
    })?;
    Ok(due.at.with_timezone(profile.tz()).date_naive())
}

pub fn run(profile: &mut Profile, cmd: TemplateCmd, json: bool) -> Result<()> {
    match cmd {
        TemplateCmd::List => {
            let all = builtin::all();
            if json {
                return print_json(&all);
            }
            let rows: Vec<Vec<String>> = all
                .iter()
                .map(|t| vec![t.name.clone(), t.anchor.clone(), t.steps.len().to_string()])
                .collect();
            crate::output::table(&["TEMPLATE", "ANCHOR", "STEPS"], &rows);
            Ok(())
        }
        TemplateCmd::Show { template, anchor } => {
            let t = find(&template)?;
            let plan = match &anchor {
                Some(a) => {
                    Some(t.plan(anchor_date(profile, a)?, profile.tz_name(), &Holidays::us())?)
                }
                None => None,
            };
            if json {
                return print_json(&json!({ "template": t, "plan": plan }));
            }
            println!("{} (anchor: {} date)", t.name, t.anchor);
            let rows: Vec<Vec<String>> = t
                .steps
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let mut row = vec![s.title.clone(), s.offset.describe(&t.anchor)];
                    if let Some(p) = &plan {
                        row.push(p[i].due.display());
                    }
                    row.push(
                        s.labels
                            .iter()
                            .map(|l| format!("#{l}"))
                            .collect::<Vec<_>>()
                            .join(" "),
                    );
                    row
                })
                .collect();
            if plan.is_some() {
                crate::output::table(&["STEP", "WHEN", "DUE", "LABELS"], &rows);
            } else {
                crate::output::table(&["STEP", "WHEN", "LABELS"], &rows);
            }
            Ok(())
        }
        TemplateCmd::Apply {
            template,
            board,
            anchor,
            name,
            no_holidays,
        } => {
            let t = find(&template)?;
            let anchor = anchor_date(profile, &anchor)?;
            let made = profile.tasks_mut().apply_template(
                &board,
                &t,
                anchor,
                name.as_deref(),
                !no_holidays,
            )?;
            if json {
                return print_json(&made);
            }
            let dues = made
                .iter()
                .filter_map(|t| t.due.as_ref().map(|d| d.display()));
            let first = dues.clone().min().unwrap_or_default();
            let last = dues.max().unwrap_or_default();
            println!(
                "Added {} tasks from '{}' to '{board}', due {first} to {last}.",
                made.len(),
                t.name
            );
            Ok(())
        }
        TemplateCmd::Move { task, anchor } => {
            let anchor = anchor_date(profile, &anchor)?;
            let moved = profile.tasks_mut().move_anchor(&task, anchor)?;
            if json {
                return print_json(&moved);
            }
            println!(
                "Moved {} task(s) to the new date ({anchor}); {} done task(s) stay where they were.",
                moved.moved, moved.done
            );
            Ok(())
        }
    }
}
