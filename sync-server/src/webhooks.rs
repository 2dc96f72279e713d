//! Webhooks: events from the boards' view, queued as deliveries in the
//! same transaction as the view change (an outbox), and a delivery task on
//! every node that sends them — signed as the Standard Webhooks spec says,
//! retried with exponential backoff and jitter for a day, then the
//! endpoint is disabled (and the team's audit log says so). Sending never
//! touches the hub, so a slow or dead receiver cannot slow sync.
//!
//! Targets are checked when an endpoint is added and again, by the
//! addresses its name resolves to, before every attempt (a name that moves
//! to a private address is refused then): `https://` only, except plain
//! `http://` to loopback; loopback, private, link-local and other internal
//! ranges only when the relay's configuration allows them
//! (`webhook_private_targets`).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use porchlight_api::tasks::ApiTask;
use porchlight_model::board::Task;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::store::{Audit, Delivery, NewEvent, Outcome, Store};

/// Deliveries claimed per round.
const CLAIM: i64 = 256;
/// How long a claimed delivery is leased to this node.
const LEASE_MS: i64 = 60_000;
/// One attempt's time limit.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How long an event is retried before the endpoint is disabled.
pub const GIVE_UP_MS: i64 = 24 * 3_600_000;
/// The body of the receiver's answer kept for the log.
const ANSWER_BYTES: usize = 200;
/// Days the delivery log keeps finished deliveries.
pub const LOG_DAYS: u32 = 30;

/// The TLS settings of webhook requests: the system's roots and
/// `PORCHLIGHT_CA_FILE` (a private CA), as everywhere in Porchlight.
fn tls() -> Result<rustls::ClientConfig, String> {
    static TLS: std::sync::OnceLock<Result<rustls::ClientConfig, String>> =
        std::sync::OnceLock::new();
    TLS.get_or_init(|| {
        porchlight_net::tls::client_config(None, porchlight_net::tls::Alpn::Http)
            .map(|c| (*c).clone())
            .map_err(|e| e.to_string())
    })
    .clone()
}

/// The signing secret of a new endpoint: `whsec_` and 24 random bytes in
/// base64, as the Standard Webhooks libraries expect.
pub fn new_secret() -> String {
    let raw: [u8; 24] = rand::random();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under `secret`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    ))
}

