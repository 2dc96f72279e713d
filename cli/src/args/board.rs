//! `porchlight board …` and `porchlight column …`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum BoardCmd {
    /// Create a board.
    New(NewArgs),
    /// List boards.
    List,
    /// Show a board's columns and tasks.
    Show(ShowArgs),
    /// Rename a board.
    Rename(RenameArgs),
    /// Delete a board (it stays in the history).
    Delete(DeleteArgs),
    /// Write the board as an Automerge file (share it by email or USB stick).
    Export(ExportArgs),
    /// Merge a board file into this profile.
    Import(ImportArgs),
    /// Share a board with a relay team; `porchlight sync` sends it.
    Share(ShareArgs),
}

#[derive(Debug, Args)]
pub struct NewArgs {
    pub name: String,
    /// Column names in order (default: To do, Doing, Done).
    #[arg(long = "column", short = 'c')]
    pub columns: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    pub board: String,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    pub board: String,
    pub name: String,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    pub board: String,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    pub board: String,
    /// The file to write.
    #[arg(long, short)]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct ShareArgs {
    pub board: String,
    #[arg(long)]
    pub team: String,
}

#[derive(Debug, Subcommand)]
pub enum ColumnCmd {
    /// Add a column at the end.
    Add(ColumnAddArgs),
    /// Rename a column.
    Rename(ColumnRenameArgs),
    /// Move a column to a position (1 = first).
    Move(ColumnMoveArgs),
    /// Delete a column; its tasks move to --move-to.
    Delete(ColumnDeleteArgs),
}

#[derive(Debug, Args)]
pub struct ColumnAddArgs {
    pub board: String,
    pub name: String,
}

#[derive(Debug, Args)]
pub struct ColumnRenameArgs {
    pub board: String,
    pub column: String,
    pub name: String,
}

#[derive(Debug, Args)]
pub struct ColumnMoveArgs {
    pub board: String,
    pub column: String,
    pub position: usize,
}

#[derive(Debug, Args)]
pub struct ColumnDeleteArgs {
    pub board: String,
    pub column: String,
    #[arg(long)]
    pub move_to: Option<String>,
}
