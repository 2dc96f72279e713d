//! A RESO Web API (OData) client: listings modified since a high-water
//! mark, page by page.
//!
//! - Auth: a bearer token, or OAuth2 client credentials (the token is
//!   fetched, and fetched again once when the server says 401).
//! - Query: `$filter=ModificationTimestamp ge …`, `$orderby=ModificationTimestamp,
//!   ListingKey`, `$top`, `$count=true`, `$select` when the connection names
//!   its fields, `$expand=Media` when it wants photo links; then
//!   `@odata.nextLink` until there is none. A server that sends no next link
//!   is paged by timestamp windows ([`ResoClient::window_url`], see
//!   [`crate::pull`]). `ge` (not `gt`) so records that share the mark's
//!   timestamp are not skipped after a resume; importing them again changes
//!   nothing.
//! - Records: JSON values are flattened to text and read by
//!   [`Listing::from_fields`], so both enumeration styles, numbers sent as
//!   strings and fields that are all null read; nested values (Media) are
//!   kept as JSON text.
//! - Politeness: 429 and 5xx are retried (`Retry-After` honoured, capped),
//!   a few times, then reported.

use chrono::{DateTime, SecondsFormat, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use porchlight_model::listing::Listing;

/// How to sign in to the RESO server.
#[derive(Clone)]
pub enum ResoAuth {
    Bearer(String),
    ClientCredentials {
        token_url: String,
        client_id: String,
        client_secret: String,
        scope: Option<String>,
    },
}

impl std::fmt::Debug for ResoAuth {
    /// Never prints a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResoAuth::Bearer(_) => f.write_str("Bearer(…)"),
            ResoAuth::ClientCredentials {
                token_url,
                client_id,
                ..
            } => {
                write!(
                    f,
                    "ClientCredentials {{ token_url: {token_url}, client_id: {client_id}, secret: … }}"
                )
            }
        }
    }
}

/// One RESO server and resource.
#[derive(Debug, Clone)]
pub struct ResoConfig {
    /// The OData service root, e.g. `https://api.example.com/odata`.
    pub base_url: String,
    /// The resource, usually `Property`.
    pub resource: String,
    pub auth: ResoAuth,
    pub page_size: usize,
    /// Ask for `$expand=Media` (photo URLs come with each listing).
    pub expand_media: bool,
    /// `$select` these fields (with `ListingKey` and
    /// `ModificationTimestamp`); empty asks for every field.
    pub select: Vec<String>,
    /// CA file and other allowed origins.
    pub net: crate::sources::NetSettings,
}

/// What went wrong, in words.
#[derive(Debug, thiserror::Error)]
pub enum ResoError {
    #[error("cannot reach the RESO server at {url}: {reason}")]
    Network { url: String, reason: String },
    #[error("the RESO server refused the sign-in ({status}): {body}")]
    Auth { status: u16, body: String },
    #[error("the RESO server answered {status} to {url}: {body}")]
    Http {
        status: u16,
        url: String,
        body: String,
    },
    #[error("the RESO server's answer to {url} is not an OData page: {reason}")]
    NotOData { url: String, reason: String },
    #[error("record {index} of the page from {url} does not read: {reason}")]
    BadRecord {
        url: String,
        index: usize,
        reason: String,
    },
    #[error(
        "the page from {url} is not valid UTF-8 at byte {offset}{record}; the page was not used (the MLS must send UTF-8 JSON)"
    )]
    NotUtf8 {
        url: String,
        offset: usize,
        record: String,
    },
    #[error(transparent)]
    Net(#[from] porchlight_net::NetError),
}

/// One page of listings.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub listings: Vec<Listing>,
    /// `@odata.count` (a number or, from some servers, a string).
    pub total: Option<u64>,
    pub next: Option<String>,
    /// Records skipped (no key) or with values kept as text, in words.
    pub problems: Vec<String>,
}

/// The RESO client; keeps its OAuth2 token between requests.
#[derive(Debug)]
pub struct ResoClient {
    http: porchlight_net::Http,
    pin: porchlight_net::Pin,
    config: ResoConfig,
    token: Option<String>,
    /// How busy replies (429, 5xx) are retried.
    pub retry: porchlight_net::RetryPolicy,
    /// The server refused `$orderby` (501): pages come in its own order,
    /// linked by `@odata.nextLink`.
    no_orderby: bool,
    /// The server refused `$skip` (501): windows start after (`gt`) the
    /// newest timestamp fetched.
    no_skip: bool,
    /// The connection's request and volume limits.
    pub governor: porchlight_net::quota::Governor,
}