fn event_id() -> String {
    format!("msg_{}", porchlight_model::ids::random_hex(12))
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// An event id that is the same wherever the same change is seen (the
/// REST API and the view's indexer can both see one): the outbox keeps one
/// delivery per endpoint and id.
fn keyed_id(key: &str) -> String {
    let digest = crate::store::sha256_hex(key.as_bytes());
    format!("msg_{}", digest.get(..24).unwrap_or(&digest))
}

/// [`event`] with an id made from `key` (see [`keyed_id`]).
fn keyed_event(
    kind: &str,
    team: i64,
    board: Option<(&str, &str)>,
    data: Value,
    key: &str,
) -> NewEvent {
    NewEvent {
        id: keyed_id(&format!("{kind}\u{1f}{key}")),
        ..event(kind, team, board, data)
    }
}

/// An event's JSON body (schema version 1, in the OpenAPI document as
/// `WebhookEvent`, which a test holds every event to).
pub fn event(kind: &str, team: i64, board: Option<(&str, &str)>, data: Value) -> NewEvent {
    let mut body = json!({
        "type": kind,
        "version": 1,
        "timestamp": rfc3339(Utc::now()),
        "team": team,
        "data": data,
    });
    if let Some((id, name)) = board {
        body["board"] = json!({ "id": id, "name": name });
    }
    NewEvent {
        id: event_id(),
        kind: kind.to_string(),
        board: board.map(|b| b.0.to_string()).unwrap_or_default(),
        body: body.to_string(),
    }
}

/// The events one task's change makes: `old` as the view held it, `new` as
/// the document has it now.
pub fn task_events(
    team: i64,
    board: (&str, &str),
    old: Option<&Task>,
    new: &Task,
) -> Vec<NewEvent> {
    let api: ApiTask = crate::handlers::v1::api_task(new);
    let with = |extra: Value| {
        let mut d = json!({ "task": api });
        if let (Some(o), Value::Object(map)) = (d.as_object_mut(), extra) {
            o.extend(map);
        }
        d
    };
    // The task's state names the change: the API and the indexer, seeing
    // the same change, make the same ids.
    let state = format!(
        "{}\u{1f}{}\u{1f}{}",
        board.0,
        new.id,
        serde_json::to_string(new).unwrap_or_default()
    );
    let mut out = Vec::new();
    let Some(old) = old else {
        if !new.deleted && !new.archived {
            out.push(keyed_event(
                "task.created",
                team,
                Some(board),
                with(json!({})),
                &state,
            ));
        }
        return out;
    };
    if old.completed_at.is_none() && new.completed_at.is_some() {
        out.push(keyed_event(
            "task.completed",
            team,
            Some(board),
            with(json!({})),
            &state,
        ));
    }
    let added: Vec<&String> = new
        .assignees
        .iter()
        .filter(|a| !old.assignees.contains(a))
        .collect();
    if !added.is_empty() {
        out.push(keyed_event(
            "task.assigned",
            team,
            Some(board),
            with(json!({ "assigned": added })),
            &state,
        ));
    }
    for c in new
        .comments
        .iter()
        .filter(|c| !old.comments.iter().any(|o| o.id == c.id))
    {
        out.push(keyed_event(
            "comment.added",
            team,
            Some(board),
            with(json!({ "comment": {
                "id": c.id.to_string(), "author": c.author, "at": rfc3339(c.at), "text": c.text,
            }})),
            &format!("{}\u{1f}{}\u{1f}{}", board.0, new.id, c.id),
        ));
    }
    let mut changed = Vec::new();
    let fields: [(&str, bool); 12] = [
        ("title", old.title != new.title),
        ("description", old.description != new.description),
        ("column", old.column != new.column),
        ("due", old.due != new.due),
        ("reminder", old.reminder != new.reminder),
        ("priority", old.priority != new.priority),
        ("labels", old.labels != new.labels),
        ("assignees", old.assignees != new.assignees),
        ("checklist", old.checklist != new.checklist),
        ("recurrence", old.recurrence != new.recurrence),
        ("archived", old.archived != new.archived),
        ("deleted", old.deleted != new.deleted),
    ];
    for (name, differs) in fields {
        if differs {
            changed.push(name);
        }
    }
    if !changed.is_empty() {
        out.push(keyed_event(
            "task.updated",
            team,
            Some(board),
            with(json!({ "changed": changed })),
            &state,
        ));
    }
    out
}

/// `listing.changed`: the price or status of a listing in the team's
/// shared cache is not what the view held (`old`).
pub fn listing_changed(
    team: i64,
    source: &str,
    new: &porchlight_model::listing::Listing,
    old: &crate::store::ViewListing,
) -> NewEvent {
    let status = new.standard_status.map(|s| s.as_str());
    let mut changed = Vec::new();
    if new.list_price != old.list_price {
        changed.push("list_price");
    }
    if status != old.status.as_deref() {
        changed.push("status");
    }
    event(
        "listing.changed",
        team,
        None,
        json!({
            "listing": {
                "key": new.listing_key,
                "id": new.listing_id,
                "source": source,
                "address": new.unparsed_address,
                "city": new.city,
                "list_price": new.list_price,
                "status": status,
            },
            "previous": { "list_price": old.list_price, "status": old.status },
            "changed": changed,
        }),
    )
}

/// Queues `member.joined` for the team's webhooks (a failure is logged:
/// the member has joined either way).
pub async fn member_joined(state: &crate::AppState, team: i64, account: i64, role: &str) {
    let name = state
        .store
        .account_name(account)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let e = event(
        "member.joined",
        team,
        None,
        json!({ "member": { "account": account, "name": name, "role": role } }),
    );
    match state.store.enqueue_events(team, None, &[e]).await {
        Ok(n) if n > 0 => state.webhook_wake.notify_one(),
        Ok(_) => {}
        Err(e) => tracing::error!(team, error = %e, "cannot queue member.joined"),
    }
}

/// The body to post for an endpoint's format: the event itself, or a
/// chat service's incoming-webhook message.
pub fn payload(format: &str, body: &str) -> String {
    if !matches!(format, "slack" | "discord" | "teams") {
        return body.to_string();
    }
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let text = summary(&v);
    match format {
        "slack" => json!({ "text": text }).to_string(),
        "discord" => json!({ "content": text }).to_string(),
        // Microsoft Teams' incoming webhooks take a MessageCard.
        "teams" => json!({
            "@type": "MessageCard",
            "@context": "http://schema.org/extensions",
            "summary": text,
            "text": text,
        })
        .to_string(),
        _ => body.to_string(),
    }
}

/// One line for a person: "maria completed “Order the appraisal” on 48 Elm Ave".
pub fn summary(v: &Value) -> String {
    let task = &v["data"]["task"];
    let title = task["title"].as_str().unwrap_or("a task");
    let board = v["board"]["name"].as_str().unwrap_or("a board");
    let by = task["updated_by"].as_str().unwrap_or("someone");
    match v["type"].as_str().unwrap_or("") {
        "task.created" => format!("{by} added “{title}” on {board}"),
        "task.completed" => format!("{by} completed “{title}” on {board}"),
        "task.assigned" => {
            let who: Vec<&str> = v["data"]["assigned"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            format!("{by} assigned “{title}” on {board} to {}", who.join(", "))
        }
        "comment.added" => format!(
            "{} commented on “{title}” on {board}: {}",
            v["data"]["comment"]["author"].as_str().unwrap_or(by),
            v["data"]["comment"]["text"].as_str().unwrap_or("")
        ),
        "task.updated" => {
            let fields: Vec<&str> = v["data"]["changed"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            format!(
                "{by} changed the {} of “{title}” on {board}",
                fields.join(", ")
            )
        }
        "listing.changed" => {
            let l = &v["data"]["listing"];
            let p = &v["data"]["previous"];
            let name = l["address"]
                .as_str()
                .or(l["id"].as_str())
                .or(l["key"].as_str())
                .unwrap_or("a listing");
            let mut parts = Vec::new();
            if l["list_price"] != p["list_price"] {
                parts.push(format!(
                    "price {} → {}",
                    money(&p["list_price"]),
                    money(&l["list_price"])
                ));
            }
            if l["status"] != p["status"] {
                parts.push(format!(
                    "status {} → {}",
                    p["status"].as_str().unwrap_or("none"),
                    l["status"].as_str().unwrap_or("none")
                ));
            }
            format!("{name}: {}", parts.join("; "))
        }
        "member.joined" => format!(
            "{} joined the team",
            v["data"]["member"]["name"].as_str().unwrap_or("someone")
        ),
        "webhook.test" => "Porchlight test message: this webhook works.".to_string(),
        other => format!("Porchlight: {other}"),
    }
}

/// A price for a chat line: "$480,000", or "none".
fn money(v: &Value) -> String {
    let Some(n) = v.as_f64() else {
        return "none".into();
    };
    let whole = n.round() as i64;
    let digits = whole.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}${out}", if whole < 0 { "-" } else { "" })
}

/// Whether an address is one a webhook may reach only when the relay
/// allows internal targets.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1])) // CGNAT
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (o[1] == 18 || o[1] == 19))
                || o[0] >= 240
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || v6.to_ipv4_mapped().is_some_and(|v4| is_internal(IpAddr::V4(v4)))
        }
    }
}

