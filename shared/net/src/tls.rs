//! The TLS trust every client connection uses: the operating system's
//! roots (webpki-roots where the OS store is empty), plus private CAs from
//! `PORCHLIGHT_CA_FILE` and from a connection's own `ca_file` setting.
//! Added CAs extend the roots, never replace them; there is no way to turn
//! verification off. TLS 1.2 and 1.3 only (rustls, ring provider).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::NetError;

/// The environment variable naming a PEM file of extra CA certificates.
pub const CA_FILE_ENV: &str = "PORCHLIGHT_CA_FILE";

/// Where the roots came from (for `porchlight doctor`-style messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootSource {
    Os,
    /// The OS store was empty or unreadable: Mozilla's roots, built in.
    Builtin,
}

/// The OS (or built-in) roots, read once per process.
fn base_roots() -> &'static (Vec<CertificateDer<'static>>, RootSource) {
    static ROOTS: OnceLock<(Vec<CertificateDer<'static>>, RootSource)> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        for e in &found.errors {
            tracing::debug!("reading the OS certificate store: {e}");
        }
        if found.certs.is_empty() {
            tracing::info!("no CA certificates in the OS store; using the built-in roots");
            (Vec::new(), RootSource::Builtin)
        } else {
            (found.certs, RootSource::Os)
        }
    })
}

/// The CA files in force: `PORCHLIGHT_CA_FILE` and the setting, if any.
pub fn ca_files(setting: Option<&Path>) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::env::var_os(CA_FILE_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .into_iter()
        .collect();
    if let Some(p) = setting
        && !files.iter().any(|f| f == p)
    {
        files.push(p.to_path_buf());
    }
    files
}

/// Reads the CA certificates of one PEM file; a file with none is an error.
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, NetError> {
    let bad = |reason: String| NetError::CaFile {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("not a PEM certificate file ({e})")))?;
    if certs.is_empty() {
        return Err(bad(
            "it holds no \"BEGIN CERTIFICATE\" block (give the CA's certificate in PEM form)"
                .into(),
        ));
    }
    Ok(certs)
}

/// The root store: OS or built-in roots, plus the CA files.
pub fn roots(setting: Option<&Path>) -> Result<(RootCertStore, RootSource), NetError> {
    let (os, source) = base_roots();
    let mut store = RootCertStore::empty();
    if *source == RootSource::Os {
        let (_added, _ignored) = store.add_parsable_certificates(os.iter().cloned());
    }
    if store.is_empty() {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    for file in ca_files(setting) {
        for cert in read_ca_file(&file)? {
            store.add(cert).map_err(|e| NetError::CaFile {
                path: file.clone(),
                reason: format!("a certificate in it is not a usable CA ({e})"),
            })?;
        }
    }
    let source = if store.is_empty() {
        RootSource::Builtin
    } else {
        *source
    };
    Ok((store, source))
}

/// Which application protocols a connection offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alpn {
    /// HTTP/2 where the server offers it, else HTTP/1.1 (reqwest).
    Http,
    /// HTTP/1.1 only: a WebSocket upgrade needs it.
    WebSocket,
}

/// A rustls client configuration with these roots.
pub fn client_config(
    setting: Option<&Path>,
    alpn: Alpn,
) -> Result<Arc<rustls::ClientConfig>, NetError> {
    let (roots, _) = roots(setting)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| NetError::Setup(format!("TLS set-up: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = match alpn {
        Alpn::Http => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
        Alpn::WebSocket => vec![b"http/1.1".to_vec()],
    };
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_without_certificates_is_named_and_explained() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").expect("write");
        let e = read_ca_file(&path).expect_err("no certificate");
        let text = e.to_string();
        assert!(
            text.contains("ca.pem") && text.contains("BEGIN CERTIFICATE"),
            "{text}"
        );
        let e = read_ca_file(&dir.path().join("missing.pem")).expect_err("missing");
        assert!(e.to_string().contains("missing.pem"), "{e}");
    }

    #[test]
    fn the_roots_are_never_empty() {
        let (store, _) = roots(None).expect("roots");
        assert!(!store.is_empty());
    }
}
