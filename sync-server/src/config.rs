//! Relay configuration, by precedence: command-line flags > `PORCHLIGHT_RELAY_*`
//! environment > a TOML file (`--config`) > defaults.
//!
//! ```toml
//! listen = "0.0.0.0:7280"
//! data_dir = "/var/lib/porchlight-relay"
//! database = "postgres://relay:secret@db:5432/porchlight"  # instead of SQLite in data_dir
//! nats = "nats://nats:4222"   # several nodes on one database
//! hub_shards = 4              # threads that own documents [default: cores]
//! max_message_bytes = 16777216
//! open_registration = false
//! tls_cert = "/etc/porchlight/fullchain.pem"   # HTTPS + WSS on `listen`
//! tls_key = "/etc/porchlight/privkey.pem"
//! trusted_proxies = ["127.0.0.1", "10.0.0.0/8"] # read X-Forwarded-For from these
//! smtp = "smtp://relay%40example.com:secret@smtp.example.com:587"  # email: STARTTLS (smtps:// for TLS)
//! mail_from = "Porchlight <relay@example.com>"
//! public_url = "https://relay.example.com"   # for links in email
//!
//! [limits]                                     # every key optional
//! token_days = 90                # a device token unused this long expires
//! logins_per_minute_per_ip = 30
//! logins_per_minute_per_account = 10
//! signups_per_hour_per_ip = 30
//! password_hashing = 2           # Argon2 checks at once [default: cores]
//! password_wait_ms = 2000        # how long a check waits for a slot before 503
//! teams_per_account = 50
//! devices_per_account = 100
//! documents_per_team = 20000
//! bytes_per_team = 5368709120
//! documents_per_connection = 5000
//! audit_days = 365
//! send_queues_mib = 256          # queued for all connections together
//! api_requests_per_minute = 600  # REST API (/api/v1) per key or account
//! webhook_private_targets = false # allow webhooks to loopback/private addresses
//! digest_hour = 7                # the daily digest leaves at this local hour
//! digest_check_ms = 60000        # how often the relay looks for digests due
//! retention_check_ms = 3600000   # how often deleted tasks past a team's retention go
//! mention_check_ms = 2000        # how often queued @mentions are emailed
//! ```

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use serde::Deserialize;

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// PostgreSQL instead of the SQLite file in `data_dir` (then nothing is
    /// written there).
    pub database: Option<DatabaseUrl>,
    /// NATS, through which nodes on one database pass changes and presence.
    pub nats: Option<String>,
    /// Hub shards (threads that own documents); `None`: one per core.
    pub hub_shards: Option<usize>,
    /// Largest WebSocket message accepted, in bytes.
    pub max_message_bytes: usize,
    /// Let anyone create an account (the first account can always be created).
    pub open_registration: bool,
    /// Serve HTTPS/WSS with this certificate chain and key (PEM).
    pub tls: Option<TlsFiles>,
    /// Reverse proxies (Caddy, nginx) whose `X-Forwarded-For` names the
    /// client; from anyone else the header is ignored.
    pub trusted_proxies: Vec<Proxies>,
    /// Where email goes out (invites, password resets, digests); none: no
    /// email.
    pub smtp: Option<SmtpUrl>,
    /// The sender of the relay's email.
    pub mail_from: Option<String>,
    /// The relay's address as people reach it (for links in email).
    pub public_url: Option<String>,
    pub limits: Limits,
    /// Tests only (no flag, no file key): a sync frame for this document
    /// makes the hub panic, to show the panic is contained.
    #[doc(hidden)]
    pub inject_panic_on: Option<String>,
}

