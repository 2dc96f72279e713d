//! `porchlight task …`.

use anyhow::Result;
use porchlight_store::model::Task;
use porchlight_store::profile::{NewTask, TaskChanges};
use porchlight_store::quickadd::{parse_due, parse_recurrence};
use porchlight_store::{CoreError, DueFilter, Profile, TaskQuery};

use super::{column_names, print_json};
use crate::UsageError;
use crate::args::task::*;
use crate::output;

/// Name of the board made for people who have not created one.
const INBOX: &str = "Inbox";

/// The board `task add` writes to: the one named, the only one, or the Inbox
/// (created on first use).
fn target_board(profile: &mut Profile, board: Option<String>) -> Result<String> {
    if let Some(b) = board {
        return Ok(b);
    }
    let boards = profile.boards().list()?;
    match boards.as_slice() {
        [] => Ok(profile.boards_mut().create(INBOX, &[])?.id.to_string()),
        [one] => Ok(one.id.to_string()),
        many => match many.iter().find(|b| b.name == INBOX) {
            Some(inbox) => Ok(inbox.id.to_string()),
            None => Err(UsageError(format!(
                "there are {} boards; say which with --board (e.g. --board \"{}\")",
                many.len(),
                many[0].name
            ))
            .into()),
        },
    }
}

pub fn print_tasks(profile: &Profile, tasks: &[Task], json: bool) -> Result<()> {
    if json {
        return print_json(&tasks);
    }
    if tasks.is_empty() {
        println!("No tasks.");
        return Ok(());
    }
    let names = column_names(profile)?;
    let rows: Vec<Vec<String>> = tasks
        .iter()
        .map(|t| {
            output::task_row(
                t,
                names
                    .get(&(t.board, t.column.clone()))
                    .map_or("", String::as_str),
            )
        })
        .collect();
    output::table(&output::TASK_HEADER, &rows);
    Ok(())
}

fn show(profile: &Profile, task: &Task, json: bool) -> Result<()> {
    if json {
        return print_json(task);
    }
    let names = column_names(profile)?;
    output::task_detail(
        task,
        names
            .get(&(task.board, task.column.clone()))
            .map_or("", String::as_str),
    );
    Ok(())
}

fn list(profile: &Profile, args: ListArgs, json: bool) -> Result<()> {
    let board = args
        .board
        .as_deref()
        .map(|b| profile.boards().resolve(b))
        .transpose()?;
    let column = match (&args.column, &args.board) {
        (Some(c), Some(b)) => {
            let board = profile.boards().get(b)?;
            let col = board.column(c).ok_or_else(|| CoreError::UnknownColumn {
                board: board.name.clone(),
                column: c.clone(),
                known: board.column_names(),
            })?;
            Some(col.id.clone())
        }
        (Some(_), None) => return Err(UsageError("--column needs --board".into()).into()),
        _ => None,
    };
    let query = TaskQuery {
        board,
        column,
        due: args.due.as_deref().map(DueFilter::parse).transpose()?,
        assignee: args.assignee,
        label: args.label,
        listing: args.listing,
        search: args.search,
        include_done: args.all,
        include_archived: args.archived,
        limit: args.limit,
    };
    print_tasks(profile, &profile.tasks().list(&query)?, json)
}

/// `Some(None)` for "none", `Some(Some(x))` for a value.
fn clearable<T>(
    text: Option<&str>,
    parse: impl Fn(&str) -> Result<T, porchlight_store::ModelError>,
) -> Result<Option<Option<T>>> {
    match text {
        None => Ok(None),
        Some(t) if t.trim().eq_ignore_ascii_case("none") => Ok(Some(None)),
        Some(t) => Ok(Some(Some(parse(t)?))),
    }
}

fn edit(profile: &mut Profile, args: EditArgs, json: bool) -> Result<()> {
    let (now, tz) = (profile.now(), profile.tz_name().to_string());
    let changes = TaskChanges {
        title: args.title,
        description: args.description,
        due: clearable(args.due.as_deref(), |t| parse_due(t, now, &tz))?,
        reminder: clearable(args.reminder.as_deref(), |t| {
            parse_due(t, now, &tz).map(|d| d.at)
        })?,
        priority: args.priority.as_deref().map(str::parse).transpose()?,
        recurrence: clearable(args.repeat.as_deref(), |t| parse_recurrence(t, now, &tz))?,
        add_labels: args.add_labels,
        remove_labels: args.remove_labels,
        add_assignees: args.add_assignees,
        remove_assignees: args.remove_assignees,
        add_listings: args.add_listings,
        remove_listings: args.remove_listings,
    };
    let task = profile.tasks_mut().edit(&args.task, &changes)?;
    show(profile, &task, json)
}

