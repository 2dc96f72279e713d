//! porchlight-net: the one HTTP layer every client connection goes through: the relay's
//! REST API and WebSocket, RESO (service and OAuth2 token URL), RETS (login
//! and every capability URL) and photo downloads.
//!
//! - TLS: rustls only, OS roots + private CAs ([`tls`]); no switch turns
//!   verification off.
//! - One pooled client per trust setting per process ([`Http::get`]): HTTP/2
//!   where the server offers it, gzip/deflate/br accepted, connect and read
//!   timeouts. Two flavours share the pool settings: `pinned` (credentials;
//!   a redirect to another origin is an error) and `open` (credential-free
//!   fetches such as photos on a CDN; redirects followed).
//! - Bodies are read with a cap ([`read_capped`]), streamed, so a reply
//!   over the cap is an error naming it, never an out-of-memory.
//! - Errors print their whole cause chain ([`explain::describe`]).
//! - One retry policy for every loop that tries again ([`RetryPolicy`]).

pub mod explain;
pub mod limits;
pub mod origin;
pub mod quota;
pub mod retry;
pub mod tls;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

pub use explain::describe;
pub use origin::{Origin, Pin, Reach};
pub use retry::{Retries, RetryPolicy};

/// Time to open a TCP connection and finish the TLS handshake.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// The longest silence while reading a reply.
pub const READ_TIMEOUT: Duration = Duration::from_secs(90);
/// Redirects followed at most (same origin for credentialed requests).
pub const MAX_REDIRECTS: usize = 10;

/// Body caps by kind of reply (bytes): a default each, changed with an
/// environment variable in MiB (`PORCHLIGHT_MAX_RETS_PAGE_MIB`,
/// `PORCHLIGHT_MAX_JSON_MIB`, `PORCHLIGHT_MAX_PHOTO_MIB`).
pub mod caps {
    const MIB: u64 = 1024 * 1024;

    fn from_env(var: &str, default_mib: u64) -> u64 {
        std::env::var(var)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|n| *n > 0)
            .unwrap_or(default_mib)
            .saturating_mul(MIB)
    }

    /// A RETS search page or metadata reply (COMPACT text): 256 MiB.
    pub fn rets_page() -> u64 {
        from_env("PORCHLIGHT_MAX_RETS_PAGE_MIB", 256)
    }

    /// A RESO OData page, an OAuth2 token or a relay REST reply: 32 MiB.
    pub fn json() -> u64 {
        from_env("PORCHLIGHT_MAX_JSON_MIB", 32)
    }

    /// One photo (or a GetObject reply of several): 64 MiB.
    pub fn photo() -> u64 {
        from_env("PORCHLIGHT_MAX_PHOTO_MIB", 64)
    }
}

/// What went wrong on the network, in the user's terms.
#[derive(Debug, Clone, thiserror::Error)]
pub enum NetError {
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error(
        "the reply from {url} is larger than {} MiB, the cap for {what}; nothing of it was used{hint} (or raise the cap: {})",
        cap / (1024 * 1024),
        cap_variable(what)
    )]
    TooLarge {
        url: String,
        cap: u64,
        what: &'static str,
        hint: &'static str,
    },
    #[error("the CA file {} cannot be used: {reason}", path.display())]
    CaFile { path: PathBuf, reason: String },
    #[error(
        "refused {url}: it is on {other}, not on {home} where this connection's credentials go; if this server really uses that host, allow it on the connection (--allow-origin {other_host}); nothing was sent there"
    )]
    CrossOrigin {
        url: String,
        home: String,
        other: String,
        other_host: String,
    },
    #[error("{0}")]
    Setup(String),
    #[error(transparent)]
    Quota(#[from] crate::quota::QuotaError),
}

/// Waits for `governor`'s turn (or says which cap would be passed).
pub async fn take_turn(governor: &mut crate::quota::Governor) -> Result<(), NetError> {
    let wait = governor.before(chrono::Utc::now(), std::time::Instant::now())?;
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    Ok(())
}

impl NetError {
    /// A failed request, with its cause chain.
    pub fn send(e: &reqwest::Error, url: &str) -> Self {
        NetError::Unreachable {
            url: url.to_string(),
            reason: describe(e, url),
        }
    }

    /// A URL outside the pinned origin.
    pub fn cross_origin(url: &reqwest::Url, home: &Origin) -> Self {
        let other = Origin::of(url);
        NetError::CrossOrigin {
            url: url.to_string(),
            home: home.to_string(),
            other: other
                .as_ref()
                .map_or_else(|| url.to_string(), ToString::to_string),
            other_host: other.map_or_else(String::new, |o| o.host),
        }
    }
}