/// Checks a target URL's form: https, or http to loopback; no credentials.
pub fn check_url(url: &str) -> Result<reqwest::Url, String> {
    let u = reqwest::Url::parse(url.trim())
        .map_err(|e| format!("'{url}' is not a URL ({e}); give a whole https:// address"))?;
    if !u.username().is_empty() || u.password().is_some() {
        return Err(
            "put no user name or password in the URL; the signature proves the sender".into(),
        );
    }
    let host = u.host_str().unwrap_or_default().to_string();
    let loopback = host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match u.scheme() {
        "https" => Ok(u),
        "http" if loopback => Ok(u),
        "http" => Err(format!(
            "webhooks go only to https:// addresses (plain http:// only to this machine, for testing), not {url}"
        )),
        other => Err(format!(
            "'{other}:' is not a web address; give an https:// URL"
        )),
    }
}

/// The addresses `url` resolves to, all allowed, or why not.
async fn resolve(url: &reqwest::Url, allow_internal: bool) -> Result<Vec<SocketAddr>, String> {
    let host = url.host_str().ok_or("the URL has no host")?;
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("{host} resolves to no address"));
    }
    if !allow_internal && let Some(bad) = addrs.iter().find(|a| is_internal(a.ip())) {
        return Err(format!(
            "{host} resolves to {}, an internal address; the relay's configuration does not allow webhooks there (webhook_private_targets)",
            bad.ip()
        ));
    }
    Ok(addrs)
}

