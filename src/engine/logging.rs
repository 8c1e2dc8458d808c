//! Where the engine's and librdkafka's log lines go: `tracing` (stderr by default) or a sink the
//! caller registers (a JS `logger` callback, a NestJS Logger).

use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use crate::engine::error::EngineError;
use crate::engine::network::NetworkReporting;

/// Severity of a log record, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    /// The lowercase name (`"warn"`), as accepted by `FromStr` and `KAFKA_NATIVE_LOG`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }

    /// The level from `KAFKA_NATIVE_LOG`, or `warn`.
    pub fn from_env() -> LogLevel {
        std::env::var("KAFKA_NATIVE_LOG")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(LogLevel::Warn)
    }

    /// librdkafka's syslog level that produces records down to this level.
    pub fn syslog_level(self) -> u8 {
        match self {
            LogLevel::Error => 3,
            LogLevel::Warn => 4,
            LogLevel::Info => 6,
            LogLevel::Debug | LogLevel::Trace => 7,
        }
    }
}

impl FromStr for LogLevel {
    type Err = EngineError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "error" => Ok(LogLevel::Error),
            "warn" | "warning" => Ok(LogLevel::Warn),
            "info" => Ok(LogLevel::Info),
            "debug" => Ok(LogLevel::Debug),
            "trace" => Ok(LogLevel::Trace),
            other => Err(EngineError::InvalidConfig(format!(
                "logLevel must be one of error, warn, info, debug, trace (got '{other}')"
            ))),
        }
    }
}

/// One structured log line.
#[derive(Debug, Clone)]
pub struct LogRecord {
    pub level: LogLevel,
    /// Where it comes from: `librdkafka`, `producer`, `consumer`, `service`.
    pub source: &'static str,
    /// librdkafka's facility (`FAIL`, `REQTMOUT`) or the engine's event name.
    pub facility: String,
    pub message: String,
    pub client_id: String,
}

/// Receives log records instead of stderr.
pub type LogSink = Arc<dyn Fn(LogRecord) + Send + Sync>;

/// A service's logger: filters by level, then hands records to the sink or to `tracing`.
#[derive(Clone)]
pub struct Logger {
    level: LogLevel,
    client_id: String,
    sink: Option<LogSink>,
    network: Option<NetworkReporting>,
}

impl Logger {
    /// A logger for one client. Without a sink, records go to `tracing` (stderr).
    pub fn new(level: LogLevel, client_id: &str, sink: Option<LogSink>) -> Self {
        if sink.is_none() {
            install_stderr_subscriber();
        }
        Logger {
            level,
            client_id: client_id.to_string(),
            sink,
            network: None,
        }
    }

    /// The same logger, whose clients also report their network requests (librdkafka's
    /// protocol lines then go to those reports, not to the log).
    pub fn with_network(mut self, network: Option<NetworkReporting>) -> Self {
        self.network = network;
        self
    }

    /// The network reports the service's clients send, if asked for.
    pub fn network(&self) -> Option<&NetworkReporting> {
        self.network.as_ref()
    }

    /// The most verbose level this logger passes on.
    pub fn level(&self) -> LogLevel {
        self.level
    }

    /// Whether a record at `level` would be passed on.
    pub fn enabled(&self, level: LogLevel) -> bool {
        level <= self.level
    }

    /// Passes a record on, if its level is enabled.
    pub fn log(&self, level: LogLevel, source: &'static str, facility: &str, message: &str) {
        if !self.enabled(level) {
            return;
        }
        match &self.sink {
            Some(sink) => sink(LogRecord {
                level,
                source,
                facility: facility.to_string(),
                message: message.to_string(),
                client_id: self.client_id.clone(),
            }),
            None => {
                let client = self.client_id.as_str();
                match level {
                    LogLevel::Error => tracing::error!(client, source, facility, "{message}"),
                    LogLevel::Warn => tracing::warn!(client, source, facility, "{message}"),
                    LogLevel::Info => tracing::info!(client, source, facility, "{message}"),
                    LogLevel::Debug => tracing::debug!(client, source, facility, "{message}"),
                    LogLevel::Trace => tracing::trace!(client, source, facility, "{message}"),
                }
            }
        }
    }
}

/// Installs, once per process, a `tracing` subscriber that writes to stderr at the level of
/// `KAFKA_NATIVE_LOG` (default `warn`). A subscriber the host installed first is kept.
fn install_stderr_subscriber() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_env("KAFKA_NATIVE_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_target(false)
            .try_init();
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn levels_parse_and_order() {
        assert_eq!("WARN".parse::<LogLevel>().unwrap(), LogLevel::Warn);
        assert!("loud".parse::<LogLevel>().is_err());
        assert!(LogLevel::Error < LogLevel::Debug);
    }

    #[test]
    fn sink_receives_only_enabled_records() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let logger = Logger::new(
            LogLevel::Info,
            "c1",
            Some(Arc::new(move |r: LogRecord| s.lock().unwrap().push(r))),
        );
        logger.log(LogLevel::Debug, "service", "X", "hidden");
        logger.log(LogLevel::Warn, "service", "Y", "shown");
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].facility, "Y");
        assert_eq!(seen[0].client_id, "c1");
    }
}
