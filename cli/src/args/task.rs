//! `porchlight task …`.

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum TaskCmd {
    /// Add a task from one line: "Call John tomorrow 3pm #followup @maria !high mls:A123".
    Add(AddArgs),
    /// List tasks.
    List(ListArgs),
    /// A task with its checklist, comments and links.
    Show(ShowArgs),
    /// Change fields of a task.
    Edit(EditArgs),
    /// Move a task to another column and/or position (1 = top).
    Move(MoveArgs),
    /// Complete a task (a recurring one gets its next instance).
    Done(DoneArgs),
    /// Mark a completed task as not done.
    Reopen(ReopenArgs),
    /// Hide a task from lists without deleting it (--undo brings it back).
    Archive(ArchiveArgs),
    /// Delete a task (it stays in the document history).
    Delete(DeleteArgs),
    /// Add a checklist item, or tick/untick/remove one by number.
    Check(CheckArgs),
    /// Comment on a task.
    Comment(CommentArgs),
    /// Who changed what and when.
    History(HistoryArgs),
    /// Restore a task to an earlier version (from `task history`).
    Restore(RestoreArgs),
    /// Watch a task: its comments come to your inbox (creators, assignees
    /// and commenters watch already); --off stops.
    Watch(WatchArgs),
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    pub task: String,
    /// Stop watching it.
    #[arg(long)]
    pub off: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The quick-add text (omit with --stdin).
    #[arg(required_unless_present = "stdin")]
    pub text: Option<String>,
    /// Add one task per line of standard input, printing each id as it is saved.
    #[arg(long, conflicts_with = "text")]
    pub stdin: bool,
    /// Board (default: the only board, or the first one).
    #[arg(long, short)]
    pub board: Option<String>,
    #[arg(long)]
    pub column: Option<String>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    pub task: String,
}

#[derive(Debug, Args)]
pub struct MoveArgs {
    pub task: String,
    #[arg(long)]
    pub column: Option<String>,
    #[arg(long)]
    pub position: Option<usize>,
}

#[derive(Debug, Args)]
pub struct DoneArgs {
    pub task: String,
}

#[derive(Debug, Args)]
pub struct ReopenArgs {
    pub task: String,
}

#[derive(Debug, Args)]
pub struct ArchiveArgs {
    pub task: String,
    /// Bring it back instead.
    #[arg(long)]
    pub undo: bool,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    pub task: String,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    pub task: String,
    #[arg(long, conflicts_with_all = ["done", "undone", "remove"])]
    pub add: Option<String>,
    #[arg(long)]
    pub done: Option<String>,
    #[arg(long)]
    pub undone: Option<String>,
    #[arg(long)]
    pub remove: Option<String>,
}

#[derive(Debug, Args)]
pub struct CommentArgs {
    pub task: String,
    pub text: String,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    pub task: String,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    pub task: String,
    pub version: String,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, short)]
    pub board: Option<String>,
    #[arg(long)]
    pub column: Option<String>,
    /// today, tomorrow, overdue, week, none, or a date (YYYY-MM-DD).
    #[arg(long)]
    pub due: Option<String>,
    #[arg(long)]
    pub assignee: Option<String>,
    #[arg(long)]
    pub label: Option<String>,
    /// Tasks linked to this listing (its MLS key).
    #[arg(long)]
    pub listing: Option<String>,
    #[arg(long)]
    pub search: Option<String>,
    /// Include completed tasks.
    #[arg(long)]
    pub all: bool,
    /// Include archived tasks.
    #[arg(long)]
    pub archived: bool,
    #[arg(long)]
    pub limit: Option<usize>,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    pub task: String,
    #[arg(long)]
    pub title: Option<String>,
    #[arg(long)]
    pub description: Option<String>,
    /// A date as quick-add understands it ("fri 3pm", "2026-12-05"), or "none".
    #[arg(long)]
    pub due: Option<String>,
    /// When to remind, like --due, or "none".
    #[arg(long)]
    pub reminder: Option<String>,
    #[arg(long)]
    pub priority: Option<String>,
    /// "every monday", "every! 3 days", or "none".
    #[arg(long)]
    pub repeat: Option<String>,
    #[arg(long = "label")]
    pub add_labels: Vec<String>,
    #[arg(long = "unlabel")]
    pub remove_labels: Vec<String>,
    #[arg(long = "assign")]
    pub add_assignees: Vec<String>,
    #[arg(long = "unassign")]
    pub remove_assignees: Vec<String>,
    #[arg(long = "link")]
    pub add_listings: Vec<String>,
    #[arg(long = "unlink")]
    pub remove_listings: Vec<String>,
}
