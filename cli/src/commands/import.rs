//! `porchlight import trello|todoist|csv`.

use anyhow::{Context, Result};
use porchlight_store::Profile;
use porchlight_store::profile::{ImportFormat, ImportPlan, Mapping};

use super::print_json;
use crate::UsageError;
use crate::args::{ImportArgs, ImportCmd};
use crate::output;

fn mapping(text: Option<String>) -> Result<Mapping> {
    let Some(text) = text else {
        return Ok(Mapping::default());
    };
    // A file of field=column lines, or the pairs themselves.
    let body = if !text.contains('=') {
        std::fs::read_to_string(&text)
            .with_context(|| format!("cannot read the mapping file {text}"))?
    } else {
        text
    };
    Mapping::parse(&body).map_err(|e| UsageError(format!("--mapping: {e}")).into())
}

fn print_problems(plan: &ImportPlan) {
    for p in &plan.problems {
        println!("  {}: {}", p.at, p.reason);
    }
}

pub fn run(profile: &mut Profile, cmd: ImportCmd, json: bool) -> Result<()> {
    let (format, args) = match cmd {
        ImportCmd::Trello(a) => (ImportFormat::Trello, a),
        ImportCmd::Todoist(a) => (ImportFormat::Todoist, a),
        ImportCmd::Csv { args, mapping: m } => (ImportFormat::Csv(mapping(m)?), args),
    };
    let ImportArgs {
        file,
        name,
        dry_run,
        skip_bad,
    } = args;
    let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "Imported".into());
    let mut plan = profile.plan_import(&format, &bytes, &stem)?;
    if let Some(n) = name {
        plan.name = n;
    }
    if dry_run {
        if json {
            return print_json(&plan);
        }
        println!(
            "Would make the board '{}' with columns {} and {} task(s):",
            plan.name,
            plan.columns.join(", "),
            plan.tasks.len()
        );
        let rows: Vec<Vec<String>> = plan
            .tasks
            .iter()
            .map(|t| {
                vec![
                    t.from.clone(),
                    plan.columns.get(t.column).cloned().unwrap_or_default(),
                    output::clip(&t.title, 40),
                    t.due.as_ref().map(|d| d.display()).unwrap_or_default(),
                    t.labels.join(" "),
                    if t.archived {
                        "archived".into()
                    } else if t.completed_at.is_some() {
                        "done".into()
                    } else {
                        String::new()
                    },
                ]
            })
            .collect();
        output::table(
            &["FROM", "COLUMN", "TITLE", "DUE", "LABELS", "STATUS"],
            &rows,
        );
        if !plan.problems.is_empty() {
            println!("{} row(s) cannot be imported:", plan.problems.len());
            print_problems(&plan);
        }
        return Ok(());
    }
    if !plan.problems.is_empty() {
        let verb = if skip_bad {
            "Skipping"
        } else {
            "Cannot import"
        };
        println!("{verb} {} row(s):", plan.problems.len());
        print_problems(&plan);
    }
    let done = profile.boards_mut().import_plan(&plan, skip_bad)?;
    if json {
        return print_json(&done);
    }
    println!(
        "Made the board '{}' with {} task(s){}.",
        done.board.name,
        done.tasks,
        if done.skipped > 0 {
            format!(" ({} row(s) skipped)", done.skipped)
        } else {
            String::new()
        }
    );
    Ok(())
}
