//! MLS connections a profile pulls from. The settings (URL, resource,
//! client id, RETS user name and class) are kept in the profile; the
//! secrets (bearer token, OAuth2 client secret, RETS password and
//! user-agent password) go to the OS keychain ([`crate::secrets`]), never
//! to SQLite or a config file.

use serde::{Deserialize, Serialize};

use crate::Profile;
use crate::error::{CoreError, Result};
use crate::store::{meta_get, meta_set};

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
}

/// One MLS connection: a RESO Web API server, or a RETS server when
/// `rets` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

impl MlsSource {
    /// The keychain entry holding this source's secret.
    pub fn secret_name(&self) -> String {
        format!("mls:{}", self.name)
    }

    /// The keychain entry holding a RETS user-agent password.
    pub fn ua_secret_name(&self) -> String {
        format!("mls:{}:ua", self.name)
    }

    /// "RESO" or "RETS".
    pub fn kind(&self) -> &'static str {
        if self.rets.is_some() { "RETS" } else { "RESO" }
    }

    /// Checks the settings, in words.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: &'static str, value: &str, hint: &'static str| CoreError::InvalidValue {
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

fn key(name: &str) -> String {
    format!("mls-source:{}", name.trim())
}

impl Profile {
    /// Adds or replaces an MLS connection's settings.
    pub fn save_mls_source(&mut self, source: &MlsSource) -> Result<()> {
        source.validate()?;
        let json = serde_json::to_string(source).map_err(|e| CoreError::InvalidValue {
            what: "MLS source",
            value: e.to_string(),
            hint: "",
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
            .ok_or_else(|| CoreError::InvalidValue {
                what: "MLS",
                value: name.to_string(),
                hint: "no such connection; `porchlight mls list` shows them",
            })
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
        }
    }

    #[test]
    fn connections_are_saved_listed_and_removed_and_bad_ones_refused() {
        let mut p = Profile::in_memory(OpenOptions::default()).expect("profile");
        p.save_mls_source(&source("metro")).expect("save");
        p.save_mls_source(&source("coast")).expect("save");
        let names: Vec<String> = p
            .mls_sources()
            .expect("list")
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["coast", "metro"]);
        let rets = MlsSource {
            rets: Some(RetsSettings {
                username: "maria".into(),
                class: "RES".into(),
                user_agent: "Porchlight/0.1".into(),
                version: "RETS/1.8".into(),
                ua_password: true,
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
                }),
                token_url: None,
                client_id: None,
                ..source("x")
            },
        ] {
            let e = p.save_mls_source(&bad).expect_err("refused");
            assert!(e.is_user_error(), "{e}");
        }
    }
}
