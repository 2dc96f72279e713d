//! The saved sign-in: which relay and account (`<data dir>/relay.json`),
//! the device token in the keychain, and the trust settings for the relay.

use std::path::{Path, PathBuf};

use porchlight_store::secrets::{Secrets, Stored};
use serde::{Deserialize, Serialize};

use crate::*;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credentials {
    pub relay: String,
    pub token: String,
    #[serde(default)]
    pub email: String,
    #[serde(flatten, default)]
    pub trust: Trust,
}

impl Credentials {
    /// The relay to talk to, checked against the trust settings.
    pub fn endpoint(&self) -> Result<Endpoint> {
        Endpoint::new(&self.relay, self.trust.clone())
    }
}

pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}

/// How a relay is trusted, saved with the sign-in: a private CA to add to
/// the roots, and whether plain http:// to a host off this machine is
/// allowed (never by default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trust {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_insecure_http: bool,
}

/// A relay's base URL with its trust settings: what [`call`] and the sync
/// connection take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub base: String,
    pub trust: Trust,
}

impl Endpoint {
    /// Normalizes `relay` ([`base_url`]) and refuses plain http:// to a
    /// host that is not this machine unless the trust settings allow it.
    pub fn new(relay: &str, trust: Trust) -> Result<Self> {
        let base = base_url(relay)?;
        let origin = porchlight_net::Origin::parse(&base)
            .ok_or_else(|| usage(format!("'{relay}' is not a relay URL")))?;
        if origin.is_plain() && !origin.is_loopback() && !trust.allow_insecure_http {
            return Err(usage(format!(
                "refusing {base}: plain http:// to a relay that is not on this machine would send the password and the device token across the network unencrypted. Use the relay's https:// address (serve it with --tls-cert/--tls-key or behind a proxy such as Caddy), or, on a network you trust, pass --allow-insecure-http"
            )));
        }
        Ok(Self { base, trust })
    }

    pub(crate) fn http(&self) -> Result<porchlight_net::Http> {
        porchlight_net::Http::get(self.trust.ca_file.as_deref())
            .map_err(|e| ClientError::Usage(e.to_string()))
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.base)
    }
}

pub(crate) fn credentials_path(data_dir: &Path) -> PathBuf {
    data_dir.join("relay.json")
}

/// The keychain entry (or secrets-file key) of the device token.
pub(crate) const TOKEN: &str = "relay-token";

/// What `relay.json` holds: where and as whom, never the token (older
/// versions kept it here; it is moved to the keychain on first use).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Saved {
    relay: String,
    #[serde(default)]
    email: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    token: String,
    #[serde(flatten, default)]
    trust: Trust,
}

pub(crate) fn write_saved(data_dir: &Path, saved: &Saved) -> Result<()> {
    std::fs::create_dir_all(data_dir)?;
    let path = credentials_path(data_dir);
    let text = serde_json::to_string_pretty(saved).map_err(std::io::Error::other)?;
    std::fs::write(&path, text).map_err(|e| {
        ClientError::Io(std::io::Error::new(
            e.kind(),
            format!("cannot write {}: {e}", path.display()),
        ))
    })
}

/// Saves a sign-in: the token to the OS keychain (or, without one, a 0600
/// file — the returned [`Stored`] says which), the relay and email to
/// `relay.json`.
pub fn save_credentials(data_dir: &Path, creds: &Credentials) -> Result<Stored> {
    std::fs::create_dir_all(data_dir)?;
    let stored = Secrets::new(data_dir)?.set(TOKEN, &creds.token)?;
    write_saved(
        data_dir,
        &Saved {
            relay: creds.relay.clone(),
            email: creds.email.clone(),
            token: String::new(),
            trust: creds.trust.clone(),
        },
    )?;
    Ok(stored)
}

pub fn load_credentials(data_dir: &Path) -> Result<Credentials> {
    if let (Ok(relay), Ok(token)) = (
        std::env::var("PORCHLIGHT_RELAY"),
        std::env::var("PORCHLIGHT_TOKEN"),
    ) {
        let allow = std::env::var("PORCHLIGHT_ALLOW_INSECURE_HTTP")
            .is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"));
        return Ok(Credentials {
            relay,
            token,
            email: String::new(),
            trust: Trust {
                ca_file: None,
                allow_insecure_http: allow,
            },
        });
    }
    let path = credentials_path(data_dir);
    let text = std::fs::read_to_string(&path).map_err(|_| {
        usage("not signed in to a relay: run `porchlight login --relay URL --email E`")
    })?;
    let saved: Saved = serde_json::from_str(&text).map_err(|e| {
        usage(format!(
            "{} is damaged ({e}); run `porchlight login` again",
            path.display()
        ))
    })?;
    if !saved.token.is_empty() {
        // Written by an older version: move the token out of the file.
        let creds = Credentials {
            relay: saved.relay,
            token: saved.token,
            email: saved.email,
            trust: saved.trust,
        };
        if let Some(warning) = save_credentials(data_dir, &creds)?.warning() {
            tracing::warn!("{warning}");
        }
        return Ok(creds);
    }
    let token = Secrets::new(data_dir)?.get(TOKEN)?.ok_or_else(|| {
        usage(format!(
            "signed in to {} but the device token is not in the keychain any more: run `porchlight login --relay {} --email {}` again",
            saved.relay, saved.relay, saved.email
        ))
    })?;
    Ok(Credentials {
        relay: saved.relay,
        token,
        email: saved.email,
        trust: saved.trust,
    })
}

/// Forgets the sign-in: the token (keychain and file) and `relay.json`.
pub fn forget_credentials(data_dir: &Path) -> Result<bool> {
    let token = Secrets::new(data_dir)?.delete(TOKEN)?;
    match std::fs::remove_file(credentials_path(data_dir)) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(token),
        Err(e) => Err(e.into()),
    }
}

/// Normalizes a relay URL to its http(s) base.
pub fn base_url(relay: &str) -> Result<String> {
    let r = relay.trim().trim_end_matches('/');
    let r = r.replace("ws://", "http://").replace("wss://", "https://");
    if !(r.starts_with("http://") || r.starts_with("https://")) {
        return Err(usage(format!(
            "'{relay}' is not a relay URL; use e.g. http://127.0.0.1:7280"
        )));
    }
    Ok(r.trim_end_matches("/sync").to_string())
}
