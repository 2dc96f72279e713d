//! `porchlight mls …`: MLS connections and imports.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use porchlight_store::listings::sources;

use super::ca_file;

#[derive(Debug, Subcommand)]
pub enum MlsCmd {
    /// Connect a RESO Web API server. The secret (a bearer token, or the
    /// OAuth2 client secret with --client-id) is read from standard input
    /// and kept in the OS keychain.
    AddReso(AddResoArgs),
    /// Connect a RETS 1.7.2 / 1.8 server. The password (and, with
    /// --ua-password, the user-agent password on the next line) is read
    /// from standard input and kept in the OS keychain.
    AddRets(AddRetsArgs),
    /// Sign in to a connection and ask for a little (RETS: login and the
    /// class's metadata; RESO: the first page), to check the settings.
    Test(TestArgs),
    /// The MLS connections.
    List,
    /// Forget a connection and its secret (its listings stay cached).
    Remove(RemoveArgs),
    /// Pull what changed since the last pull (all of it with --full, which
    /// also drops listings the MLS no longer has), from one connection or all.
    Pull(PullArgs),
    /// Write realistic synthetic listings as a CSV export (for demos and
    /// for trying imports); the same seed gives the same listings.
    Generate(GenerateArgs),
    /// Import a CSV export. A file with bad records imports nothing (each
    /// is listed with its line number) unless --skip-bad.
    ImportCsv(ImportCsvArgs),
}

#[derive(Debug, Args)]
pub struct AddResoArgs {
    pub name: String,
    /// The OData service root, e.g. https://api.example.com/odata
    #[arg(long)]
    pub url: String,
    #[arg(long, default_value = sources::RESOURCE)]
    pub resource: String,
    /// OAuth2 client credentials: the token endpoint.
    #[arg(long, requires = "client_id")]
    pub token_url: Option<String>,
    #[arg(long, requires = "token_url")]
    pub client_id: Option<String>,
    #[arg(long, default_value_t = sources::RESO_PAGE_SIZE)]
    pub page_size: usize,
    /// Ask for $expand=Media (photo links).
    #[arg(long)]
    pub media: bool,
    /// Ask only for these fields ($select), RESO names separated by
    /// commas; `core` stands for the fields search, comparables and
    /// stats read. Every field when left out.
    #[arg(long, value_name = "FIELDS")]
    pub select: Option<String>,
    #[command(flatten)]
    pub net: MlsNet,
}

#[derive(Debug, Args)]
pub struct AddRetsArgs {
    pub name: String,
    /// The login URL, e.g. https://rets.example.com/rets/login
    #[arg(long)]
    pub url: String,
    #[arg(long)]
    pub user: String,
    /// The class to search (see the MLS's metadata), e.g. RES.
    #[arg(long, default_value = sources::RETS_CLASS)]
    pub class: String,
    /// The search type.
    #[arg(long, default_value = sources::RESOURCE)]
    pub resource: String,
    /// The user agent the MLS registered (sent as User-Agent).
    #[arg(long, default_value = sources::RETS_USER_AGENT)]
    pub user_agent: String,
    #[arg(long, default_value = sources::RETS_VERSION)]
    pub rets_version: String,
    /// The MLS gave this user agent a password (RETS-UA-Authorization).
    #[arg(long)]
    pub ua_password: bool,
    #[arg(long, default_value_t = sources::RETS_PAGE_SIZE)]
    pub page_size: usize,
    #[command(flatten)]
    pub net: MlsNet,
    #[command(flatten)]
    pub fields: RetsFields,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    pub name: String,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    pub name: String,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    pub name: Option<String>,
    #[arg(long)]
    pub full: bool,
    /// Import the other rows of a page with rows that do not fit its
    /// columns (each is reported), instead of stopping at that page.
    #[arg(long)]
    pub skip_bad: bool,
    /// Also fetch the photos of new and changed listings as the pull
    /// goes, so they are there offline (RESO connections need --media).
    #[arg(long)]
    pub photos: bool,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[arg(long, default_value_t = 300)]
    pub count: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Listing keys start with this.
    #[arg(long, default_value = "D")]
    pub prefix: String,
    #[arg(long, short)]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct ImportCsvArgs {
    pub file: PathBuf,
    /// A TOML mapping of CSV headers to RESO names ([columns] "MLS #" = "ListingId").
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// What to call this source in the cache (default: csv).
    #[arg(long, default_value = "csv")]
    pub source: String,
    /// Import the good records and report the bad ones.
    #[arg(long)]
    pub skip_bad: bool,
    /// The file is the whole source: listings not in it leave the cache.
    #[arg(long)]
    pub reconcile: bool,
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