/// Rates, quotas and lifetimes; each refusal names the limit.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// A device token unused for this many days stops working (sliding).
    pub token_days: u32,
    pub logins_per_minute_per_ip: u32,
    pub logins_per_minute_per_account: u32,
    pub signups_per_hour_per_ip: u32,
    /// Password hashes (19 MiB each) computed at once; more wait briefly,
    /// then get 503 with Retry-After.
    pub password_hashing: usize,
    /// How long a password check waits for a free slot before 503.
    pub password_wait_ms: u64,
    pub teams_per_account: u32,
    pub devices_per_account: u32,
    pub documents_per_team: u32,
    pub bytes_per_team: u64,
    pub documents_per_connection: u32,
    /// Audit events older than this are deleted.
    pub audit_days: u32,
    /// Bytes (MiB) waiting to be sent to every connection together; past
    /// it, a connection with a backlog is cut off as a slow reader.
    pub send_queues_mib: u32,
    /// Requests a minute to `/api/v1` per API key (or per account).
    pub api_requests_per_minute: u32,
    /// Allow webhooks to loopback, private and link-local addresses (off:
    /// a team admin could otherwise make the relay call internal services).
    pub webhook_private_targets: bool,
    /// The hour (0–23, in each person's own time zone) from which their
    /// daily digest of due and overdue tasks is sent (with `--smtp`).
    pub digest_hour: u8,
    /// How often the relay looks for digests due.
    pub digest_check_ms: u64,
    /// How often deleted tasks past their team's retention are removed.
    pub retention_check_ms: u64,
    /// How often queued `@name` mentions are emailed (with `--smtp`).
    pub mention_check_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            token_days: 90,
            logins_per_minute_per_ip: 30,
            logins_per_minute_per_account: 10,
            signups_per_hour_per_ip: 30,
            password_hashing: std::thread::available_parallelism().map_or(2, |n| n.get()),
            password_wait_ms: 2000,
            teams_per_account: 50,
            devices_per_account: 100,
            documents_per_team: 20_000,
            bytes_per_team: 5 * 1024 * 1024 * 1024,
            documents_per_connection: 5_000,
            audit_days: 365,
            send_queues_mib: 256,
            api_requests_per_minute: 600,
            webhook_private_targets: false,
            digest_hour: 7,
            digest_check_ms: 60_000,
            retention_check_ms: 3_600_000,
            mention_check_ms: 2_000,
        }
    }
}

/// Addresses of reverse proxies: one address, or a network in CIDR form
/// (`10.0.0.0/8`, for proxies with changing addresses in a container
/// network).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proxies(pub ipnet::IpNet);

impl Proxies {
    pub fn contains(&self, ip: &IpAddr) -> bool {
        self.0.contains(ip)
    }
}

impl std::str::FromStr for Proxies {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(Self(ipnet::IpNet::from(ip)));
        }
        s.parse::<ipnet::IpNet>().map(Self).map_err(|_| {
            format!("'{s}' is not an address or a network (write 127.0.0.1 or 10.0.0.0/8)")
        })
    }
}

impl<'de> Deserialize<'de> for Proxies {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A `postgres://` URL; its password is never printed.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(pub String);

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match url_without_password(&self.0) {
            Some(shown) => write!(f, "{shown}"),
            None => write!(f, "postgres://…"),
        }
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(Self(s.to_string()))
        } else {
            Err("give a PostgreSQL URL, postgres://USER:PASSWORD@HOST:5432/DATABASE".into())
        }
    }
}

/// An `smtp://` or `smtps://` URL; its password is never printed.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SmtpUrl(pub String);

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match url_without_password(&self.0) {
            Some(shown) => write!(f, "{shown}"),
            None => write!(f, "smtp://…"),
        }
    }
}

impl std::str::FromStr for SmtpUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("smtp://") || s.starts_with("smtps://") {
            Ok(Self(s.to_string()))
        } else {
            Err("give an SMTP URL, smtp://USER:PASSWORD@HOST:587 (STARTTLS) or smtps://USER:PASSWORD@HOST:465".into())
        }
    }
}

/// `postgres://user:***@host/db` for `postgres://user:secret@host/db`.
fn url_without_password(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let Some((userinfo, host)) = rest.split_once('@') else {
        return Some(url.to_string());
    };
    let user = userinfo.split(':').next().unwrap_or_default();
    Some(format!("{scheme}://{user}:***@{host}"))
}

/// The relay's certificate chain and private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 7280)),
            data_dir: PathBuf::from("./relay-data"),
            database: None,
            nats: None,
            hub_shards: None,
            max_message_bytes: 16 * 1024 * 1024,
            open_registration: false,
            tls: None,
            trusted_proxies: Vec::new(),
            smtp: None,
            mail_from: None,
            public_url: None,
            limits: Limits::default(),
            inject_panic_on: None,
        }
    }
}

impl Config {
    /// Hub shards to run: as configured, else one per core.
    pub fn shards(&self) -> usize {
        self.hub_shards
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
            .clamp(1, 256)
    }

    /// Defaults with a given data directory and port 0 (tests).
    pub fn for_dir(data_dir: PathBuf) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            ..Self::default()
        }
    }
}

