//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use porchlight_store::listings::sources;

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
    Search {
        text: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Every label in use or in the workspace catalogue.
    Labels,
    /// Open tasks in focus order: what to do next.
    Focus {
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// Rebuild every list and index from the stored documents.
    Reindex,
    /// Export every task, for spreadsheets and scripts.
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
        format: ExportFormat,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
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
    Signup {
        #[arg(long)]
        relay: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        invite: Option<String>,
        #[command(flatten)]
        trust: RelayTrust,
    },
    /// Sign in to a relay; the device token is saved for `sync`. The password
    /// is read from standard input.
    Login {
        #[arg(long)]
        relay: String,
        #[arg(long)]
        email: String,
        /// A name for this device in the relay's device list.
        #[arg(long)]
        device: Option<String>,
        #[command(flatten)]
        trust: RelayTrust,
    },
    /// Forget the saved relay sign-in.
    Logout,
    /// Print this device's relay token (from the keychain) for scripts and
    /// integrations, like `gh auth token`. Treat the output as a password.
    Token,
    /// Teams on the relay: create, list, invite, join, members, roles.
    #[command(subcommand)]
    Team(TeamCmd),
    /// Sync every board of your teams with the relay once, then exit.
    Sync {
        /// Stay connected: send edits as they are saved, print remote
        /// changes as they arrive, reconnect with backoff.
        #[arg(long)]
        watch: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TeamCmd {
    Create {
        name: String,
    },
    List,
    /// Make an invite code (owners and admins).
    Invite {
        team: String,
        #[arg(long, default_value = "member")]
        role: String,
        /// Hours until the code expires (default 72).
        #[arg(long)]
        hours: Option<i64>,
    },
    /// Join a team with an invite code.
    Join {
        code: String,
    },
    Members {
        team: String,
    },
    /// Change a member's role: owner, admin, member or viewer.
    Role {
        team: String,
        account: i64,
        role: String,
    },
    Remove {
        team: String,
        account: i64,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Json,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum BoardCmd {
    /// Create a board.
    New {
        name: String,
        /// Column names in order (default: To do, Doing, Done).
        #[arg(long = "column", short = 'c')]
        columns: Vec<String>,
    },
    /// List boards.
    List,
    /// Show a board's columns and tasks.
    Show {
        board: String,
    },
    Rename {
        board: String,
        name: String,
    },
    Delete {
        board: String,
    },
    /// Write the board as an Automerge file (share it by email or USB stick).
    Export {
        board: String,
        /// The file to write.
        #[arg(long, short)]
        output: PathBuf,
    },
    /// Merge a board file into this profile.
    Import {
        file: PathBuf,
    },
    /// Share a board with a relay team; `porchlight sync` sends it.
    Share {
        board: String,
        #[arg(long)]
        team: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ColumnCmd {
    Add {
        board: String,
        name: String,
    },
    Rename {
        board: String,
        column: String,
        name: String,
    },
    /// Move a column to a position (1 = first).
    Move {
        board: String,
        column: String,
        position: usize,
    },
    /// Delete a column; its tasks move to --move-to.
    Delete {
        board: String,
        column: String,
        #[arg(long)]
        move_to: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TaskCmd {
    /// Add a task from one line: "Call John tomorrow 3pm #followup @maria !high mls:A123".
    Add {
        /// The quick-add text (omit with --stdin).
        #[arg(required_unless_present = "stdin")]
        text: Option<String>,
        /// Add one task per line of standard input, printing each id as it is saved.
        #[arg(long, conflicts_with = "text")]
        stdin: bool,
        /// Board (default: the only board, or the first one).
        #[arg(long, short)]
        board: Option<String>,
        #[arg(long)]
        column: Option<String>,
    },
    /// List tasks.
    List(ListArgs),
    Show {
        task: String,
    },
    /// Change fields of a task.
    Edit(EditArgs),
    /// Move a task to another column and/or position (1 = top).
    Move {
        task: String,
        #[arg(long)]
        column: Option<String>,
        #[arg(long)]
        position: Option<usize>,
    },
    /// Complete a task (a recurring one gets its next instance).
    Done {
        task: String,
    },
    Reopen {
        task: String,
    },
    Archive {
        task: String,
        /// Bring it back instead.
        #[arg(long)]
        undo: bool,
    },
    Delete {
        task: String,
    },
    /// Add a checklist item, or tick/untick/remove one by number.
    Check {
        task: String,
        #[arg(long, conflicts_with_all = ["done", "undone", "remove"])]
        add: Option<String>,
        #[arg(long)]
        done: Option<String>,
        #[arg(long)]
        undone: Option<String>,
        #[arg(long)]
        remove: Option<String>,
    },
    /// Comment on a task.
    Comment {
        task: String,
        text: String,
    },
    /// Who changed what and when.
    History {
        task: String,
    },
    /// Restore a task to an earlier version (from `task history`).
    Restore {
        task: String,
        version: String,
    },
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

#[derive(Debug, Subcommand)]
pub enum MlsCmd {
    /// Connect a RESO Web API server. The secret (a bearer token, or the
    /// OAuth2 client secret with --client-id) is read from standard input
    /// and kept in the OS keychain.
    AddReso {
        name: String,
        /// The OData service root, e.g. https://api.example.com/odata
        #[arg(long)]
        url: String,
        #[arg(long, default_value = sources::RESOURCE)]
        resource: String,
        /// OAuth2 client credentials: the token endpoint.
        #[arg(long, requires = "client_id")]
        token_url: Option<String>,
        #[arg(long, requires = "token_url")]
        client_id: Option<String>,
        #[arg(long, default_value_t = sources::RESO_PAGE_SIZE)]
        page_size: usize,
        /// Ask for $expand=Media (photo links).
        #[arg(long)]
        media: bool,
        /// Ask only for these fields ($select), RESO names separated by
        /// commas; `core` stands for the fields search, comparables and
        /// stats read. Every field when left out.
        #[arg(long, value_name = "FIELDS")]
        select: Option<String>,
        #[command(flatten)]
        net: MlsNet,
    },
    /// Connect a RETS 1.7.2 / 1.8 server. The password (and, with
    /// --ua-password, the user-agent password on the next line) is read
    /// from standard input and kept in the OS keychain.
    AddRets {
        name: String,
        /// The login URL, e.g. https://rets.example.com/rets/login
        #[arg(long)]
        url: String,
        #[arg(long)]
        user: String,
        /// The class to search (see the MLS's metadata), e.g. RES.
        #[arg(long, default_value = sources::RETS_CLASS)]
        class: String,
        /// The search type.
        #[arg(long, default_value = sources::RESOURCE)]
        resource: String,
        /// The user agent the MLS registered (sent as User-Agent).
        #[arg(long, default_value = sources::RETS_USER_AGENT)]
        user_agent: String,
        #[arg(long, default_value = sources::RETS_VERSION)]
        rets_version: String,
        /// The MLS gave this user agent a password (RETS-UA-Authorization).
        #[arg(long)]
        ua_password: bool,
        #[arg(long, default_value_t = sources::RETS_PAGE_SIZE)]
        page_size: usize,
        #[command(flatten)]
        net: MlsNet,
        #[command(flatten)]
        fields: RetsFields,
    },
    /// Sign in to a connection and ask for a little (RETS: login and the
    /// class's metadata; RESO: the first page), to check the settings.
    Test { name: String },
    /// The MLS connections.
    List,
    /// Forget a connection and its secret (its listings stay cached).
    Remove { name: String },
    /// Pull what changed since the last pull (all of it with --full, which
    /// also drops listings the MLS no longer has), from one connection or all.
    Pull {
        name: Option<String>,
        #[arg(long)]
        full: bool,
        /// Import the other rows of a page with rows that do not fit its
        /// columns (each is reported), instead of stopping at that page.
        #[arg(long)]
        skip_bad: bool,
        /// Also fetch the photos of new and changed listings as the pull
        /// goes, so they are there offline (RESO connections need --media).
        #[arg(long)]
        photos: bool,
    },
    /// Write realistic synthetic listings as a CSV export (for demos and
    /// for trying imports); the same seed gives the same listings.
    Generate {
        #[arg(long, default_value_t = 300)]
        count: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Listing keys start with this.
        #[arg(long, default_value = "D")]
        prefix: String,
        #[arg(long, short)]
        output: PathBuf,
    },
    /// Import a CSV export. A file with bad records imports nothing (each
    /// is listed with its line number) unless --skip-bad.
    ImportCsv {
        file: PathBuf,
        /// A TOML mapping of CSV headers to RESO names ([columns] "MLS #" = "ListingId").
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// What to call this source in the cache (default: csv).
        #[arg(long, default_value = "csv")]
        source: String,
        /// Import the good records and report the bad ones.
        #[arg(long)]
        skip_bad: bool,
        /// The file is the whole source: listings not in it leave the cache.
        #[arg(long)]
        reconcile: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ListingSortArg {
    Relevance,
    Price,
    #[value(name = "-price")]
    PriceDesc,
    Newest,
}

#[derive(Debug, Subcommand)]
pub enum ListingsCmd {
    /// Search the cached listings (works offline).
    Search {
        /// Words to find in the address, city, remarks or the team's notes.
        text: Option<String>,
        #[arg(long)]
        min_price: Option<f64>,
        #[arg(long)]
        max_price: Option<f64>,
        /// At least this many bedrooms.
        #[arg(long)]
        beds: Option<i64>,
        /// At least this many bathrooms.
        #[arg(long)]
        baths: Option<f64>,
        #[arg(long)]
        city: Option<String>,
        #[arg(long)]
        postal: Option<String>,
        /// RESO StandardStatus, e.g. Active or "Active Under Contract".
        #[arg(long)]
        status: Option<String>,
        /// PropertyType, e.g. Residential.
        #[arg(long = "type")]
        property_type: Option<String>,
        #[arg(long, value_enum, default_value_t = ListingSortArg::Relevance)]
        sort: ListingSortArg,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// One listing: its facts and the team's notes.
    Show { key: String },
    /// A listing's photos: the cached ones, else fetched from the MLS and
    /// cached (with thumbnails) for offline use.
    Photos {
        key: String,
        /// Fetch again even if cached.
        #[arg(long)]
        refresh: bool,
        /// Only what is cached; never the network.
        #[arg(long, conflicts_with = "refresh")]
        offline: bool,
    },
    /// Every cached listing as a CSV file with RESO field names.
    Export {
        /// CSV is the one format (the flag says so, for scripts).
        #[arg(long)]
        csv: bool,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Add a team note to a listing.
    Note { key: String, text: String },
    /// Tag a listing (--remove untags).
    Tag {
        key: String,
        tag: String,
        #[arg(long)]
        remove: bool,
    },
    /// Mark a listing as a team favourite (--remove to unmark).
    Fav {
        key: String,
        #[arg(long)]
        remove: bool,
    },
    /// Where the listing's showing stands: requested, scheduled, shown,
    /// offer or cancelled (--clear to forget it).
    Showing {
        key: String,
        #[arg(required_unless_present = "clear")]
        status: Option<String>,
        #[arg(long, conflicts_with = "status")]
        clear: bool,
    },
    /// Comparable sales and an estimated value range (method: `listings
    /// comps --help` and the README).
    Comps {
        key: String,
        #[arg(long, default_value_t = 6)]
        count: usize,
        /// Also write the report as an HTML page (prints well to PDF).
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// Market statistics per city or postal code: active, sold, median list
    /// and close price, price per sq ft, days on market.
    Stats {
        #[arg(long, value_enum, default_value_t = StatsBy::City)]
        by: StatsBy,
        #[arg(long, default_value_t = 12)]
        months: u32,
    },
    /// Share a source's listing cache with a relay team (then `porchlight sync`).
    Share {
        #[arg(long, default_value = "csv")]
        source: String,
        #[arg(long)]
        team: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatsBy {
    City,
    Postal,
}

/// How the relay is trusted (saved with the sign-in).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RelayTrust {
    /// A PEM file with the CA that signed the relay's certificate (a
    /// private CA); added to the system's roots. PORCHLIGHT_CA_FILE works too.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<std::path::PathBuf>,
    /// Allow plain http:// to a relay that is not on this machine (the
    /// password and token then cross the network unencrypted).
    #[arg(long)]
    pub allow_insecure_http: bool,
}

impl RelayTrust {
    /// The core's trust settings; a CA file is made absolute and must exist.
    pub fn resolve(&self) -> anyhow::Result<porchlight_client::Trust> {
        let ca_file = self.ca_file.as_deref().map(ca_file).transpose()?;
        Ok(porchlight_client::Trust {
            ca_file,
            allow_insecure_http: self.allow_insecure_http,
        })
    }
}

/// How an MLS connection reaches its server.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MlsNet {
    /// A PEM file with a private CA for this MLS (added to the system's
    /// roots). PORCHLIGHT_CA_FILE works too.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<std::path::PathBuf>,
    /// Another host this MLS links to (e.g. its photo CDN); fetched without
    /// credentials. Repeat for more. Links to any other host are refused.
    #[arg(long = "allow-origin", value_name = "HOST")]
    pub allow_origins: Vec<String>,
    /// The vendor's request limits: default (5/s, 18,000 an hour, 200,000
    /// a day, 20 GB an hour), mlsgrid (2/s, 7,200 an hour, 40,000 a day,
    /// 4 GB an hour) or none. The flags below change one number of it.
    #[arg(long, value_name = "PRESET", default_value = "default")]
    pub limits: String,
    #[arg(long, value_name = "N")]
    pub requests_per_second: Option<f64>,
    #[arg(long, value_name = "N")]
    pub requests_per_hour: Option<u64>,
    #[arg(long, value_name = "N")]
    pub requests_per_day: Option<u64>,
    #[arg(long, value_name = "MB")]
    pub mb_per_hour: Option<u64>,
}

impl MlsNet {
    /// The core's settings; a CA file is made absolute and must read.
    pub fn resolve(&self) -> anyhow::Result<porchlight_store::listings::sources::NetSettings> {
        let ca_file = self.ca_file.as_deref().map(ca_file).transpose()?;
        for o in &self.allow_origins {
            if porchlight_store::net::Origin::from_setting(o).is_none() {
                return Err(crate::UsageError(format!(
                    "--allow-origin {o:?} is not a host name or URL (e.g. media.mls.example)"
                ))
                .into());
            }
        }
        let mut limits =
            porchlight_store::listings::quota::preset(&self.limits).ok_or_else(|| {
                crate::UsageError(format!(
                    "--limits {:?} is not a preset; use default, mlsgrid or none",
                    self.limits
                ))
            })?;
        if let Some(n) = self.requests_per_second {
            if !(n.is_finite() && n >= 0.0) {
                return Err(crate::UsageError(format!(
                    "--requests-per-second {n} must be 0 (no limit) or more"
                ))
                .into());
            }
            limits.per_second = n;
        }
        limits.per_hour = self.requests_per_hour.unwrap_or(limits.per_hour);
        limits.per_day = self.requests_per_day.unwrap_or(limits.per_day);
        if let Some(mb) = self.mb_per_hour {
            limits.bytes_per_hour = mb.saturating_mul(1_000_000);
        }
        Ok(porchlight_store::listings::sources::NetSettings {
            ca_file,
            allow_origins: self.allow_origins.clone(),
            limits: Some(limits),
        })
    }
}

/// Field names for RETS servers whose metadata has no StandardNames.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RetsFields {
    /// The system name of the listing key field (→ ListingKey).
    #[arg(long, value_name = "SYSTEM-NAME")]
    pub key_field: Option<String>,
    /// The system name of the modification timestamp (→ ModificationTimestamp).
    #[arg(long, value_name = "SYSTEM-NAME")]
    pub timestamp_field: Option<String>,
    /// The system name of the status field (→ StandardStatus).
    #[arg(long, value_name = "SYSTEM-NAME")]
    pub status_field: Option<String>,
    /// A TOML file mapping system names to RESO names, as for CSV:
    /// [columns] "LP" = "ListPrice".
    #[arg(long, value_name = "TOML")]
    pub mapping: Option<std::path::PathBuf>,
}

impl RetsFields {
    /// System name → RESO name; the flags win over the file.
    pub fn resolve(&self) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
        let mut out = std::collections::BTreeMap::new();
        if let Some(path) = &self.mapping {
            let text = std::fs::read_to_string(path).map_err(|e| {
                crate::UsageError(format!(
                    "cannot read the mapping file {}: {e}",
                    path.display()
                ))
            })?;
            let pairs = porchlight_store::listings::mapping::Mapping::file_pairs(&text)
                .map_err(|e| crate::UsageError(format!("{}: {e}", path.display())))?;
            out.extend(pairs);
        }
        for (flag, reso) in [
            (&self.key_field, "ListingKey"),
            (&self.timestamp_field, "ModificationTimestamp"),
            (&self.status_field, "StandardStatus"),
        ] {
            if let Some(system) = flag.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                out.insert(system.to_string(), reso.to_string());
            }
        }
        Ok(out)
    }
}

/// A `--ca-file` given on the command line: made absolute (it is saved with
/// the setting) and checked to hold a PEM certificate.
fn ca_file(p: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let abs = std::path::absolute(p)?;
    porchlight_store::net::tls::read_ca_file(&abs).map_err(|e| crate::UsageError(e.to_string()))?;
    Ok(abs)
}
