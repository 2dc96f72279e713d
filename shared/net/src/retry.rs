//! The one retry policy: every loop that waits and tries again (a RESO
//! page, a RETS transaction, the relay's reconnect) takes its waits from a
//! [`RetryPolicy`], built on `backon`'s exponential backoff with jitter.
//!
//! Waits double from `first` up to `longest`, and each gets up to as much
//! again at random, so clients that failed together do not come back
//! together. A server that says how long to wait (`Retry-After`) is
//! believed, up to `longest`.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};

/// How often and how patiently to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first wait (before jitter).
    pub first: Duration,
    /// Waits stop doubling here (before jitter); also the cap on a
    /// server's `Retry-After`.
    pub longest: Duration,
    /// Tries after the first; `None` tries forever.
    pub retries: Option<u32>,
}

impl RetryPolicy {
    /// A vendor's server (RESO, RETS, photo hosts): four more tries, a
    /// quarter second at first, at most 15 s (30 s with jitter) apart.
    pub const VENDOR: RetryPolicy = RetryPolicy {
        first: Duration::from_millis(250),
        longest: Duration::from_secs(15),
        retries: Some(4),
    };

    /// The relay's live connection: forever, a second at first, at most
    /// 30 s (a minute with jitter) apart.
    pub const RECONNECT: RetryPolicy = RetryPolicy {
        first: Duration::from_secs(1),
        longest: Duration::from_secs(30),
        retries: None,
    };

    /// A fresh run of waits, for one request or one run of failed
    /// connections.
    pub fn start(&self) -> Retries {
        let mut builder = ExponentialBuilder::new()
            .with_min_delay(self.first)
            .with_max_delay(self.longest.max(self.first))
            .with_factor(2.0)
            .with_jitter();
        builder = match self.retries {
            Some(n) => builder.with_max_times(n as usize),
            None => builder.without_max_times(),
        };
        Retries {
            delays: builder.build(),
            longest: self.longest,
        }
    }
}

/// The waits left for one run of tries.
#[derive(Debug)]
pub struct Retries {
    delays: ExponentialBackoff,
    longest: Duration,
}

impl Retries {
    /// The wait before the next try, or `None` when the tries are used up.
    /// `asked` is the server's own `Retry-After`, which replaces the
    /// computed wait (capped at the policy's `longest`).
    pub fn next_wait(&mut self, asked: Option<Duration>) -> Option<Duration> {
        let computed = self.delays.next()?;
        Some(asked.map_or(computed, |a| a.min(self.longest)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn waits_double_up_to_the_longest_with_at_most_as_much_again_in_jitter() {
        let policy = RetryPolicy {
            first: MS(100),
            longest: MS(800),
            retries: None,
        };
        let mut waits = policy.start();
        for base in [100, 200, 400, 800, 800, 800] {
            let wait = waits.next_wait(None).expect("forever");
            assert!(
                wait >= MS(base) && wait < MS(2 * base),
                "{wait:?} is not in [{base} ms, {} ms)",
                2 * base
            );
        }
    }

    #[test]
    fn the_tries_run_out_and_a_fresh_start_begins_again_at_the_first_wait() {
        let policy = RetryPolicy {
            retries: Some(2),
            ..RetryPolicy::VENDOR
        };
        let mut waits = policy.start();
        assert!(waits.next_wait(None).is_some());
        assert!(waits.next_wait(None).is_some());
        assert_eq!(waits.next_wait(None), None);
        let first = policy.start().next_wait(None).expect("fresh");
        assert!(first < 2 * policy.first, "{first:?}");
    }

    #[test]
    fn a_servers_retry_after_wins_but_never_beyond_the_longest_wait() {
        let mut waits = RetryPolicy::VENDOR.start();
        assert_eq!(waits.next_wait(Some(MS(3_000))), Some(MS(3_000)));
        assert_eq!(
            waits.next_wait(Some(Duration::from_secs(3_600))),
            Some(RetryPolicy::VENDOR.longest)
        );
    }

    #[test]
    fn no_retries_means_one_try() {
        let policy = RetryPolicy {
            retries: Some(0),
            ..RetryPolicy::VENDOR
        };
        assert_eq!(policy.start().next_wait(Some(MS(1))), None);
    }
}
