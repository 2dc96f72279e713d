//! MLS connections a profile pulls from. The settings (URL, resource,
//! client id, RETS user name and class) are kept in the profile; the
//! secrets (bearer token, OAuth2 client secret, RETS password and
//! user-agent password) go to the OS keychain ([`crate::secrets`]), never
//! to SQLite or a config file.

use serde::{Deserialize, Serialize};

use crate::Profile;
use crate::error::{CoreError, Result};
use crate::secrets::{SecretError, Secrets, Stored};
use crate::store::{meta_get, meta_set};

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

/// Why a connection could not be saved or removed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

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
    /// Request and volume limits ([`super::quota`]); `None`: none. A
    /// connection saved before limits existed gets the default ones.
    #[serde(default = "default_limits")]
    pub limits: Option<super::quota::RateLimits>,
}

fn default_limits() -> Option<super::quota::RateLimits> {
    Some(super::quota::DEFAULT)
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

    /// "RESO" or "RETS".
    pub fn kind(&self) -> &'static str {
        if self.rets.is_some() { "RETS" } else { "RESO" }
    }

    /// Checks the settings, in words.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: &'static str, value: &str, hint: &'static str| {
            CoreError::Model(crate::ModelError::InvalidValue {
                what,
                value: value.to_string(),
                hint,
            })
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
/// `core` stands for the fields the cache reads ([`super::mapping::RESO_FIELDS`],
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
            super::mapping::RESO_FIELDS
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

fn secret_name(name: &str) -> String {
    format!("mls:{}", name.trim())
}

fn ua_secret_name(name: &str) -> String {
    format!("mls:{}:ua", name.trim())
}

fn key(name: &str) -> String {
    format!("mls-source:{}", name.trim())
}

impl Profile {
    /// Adds or replaces an MLS connection's settings.
    pub fn save_mls_source(&mut self, source: &MlsSource) -> Result<()> {
        source.validate()?;
        let json = serde_json::to_string(source).map_err(|e| {
            CoreError::Model(crate::ModelError::InvalidValue {
                what: "MLS source",
                value: e.to_string(),
                hint: "",
            })
        })?;
        self.store_mut()
            .write(|tx| meta_set(tx, &key(&source.name), &json))
    }

