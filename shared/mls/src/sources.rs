//! MLS connections a profile pulls from. The settings (URL, resource,
//! client id, RETS user name and class) are kept in the profile; the
//! secrets (bearer token, OAuth2 client secret, RETS password and
//! user-agent password) go to the OS keychain (`porchlight-secrets`), never
//! to SQLite or a config file.

use serde::{Deserialize, Serialize};

use porchlight_model::ModelError;

/// The resource (RESO) or search type (RETS) searched when not told.
pub const RESOURCE: &str = "Property";
/// The RETS class searched when not told.
pub const RETS_CLASS: &str = "RES";
/// The rows a RESO page asks for when not told.
pub const RESO_PAGE_SIZE: usize = 200;
/// The rows a RETS search page asks for when not told.
pub const RETS_PAGE_SIZE: usize = 500;
/// The User-Agent sent to a RETS server when the MLS registered none.
pub const RETS_USER_AGENT: &str = "Porchlight/0.1";
/// The RETS version asked for when not told.
pub const RETS_VERSION: &str = "RETS/1.7.2";

/// The RETS side of a connection (its secrets are in the keychain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetsSettings {
    pub username: String,
    /// The class searched, e.g. `RES` or `ResidentialProperty`.
    pub class: String,
    pub user_agent: String,
    /// `RETS/1.7.2` or `RETS/1.8`.
    pub version: String,
    /// A user-agent password is in the keychain (`mls:NAME:ua`).
    pub ua_password: bool,
    /// System names the connection maps itself (system name → RESO name),
    /// for servers whose metadata has no StandardNames (`--key-field`,
    /// `--timestamp-field`, `--status-field`, `--mapping`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub fields: std::collections::BTreeMap<String, String>,
}

/// How a connection reaches its server, beyond the URL: a private CA, and
/// other origins the MLS serves from (e.g. a media CDN), which are fetched
/// without credentials. Everything else off the configured origin is
/// refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetSettings {
    /// A PEM file of a private CA, added to the system's roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<std::path::PathBuf>,
    /// Hosts (or origins) besides the configured one that links may point
    /// to; credentials are never sent there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_origins: Vec<String>,
    /// Request and volume limits ([`porchlight_net::quota`]); `None`: none. A
    /// connection saved before limits existed gets the default ones.
    #[serde(default = "default_limits")]
    pub limits: Option<porchlight_net::quota::RateLimits>,
}

fn default_limits() -> Option<porchlight_net::quota::RateLimits> {
    Some(porchlight_net::quota::DEFAULT)
}

/// One MLS connection: a RESO Web API server, or a RETS server when
/// `rets` is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlsSource {
    /// Its name in the cache (`--source` everywhere).
    pub name: String,
    /// The OData service root.
    pub url: String,
    pub resource: String,
    /// With a client id, the secret is an OAuth2 client secret; without,
    /// a bearer token.
    pub token_url: Option<String>,
    pub client_id: Option<String>,
    pub page_size: usize,
    pub expand_media: bool,
    /// A RETS server: `url` is its login URL and `resource` its search type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rets: Option<RetsSettings>,
    /// RESO: the fields asked for (`$select`); empty asks for every field.
    /// `ListingKey` and `ModificationTimestamp` are always asked for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub select: Vec<String>,
    #[serde(flatten, default)]
    pub net: NetSettings,
}

impl MlsSource {
    /// The keychain entry holding this source's secret.
    pub fn secret_name(&self) -> String {
        secret_name(&self.name)
    }

    /// The keychain entry holding a RETS user-agent password.
    pub fn ua_secret_name(&self) -> String {
        ua_secret_name(&self.name)
    }

