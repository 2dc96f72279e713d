//! Vendor limits: MLS vendors suspend credentials that go past their
//! request and volume limits (MLS Grid publishes 2 requests/s, 7,200 an
//! hour, 40,000 a day and 4 GB an hour). Each connection has limits — a
//! preset or its own numbers — and a [`Governor`] that spaces requests,
//! counts them and their bytes per hour and per day (kept in the profile
//! between runs, so a daily cap holds across pulls), and says stop, with
//! the time the pull can resume, rather than pass an hourly or daily cap.
//! The governor only computes; the client sleeps.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// A connection's limits. Zero means no limit of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RateLimits {
    pub per_second: f64,
    pub per_hour: u64,
    pub per_day: u64,
    pub bytes_per_hour: u64,
}

/// The limits a new connection gets: well inside what vendors allow.
pub const DEFAULT: RateLimits = RateLimits {
    per_second: 5.0,
    per_hour: 18_000,
    per_day: 200_000,
    bytes_per_hour: 20_000_000_000,
};

/// Named presets (`--limits NAME`), with where the numbers come from.
pub const PRESETS: [(&str, RateLimits, &str); 3] = [
    (
        "default",
        DEFAULT,
        "5 requests/s, 18,000 an hour, 200,000 a day, 20 GB an hour",
    ),
    (
        "mlsgrid",
        RateLimits {
            per_second: 2.0,
            per_hour: 7_200,
            per_day: 40_000,
            bytes_per_hour: 4_000_000_000,
        },
        "MLS Grid's published limits: 2 requests/s, 7,200 an hour, 40,000 a day, 4 GB an hour",
    ),
    (
        "none",
        RateLimits {
            per_second: 0.0,
            per_hour: 0,
            per_day: 0,
            bytes_per_hour: 0,
        },
        "no limits (only for a server of your own)",
    ),
];

/// The preset called `name`.
pub fn preset(name: &str) -> Option<RateLimits> {
    PRESETS
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name.trim()))
        .map(|(_, l, _)| *l)
}

/// Requests and bytes in the current hour and day (UTC), as saved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Hours and days since the Unix epoch.
    pub hour: i64,
    pub hour_requests: u64,
    pub hour_bytes: u64,
    pub day: i64,
    pub day_requests: u64,
}

/// A cap that would be passed: the pull stops, and can resume at `resume_at`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "stopped before passing this connection's limit of {limit} {what} (the MLS vendor suspends accounts that pass it); everything pulled so far is kept, and `porchlight mls pull` resumes from here after {resume_at} UTC",
    resume_at = resume_at.format("%Y-%m-%d %H:%M")
)]
pub struct QuotaError {
    pub limit: u64,
    pub what: &'static str,
    pub resume_at: DateTime<Utc>,
}

/// The longest a governor waits in place for an hourly window to reset;
/// beyond it the pull stops at its checkpoint instead.
pub const MAX_INLINE_WAIT: Duration = Duration::from_secs(60);

/// Spaces and counts one connection's requests.
#[derive(Debug, Clone)]
pub struct Governor {
    limits: Option<RateLimits>,
    usage: Usage,
    next_at: Option<Instant>,
}

fn hour_start(hour: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(hour * 3600, 0)
        .single()
        .unwrap_or_default()
}

impl Governor {
    pub fn new(limits: Option<RateLimits>) -> Self {
        Self {
            limits,
            usage: Usage::default(),
            next_at: None,
        }
    }

    /// Picks up saved usage (an unreadable note counts as none).
    pub fn load(&mut self, saved: Option<&str>) {
        if let Some(u) = saved.and_then(|s| serde_json::from_str(s).ok()) {
            self.usage = u;
        }
    }

    /// The usage to save.
    pub fn save(&self) -> String {
        serde_json::to_string(&self.usage).unwrap_or_default()
    }

    pub fn usage(&self) -> &Usage {
        &self.usage
    }

    fn roll(&mut self, now: DateTime<Utc>) {
        let hour = now.timestamp().div_euclid(3600);
        let day = now.timestamp().div_euclid(86_400);
        if self.usage.hour != hour {
            self.usage.hour = hour;
            self.usage.hour_requests = 0;
            self.usage.hour_bytes = 0;
        }
        if self.usage.day != day {
            self.usage.day = day;
            self.usage.day_requests = 0;
        }
    }

