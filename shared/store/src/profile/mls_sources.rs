//! The MLS connections a profile pulls from, kept in its `meta` table (the
//! settings) and the keychain (the secrets).

use porchlight_mls::sources::{MlsSource, secret_name, ua_secret_name};

use crate::Profile;
use crate::error::{CoreError, Result};
use crate::secrets::{SecretError, Secrets, Stored};
use crate::store::{meta_get, meta_set};

/// Why a connection could not be saved or removed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error(transparent)]
    Secret(#[from] SecretError),
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
        source.validate().map_err(CoreError::from)?;
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
    use porchlight_mls::sources::{
        NetSettings, RETS_USER_AGENT, RETS_VERSION, RetsSettings, parse_select,
    };

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
}
