//! A RETS 1.7.2 / 1.8 session over HTTP.
//!
//! - Login resolves the capability URLs (relative ones against the login
//!   URL); a capability on another origin is refused unless the connection
//!   allows it (then it is fetched without credentials). Session cookies
//!   (`RETS-Session-ID`) live in reqwest's cookie jar, scoped by domain and
//!   path, one jar per session.
//! - Auth: HTTP Digest (answering each new challenge, counting `nc`)
//!   preferred, Basic only over https (never sent in the clear);
//!   `User-Agent`, `RETS-Version` and, with a UA password,
//!   `RETS-UA-Authorization` on every request.
//! - Replies are read with a cap ([`porchlight_net::caps::rets_page`]).
//! - Politeness: 5xx, 429 (`Retry-After` honoured, capped), 20209 and
//!   20210 (too many outstanding requests) are retried with backoff; a 401
//!   or a 20037 mid-session logs in again once.
//! - Logout is best effort: a failed logout does not fail the pull.

use std::collections::BTreeMap;
use std::sync::Arc;

use reqwest::Url;
use reqwest::cookie::CookieStore;
use reqwest::header::HeaderMap;

use porchlight_net::{Http, NetError, Pin, Reach, RetryPolicy};

use super::ReplyError;
use super::auth::{Challenge, basic, ua_authorization};
use super::compact::{self, CompactReply};
use super::login::{self, LoginReply};
use super::metadata::{self, Metadata};
use super::multipart::{self, ObjectPart};
use super::text;

/// One RETS server, account and class.
#[derive(Clone)]
pub struct RetsConfig {
    pub login_url: String,
    pub username: String,
    pub password: String,
    pub user_agent: String,
    /// The user-agent password, when the MLS registered this client.
    pub ua_password: Option<String>,
    /// `RETS/1.7.2` or `RETS/1.8`.
    pub version: String,
    /// The search type (resource), usually `Property`.
    pub resource: String,
    /// The class, e.g. `RES` or `ResidentialProperty`.
    pub class: String,
    pub page_size: usize,
    /// CA file and other allowed origins.
    pub net: crate::sources::NetSettings,
    /// System name → RESO name, for metadata without StandardNames.
    pub fields: BTreeMap<String, String>,
}

impl RetsConfig {
    /// The settings of a saved RETS connection, with its secrets; `None`
    /// when the connection is not RETS.
    pub fn from_source(
        source: &crate::sources::MlsSource,
        password: String,
        ua_password: Option<String>,
    ) -> Option<Self> {
        let r = source.rets.as_ref()?;
        Some(RetsConfig {
            login_url: source.url.clone(),
            username: r.username.clone(),
            password,
            user_agent: r.user_agent.clone(),
            ua_password,
            version: r.version.clone(),
            resource: source.resource.clone(),
            class: r.class.clone(),
            page_size: source.page_size,
            net: source.net.clone(),
            fields: r.fields.clone(),
        })
    }
}

impl std::fmt::Debug for RetsConfig {
    /// Never prints a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetsConfig")
            .field("login_url", &self.login_url)
            .field("username", &self.username)
            .field("user_agent", &self.user_agent)
            .field("version", &self.version)
            .field("resource", &self.resource)
            .field("class", &self.class)
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

/// What went wrong, in words.
#[derive(Debug, thiserror::Error)]
pub enum RetsError {
    #[error("cannot reach the RETS server at {url}: {reason}")]
    Network { url: String, reason: String },
    #[error("the RETS server refused the login: {0}")]
    Auth(String),
    #[error("the RETS server answered HTTP {status} to {url}: {body}")]
    Http {
        status: u16,
        url: String,
        body: String,
    },
    #[error("{url}: {error}")]
    Reply { url: String, error: ReplyError },
    #[error("the RETS login did not grant {0}; ask the MLS to enable it for this account")]
    NoCapability(&'static str),
    #[error(
        "the RETS server sent the same page again at offset {offset} (it ignores Offset?); stopped so nothing loops"
    )]
    RepeatedPage { offset: usize },
    #[error("the login URL {0:?} is not a URL")]
    BadUrl(String),
    #[error(
        "the RETS server at {0} asks for Basic authentication over plain http://, which would send the password in the clear; use the server's https:// login URL"
    )]
    BasicInTheClear(String),
    #[error(transparent)]
    Net(#[from] NetError),
    #[error(
        "the search page at offset {offset} has rows that do not fit its columns: {rows}. Nothing of this page was imported; `porchlight mls pull --skip-bad` imports the other rows and reports these"
    )]
    BadRows { offset: usize, rows: String },
    #[error(
        "the RETS server has no class '{class}' in {resource}; it has: {available} (give one with --class)"
    )]
    UnknownClass {
        resource: String,
        class: String,
        available: String,
    },
}

