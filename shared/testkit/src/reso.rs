//! A fake RESO Web API server (axum, port 0) for the replication tests: an
//! OAuth2 token endpoint and one resource, with switches for the failures a
//! real server shows — 429 with Retry-After, tokens that expire, a page
//! that fails with 500.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

pub use crate::serve::serve;

#[derive(Debug, Default)]
pub struct Fake {
    /// The records, in the order the server sorts them.
    pub records: Vec<Value>,
    pub token: Option<String>,
    pub tokens_issued: u32,
    /// Answer 429 (Retry-After: 1) to the next resource request.
    pub throttle_next: bool,
    /// Requests for a page starting at this offset fail with 500.
    pub fail_at_skip: Option<usize>,
    /// The current token stops working after this many more requests.
    pub token_uses_left: Option<u32>,
    pub requests: u32,
    pub throttled: u32,
    /// Send no @odata.nextLink (the client pages by timestamp windows).
    pub no_next_link: bool,
    /// Files served at /media/NAME (the Media records' MediaURLs).
    pub media: HashMap<String, Vec<u8>>,
    /// When not 0, media links are signed: the server adds `?sig=N` to
    /// every MediaURL it sends, and /media answers 403 ("Request has
    /// expired") to any other `sig` — raise it to expire the links sent.
    pub media_generation: u32,
    /// Requests for /media, and every `$filter` asked for.
    pub media_requests: u32,
    pub filters: Vec<String>,
    /// Every `$select` asked for, in order.
    pub selects: Vec<String>,
    /// "http" or "https": the scheme of the links it sends.
    pub scheme: String,
    /// Send next links to this origin instead of its own (a server that
    /// points its pages elsewhere).
    pub next_link_origin: Option<String>,
}

pub type Shared = Arc<Mutex<Fake>>;

pub const CLIENT_ID: &str = "porchlight";
pub const CLIENT_SECRET: &str = "fake secret";

async fn token(
    State(fake): State<Shared>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let ok = form.get("grant_type").map(String::as_str) == Some("client_credentials")
        && form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET);
    if !ok {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid_client" })),
        )
            .into_response();
    }
    let Ok(mut f) = fake.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    f.tokens_issued += 1;
    let t = format!("token-{}", f.tokens_issued);
    f.token = Some(t.clone());
    Json(json!({ "access_token": t, "token_type": "Bearer", "expires_in": 3600 })).into_response()
}

