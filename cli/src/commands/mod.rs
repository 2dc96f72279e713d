//! One function per command group.

mod account;
mod board;
mod import;
mod inbox;
mod insights;
mod listings;
mod mls;
mod remote;
mod task;
mod template;

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use porchlight_store::ids::{ColumnId, DocumentId};
use porchlight_store::{OpenOptions, Profile};

use crate::UsageError;
use crate::args::{Cli, Command, ExportFormat, FocusArgs, PeopleCmd, SearchArgs};
use crate::output;

/// The profile directory: --data-dir, or the OS data directory.
fn data_dir(cli: &Cli) -> Result<PathBuf> {
    if let Some(dir) = &cli.data_dir {
        return Ok(dir.clone());
    }
    dirs::data_dir()
        .map(|d| d.join("porchlight"))
        .ok_or_else(|| {
            UsageError("cannot find the OS data directory; pass --data-dir".into()).into()
        })
}

fn open_options(cli: &Cli) -> Result<OpenOptions> {
    let now = match &cli.now {
        Some(text) => Some(
            chrono::DateTime::parse_from_rfc3339(text)
                .map_err(|_| {
                    UsageError(format!(
                        "--now '{text}' is not an RFC 3339 instant like 2026-11-22T15:00:00Z"
                    ))
                })?
                .with_timezone(&chrono::Utc),
        ),
        None => None,
    };
    Ok(OpenOptions {
        user: cli.user.clone(),
        tz: cli.tz.clone(),
        now,
    })
}

/// Prints `value` as pretty JSON.
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    println!(
        "{}",
        serde_json::to_string_pretty(value).context("cannot encode JSON")?
    );
    Ok(())
}

/// Column names of every board, for printing tasks.
pub fn column_names(profile: &Profile) -> Result<HashMap<(DocumentId, ColumnId), String>> {
    let mut names = HashMap::new();
    for summary in profile.boards().list()? {
        let board = profile.boards().get(&summary.id.to_string())?;
        for c in board.columns {
            names.insert((board.id, c.id), c.name);
        }
    }
    Ok(names)
}

pub fn run(cli: Cli) -> Result<()> {
    let dir = data_dir(&cli)?;
    let json = cli.json;
    let options = open_options(&cli)?;
    // Opened only by the commands that read or write the profile (the
    // relay's accounts and teams need none).
    let open = || -> Result<Profile> { Ok(Profile::open(&dir, options)?) };
    match cli.command {
        Command::Signup(args) => remote::signup(args, json),
        Command::PasswordReset(args) => remote::password_reset(args, json),
        Command::Login(args) => remote::login(&dir, args, json),
        Command::Logout => remote::logout(&dir),
        Command::Team(cmd) => remote::team(&dir, cmd, json),
        Command::Devices { cmd } => account::devices(&dir, cmd, json),
        Command::Password => account::password(&dir, json),
        Command::Apikey(cmd) => account::apikey(&dir, cmd, json),
        Command::Calendar(cmd) => remote::calendar(&dir, &open()?, cmd, json),
        Command::Webhook(cmd) => remote::webhook(&dir, &open()?, cmd, json),
        Command::Account(cmd) => account::account(&dir, cmd, json),
        Command::Audit { before, limit } => account::relay_audit(&dir, before, limit, json),
        Command::Sync(args) => remote::sync(&dir, &mut open()?, args.watch, json),
        Command::Board(cmd) => board::run(&dir, &mut open()?, cmd, json),
        Command::Column(cmd) => board::run_column(&mut open()?, cmd, json),
        Command::Task(cmd) => task::run(&mut open()?, *cmd, json),
        Command::Search(args) => search(&open()?, args, json),
        Command::Labels => labels(&mut open()?, json),
        Command::People { cmd } => people(&mut open()?, cmd, json),
        Command::Template(cmd) => template::run(&dir, &mut open()?, cmd, json),
        Command::Focus(args) => focus(&open()?, args, json),
        Command::Inbox(args) => inbox::inbox(&mut open()?, args, json),
        Command::Activity(args) => inbox::activity(&mut open()?, args, json),
        Command::Import(cmd) => import::run(&mut open()?, cmd, json),
        Command::Insights(args) => insights::run(&open()?, args, json),
        Command::Reindex => reindex(&mut open()?, json),
        Command::Export(args) => export(&open()?, args.format, args.output),
        Command::Mls(cmd) => mls::run(&dir, &mut open()?, *cmd, json),
        Command::Listings(cmd) => listings::run(&dir, &mut open()?, cmd, json),
        Command::Config => config(&mut open()?),
    }
}

