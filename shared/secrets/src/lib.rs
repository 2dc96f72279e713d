//! Secrets (the relay's device token, MLS passwords, API keys) kept out of
//! SQLite and configuration files.
//!
//! They go to the OS keychain (`keyring`: Secret Service on Linux, Keychain
//! on macOS, Credential Manager on Windows). Where there is none — a
//! headless server without a Secret Service — they go to
//! `<profile>/secrets.json`, readable by the user only (mode 0600), and the
//! caller is told so it can print a one-line warning.
//!
//! Each profile has its own entries: the keychain account name includes
//! the profile directory, so two profiles on one machine never share a
//! token. `PORCHLIGHT_SECRETS=file` skips the keychain (scripts, CI);
//! `PORCHLIGHT_SECRETS=keychain` makes a missing keychain an error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The keychain service every Porchlight entry is filed under.
pub const SERVICE: &str = "porchlight";
const FILE: &str = "secrets.json";

/// Where a secret was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    Keychain,
    /// In this 0600 file, because `why` (no keychain was usable).
    File {
        path: PathBuf,
        why: String,
    },
}

impl Stored {
    /// The one-line warning to show when the keychain was not used.
    pub fn warning(&self) -> Option<String> {
        match self {
            Stored::Keychain => None,
            Stored::File { path, why } => Some(format!(
                "warning: no OS keychain ({why}); the secret is in {} (readable only by you)",
                path.display()
            )),
        }
    }
}

/// Why a secret could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "the OS keychain is required (PORCHLIGHT_SECRETS=keychain) but unusable: {0}; start a Secret Service (e.g. gnome-keyring) or unset PORCHLIGHT_SECRETS"
    )]
    KeychainRequired(String),
    #[error("PORCHLIGHT_SECRETS is '{0}'; use 'keychain', 'file' or leave it unset")]
    BadMode(String),
    #[error("{path} is damaged ({reason}); delete it and sign in again")]
    DamagedFile { path: PathBuf, reason: String },
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
}

/// Where secrets may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The keychain, or the private file when there is no keychain.
    Auto,
    /// The keychain only: no keychain is an error.
    Keychain,
    /// The private file only.
    File,
}

fn mode() -> Result<Mode, SecretError> {
    match std::env::var("PORCHLIGHT_SECRETS").as_deref() {
        Err(_) | Ok("") | Ok("auto") => Ok(Mode::Auto),
        Ok("keychain") => Ok(Mode::Keychain),
        Ok("file") => Ok(Mode::File),
        Ok(other) => Err(SecretError::BadMode(other.to_string())),
    }
}

/// The secrets of one profile.
#[derive(Debug, Clone)]
pub struct Secrets {
    dir: PathBuf,
    mode: Mode,
}

impl Secrets {
    /// The secrets of the profile in `dir`, where `PORCHLIGHT_SECRETS` says.
    pub fn new(dir: &Path) -> Result<Self, SecretError> {
        Ok(Self::with_mode(dir, mode()?))
    }

    /// The secrets of the profile in `dir`, in the given place.
    pub fn with_mode(dir: &Path, mode: Mode) -> Self {
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        Secrets { dir, mode }
    }

    fn account(&self, name: &str) -> String {
        format!("{name}@{}", self.dir.display())
    }

