//! Network errors in words: the whole cause chain (refused, DNS, TLS,
//! timeout), and for a certificate problem one sentence that names the
//! host, says what was wrong and how to fix it — instead of reqwest's
//! "error sending request for url".

use std::error::Error;

use rustls::{AlertDescription, CertificateError};

use super::tls::CA_FILE_ENV;

/// `host:port` of a URL, as the messages name it.
pub fn host_port(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port_or_known_default()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => url.to_string(),
        },
        Err(_) => url.to_string(),
    }
}

/// Every error in the chain, descending into `io::Error`s (whose
/// `source()` skips the error they wrap).
fn chain<'a>(err: &'a (dyn Error + 'static)) -> Vec<&'a (dyn Error + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        out.push(e);
        next = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn Error + 'static)),
            None => e.source(),
        };
        if out.len() > 16 {
            break;
        }
    }
    out
}

/// The sentence for a TLS failure, if the chain holds one.
fn tls_sentence(err: &(dyn Error + 'static), host: &str) -> Option<String> {
    let ca_hint = format!("give its CA with {CA_FILE_ENV}=ca.pem (or the connection's CA file)");
    for e in chain(err) {
        let Some(tls) = find_rustls(e) else { continue };
        let text = match tls {
            rustls::Error::InvalidCertificate(c) => match c {
                CertificateError::UnknownIssuer => format!(
                    "the certificate of {host} is not trusted: it is self-signed or signed by a private CA this computer does not know; {ca_hint}"
                ),
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => format!(
                    "the certificate of {host} has expired; the server must renew it (or this computer's clock is wrong)"
                ),
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    format!(
                        "the certificate of {host} is not valid yet; check this computer's clock"
                    )
                }
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => format!(
                    "the certificate of {host} is made out to another name; connect with the name it was issued for, or give the server a certificate for this name"
                ),
                CertificateError::Revoked => {
                    format!("the certificate of {host} has been revoked")
                }
                CertificateError::BadSignature
                | CertificateError::UnsupportedSignatureAlgorithmContext { .. } => format!(
                    "the certificate of {host} has a signature Porchlight cannot verify ({c:?})"
                ),
                // webpki's own errors arrive boxed; `openssl req -x509`
                // makes exactly this kind (CA:TRUE on the server's own
                // certificate), so it gets its own advice.
                CertificateError::Other(o) if format!("{o:?}").contains("CaUsedAsEndEntity") => {
                    format!(
                        "the certificate of {host} is a CA certificate used as the server's own (a self-signed one made with `openssl req -x509`?), which TLS clients refuse even when trusted; sign a server certificate with a CA and give that CA with {CA_FILE_ENV}=ca.pem (the README shows how), or use a public certificate (Let's Encrypt)"
                    )
                }
                other => format!("the certificate of {host} was refused: {other:?}"),
            },
            rustls::Error::PeerIncompatible(why) => format!(
                "{host} offers no TLS version or cipher Porchlight accepts ({why:?}); the server needs TLS 1.2 or newer"
            ),
            rustls::Error::AlertReceived(
                AlertDescription::ProtocolVersion | AlertDescription::HandshakeFailure,
            ) => format!(
                "{host} refused the TLS handshake (it may allow only TLS older than 1.2, which Porchlight does not accept)"
            ),
            rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
                format!(
                    "{host} did not answer in TLS (is it a plain http:// server, or the wrong port?)"
                )
            }
            other => format!("TLS with {host} failed: {other}"),
        };
        return Some(text);
    }
    None
}

fn find_rustls<'a>(e: &'a (dyn Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(t) = e.downcast_ref::<rustls::Error>() {
        return Some(t);
    }
    #[allow(clippy::collapsible_match)]
    if let Some(t) = e.downcast_ref::<tokio_tungstenite::tungstenite::Error>() {
        if let tokio_tungstenite::tungstenite::Error::Tls(
            tokio_tungstenite::tungstenite::error::TlsError::Rustls(r),
        ) = t
        {
            return Some(r);
        }
    }
    None
}