async fn property(
    State(fake): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Ok(mut f) = fake.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    f.requests += 1;
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    if let Some(left) = f.token_uses_left.as_mut() {
        if *left == 0 {
            f.token = None;
            f.token_uses_left = None;
        } else {
            *left -= 1;
        }
    }
    if bearer.is_none() || bearer != f.token {
        return (StatusCode::UNAUTHORIZED, "token expired or unknown").into_response();
    }
    if f.throttle_next {
        f.throttle_next = false;
        f.throttled += 1;
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("Retry-After", "1")],
            "slow down",
        )
            .into_response();
    }
    let top: usize = q.get("$top").and_then(|t| t.parse().ok()).unwrap_or(100);
    let skip: usize = q.get("$skip").and_then(|t| t.parse().ok()).unwrap_or(0);
    if f.fail_at_skip == Some(skip) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "database on fire").into_response();
    }
    // $select: only those properties (an expanded Media stays, as OData
    // says); a name the resource does not have is a 400, as servers answer.
    let select: Option<Vec<&str>> = q.get("$select").map(|s| s.split(',').collect());
    if let Some(fields) = &select {
        f.selects.push(fields.join(","));
        let known = |name: &str| {
            porchlight_store::listings::mapping::RESO_FIELDS.contains(&name)
                || f.records.iter().any(|r| r.get(name).is_some())
        };
        if let Some(unknown) = fields.iter().find(|n| !known(n)) {
            let message =
                format!("Could not find a property named '{unknown}' on type 'Property'.");
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": { "code": "", "message": message } })),
            )
                .into_response();
        }
    }
    if let Some(filter) = q.get("$filter") {
        f.filters.push(filter.clone());
    }
    let since = q
        .get("$filter")
        .and_then(|f| f.strip_prefix("ModificationTimestamp ge "))
        .map(str::to_string);
    // `ListingKey eq 'K'` (quotes doubled inside), as a photo-link refresh asks.
    let key = q
        .get("$filter")
        .and_then(|f| f.strip_prefix("ListingKey eq '"))
        .and_then(|k| k.strip_suffix('\''))
        .map(|k| k.replace("''", "'"));
    let generation = f.media_generation;
    let matching: Vec<Value> = f
        .records
        .iter()
        .filter(|r| match (&since, &key) {
            // ISO 8601 UTC strings of one shape compare as instants.
            (Some(s), _) => r["ModificationTimestamp"]
                .as_str()
                .is_some_and(|m| m[..19] >= s[..19]),
            (_, Some(k)) => r["ListingKey"].as_str() == Some(k.as_str()),
            (None, None) => true,
        })
        .map(|r| {
            let mut r = r.clone();
            if let (true, Some(Value::Array(items))) = (generation > 0, r.get_mut("Media")) {
                for m in items {
                    if let Some(url) = m["MediaURL"].as_str().map(str::to_string) {
                        m["MediaURL"] = json!(format!("{url}?sig={generation}"));
                    }
                }
            }
            r
        })
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(top)
        .map(|v| match (&select, v.as_object()) {
            (Some(fields), Some(record)) => Value::Object(
                record
                    .iter()
                    .filter(|(k, _)| fields.contains(&k.as_str()) || k.as_str() == "Media")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            _ => v.clone(),
        })
        .collect();
    let mut body = json!({
        "@odata.context": "$metadata#Property",
        // Some servers send the count as a string.
        "@odata.count": matching.len().to_string(),
        "value": page,
    });
    if skip + top < matching.len() && !f.no_next_link {
        let mut next: Vec<String> = q
            .iter()
            .filter(|(k, _)| k.as_str() != "$skip")
            .map(|(k, v)| format!("{k}={}", v.replace(' ', "%20")))
            .collect();
        next.sort();
        next.push(format!("$skip={}", skip + top));
        let host = headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        let origin = f
            .next_link_origin
            .clone()
            .unwrap_or_else(|| format!("{}://{host}", f.scheme));
        body["@odata.nextLink"] = json!(format!("{origin}/odata/Property?{}", next.join("&")));
    }
    Json(body).into_response()
}

async fn media(
    State(fake): State<Shared>,
    axum::extract::Path(name): axum::extract::Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Ok(mut f) = fake.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    f.media_requests += 1;
    let signed = f.media_generation.to_string();
    if f.media_generation > 0 && q.get("sig") != Some(&signed) {
        // As S3 answers a presigned link past its time.
        return (
            StatusCode::FORBIDDEN,
            "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
        )
            .into_response();
    }
    match f.media.get(&name) {
        Some(bytes) => ([("Content-Type", "image/jpeg")], bytes.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Starts the fake server; returns its base URL and state.
pub async fn start(records: Vec<Value>) -> (String, Shared) {
    start_with(records, None).await
}

/// [`start`], over HTTPS with `tls` (certificate, key) when given.
pub async fn start_with(
    records: Vec<Value>,
    tls: Option<(&std::path::Path, &std::path::Path)>,
) -> (String, Shared) {
    let fake: Shared = Arc::new(Mutex::new(Fake {
        records,
        ..Fake::default()
    }));
    let app = Router::new()
        .route("/token", post(token))
        .route("/odata/Property", get(property))
        .route("/media/{name}", get(media))
        .with_state(fake.clone());
    let (scheme, addr) = serve(app, tls).await;
    if let Ok(mut f) = fake.lock() {
        f.scheme = scheme.to_string();
    }
    (format!("{scheme}://{addr}"), fake)
}
