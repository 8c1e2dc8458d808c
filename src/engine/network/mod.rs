//! Reports of a client's network requests, for kafkajs' `network.*` events: each request
//! answered and each one that timed out, read from librdkafka's protocol log lines, and each
//! broker's request queue, read from its statistics. Built only for a client that asks for them
//! (`ServiceConfig::network`); others turn on no debug context and parse nothing.

mod api_keys;
mod request_line;
mod requests;

use std::fmt;
use std::sync::Arc;

pub use api_keys::api_key;
pub use request_line::{parse_request_line, RequestLine};
pub use requests::RequestTracker;

/// A request the broker answered. `sent_at_ms` is derived from the moment its response line
/// reached the engine minus librdkafka's measured round trip (`duration_ms`).
#[derive(Debug, Clone, PartialEq)]
pub struct RequestReport {
    /// `host:port` of the broker connection.
    pub broker: String,
    pub correlation_id: i32,
    /// The Kafka API key; -1 for a name this table does not know.
    pub api_key: i32,
    /// kafkajs' name of the API (`Metadata`, `Produce`, `GroupCoordinator`).
    pub api_name: String,
    pub api_version: i32,
    /// Size of the response in bytes (as kafkajs' `size`).
    pub size: u64,
    /// When the request was written to the connection, in ms since the epoch.
    pub sent_at_ms: f64,
    /// Round-trip time librdkafka measured, in ms.
    pub duration_ms: f64,
}

/// A request in flight that librdkafka timed out (`socket.timeout.ms`). `correlation_id` and
/// `api_version` are those of the request sent to that broker with that API whose send time
/// matches the timeout best; -1 when no sent request was seen.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeoutReport {
    pub broker: String,
    pub correlation_id: i32,
    pub api_key: i32,
    pub api_name: String,
    pub api_version: i32,
    pub sent_at_ms: f64,
}

/// Requests waiting to be sent to one broker (librdkafka's `outbuf_cnt`), sampled at a
/// statistics interval.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueSizeReport {
    pub broker: String,
    pub queue_size: i64,
}

/// One network report.
#[derive(Debug, Clone, PartialEq)]
pub enum NetworkReport {
    Request(RequestReport),
    Timeout(TimeoutReport),
    QueueSize(QueueSizeReport),
}

/// Receives network reports; called on librdkafka's log and statistics callbacks, so it must not
/// block (the binding queues them and hands them to JS in batches).
pub type NetworkSink = Arc<dyn Fn(NetworkReport) + Send + Sync>;

/// Which network reports a client sends, and where.
#[derive(Clone)]
pub struct NetworkReporting {
    pub sink: NetworkSink,
    /// Requests answered and timed out: turns on librdkafka's `protocol` debug context for the
    /// client, whose lines are consumed as reports instead of logged.
    pub requests: bool,
    /// Request queue sizes, at each statistics interval (needs `statistics_interval_ms` > 0).
    pub queue_sizes: bool,
    /// Whether librdkafka's other debug lines still reach the logger: the engine sets it when
    /// the client's own `debug` property asked for debug contexts, so that those turned on only
    /// for these reports stay out of the log.
    pub keep_debug_lines: bool,
}

impl fmt::Debug for NetworkReporting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetworkReporting")
            .field("requests", &self.requests)
            .field("queue_sizes", &self.queue_sizes)
            .field("keep_debug_lines", &self.keep_debug_lines)
            .finish()
    }
}

/// `host:port` of a librdkafka broker name (`127.0.0.1:9092/1`, `sasl_ssl://h:9093/bootstrap`).
pub fn broker_address(name: &str) -> &str {
    let name = name.rsplit_once('/').map_or(name, |(address, _)| address);
    name.split_once("://").map_or(name, |(_, address)| address)
}

#[cfg(test)]
mod tests {
    use super::broker_address;

    #[test]
    fn broker_names_become_addresses() {
        assert_eq!(broker_address("127.0.0.1:35779/1"), "127.0.0.1:35779");
        assert_eq!(
            broker_address("127.0.0.1:35779/bootstrap"),
            "127.0.0.1:35779"
        );
        assert_eq!(broker_address("sasl_ssl://kafka-1:9093/2"), "kafka-1:9093");
        assert_eq!(broker_address("GroupCoordinator"), "GroupCoordinator");
    }
}
