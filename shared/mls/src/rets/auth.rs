//! RETS authentication: HTTP Digest (RFC 2617, MD5 and MD5-sess, with or
//! without `qop=auth`) and Basic, and the RETS `RETS-UA-Authorization`
//! header that proves which user agent is calling.

use md5::{Digest as _, Md5};

fn md5_hex(parts: &[&str]) -> String {
    let mut h = Md5::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update(b":");
        }
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}

/// A `WWW-Authenticate: Digest …` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    /// `auth` when the server offers it (the only one used here).
    pub qop_auth: bool,
    pub algorithm_sess: bool,
}

/// The `name=value` pairs of an auth header after its scheme; values may
/// be quoted and contain commas.
/// The `name=value` / `name="value"` parameters of an authentication
/// header (a challenge, or an `Authorization` value after its scheme).
pub fn params(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let name = rest[..eq]
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            value = quoted[..end].to_string();
            rest = quoted.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_string();
            rest = &rest[end..];
        }
        rest = rest.trim_start().trim_start_matches(',').trim_start();
        out.push((name, value));
    }
    out
}

impl Challenge {
    /// Reads a `WWW-Authenticate` value; `None` unless it is a Digest
    /// challenge with a nonce.
    pub fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, rest) = header.split_once(char::is_whitespace)?;
        if !scheme.eq_ignore_ascii_case("digest") {
            return None;
        }
        let mut c = Challenge {
            realm: String::new(),
            nonce: String::new(),
            opaque: None,
            qop_auth: false,
            algorithm_sess: false,
        };
        for (name, value) in params(rest) {
            match name.as_str() {
                "realm" => c.realm = value,
                "nonce" => c.nonce = value,
                "opaque" => c.opaque = Some(value),
                "qop" => c.qop_auth = value.split(',').any(|q| q.trim() == "auth"),
                "algorithm" => c.algorithm_sess = value.eq_ignore_ascii_case("md5-sess"),
                _ => {}
            }
        }
        (!c.nonce.is_empty()).then_some(c)
    }

    /// The `Authorization` value for one request. `uri` is the request's
    /// path and query; `nc` counts the requests made with this nonce
    /// (from 1); `cnonce` is the client's random nonce.
    pub fn authorization(
        &self,
        user: &str,
        password: &str,
        method: &str,
        uri: &str,
        nc: u32,
        cnonce: &str,
    ) -> String {
        let mut ha1 = md5_hex(&[user, &self.realm, password]);
        if self.algorithm_sess {
            ha1 = md5_hex(&[&ha1, &self.nonce, cnonce]);
        }
        let ha2 = md5_hex(&[method, uri]);
        let nc = format!("{nc:08x}");
        let response = if self.qop_auth {
            md5_hex(&[&ha1, &self.nonce, &nc, cnonce, "auth", &ha2])
        } else {
            md5_hex(&[&ha1, &self.nonce, &ha2])
        };
        let mut header = format!(
            "Digest username=\"{user}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\", response=\"{response}\"",
            self.realm, self.nonce
        );
        if self.qop_auth {
            header.push_str(&format!(", qop=auth, nc={nc}, cnonce=\"{cnonce}\""));
        } else if self.algorithm_sess {
            // MD5-sess hashes the cnonce in, so the server needs it.
            header.push_str(&format!(", cnonce=\"{cnonce}\""));
        }
        if let Some(opaque) = &self.opaque {
            header.push_str(&format!(", opaque=\"{opaque}\""));
        }
        header.push_str(if self.algorithm_sess {
            ", algorithm=MD5-sess"
        } else {
            ", algorithm=MD5"
        });
        header
    }
}

/// The `Authorization` value for Basic auth.
pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    let pair = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// The `RETS-UA-Authorization` value: `Digest ` and
/// MD5(MD5(user agent ":" UA password) ":" request id ":" session id ":" RETS version).
pub fn ua_authorization(
    user_agent: &str,
    ua_password: &str,
    request_id: &str,
    session_id: &str,
    version: &str,
) -> String {
    let a1 = md5_hex(&[user_agent, ua_password]);
    format!(
        "Digest {}",
        md5_hex(&[&a1, request_id, session_id, version])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_2617_example() {
        // RFC 2617 section 3.5.
        let c = Challenge::parse(
            "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        )
        .expect("challenge");
        assert!(c.qop_auth);
        let h = c.authorization(
            "Mufasa",
            "Circle Of Life",
            "GET",
            "/dir/index.html",
            1,
            "0a4f113b",
        );
        assert!(
            h.contains("response=\"6629fae49393a05397450978507c4ef1\""),
            "{h}"
        );
        assert!(h.contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
    }

    #[test]
    fn without_qop_with_sess_and_not_digest() {
        let c = Challenge::parse("Digest realm=\"r\",nonce=\"n\",algorithm=MD5-sess").expect("c");
        assert!(!c.qop_auth && c.algorithm_sess);
        let h = c.authorization("u", "p", "POST", "/rets/login?x=1", 2, "c");
        assert!(
            h.contains("algorithm=MD5-sess") || h.contains("algorithm=\"MD5-sess\""),
            "{h}"
        );
        assert!(Challenge::parse("Basic realm=\"r\"").is_none());
        assert!(Challenge::parse("Digest realm=\"r\"").is_none());
    }

    #[test]
    fn basic_and_ua_authorization() {
        assert_eq!(
            basic("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(basic("a", "b"), "Basic YTpi");
        // MD5("Porchlight/1.0:secret") then with ":" request ":" session ":" version.
        let a1 = md5_hex(&["Porchlight/1.0", "secret"]);
        assert_eq!(
            ua_authorization("Porchlight/1.0", "secret", "", "S1", "RETS/1.7.2"),
            format!("Digest {}", md5_hex(&[&a1, "", "S1", "RETS/1.7.2"]))
        );
        assert_eq!(md5_hex(&["abc"]), "900150983cd24fb0d6963f7d28e17f72");
    }
}