/// Checks a new endpoint's URL, including where it resolves now.
pub async fn check_target(url: &str, allow_internal: bool) -> Result<(), String> {
    let u = check_url(url)?;
    resolve(&u, allow_internal).await.map(|_| ())
}

/// When attempt `attempts` (1 after the first failure) is retried: 5 s
/// doubling to at most an hour, with up to a quarter of jitter.
pub fn backoff_ms(attempts: i32) -> i64 {
    let base = 5_000i64
        .saturating_mul(1i64 << attempts.clamp(0, 20))
        .min(3_600_000);
    let jitter = (rand_u64() % (base as u64 / 4 + 1)) as i64;
    base + jitter
}

fn rand_u64() -> u64 {
    rand::random()
}

/// Emails the team's owners and admins that a webhook was given up on
/// (failures are logged: the audit log has it either way).
pub async fn tell_admins(store: &Store, mailer: &crate::mail::Mailer, d: &Delivery, error: &str) {
    let team = match store.team_info(d.hook.team).await {
        Ok(Some((name, _))) => name,
        _ => return,
    };
    let mail = crate::mail::webhook_disabled(&team, &d.hook.url, error, d.hook.id);
    let Ok(members) = store.members(d.hook.team).await else {
        return;
    };
    for m in members.iter().filter(|m| m.role.manages()) {
        if let Err(e) = mailer.send(&m.email, &mail).await {
            tracing::warn!(hook = d.hook.id, error = %e, "cannot email an admin that a webhook stopped");
        }
    }
}

/// HTTP clients by endpoint host and the addresses it was pinned to, so
/// deliveries to one receiver reuse its connections (a name that resolves
/// elsewhere gets a new client: the pin follows each check).
#[derive(Debug, Clone, Default)]
pub struct Clients(Arc<std::sync::Mutex<HashMap<Pin, reqwest::Client>>>);

/// A host and the addresses its client connects to.
type Pin = (String, Vec<SocketAddr>);

/// Endpoints whose clients are kept at most.
const CLIENTS: usize = 256;

impl Clients {
    fn get(&self, host: &str, addrs: &[SocketAddr]) -> Result<reqwest::Client, String> {
        let key = (host.to_string(), addrs.to_vec());
        if let Ok(map) = self.0.lock()
            && let Some(c) = map.get(&key)
        {
            return Ok(c.clone());
        }
        // Connect to the addresses just checked, not to whatever the name
        // resolves to a moment later.
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls()?)
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .resolve_to_addrs(host, addrs)
            .user_agent("Porchlight-Webhooks/1")
            .build()
            .map_err(|e| e.to_string())?;
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= CLIENTS {
                map.clear();
            }
            map.insert(key, client.clone());
        }
        Ok(client)
    }
}

/// Sends one delivery; what happened.
pub async fn attempt(delivery: &Delivery, allow_internal: bool, clients: &Clients) -> Outcome {
    let started = Instant::now();
    let now = crate::store::now_ms();
    let result = send(delivery, allow_internal, clients).await;
    let latency_ms = started.elapsed().as_millis() as i64;
    let (status, error) = match result {
        Ok(status) if (200..300).contains(&status) => {
            return Outcome::Delivered {
                status: i32::from(status),
                latency_ms,
            };
        }
        Ok(status) => (
            Some(i32::from(status)),
            format!("the receiver answered {status}"),
        ),
        Err(e) => (None, e),
    };
    if now - delivery.created_at >= GIVE_UP_MS {
        Outcome::Failed {
            status,
            error,
            latency_ms,
        }
    } else {
        Outcome::Retry {
            next_at: now + backoff_ms(delivery.attempts + 1),
            status,
            error,
            latency_ms,
        }
    }
}

