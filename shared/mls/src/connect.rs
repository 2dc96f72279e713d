//! An MLS connection ready to use: the saved settings
//! ([`crate::sources::MlsSource`]) with their secrets from the keychain,
//! as a RESO or a RETS client — to test it or to pull from it. The CLI and
//! the app both go through here.

use crate::pull::{Progress, PullError, PullOptions, PullReport};
use crate::reso::{ResoClient, ResoConfig};
use crate::rets::client::{RetsClient, RetsConfig};
use crate::sink::ListingSink;
use crate::sources::MlsSource;
use porchlight_secrets::Secrets;

/// A connection's client.
#[derive(Debug)]
pub enum Connection {
    Reso(Box<ResoClient>),
    Rets(Box<RetsClient>),
}

impl Connection {
    /// The client for `source`, with its secrets.
    pub fn open(source: &MlsSource, secrets: &Secrets) -> Result<Self, PullError> {
        let missing = || PullError::NoSecret(source.name.clone());
        let secret = secrets
            .get(&source.secret_name())
            .map_err(|e| PullError::Secrets(e.to_string()))?
            .ok_or_else(missing)?;
        match &source.rets {
            Some(r) => {
                let ua = if r.ua_password {
                    Some(
                        secrets
                            .get(&source.ua_secret_name())
                            .map_err(|e| PullError::Secrets(e.to_string()))?
                            .ok_or_else(missing)?,
                    )
                } else {
                    None
                };
                let config = RetsConfig::from_source(source, secret, ua).ok_or_else(missing)?;
                Ok(Connection::Rets(Box::new(RetsClient::new(config)?)))
            }
            None => Ok(Connection::Reso(Box::new(ResoClient::new(
                ResoConfig::from_source(source, secret),
            )?))),
        }
    }

    /// Signs in and asks for a little, saying what came back.
    pub async fn test(&mut self) -> Result<String, PullError> {
        match self {
            Connection::Rets(c) => {
                let reply = c.login().await?;
                // RETS 1.7 says MemberName=…; 1.8 an Info=MEMBERNAME line.
                let member = reply
                    .other
                    .get("MemberName")
                    .or_else(|| reply.info.get("MEMBERNAME"))
                    .cloned()
                    .unwrap_or_default();
                let result = c.class_metadata().await;
                c.logout().await;
                let m = result?;
                let config = c.config();
                let fields = m
                    .tables
                    .iter()
                    .filter(|(r, cl, _)| r == &config.resource && cl == &config.class)
                    .count();
                let decoder = m.decoder(
                    &config.resource,
                    &config.class,
                    &crate::mapping::Mapping::exact(&config.fields),
                );
                let missing: Vec<String> = [
                    ("ListingKey", "--key-field", true),
                    ("ModificationTimestamp", "--timestamp-field", true),
                    ("StandardStatus", "--status-field", false),
                ]
                .iter()
                .filter(|(reso, _, _)| decoder.system_name(reso).is_none())
                .map(|(reso, flag, needed)| {
                    format!(
                        " No field is marked as {reso}{}; name it with `porchlight mls add-rets … {flag} SYSTEM-NAME` (or a --mapping file).",
                        if *needed { " (a pull needs it)" } else { "" }
                    )
                })
                .collect();
                Ok(format!(
                    "Logged in{}; {}:{} has {fields} fields.{}",
                    if member.is_empty() {
                        String::new()
                    } else {
                        format!(" as {member}")
                    },
                    config.resource,
                    config.class,
                    missing.concat()
                ))
            }
            Connection::Reso(c) => {
                let url = c.first_url(None);
                let page = c.page(&url).await?;
                Ok(match page.total {
                    Some(t) => format!("Signed in; the server has {t} listings."),
                    None => format!(
                        "Signed in; the first page has {} listings.",
                        page.listings.len()
                    ),
                })
            }
        }
    }

    /// Pulls what changed (everything with `full`) into the cache.
    pub async fn pull(
        &mut self,
        cache: &mut (dyn ListingSink + Send),
        source: &str,
        options: &PullOptions,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<PullReport, PullError> {
        match self {
            Connection::Reso(c) => crate::pull::pull(cache, source, c, options, progress).await,
            Connection::Rets(c) => {
                crate::rets::replicate::pull(cache, source, c, options, progress).await
            }
        }
    }
}
