//! What `/metrics` reports.

use prometheus_client::encoding::text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// Upper bounds (seconds) of the frame-handling histogram buckets.
const LATENCY_BUCKETS: [f64; 10] = [
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
];

/// What `/metrics` reports, kept in a `prometheus-client` registry and
/// rendered in the text exposition format.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// From a sync frame's arrival to having committed its changes and
    /// queued every reply (the relay's share of a sync round trip).
    pub sync_handling: Histogram,
    pub connections: Gauge,
    pub documents_in_memory: Gauge,
    pub messages_in: Counter,
    pub messages_out: Counter,
    pub bytes_in: Counter,
    pub bytes_out: Counter,
    pub refused_changes: Counter,
    pub slow_readers_dropped: Counter,
    pub persist_failures: Counter,
    /// Inputs whose handling panicked (the document was evicted, the
    /// sender's connection closed; the rest of the relay went on).
    pub panics: Counter,
    pub ephemeral_dropped: Counter,
    pub protocol_violations: Counter,
    pub quota_refusals: Counter,
    /// Documents folded into a snapshot.
    pub compactions: Counter,
    /// Board documents whose tasks were read into the relay's view.
    pub view_refreshes: Counter,
    /// Refreshes of the view that failed (the document stays as it was).
    pub view_failures: Counter,
    /// Daily digest emails sent.
    pub digests_sent: Counter,
    /// Deleted tasks removed for good by their team's retention.
    pub tasks_purged: Counter,
    /// 1 while the fan-out to the other nodes (NATS) is connected.
    pub fanout_connected: Gauge,
    /// From a commit to its changes published to the other nodes.
    pub fanout_lag: Histogram,
    /// Messages for the other nodes dropped (they catch up from storage).
    pub fanout_dropped: Counter,
    /// Time spent waiting for a database connection (PostgreSQL pool).
    pub db_pool_wait: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("porchlight");
        let sync_handling = Histogram::new(LATENCY_BUCKETS);
        registry.register_with_unit(
            "sync_handling",
            "Time from a sync frame's arrival to its changes committed and replies queued",
            Unit::Seconds,
            sync_handling.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let g = Gauge::default();
            registry.register(name, help, g.clone());
            g
        };
        let counter = |registry: &mut Registry, name: &str, help: &str| {
            let c = Counter::default();
            registry.register(name, help, c.clone());
            c
        };
        let connections = gauge(&mut registry, "connections", "Open sync connections");
        let documents_in_memory = gauge(
            &mut registry,
            "documents_in_memory",
            "Documents loaded in the hub (the rest are on disk)",
        );
        let messages_in = counter(&mut registry, "messages_in", "Sync frames received");
        let messages_out = counter(&mut registry, "messages_out", "Sync frames sent");
        let bytes_in = counter(&mut registry, "bytes_in", "Bytes of sync frames received");
        let bytes_out = counter(&mut registry, "bytes_out", "Bytes of sync frames sent");
        let refused_changes = counter(
            &mut registry,
            "refused_changes",
            "Changes refused from read-only peers (viewers); nothing of them was applied",
        );
        let slow_readers_dropped = counter(
            &mut registry,
            "slow_readers_dropped",
            "Connections closed because they read too slowly",
        );
        let persist_failures = counter(
            &mut registry,
            "persist_failures",
            "Batches of changes that could not be stored (none of them was acknowledged)",
        );
        let panics = counter(
            &mut registry,
            "panics",
            "Inputs whose handling panicked; their document was evicted and the sender disconnected",
        );
        let ephemeral_dropped = counter(
            &mut registry,
            "ephemeral_dropped",
            "Presence messages dropped because a connection sent them too fast",
        );
        let protocol_violations = counter(
            &mut registry,
            "protocol_violations",
            "Connections closed for an oversized peer id, presence message or non-sync frame",
        );
        let quota_refusals = counter(
            &mut registry,
            "quota_refusals",
            "Requests and documents refused by a quota",
        );
        let compactions = counter(
            &mut registry,
            "compactions",
            "Documents whose stored chunks were folded into one snapshot",
        );
        let view_refreshes = counter(
            &mut registry,
            "view_refreshes",
            "Board documents whose tasks were read into the relay's view",
        );
        let view_failures = counter(
            &mut registry,
            "view_failures",
            "Refreshes of the relay's view of a board that failed",
        );
        let digests_sent = counter(&mut registry, "digests_sent", "Daily digest emails sent");
        let tasks_purged = counter(
            &mut registry,
            "tasks_purged",
            "Deleted tasks removed for good by their team's retention",
        );
        let fanout_connected = gauge(
            &mut registry,
            "fanout_connected",
            "1 while this node's link to the other relay nodes (NATS) is up",
        );
        let fanout_lag = Histogram::new(LATENCY_BUCKETS);
        registry.register_with_unit(
            "fanout_lag",
            "Time from a commit to its changes published to the other relay nodes",
            Unit::Seconds,
            fanout_lag.clone(),
        );
        let fanout_dropped = counter(
            &mut registry,
            "fanout_dropped",
            "Messages for the other relay nodes dropped (they catch up from the database)",
        );
        let db_pool_wait = Histogram::new(LATENCY_BUCKETS);
        registry.register_with_unit(
            "db_pool_wait",
            "Time spent waiting for a database connection from the pool",
            Unit::Seconds,
            db_pool_wait.clone(),
        );
        Metrics {
            registry,
            compactions,
            view_refreshes,
            view_failures,
            digests_sent,
            tasks_purged,
            fanout_connected,
            fanout_lag,
            fanout_dropped,
            db_pool_wait,
            panics,
            ephemeral_dropped,
            protocol_violations,
            quota_refusals,
            sync_handling,
            connections,
            documents_in_memory,
            messages_in,
            messages_out,
            bytes_in,
            bytes_out,
            refused_changes,
            slow_readers_dropped,
            persist_failures,
        }
    }
}

impl Metrics {
    /// The OpenMetrics text format (which Prometheus scrapes).
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Metrics;

    #[test]
    fn metrics_render_as_openmetrics_with_units_totals_and_an_end() {
        let m = Metrics::default();
        m.messages_in.inc_by(3);
        m.connections.inc();
        m.connections.inc();
        m.connections.dec();
        m.sync_handling.observe(0.004);
        let text = m.render();
        for line in [
            "# TYPE porchlight_messages_in counter",
            "porchlight_messages_in_total 3",
            "porchlight_connections 1",
            "# UNIT porchlight_sync_handling_seconds seconds",
            "porchlight_sync_handling_seconds_count 1",
            "porchlight_sync_handling_seconds_bucket{le=\"0.005\"} 1",
            "porchlight_sync_handling_seconds_bucket{le=\"0.0025\"} 0",
            "porchlight_compactions_total 0",
            "porchlight_fanout_connected 0",
            "porchlight_fanout_dropped_total 0",
            "# UNIT porchlight_fanout_lag_seconds seconds",
            "# UNIT porchlight_db_pool_wait_seconds seconds",
            "porchlight_documents_in_memory 0",
            "# EOF",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line:?} in:\n{text}");
        }
    }
}