async fn send(d: &Delivery, allow_internal: bool, clients: &Clients) -> Result<u16, String> {
    let url = check_url(&d.hook.url)?;
    let addrs = resolve(&url, allow_internal).await?;
    let host = url.host_str().unwrap_or_default().to_string();
    let client = clients.get(&host, &addrs)?;
    let body = payload(&d.hook.format, &d.body);
    let timestamp = Utc::now().timestamp();
    let mut req = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &d.event_id)
        .header("webhook-timestamp", timestamp.to_string());
    if let Some(sig) = sign(&d.hook.secret, &d.event_id, timestamp, &body) {
        req = req.header("webhook-signature", sig);
    }
    let resp = req.body(body).send().await.map_err(|e| {
        if e.is_timeout() {
            format!("no answer within {} s", TIMEOUT.as_secs())
        } else if e.is_connect() {
            "cannot connect".to_string()
        } else {
            e.to_string()
        }
    })?;
    let status = resp.status().as_u16();
    let mut text = resp.text().await.unwrap_or_default();
    text.truncate(ANSWER_BYTES);
    if (300..400).contains(&status) {
        return Err(format!(
            "the receiver redirected ({status}); webhooks do not follow redirects: give the final URL"
        ));
    }
    Ok(status)
}

/// The delivery task of this node, on a thread and a runtime of its own
/// (sending thousands of requests a second must not queue ahead of the
/// sync connections on the relay's runtime): claims due deliveries, sends
/// them a batch at a time, records each batch. `wake` is poked when new
/// events are queued; otherwise it looks every second. Dropping the handle
/// stops it.
pub fn spawn(
    store: Store,
    allow_internal: bool,
    wake: Arc<tokio::sync::Notify>,
    mailer: Option<crate::mail::Mailer>,
) -> std::io::Result<DeliveryThread> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("webhooks".into())
        .spawn(move || {
            lower_priority();
            runtime.block_on(async move {
                tokio::select! {
                    _ = deliver(store, allow_internal, wake, mailer) => {}
                    _ = stopped => {}
                }
            });
        })?;
    Ok(DeliveryThread { _stop: stop })
}

/// How much lower than the relay's own threads the delivery thread runs
/// (a nice value): deliveries are background work that may lag behind,
/// sync may not.
#[cfg(target_os = "linux")]
const BACKGROUND_NICE: i32 = 10;

/// Lowers this thread's scheduling priority (Linux: a thread's nice value;
/// the threads it starts, such as its runtime's blocking pool, inherit it),
/// so that when both cores are busy the sync connections run first.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        let tid = rustix::thread::gettid();
        if let Err(e) = rustix::process::setpriority_process(Some(tid), BACKGROUND_NICE) {
            tracing::warn!(error = %e, "cannot lower the webhook thread's priority; deliveries compete with sync for the CPU");
        }
    }
}

