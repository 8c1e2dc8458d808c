//! What every librdkafka client of the engine reports through its context: log lines (into the
//! service's logger), statistics (into broker and lag figures) and client-level errors.

use std::sync::{Arc, Mutex};

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError;

use crate::engine::connection::ConnectionWatch;
use crate::engine::logging::{LogLevel, Logger};
use crate::engine::metrics::librdkafka::{parse_statistics, ClientQueues};
use crate::engine::network::RequestTracker;
use crate::engine::stats::{BrokerSnapshot, ConsumerStats};

/// Receives a client's logs, statistics and errors. Shared by the producer's and the consumers'
/// contexts.
pub struct ClientEvents {
    logger: Logger,
    source: &'static str,
    brokers: Mutex<Vec<BrokerSnapshot>>,
    queues: Mutex<Option<ClientQueues>>,
    consumer_stats: Option<Arc<ConsumerStats>>,
    connection: ConnectionWatch,
    /// This client's network reports, when the service asked for them.
    requests: Option<RequestTracker>,
    /// Whether librdkafka's debug lines not consumed as reports are logged (see
    /// `NetworkReporting::keep_debug_lines`).
    keep_debug_lines: bool,
}

impl ClientEvents {
    /// Events of a client named by `source` (`producer`, `consumer`).
    pub fn new(
        logger: Logger,
        source: &'static str,
        consumer_stats: Option<Arc<ConsumerStats>>,
    ) -> Self {
        let requests = logger.network().cloned().map(RequestTracker::new);
        let keep_debug_lines = logger.network().is_none_or(|n| n.keep_debug_lines);
        ClientEvents {
            logger,
            source,
            requests,
            keep_debug_lines,
            brokers: Mutex::new(Vec::new()),
            queues: Mutex::new(None),
            consumer_stats,
            connection: ConnectionWatch::default(),
        }
    }

    /// The service's logger.
    pub fn logger(&self) -> &Logger {
        &self.logger
    }

    /// What the client's connection attempts ran into.
    pub fn connection(&self) -> &ConnectionWatch {
        &self.connection
    }

    /// Brokers as of the client's latest statistics.
    pub fn brokers(&self) -> Vec<BrokerSnapshot> {
        self.brokers.lock().map(|b| b.clone()).unwrap_or_default()
    }

    /// Queue figures as of the client's latest statistics.
    pub fn queues(&self) -> Option<ClientQueues> {
        self.queues.lock().ok().and_then(|q| q.clone())
    }

    pub(crate) fn on_log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        self.connection.on_log(facility, message);
        if let Some(requests) = &self.requests {
            if requests.on_log(facility, message) {
                return;
            }
        }
        if matches!(level, RDKafkaLogLevel::Debug) && !self.keep_debug_lines {
            return;
        }
        self.logger.log(
            record_level(level, facility, message),
            "librdkafka",
            facility,
            message,
        );
    }

    /// Takes in a statistics document; returns the group heartbeats the client has sent so far.
    pub(crate) fn on_statistics(&self, json: &[u8]) -> Option<u64> {
        let parsed = parse_statistics(json)?;
        let heartbeats_sent = parsed.heartbeats_sent;
        if let Some(requests) = &self.requests {
            requests.on_statistics(&parsed.brokers, &parsed.queues);
        }
        if let Ok(mut b) = self.brokers.lock() {
            *b = parsed.brokers;
        }
        if let Some(stats) = &self.consumer_stats {
            stats.set_lag(parsed.lag);
            stats
                .figures
                .set_fetch_queues(parsed.queues.fetch_queues.iter().cloned());
        }
        if let Ok(mut q) = self.queues.lock() {
            *q = Some(parsed.queues);
        }
        Some(heartbeats_sent)
    }

    /// Records and logs a client-level error; returns its code.
    pub(crate) fn on_error(
        &self,
        error: KafkaError,
        reason: &str,
    ) -> Option<rdkafka::types::RDKafkaErrorCode> {
        let code = error.rdkafka_error_code();
        if let Some(code) = code {
            self.connection.on_error(code, reason);
        }
        // Transport errors repeat for as long as a broker is away; librdkafka reconnects on its own.
        let level = match code {
            Some(rdkafka::types::RDKafkaErrorCode::BrokerTransportFailure)
            | Some(rdkafka::types::RDKafkaErrorCode::AllBrokersDown) => LogLevel::Info,
            _ => LogLevel::Error,
        };
        self.logger
            .log(level, self.source, "ERROR", &format!("{error}: {reason}"));
        code
    }
}

