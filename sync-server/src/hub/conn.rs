//! One connection as the hub sees it, and the bounds on what it may send
//! and be sent: a send queue bounded in bytes, a presence rate, a cap on
//! the documents it syncs at once.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use porchlight_sync::PeerId;
use tokio::sync::mpsc;

/// Frames queued for one connection before it counts as a slow reader.
pub const SEND_QUEUE: usize = 512;
/// Bytes queued for one connection before it counts as a slow reader. One
/// frame is always let through whatever its size (a first sync of a large
/// document), so this bounds the backlog, not the frame.
pub const SEND_QUEUE_BYTES: usize = 8 * 1024 * 1024;
/// Longest peer id a client may claim in its `join`.
pub const MAX_PEER_ID: usize = 128;
/// Largest presence (ephemeral) payload passed on.
pub const MAX_EPHEMERAL: usize = 64 * 1024;
/// Largest frame that is not a sync message (join, presence, errors): far
/// below the sync frame limit, which is there for whole documents.
pub const MAX_NON_SYNC_FRAME: usize = MAX_EPHEMERAL + 4 * 1024;
/// Presence messages per second a connection may send (sustained), and
/// its burst.
const EPHEMERAL_RATE: f64 = 20.0;
const EPHEMERAL_BURST: f64 = 40.0;

/// Presence queued for one connection at most; past it, presence to that
/// connection is dropped (it is lossy by nature) rather than queued.
pub const PRESENCE_BACKLOG: usize = 256 * 1024;

/// What the hub sends a connection.
#[derive(Debug)]
pub enum Outbound {
    Frame(Vec<u8>),
    /// Presence: dropped, not queued, for a connection with a backlog.
    Presence(Vec<u8>),
    Close(String),
}

impl Outbound {
    fn len(&self) -> usize {
        match self {
            Outbound::Frame(f) | Outbound::Presence(f) => f.len(),
            Outbound::Close(_) => 0,
        }
    }
}

/// What became of a frame handed to [`Sender::try_send`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queued {
    Yes,
    /// Presence to a connection with a backlog: dropped.
    Dropped,
    /// The reader is too slow (its backlog, or everyone's, is full): the
    /// connection must go.
    Slow,
}

/// Bytes waiting in every connection's send queue together, and their
/// bound: a flood that many slow readers each take a share of still fits.
#[derive(Debug, Clone)]
pub struct Budget {
    used: Arc<AtomicUsize>,
    limit: usize,
}

impl Budget {
    pub fn new(limit: usize) -> Self {
        Self {
            used: Arc::new(AtomicUsize::new(0)),
            limit,
        }
    }

    /// Bytes queued now across all connections.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }
}

fn sub(counter: &AtomicUsize, n: usize) {
    let _ = counter.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
        Some(v.saturating_sub(n))
    });
}

/// The connection side of the send queue: frames and the bytes they hold.
#[derive(Debug)]
pub struct Queue {
    pub rx: mpsc::Receiver<Outbound>,
    queued: Arc<AtomicUsize>,
    budget: Budget,
}

impl Queue {
    /// Call after a frame of `len` bytes left for the socket.
    pub fn sent(&self, len: usize) {
        sub(&self.queued, len);
        sub(&self.budget.used, len);
    }
}

impl Drop for Queue {
    /// Frames still queued when the connection ends leave the budget.
    fn drop(&mut self) {
        let left = self.queued.swap(0, Ordering::Relaxed);
        sub(&self.budget.used, left);
    }
}

/// The hub side of the send queue.
#[derive(Debug, Clone)]
pub struct Sender {
    tx: mpsc::Sender<Outbound>,
    queued: Arc<AtomicUsize>,
    budget: Budget,
}

/// A connection's send queue, both sides, drawing on `budget`.
pub fn queue(budget: &Budget) -> (Sender, Queue) {
    let (tx, rx) = mpsc::channel(SEND_QUEUE);
    let queued = Arc::new(AtomicUsize::new(0));
    (
        Sender {
            tx,
            queued: queued.clone(),
            budget: budget.clone(),
        },
        Queue {
            rx,
            queued,
            budget: budget.clone(),
        },
    )
}

impl Sender {
    /// Queues a frame. One frame is always let through to a connection
    /// with nothing queued, whatever its size (a first sync of a large
    /// document); beyond that the connection's backlog and everyone's
    /// together are bounded in bytes.
    pub fn try_send(&self, out: Outbound) -> Queued {
        let len = out.len();
        let presence = matches!(out, Outbound::Presence(_));
        let own = self.queued.load(Ordering::Relaxed);
        let all = self.budget.used.load(Ordering::Relaxed);
        if presence && (own + len > PRESENCE_BACKLOG || all + len > self.budget.limit / 2) {
            return Queued::Dropped;
        }
        if own > 0 && (own + len > SEND_QUEUE_BYTES || all + len > self.budget.limit) {
            return Queued::Slow;
        }
        self.queued.fetch_add(len, Ordering::Relaxed);
        self.budget.used.fetch_add(len, Ordering::Relaxed);
        match self.tx.try_send(out) {
            Ok(()) => Queued::Yes,
            Err(e) => {
                sub(&self.queued, len);
                sub(&self.budget.used, len);
                match e {
                    // The connection is ending anyway.
                    mpsc::error::TrySendError::Closed(_) => Queued::Yes,
                    mpsc::error::TrySendError::Full(_) if presence => Queued::Dropped,
                    mpsc::error::TrySendError::Full(_) => Queued::Slow,
                }
            }
        }
    }
}