/// Flags and environment; unset ones fall back to the file, then defaults.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConfigArgs {
    /// A TOML file with any of the settings below.
    #[arg(long, env = "PORCHLIGHT_RELAY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:7280].
    #[arg(long, env = "PORCHLIGHT_RELAY_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Where the relay keeps its database [default: ./relay-data].
    #[arg(long, env = "PORCHLIGHT_RELAY_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL instead of SQLite: postgres://USER:PASSWORD@HOST:5432/DB
    /// (sslmode=require for TLS; PGSSLROOTCERT names a private CA).
    #[arg(
        long,
        env = "PORCHLIGHT_RELAY_DATABASE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database: Option<DatabaseUrl>,
    /// NATS for several nodes on one PostgreSQL database: nats://HOST:4222.
    #[arg(long, env = "PORCHLIGHT_RELAY_NATS", value_name = "URL")]
    pub nats: Option<String>,
    /// Hub shards, the threads that own documents [default: one per core].
    #[arg(long, env = "PORCHLIGHT_RELAY_HUB_SHARDS")]
    pub hub_shards: Option<usize>,
    /// Largest WebSocket message accepted, in bytes [default: 16 MiB].
    #[arg(long, env = "PORCHLIGHT_RELAY_MAX_MESSAGE_BYTES")]
    pub max_message_bytes: Option<usize>,
    /// Let anyone create an account [default: false].
    #[arg(long, env = "PORCHLIGHT_RELAY_OPEN_REGISTRATION", num_args = 0..=1, default_missing_value = "true")]
    pub open_registration: Option<bool>,
    /// Serve HTTPS and WSS with this PEM certificate chain (with --tls-key);
    /// reloaded on SIGHUP.
    #[arg(long, env = "PORCHLIGHT_RELAY_TLS_CERT", value_name = "PEM")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's PEM private key.
    #[arg(long, env = "PORCHLIGHT_RELAY_TLS_KEY", value_name = "PEM")]
    pub tls_key: Option<PathBuf>,
    /// A reverse proxy whose X-Forwarded-For names the client (repeat, or
    /// comma-separated in the environment).
    #[arg(
        long = "trusted-proxy",
        env = "PORCHLIGHT_RELAY_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_name = "IP"
    )]
    pub trusted_proxies: Vec<Proxies>,
    /// Send email through this server: smtp://USER:PASSWORD@HOST:587
    /// (STARTTLS) or smtps://USER:PASSWORD@HOST:465 (TLS); plain smtp:// is
    /// allowed only to this machine.
    #[arg(
        long,
        env = "PORCHLIGHT_RELAY_SMTP",
        value_name = "URL",
        hide_env_values = true
    )]
    pub smtp: Option<SmtpUrl>,
    /// The sender of the relay's email: "Porchlight <relay@example.com>".
    #[arg(long, env = "PORCHLIGHT_RELAY_MAIL_FROM", value_name = "ADDRESS")]
    pub mail_from: Option<String>,
    /// The relay's public address (https://relay.example.com), for links
    /// in email.
    #[arg(long, env = "PORCHLIGHT_RELAY_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    database: Option<DatabaseUrl>,
    nats: Option<String>,
    hub_shards: Option<usize>,
    max_message_bytes: Option<usize>,
    open_registration: Option<bool>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    trusted_proxies: Option<Vec<Proxies>>,
    smtp: Option<SmtpUrl>,
    mail_from: Option<String>,
    public_url: Option<String>,
    limits: Option<Limits>,
}

