//! Certificates made in the test (rcgen): a private CA and server
//! certificates it signs, written as PEM files. Clients trust the CA the
//! way users do, through `PORCHLIGHT_CA_FILE` or a connection's CA file.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// A certificate authority for one test.
#[allow(missing_debug_implementations)] // rcgen's Issuer is not Debug
pub struct TestCa {
    dir: PathBuf,
    /// The CA certificate (PEM), what `PORCHLIGHT_CA_FILE` names.
    pub ca_pem: PathBuf,
    issuer: Issuer<'static, KeyPair>,
}

/// A server's certificate chain and key files.
#[derive(Debug, Clone)]
pub struct ServerCert {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TestCa {
    /// Makes the CA; its files go in `dir` (named after `name`).
    pub fn new(dir: &Path, name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("{name} test CA"));
        let key = KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("self-signed CA");
        let ca_pem = dir.join(format!("{name}-ca.pem"));
        std::fs::write(&ca_pem, cert.pem()).expect("write CA");
        Self {
            dir: dir.to_path_buf(),
            ca_pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// A server certificate for `names` (DNS names or IP addresses).
    pub fn server(&self, stem: &str, names: &[&str]) -> ServerCert {
        self.make(stem, names, false)
    }

    /// One that expired in 2021.
    pub fn expired_server(&self, stem: &str, names: &[&str]) -> ServerCert {
        self.make(stem, names, true)
    }

    fn make(&self, stem: &str, names: &[&str], expired: bool) -> ServerCert {
        let sans: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(sans).expect("params");
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().copied().unwrap_or("server"),
        );
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &self.issuer).expect("sign");
        write(&self.dir, stem, &cert.pem(), &key.serialize_pem())
    }
}

/// A self-signed server certificate (no CA anyone trusts).
pub fn self_signed(dir: &Path, stem: &str, names: &[&str]) -> ServerCert {
    let sans: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let params = CertificateParams::new(sans).expect("params");
    let key = KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("self-signed");
    write(dir, stem, &cert.pem(), &key.serialize_pem())
}

fn write(dir: &Path, stem: &str, cert: &str, key: &str) -> ServerCert {
    let out = ServerCert {
        cert: dir.join(format!("{stem}.pem")),
        key: dir.join(format!("{stem}-key.pem")),
    };
    std::fs::write(&out.cert, cert).expect("write cert");
    std::fs::write(&out.key, key).expect("write key");
    out
}
