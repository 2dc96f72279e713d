//! A fake RETS 1.7.2 / 1.8 server (axum, port 0) written from the RETS
//! specification: Digest (or Basic) auth, a session cookie, capability
//! URLs (relative and absolute), COMPACT metadata with lookups, DMQL2
//! searches paged by Offset with a server-side MAXROWS cap, 20201, and
//! GetObject multipart/parallel photos — with switches for the failures
//! real servers show (busy codes, 5xx, expired sessions, a server that
//! ignores Offset, HTML where XML belongs, a failing logout).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use porchlight_store::listings::rets::auth;

pub use crate::serve::serve;

pub const USER: &str = "maria";
pub const PASSWORD: &str = "rets password";
pub const USER_AGENT: &str = "Porchlight/0.1";
pub const UA_PASSWORD: &str = "ua secret";
const REALM: &str = "rets@fake.example";

/// One listing on the fake MLS (what its COMPACT rows carry).
#[derive(Debug, Clone)]
pub struct Record {
    pub key: String,
    pub price: u32,
    /// A STATUS lookup code: A (Active), U (Under Contract), S (Sold).
    pub status: &'static str,
    /// FEATURES codes, comma-separated (LookupMulti).
    pub features: &'static str,
    pub city: String,
    /// `YYYY-MM-DDTHH:MM:SS`, UTC.
    pub modified: String,
    /// Raw bytes of the remarks (may be Latin-1, may hold bad references).
    pub remarks: Vec<u8>,
}