/// The environment variable that sets the cap for `what`.
fn cap_variable(what: &str) -> &'static str {
    if what.contains("RETS") {
        "PORCHLIGHT_MAX_RETS_PAGE_MIB"
    } else if what.contains("photo") {
        "PORCHLIGHT_MAX_PHOTO_MIB"
    } else {
        "PORCHLIGHT_MAX_JSON_MIB"
    }
}

/// The redirect to another origin that a pinned client refused.
#[derive(Debug)]
struct CrossOriginRedirect {
    from: String,
    to: String,
}

impl std::fmt::Display for CrossOriginRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the server redirected to {}, another origin than {}; Porchlight sends credentials only to the configured origin, so it did not follow",
            self.to, self.from
        )
    }
}

impl std::error::Error for CrossOriginRedirect {}

/// The process's HTTP clients for one trust setting (cheap to clone: the
/// connection pool is shared).
#[derive(Debug, Clone)]
pub struct Http {
    /// For requests that carry credentials: same-origin redirects only.
    pub pinned: reqwest::Client,
    /// For credential-free fetches (photo CDNs): redirects followed.
    pub open: reqwest::Client,
}

type CacheKey = (Option<OsString>, Option<PathBuf>);

fn cache() -> &'static Mutex<BTreeMap<CacheKey, Http>> {
    static CLIENTS: std::sync::OnceLock<Mutex<BTreeMap<CacheKey, Http>>> =
        std::sync::OnceLock::new();
    CLIENTS.get_or_init(|| Mutex::new(BTreeMap::new()))
}

fn builder(ca_file: Option<&Path>) -> Result<reqwest::ClientBuilder, NetError> {
    let config = tls::client_config(ca_file, tls::Alpn::Http)?;
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls((*config).clone())
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .pool_idle_timeout(Duration::from_secs(90))
        .user_agent(concat!("Porchlight/", env!("CARGO_PKG_VERSION"))))
}

impl Http {
    /// The clients for `ca_file` (plus `PORCHLIGHT_CA_FILE`), made once per
    /// process and reused.
    pub fn get(ca_file: Option<&Path>) -> Result<Http, NetError> {
        let key = (
            std::env::var_os(tls::CA_FILE_ENV),
            ca_file.map(Path::to_path_buf),
        );
        let mut clients = cache().lock().unwrap_or_else(|p| p.into_inner());
        if let Some(h) = clients.get(&key) {
            return Ok(h.clone());
        }
        let pinned = builder(ca_file)?
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                if attempt.previous().len() >= MAX_REDIRECTS {
                    return attempt.error("too many redirects");
                }
                let first = attempt.previous().first().and_then(Origin::of);
                let next = Origin::of(attempt.url());
                match (first, next) {
                    (Some(a), Some(b)) if a == b => attempt.follow(),
                    (a, _) => {
                        let err = CrossOriginRedirect {
                            from: a.map_or_else(String::new, |o| o.to_string()),
                            to: attempt.url().to_string(),
                        };
                        attempt.error(err)
                    }
                }
            }))
            .build()
            .map_err(|e| NetError::Setup(format!("cannot make an HTTP client: {e}")))?;
        let open = builder(ca_file)?
            .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
            .build()
            .map_err(|e| NetError::Setup(format!("cannot make an HTTP client: {e}")))?;
        let http = Http { pinned, open };
        clients.insert(key, http.clone());
        Ok(http)
    }
}

/// Reads a reply's body, at most `cap` bytes; more is [`NetError::TooLarge`].
pub async fn read_capped(
    mut resp: reqwest::Response,
    cap: u64,
    what: &'static str,
    hint: &'static str,
) -> Result<Vec<u8>, NetError> {
    let url = resp.url().to_string();
    let too_large = || NetError::TooLarge {
        url: url.clone(),
        cap,
        what,
        hint,
    };
    if resp.content_length().is_some_and(|n| n > cap) {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(resp.content_length().unwrap_or(0).min(cap) as usize);
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() as u64 + chunk.len() as u64 > cap {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => {
                return Err(NetError::Unreachable {
                    reason: format!("the reply broke off: {}", describe(&e, &url)),
                    url,
                });
            }
        }
    }
}

/// The rustls configuration for a WebSocket (HTTP/1.1 only).
pub fn websocket_tls(
    ca_file: Option<&Path>,
) -> Result<std::sync::Arc<rustls::ClientConfig>, NetError> {
    tls::client_config(ca_file, tls::Alpn::WebSocket)
}