/// The RETS session.
#[derive(Debug)]
pub struct RetsClient {
    http: Http,
    pin: Pin,
    config: RetsConfig,
    login_url: Url,
    capabilities: BTreeMap<String, Url>,
    cookies: Arc<reqwest::cookie::Jar>,
    /// The Digest challenge being answered, and how many times.
    digest: Option<(Challenge, u32)>,
    /// The server asked for Basic.
    basic: bool,
    logged_in: bool,
    /// What the last login said.
    pub login_reply: Option<LoginReply>,
    /// How busy replies and network failures are retried.
    pub retry: RetryPolicy,
    /// Requests made (for progress and tests).
    pub requests: u64,
    /// The connection's request and volume limits.
    pub governor: porchlight_net::quota::Governor,
}

/// The reply codes that mean "busy, try again later".
const BUSY: [u32; 2] = [20209, 20210];
/// The reply code that means the session is gone (log in again).
const NOT_LOGGED_IN: u32 = 20037;

fn reply_code(body: &[u8]) -> Option<u32> {
    let start = body.trim_ascii_start();
    if !(start.starts_with(b"<?xml")
        || start
            .get(..5)
            .is_some_and(|s| s.eq_ignore_ascii_case(b"<rets")))
    {
        return None;
    }
    let (t, lower) = text::read(&body[..body.len().min(4096)]);
    text::status(&t, &lower).ok().map(|(code, _)| code)
}

impl RetsClient {
    pub fn new(config: RetsConfig) -> Result<Self, RetsError> {
        let login_url = Url::parse(&config.login_url)
            .map_err(|_| RetsError::BadUrl(config.login_url.clone()))?;
        let http = Http::get(config.net.ca_file.as_deref())?;
        let home = porchlight_net::Origin::of(&login_url)
            .ok_or_else(|| RetsError::BadUrl(config.login_url.clone()))?;
        let pin = Pin::new(home, &config.net.allow_origins);
        let governor = porchlight_net::quota::Governor::new(config.net.limits);
        Ok(Self {
            http,
            pin,
            config,
            login_url,
            capabilities: BTreeMap::new(),
            cookies: Arc::new(reqwest::cookie::Jar::default()),
            digest: None,
            basic: false,
            logged_in: false,
            login_reply: None,
            retry: RetryPolicy::VENDOR,
            requests: 0,
            governor,
        })
    }

    pub fn config(&self) -> &RetsConfig {
        &self.config
    }

    /// The HTTP clients this session uses (for photo `Location` links).
    pub fn http(&self) -> &Http {
        &self.http
    }

    /// A capability's absolute URL.
    pub fn capability(&self, name: &str) -> Option<&Url> {
        self.capabilities.get(name)
    }

    /// The value of a session cookie for `url`, if the jar has it.
    fn cookie(&self, url: &Url, name: &str) -> Option<String> {
        let all = self.cookies.cookies(url)?;
        all.to_str().ok()?.split(';').find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
    }