#[derive(Debug, Clone)]
pub enum Photo {
    Jpeg(Vec<u8>),
    Missing,
    Location(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoginStyle {
    /// RETS 1.7.2: a RETS-RESPONSE element, relative capability URLs.
    #[default]
    V17,
    /// RETS 1.0: key=value lines straight in <RETS>.
    V10,
    /// RETS 1.8: Info= lines.
    V18,
    /// An HTML sign-in page.
    Html,
}

#[derive(Debug, Default)]
pub struct Fake {
    pub records: Vec<Record>,
    pub photos: HashMap<String, Vec<Photo>>,
    /// GetObject requests answered.
    pub getobjects: u32,
    pub login_style: LoginStyle,
    /// Ask for Basic instead of Digest.
    pub basic: bool,
    /// Check RETS-UA-Authorization.
    pub ua_password: bool,
    /// The server sends at most this many rows per search (then MAXROWS).
    pub max_rows: usize,
    /// The delimiter byte as hex ("09", "7C"), or `None` for no tag (tab).
    pub delimiter: Option<&'static str>,
    /// Leave out the leading and trailing delimiters on each line.
    pub bare_lines: bool,
    /// Only single lookups (`Property:*` gets 20502).
    pub no_star_lookups: bool,
    /// Answer the next N searches with 20209 (too many outstanding queries).
    pub busy_next: u32,
    /// Answer the next N searches with 20210 (too many outstanding requests).
    pub busy_requests_next: u32,
    /// Signal "more rows" with ReplyCode 20208 instead of <MAXROWS/>.
    pub reply_20208: bool,
    /// A request without a live session gets HTTP 401 (not RETS 20037).
    pub session_gone_is_401: bool,
    /// Answer the next N searches with HTTP 503.
    pub unavailable_next: u32,
    /// Answer the next search with 429 and Retry-After: 1.
    pub throttle_next: bool,
    /// Searches at this offset fail with HTTP 500.
    pub fail_at_offset: Option<usize>,
    /// End the session (20037) after this many more searches.
    pub session_searches_left: Option<u32>,
    /// Ignore Offset (always send the first page).
    pub ignore_offset: bool,
    /// Separate multipart parts with bare LF.
    pub lf_only: bool,
    /// The logout transaction fails with 500.
    pub logout_fails: bool,
    /// Files served at /cdn/NAME (where Location parts point).
    pub cdn: HashMap<String, Vec<u8>>,
    /// "http" or "https": the scheme of the absolute URLs it sends.
    pub scheme: String,
    /// Searches at this offset send only the first two thirds of their
    /// reply (a dropped connection mid-page).
    pub cut_at_offset: Option<usize>,
    // What happened.
    pub session: Option<String>,
    pub logins: u32,
    pub logouts: u32,
    pub challenges: u32,
    pub searches: Vec<usize>,
    pub metadata_requests: Vec<String>,
    /// Requests that broke a rule (missing header, bad digest, no cookie).
    pub violations: Vec<String>,
}

pub type Shared = Arc<Mutex<Fake>>;

fn rets(code: u32, text: &str) -> String {
    format!("<?xml version=\"1.0\" ?>\r\n<RETS ReplyCode=\"{code}\" ReplyText=\"{text}\" />\r\n")
}

fn xml(body: impl Into<Vec<u8>>) -> Response {
    (StatusCode::OK, [("Content-Type", "text/xml")], body.into()).into_response()
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Checks auth and the RETS headers; `Err` is the response to send.
fn check(
    f: &mut Fake,
    h: &HeaderMap,
    path_and_query: &str,
    login: bool,
) -> Result<(), Box<Response>> {
    let authz = header(h, "authorization");
    let ok = if f.basic {
        authz == auth::basic(USER, PASSWORD)
    } else {
        crate::digest::digest_valid(authz, PASSWORD, "GET")
            && crate::digest::digest_param(authz, "uri").as_deref() == Some(path_and_query)
            && crate::digest::digest_param(authz, "username").as_deref() == Some(USER)
    };
    if !ok {
        if !authz.is_empty() {
            f.violations
                .push(format!("bad credentials for {path_and_query}"));
        }
        f.challenges += 1;
        let challenge = if f.basic {
            format!("Basic realm=\"{REALM}\"")
        } else {
            format!(
                "Digest realm=\"{REALM}\", nonce=\"n{}\", opaque=\"op\", qop=\"auth\"",
                f.challenges
            )
        };
        return Err(Box::new(
            (
                StatusCode::UNAUTHORIZED,
                [("WWW-Authenticate", challenge)],
                "",
            )
                .into_response(),
        ));
    }
    if header(h, "user-agent") != USER_AGENT {
        f.violations
            .push(format!("User-Agent {:?}", header(h, "user-agent")));
    }
    if !header(h, "rets-version").starts_with("RETS/1.") {
        f.violations.push("no RETS-Version".into());
    }
    let cookie_session = header(h, "cookie")
        .split(';')
        .filter_map(|c| c.trim().strip_prefix("RETS-Session-ID="))
        .next()
        .map(str::to_string);
    if f.ua_password {
        let expected = auth::ua_authorization(
            USER_AGENT,
            UA_PASSWORD,
            "",
            cookie_session.as_deref().unwrap_or(""),
            header(h, "rets-version"),
        );
        if header(h, "rets-ua-authorization") != expected {
            f.violations
                .push(format!("bad RETS-UA-Authorization for {path_and_query}"));
        }
    }
    if !login && (f.session.is_none() || cookie_session != f.session) {
        if f.session_gone_is_401 {
            return Err(Box::new(
                (StatusCode::UNAUTHORIZED, "session expired").into_response(),
            ));
        }
        return Err(Box::new(xml(rets(20037, "Not logged in"))));
    }
    Ok(())
}

/// Locks the fake and checks a request inside a session (auth, headers,
/// the session cookie); `Err` is the response to send instead.
fn session<'a>(
    fake: &'a Shared,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
) -> Result<std::sync::MutexGuard<'a, Fake>, Box<Response>> {
    let mut f = fake
        .lock()
        .map_err(|_| Box::new(StatusCode::INTERNAL_SERVER_ERROR.into_response()))?;
    let path_and_query = match uri.query() {
        Some(q) if !q.is_empty() => format!("{}?{q}", uri.path()),
        _ => uri.path().to_string(),
    };
    check(&mut f, headers, &path_and_query, false)?;
    Ok(f)
}

async fn login(State(fake): State<Shared>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let Ok(mut f) = fake.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if f.login_style == LoginStyle::Html {
        return (
            StatusCode::OK,
            [("Content-Type", "text/html")],
            "<html><body><h1>Sign in</h1></body></html>",
        )
            .into_response();
    }
    if let Err(r) = check(&mut f, &headers, uri.path(), true) {
        return *r;
    }
    f.logins += 1;
    let session = format!("S{}", f.logins);
    f.session = Some(session.clone());
    let host = header(&headers, "host").to_string();
    let scheme = if f.scheme.is_empty() {
        "http".to_string()
    } else {
        f.scheme.clone()
    };
    let body = match f.login_style {
        LoginStyle::V17 => format!(
            "<RETS ReplyCode=\"0\" ReplyText=\"Operation Successful\">\r\n<RETS-RESPONSE>\r\nMemberName=Maria Lopez\r\nUser=maria,1,AGENT,m1\r\nMetadataVersion=1.00.001\r\nGetMetadata = /rets/getmetadata\r\nSearch=/rets/search\r\nGetObject={scheme}://{host}/rets/getobject\r\nLogout=logout\r\n</RETS-RESPONSE>\r\n</RETS>\r\n"
        ),
        LoginStyle::V10 => "<RETS ReplyCode=\"0\" ReplyText=\"V1.0\">\nGetMetadata=getmetadata\nSearch=search\nGetObject=getobject\nLogout=logout\n</RETS>\n".to_string(),
        LoginStyle::V18 | LoginStyle::Html => "<RETS ReplyCode=\"0\" ReplyText=\"Success\">\n<RETS-RESPONSE>\nInfo=USERID;Character;maria\nInfo=MEMBERNAME;Character;Maria Lopez\nGetMetadata=/rets/getmetadata\nSearch=/rets/search\nGetObject=/rets/getobject\nLogout=/rets/logout\n</RETS-RESPONSE>\n</RETS>\n".to_string(),
    };
    (
        StatusCode::OK,
        [
            ("Content-Type", "text/xml".to_string()),
            ("Set-Cookie", format!("RETS-Session-ID={session}; Path=/")),
        ],
        body,
    )
        .into_response()
}

fn section(tag: &str, attrs: &str, columns: &[&str], rows: &[Vec<&str>]) -> String {
    let line = |v: &[&str]| format!("\t{}\t", v.join("\t"));
    let mut s = format!(
        "<{tag} {attrs} Version=\"1.00.001\" Date=\"2026-01-01T00:00:00Z\">\r\n<COLUMNS>{}</COLUMNS>\r\n",
        line(columns)
    );
    for r in rows {
        s.push_str(&format!("<DATA>{}</DATA>\r\n", line(r)));
    }
    s.push_str(&format!("</{tag}>\r\n"));
    s
}

fn lookup(name: &str) -> Option<String> {
    let rows: Vec<Vec<&str>> = match name {
        "STATUS" => vec![
            vec!["Active", "Act", "A"],
            vec!["Active Under Contract", "AUC", "U"],
            vec!["Sold", "Sld", "S"],
        ],
        "FEATURES" => vec![
            vec!["Pool", "PL", "P"],
            vec!["Garage", "GR", "G"],
            vec!["Fireplace", "FP", "F"],
        ],
        _ => return None,
    };
    Some(section(
        "METADATA-LOOKUP_TYPE",
        &format!("Resource=\"Property\" Lookup=\"{name}\""),
        &["LongValue", "ShortValue", "Value"],
        &rows,
    ))
}

async fn getmetadata(
    State(fake): State<Shared>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut f = match session(&fake, &headers, &uri) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let kind = q.get("Type").cloned().unwrap_or_default();
    let id = q.get("ID").cloned().unwrap_or_default();
    f.metadata_requests.push(format!("{kind} {id}"));
    let body = match (kind.as_str(), id.as_str()) {
        ("METADATA-RESOURCE", "0") => section(
            "METADATA-RESOURCE",
            "",
            &["ResourceID", "StandardName", "KeyField", "ClassCount"],
            &[vec!["Property", "Property", "LN", "1"]],
        ),
        ("METADATA-CLASS", "Property") => section(
            "METADATA-CLASS",
            "Resource=\"Property\"",
            &["ClassName", "StandardName", "Description"],
            &[
                vec!["RES", "ResidentialProperty", "Residential"],
                vec!["CND", "Condo", "Condominium"],
            ],
        ),
        ("METADATA-TABLE", "Property:RES") => section(
            "METADATA-TABLE",
            "Resource=\"Property\" Class=\"RES\"",
            &[
                "SystemName",
                "StandardName",
                "LongName",
                "DataType",
                "Interpretation",
                "LookupName",
            ],
            &[
                vec!["LN", "ListingID", "Listing Number", "Character", "", ""],
                vec!["LP", "ListPrice", "List Price", "Decimal", "Number", ""],
                vec![
                    "ST",
                    "ListingStatus",
                    "Status",
                    "Character",
                    "Lookup",
                    "STATUS",
                ],
                vec![
                    "FEAT",
                    "",
                    "Features",
                    "Character",
                    "LookupMulti",
                    "FEATURES",
                ],
                vec!["CITY", "City", "City", "Character", "", ""],
                vec![
                    "UPD",
                    "ModificationTimestamp",
                    "Last Updated",
                    "DateTime",
                    "",
                    "",
                ],
                vec!["REM", "PublicRemarks", "Remarks", "Character", "", ""],
            ],
        ),
        ("METADATA-LOOKUP_TYPE", "Property:*") if !f.no_star_lookups => {
            lookup("STATUS").unwrap_or_default() + &lookup("FEATURES").unwrap_or_default()
        }
        ("METADATA-LOOKUP_TYPE", one) => match one.strip_prefix("Property:").and_then(lookup) {
            Some(s) => s,
            None => return xml(rets(20502, "Invalid Identifier")),
        },
        _ => return xml(rets(20502, "Invalid Identifier")),
    };
    xml(format!(
        "<RETS ReplyCode=\"0\" ReplyText=\"Success\">\r\n{body}</RETS>\r\n"
    ))
}

async fn search(
    State(fake): State<Shared>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut f = match session(&fake, &headers, &uri) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    if let Some(left) = f.session_searches_left.as_mut() {
        if *left == 0 {
            f.session_searches_left = None;
            f.session = None;
            if f.session_gone_is_401 {
                return (StatusCode::UNAUTHORIZED, "session expired").into_response();
            }
            return xml(rets(20037, "Session expired"));
        }
        *left -= 1;
    }
    let offset: usize = q.get("Offset").and_then(|o| o.parse().ok()).unwrap_or(1);
    f.searches.push(offset);
    if f.unavailable_next > 0 {
        f.unavailable_next -= 1;
        return (StatusCode::SERVICE_UNAVAILABLE, "maintenance").into_response();
    }
    if f.throttle_next {
        f.throttle_next = false;
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("Retry-After", "1")],
            "slow down",
        )
            .into_response();
    }
    if f.busy_next > 0 {
        f.busy_next -= 1;
        return xml(rets(20209, "Too many outstanding queries"));
    }
    if f.busy_requests_next > 0 {
        f.busy_requests_next -= 1;
        return xml(rets(20210, "Too many outstanding requests"));
    }
    if f.fail_at_offset == Some(offset) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "database on fire").into_response();
    }
    if q.get("Format").map(String::as_str) != Some("COMPACT")
        || q.get("QueryType").map(String::as_str) != Some("DMQL2")
        || q.get("Class").map(String::as_str) != Some("RES")
    {
        f.violations.push(format!("search parameters {q:?}"));
    }
    // (UPD=2026-11-20T10:00:00+)
    let since = q
        .get("Query")
        .and_then(|s| s.strip_prefix("(UPD="))
        .and_then(|s| s.strip_suffix("+)"))
        .map(str::to_string);
    let Some(since) = since else {
        return xml(rets(20206, "Invalid Query Syntax"));
    };
    let matching: Vec<Record> = f
        .records
        .iter()
        .filter(|r| r.modified >= since)
        .cloned()
        .collect();
    if matching.is_empty() {
        return xml(rets(20201, "No Records Found"));
    }
    let limit: usize = q
        .get("Limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(usize::MAX);
    let per_page = limit.min(if f.max_rows == 0 {
        usize::MAX
    } else {
        f.max_rows
    });
    let start = if f.ignore_offset {
        0
    } else {
        offset.saturating_sub(1)
    };
    let page: Vec<&Record> = matching.iter().skip(start).take(per_page).collect();
    if page.is_empty() {
        return xml(rets(20201, "No Records Found"));
    }
    let (d, dhex) = match f.delimiter {
        Some(hex) => (u8::from_str_radix(hex, 16).unwrap_or(9), Some(hex)),
        None => (9, None),
    };
    let line = |fields: Vec<Vec<u8>>| -> Vec<u8> {
        let mut out = Vec::new();
        if !f.bare_lines {
            out.push(d);
        }
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                out.push(d);
            }
            out.extend_from_slice(field);
        }
        if !f.bare_lines {
            out.push(d);
        }
        out
    };
    let more = start + page.len() < matching.len();
    let mut body: Vec<u8> = if more && f.reply_20208 {
        b"<RETS ReplyCode=\"20208\" ReplyText=\"Maximum Records Exceeded\">\r\n".to_vec()
    } else {
        b"<RETS ReplyCode=\"0\" ReplyText=\"Operation Successful\">\r\n".to_vec()
    };
    if q.get("Count").map(String::as_str) == Some("1") {
        body.extend(format!("<COUNT Records=\"{}\" />\r\n", matching.len()).bytes());
    }
    if let Some(hex) = dhex {
        body.extend(format!("<DELIMITER value = \"{hex}\" />\r\n").bytes());
    }
    let columns = ["LN", "LP", "ST", "FEAT", "CITY", "UPD", "REM"]
        .map(|c| c.as_bytes().to_vec())
        .to_vec();
    body.extend(b"<COLUMNS>");
    body.extend(line(columns));
    body.extend(b"</COLUMNS>\r\n");
    for r in &page {
        body.extend(b"<DATA>");
        body.extend(line(vec![
            r.key.clone().into_bytes(),
            r.price.to_string().into_bytes(),
            r.status.as_bytes().to_vec(),
            r.features.as_bytes().to_vec(),
            r.city.clone().into_bytes(),
            r.modified.clone().into_bytes(),
            r.remarks.clone(),
        ]));
        body.extend(b"</DATA>\r\n");
    }
    if more && !f.reply_20208 {
        body.extend(b"<MAXROWS />\r\n");
    }
    body.extend(b"</RETS>\r\n");
    if f.cut_at_offset == Some(offset) {
        body.truncate(body.len() * 2 / 3);
    }
    xml(body)
}