/// Conditions librdkafka retries by itself (a group coordinator still loading its offsets, as on
/// every fresh broker, or moving): its warnings about them are news only when debugging.
const RETRIED_CONDITIONS: &[&str] = &[
    "Coordinator load in progress",
    "Coordinator not available",
    "Not coordinator",
    ": retrying",
];

/// The level at which the engine logs a librdkafka log line.
fn record_level(level: RDKafkaLogLevel, facility: &str, message: &str) -> LogLevel {
    let level = match level {
        RDKafkaLogLevel::Emerg
        | RDKafkaLogLevel::Alert
        | RDKafkaLogLevel::Critical
        | RDKafkaLogLevel::Error => LogLevel::Error,
        RDKafkaLogLevel::Warning => LogLevel::Warn,
        RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => LogLevel::Info,
        RDKafkaLogLevel::Debug => LogLevel::Debug,
    };
    // One shared property map configures producers and consumers alike, so librdkafka's
    // "property X only applies to consumers" warnings are expected, not news.
    if facility == "CONFWARN" {
        return LogLevel::Debug;
    }
    // A broker that is away makes librdkafka report each failed reconnect as an error; it keeps
    // reconnecting by itself, and publishes and subscriptions report what it costs them.
    if facility == "FAIL" && level == LogLevel::Error {
        return LogLevel::Warn;
    }
    if level == LogLevel::Warn && RETRIED_CONDITIONS.iter().any(|c| message.contains(c)) {
        return LogLevel::Info;
    }
    level
}

/// Implements `ClientContext` for a context type with a `events: ClientEvents` field. With
/// `after_error = method`, the context's `method(Option<RDKafkaErrorCode>)` runs after each error
/// was recorded; with `after_statistics = method`, its `method(u64)` gets the heartbeats sent so
/// far after each statistics document.
macro_rules! forward_client_events {
    ($context:ty $(, after_error = $hook:ident)? $(, after_statistics = $stats_hook:ident)?) => {
        impl rdkafka::client::ClientContext for $context {
            fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
                self.events.on_log(level, fac, log_message);
            }
            fn stats_raw(&self, statistics: &[u8]) {
                let _heartbeats_sent = self.events.on_statistics(statistics);
                $(if let Some(sent) = _heartbeats_sent {
                    self.$stats_hook(sent);
                })?
            }
            fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
                let _code = self.events.on_error(error, reason);
                $(self.$hook(_code);)?
            }
        }
    };
}
pub(crate) use forward_client_events;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retried_conditions_log_below_warn() {
        let coordinator_loading = "Offset fetch for 1 partition(s) failed: Broker: Coordinator load in progress: retrying";
        assert_eq!(
            record_level(RDKafkaLogLevel::Warning, "OFFSETFETCH", coordinator_loading),
            LogLevel::Info
        );
        assert_eq!(
            record_level(
                RDKafkaLogLevel::Warning,
                "COMMITFAIL",
                "Broker: Not coordinator"
            ),
            LogLevel::Info
        );
    }

    #[test]
    fn other_warnings_and_errors_keep_their_level() {
        assert_eq!(
            record_level(
                RDKafkaLogLevel::Warning,
                "SESSTMOUT",
                "Consumer group session timed out"
            ),
            LogLevel::Warn
        );
        assert_eq!(
            record_level(RDKafkaLogLevel::Error, "FAIL", "Connect to broker failed"),
            LogLevel::Warn
        );
        assert_eq!(
            record_level(
                RDKafkaLogLevel::Warning,
                "CONFWARN",
                "property only for consumers"
            ),
            LogLevel::Debug
        );
        assert_eq!(
            record_level(
                RDKafkaLogLevel::Critical,
                "ERROR",
                "Coordinator load in progress"
            ),
            LogLevel::Error
        );
    }
}
