//! Where credentials may go. A connection is pinned to the origin the user
//! configured (scheme + host + port); links and redirects to any other
//! origin are refused unless the connection lists it (`--allow-origin`),
//! and then they are fetched without credentials.

use std::fmt;

use reqwest::Url;

/// scheme://host:port, with the scheme's default port filled in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl Origin {
    pub fn of(url: &Url) -> Option<Self> {
        Some(Self {
            scheme: url.scheme().to_ascii_lowercase(),
            host: url.host_str()?.to_ascii_lowercase(),
            port: url.port_or_known_default()?,
        })
    }

    pub fn parse(url: &str) -> Option<Self> {
        Self::of(&Url::parse(url).ok()?)
    }

    /// Reads an `--allow-origin` value: a URL, or a bare host (https:443).
    pub fn from_setting(value: &str) -> Option<Self> {
        let v = value.trim().trim_end_matches('/');
        if v.contains("://") {
            return Self::parse(v);
        }
        Self::parse(&format!("https://{v}"))
    }

    /// True for plain http.
    pub fn is_plain(&self) -> bool {
        self.scheme == "http" || self.scheme == "ws"
    }

    /// The host is this machine (127.0.0.0/8, ::1, localhost).
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.host)
    }
}

/// 127.0.0.0/8, ::1 or `localhost`.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") || h.to_ascii_lowercase().ends_with(".localhost") {
        return true;
    }
    h.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// How a URL relates to a pinned origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// The configured origin: credentials go with the request.
    Home,
    /// Another origin the connection allows: fetched without credentials.
    Allowed,
}

/// The configured origin and the ones allowed besides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub home: Origin,
    pub allowed: Vec<Origin>,
}

impl Pin {
    pub fn new(home: Origin, allowed: &[String]) -> Self {
        Self {
            home,
            allowed: allowed
                .iter()
                .filter_map(|a| Origin::from_setting(a))
                .collect(),
        }
    }

    /// Whether `url` may be fetched, and with credentials or not; `None`
    /// for a URL of another origin that is not allowed.
    pub fn reach(&self, url: &Url) -> Option<Reach> {
        let o = Origin::of(url)?;
        if o == self.home {
            Some(Reach::Home)
        } else if self.allowed.contains(&o) {
            Some(Reach::Allowed)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn origins_compare_scheme_host_and_port_with_default_ports() {
        let a = Origin::parse("https://MLS.example/rets/login").expect("a");
        assert_eq!(
            a,
            Origin::parse("https://mls.example:443/search").expect("b")
        );
        assert_ne!(a, Origin::parse("http://mls.example/rets").expect("c"));
        assert_ne!(a, Origin::parse("https://mls.example:8443/").expect("d"));
        assert_ne!(a, Origin::parse("https://evil.example/").expect("e"));
        assert_eq!(a.to_string(), "https://mls.example:443");
    }

    #[test]
    fn a_pin_allows_home_and_listed_origins_only() {
        let pin = Pin::new(
            Origin::parse("https://api.mls.example/odata").expect("home"),
            &["media.cdn.example".to_string()],
        );
        assert_eq!(
            pin.reach(&url("https://api.mls.example/odata/Property?$skip=5")),
            Some(Reach::Home)
        );
        assert_eq!(
            pin.reach(&url("https://media.cdn.example/p/1.jpg")),
            Some(Reach::Allowed)
        );
        assert_eq!(pin.reach(&url("https://evil.example/odata")), None);
        assert_eq!(pin.reach(&url("http://api.mls.example/odata")), None);
    }

    #[test]
    fn loopback_hosts() {
        for h in [
            "127.0.0.1",
            "127.9.9.9",
            "localhost",
            "[::1]",
            "::1",
            "app.localhost",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "10.0.0.1",
            "relay.example",
            "192.168.1.2",
            "localhost.example",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }
}