async fn getobject(
    State(fake): State<Shared>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut f = match session(&fake, &headers, &uri) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    f.getobjects += 1;
    let id = q.get("ID").cloned().unwrap_or_default();
    let (key, which) = id.split_once(':').unwrap_or((id.as_str(), "*"));
    let Some(photos) = f.photos.get(key).cloned() else {
        return xml(rets(20403, "No Object Found"));
    };
    let wanted: Vec<usize> = if which == "*" {
        (1..=photos.len()).collect()
    } else {
        which.split(':').filter_map(|n| n.parse().ok()).collect()
    };
    if wanted.len() == 1 {
        let n = wanted[0];
        return match photos.get(n.wrapping_sub(1)) {
            Some(Photo::Jpeg(bytes)) => (
                StatusCode::OK,
                [
                    ("Content-Type", "image/jpeg".to_string()),
                    ("Content-ID", key.to_string()),
                    ("Object-ID", n.to_string()),
                ],
                bytes.clone(),
            )
                .into_response(),
            _ => xml(rets(20403, "No Object Found")),
        };
    }
    let nl: &[u8] = if f.lf_only { b"\n" } else { b"\r\n" };
    let boundary = "rets.object.boundary";
    let mut body = Vec::new();
    for n in wanted {
        body.extend(format!("--{boundary}").bytes());
        body.extend(nl);
        let (ctype, location, data): (&str, Option<String>, Vec<u8>) =
            match photos.get(n.wrapping_sub(1)) {
                Some(Photo::Jpeg(bytes)) => ("image/jpeg", None, bytes.clone()),
                Some(Photo::Location(url)) => ("image/jpeg", Some(url.clone()), Vec::new()),
                Some(Photo::Missing) | None => (
                    "text/xml",
                    None,
                    rets(20403, "No Object Found").into_bytes(),
                ),
            };
        for h in [
            format!("Content-Type: {ctype}"),
            format!("Content-ID: {key}"),
            format!("Object-ID: {n}"),
        ] {
            body.extend(h.bytes());
            body.extend(nl);
        }
        if let Some(l) = location {
            body.extend(format!("Location: {l}").bytes());
            body.extend(nl);
        }
        body.extend(nl);
        body.extend(data);
        body.extend(nl);
    }
    body.extend(format!("--{boundary}--").bytes());
    body.extend(nl);
    (
        StatusCode::OK,
        [(
            "Content-Type",
            format!("multipart/parallel; boundary=\"{boundary}\""),
        )],
        body,
    )
        .into_response()
}