    /// The MLS connections, by name.
    pub fn mls_sources(&self) -> Result<Vec<MlsSource>> {
        let rows: Vec<String> = self
            .store()
            .conn()
            .prepare_cached("SELECT value FROM meta WHERE key LIKE 'mls-source:%' ORDER BY key")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows
            .iter()
            .filter_map(|j| serde_json::from_str(j).ok())
            .collect())
    }

    /// One MLS connection.
    pub fn mls_source(&self, name: &str) -> Result<MlsSource> {
        meta_get(self.store().conn(), &key(name))?
            .and_then(|j| serde_json::from_str(&j).ok())
            .ok_or_else(|| {
                CoreError::Model(crate::ModelError::InvalidValue {
                    what: "MLS",
                    value: name.to_string(),
                    hint: "no such connection; `porchlight mls list` shows them",
                })
            })
    }

    /// Adds (or replaces) a connection with its secrets: the bearer token,
    /// OAuth2 client secret or RETS password, and the RETS user-agent
    /// password when the settings say there is one. Everything is checked
    /// before anything is written; the secrets go to the keychain first,
    /// so saved settings never lack their secret. Says where the secrets
    /// went (a warning when there was no keychain).
    pub fn add_mls_connection(
        &mut self,
        keychain: &Secrets,
        source: &MlsSource,
        secret: &str,
        ua_password: Option<&str>,
    ) -> std::result::Result<Stored, ConnectionError> {
        source.validate()?;
        let missing = |what: &'static str, hint: &'static str| {
            CoreError::Model(crate::ModelError::InvalidValue {
                what,
                value: String::new(),
                hint,
            })
        };
        if secret.trim().is_empty() {
            return Err(missing(
                "secret",
                match (&source.rets, &source.client_id) {
                    (Some(_), _) => "give the RETS password",
                    (None, Some(_)) => "give the OAuth2 client secret",
                    (None, None) => "give the bearer token",
                },
            )
            .into());
        }
        let wants_ua = source.rets.as_ref().is_some_and(|r| r.ua_password);
        let ua = ua_password.map(str::trim).filter(|u| !u.is_empty());
        if wants_ua && ua.is_none() {
            return Err(missing(
                "user-agent password",
                "give the password the MLS issued for the user agent, or say it has none",
            )
            .into());
        }
        let stored = keychain.set(&source.secret_name(), secret.trim())?;
        match ua.filter(|_| wants_ua) {
            Some(ua) => {
                keychain.set(&source.ua_secret_name(), ua)?;
            }
            None => {
                keychain.delete(&source.ua_secret_name())?;
            }
        }
        self.save_mls_source(source)?;
        Ok(stored)
    }

    /// Forgets a connection and its secrets; its listings stay cached.
    /// False when there was no such connection.
    pub fn remove_mls_connection(
        &mut self,
        keychain: &Secrets,
        name: &str,
    ) -> std::result::Result<bool, ConnectionError> {
        if !self.remove_mls_source(name)? {
            return Ok(false);
        }
        keychain.delete(&secret_name(name))?;
        keychain.delete(&ua_secret_name(name))?;
        Ok(true)
    }

    /// Forgets an MLS connection's settings (its listings stay cached).
    pub fn remove_mls_source(&mut self, name: &str) -> Result<bool> {
        let k = key(name);
        self.store_mut()
            .write(|tx| Ok(tx.execute("DELETE FROM meta WHERE key = ?1", [&k])? > 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OpenOptions;

    fn source(name: &str) -> MlsSource {
        MlsSource {
            name: name.into(),
            url: "https://api.example.com/odata".into(),
            resource: "Property".into(),
            token_url: Some("https://api.example.com/token".into()),
            client_id: Some("porchlight".into()),
            page_size: 200,
            expand_media: true,
            rets: None,
            select: Vec::new(),
            net: NetSettings::default(),
        }
    }

    fn names(p: &Profile) -> Vec<String> {
        let sources = p.mls_sources().expect("list");
        sources.into_iter().map(|s| s.name).collect()
    }

    #[test]
    fn a_connection_is_added_with_its_secrets_and_removed_with_them() {
        use crate::secrets::Mode;
        let dir = tempfile::tempdir().expect("dir");
        let keychain = Secrets::with_mode(dir.path(), Mode::File);
        let mut p = Profile::in_memory(OpenOptions::default()).expect("profile");
        let bearer = MlsSource {
            token_url: None,
            client_id: None,
            ..source("metro")
        };

        // Nothing is written when the secret is missing or the settings are bad.
        let err = p
            .add_mls_connection(&keychain, &bearer, "  ", None)
            .expect_err("no token");
        assert!(err.to_string().contains("bearer token"), "{err}");
        let bad = MlsSource {
            url: "ftp://x".into(),
            ..bearer.clone()
        };
        assert!(p.add_mls_connection(&keychain, &bad, "t", None).is_err());
        assert!(p.mls_sources().expect("list").is_empty());
        assert_eq!(keychain.get("mls:metro").expect("get"), None);

        let stored = p
            .add_mls_connection(&keychain, &bearer, " tok3n \n", None)
            .expect("add");
        assert!(matches!(stored, Stored::File { .. }));
        assert_eq!(p.mls_source("metro").expect("saved"), bearer);
        assert_eq!(
            keychain.get("mls:metro").expect("get").as_deref(),
            Some("tok3n")
        );

        // RETS with a user-agent password needs it, keeps it, and a
        // replacement without one drops the old one.
        let mut rets = MlsSource {
            rets: Some(RetsSettings {
                username: "maria".into(),
                class: "RES".into(),
                user_agent: RETS_USER_AGENT.into(),
                version: RETS_VERSION.into(),
                ua_password: true,
                fields: Default::default(),
            }),
            ..bearer.clone()
        };
        rets.name = "rets".into();
        let err = p
            .add_mls_connection(&keychain, &rets, "pw", Some(" "))
            .expect_err("no ua password");
        assert!(err.to_string().contains("user-agent password"), "{err}");
        assert!(p.mls_source("rets").is_err());
        p.add_mls_connection(&keychain, &rets, "pw", Some("ua"))
            .expect("add rets");
        assert_eq!(
            keychain.get("mls:rets:ua").expect("get").as_deref(),
            Some("ua")
        );
        if let Some(r) = rets.rets.as_mut() {
            r.ua_password = false;
        }
        p.add_mls_connection(&keychain, &rets, "pw2", Some("ignored"))
            .expect("replace");
        assert_eq!(
            keychain.get("mls:rets").expect("get").as_deref(),
            Some("pw2")
        );
        assert_eq!(keychain.get("mls:rets:ua").expect("get"), None);

        assert!(p.remove_mls_connection(&keychain, "metro").expect("remove"));
        assert!(!p.remove_mls_connection(&keychain, "metro").expect("again"));
        assert_eq!(keychain.get("mls:metro").expect("get"), None);
        assert_eq!(names(&p), ["rets"]);
    }

    #[test]
    fn connections_are_saved_listed_and_removed_and_bad_ones_refused() {
        let mut p = Profile::in_memory(OpenOptions::default()).expect("profile");
        p.save_mls_source(&source("metro")).expect("save");
        p.save_mls_source(&source("coast")).expect("save");
        assert_eq!(names(&p), ["coast", "metro"]);
        let rets = MlsSource {
            rets: Some(RetsSettings {
                username: "maria".into(),
                class: "RES".into(),
                user_agent: "Porchlight/0.1".into(),
                version: "RETS/1.8".into(),
                ua_password: true,
                fields: Default::default(),
            }),
            token_url: None,
            client_id: None,
            ..source("rets")
        };
        p.save_mls_source(&rets).expect("rets");
        assert_eq!(p.mls_source("rets").expect("rets"), rets);
        assert_eq!(rets.kind(), "RETS");
        assert_eq!(rets.ua_secret_name(), "mls:rets:ua");
        assert!(p.remove_mls_source("rets").expect("remove"));
        assert_eq!(p.mls_source("metro").expect("one"), source("metro"));
        assert!(p.remove_mls_source("metro").expect("remove"));
        assert!(!p.remove_mls_source("metro").expect("again"));
        assert!(p.mls_source("metro").is_err());
        for bad in [
            MlsSource {
                name: "a:b".into(),
                ..source("x")
            },
            MlsSource {
                url: "ftp://x".into(),
                ..source("x")
            },
            MlsSource {
                client_id: None,
                ..source("x")
            },
            MlsSource {
                page_size: 0,
                ..source("x")
            },
            MlsSource {
                rets: Some(RetsSettings {
                    username: "".into(),
                    class: "RES".into(),
                    user_agent: "Porchlight/0.1".into(),
                    version: "RETS/1.7.2".into(),
                    ua_password: false,
                    fields: Default::default(),
                }),
                token_url: None,
                client_id: None,
                ..source("x")
            },
            MlsSource {
                rets: Some(RetsSettings {
                    username: "maria".into(),
                    class: "RES".into(),
                    user_agent: "Porchlight/0.1".into(),
                    version: "RETS/2".into(),
                    ua_password: false,
                    fields: Default::default(),
                }),
                token_url: None,
                client_id: None,
                ..source("x")
            },
            MlsSource {
                select: vec!["ListPrice".into(), "List Price".into()],
                ..source("x")
            },
            MlsSource {
                select: vec!["ListPrice".into()],
                ..rets.clone()
            },
        ] {
            let e = p.save_mls_source(&bad).expect_err("refused");
            assert!(e.is_user_error(), "{e}");
        }
        let chosen = MlsSource {
            select: parse_select("ListPrice, City ListPrice"),
            ..source("chosen")
        };
        p.save_mls_source(&chosen).expect("a field list");
        assert_eq!(p.mls_source("chosen").expect("saved"), chosen);
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
        assert_eq!(core.len(), crate::listings::mapping::RESO_FIELDS.len());
        assert_eq!(core.first().map(String::as_str), Some("ListingKey"));
        assert_eq!(core.last().map(String::as_str), Some("Pool"));
        assert!(!is_field_name("1Price") && !is_field_name("") && !is_field_name("a-b"));
        assert!(is_field_name("_x1") && is_field_name("ListPrice"));
    }
}