    /// The settings as every shell saves them, however they were typed:
    /// names, URLs and words trimmed; a RESO service URL without its
    /// trailing `/` (a RETS login URL is kept as given: some servers tell
    /// `/login` from `/login/`); empty optional values as none; empty
    /// resource, class, user agent and version as the defaults.
    pub fn normalized(mut self) -> Self {
        let optional =
            |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let or = |v: &str, default: &str| match v.trim() {
            "" => default.to_string(),
            v => v.to_string(),
        };
        self.name = self.name.trim().to_string();
        self.url = self.url.trim().to_string();
        self.resource = or(&self.resource, RESOURCE);
        self.token_url = optional(self.token_url);
        self.client_id = optional(self.client_id);
        self.net.ca_file = self.net.ca_file.filter(|p| !p.as_os_str().is_empty());
        self.net.allow_origins = std::mem::take(&mut self.net.allow_origins)
            .into_iter()
            .map(|o| o.trim().to_string())
            .filter(|o| !o.is_empty())
            .collect();
        match &mut self.rets {
            Some(r) => {
                r.username = r.username.trim().to_string();
                r.class = or(&r.class, RETS_CLASS);
                r.user_agent = or(&r.user_agent, RETS_USER_AGENT);
                r.version = or(&r.version, RETS_VERSION);
                // A RETS server has no OAuth2 token URL, client id or Media.
                self.token_url = None;
                self.client_id = None;
                self.expand_media = false;
            }
            None => self.url = self.url.trim_end_matches('/').to_string(),
        }
        self
    }

    /// "RESO" or "RETS".
    pub fn kind(&self) -> &'static str {
        if self.rets.is_some() { "RETS" } else { "RESO" }
    }

    /// Checks the settings, in words.
    pub fn validate(&self) -> Result<(), ModelError> {
        let bad = |what: &'static str, value: &str, hint: &'static str| ModelError::InvalidValue {
            what,
            value: value.to_string(),
            hint,
        };
        if self.name.trim().is_empty() || self.name.contains(':') {
            return Err(bad(
                "MLS name",
                &self.name,
                "use a short name without ':' (e.g. metro-mls)",
            ));
        }
        for url in std::iter::once(&self.url).chain(self.token_url.as_ref()) {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(bad("URL", url, "use an http:// or https:// URL"));
            }
        }
        if let Some(ca) = &self.net.ca_file {
            let shown = ca.display().to_string();
            match std::fs::read_to_string(ca) {
                Ok(text) if text.contains("-----BEGIN CERTIFICATE-----") => {}
                Ok(_) => {
                    return Err(bad(
                        "CA file",
                        &shown,
                        "give the CA's certificate as a PEM file (with a BEGIN CERTIFICATE block)",
                    ));
                }
                Err(_) => {
                    return Err(bad(
                        "CA file",
                        &shown,
                        "the file cannot be read; give the path of the CA's PEM certificate",
                    ));
                }
            }
        }
        if let Some(o) = self
            .net
            .allow_origins
            .iter()
            .find(|o| o.trim().is_empty() || o.contains(char::is_whitespace) || o.contains('@'))
        {
            return Err(bad(
                "allowed origin",
                o,
                "give a host name (media.mls.example) or an origin (https://media.mls.example)",
            ));
        }
        if self.token_url.is_some() != self.client_id.is_some() {
            return Err(bad(
                "OAuth2 settings",
                self.client_id.as_deref().unwrap_or(""),
                "give both --token-url and --client-id, or neither (a bearer token)",
            ));
        }
        if let Some(r) = &self.rets {
            if r.username.trim().is_empty() {
                return Err(bad("RETS user name", &r.username, "give --user"));
            }
            if r.class.trim().is_empty() {
                return Err(bad("RETS class", &r.class, "give --class (e.g. RES)"));
            }
            if !matches!(
                r.version.as_str(),
                "RETS/1.5" | "RETS/1.7" | "RETS/1.7.2" | "RETS/1.8"
            ) {
                return Err(bad(
                    "RETS version",
                    &r.version,
                    "use RETS/1.7.2 or RETS/1.8 (or RETS/1.5, RETS/1.7)",
                ));
            }
        }
        if !self.select.is_empty() && self.rets.is_some() {
            return Err(bad(
                "field list",
                &self.select.join(","),
                "--select is for RESO servers; a RETS pull keeps every field of the class",
            ));
        }
        if let Some(field) = self.select.iter().find(|f| !is_field_name(f)) {
            return Err(bad(
                "field name",
                field,
                "use RESO Data Dictionary names separated by commas (e.g. ListPrice,City), or `core`",
            ));
        }
        if !(1..=10_000).contains(&self.page_size) {
            return Err(bad(
                "page size",
                &self.page_size.to_string(),
                "use 1 to 10000",
            ));
        }
        Ok(())
    }
}