fn search(profile: &Profile, args: SearchArgs, json: bool) -> Result<()> {
    let found = profile.tasks().search(&args.text, args.limit)?;
    task::print_tasks(profile, &found, json)
}

fn labels(profile: &mut Profile, json: bool) -> Result<()> {
    let labels = profile.labels()?;
    if json {
        return print_json(&labels);
    }
    for label in labels {
        println!("#{label}");
    }
    Ok(())
}

fn people(profile: &mut Profile, cmd: Option<PeopleCmd>, json: bool) -> Result<()> {
    if let Some(PeopleCmd::Rename { old, new }) = cmd {
        let done = profile.boards_mut().rename_person(&old, &new)?;
        if json {
            return print_json(&done);
        }
        let boards = if done.boards == 1 { "board" } else { "boards" };
        println!(
            "Renamed @{} to @{} on {} {boards}; it reaches your teammates at their next sync.",
            done.from, done.to, done.boards
        );
        if done.you {
            println!("That is you: this profile's name is now {}.", done.to);
        }
        return Ok(());
    }
    let people = profile.boards().people_with_former_names()?;
    if json {
        return print_json(&people);
    }
    for p in people {
        if p.formerly.is_empty() {
            println!("@{}", p.name);
        } else {
            println!("@{}  (formerly @{})", p.name, p.formerly.join(", @"));
        }
    }
    Ok(())
}

fn focus(profile: &Profile, args: FocusArgs, json: bool) -> Result<()> {
    let tasks = profile.tasks().focus(args.limit)?;
    task::print_tasks(profile, &tasks, json)
}

fn reindex(profile: &mut Profile, json: bool) -> Result<()> {
    let report = profile.reindex()?;
    if json {
        return print_json(&report);
    }
    println!(
        "Rebuilt the index from {} documents: {} boards, {} tasks.",
        report.documents, report.boards, report.tasks
    );
    Ok(())
}

fn config(profile: &mut Profile) -> Result<()> {
    profile.save_settings()?;
    println!(
        "Saved: user {}, time zone {}.",
        profile.user(),
        profile.tz_name()
    );
    Ok(())
}

fn export(profile: &Profile, format: ExportFormat, path: Option<PathBuf>) -> Result<()> {
    let tasks = profile.tasks().list(&porchlight_store::TaskQuery {
        include_done: true,
        include_archived: true,
        ..Default::default()
    })?;
    let text = match format {
        ExportFormat::Json => serde_json::to_string_pretty(&tasks)?,
        ExportFormat::Csv => {
            let columns = column_names(profile)?;
            let boards: HashMap<DocumentId, String> = profile
                .boards()
                .list()?
                .into_iter()
                .map(|b| (b.id, b.name))
                .collect();
            let mut out = String::from(
                "id,board,column,title,description,due,due_tz,priority,labels,assignees,listings,completed_at,archived,created_by,created_at\n",
            );
            for t in &tasks {
                let fields = [
                    t.id.to_string(),
                    boards.get(&t.board).cloned().unwrap_or_default(),
                    columns
                        .get(&(t.board, t.column.clone()))
                        .cloned()
                        .unwrap_or_default(),
                    t.title.clone(),
                    t.description.clone(),
                    t.due
                        .as_ref()
                        .map(|d| d.at.to_rfc3339())
                        .unwrap_or_default(),
                    t.due.as_ref().map(|d| d.tz.clone()).unwrap_or_default(),
                    t.priority.to_string(),
                    t.labels.join(";"),
                    t.assignees.join(";"),
                    t.listings.join(";"),
                    t.completed_at.map(|c| c.to_rfc3339()).unwrap_or_default(),
                    t.archived.to_string(),
                    t.created_by.clone(),
                    t.created_at.to_rfc3339(),
                ];
                let row: Vec<String> = fields.iter().map(|f| output::csv_field(f)).collect();
                out.push_str(&row.join(","));
                out.push('\n');
            }
            out
        }
    };
    match path {
        Some(path) => {
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("Exported {} tasks to {}.", tasks.len(), path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}
