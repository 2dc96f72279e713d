//! `porchlight listings …`: the offline listing cache.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

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
    Search(SearchArgs),
    /// One listing: its facts and the team's notes.
    Show(ShowArgs),
    /// A listing's photos: the cached ones, else fetched from the MLS and
    /// cached (with thumbnails) for offline use.
    Photos(PhotosArgs),
    /// Every cached listing as a CSV file with RESO field names.
    Export(ExportArgs),
    /// Add a team note to a listing.
    Note(NoteArgs),
    /// Tag a listing (--remove untags).
    Tag(TagArgs),
    /// Mark a listing as a team favourite (--remove to unmark).
    Fav(FavArgs),
    /// Where the listing's showing stands: requested, scheduled, shown,
    /// offer or cancelled (--clear to forget it).
    Showing(ShowingArgs),
    /// Comparable sales and an estimated value range (method: `listings
    /// comps --help` and the README).
    Comps(CompsArgs),
    /// Market statistics per city or postal code: active, sold, median list
    /// and close price, price per sq ft, days on market.
    Stats(StatsArgs),
    /// Share a source's listing cache with a relay team (then `porchlight sync`).
    Share(ShareArgs),
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words to find in the address, city, remarks or the team's notes.
    pub text: Option<String>,
    #[arg(long)]
    pub min_price: Option<f64>,
    #[arg(long)]
    pub max_price: Option<f64>,
    /// At least this many bedrooms.
    #[arg(long)]
    pub beds: Option<i64>,
    /// At least this many bathrooms.
    #[arg(long)]
    pub baths: Option<f64>,
    #[arg(long)]
    pub city: Option<String>,
    #[arg(long)]
    pub postal: Option<String>,
    /// RESO StandardStatus, e.g. Active or "Active Under Contract".
    #[arg(long)]
    pub status: Option<String>,
    /// PropertyType, e.g. Residential.
    #[arg(long = "type")]
    pub property_type: Option<String>,
    #[arg(long, value_enum, default_value_t = ListingSortArg::Relevance)]
    pub sort: ListingSortArg,
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    pub key: String,
}

#[derive(Debug, Args)]
pub struct PhotosArgs {
    pub key: String,
    /// Fetch again even if cached.
    #[arg(long)]
    pub refresh: bool,
    /// Only what is cached; never the network.
    #[arg(long, conflicts_with = "refresh")]
    pub offline: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// CSV is the one format (the flag says so, for scripts).
    #[arg(long)]
    pub csv: bool,
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct NoteArgs {
    pub key: String,
    pub text: String,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    pub key: String,
    pub tag: String,
    #[arg(long)]
    pub remove: bool,
}

#[derive(Debug, Args)]
pub struct FavArgs {
    pub key: String,
    #[arg(long)]
    pub remove: bool,
}

#[derive(Debug, Args)]
pub struct ShowingArgs {
    pub key: String,
    #[arg(required_unless_present = "clear")]
    pub status: Option<String>,
    #[arg(long, conflicts_with = "status")]
    pub clear: bool,
}

#[derive(Debug, Args)]
pub struct CompsArgs {
    pub key: String,
    #[arg(long, default_value_t = 6)]
    pub count: usize,
    /// Also write the report as an HTML page (prints well to PDF).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    #[arg(long, value_enum, default_value_t = StatsBy::City)]
    pub by: StatsBy,
    #[arg(long, default_value_t = 12)]
    pub months: u32,
}

#[derive(Debug, Args)]
pub struct ShareArgs {
    #[arg(long, default_value = "csv")]
    pub source: String,
    #[arg(long)]
    pub team: String,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatsBy {
    City,
    Postal,
}