/// An OData property name: a letter or `_`, then letters, digits or `_`.
fn is_field_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 128
}

/// A `--select` list as typed: names separated by commas or spaces, where
/// `core` stands for the fields the cache reads ([`crate::mapping::RESO_FIELDS`],
/// with one bathrooms field: asking a server for a field it lacks is an error).
/// Duplicates are dropped; the order is kept.
pub fn parse_select(text: &str) -> Vec<String> {
    let mut fields: Vec<String> = Vec::new();
    for word in text
        .split([',', ' '])
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        let names: Vec<String> = if word.eq_ignore_ascii_case("core") {
            crate::mapping::RESO_FIELDS
                .iter()
                .filter(|f| **f != "BathroomsTotalDecimal")
                .map(|f| f.to_string())
                .collect()
        } else {
            vec![word.to_string()]
        };
        for name in names {
            if !fields.contains(&name) {
                fields.push(name);
            }
        }
    }
    fields
}

/// The keychain entry holding the secret of the connection `name`.
pub fn secret_name(name: &str) -> String {
    format!("mls:{}", name.trim())
}

/// The keychain entry holding the RETS user-agent password of `name`.
pub fn ua_secret_name(name: &str) -> String {
    format!("mls:{}:ua", name.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_typed_anyhow_are_saved_the_same_way() {
        let reso = MlsSource {
            name: " metro ".into(),
            url: " https://api.example.com/odata/ ".into(),
            resource: " ".into(),
            token_url: Some("  ".into()),
            client_id: Some(" porchlight ".into()),
            page_size: 200,
            expand_media: true,
            rets: None,
            select: Vec::new(),
            net: NetSettings {
                ca_file: Some("".into()),
                allow_origins: vec![" cdn.example.com ".into(), "".into()],
                limits: None,
            },
        }
        .normalized();
        assert_eq!(reso.name, "metro");
        assert_eq!(reso.url, "https://api.example.com/odata");
        assert_eq!(reso.resource, RESOURCE);
        assert_eq!(
            (reso.token_url, reso.client_id.as_deref()),
            (None, Some("porchlight"))
        );
        assert_eq!(reso.net.ca_file, None);
        assert_eq!(reso.net.allow_origins, ["cdn.example.com"]);
        let rets = MlsSource {
            url: " https://rets.example.com/login/ ".into(),
            rets: Some(RetsSettings {
                username: " maria ".into(),
                class: "".into(),
                user_agent: " ".into(),
                version: "".into(),
                ua_password: false,
                fields: Default::default(),
            }),
            ..MlsSource {
                name: "rets".into(),
                url: String::new(),
                resource: "Property".into(),
                token_url: Some("https://x/token".into()),
                client_id: None,
                page_size: 500,
                expand_media: true,
                rets: None,
                select: Vec::new(),
                net: NetSettings::default(),
            }
        }
        .normalized();
        assert_eq!(rets.url, "https://rets.example.com/login/");
        assert_eq!((rets.token_url, rets.expand_media), (None, false));
        let r = rets.rets.expect("rets");
        assert_eq!(
            (
                r.username.as_str(),
                r.class.as_str(),
                r.user_agent.as_str(),
                r.version.as_str()
            ),
            ("maria", RETS_CLASS, RETS_USER_AGENT, RETS_VERSION)
        );
    }

    #[test]
    fn a_field_list_reads_commas_spaces_and_core() {
        assert_eq!(
            parse_select("ListPrice,City  Media"),
            ["ListPrice", "City", "Media"]
        );
        assert_eq!(parse_select(" , "), Vec::<String>::new());
        let core = parse_select("Core,ListPrice,Pool");
        // Every typed field but BathroomsTotalDecimal, then Pool.
        assert_eq!(core.len(), crate::mapping::RESO_FIELDS.len());
        assert_eq!(core.first().map(String::as_str), Some("ListingKey"));
        assert_eq!(core.last().map(String::as_str), Some("Pool"));
        assert!(!is_field_name("1Price") && !is_field_name("") && !is_field_name("a-b"));
        assert!(is_field_name("_x1") && is_field_name("ListPrice"));
    }
}