    fn file(&self) -> PathBuf {
        self.dir.join(FILE)
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry, String> {
        keyring::Entry::new(SERVICE, &self.account(name)).map_err(|e| e.to_string())
    }

    /// Stores `value` under `name`, in the keychain when there is one.
    pub fn set(&self, name: &str, value: &str) -> Result<Stored, SecretError> {
        let mode = self.mode;
        if mode != Mode::File {
            match self
                .entry(name)
                .and_then(|e| e.set_password(value).map_err(|e| e.to_string()))
            {
                Ok(()) => {
                    // A copy left in the file by an earlier keychain-less run goes.
                    self.remove_from_file(name)?;
                    return Ok(Stored::Keychain);
                }
                Err(e) if mode == Mode::Keychain => return Err(SecretError::KeychainRequired(e)),
                Err(e) => return self.set_in_file(name, value, e),
            }
        }
        self.set_in_file(name, value, "PORCHLIGHT_SECRETS=file".into())
    }

    /// The secret stored under `name`, wherever it is.
    pub fn get(&self, name: &str) -> Result<Option<String>, SecretError> {
        let mode = self.mode;
        if mode != Mode::File {
            match self.entry(name).and_then(|e| match e.get_password() {
                Ok(v) => Ok(Some(v)),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(e.to_string()),
            }) {
                Ok(Some(v)) => return Ok(Some(v)),
                Ok(None) => {}
                Err(e) if mode == Mode::Keychain => return Err(SecretError::KeychainRequired(e)),
                Err(e) => {
                    tracing::debug!(error = %e, "keychain unusable; looking in the secrets file")
                }
            }
        }
        Ok(self.read_file()?.remove(name))
    }

    /// Forgets `name` everywhere; true if anything was removed.
    pub fn delete(&self, name: &str) -> Result<bool, SecretError> {
        let mut removed = false;
        if self.mode != Mode::File
            && let Ok(entry) = self.entry(name)
        {
            removed = entry.delete_credential().is_ok();
        }
        Ok(self.remove_from_file(name)? || removed)
    }

    fn read_file(&self) -> Result<BTreeMap<String, String>, SecretError> {
        let path = self.file();
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| SecretError::DamagedFile {
                path,
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(SecretError::DamagedFile {
                path,
                reason: e.to_string(),
            }),
        }
    }

    fn write_file(&self, secrets: &BTreeMap<String, String>) -> Result<(), SecretError> {
        let path = self.file();
        let fail = |e: std::io::Error| SecretError::Write {
            path: path.clone(),
            reason: e.to_string(),
        };
        if secrets.is_empty() {
            return match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(fail(e)),
                _ => Ok(()),
            };
        }
        std::fs::create_dir_all(&self.dir).map_err(fail)?;
        let text = serde_json::to_string_pretty(secrets).map_err(|e| SecretError::Write {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        // Written to a private temporary file, then renamed: never readable
        // by others, never half-written.
        let tmp = self.dir.join(format!("{FILE}.tmp"));
        write_private(&tmp, text.as_bytes()).map_err(fail)?;
        std::fs::rename(&tmp, &path).map_err(fail)
    }

    fn set_in_file(&self, name: &str, value: &str, why: String) -> Result<Stored, SecretError> {
        let mut secrets = self.read_file()?;
        secrets.insert(name.to_string(), value.to_string());
        self.write_file(&secrets)?;
        Ok(Stored::File {
            path: self.file(),
            why,
        })
    }

    fn remove_from_file(&self, name: &str) -> Result<bool, SecretError> {
        let mut secrets = self.read_file()?;
        let removed = secrets.remove(name).is_some();
        if removed {
            self.write_file(&secrets)?;
        }
        Ok(removed)
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The keychain itself is tested end to end by the CLI's keychain test
    // against a real Secret Service under dbus-run-session.
    fn file_only() -> (tempfile::TempDir, Secrets) {
        let dir = tempfile::tempdir().expect("dir");
        let secrets = Secrets::with_mode(dir.path(), Mode::File);
        (dir, secrets)
    }

    #[test]
    fn a_secret_round_trips_through_the_private_file() {
        let (dir, secrets) = file_only();
        assert_eq!(secrets.get("relay-token").expect("get"), None);
        let stored = secrets.set("relay-token", "s3cret").expect("set");
        assert!(matches!(stored, Stored::File { .. }));
        assert!(stored.warning().expect("warning").contains("secrets.json"));
        assert_eq!(
            secrets.get("relay-token").expect("get").as_deref(),
            Some("s3cret")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(FILE))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(secrets.delete("relay-token").expect("delete"));
        assert!(!secrets.delete("relay-token").expect("delete"));
        assert_eq!(secrets.get("relay-token").expect("get"), None);
        assert!(
            !dir.path().join(FILE).exists(),
            "an empty secrets file is removed"
        );
    }

    #[test]
    fn a_damaged_file_is_an_error_that_says_what_to_do() {
        let (dir, secrets) = file_only();
        std::fs::write(dir.path().join(FILE), "{not json").expect("write");
        let err = secrets.get("relay-token").expect_err("damaged");
        assert!(err.to_string().contains("sign in again"), "{err}");
    }

    #[test]
    fn keychain_only_mode_without_a_keychain_says_how_to_fix_it() {
        // No Secret Service is reachable with an empty D-Bus address.
        let dir = tempfile::tempdir().expect("dir");
        let secrets = Secrets::with_mode(dir.path(), Mode::Keychain);
        if let Err(e) = secrets.set("probe", "x") {
            assert!(e.to_string().contains("PORCHLIGHT_SECRETS"), "{e}");
        } else {
            // A developer machine with a keychain: clean up the probe.
            assert!(secrets.delete("probe").expect("delete"));
        }
    }
}
