//! Relay configuration: command-line flags > `PORCHLIGHT_RELAY_*` environment
//! (both through clap) > defaults. A TOML file layer is not built yet.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(
        long,
        env = "PORCHLIGHT_RELAY_LISTEN",
        default_value = "127.0.0.1:7280"
    )]
    pub listen: SocketAddr,
    /// Where the relay keeps its database.
    #[arg(
        long,
        env = "PORCHLIGHT_RELAY_DATA_DIR",
        default_value = "./relay-data"
    )]
    pub data_dir: PathBuf,
    /// Largest WebSocket message accepted, in bytes.
    #[arg(long, env = "PORCHLIGHT_RELAY_MAX_MESSAGE_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_message_bytes: usize,
    /// Let anyone create an account (the first account can always be created).
    #[arg(
        long,
        env = "PORCHLIGHT_RELAY_OPEN_REGISTRATION",
        default_value_t = false
    )]
    pub open_registration: bool,
}

impl Config {
    /// Defaults with a given data directory (tests).
    pub fn for_dir(data_dir: PathBuf) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            max_message_bytes: 16 * 1024 * 1024,
            open_registration: false,
        }
    }
}