fn add_one(profile: &mut Profile, board: &str, text: &str, column: Option<String>) -> Result<Task> {
    if column.is_none() {
        return Ok(profile.tasks_mut().quick_add(board, text)?.0);
    }
    let parsed = porchlight_store::quickadd::parse(text, profile.now(), profile.tz_name())?;
    let new = NewTask {
        column,
        ..parsed.to_new_task()?
    };
    Ok(profile.tasks_mut().add(board, new)?)
}

/// Bulk add: one task per line. Each id is printed (and flushed) only after
/// its task is committed, so a script can trust every id it has read.
fn add_lines(profile: &mut Profile, board: &str, column: Option<String>, json: bool) -> Result<()> {
    use std::io::{BufRead, Write};
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    let mut failed = 0usize;
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match add_one(profile, board, &line, column.clone()) {
            Ok(task) if json => writeln!(out, "{}", serde_json::to_string(&task)?)?,
            Ok(task) => writeln!(out, "{}", task.id)?,
            Err(e) => {
                failed += 1;
                eprintln!("line {}: {e:#}", n + 1);
            }
        }
        out.flush()?;
    }
    if failed > 0 {
        return Err(UsageError(format!(
            "{failed} line(s) were not added; see the messages above"
        ))
        .into());
    }
    Ok(())
}

/// `task add`: one task from the quick-add text, or one per line of
/// standard input with `--stdin`.
fn add(profile: &mut Profile, args: AddArgs, json: bool) -> Result<()> {
    let AddArgs {
        text,
        stdin,
        board,
        column,
    } = args;
    let board = target_board(profile, board)?;
    if stdin {
        return add_lines(profile, &board, column, json);
    }
    let task = add_one(profile, &board, &text.unwrap_or_default(), column)?;
    if json {
        return print_json(&task);
    }
    let due = task
        .due
        .as_ref()
        .map(|d| format!(", due {}", d.display()))
        .unwrap_or_default();
    println!("Added {} '{}'{due}.", output::short_id(&task), task.title);
    Ok(())
}

pub fn run(profile: &mut Profile, cmd: TaskCmd, json: bool) -> Result<()> {
    match cmd {
        TaskCmd::Add(args) => add(profile, args, json),
        TaskCmd::List(args) => list(profile, args, json),
        TaskCmd::Show(args) => show_task(profile, args, json),
        TaskCmd::Edit(args) => edit(profile, args, json),
        TaskCmd::Move(args) => move_task(profile, args, json),
        TaskCmd::Done(args) => done(profile, args, json),
        TaskCmd::Reopen(args) => reopen(profile, args, json),
        TaskCmd::Archive(args) => archive(profile, args, json),
        TaskCmd::Delete(args) => delete(profile, args),
        TaskCmd::Check(args) => check(profile, args, json),
        TaskCmd::Comment(args) => comment(profile, args, json),
        TaskCmd::History(args) => history(profile, args, json),
        TaskCmd::Restore(args) => restore(profile, args, json),
        TaskCmd::Watch(args) => watch(profile, args, json),
    }
}

fn watch(profile: &mut Profile, args: WatchArgs, json: bool) -> Result<()> {
    let t = profile.tasks_mut().watch(&args.task, !args.off)?;
    if json {
        return print_json(&t);
    }
    let watchers: Vec<String> = t.watchers().into_iter().collect();
    let doing = if args.off {
        "No longer watching"
    } else {
        "Watching"
    };
    println!(
        "{doing} {} '{}'. Watchers: {}.",
        output::short_id(&t),
        t.title,
        if watchers.is_empty() {
            "nobody".to_string()
        } else {
            watchers.join(", ")
        }
    );
    Ok(())
}