    /// Before a request at `now`: how long to wait first, counting the
    /// request; or the cap it would pass.
    pub fn before(&mut self, now: DateTime<Utc>, clock: Instant) -> Result<Duration, QuotaError> {
        let Some(l) = self.limits else {
            return Ok(Duration::ZERO);
        };
        self.roll(now);
        if l.per_day > 0 && self.usage.day_requests >= l.per_day {
            return Err(QuotaError {
                limit: l.per_day,
                what: "requests a day",
                resume_at: hour_start((self.usage.day + 1) * 24),
            });
        }
        let mut wait = Duration::ZERO;
        let hour_full = (l.per_hour > 0 && self.usage.hour_requests >= l.per_hour)
            .then_some((l.per_hour, "requests an hour"))
            .or_else(|| {
                (l.bytes_per_hour > 0 && self.usage.hour_bytes >= l.bytes_per_hour)
                    .then_some((l.bytes_per_hour, "bytes an hour"))
            });
        if let Some((limit, what)) = hour_full {
            let resume_at = hour_start(self.usage.hour + 1);
            let until = (resume_at - now).to_std().unwrap_or_default();
            if until > MAX_INLINE_WAIT {
                return Err(QuotaError {
                    limit,
                    what,
                    resume_at,
                });
            }
            wait = until;
            self.usage.hour += 1;
            self.usage.hour_requests = 0;
            self.usage.hour_bytes = 0;
        }
        if let Some(at) = self.next_at {
            wait = wait.max(at.saturating_duration_since(clock));
        }
        if l.per_second > 0.0 {
            self.next_at = Some(clock + wait + Duration::from_secs_f64(1.0 / l.per_second));
        }
        self.usage.hour_requests += 1;
        self.usage.day_requests += 1;
        Ok(wait)
    }

    /// After a reply: its size counts toward the hourly volume.
    pub fn after(&mut self, bytes: u64) {
        self.usage.hour_bytes = self.usage.hour_bytes.saturating_add(bytes);
    }

    /// The server asked for a pause (`RateLimit-*` at zero): no request
    /// before it is over.
    pub fn pause(&mut self, wait: Duration, clock: Instant) {
        let at = clock + wait;
        self.next_at = Some(self.next_at.map_or(at, |n| n.max(at)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn requests_are_spaced_by_the_per_second_limit() {
        let mut g = Governor::new(preset("mlsgrid"));
        let t0 = Instant::now();
        let now = at("2026-12-03T10:00:00Z");
        assert_eq!(g.before(now, t0).expect("first"), Duration::ZERO);
        let w = g.before(now, t0).expect("second");
        assert_eq!(w, Duration::from_millis(500), "2/s");
        let w = g
            .before(now, t0 + Duration::from_millis(500))
            .expect("third");
        assert_eq!(w, Duration::from_millis(500));
        assert_eq!(g.usage().hour_requests, 3);
        let mut none = Governor::new(preset("none"));
        assert_eq!(none.before(now, t0).expect("n"), Duration::ZERO);
        assert_eq!(none.before(now, t0).expect("n"), Duration::ZERO);
    }

    #[test]
    fn a_daily_cap_stops_with_the_time_to_resume_and_holds_across_runs() {
        let limits = RateLimits {
            per_second: 0.0,
            per_hour: 0,
            per_day: 3,
            bytes_per_hour: 0,
        };
        let now = at("2026-12-03T17:20:00Z");
        let t = Instant::now();
        let mut g = Governor::new(Some(limits));
        g.before(now, t).expect("1");
        g.before(now, t).expect("2");
        // A new run picks up what the last one used.
        let saved = g.save();
        let mut g = Governor::new(Some(limits));
        g.load(Some(&saved));
        g.before(now, t).expect("3");
        let e = g.before(now, t).expect_err("4th passes the cap");
        assert_eq!(e.resume_at, at("2026-12-04T00:00:00Z"));
        assert!(e.to_string().contains("3 requests a day"), "{e}");
        // The next day it goes on.
        g.before(at("2026-12-04T00:00:01Z"), t).expect("next day");
    }

    #[test]
    fn an_hourly_volume_cap_waits_briefly_or_stops() {
        let limits = RateLimits {
            per_second: 0.0,
            per_hour: 0,
            per_day: 0,
            bytes_per_hour: 1000,
        };
        let t = Instant::now();
        let mut g = Governor::new(Some(limits));
        g.before(at("2026-12-03T10:10:00Z"), t).expect("1");
        g.after(1500);
        let e = g
            .before(at("2026-12-03T10:10:05Z"), t)
            .expect_err("50 minutes to wait: stop");
        assert_eq!(e.resume_at, at("2026-12-03T11:00:00Z"));
        let w = g
            .before(at("2026-12-03T10:59:30Z"), t)
            .expect("30 s to wait: wait");
        assert_eq!(w, Duration::from_secs(30));
    }

    #[test]
    fn presets_are_named_and_unknown_names_are_none() {
        assert_eq!(preset("MLSGrid").map(|l| l.per_day), Some(40_000));
        assert_eq!(preset("default"), Some(DEFAULT));
        assert_eq!(preset("bogus"), None);
    }
}
