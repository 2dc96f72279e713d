//! `porchlight board …` and `porchlight column …`.

use anyhow::{Context, Result};
use porchlight_store::{Profile, TaskQuery};

use super::print_json;
use crate::UsageError;
use crate::args::{BoardCmd, ColumnCmd};
use crate::output;

pub fn run(profile: &mut Profile, cmd: BoardCmd, json: bool) -> Result<()> {
    match cmd {
        BoardCmd::New { name, columns } => {
            let board = profile.create_board(&name, &columns)?;
            if json {
                return print_json(&board);
            }
            let cols: Vec<&str> = board.columns.iter().map(|c| c.name.as_str()).collect();
            println!(
                "Created board '{}' ({}) with columns: {}.",
                board.name,
                board.id,
                cols.join(", ")
            );
        }
        BoardCmd::List => {
            let boards = profile.boards()?;
            if json {
                return print_json(&boards);
            }
            let rows: Vec<Vec<String>> = boards
                .iter()
                .map(|b| vec![b.name.clone(), b.open_tasks.to_string(), b.id.to_string()])
                .collect();
            output::table(&["BOARD", "OPEN", "ID"], &rows);
        }
        BoardCmd::Show { board } => {
            let b = profile.board(&board)?;
            let tasks = profile.list_tasks(&TaskQuery {
                board: Some(b.id),
                ..Default::default()
            })?;
            if json {
                return print_json(&serde_json::json!({ "board": b, "tasks": tasks }));
            }
            println!("{}  ({})", b.name, b.id.url());
            for column in &b.columns {
                let in_column: Vec<_> = tasks.iter().filter(|t| t.column == column.id).collect();
                println!("\n{} ({})", column.name, in_column.len());
                for t in in_column {
                    let due = t
                        .due
                        .as_ref()
                        .map(|d| format!("  due {}", d.display()))
                        .unwrap_or_default();
                    println!(
                        "  {}  {}{due}",
                        output::short_id(t),
                        output::clip(&t.title, 60)
                    );
                }
            }
        }
        BoardCmd::Rename { board, name } => {
            let b = profile.rename_board(&board, &name)?;
            println!("Renamed to '{}'.", b.name);
        }
        BoardCmd::Delete { board } => {
            profile.delete_board(&board)?;
            println!("Deleted board '{board}'.");
        }
        BoardCmd::Export { board, output } => {
            let bytes = profile.export_board(&board)?;
            std::fs::write(&output, &bytes)
                .with_context(|| format!("cannot write {}", output.display()))?;
            println!("Wrote {} ({} bytes).", output.display(), bytes.len());
        }
        BoardCmd::Share { .. } => unreachable!("handled with the relay commands"),
        BoardCmd::Import { file } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
            let report = profile.import_board(&bytes, &file.display().to_string())?;
            if json {
                return print_json(&report);
            }
            if report.added {
                println!(
                    "Added board '{}' ({} changes).",
                    report.name, report.new_changes
                );
            } else {
                println!(
                    "Merged into board '{}': {} new changes.",
                    report.name, report.new_changes
                );
            }
        }
    }
    Ok(())
}

pub fn run_column(profile: &mut Profile, cmd: ColumnCmd, json: bool) -> Result<()> {
    match cmd {
        ColumnCmd::Add { board, name } => {
            let c = profile.add_column(&board, &name)?;
            if json {
                return print_json(&c);
            }
            println!("Added column '{}'.", c.name);
        }
        ColumnCmd::Rename {
            board,
            column,
            name,
        } => {
            let c = profile.rename_column(&board, &column, &name)?;
            println!("Renamed column to '{}'.", c.name);
        }
        ColumnCmd::Move {
            board,
            column,
            position,
        } => {
            if position == 0 {
                return Err(UsageError("positions start at 1".into()).into());
            }
            let b = profile.move_column(&board, &column, position - 1)?;
            let names: Vec<&str> = b.columns.iter().map(|c| c.name.as_str()).collect();
            println!("Columns: {}.", names.join(", "));
        }
        ColumnCmd::Delete {
            board,
            column,
            move_to,
        } => {
            profile.delete_column(&board, &column, move_to.as_deref())?;
            println!("Deleted column '{column}'.");
        }
    }
    Ok(())
}
