//! `porchlight team …` and how the relay is trusted.

use clap::{Args, Subcommand};

use super::ca_file;

#[derive(Debug, Subcommand)]
pub enum TeamCmd {
    /// Create a team (you become its owner).
    Create { name: String },
    /// Your teams and your role in each.
    List,
    /// Make an invite code (owners and admins).
    Invite {
        team: String,
        #[arg(long, default_value = "member")]
        role: String,
        /// Hours until the code expires (default 72).
        #[arg(long)]
        hours: Option<i64>,
        /// Email the code to this address too (when the relay sends email).
        #[arg(long)]
        email: Option<String>,
    },
    /// Join a team with an invite code.
    Join { code: String },
    /// A team's members and their roles.
    Members { team: String },
    /// Change a member's role: owner, admin, member or viewer. MEMBER is
    /// their email (as `team members` lists it).
    Role {
        team: String,
        member: String,
        role: String,
    },
    /// Remove a member (by email) from a team; your own email to leave.
    Remove { team: String, member: String },
    /// Hand your ownership of a team to another member (by email); you
    /// stay as an admin.
    Transfer { team: String, member: String },
    /// The team's audit log, newest first (owners and admins): sign-ins to
    /// it, invites, role changes, removals, documents, quota refusals.
    Audit {
        team: String,
        /// Events older than this event id (the last ID of the page before).
        #[arg(long)]
        before: Option<i64>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// How long the team keeps deleted tasks before they are removed for
    /// good; with no option, shows it. Setting it: owners and admins.
    Retention {
        team: String,
        /// Keep deleted tasks this many days (restorable until then).
        #[arg(long, conflicts_with = "forever")]
        days: Option<u32>,
        /// Keep deleted tasks for ever (the default).
        #[arg(long)]
        forever: bool,
    },
}

/// `porchlight devices …`: the account's signed-in devices.
#[derive(Debug, Subcommand)]
pub enum DevicesCmd {
    /// Sign a device out (its token stops working at once).
    Revoke { id: i64 },
}

/// `porchlight apikey …`: a team's keys for integrations.
#[derive(Debug, Subcommand)]
pub enum ApikeyCmd {
    /// Make a key and print it (the only time it is shown).
    Create {
        #[arg(long)]
        team: String,
        /// read: sync and read the team's boards; write: change them too.
        #[arg(long)]
        scope: String,
        /// What the key is for [default: "API key"].
        #[arg(long)]
        name: Option<String>,
        /// When it stops working: 30d, 12w, 6m (months), 1y; by default it
        /// lasts until revoked.
        #[arg(long)]
        expires: Option<String>,
    },
    /// The team's keys (never the keys themselves).
    List {
        #[arg(long)]
        team: String,
    },
    /// Revoke a key by its ID (connections it opened close at once).
    Revoke {
        #[arg(long)]
        team: String,
        id: i64,
    },
}

/// `porchlight account …`: your data on the relay.
#[derive(Debug, Subcommand)]
pub enum AccountCmd {
    /// Write everything the relay holds for your account into a folder:
    /// account.json (teams, devices, what you did) and every document of
    /// your teams as an Automerge file under documents/.
    Export {
        /// The folder to write (made if missing; must be empty).
        #[arg(long, short)]
        output: std::path::PathBuf,
    },
    /// Delete your account on the relay (your password confirms, on stdin):
    /// every device signed out, your memberships and calendar feeds gone;
    /// what you wrote in shared boards stays, as "deleted user".
    Delete,
    /// Your email settings on the relay: the daily digest of your due and
    /// overdue tasks and the time zone it keeps. With no option, shows them.
    Mail {
        /// on or off.
        #[arg(long)]
        digest: Option<String>,
        /// Email a teammate's `@name` mention of you: on or off.
        #[arg(long)]
        mentions: Option<String>,
        /// An IANA time zone for the digest's hour and dates
        /// (America/Chicago); `local` takes this computer's (TZ first).
        #[arg(long)]
        time_zone: Option<String>,
    },
}

/// `porchlight webhook …`: a team's webhooks (owners and admins).
#[derive(Debug, Subcommand)]
pub enum WebhookCmd {
    /// Add an endpoint and print its signing secret (the only time it is
    /// shown).
    Add {
        #[arg(long)]
        team: String,
        /// An https:// URL (http:// only to this machine, for testing).
        url: String,
        /// Comma-separated event types [default: every one]:
        /// task.created, task.updated, task.completed, task.assigned,
        /// comment.added, member.joined, listing.changed.
        #[arg(long, value_delimiter = ',')]
        events: Vec<String>,
        /// Only events of this board (name or id; it must be shared).
        #[arg(long)]
        board: Option<String>,
        /// standard (signed JSON), slack, teams or discord [default: standard].
        #[arg(long)]
        format: Option<String>,
    },
    /// The team's endpoints.
    List {
        #[arg(long)]
        team: String,
    },
    /// Remove an endpoint by its ID.
    Remove {
        #[arg(long)]
        team: String,
        id: i64,
    },
    /// Send a test event to an endpoint now.
    Test {
        #[arg(long)]
        team: String,
        id: i64,
    },
    /// An endpoint's deliveries, newest first.
    Log {
        #[arg(long)]
        team: String,
        id: i64,
        /// How many [default: 20].
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
}

/// `porchlight calendar …`: calendar feeds of the team's tasks.
#[derive(Debug, Subcommand)]
pub enum CalendarCmd {
    /// Print your secret feed address to subscribe to in a calendar app
    /// (the same address each time, until --rotate).
    Url {
        /// One board (name or id; it must be shared with a team).
        #[arg(long)]
        board: Option<String>,
        /// The team, by name or id (not needed with --board, or when you
        /// are in one team).
        #[arg(long)]
        team: Option<String>,
        /// Only the tasks assigned to you.
        #[arg(long)]
        mine: bool,
        /// Replace the address: the old one stops working.
        #[arg(long)]
        rotate: bool,
    },
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

#[derive(Debug, Args)]
pub struct SignupArgs {
    #[arg(long)]
    pub relay: String,
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub invite: Option<String>,
    #[command(flatten)]
    pub trust: RelayTrust,
}

#[derive(Debug, Args)]
pub struct ResetArgs {
    #[arg(long)]
    pub relay: String,
    #[arg(long)]
    pub email: String,
    /// The code from the email; then the new password is read from stdin.
    #[arg(long)]
    pub code: Option<String>,
    #[command(flatten)]
    pub trust: RelayTrust,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[arg(long)]
    pub relay: String,
    #[arg(long)]
    pub email: String,
    /// A name for this device in the relay's device list.
    #[arg(long)]
    pub device: Option<String>,
    #[command(flatten)]
    pub trust: RelayTrust,
}