/// Closes one connection from the hub's side, even while its writer is
/// stuck on a reader that never reads: the connection task waits on it.
#[derive(Debug, Default)]
pub struct Kill(tokio::sync::Notify);

impl Kill {
    pub fn kill(&self) {
        // A permit is kept if the connection is not waiting yet.
        self.0.notify_one();
    }

    pub async fn killed(&self) {
        self.0.notified().await;
    }
}

/// One connection as a hub shard sees it.
#[derive(Debug)]
pub struct Conn {
    pub account: i64,
    /// The API key that opened the connection, if not a device.
    pub key: Option<crate::store::KeyGrant>,
    /// The peer id the client announced in its `join`. The hub knows the
    /// connection by its own id (bound to the authenticated device) and
    /// never trusts this one, but addresses frames to it, as peers expect.
    pub claimed: PeerId,
    pub out: Sender,
    /// Documents whose team's storage quota this connection was told of.
    pub told_full: HashSet<String>,
    pub kill: Arc<Kill>,
}

/// Presence messages a connection may send per second (sustained), and
/// its burst; past them they are dropped.
#[derive(Debug)]
pub struct PresenceRate {
    tokens: f64,
    at: Instant,
}

impl Default for PresenceRate {
    fn default() -> Self {
        Self {
            tokens: EPHEMERAL_BURST,
            at: Instant::now(),
        }
    }
}

impl PresenceRate {
    /// Takes one presence message from the budget; `false` when the
    /// connection sends them too fast.
    pub fn allow(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.at).as_secs_f64() * EPHEMERAL_RATE;
        self.at = now;
        self.tokens = (self.tokens + refill).min(EPHEMERAL_BURST);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: usize) -> Outbound {
        Outbound::Frame(vec![0; n])
    }

    #[test]
    fn the_send_queue_is_bounded_in_bytes_but_always_takes_one_frame() {
        let budget = Budget::new(1 << 30);
        let (tx, mut q) = queue(&budget);
        assert_eq!(
            tx.try_send(frame(SEND_QUEUE_BYTES * 2)),
            Queued::Yes,
            "one large frame goes"
        );
        assert_eq!(tx.try_send(frame(10)), Queued::Slow, "then it is full");
        let Ok(Outbound::Frame(out)) = q.rx.try_recv() else {
            panic!("queued")
        };
        q.sent(out.len());
        assert_eq!(tx.try_send(frame(10)), Queued::Yes, "drained");
        assert_eq!(tx.try_send(frame(SEND_QUEUE_BYTES - 100)), Queued::Yes);
        assert_eq!(tx.try_send(frame(200)), Queued::Slow, "over the bytes");
    }

    #[test]
    fn presence_to_a_backlogged_reader_is_dropped_not_queued() {
        let budget = Budget::new(1 << 30);
        let (tx, _q) = queue(&budget);
        let mut queued = 0;
        while tx.try_send(Outbound::Presence(vec![0; 60 * 1024])) == Queued::Yes {
            queued += 1;
        }
        assert_eq!(queued, PRESENCE_BACKLOG / (60 * 1024));
        assert_eq!(
            tx.try_send(Outbound::Presence(vec![0; 60 * 1024])),
            Queued::Dropped,
            "the reader is not cut off for presence"
        );
        assert_eq!(tx.try_send(frame(100)), Queued::Yes, "sync still goes");
    }

    #[test]
    fn every_connection_together_is_bounded_and_a_closed_one_gives_its_bytes_back() {
        let budget = Budget::new(1024 * 1024);
        let (a, qa) = queue(&budget);
        let (b, _qb) = queue(&budget);
        assert_eq!(a.try_send(frame(600 * 1024)), Queued::Yes);
        assert_eq!(a.try_send(frame(300 * 1024)), Queued::Yes);
        assert_eq!(
            b.try_send(frame(10)),
            Queued::Yes,
            "an empty queue takes one frame"
        );
        assert_eq!(
            b.try_send(frame(200 * 1024)),
            Queued::Slow,
            "everyone's bytes are full"
        );
        assert_eq!(budget.used(), 900 * 1024 + 10);
        drop(qa);
        assert_eq!(
            budget.used(),
            10,
            "a dropped queue's bytes return to the budget"
        );
        assert_eq!(b.try_send(frame(200 * 1024)), Queued::Yes);
    }

    #[test]
    fn presence_past_the_burst_is_dropped() {
        let mut rate = PresenceRate::default();
        let allowed = (0..100).filter(|_| rate.allow()).count();
        assert!((40..=42).contains(&allowed), "{allowed}");
    }
}
