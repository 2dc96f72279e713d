//! Command-line arguments, one module per command group.

pub mod board;
pub mod listings;
pub mod mls;
pub mod relay;
pub mod task;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use board::{BoardCmd, ColumnCmd};
pub use listings::ListingsCmd;
pub use mls::MlsCmd;
pub use relay::TeamCmd;
pub use task::TaskCmd;

#[derive(Debug, Parser)]
#[command(
    name = "porchlight",
    version,
    about = "Porchlight: offline-first task boards for small teams"
)]
pub struct Cli {
    /// Profile directory (default: the OS data directory, e.g. ~/.local/share/porchlight).
    #[arg(long, global = true, env = "PORCHLIGHT_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Your name, as it appears in history and assignments (saved in the profile).
    #[arg(long, global = true, env = "PORCHLIGHT_USER")]
    pub user: Option<String>,
    /// IANA time zone for "today" and typed dates (saved in the profile).
    #[arg(long, global = true, env = "PORCHLIGHT_TZ")]
    pub tz: Option<String>,
    /// Pretend it is this instant (RFC 3339), for scripts and tests.
    #[arg(long, global = true, env = "PORCHLIGHT_NOW", hide = true)]
    pub now: Option<String>,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Boards: create, list, show, rename, delete, export and import.
    #[command(subcommand)]
    Board(BoardCmd),
    /// Columns of a board.
    #[command(subcommand)]
    Column(ColumnCmd),
    /// Tasks: add with quick-add text, list, edit, move, complete, history.
    #[command(subcommand)]
    Task(Box<TaskCmd>),
    /// Full-text search over tasks.
    Search(SearchArgs),
    /// Every label in use or in the workspace catalogue.
    Labels,
    /// The people the boards name (assignees, authors, mentions), with the
    /// names they went by before; `people rename OLD NEW` renames one.
    People {
        #[command(subcommand)]
        cmd: Option<PeopleCmd>,
    },
    /// Transaction templates: a checklist of tasks due at offsets from one
    /// date (listing, contract, closing).
    #[command(subcommand)]
    Template(TemplateCmd),
    /// Open tasks in focus order: what to do next.
    Focus(FocusArgs),
    /// Your inbox: mentions, tasks assigned to you, comments on tasks you
    /// watch, your work coming due. Newest first; `inbox read ID` marks.
    Inbox(InboxArgs),
    /// Who did what, when, on one board or all of them.
    Activity(ActivityArgs),
    /// Where work piles up and what will be late: tasks done per week,
    /// cycle times by label, overdue work over time, open work per person,
    /// tasks at risk (predicted from the team's own history) and
    /// suggested reassignments.
    Insights(InsightsArgs),
    /// Make a new board from another tool's export: a Trello board
    /// (JSON), a Todoist project (CSV) or any spreadsheet (CSV).
    #[command(subcommand)]
    Import(ImportCmd),
    /// Rebuild every list and index from the stored documents.
    Reindex,
    /// Export every task, for spreadsheets and scripts.
    Export(ExportArgs),
    /// Save --user and --tz as this profile's defaults.
    Config,
    /// MLS sources: import listings into the offline listing cache.
    #[command(subcommand)]
    Mls(Box<MlsCmd>),
    /// The listing cache: search, show, notes and tags, share with a team.
    #[command(subcommand)]
    Listings(ListingsCmd),
    /// Create an account on a relay (the first account becomes its admin;
    /// later ones need --invite). The password is read from standard input.
    Signup(relay::SignupArgs),
    /// Forgot the password: emails a code (when the relay sends email);
    /// with --code, sets a new password (on stdin) and signs out every
    /// device.
    PasswordReset(relay::ResetArgs),
    /// Sign in to a relay; the device token is saved for `sync`. The password
    /// is read from standard input.
    Login(relay::LoginArgs),
    /// Forget the saved relay sign-in.
    Logout,
    /// Teams on the relay: create, list, invite, join, members, roles.
    #[command(subcommand)]
    Team(TeamCmd),
    /// Your signed-in devices; `devices revoke ID` signs one out. A token
    /// unused for 90 days (the relay's setting) expires by itself.
    Devices {
        #[command(subcommand)]
        cmd: Option<relay::DevicesCmd>,
    },
    /// API keys for scripts and integrations (owners and admins): each for
    /// one team, read or write, shown once.
    #[command(subcommand)]
    Apikey(relay::ApikeyCmd),
    /// Calendar feeds (RFC 5545) of the team's tasks with a due date, for
    /// Google Calendar, Apple Calendar or Outlook to subscribe to.
    #[command(subcommand)]
    Calendar(relay::CalendarCmd),
    /// Webhooks: signed event deliveries to a URL (owners and admins).
    #[command(subcommand)]
    Webhook(relay::WebhookCmd),
    /// Your account on the relay: export its data, or delete it.
    #[command(subcommand)]
    Account(relay::AccountCmd),
    /// Account events of the whole relay (sign-ups, sign-ins, devices,
    /// password changes), newest first: the relay admin only.
    Audit {
        /// Events older than this event id (the last ID of the page before).
        #[arg(long)]
        before: Option<i64>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Change your relay password (current, then new, from the terminal or
    /// two lines of standard input); every other device is signed out.
    Password,
    /// Sync every board of your teams with the relay once, then exit.
    Sync(SyncArgs),
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    pub text: String,
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
}

/// `porchlight template …`.
#[derive(Debug, Subcommand)]
pub enum TemplateCmd {
    /// The templates and how many steps each has.
    List,
    /// A template's steps and offsets; with --anchor, each step's date.
    Show {
        template: String,
        /// The anchor date (2027-01-15, "jan 15", "next fri").
        #[arg(long)]
        anchor: Option<String>,
    },
    /// Make a template: from --step lines, a copy of another, or a JSON
    /// file (as `template export` writes).
    New {
        name: String,
        /// What the anchor date is: closing, contract, listing, …
        #[arg(long, default_value = "closing")]
        anchor: String,
        /// A step: "OFFSET | TITLE #label @person !priority", e.g.
        /// "closing - 10 days | Order the appraisal #lender". Repeat.
        #[arg(long = "step")]
        steps: Vec<String>,
        /// Start from this template's steps.
        #[arg(long, conflicts_with = "file")]
        copy: Option<String>,
        /// A template as JSON.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Change a template: rename it, add or remove steps, or replace it
    /// with a JSON file.
    Edit {
        template: String,
        #[arg(long)]
        rename: Option<String>,
        #[arg(long)]
        anchor: Option<String>,
        /// Add a step ("OFFSET | TITLE #label @person !priority"). Repeat.
        #[arg(long = "add-step")]
        add: Vec<String>,
        /// Remove step N (1 = first, as `template show` numbers them).
        #[arg(long = "remove-step")]
        remove: Vec<usize>,
        /// Replace the whole template with this JSON.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Delete a template (tasks made from it stay).
    Delete { template: String },
    /// Print a template as JSON (to edit and give back with `edit --file`).
    Export { template: String },
    /// The holidays business days skip (US federal unless changed).
    Holidays {
        /// A day off to add (2027-01-08). Repeat.
        #[arg(long)]
        add: Vec<String>,
        /// A holiday the office works on (2027-11-11). Repeat.
        #[arg(long)]
        remove: Vec<String>,
        /// Skip US federal holidays: on or off.
        #[arg(long)]
        federal: Option<OnOff>,
    },
    /// Share your templates with a relay team: `sync` brings them to every
    /// member, and their edits back.
    Share {
        #[arg(long)]
        team: String,
    },
    /// Adds a template's tasks to a board, each due at its offset from
    /// the anchor date.
    Apply {
        template: String,
        #[arg(long)]
        board: String,
        /// The anchor date (2027-01-15, "jan 15", "next fri").
        #[arg(long)]
        anchor: String,
        /// What the tasks are for, put before each title ("48 Elm Ave").
        #[arg(long)]
        name: Option<String>,
        /// Count business days without holidays (weekends only).
        #[arg(long)]
        no_holidays: bool,
    },
    /// The anchor date moved ("closing moved to Jan 22"): every task of
    /// that application not done yet moves with it; done ones stay.
    Move {
        /// Any task the application made (an id prefix).
        task: String,
        /// The new anchor date.
        #[arg(long)]
        anchor: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Subcommand)]
pub enum PeopleCmd {
    /// Rename a person on every board (synced with each board's team):
    /// their assignments, mentions, comments and inbox follow, and `@OLD`
    /// in comments shows as `@NEW`. Renaming yourself renames this profile.
    Rename {
        /// Their name now (with or without the @).
        old: String,
        /// The new name: one word of letters, digits, '.', '-' or '_'.
        new: String,
    },
}

#[derive(Debug, Args)]
pub struct InboxArgs {
    /// Only unread items.
    #[arg(long, conflicts_with = "all")]
    pub unread: bool,
    /// Archived items too.
    #[arg(long)]
    pub all: bool,
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    #[command(subcommand)]
    pub cmd: Option<InboxCmd>,
}

#[derive(Debug, Subcommand)]
pub enum InboxCmd {
    /// Mark items read (ids from `porchlight inbox`; --all: every item).
    Read(InboxMarkArgs),
    /// Mark items unread again.
    Unread(InboxMarkArgs),
    /// Archive items: they leave the inbox (`inbox --all` still lists them).
    Archive(InboxMarkArgs),
}

#[derive(Debug, Args)]
pub struct InboxMarkArgs {
    #[arg(required_unless_present = "all")]
    pub ids: Vec<String>,
    #[arg(long, conflicts_with = "ids")]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct InsightsArgs {
    /// One board (default: every board).
    #[arg(long, short)]
    pub board: Option<String>,
    /// How many weeks back the weekly figures go.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=520))]
    pub weeks: u32,
}

#[derive(Debug, Subcommand)]
pub enum ImportCmd {
    /// A Trello board's JSON export (board menu: Print, export and share
    /// → Export as JSON).
    Trello(ImportArgs),
    /// A Todoist project exported as CSV (project menu: Export as a
    /// template → CSV).
    Todoist(ImportArgs),
    /// Any CSV with a header row. Columns named like title/name, status,
    /// due, tags, owner, priority, done, notes are found by themselves;
    /// --mapping names them otherwise.
    Csv {
        #[command(flatten)]
        args: ImportArgs,
        /// field=column pairs ("title=Task Name,due=Due Date,column=Stage"),
        /// or a file of them, one per line. Fields: title, description,
        /// column, due, labels, assignees, priority, done, checklist,
        /// comments.
        #[arg(long)]
        mapping: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    pub file: PathBuf,
    /// The new board's name (default: the export's, or the file's name).
    #[arg(long)]
    pub name: Option<String>,
    /// Print what would be made, and every row that cannot be; change
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import the good rows even if some are bad (they are listed).
    #[arg(long)]
    pub skip_bad: bool,
}

#[derive(Debug, Args)]
pub struct ActivityArgs {
    /// One board (default: every board).
    #[arg(long, short)]
    pub board: Option<String>,
    /// How far back: 30m, 12h, 2d, 1w, or a date (2027-01-15). Default 7d.
    #[arg(long, default_value = "7d")]
    pub since: String,
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

#[derive(Debug, Args)]
pub struct FocusArgs {
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
    pub format: ExportFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Stay connected: send edits as they are saved, print remote
    /// changes as they arrive, reconnect with backoff.
    #[arg(long)]
    pub watch: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Json,
    Csv,
}

/// A `--ca-file` given on the command line: made absolute (it is saved with
/// the setting) and checked to hold a PEM certificate.
/// A `--ca-file` given on the command line: made absolute (it is saved with
/// the setting) and checked to hold a PEM certificate.
fn ca_file(p: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let abs = std::path::absolute(p)?;
    porchlight_store::net::tls::read_ca_file(&abs).map_err(|e| crate::UsageError(e.to_string()))?;
    Ok(abs)
}