fn show_task(profile: &mut Profile, args: ShowArgs, json: bool) -> Result<()> {
    let ShowArgs { task } = args;
    let t = profile.tasks().get(&task)?;
    show(profile, &t, json)?;
    if !json && !t.is_done() && !t.archived {
        let p = profile.tasks().predict(t.id.as_str())?;
        let tz = profile.tz();
        let day = |d: Option<chrono::DateTime<chrono::Utc>>| {
            d.map(|d| d.with_timezone(tz).format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        };
        match p.predicted {
            Some(_) => println!(
                "\nPredicted done {} (80%: {} to {}){}: {}.",
                day(p.predicted),
                day(p.low),
                day(p.high),
                if p.at_risk { ", AT RISK" } else { "" },
                p.reason
            ),
            None => println!("\nNo prediction: {}.", p.reason),
        }
    }
    Ok(())
}

fn move_task(profile: &mut Profile, args: MoveArgs, json: bool) -> Result<()> {
    let MoveArgs {
        task,
        column,
        position,
    } = args;
    if position == Some(0) {
        return Err(UsageError("positions start at 1".into()).into());
    }
    let t = profile
        .tasks_mut()
        .move_to(&task, column.as_deref(), position.map(|p| p - 1))?;
    show(profile, &t, json)?;
    Ok(())
}

fn done(profile: &mut Profile, args: DoneArgs, json: bool) -> Result<()> {
    let DoneArgs { task } = args;
    let c = profile.tasks_mut().complete(&task)?;
    if json {
        return print_json(&c);
    }
    println!("Done: {} '{}'.", output::short_id(&c.task), c.task.title);
    if let Some(next) = c.next {
        let due = next.due.as_ref().map(|d| d.display()).unwrap_or_default();
        println!("Next: {} due {due}.", output::short_id(&next));
    }
    Ok(())
}

fn reopen(profile: &mut Profile, args: ReopenArgs, json: bool) -> Result<()> {
    let ReopenArgs { task } = args;
    let t = profile.tasks_mut().reopen(&task)?;
    show(profile, &t, json)?;
    Ok(())
}

fn archive(profile: &mut Profile, args: ArchiveArgs, json: bool) -> Result<()> {
    let ArchiveArgs { task, undo } = args;
    let t = profile.tasks_mut().archive(&task, !undo)?;
    show(profile, &t, json)?;
    Ok(())
}

fn delete(profile: &mut Profile, args: DeleteArgs) -> Result<()> {
    let DeleteArgs { task } = args;
    let id = profile.tasks_mut().delete(&task)?;
    println!("Deleted task {id}.");
    Ok(())
}

fn check(profile: &mut Profile, args: CheckArgs, json: bool) -> Result<()> {
    let CheckArgs {
        task,
        add,
        done,
        undone,
        remove,
    } = args;
    let t = match (add, done, undone, remove) {
        (Some(text), ..) => profile.tasks_mut().add_checklist_item(&task, &text)?,
        (_, Some(item), ..) => profile.tasks_mut().set_checklist_done(&task, &item, true)?,
        (_, _, Some(item), _) => profile
            .tasks_mut()
            .set_checklist_done(&task, &item, false)?,
        (_, _, _, Some(item)) => profile.tasks_mut().remove_checklist_item(&task, &item)?,
        _ => {
            return Err(
                UsageError("say --add TEXT, --done N, --undone N or --remove N".into()).into(),
            );
        }
    };
    show(profile, &t, json)?;
    Ok(())
}

fn comment(profile: &mut Profile, args: CommentArgs, json: bool) -> Result<()> {
    let CommentArgs { task, text } = args;
    let t = profile.tasks_mut().comment(&task, &text)?;
    show(profile, &t, json)?;
    Ok(())
}

fn history(profile: &mut Profile, args: HistoryArgs, json: bool) -> Result<()> {
    let HistoryArgs { task } = args;
    let history = profile.tasks_mut().history(&task)?;
    if json {
        return print_json(&history);
    }
    let rows: Vec<Vec<String>> = history
        .iter()
        .map(|e| {
            vec![
                e.version.chars().take(10).collect(),
                e.at.with_timezone(profile.tz())
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
                e.by.clone(),
                e.op.clone(),
                e.fields.join(", "),
            ]
        })
        .collect();
    output::table(&["VERSION", "WHEN", "WHO", "WHAT", "FIELDS"], &rows);
    Ok(())
}

fn restore(profile: &mut Profile, args: RestoreArgs, json: bool) -> Result<()> {
    let RestoreArgs { task, version } = args;
    let t = profile.tasks_mut().restore(&task, &version)?;
    show(profile, &t, json)?;
    Ok(())
}
