//! One connection as the hub sees it, and the bounds on what it may send
//! and be sent: a send queue bounded in bytes, a presence rate, a cap on
//! the documents it syncs at once.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use porchlight_sync::PeerId;
use tokio::sync::{mpsc, oneshot};

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

/// What the hub sends a connection.
#[derive(Debug)]
pub enum Outbound {
    Frame(Vec<u8>),
    Close(String),
}

/// The connection side of the send queue: frames and the bytes they hold.
#[derive(Debug)]
pub struct Queue {
    pub rx: mpsc::Receiver<Outbound>,
    queued: Arc<AtomicUsize>,
}

impl Queue {
    /// Call after a frame of `len` bytes left for the socket.
    pub fn sent(&self, len: usize) {
        self.queued.fetch_sub(len, Ordering::Relaxed);
    }
}

/// The hub side of the send queue.
#[derive(Debug, Clone)]
pub struct Sender {
    tx: mpsc::Sender<Outbound>,
    queued: Arc<AtomicUsize>,
}

/// A connection's send queue, both sides.
pub fn queue() -> (Sender, Queue) {
    let (tx, rx) = mpsc::channel(SEND_QUEUE);
    let queued = Arc::new(AtomicUsize::new(0));
    (
        Sender {
            tx,
            queued: queued.clone(),
        },
        Queue { rx, queued },
    )
}

impl Sender {
    /// Queues a frame; `false` when the reader is too slow (too many frames
    /// or bytes waiting), and the connection must go.
    pub fn try_send(&self, out: Outbound) -> bool {
        let len = match &out {
            Outbound::Frame(f) => f.len(),
            Outbound::Close(_) => 0,
        };
        let before = self.queued.load(Ordering::Relaxed);
        if before > 0 && before + len > SEND_QUEUE_BYTES {
            return false;
        }
        self.queued.fetch_add(len, Ordering::Relaxed);
        match self.tx.try_send(out) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Closed(_)) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.queued.fetch_sub(len, Ordering::Relaxed);
                false
            }
        }
    }
}

#[derive(Debug)]
pub struct Conn {
    pub account: i64,
    pub device: i64,
    /// The API key that opened the connection, if not a device.
    pub key: Option<crate::store::KeyGrant>,
    pub out: Sender,
    pub joined: bool,
    /// The peer id the client announced in its `join`. The hub knows the
    /// connection by its own id (bound to the authenticated device) and
    /// never trusts this one, but addresses frames to it, as peers expect.
    pub claimed: Option<PeerId>,
    /// Documents this connection has asked for (bounded by the quota).
    pub docs: HashSet<String>,
    /// Documents whose team's storage quota this connection was told of.
    pub told_full: HashSet<String>,
    presence_tokens: f64,
    presence_at: Instant,
    /// Dropped with the `Conn`: tells the connection task to close the
    /// socket even when its writer is stuck on a reader that never reads.
    _kill: oneshot::Sender<()>,
}

impl Conn {
    pub fn new(account: i64, device: i64, out: Sender, kill: oneshot::Sender<()>) -> Self {
        Self {
            account,
            device,
            key: None,
            out,
            joined: false,
            claimed: None,
            docs: HashSet::new(),
            told_full: HashSet::new(),
            presence_tokens: EPHEMERAL_BURST,
            presence_at: Instant::now(),
            _kill: kill,
        }
    }

    /// Takes one presence message from the connection's budget; `false`
    /// when it is sending them too fast (the message is dropped).
    pub fn allow_presence(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.presence_at).as_secs_f64() * EPHEMERAL_RATE;
        self.presence_at = now;
        self.presence_tokens = (self.presence_tokens + refill).min(EPHEMERAL_BURST);
        if self.presence_tokens >= 1.0 {
            self.presence_tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_send_queue_is_bounded_in_bytes_but_always_takes_one_frame() {
        let (tx, q) = queue();
        assert!(
            tx.try_send(Outbound::Frame(vec![0; SEND_QUEUE_BYTES * 2])),
            "one large frame goes"
        );
        assert!(
            !tx.try_send(Outbound::Frame(vec![0; 10])),
            "then it is full"
        );
        let mut q = q;
        let Ok(Outbound::Frame(out)) = q.rx.try_recv() else {
            panic!("queued")
        };
        q.sent(out.len());
        assert!(tx.try_send(Outbound::Frame(vec![0; 10])), "drained");
        assert!(tx.try_send(Outbound::Frame(vec![0; SEND_QUEUE_BYTES - 100])));
        assert!(
            !tx.try_send(Outbound::Frame(vec![0; 200])),
            "over the bytes"
        );
    }

    #[test]
    fn presence_past_the_burst_is_dropped() {
        let (tx, _q) = queue();
        let (kill, _) = oneshot::channel();
        let mut c = Conn::new(1, 1, tx, kill);
        let allowed = (0..100).filter(|_| c.allow_presence()).count();
        assert!((40..=42).contains(&allowed), "{allowed}");
    }
}
