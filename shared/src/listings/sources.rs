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
    /// RESO: the fields asked for (`$select`); empty asks for every field.
    /// `ListingKey` and `ModificationTimestamp` are always asked for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub select: Vec<String>,
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
            select: Vec::new(),
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
