//! What an MLS server says about waiting: `Retry-After` (seconds or an
//! HTTP date) and the IETF `RateLimit-*` headers (`RateLimit-Remaining: 0`
//! with `RateLimit-Reset: N` means wait N seconds before the next request).

use std::time::Duration;

use reqwest::header::HeaderMap;

/// The longest wait any server header can ask for.
pub const MAX_WAIT: Duration = Duration::from_secs(3600);

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The wait a reply asks for: `Retry-After`, else an exhausted
/// `RateLimit-*` window.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(v) = header(headers, "retry-after") {
        if let Ok(secs) = v.parse::<u64>() {
            return Some(Duration::from_secs(secs).min(MAX_WAIT));
        }
        if let Ok(at) = chrono::DateTime::parse_from_rfc2822(v) {
            let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
            return Some(wait.to_std().unwrap_or_default().min(MAX_WAIT));
        }
    }
    rate_limit_wait(headers)
}

/// `RateLimit-Remaining: 0` (or the draft's combined `RateLimit:
/// limit=…, remaining=0, reset=N`): the seconds until the window resets.
pub fn rate_limit_wait(headers: &HeaderMap) -> Option<Duration> {
    let (remaining, reset) = match header(headers, "ratelimit-remaining") {
        Some(r) => (
            r.parse::<u64>().ok()?,
            header(headers, "ratelimit-reset")?.parse::<u64>().ok()?,
        ),
        None => {
            let combined = header(headers, "ratelimit")?;
            let field = |name: &str| {
                combined.split([',', ';']).find_map(|part| {
                    let (k, v) = part.trim().split_once('=')?;
                    (k.trim() == name).then(|| v.trim().parse::<u64>().ok())?
                })
            };
            (field("remaining")?, field("reset")?)
        }
    };
    (remaining == 0).then(|| Duration::from_secs(reset).min(MAX_WAIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("value"));
        }
        h
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date_and_rate_limit_headers() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "7")])),
            Some(Duration::from_secs(7))
        );
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        let wait = retry_after(&headers(&[("retry-after", &soon)])).expect("date");
        assert!(wait <= Duration::from_secs(30) && wait >= Duration::from_secs(25));
        assert_eq!(
            retry_after(&headers(&[
                ("ratelimit-remaining", "0"),
                ("ratelimit-reset", "12")
            ])),
            Some(Duration::from_secs(12))
        );
        assert_eq!(
            retry_after(&headers(&[
                ("ratelimit-remaining", "3"),
                ("ratelimit-reset", "12")
            ])),
            None
        );
        assert_eq!(
            retry_after(&headers(&[(
                "ratelimit",
                "limit=100, remaining=0, reset=5"
            )])),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "999999")])),
            Some(MAX_WAIT)
        );
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }
}