    /// The headers of a request to `url`; credentials (auth, cookies, the
    /// UA digest) only when it is the configured origin.
    fn headers(&mut self, url: &Url, reach: &Reach) -> HeaderMap {
        let mut h = HeaderMap::new();
        let mut set = |name: &'static str, value: &str| {
            if let Ok(v) = value.parse() {
                h.insert(name, v);
            }
        };
        set("user-agent", &self.config.user_agent);
        set("rets-version", &self.config.version);
        set("accept", "*/*");
        if *reach != Reach::Home {
            return h;
        }
        if let Some(jar) = self
            .cookies
            .cookies(url)
            .and_then(|v| v.to_str().ok().map(str::to_string))
        {
            set("cookie", &jar);
        }
        if let Some(ua_password) = &self.config.ua_password {
            let session = self.cookie(url, "RETS-Session-ID").unwrap_or_default();
            set(
                "rets-ua-authorization",
                &ua_authorization(
                    &self.config.user_agent,
                    ua_password,
                    "",
                    &session,
                    &self.config.version,
                ),
            );
        }
        let uri = match url.query() {
            Some(q) if !q.is_empty() => format!("{}?{q}", url.path()),
            _ => url.path().to_string(),
        };
        if let Some((challenge, nc)) = &mut self.digest {
            *nc += 1;
            let cnonce = format!("{:016x}", rand::random::<u64>());
            set(
                "authorization",
                &challenge.authorization(
                    &self.config.username,
                    &self.config.password,
                    "GET",
                    &uri,
                    *nc,
                    &cnonce,
                ),
            );
        } else if self.basic {
            set(
                "authorization",
                &basic(&self.config.username, &self.config.password),
            );
        }
        h
    }

    /// One GET, answering an auth challenge (a new or stale nonce, or a
    /// demand for Basic) once. Digest is preferred when both are offered;
    /// Basic is never answered over plain http.
    async fn get_once(&mut self, url: &Url) -> Result<(u16, HeaderMap, Vec<u8>), RetsError> {
        let reach = self
            .pin
            .reach(url)
            .ok_or_else(|| NetError::cross_origin(url, &self.pin.home))?;
        let mut answered = false;
        loop {
            let headers = self.headers(url, &reach);
            self.requests += 1;
            porchlight_net::take_turn(&mut self.governor).await?;
            let resp = self
                .http
                .pinned
                .get(url.clone())
                .headers(headers)
                .send()
                .await
                .map_err(|e| RetsError::Network {
                    url: url.to_string(),
                    reason: porchlight_net::describe(&e, url.as_str()),
                })?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            if reach == Reach::Home {
                let mut set_cookies = headers.get_all("set-cookie").iter();
                self.cookies.set_cookies(&mut set_cookies, url);
            }
            let body = porchlight_net::read_capped(
                resp,
                porchlight_net::caps::rets_page(),
                "a RETS reply",
                "; ask for fewer rows per page (--page-size)",
            )
            .await?;
            self.governor.after(body.len() as u64);
            if let Some(wait) = porchlight_net::limits::rate_limit_wait(&headers) {
                self.governor.pause(wait, std::time::Instant::now());
            }
            if status == 401 && !answered && reach == Reach::Home {
                let challenges: Vec<&str> = headers
                    .get_all("www-authenticate")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .collect();
                if let Some(c) = challenges.iter().find_map(|c| Challenge::parse(c)) {
                    answered = true;
                    if url.scheme() == "http"
                        && !porchlight_net::origin::is_loopback_host(url.host_str().unwrap_or(""))
                    {
                        tracing::warn!(
                            "RETS over plain http:// to {}: Digest keeps the password out of the request, but listings and the session cookie travel unencrypted",
                            self.pin.home
                        );
                    }
                    self.digest = Some((c, 0));
                    continue;
                }
                if challenges
                    .iter()
                    .any(|c| c.trim().to_ascii_lowercase().starts_with("basic"))
                {
                    if url.scheme() != "https" {
                        return Err(RetsError::BasicInTheClear(self.pin.home.to_string()));
                    }
                    answered = true;
                    self.basic = true;
                    continue;
                }
            }
            return Ok((status, headers, body));
        }
    }

    /// A GET with retries (5xx, 429, busy codes) and one fresh login on a
    /// 401 or 20037 mid-session.
    async fn get(&mut self, url: Url) -> Result<(HeaderMap, Vec<u8>), RetsError> {
        let mut waits = self.retry.start();
        let mut logged_in_again = false;
        loop {
            let (status, headers, body) = match self.get_once(&url).await {
                Err(e @ RetsError::Network { .. }) => match waits.next_wait(None) {
                    Some(wait) => {
                        tracing::warn!("RETS request failed, retrying: {e}");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    None => return Err(e),
                },
                other => other?,
            };
            let code = if status == 200 {
                reply_code(&body)
            } else {
                None
            };
            let expired = status == 401 || code == Some(NOT_LOGGED_IN);
            if expired && self.logged_in && !logged_in_again {
                logged_in_again = true;
                tracing::info!("RETS session ended; logging in again");
                self.logged_in = false;
                self.cookies = Arc::new(reqwest::cookie::Jar::default());
                Box::pin(self.login()).await?;
                continue;
            }
            let busy = status == 429 || status >= 500 || code.is_some_and(|c| BUSY.contains(&c));
            if busy {
                let asked = porchlight_net::limits::retry_after(&headers);
                if let Some(wait) = waits.next_wait(asked) {
                    tokio::time::sleep(wait).await;
                    continue;
                }
            }
            if status == 401 || status == 403 {
                return Err(RetsError::Auth(format!(
                    "HTTP {status} (check the user name and password)"
                )));
            }
            if status != 200 {
                return Err(RetsError::Http {
                    status,
                    url: url.to_string(),
                    body: String::from_utf8_lossy(&body).chars().take(300).collect(),
                });
            }
            return Ok((headers, body));
        }
    }

    fn url(&self, capability: &'static str, params: &[(&str, &str)]) -> Result<Url, RetsError> {
        let mut url = self
            .capabilities
            .get(capability)
            .cloned()
            .ok_or(RetsError::NoCapability(capability))?;
        if !params.is_empty() {
            url.query_pairs_mut().extend_pairs(params);
        }
        Ok(url)
    }

    fn reply<T>(&self, url: &Url, r: Result<T, ReplyError>) -> Result<T, RetsError> {
        r.map_err(|error| RetsError::Reply {
            url: url.to_string(),
            error,
        })
    }
}

mod transactions;

#[cfg(test)]
mod tests;