fn flatten(record: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    record
        .iter()
        .filter(|(k, _)| !k.starts_with('@'))
        .filter_map(|(k, v)| {
            let text = match v {
                Value::Null => return None,
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                other => other.to_string(),
            };
            Some((k.clone(), text))
        })
        .collect()
}

/// Reads one OData page.
pub fn parse_page(url: &str, body: &Value) -> Result<Page, ResoError> {
    let not_odata = |reason: &str| ResoError::NotOData {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let values = body
        .get("value")
        .and_then(Value::as_array)
        .ok_or_else(|| not_odata("no \"value\" array"))?;
    let mut listings = Vec::with_capacity(values.len());
    let mut problems = Vec::new();
    for (index, v) in values.iter().enumerate() {
        let Some(record) = v.as_object() else {
            problems.push(format!("record {index}: not a JSON object; skipped"));
            continue;
        };
        let fields = flatten(record);
        match Listing::from_fields_lenient(fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
            Ok(read) => {
                for p in &read.problems {
                    problems.push(format!(
                        "{}: {} {}; kept as text",
                        read.listing.listing_key, p.field, p.message
                    ));
                }
                listings.push(read.listing);
            }
            Err(e) => problems.push(format!(
                "record {index}: {} {}; skipped",
                e.field, e.message
            )),
        }
    }
    let total = match body.get("@odata.count") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    let next = body
        .get("@odata.nextLink")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(Page {
        listings,
        total,
        next,
        problems,
    })
}

impl ResoConfig {
    /// The settings of a saved connection, with its secret.
    pub fn from_source(source: &crate::sources::MlsSource, secret: String) -> Self {
        let auth = match (&source.token_url, &source.client_id) {
            (Some(token_url), Some(client_id)) => ResoAuth::ClientCredentials {
                token_url: token_url.clone(),
                client_id: client_id.clone(),
                client_secret: secret,
                scope: None,
            },
            _ => ResoAuth::Bearer(secret),
        };
        ResoConfig {
            base_url: source.url.clone(),
            resource: source.resource.clone(),
            auth,
            page_size: source.page_size,
            expand_media: source.expand_media,
            select: source.select.clone(),
            net: source.net.clone(),
        }
    }
}

impl ResoClient {
    pub fn new(config: ResoConfig) -> Result<Self, ResoError> {
        let http = porchlight_net::Http::get(config.net.ca_file.as_deref())?;
        let home =
            porchlight_net::Origin::parse(&config.base_url).ok_or_else(|| ResoError::Network {
                url: config.base_url.clone(),
                reason: "not an http:// or https:// URL".into(),
            })?;
        let pin = porchlight_net::Pin::new(home, &config.net.allow_origins);
        let governor = porchlight_net::quota::Governor::new(config.net.limits);
        Ok(Self {
            http,
            pin,
            config,
            token: None,
            retry: porchlight_net::RetryPolicy::VENDOR,
            no_orderby: false,
            no_skip: false,
            governor,
        })
    }

    /// The HTTP clients it uses.
    pub fn http(&self) -> &porchlight_net::Http {
        &self.http
    }

    /// Whether listings come with their `Media` (photo links).
    pub fn expands_media(&self) -> bool {
        self.config.expand_media
    }

    /// The first page's URL for listings modified at or after `since`.
    pub fn first_url(&self, since: Option<DateTime<Utc>>) -> String {
        self.window_url(since, 0)
    }

    /// The page size asked for.
    pub fn page_size(&self) -> usize {
        self.config.page_size.max(1)
    }

    /// A timestamp window: listings modified at or after `since`, skipping
    /// the first `skip` of them (those at `since` already fetched), for
    /// servers that send no `@odata.nextLink`.
    pub fn window_url(&self, since: Option<DateTime<Utc>>, skip: usize) -> String {
        // Without $skip, a window starts after the edge instant (records
        // sharing it were fetched already, unless more than a page did).
        let op = if self.no_skip && skip > 0 { "gt" } else { "ge" };
        let filter = since.map(|at| {
            format!(
                "ModificationTimestamp {op} {}",
                at.to_rfc3339_opts(SecondsFormat::Millis, true)
            )
        });
        self.query_url(filter, true, skip)
    }

    /// The URL that asks for one listing by its key, with the same fields
    /// (and Media) as a pull: fresh photo links when the stored ones have
    /// expired.
    pub fn listing_url(&self, key: &str) -> String {
        // An OData string literal doubles its quotes.
        let literal = format!("'{}'", key.replace('\'', "''"));
        let filter = format!("ListingKey eq {literal}");
        self.query_url(Some(filter), false, 0)
    }

    fn query_url(&self, filter: Option<String>, paged: bool, skip: usize) -> String {
        let c = &self.config;
        let mut query: Vec<(&str, String)> = vec![("$top", c.page_size.max(1).to_string())];
        if paged {
            if !self.no_orderby {
                query.push((
                    "$orderby",
                    "ModificationTimestamp asc,ListingKey asc".into(),
                ));
            }
            query.push(("$count", "true".into()));
        }
        if let Some(filter) = filter {
            query.push(("$filter", filter));
        }
        if !c.select.is_empty() {
            let mut fields = vec!["ListingKey", "ModificationTimestamp"];
            for f in &c.select {
                if !fields.contains(&f.as_str()) {
                    fields.push(f);
                }
            }
            query.push(("$select", fields.join(",")));
        }
        if c.expand_media {
            query.push(("$expand", "Media".into()));
        }
        if skip > 0 && !self.no_skip {
            query.push(("$skip", skip.to_string()));
        }
        let query: Vec<String> = query
            .iter()
            .map(|(name, value)| format!("{name}={}", odata_encode(value)))
            .collect();
        format!(
            "{}/{}?{}",
            c.base_url.trim_end_matches('/'),
            c.resource,
            query.join("&")
        )
    }

    /// Asks the MLS for one listing as it is now (`None` when it no
    /// longer has it).
    pub async fn fetch_listing(&mut self, key: &str) -> Result<Option<Listing>, ResoError> {
        let url = self.listing_url(key);
        let page = self.page(&url).await?;
        Ok(page.listings.into_iter().find(|l| l.listing_key == key))
    }

    /// After a refusal of a query option (501 Not Implemented, or a 400
    /// that names it), stops using it; true if something changed, so the
    /// request is worth making again in the simpler form.
    pub fn degrade(&mut self, error: &ResoError) -> bool {
        let ResoError::Http { status, url, body } = error else {
            return false;
        };
        let names = |opt: &str| {
            *status == 501 || (*status == 400 && body.to_ascii_lowercase().contains(opt))
        };
        if url.contains("$orderby") && !self.no_orderby && names("orderby") {
            self.no_orderby = true;
            return true;
        }
        if url.contains("$skip") && !self.no_skip && names("skip") {
            self.no_skip = true;
            return true;
        }
        false
    }

    async fn token(&mut self, fresh: bool) -> Result<String, ResoError> {
        if let (Some(t), false) = (&self.token, fresh) {
            return Ok(t.clone());
        }
        let token = match &self.config.auth {
            ResoAuth::Bearer(t) => t.clone(),
            ResoAuth::ClientCredentials {
                token_url,
                client_id,
                client_secret,
                scope,
            } => {
                let mut form = vec![
                    ("grant_type", "client_credentials".to_string()),
                    ("client_id", client_id.clone()),
                    ("client_secret", client_secret.clone()),
                ];
                if let Some(s) = scope {
                    form.push(("scope", s.clone()));
                }
                porchlight_net::take_turn(&mut self.governor).await?;
                let resp = self
                    .http
                    .pinned
                    .post(token_url)
                    .form(&form)
                    .send()
                    .await
                    .map_err(|e| ResoError::Network {
                        url: token_url.clone(),
                        reason: porchlight_net::describe(&e, token_url),
                    })?;
                let status = resp.status().as_u16();
                let bytes = porchlight_net::read_capped(
                    resp,
                    porchlight_net::caps::json(),
                    "an OAuth2 token",
                    "",
                )
                .await?;
                let text = String::from_utf8_lossy(&bytes).into_owned();
                if status != 200 {
                    return Err(ResoError::Auth { status, body: text });
                }
                let v: Value = serde_json::from_str(&text).map_err(|e| ResoError::Auth {
                    status,
                    body: format!("not JSON: {e}"),
                })?;
                v["access_token"]
                    .as_str()
                    .ok_or_else(|| ResoError::Auth {
                        status,
                        body: "no access_token in the answer".into(),
                    })?
                    .to_string()
            }
        };
        self.token = Some(token.clone());
        Ok(token)
    }

    /// Fetches one page, retrying 429 and 5xx and signing in again once on
    /// 401. A URL off the configured origin is refused (or, when the
    /// connection allows that origin, fetched without the token).
    pub async fn page(&mut self, url: &str) -> Result<Page, ResoError> {
        let parsed = reqwest::Url::parse(url).map_err(|_| ResoError::NotOData {
            url: url.to_string(),
            reason: "the next-page link is not a URL".into(),
        })?;
        let reach = self
            .pin
            .reach(&parsed)
            .ok_or_else(|| porchlight_net::NetError::cross_origin(&parsed, &self.pin.home))?;
        let mut waits = self.retry.start();
        let mut signed_in_again = false;
        loop {
            let mut req = self
                .http
                .pinned
                .get(parsed.clone())
                .header("Accept", "application/json");
            if reach == porchlight_net::Reach::Home {
                req = req.bearer_auth(self.token(false).await?);
            }
            porchlight_net::take_turn(&mut self.governor).await?;
            let resp = req.send().await.map_err(|e| ResoError::Network {
                url: url.to_string(),
                reason: porchlight_net::describe(&e, url),
            })?;
            let status = resp.status().as_u16();
            if let Some(wait) = porchlight_net::limits::rate_limit_wait(resp.headers()) {
                self.governor.pause(wait, std::time::Instant::now());
            }
            if status == 401
                && !signed_in_again
                && matches!(self.config.auth, ResoAuth::ClientCredentials { .. })
            {
                signed_in_again = true;
                self.token(true).await?;
                continue;
            }
            if status == 429 || status >= 500 && status != 501 {
                let asked = porchlight_net::limits::retry_after(resp.headers());
                if let Some(wait) = waits.next_wait(asked) {
                    tokio::time::sleep(wait).await;
                    continue;
                }
            }
            let bytes = porchlight_net::read_capped(
                resp,
                porchlight_net::caps::json(),
                "a RESO page",
                "; ask for fewer listings per page (--page-size)",
            )
            .await?;
            self.governor.after(bytes.len() as u64);
            if status == 401 || status == 403 {
                return Err(ResoError::Auth {
                    status,
                    body: String::from_utf8_lossy(&bytes).chars().take(300).collect(),
                });
            }
            if status != 200 {
                return Err(ResoError::Http {
                    status,
                    url: url.to_string(),
                    body: String::from_utf8_lossy(&bytes).chars().take(300).collect(),
                });
            }
            return read_page(url, &bytes);
        }
    }
}

/// Reads a page's bytes: strict UTF-8 (a bad byte names its record), then
/// [`parse_page`].
pub fn read_page(url: &str, bytes: &[u8]) -> Result<Page, ResoError> {
    if let Err(e) = std::str::from_utf8(bytes) {
        let offset = e.valid_up_to();
        return Err(ResoError::NotUtf8 {
            url: url.to_string(),
            offset,
            record: record_near(&bytes[..offset]),
        });
    }
    let body: Value = serde_json::from_slice(bytes).map_err(|e| ResoError::NotOData {
        url: url.to_string(),
        reason: if e.is_eof() {
            format!("the JSON ends early ({e}): the page was cut off")
        } else {
            format!("not JSON ({e})")
        },
    })?;
    parse_page(url, &body)
}

/// ", in the record with ListingKey X" for the last key before a bad byte.
fn record_near(before: &[u8]) -> String {
    let text = String::from_utf8_lossy(before);
    let Some(at) = text.rfind("\"ListingKey\"") else {
        return String::new();
    };
    let rest = &text[at + "\"ListingKey\"".len()..];
    let key: String = rest
        .trim_start_matches([' ', ':', '"'])
        .chars()
        .take_while(|c| *c != '"')
        .take(80)
        .collect();
    if key.is_empty() {
        String::new()
    } else {
        format!(", in the record with ListingKey {key}")
    }
}

/// The characters an OData query value keeps as they are: RFC 3986's
/// unreserved set. Everything else is percent-encoded, a space as `%20`
/// (not the form encoding's `+`, which OData servers do not all read as a
/// space) and the option names (`$filter`, `$top`) are written as they are.
const ODATA_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// One query option's value, encoded for an OData URL.
pub fn odata_encode(value: &str) -> String {
    utf8_percent_encode(value, ODATA_VALUE).to_string()
}

#[cfg(test)]
mod tests;
