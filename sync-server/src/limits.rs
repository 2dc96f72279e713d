//! What keeps one caller from taking the relay down: a bound on password
//! hashing at once, and rate limits per client address and per account,
//! each in bounded memory.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::{Config, Limits};
use crate::error::AppError;

/// Keys one limiter tracks before it forgets the idle ones early; beyond
/// it, after forgetting, new keys are refused until some expire.
const MAX_KEYS: usize = 100_000;
/// How long a login or sign-up waits for a free password-hashing slot.
/// A refused attempt is answered after this long (the tarpit): a caller
/// hammering on a keep-alive connection then costs the relay one answer a
/// second per connection instead of all the CPU it can take.
const TARPIT: Duration = Duration::from_secs(1);
/// Refusals held back at once; beyond it they are answered at once (each
/// held one is only a sleeping task, but the number is bounded all the same).
const TARPIT_MAX: usize = 4096;

/// The socket address of the caller (for a proxy, the proxy's), as
/// `ConnectInfo` for any listener the relay serves on (TCP or TLS).
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

impl
    axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tokio::net::TcpListener>>
    for PeerAddr
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, tokio::net::TcpListener>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

impl
    axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, crate::tls::TlsListener>>
    for PeerAddr
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, crate::tls::TlsListener>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

#[derive(Debug)]
pub struct Guards {
    hashing: Arc<Semaphore>,
    hash_wait: Duration,
    tarpit: Arc<Semaphore>,
    login_ip: DefaultKeyedRateLimiter<IpAddr>,
    login_account: DefaultKeyedRateLimiter<String>,
    signup_ip: DefaultKeyedRateLimiter<IpAddr>,
    trusted_proxies: Vec<crate::config::Proxies>,
}

fn per(n: u32, period: Duration) -> Quota {
    let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
    // `n` requests per `period`, all of them allowed at once.
    Quota::with_period(period / n.get())
        .unwrap_or_else(|| Quota::per_second(n))
        .allow_burst(n)
}

fn retry_after(wait: Duration) -> AppError {
    let secs = wait.as_secs().max(1);
    AppError::too_many(format!("too many attempts; try again in {secs} s")).retry_after(secs)
}

fn check<K: std::hash::Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), AppError> {
    if limiter.len() >= MAX_KEYS {
        limiter.retain_recent();
        if limiter.len() >= MAX_KEYS {
            return Err(AppError::unavailable(
                "the relay is refusing new callers for a moment",
                5,
            ));
        }
    }
    limiter
        .check_key(key)
        .map_err(|not_until| retry_after(not_until.wait_time_from(DefaultClock::default().now())))
}

impl Guards {
    pub fn new(config: &Config) -> Self {
        let l: &Limits = &config.limits;
        Self {
            hashing: Arc::new(Semaphore::new(l.password_hashing.max(1))),
            hash_wait: Duration::from_millis(l.password_wait_ms),
            tarpit: Arc::new(Semaphore::new(TARPIT_MAX)),
            login_ip: RateLimiter::keyed(per(l.logins_per_minute_per_ip, Duration::from_secs(60))),
            login_account: RateLimiter::keyed(per(
                l.logins_per_minute_per_account,
                Duration::from_secs(60),
            )),
            signup_ip: RateLimiter::keyed(per(
                l.signups_per_hour_per_ip,
                Duration::from_secs(3600),
            )),
            trusted_proxies: config.trusted_proxies.clone(),
        }
    }

    /// The client's address: the socket's peer, or — when the peer is a
    /// trusted proxy — the right-most address in `X-Forwarded-For` that is
    /// not itself a trusted proxy (the left part is the client's to forge).
    pub fn client_ip(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.ip();
        let trusted = |ip: &IpAddr| self.trusted_proxies.iter().any(|p| p.contains(ip));
        if !trusted(&peer) {
            return peer;
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .collect::<Vec<_>>();
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !trusted(ip))
            .unwrap_or(peer)
    }

    pub async fn login(&self, ip: IpAddr, email: &str) -> Result<(), AppError> {
        let checked = check(&self.login_ip, &ip)
            .and_then(|()| check(&self.login_account, &email.to_string()));
        self.slowly(checked).await
    }