async fn logout(State(fake): State<Shared>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let mut f = match session(&fake, &headers, &uri) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    f.logouts += 1;
    if f.logout_fails {
        return (StatusCode::INTERNAL_SERVER_ERROR, "logout broke").into_response();
    }
    f.session = None;
    xml(
        "<RETS ReplyCode=\"0\" ReplyText=\"Logged out\">\r\n<RETS-RESPONSE>\r\nConnectTime=12\r\n</RETS-RESPONSE>\r\n</RETS>\r\n",
    )
}

async fn cdn(
    State(fake): State<Shared>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Response {
    let Ok(f) = fake.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    match f.cdn.get(&name) {
        Some(bytes) => (
            StatusCode::OK,
            [("Content-Type", "image/jpeg")],
            bytes.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Starts the fake server; returns its login URL and state.
pub async fn start(fake: Fake) -> (String, Shared) {
    start_with(fake, None).await
}

/// [`start`], over HTTPS with `tls` (certificate, key) when given.
pub async fn start_with(
    fake: Fake,
    tls: Option<(&std::path::Path, &std::path::Path)>,
) -> (String, Shared) {
    let fake: Shared = Arc::new(Mutex::new(fake));
    let app = Router::new()
        .route("/rets/login", get(login))
        .route("/rets/getmetadata", get(getmetadata))
        .route("/rets/search", get(search))
        .route("/rets/getobject", get(getobject))
        .route("/rets/logout", get(logout))
        .route("/cdn/{name}", get(cdn))
        .with_state(fake.clone());
    let (scheme, addr) = serve(app, tls).await;
    if let Ok(mut f) = fake.lock() {
        f.scheme = scheme.to_string();
    }
    (format!("{scheme}://{addr}/rets/login"), fake)
}