/// The running delivery thread; dropping it stops the thread.
#[derive(Debug)]
pub struct DeliveryThread {
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn deliver(
    store: Store,
    allow_internal: bool,
    wake: Arc<tokio::sync::Notify>,
    mailer: Option<crate::mail::Mailer>,
) {
    let clients = Clients::default();
    loop {
        let now = crate::store::now_ms();
        match store.claim_deliveries(now, now + LEASE_MS, CLAIM).await {
            Ok(due) if !due.is_empty() => {
                let mut sends = tokio::task::JoinSet::new();
                for d in due {
                    let (store, clients, mailer) = (store.clone(), clients.clone(), mailer.clone());
                    sends.spawn(async move {
                        let outcome = attempt(&d, allow_internal, &clients).await;
                        if let Outcome::Failed { error, .. } = &outcome {
                            tracing::warn!(hook = d.hook.id, url = %d.hook.url, %error, "webhook disabled after a day of failed deliveries");
                            store
                                .audit(Audit {
                                    event: "webhook.disabled",
                                    actor: None,
                                    team: Some(d.hook.team),
                                    source: None,
                                    target: Some(format!("webhook {} {}: {error}", d.hook.id, d.hook.url)),
                                })
                                .await;
                            if let Some(m) = &mailer {
                                tell_admins(&store, m, &d, error).await;
                            }
                        }
                        (d.id, d.hook.id, outcome)
                    });
                }
                // One transaction records the whole batch.
                let mut done = Vec::new();
                while let Some(r) = sends.join_next().await {
                    if let Ok(one) = r {
                        done.push(one);
                    }
                }
                if let Err(e) = store.finish_deliveries(&done).await {
                    tracing::error!(deliveries = done.len(), error = %e, "cannot record webhook deliveries; they are sent again when their lease ends");
                }
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "cannot read due webhook deliveries"),
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_the_standard_webhooks_example() {
        // The example from the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn only_https_or_loopback_http_and_no_internal_addresses() {
        assert!(check_url("https://hooks.example.com/x").is_ok());
        assert!(check_url("http://127.0.0.1:9000/hook").is_ok());
        assert!(check_url("http://localhost:9000/hook").is_ok());
        assert!(check_url("http://hooks.example.com/x").is_err());
        assert!(check_url("ftp://hooks.example.com/x").is_err());
        assert!(check_url("https://user:pw@hooks.example.com/x").is_err());
        assert!(check_url("not a url").is_err());
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_internal(internal.parse().expect("ip")), "{internal}");
        }
        for public in [
            "93.184.216.34",
            "2606:2800:220:1:248:1893:25c8:1946",
            "8.8.8.8",
        ] {
            assert!(!is_internal(public.parse().expect("ip")), "{public}");
        }
    }

    #[test]
    fn backoff_doubles_to_an_hour_with_jitter() {
        for (attempt, base) in [(1, 10_000), (2, 20_000), (5, 160_000), (30, 3_600_000)] {
            let ms = backoff_ms(attempt);
            assert!(ms >= base && ms <= base + base / 4, "{attempt}: {ms}");
        }
    }

    #[test]
    fn chat_formats_carry_one_readable_line() {
        let body = json!({
            "type": "task.completed", "version": 1, "team": 1,
            "board": { "id": "b", "name": "48 Elm Ave" },
            "data": { "task": { "title": "Order the appraisal", "updated_by": "maria" } },
        })
        .to_string();
        let line = "maria completed “Order the appraisal” on 48 Elm Ave";
        let slack: Value = serde_json::from_str(&payload("slack", &body)).expect("json");
        assert_eq!(slack["text"], line);
        let discord: Value = serde_json::from_str(&payload("discord", &body)).expect("json");
        assert_eq!(discord["content"], line);
        let teams: Value = serde_json::from_str(&payload("teams", &body)).expect("json");
        assert_eq!(teams["@type"], "MessageCard");
        assert_eq!(teams["text"], line);
        assert_eq!(payload("standard", &body), body);
    }

    #[test]
    fn a_listing_change_names_what_changed_in_its_body_and_its_chat_line() {
        let new = porchlight_model::listing::Listing {
            listing_key: "K1".into(),
            listing_id: Some("MLS-42".into()),
            unparsed_address: Some("48 Elm Ave".into()),
            list_price: Some(1_480_000.0),
            standard_status: Some(porchlight_model::listing::StandardStatus::Pending),
            ..Default::default()
        };
        let old = crate::store::ViewListing {
            key: "K1".into(),
            list_price: Some(1_500_000.0),
            status: Some("Active".into()),
        };
        let e = listing_changed(3, "reso-demo", &new, &old);
        assert_eq!(e.kind, "listing.changed");
        let v: Value = serde_json::from_str(&e.body).expect("json");
        assert_eq!(v["data"]["changed"], json!(["list_price", "status"]));
        assert_eq!(
            v["data"]["previous"],
            json!({ "list_price": 1_500_000.0, "status": "Active" })
        );
        assert_eq!(v["data"]["listing"]["status"], "Pending");
        assert_eq!(
            summary(&v),
            "48 Elm Ave: price $1,500,000 → $1,480,000; status Active → Pending"
        );
        let same_price = crate::store::ViewListing {
            list_price: Some(1_480_000.0),
            ..old
        };
        let v: Value =
            serde_json::from_str(&listing_changed(3, "s", &new, &same_price).body).expect("json");
        assert_eq!(v["data"]["changed"], json!(["status"]));
        assert_eq!(summary(&v), "48 Elm Ave: status Active → Pending");
    }
}
