//! porchlight-client: the relay client — the saved sign-in
//! ([`credentials`]), the relay's REST API with the types of `porchlight-api` ([`rest`],
//! [`teams`]), one sync pass over
//! the WebSocket with the sync engine ([`pass`], [`sync_once`]), and a
//! live session that reconnects with backoff and passes presence on
//! ([`live`], [`watch`]). Shared by the CLI and the desktop app.
//!
//! The device token is kept in the OS keychain (`porchlight-secrets`;
//! without one, in a 0600 file with a warning); `<data dir>/relay.json`
//! says which relay and account. `PORCHLIGHT_RELAY` and `PORCHLIGHT_TOKEN`
//! together override both (for servers and scripts).

pub use porchlight_api as api;

pub mod account;
pub mod apikeys;
pub mod calendar;
pub mod credentials;
pub mod error;
pub mod live;
pub mod pass;
pub mod presence;
pub mod rest;
pub mod teams;
pub mod webhooks;

pub use credentials::*;
pub use error::*;
pub use live::*;
pub use pass::*;
pub use presence::*;
pub use rest::*;

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_while_failing_and_starts_over_after_a_good_connection() {
        let ms = Duration::from_millis;
        let policy = porchlight_net::RetryPolicy {
            first: ms(100),
            longest: ms(800),
            retries: None,
        };
        // Each wait is its base (doubling, then the longest) plus up to as
        // much again in jitter.
        let within = |wait: Duration, base: u64| wait >= ms(base) && wait < ms(2 * base);
        let mut b = Backoff::new(policy);
        for base in [100, 200, 400, 800, 800, 800] {
            let wait = b.after(false);
            assert!(within(wait, base), "{wait:?} for base {base} ms");
        }
        // Connected for hours, then the relay restarts: retried at once.
        let wait = b.after(true);
        assert!(within(wait, 100), "{wait:?} after a good connection");
        let wait = b.after(false);
        assert!(within(wait, 200), "{wait:?}");
    }

    #[test]
    fn relay_urls_are_normalized_and_nonsense_is_refused() {
        for (given, want) in [
            ("http://127.0.0.1:7280", "http://127.0.0.1:7280"),
            (" https://relay.example/ ", "https://relay.example"),
            ("ws://127.0.0.1:7280/sync", "http://127.0.0.1:7280"),
            ("wss://relay.example/sync", "https://relay.example"),
        ] {
            assert_eq!(base_url(given).expect(given), want);
        }
        let err = base_url("relay.example").expect_err("no scheme");
        assert!(err.is_user_error());
        assert!(err.to_string().contains("http://127.0.0.1:7280"), "{err}");
    }

    #[test]
    fn plain_http_to_another_machine_is_refused_unless_allowed() {
        for local in [
            "http://127.0.0.1:7280",
            "http://localhost:7280",
            "http://[::1]:7280",
        ] {
            Endpoint::new(local, Trust::default()).expect(local);
        }
        Endpoint::new("https://relay.example", Trust::default()).expect("https");
        let err = Endpoint::new("http://relay.example:7280", Trust::default())
            .expect_err("plain http off this machine");
        assert!(err.is_user_error());
        let text = err.to_string();
        assert!(
            text.contains("unencrypted") && text.contains("--allow-insecure-http"),
            "{text}"
        );
        let allowed = Trust {
            allow_insecure_http: true,
            ..Trust::default()
        };
        Endpoint::new("http://relay.example:7280", allowed).expect("allowed");
    }

    #[test]
    fn a_sign_in_round_trips_and_relay_json_never_holds_the_token() {
        let dir = tempfile::tempdir().expect("dir");
        let creds = Credentials {
            relay: "http://127.0.0.1:7280".into(),
            token: "t0ken-for-the-test".into(),
            email: "kim@example.com".into(),
            trust: Trust {
                ca_file: Some(PathBuf::from("/etc/porchlight/ca.pem")),
                allow_insecure_http: false,
            },
        };
        save_credentials(dir.path(), &creds).expect("save");
        let saved = std::fs::read_to_string(dir.path().join("relay.json")).expect("relay.json");
        assert!(!saved.contains("t0ken-for-the-test"), "{saved}");
        let loaded = load_credentials(dir.path()).expect("load");
        assert_eq!(loaded.token, creds.token);
        assert_eq!(loaded.email, creds.email);
        assert_eq!(
            loaded.trust, creds.trust,
            "the CA file is saved with the sign-in"
        );
        assert!(forget_credentials(dir.path()).expect("forget"));
        let err = load_credentials(dir.path()).expect_err("signed out");
        assert!(
            err.is_user_error() && err.to_string().contains("porchlight login"),
            "{err}"
        );
    }

    #[test]
    fn a_token_left_in_relay_json_by_an_older_version_is_moved_out() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(
            dir.path().join("relay.json"),
            r#"{"relay":"http://127.0.0.1:7280","token":"old-t0ken","email":"kim@example.com"}"#,
        )
        .expect("write");
        assert_eq!(
            load_credentials(dir.path()).expect("load").token,
            "old-t0ken"
        );
        let saved = std::fs::read_to_string(dir.path().join("relay.json")).expect("relay.json");
        assert!(!saved.contains("old-t0ken"), "{saved}");
        assert_eq!(
            load_credentials(dir.path()).expect("again").token,
            "old-t0ken"
        );
        forget_credentials(dir.path()).expect("forget");
    }
}
