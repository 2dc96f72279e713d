//! `porchlight board …` and `porchlight column …`.

use std::path::Path;

use anyhow::{Context, Result};
use porchlight_store::{Profile, TaskQuery};

use super::print_json;
use crate::UsageError;
use crate::args::board::*;
use crate::output;

pub fn run(dir: &Path, profile: &mut Profile, cmd: BoardCmd, json: bool) -> Result<()> {
    match cmd {
        BoardCmd::New(args) => new(profile, args, json),
        BoardCmd::List => list(profile, json),
        BoardCmd::Show(args) => show(profile, args, json),
        BoardCmd::Rename(args) => rename(profile, args),
        BoardCmd::Delete(args) => delete(profile, args),
        BoardCmd::Export(args) => export(profile, args),
        BoardCmd::Share(args) => share(dir, profile, args),
        BoardCmd::Import(args) => import(profile, args, json),
    }
}

fn new(profile: &mut Profile, args: NewArgs, json: bool) -> Result<()> {
    let NewArgs { name, columns } = args;
    let board = profile.boards_mut().create(&name, &columns)?;
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
    Ok(())
}

fn list(profile: &mut Profile, json: bool) -> Result<()> {
    let boards = profile.boards().list()?;
    if json {
        return print_json(&boards);
    }
    let rows: Vec<Vec<String>> = boards
        .iter()
        .map(|b| vec![b.name.clone(), b.open_tasks.to_string(), b.id.to_string()])
        .collect();
    output::table(&["BOARD", "OPEN", "ID"], &rows);
    Ok(())
}

fn show(profile: &mut Profile, args: ShowArgs, json: bool) -> Result<()> {
    let ShowArgs { board } = args;
    let b = profile.boards().get(&board)?;
    let tasks = profile.tasks().list(&TaskQuery {
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
    Ok(())
}

fn rename(profile: &mut Profile, args: RenameArgs) -> Result<()> {
    let RenameArgs { board, name } = args;
    let b = profile.boards_mut().rename(&board, &name)?;
    println!("Renamed to '{}'.", b.name);
    Ok(())
}

fn delete(profile: &mut Profile, args: DeleteArgs) -> Result<()> {
    let DeleteArgs { board } = args;
    profile.boards_mut().delete(&board)?;
    println!("Deleted board '{board}'.");
    Ok(())
}

fn export(profile: &mut Profile, args: ExportArgs) -> Result<()> {
    let ExportArgs { board, output } = args;
    let bytes = profile.boards_mut().export(&board)?;
    std::fs::write(&output, &bytes)
        .with_context(|| format!("cannot write {}", output.display()))?;
    println!("Wrote {} ({} bytes).", output.display(), bytes.len());
    Ok(())
}

/// Sharing needs the relay sign-in kept in the profile directory.
fn share(dir: &Path, profile: &mut Profile, args: ShareArgs) -> Result<()> {
    super::remote::share(dir, profile, &args.board, &args.team)
}

fn import(profile: &mut Profile, args: ImportArgs, json: bool) -> Result<()> {
    let ImportArgs { file } = args;
    let bytes = std::fs::read(&file)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
    let report = profile
        .boards_mut()
        .import(&bytes, &file.display().to_string())?;
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
    Ok(())
}

pub fn run_column(profile: &mut Profile, cmd: ColumnCmd, json: bool) -> Result<()> {
    match cmd {
        ColumnCmd::Add(args) => add_column(profile, args, json),
        ColumnCmd::Rename(args) => rename_column(profile, args),
        ColumnCmd::Move(args) => move_column(profile, args),
        ColumnCmd::Delete(args) => delete_column(profile, args),
    }
}

fn add_column(profile: &mut Profile, args: ColumnAddArgs, json: bool) -> Result<()> {
    let ColumnAddArgs { board, name } = args;
    let c = profile.boards_mut().add_column(&board, &name)?;
    if json {
        return print_json(&c);
    }
    println!("Added column '{}'.", c.name);
    Ok(())
}

fn rename_column(profile: &mut Profile, args: ColumnRenameArgs) -> Result<()> {
    let ColumnRenameArgs {
        board,
        column,
        name,
    } = args;
    let c = profile.boards_mut().rename_column(&board, &column, &name)?;
    println!("Renamed column to '{}'.", c.name);
    Ok(())
}

fn move_column(profile: &mut Profile, args: ColumnMoveArgs) -> Result<()> {
    let ColumnMoveArgs {
        board,
        column,
        position,
    } = args;
    if position == 0 {
        return Err(UsageError("positions start at 1".into()).into());
    }
    let b = profile
        .boards_mut()
        .move_column(&board, &column, position - 1)?;
    let names: Vec<&str> = b.columns.iter().map(|c| c.name.as_str()).collect();
    println!("Columns: {}.", names.join(", "));
    Ok(())
}

fn delete_column(profile: &mut Profile, args: ColumnDeleteArgs) -> Result<()> {
    let ColumnDeleteArgs {
        board,
        column,
        move_to,
    } = args;
    profile
        .boards_mut()
        .delete_column(&board, &column, move_to.as_deref())?;
    println!("Deleted column '{column}'.");
    Ok(())
}
