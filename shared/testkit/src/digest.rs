//! The server side of HTTP Digest, for the fake RETS server: checking an
//! `Authorization` header the client under test sent.

use md5::{Digest as _, Md5};
use porchlight_store::listings::rets::auth;

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

/// What a server checks a Digest `Authorization` header against (the fake RETS server's side of the exchange).
pub fn digest_valid(header: &str, password: &str, method: &str) -> bool {
    let Some(rest) = header.trim().strip_prefix("Digest ") else {
        return false;
    };
    let p: std::collections::HashMap<String, String> = auth::params(rest).into_iter().collect();
    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
    let mut ha1 = md5_hex(&[get("username"), get("realm"), password]);
    if get("algorithm").eq_ignore_ascii_case("md5-sess") {
        ha1 = md5_hex(&[&ha1, get("nonce"), get("cnonce")]);
    }
    let ha2 = md5_hex(&[method, get("uri")]);
    let expected = if p.contains_key("qop") {
        md5_hex(&[
            &ha1,
            get("nonce"),
            get("nc"),
            get("cnonce"),
            get("qop"),
            &ha2,
        ])
    } else {
        md5_hex(&[&ha1, get("nonce"), &ha2])
    };
    expected == get("response")
}

/// A `username`/`nonce`/… parameter of a Digest `Authorization` header.
pub fn digest_param(header: &str, name: &str) -> Option<String> {
    let rest = header.trim().strip_prefix("Digest ")?;
    auth::params(rest)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use porchlight_store::listings::rets::auth::Challenge;

    #[test]
    fn the_client_s_digest_checks_out_on_the_server_side() {
        let c = Challenge::parse(
            "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        )
        .expect("challenge");
        let h = c.authorization(
            "Mufasa",
            "Circle Of Life",
            "GET",
            "/dir/index.html",
            1,
            "0a4f113b",
        );
        assert!(digest_valid(&h, "Circle Of Life", "GET"));
        assert!(!digest_valid(&h, "wrong", "GET"));
        assert_eq!(digest_param(&h, "username").as_deref(), Some("Mufasa"));
        let c = Challenge::parse("Digest realm=\"r\",nonce=\"n\",algorithm=MD5-sess").expect("c");
        let h = c.authorization("u", "p", "POST", "/rets/login?x=1", 2, "c");
        assert!(digest_valid(&h, "p", "POST"));
        assert!(!digest_valid(&h, "p", "GET"));
    }
}