/// A short plain reading of a non-TLS link in the chain.
fn plain(e: &(dyn Error + 'static)) -> Option<String> {
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        use std::io::ErrorKind::*;
        let hint = match io.kind() {
            ConnectionRefused => {
                "connection refused (is the server running, and is the port right?)"
            }
            TimedOut => "timed out",
            ConnectionReset => "the connection was reset",
            ConnectionAborted => "the connection was aborted",
            UnexpectedEof => "the server closed the connection",
            _ => return None,
        };
        return Some(hint.to_string());
    }
    if let Some(r) = e.downcast_ref::<reqwest::Error>() {
        if r.is_timeout() {
            return Some("timed out".into());
        }
        // reqwest's own words ("error sending request for url (…)") say
        // nothing the chain does not; skip them.
        if r.is_request() || r.is_connect() {
            return Some(String::new());
        }
    }
    // hyper-util's wrapper ("client error (Connect)") says no more either.
    if e.to_string().starts_with("client error (") {
        return Some(String::new());
    }
    None
}

/// The error and its causes in one line: a TLS problem as one sentence,
/// anything else as "cannot connect: dns error: failed to lookup …".
pub fn describe(err: &(dyn Error + 'static), url: &str) -> String {
    let host = host_port(url);
    if let Some(s) = tls_sentence(err, &host) {
        return s;
    }
    let mut parts: Vec<String> = Vec::new();
    for e in chain(err) {
        let text = plain(e).unwrap_or_else(|| e.to_string());
        if text.is_empty() {
            continue;
        }
        // Wrappers often repeat their cause's words ("… : connection refused").
        if parts
            .last()
            .is_some_and(|p: &String| p.contains(&text) || text.contains(p.as_str()))
        {
            if parts.last().is_some_and(|p| text.len() < p.len()) {
                if let Some(last) = parts.last_mut() {
                    *last = text;
                }
            }
            continue;
        }
        parts.push(text);
    }
    if parts.is_empty() {
        return format!("the connection to {host} failed");
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrap(&'static str, Box<dyn Error + Send + Sync>);
    impl std::fmt::Display for Wrap {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl Error for Wrap {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(self.1.as_ref())
        }
    }

    #[test]
    fn an_unknown_issuer_deep_in_an_io_error_names_the_host_and_the_fix() {
        let tls = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let io = std::io::Error::other(tls);
        let err = Wrap("client error (Connect)", Box::new(io));
        let text = describe(&err, "https://relay.example/api");
        assert!(
            text.contains("relay.example:443")
                && text.contains("not trusted")
                && text.contains(CA_FILE_ENV),
            "{text}"
        );
    }

    #[test]
    fn expiry_a_wrong_name_and_plain_http_read_as_such() {
        let cases = [
            (CertificateError::Expired, "expired"),
            (CertificateError::NotValidForName, "another name"),
        ];
        for (c, want) in cases {
            let err = std::io::Error::other(rustls::Error::InvalidCertificate(c));
            let text = describe(&err, "https://mls.example:8443/rets/login");
            assert!(
                text.contains(want) && text.contains("mls.example:8443"),
                "{text}"
            );
        }
        let err = std::io::Error::other(rustls::Error::InvalidMessage(
            rustls::InvalidMessage::InvalidContentType,
        ));
        assert!(describe(&err, "https://x:80").contains("plain http"));
    }

    #[derive(Debug)]
    struct CaUsedAsEndEntity;
    impl std::fmt::Display for CaUsedAsEndEntity {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("CaUsedAsEndEntity")
        }
    }
    impl Error for CaUsedAsEndEntity {}

    #[test]
    fn an_openssl_self_signed_certificate_gets_advice_that_works() {
        let other = rustls::OtherError(std::sync::Arc::new(CaUsedAsEndEntity));
        let err = std::io::Error::other(rustls::Error::InvalidCertificate(
            CertificateError::Other(other),
        ));
        let text = describe(&err, "https://127.0.0.1:7399");
        assert!(
            text.contains("127.0.0.1:7399") && text.contains("openssl req -x509"),
            "{text}"
        );
    }

    #[test]
    fn the_cause_chain_is_printed_without_repeats() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let err = Wrap("tcp connect error", Box::new(refused));
        let err = Wrap("client error (Connect)", Box::new(err));
        let text = describe(&err, "http://127.0.0.1:9");
        assert_eq!(
            text,
            "tcp connect error: connection refused (is the server running, and is the port right?)"
        );
    }
}