    pub async fn signup(&self, ip: IpAddr) -> Result<(), AppError> {
        let checked = check(&self.signup_ip, &ip);
        self.slowly(checked).await
    }

    /// A refusal waits out the tarpit before it is answered.
    async fn slowly(&self, checked: Result<(), AppError>) -> Result<(), AppError> {
        if checked.is_err()
            && let Ok(_held) = self.tarpit.clone().try_acquire_owned()
        {
            tokio::time::sleep(TARPIT).await;
        }
        checked
    }

    /// A slot for one password hash or check; 503 with Retry-After when
    /// every slot stays busy.
    pub async fn hashing(&self) -> Result<OwnedSemaphorePermit, AppError> {
        match tokio::time::timeout(self.hash_wait, self.hashing.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(AppError::unavailable(
                "the relay is busy checking passwords; try again in a few seconds",
                2,
            )),
        }
    }

    /// Forgets callers idle long enough that their limits are full again.
    pub fn forget_idle(&self) {
        for l in [&self.login_ip, &self.signup_ip] {
            l.retain_recent();
            l.shrink_to_fit();
        }
        self.login_account.retain_recent();
        self.login_account.shrink_to_fit();
    }

    /// Keys held across the limiters (for tests and `/metrics`).
    pub fn tracked(&self) -> usize {
        self.login_ip.len() + self.login_account.len() + self.signup_ip.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guards(proxies: &[&str]) -> Guards {
        let mut config = Config::for_dir("/nonexistent".into());
        config.trusted_proxies = proxies.iter().map(|p| p.parse().expect("ip")).collect();
        config.limits.logins_per_minute_per_ip = 3;
        Guards::new(&config)
    }

    #[test]
    fn forwarded_for_is_read_only_from_a_trusted_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "6.6.6.6, 203.0.113.7".parse().expect("h"),
        );
        let direct: SocketAddr = "198.51.100.2:5000".parse().expect("a");
        let proxy: SocketAddr = "127.0.0.1:5000".parse().expect("a");
        assert_eq!(
            guards(&[]).client_ip(proxy, &headers),
            proxy.ip(),
            "no proxy trusted: the header is ignored"
        );
        let g = guards(&["127.0.0.1"]);
        assert_eq!(g.client_ip(direct, &headers), direct.ip());
        assert_eq!(
            g.client_ip(proxy, &headers),
            "203.0.113.7".parse::<IpAddr>().expect("ip"),
            "the right-most untrusted address, not the forgeable left one"
        );
        // A proxy network (a container network whose proxy address changes).
        let g = guards(&["172.16.0.0/12"]);
        let in_net: SocketAddr = "172.18.0.5:5000".parse().expect("a");
        assert_eq!(
            g.client_ip(in_net, &headers),
            "203.0.113.7".parse::<IpAddr>().expect("ip")
        );
        assert_eq!(g.client_ip(direct, &headers), direct.ip());
        let bad = "not-a-net"
            .parse::<crate::config::Proxies>()
            .expect_err("bad");
        assert!(bad.contains("10.0.0.0/8"), "{bad}");
    }

    #[tokio::test]
    async fn logins_from_one_address_are_limited_say_when_to_retry_and_answer_slowly() {
        let g = guards(&[]);
        let ip: IpAddr = "198.51.100.2".parse().expect("ip");
        for n in 0..3 {
            g.login(ip, &format!("a{n}@example.com"))
                .await
                .expect("within the limit");
        }
        let asked = std::time::Instant::now();
        let e = g.login(ip, "b@example.com").await.expect_err("limited");
        assert_eq!(e.status.as_u16(), 429);
        assert!(e.retry_after.is_some_and(|s| s >= 1), "{e:?}");
        assert!(
            asked.elapsed() >= TARPIT,
            "a refusal is answered after the tarpit"
        );
        let asked = std::time::Instant::now();
        g.login("198.51.100.3".parse().expect("ip"), "c@example.com")
            .await
            .expect("another address is not limited");
        assert!(
            asked.elapsed() < TARPIT,
            "an allowed attempt is not held back"
        );
    }
}
