//! `porchlight template …`: the shipped transaction templates, shown with
//! their dates for an anchor, and applied to a board.

use std::path::Path;

use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate};
use porchlight_store::Profile;
use porchlight_store::model::Priority;
use porchlight_store::quickadd::parse_due;
use porchlight_store::template::{Offset, Step, Template, us_federal};
use serde_json::json;

use super::print_json;
use crate::UsageError;
use crate::args::{OnOff, TemplateCmd};

/// A step as typed: "OFFSET | TITLE #label @person !priority".
fn step(text: &str, anchor: &str) -> Result<Step> {
    let Some((offset, rest)) = text.split_once('|') else {
        return Err(UsageError(format!(
            "step '{text}' needs an offset and a title: \"closing - 10 days | Order the appraisal #lender\""
        ))
        .into());
    };
    let offset = Offset::parse(offset.trim(), Some(anchor))?;
    let mut title = Vec::new();
    let mut step = Step {
        title: String::new(),
        offset,
        assignee: None,
        labels: vec![],
        checklist: vec![],
        priority: Priority::None,
    };
    for word in rest.split_whitespace() {
        if let Some(l) = word.strip_prefix('#').filter(|l| !l.is_empty()) {
            step.labels.push(l.to_string());
        } else if let Some(a) = word.strip_prefix('@').filter(|a| !a.is_empty()) {
            step.assignee = Some(a.to_string());
        } else if let Some(p) = word.strip_prefix('!').and_then(|p| p.parse().ok()) {
            step.priority = p;
        } else {
            title.push(word);
        }
    }
    step.title = title.join(" ");
    Ok(step)
}

fn read_template(path: &std::path::Path) -> Result<Template> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        UsageError(format!(
            "{} is not a template ({e}); `porchlight template export NAME` shows the form",
            path.display()
        ))
        .into()
    })
}

fn date(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| UsageError(format!("'{text}' is not a date like 2027-01-08")).into())
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

pub fn run(data_dir: &Path, profile: &mut Profile, cmd: TemplateCmd, json: bool) -> Result<()> {
    match cmd {
        TemplateCmd::List => {
            let all = profile.templates()?;
            if json {
                return print_json(&all);
            }
            let rows: Vec<Vec<String>> = all
                .iter()
                .map(|e| {
                    vec![
                        e.template.name.clone(),
                        e.template.anchor.clone(),
                        e.template.steps.len().to_string(),
                        if e.by.is_empty() {
                            "shipped".into()
                        } else {
                            e.by.clone()
                        },
                    ]
                })
                .collect();
            crate::output::table(&["TEMPLATE", "ANCHOR", "STEPS", "SAVED BY"], &rows);
            Ok(())
        }
        TemplateCmd::New {
            name,
            anchor,
            steps,
            copy,
            file,
        } => {
            let mut t = match (&file, &copy) {
                (Some(f), _) => read_template(f)?,
                (None, Some(c)) => profile.template(c)?.template,
                (None, None) => Template {
                    name: name.clone(),
                    anchor: anchor.clone(),
                    steps: vec![],
                },
            };
            t.name = name;
            if file.is_none() && copy.is_none() {
                t.anchor = anchor;
            }
            for s in &steps {
                t.steps.push(step(s, &t.anchor)?);
            }
            let saved = profile.save_template(t, None)?;
            if json {
                return print_json(&saved);
            }
            println!(
                "Saved the template '{}' ({} steps from the {} date).",
                saved.template.name,
                saved.template.steps.len(),
                saved.template.anchor
            );
            Ok(())
        }
        TemplateCmd::Edit {
            template,
            rename,
            anchor,
            add,
            remove,
            file,
        } => {
            let entry = profile.template(&template)?;
            let mut t = match &file {
                Some(f) => read_template(f)?,
                None => entry.template.clone(),
            };
            if let Some(n) = rename {
                t.name = n;
            }
            if let Some(a) = anchor {
                t.anchor = a;
            }
            let mut remove = remove;
            remove.sort_unstable();
            for n in remove.into_iter().rev() {
                if n == 0 || n > t.steps.len() {
                    return Err(UsageError(format!(
                        "--remove-step {n}: the template has steps 1 to {}",
                        t.steps.len()
                    ))
                    .into());
                }
                t.steps.remove(n - 1);
            }
            for s in &add {
                t.steps.push(step(s, &t.anchor)?);
            }
            let saved = profile.save_template(t, Some(&entry.template.name))?;
            if json {
                return print_json(&saved);
            }
            println!(
                "Saved the template '{}' ({} steps).",
                saved.template.name,
                saved.template.steps.len()
            );
            Ok(())
        }
        TemplateCmd::Delete { template } => {
            let gone = profile.delete_template(&template)?;
            if json {
                return print_json(&gone);
            }
            println!(
                "Deleted the template '{}'; tasks made from it stay.",
                gone.name
            );
            Ok(())
        }
        TemplateCmd::Export { template } => print_json(&profile.template(&template)?.template),
        TemplateCmd::Holidays {
            add,
            remove,
            federal,
        } => {
            let mut h = profile.holidays()?;
            let changed = !add.is_empty() || !remove.is_empty() || federal.is_some();
            for d in &add {
                let d = date(d)?;
                h.removed.remove(&d);
                h.extra.insert(d);
            }
            for d in &remove {
                let d = date(d)?;
                h.extra.remove(&d);
                h.removed.insert(d);
            }
            if let Some(f) = federal {
                h.us_federal = f == OnOff::On;
            }
            if changed {
                profile.set_holidays(&h)?;
            }
            let year = profile.now().with_timezone(profile.tz()).year();
            let mut days: Vec<NaiveDate> = (year..=year + 1)
                .flat_map(us_federal)
                .filter(|_| h.us_federal)
                .chain(h.extra.iter().copied())
                .filter(|d| h.contains(*d) && (d.year() == year || d.year() == year + 1))
                .collect();
            days.sort();
            days.dedup();
            if json {
                return print_json(&json!({ "holidays": h, "days": days }));
            }
            println!(
                "Business days skip weekends and these days ({}US federal holidays{}):",
                if h.us_federal { "" } else { "no " },
                if h.extra.is_empty() && h.removed.is_empty() {
                    ""
                } else {
                    ", with your changes"
                }
            );
            for d in days {
                println!("  {}", d.format("%a %Y-%m-%d"));
            }
            Ok(())
        }
        TemplateCmd::Share { team } => {
            let creds = porchlight_client::load_credentials(data_dir)?;
            let team_id =
                super::remote::runtime()?.block_on(super::remote::team_id(&creds, &team))?;
            let doc = profile.share_templates(team_id)?;
            if json {
                return print_json(&json!({ "document": doc, "team": team_id }));
            }
            println!(
                "Your templates are shared with team {team}; `porchlight sync` sends them to every member."
            );
            Ok(())
        }
        TemplateCmd::Show { template, anchor } => {
            let t = profile.template(&template)?.template;
            let plan = match &anchor {
                Some(a) => {
                    let hol = profile.holidays()?;
                    Some(t.plan(anchor_date(profile, a)?, profile.tz_name(), &hol)?)
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
                    let mut row = vec![
                        (i + 1).to_string(),
                        s.title.clone(),
                        s.offset.describe(&t.anchor),
                    ];
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
                crate::output::table(&["#", "STEP", "WHEN", "DUE", "LABELS"], &rows);
            } else {
                crate::output::table(&["#", "STEP", "WHEN", "LABELS"], &rows);
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
            let t = profile.template(&template)?.template;
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