impl ConfigArgs {
    /// Applies the precedence; a bad file is an error that names it.
    pub fn resolve(self) -> anyhow::Result<Config> {
        let file: FileConfig = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("cannot read the config file {}: {e}", path.display())
                })?;
                toml::from_str(&text).map_err(|e| {
                    anyhow::anyhow!("the config file {} is invalid: {e}", path.display())
                })?
            }
            None => FileConfig::default(),
        };
        let d = Config::default();
        let tls = match (
            self.tls_cert.or(file.tls_cert),
            self.tls_key.or(file.tls_key),
        ) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            (Some(_), None) => anyhow::bail!(
                "--tls-cert is given without --tls-key: give both (the certificate chain and its private key), or neither for plain HTTP"
            ),
            (None, Some(_)) => anyhow::bail!(
                "--tls-key is given without --tls-cert: give both (the certificate chain and its private key), or neither for plain HTTP"
            ),
        };
        let trusted_proxies = if self.trusted_proxies.is_empty() {
            file.trusted_proxies.unwrap_or_default()
        } else {
            self.trusted_proxies
        };
        let limits = file.limits.unwrap_or_default();
        if limits.password_hashing == 0 {
            anyhow::bail!(
                "limits.password_hashing is 0: at least one password check must be able to run"
            );
        }
        if limits.digest_hour > 23 {
            anyhow::bail!(
                "limits.digest_hour is {}: give an hour of the day, 0 to 23",
                limits.digest_hour
            );
        }
        Ok(Config {
            tls,
            trusted_proxies,
            limits,
            inject_panic_on: None,
            listen: self.listen.or(file.listen).unwrap_or(d.listen),
            data_dir: self.data_dir.or(file.data_dir).unwrap_or(d.data_dir),
            database: self.database.or(file.database),
            nats: self.nats.or(file.nats),
            smtp: self.smtp.or(file.smtp),
            mail_from: self.mail_from.or(file.mail_from),
            public_url: self.public_url.or(file.public_url),
            hub_shards: self.hub_shards.or(file.hub_shards),
            max_message_bytes: self
                .max_message_bytes
                .or(file.max_message_bytes)
                .unwrap_or(d.max_message_bytes),
            open_registration: self
                .open_registration
                .or(file.open_registration)
                .unwrap_or(d.open_registration),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: ConfigArgs,
    }

    fn resolve(argv: &[&str]) -> anyhow::Result<Config> {
        let cli = Cli::try_parse_from(std::iter::once("relay").chain(argv.iter().copied()))?;
        cli.args.resolve()
    }

    #[test]
    fn flags_beat_the_file_and_the_file_beats_defaults() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("relay.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9000\"\ndata_dir = \"/srv/relay\"\nopen_registration = true\n",
        )
        .expect("write");
        let f = file.to_str().expect("path");
        let c = resolve(&["--config", f]).expect("file");
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.data_dir, PathBuf::from("/srv/relay"));
        assert!(c.open_registration);
        assert_eq!(
            c.max_message_bytes,
            16 * 1024 * 1024,
            "default where the file is silent"
        );
        let c = resolve(&[
            "--config",
            f,
            "--listen",
            "127.0.0.1:7000",
            "--open-registration",
            "false",
        ])
        .expect("flags");
        assert_eq!(c.listen.port(), 7000);
        assert!(!c.open_registration);
        assert_eq!(resolve(&[]).expect("defaults").listen.port(), 7280);
    }

    #[test]
    fn tls_needs_both_files_from_flags_or_the_file() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("relay.toml");
        std::fs::write(
            &file,
            "tls_cert = \"/etc/c.pem\"\ntls_key = \"/etc/k.pem\"\n",
        )
        .expect("write");
        let c = resolve(&["--config", file.to_str().expect("p")]).expect("file");
        assert_eq!(
            c.tls,
            Some(TlsFiles {
                cert: "/etc/c.pem".into(),
                key: "/etc/k.pem".into()
            })
        );
        let c = resolve(&[
            "--config",
            file.to_str().expect("p"),
            "--tls-cert",
            "/srv/c.pem",
        ])
        .expect("flag beats file");
        assert_eq!(c.tls.expect("tls").cert, PathBuf::from("/srv/c.pem"));
        let err = resolve(&["--tls-cert", "/srv/c.pem"]).expect_err("no key");
        assert!(err.to_string().contains("--tls-key"), "{err}");
        assert_eq!(resolve(&[]).expect("defaults").tls, None);
    }

    #[test]
    fn a_database_url_comes_from_flags_env_or_file_and_its_password_is_never_printed() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("relay.toml");
        std::fs::write(
            &file,
            "database = \"postgres://relay:s3cret@db:5432/porchlight\"\n",
        )
        .expect("write");
        let c = resolve(&["--config", file.to_str().expect("p")]).expect("file");
        let url = c.database.clone().expect("database");
        assert_eq!(url.0, "postgres://relay:s3cret@db:5432/porchlight");
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("postgres://relay:***@db:5432/porchlight"),
            "{shown}"
        );
        let c = resolve(&["--database", "postgres://other@h/x"]).expect("flag");
        assert_eq!(c.database.expect("db").0, "postgres://other@h/x");
        let e = resolve(&["--database", "mysql://h/x"]).expect_err("not postgres");
        assert!(e.to_string().contains("PostgreSQL URL"), "{e}");
        assert_eq!(resolve(&[]).expect("defaults").database, None);
    }

    #[test]
    fn a_bad_file_is_named_in_the_error() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("relay.toml");
        std::fs::write(&file, "listen = 42\nbogus = true\n").expect("write");
        let err = resolve(&["--config", file.to_str().expect("p")]).expect_err("invalid");
        assert!(err.to_string().contains("relay.toml"), "{err}");
        let err = resolve(&["--config", "/nonexistent/relay.toml"]).expect_err("missing");
        assert!(err.to_string().contains("cannot read"), "{err}");
    }
}
