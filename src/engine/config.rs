//! The service's configuration as plain Rust data, its validation, and its translation into
//! librdkafka properties.

use std::str::FromStr;
use std::time::Duration;

use rdkafka::config::{ClientConfig, RDKafkaLogLevel};

use crate::engine::error::{EngineError, EngineResult};
use crate::engine::keying::TemplateStrategies;
use crate::engine::logging::{LogLevel, LogSink, Logger};
use crate::engine::network::NetworkReporting;

/// How many replicas must acknowledge a write before it counts as published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acks {
    /// All in-sync replicas (`acks=all`, `-1`).
    All,
    /// The partition leader only (`acks=1`).
    Leader,
    /// No acknowledgement (`acks=0`).
    None,
}

/// The accepted spellings of `acks`, for errors that name them.
const ACKS_ACCEPTED: &str = "-1, 1, 0 or 'all', '-1', '1', '0'";

impl Acks {
    /// From kafkajs' numbers: -1 (all), 1 (leader), 0 (none).
    pub fn from_number(n: i32) -> EngineResult<Self> {
        match n {
            -1 => Ok(Acks::All),
            1 => Ok(Acks::Leader),
            0 => Ok(Acks::None),
            other => Err(EngineError::InvalidConfig(format!(
                "acks must be {ACKS_ACCEPTED} (got {other})"
            ))),
        }
    }

    fn property(self) -> &'static str {
        match self {
            Acks::All => "all",
            Acks::Leader => "1",
            Acks::None => "0",
        }
    }
}

/// librdkafka's spellings: `'all'` (or `'-1'`), `'1'`, `'0'`.
impl FromStr for Acks {
    type Err = EngineError;
    fn from_str(s: &str) -> EngineResult<Self> {
        match s {
            "all" | "-1" => Ok(Acks::All),
            "1" => Ok(Acks::Leader),
            "0" => Ok(Acks::None),
            other => Err(EngineError::InvalidConfig(format!(
                "acks must be {ACKS_ACCEPTED} (got '{other}')"
            ))),
        }
    }
}

/// Batch compression codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl FromStr for Compression {
    type Err = EngineError;
    fn from_str(s: &str) -> EngineResult<Self> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(Compression::None),
            "gzip" => Ok(Compression::Gzip),
            "snappy" => Ok(Compression::Snappy),
            "lz4" => Ok(Compression::Lz4),
            "zstd" => Ok(Compression::Zstd),
            other => Err(EngineError::InvalidConfig(format!(
                "compression must be one of none, gzip, snappy, lz4, zstd (got '{other}')"
            ))),
        }
    }
}

impl Compression {
    fn property(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }
}

/// SASL mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslMechanism {
    Plain,
    ScramSha256,
    ScramSha512,
}

impl FromStr for SaslMechanism {
    type Err = EngineError;
    fn from_str(s: &str) -> EngineResult<Self> {
        match s.to_ascii_lowercase().as_str() {
            "plain" => Ok(SaslMechanism::Plain),
            "scram-sha-256" => Ok(SaslMechanism::ScramSha256),
            "scram-sha-512" => Ok(SaslMechanism::ScramSha512),
            other => Err(EngineError::InvalidConfig(format!(
                "sasl.mechanism must be one of plain, scram-sha-256, scram-sha-512 (got '{other}')"
            ))),
        }
    }
}

impl SaslMechanism {
    fn property(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

/// SASL credentials.
#[derive(Clone)]
pub struct SaslConfig {
    pub mechanism: SaslMechanism,
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for SaslConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaslConfig")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// TLS settings; PEM strings, not file paths.
#[derive(Clone, Default)]
pub struct SslConfig {
    pub ca: Option<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
    pub key_password: Option<String>,
    /// Verify the broker's certificate (default true).
    pub reject_unauthorized: bool,
}

/// Producer tuning; `None` keeps the engine default.
#[derive(Debug, Clone)]
pub struct ProducerOptions {
    pub acks: Acks,
    pub idempotent: bool,
    pub compression: Compression,
    pub linger_ms: f64,
    /// How long a small send waits for others while a steady stream is in flight
    /// (`engine::adaptive_linger`); 0 turns it off.
    pub adaptive_linger_ms: f64,
    pub batch_size: Option<u32>,
    pub max_in_flight: Option<u32>,
    pub message_timeout_ms: u32,
    pub partitioner: String,
}

impl Default for ProducerOptions {
    fn default() -> Self {
        ProducerOptions {
            acks: Acks::All,
            idempotent: true,
            compression: Compression::None,
            linger_ms: DEFAULT_LINGER_MS,
            adaptive_linger_ms: DEFAULT_ADAPTIVE_LINGER_MS,
            batch_size: None,
            max_in_flight: None,
            message_timeout_ms: DEFAULT_MESSAGE_TIMEOUT_MS,
            partitioner: DEFAULT_PARTITIONER.to_string(),
        }
    }
}

/// Default `linger.ms`: none, so an awaited publish is sent at once. Concurrent publishes still
/// share requests: they queue while earlier requests are in flight (measured: awaited publishes
/// 4-8x faster than with 1 ms, concurrent and batch throughput unchanged).
pub const DEFAULT_LINGER_MS: f64 = 0.0;
/// Default adaptive linger: off. On, it trades the idle machine's tail latency at 10,000/s for
/// two thirds of the CPU per message and the busy machine's tail (bench/README.md, "2026-12-06:
/// an adaptive linger").
pub const DEFAULT_ADAPTIVE_LINGER_MS: f64 = 0.0;
/// Default time a publish may take, retries included, before it fails with `ERR__MSG_TIMED_OUT`.
pub const DEFAULT_MESSAGE_TIMEOUT_MS: u32 = 30_000;
/// Java-client and kafkajs compatible key hashing; random partition for null keys.
pub const DEFAULT_PARTITIONER: &str = "murmur2_random";
/// Default bound on `connect()`.
pub const DEFAULT_CONNECTION_TIMEOUT_MS: u32 = 10_000;
/// Default interval of librdkafka's statistics, which feed `stats()`.
pub const DEFAULT_STATISTICS_INTERVAL_MS: u32 = 1_000;

const PARTITIONERS: &[&str] = &[
    "random",
    "consistent",
    "consistent_random",
    "murmur2",
    "murmur2_random",
    "fnv1a",
    "fnv1a_random",
];

/// Everything a `KafkaService` is built from.
#[derive(Clone)]
pub struct ServiceConfig {
    pub brokers: Vec<String>,
    pub client_id: String,
    pub ssl: Option<SslConfig>,
    pub sasl: Option<SaslConfig>,
    pub producer: ProducerOptions,
    pub connection_timeout_ms: u32,
    pub statistics_interval_ms: u32,
    pub log_level: LogLevel,
    /// The header whose value is a message's event type, for per-event-type figures.
    pub event_type_header: Option<String>,
    /// Any other librdkafka property, applied last (it wins over the typed settings).
    pub librdkafka: Vec<(String, String)>,
    /// Makes `transaction()` available, with this `transactional.id` (`engine::transaction`).
    pub transactional_id: Option<String>,
    /// librdkafka `transaction.timeout.ms` of the transactional producer.
    pub transaction_timeout_ms: Option<u32>,
    /// Network reports of the service's clients (`engine::network`). Default: none, and no
    /// debug context turned on.
    pub network: Option<NetworkReporting>,
    /// Tenant topic templates whose partition strategy keys unkeyed publishes to their topics
    /// (`engine::keying`).
    pub key_templates: TemplateStrategies,
}

impl ServiceConfig {
    /// A configuration for these brokers with every default.
    pub fn new(brokers: Vec<String>) -> Self {
        ServiceConfig {
            brokers,
            client_id: "kafka-native".to_string(),
            ssl: None,
            sasl: None,
            producer: ProducerOptions::default(),
            connection_timeout_ms: DEFAULT_CONNECTION_TIMEOUT_MS,
            statistics_interval_ms: DEFAULT_STATISTICS_INTERVAL_MS,
            log_level: LogLevel::from_env(),
            event_type_header: None,
            librdkafka: Vec::new(),
            transactional_id: None,
            transaction_timeout_ms: None,
            network: None,
            key_templates: TemplateStrategies::default(),
        }
    }

    /// Splits `"a:9092, b:9092"` into broker addresses.
    pub fn parse_brokers(list: &str) -> Vec<String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }

    /// Checks what librdkafka cannot check for us, then lets librdkafka check every property
    /// of both a producer and a consumer configuration.
    pub fn validate(&self) -> EngineResult<()> {
        if self.brokers.is_empty() {
            return Err(EngineError::InvalidConfig(
                "brokers must name at least one broker".into(),
            ));
        }
        for b in &self.brokers {
            let valid = b.rsplit_once(':').is_some_and(|(host, port)| {
                !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0)
            });
            if !valid {
                return Err(EngineError::InvalidConfig(format!(
                    "broker '{b}' is not host:port"
                )));
            }
        }
        self.check_no_nul()?;
        if self.client_id.is_empty() {
            return Err(EngineError::InvalidConfig(
                "clientId must not be empty".into(),
            ));
        }
        let p = &self.producer;
        if !PARTITIONERS.contains(&p.partitioner.as_str()) {
            return Err(EngineError::InvalidConfig(format!(
                "partitioner must be one of {} (got '{}')",
                PARTITIONERS.join(", "),
                p.partitioner
            )));
        }
        if p.idempotent && p.acks != Acks::All {
            return Err(EngineError::InvalidConfig(
                "an idempotent producer needs acks = -1 (all); set idempotent: false to use other acks".into(),
            ));
        }
        if !(0.0..=900_000.0).contains(&p.linger_ms) {
            return Err(EngineError::InvalidConfig(
                "lingerMs must be between 0 and 900000".into(),
            ));
        }
        if !(0.0..=1_000.0).contains(&p.adaptive_linger_ms) {
            return Err(EngineError::InvalidConfig(
                "adaptiveLingerMs must be between 0 and 1000".into(),
            ));
        }
        if p.message_timeout_ms == 0 {
            return Err(EngineError::InvalidConfig(
                "messageTimeoutMs must be positive".into(),
            ));
        }
        if self.connection_timeout_ms == 0 {
            return Err(EngineError::InvalidConfig(
                "connectionTimeoutMs must be positive".into(),
            ));
        }
        self.producer_config().create_native_config()?;
        self.consumer_config("validation", false)
            .create_native_config()?;
        Ok(())
    }

    /// librdkafka takes C strings: a NUL inside a setting would fail as a bare "FFI nul error".
    /// Names the setting, never its value (it may be a secret).
    fn check_no_nul(&self) -> EngineResult<()> {
        let mut settings: Vec<(&str, &str)> = self
            .brokers
            .iter()
            .map(|b| ("brokers", b.as_str()))
            .collect();
        settings.push(("clientId", &self.client_id));
        if let Some(ssl) = &self.ssl {
            for (name, value) in [
                ("ssl.ca", &ssl.ca),
                ("ssl.cert", &ssl.cert),
                ("ssl.key", &ssl.key),
                ("ssl.passphrase", &ssl.key_password),
            ] {
                if let Some(v) = value {
                    settings.push((name, v));
                }
            }
        }
        if let Some(sasl) = &self.sasl {
            settings.push(("sasl.username", &sasl.username));
            settings.push(("sasl.password", &sasl.password));
        }
        for (k, v) in &self.librdkafka {
            if k.contains('\0') {
                return Err(EngineError::InvalidConfig(
                    "a librdkafka property name contains a NUL character".into(),
                ));
            }
            if v.contains('\0') {
                return Err(EngineError::InvalidConfig(format!(
                    "the value of librdkafka property {k} contains a NUL character"
                )));
            }
        }
        match settings.iter().find(|(_, v)| v.contains('\0')) {
            Some((name, _)) => Err(EngineError::InvalidConfig(format!(
                "{name} contains a NUL character"
            ))),
            None => Ok(()),
        }
    }

    fn common_config(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", self.brokers.join(","));
        c.set("client.id", &self.client_id);
        c.set(
            "statistics.interval.ms",
            self.statistics_interval_ms.to_string(),
        );
        // At least info: librdkafka reports some connection failures (a broker that closes a
        // plaintext client's connection on a TLS port) only as info log lines, which `connect()`
        // watches. The service's logger still drops records below its own level.
        let mut level = self.log_level.max(LogLevel::Info);
        // Request reports are read from librdkafka's protocol debug lines.
        if self.reports_requests() {
            level = LogLevel::Debug;
        }
        c.set("log_level", level.syslog_level().to_string());
        c.set_log_level(match level {
            LogLevel::Error => RDKafkaLogLevel::Error,
            LogLevel::Warn => RDKafkaLogLevel::Warning,
            LogLevel::Info => RDKafkaLogLevel::Info,
            LogLevel::Debug | LogLevel::Trace => RDKafkaLogLevel::Debug,
        });
        let protocol = match (&self.ssl, &self.sasl) {
            (None, None) => "plaintext",
            (Some(_), None) => "ssl",
            (None, Some(_)) => "sasl_plaintext",
            (Some(_), Some(_)) => "sasl_ssl",
        };
        c.set("security.protocol", protocol);
        if let Some(ssl) = &self.ssl {
            if let Some(ca) = &ssl.ca {
                c.set("ssl.ca.pem", ca);
            }
            if let Some(cert) = &ssl.cert {
                c.set("ssl.certificate.pem", cert);
            }
            if let Some(key) = &ssl.key {
                c.set("ssl.key.pem", key);
            }
            if let Some(pw) = &ssl.key_password {
                c.set("ssl.key.password", pw);
            }
            c.set(
                "enable.ssl.certificate.verification",
                ssl.reject_unauthorized.to_string(),
            );
        }
        if let Some(sasl) = &self.sasl {
            c.set("sasl.mechanisms", sasl.mechanism.property());
            c.set("sasl.username", &sasl.username);
            c.set("sasl.password", &sasl.password);
        }
        c
    }

    fn apply_overrides(&self, c: &mut ClientConfig) {
        for (k, v) in &self.librdkafka {
            c.set(k, v);
        }
        if self.reports_requests() {
            let contexts = match self.own_debug_contexts() {
                Some(own) => format!("{own},protocol"),
                None => "protocol".to_string(),
            };
            c.set("debug", contexts);
        }
    }

    /// Whether the service's clients report each request (`network.requests`).
    fn reports_requests(&self) -> bool {
        self.network.as_ref().is_some_and(|n| n.requests)
    }

    /// The logger of a service with this configuration: records go to `sink` (or `tracing`),
    /// and librdkafka's protocol lines to the network reports when they are asked for.
    pub fn logger(&self, sink: Option<LogSink>) -> Logger {
        let network = self.network.clone().map(|mut n| {
            n.keep_debug_lines = self.own_debug_contexts().is_some();
            n
        });
        Logger::new(self.log_level, &self.client_id, sink).with_network(network)
    }

    /// The debug contexts the caller's own librdkafka `debug` property asks for, if any.
    pub fn own_debug_contexts(&self) -> Option<&str> {
        self.librdkafka
            .iter()
            .rev()
            .find(|(k, v)| k == "debug" && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// How long a small send waits at a steady pace (`engine::adaptive_linger`): `None` when
    /// `adaptive_linger_ms` is 0, when librdkafka lingers itself (`linger_ms`, or a raw
    /// `linger.ms` / `queue.buffering.max.ms`), and for a transactional producer (its commit
    /// flushes librdkafka's queue, which a waiting send is not in yet).
    pub fn adaptive_linger(&self) -> Option<Duration> {
        let raw = |names: &[&str]| {
            self.librdkafka
                .iter()
                .rev()
                .find(|(k, _)| names.contains(&k.as_str()))
                .map(|(_, v)| v.trim())
        };
        let lingers = raw(&["linger.ms", "queue.buffering.max.ms"])
            .map_or(self.producer.linger_ms > 0.0, |v| {
                v.parse::<f64>() != Ok(0.0)
            });
        let transactional = raw(&["transactional.id"]).is_some();
        (self.producer.adaptive_linger_ms > 0.0 && !lingers && !transactional)
            .then(|| Duration::from_secs_f64(self.producer.adaptive_linger_ms / 1_000.0))
    }

    /// librdkafka properties of the service's producer.
    pub fn producer_config(&self) -> ClientConfig {
        let p = &self.producer;
        let mut c = self.common_config();
        c.set("acks", p.acks.property());
        c.set("enable.idempotence", p.idempotent.to_string());
        c.set("compression.codec", p.compression.property());
        c.set("linger.ms", p.linger_ms.to_string());
        c.set("message.timeout.ms", p.message_timeout_ms.to_string());
        c.set("partitioner", &p.partitioner);
        if let Some(n) = p.batch_size {
            c.set("batch.size", n.to_string());
        }
        if let Some(n) = p.max_in_flight {
            c.set("max.in.flight.requests.per.connection", n.to_string());
        }
        self.apply_overrides(&mut c);
        c
    }

    /// librdkafka properties of an admin client: the common settings and overrides, and no
    /// topic auto-creation by the metadata lookups admin calls make.
    pub fn admin_config(&self) -> ClientConfig {
        let mut c = self.common_config();
        c.set("allow.auto.create.topics", "false");
        self.apply_overrides(&mut c);
        c
    }

    /// librdkafka properties of a group consumer: offsets are stored by the engine only after the
    /// handler finished with a message, and librdkafka commits what was stored (when `auto_commit`).
    pub fn consumer_config(&self, group_id: &str, from_beginning: bool) -> ClientConfig {
        let mut c = self.common_config();
        c.set("group.id", group_id);
        c.set("enable.auto.commit", "true");
        c.set("enable.auto.offset.store", "false");
        c.set(
            "auto.offset.reset",
            if from_beginning { "earliest" } else { "latest" },
        );
        c.set("enable.partition.eof", "false");
        // librdkafka's 500 ms default bounds how long a quiet partition's next message can wait
        // in a parked fetch on brokers that do not answer early; 100 ms costs a few idle requests.
        c.set("fetch.wait.max.ms", "100");
        // librdkafka postpones a partition's next fetch by this much once its local queue is over
        // `queued.min.messages`, and a consumer that keeps up drains that queue in a few ms. The
        // 1 s default capped a 1 M × 100 B backlog on 6 partitions at ~290-400k msgs/s; 50 ms
        // capped one partition at ~70k msgs/s (2,000 queued messages per 50 ms; 1 M uncompressed
        // on 6 partitions: ~90k). 10 ms: 340k on one partition (JSON.parse-bound), ~1 M on six;
        // 5 ms keeps a partition of 2,000 queued messages (below) fed at 700k+ msgs/s.
        // A partition whose handler is stuck costs its broker thread a check per interval: for 6
        // full partitions 1.8-1.9 % of a core at 5 ms, 1.4-1.5 % at 10 ms (1.3 % at 50 ms, 3.2 %
        // at 2 ms).
        c.set("fetch.queue.backoff.ms", "5");
        // Bounded prefetch: each partition has a queue of its own (`partition_queues.rs`), and
        // librdkafka stops fetching a partition once its queue holds this many messages or bytes
        // (2,000 messages: 3 ms of one partition at 700k msgs/s; the byte bound caps large ones).
        // A fetch overshoots by up to `max.partition.fetch.bytes` of compressed data (1 MiB by
        // default, which a compressible backlog inflates to ~100 k messages a partition: a 1 M
        // backlog of 6 partitions was held in memory whole, 290 MB peak RSS; with 256 / 128 / 64
        // KiB: 190 / 146 / 136 MB, 1 M × 100 B lz4 messages). 10,000 queued messages instead of
        // 2,000 held ~15 MB more at the peak of that backlog (eachBatch 147-159 against
        // 134-147 MB, eachMessage 155-162 against 131-140 MB) for no more throughput.
        c.set("queued.min.messages", "2000");
        c.set("queued.max.messages.kbytes", "4096");
        c.set("max.partition.fetch.bytes", "131072");
        self.apply_overrides(&mut c);
        c
    }

    /// The librdkafka map with secrets masked, for logs and diagnostics.
    pub fn redacted(&self) -> Vec<(String, String)> {
        self.producer_config()
            .config_map()
            .iter()
            .map(|(k, v)| {
                let secret = k.contains("password")
                    || k.contains("secret")
                    || k.ends_with(".pem")
                    || k.contains("key");
                (
                    k.to_string(),
                    if secret {
                        "<redacted>".to_string()
                    } else {
                        v.to_string()
                    },
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ServiceConfig {
        ServiceConfig::new(vec!["127.0.0.1:9092".into()])
    }

    #[test]
    fn defaults_validate() {
        config().validate().unwrap();
        let c = config().producer_config();
        assert_eq!(c.get("partitioner"), Some("murmur2_random"));
        assert_eq!(c.get("enable.idempotence"), Some("true"));
        assert_eq!(c.get("acks"), Some("all"));
    }

    #[test]
    fn brokers_parse_from_a_list() {
        assert_eq!(
            ServiceConfig::parse_brokers(" a:1, b:2 ,"),
            vec!["a:1", "b:2"]
        );
    }

    #[test]
    fn request_reports_turn_on_only_the_protocol_debug_context() {
        let mut c = ServiceConfig::new(vec!["127.0.0.1:9092".into()]);
        c.log_level = LogLevel::Warn;
        assert_eq!(c.producer_config().get("debug"), None);
        assert_eq!(c.admin_config().get("log_level"), Some("6"));
        let reporting = |requests| crate::engine::network::NetworkReporting {
            sink: std::sync::Arc::new(|_| {}),
            requests,
            queue_sizes: true,
            keep_debug_lines: false,
        };
        c.network = Some(reporting(false));
        assert_eq!(c.consumer_config("g", false).get("debug"), None);
        c.network = Some(reporting(true));
        for client in [
            c.producer_config(),
            c.admin_config(),
            c.consumer_config("g", false),
        ] {
            assert_eq!(client.get("debug"), Some("protocol"));
            assert_eq!(client.get("log_level"), Some("7"));
        }
        c.librdkafka.push(("debug".into(), "broker".into()));
        assert_eq!(c.producer_config().get("debug"), Some("broker,protocol"));
        assert!(c.logger(None).network().is_some_and(|n| n.keep_debug_lines));
    }

    #[test]
    fn bad_settings_are_invalid_config() {
        let mut c = config();
        c.librdkafka.push(("no.such.property".into(), "1".into()));
        assert_eq!(c.validate().unwrap_err().code(), "ERR_INVALID_CONFIG");

        let mut c = config();
        c.librdkafka.push(("linger.ms".into(), "-5".into()));
        assert_eq!(c.validate().unwrap_err().code(), "ERR_INVALID_CONFIG");

        let mut c = config();
        c.producer.acks = Acks::Leader;
        assert_eq!(c.validate().unwrap_err().code(), "ERR_INVALID_CONFIG");

        let mut c = config();
        c.brokers = vec!["nohost".into()];
        assert_eq!(c.validate().unwrap_err().code(), "ERR_INVALID_CONFIG");

        assert!("brotli".parse::<Compression>().is_err());
        assert!("gssapi".parse::<SaslMechanism>().is_err());
    }

    #[test]
    fn nul_characters_are_invalid_config_naming_the_setting_not_the_value() {
        let mut c = config();
        c.client_id = "a\0b".into();
        let e = c.validate().unwrap_err();
        assert_eq!(e.code(), "ERR_INVALID_CONFIG");
        assert!(e.to_string().contains("clientId"));

        let mut c = config();
        c.sasl = Some(SaslConfig {
            mechanism: SaslMechanism::Plain,
            username: "u".into(),
            password: "se\0cret".into(),
        });
        let e = c.validate().unwrap_err();
        assert_eq!(e.code(), "ERR_INVALID_CONFIG");
        assert!(!e.to_string().contains("cret"));

        let mut c = config();
        c.brokers = vec!["\0\0\0\0:4".into()];
        assert_eq!(c.validate().unwrap_err().code(), "ERR_INVALID_CONFIG");

        let mut c = config();
        c.librdkafka.push(("client.rack".into(), "r\0".into()));
        assert_eq!(c.validate().unwrap_err().code(), "ERR_INVALID_CONFIG");
    }

    #[test]
    fn security_protocol_follows_ssl_and_sasl() {
        let mut c = config();
        c.sasl = Some(SaslConfig {
            mechanism: SaslMechanism::ScramSha512,
            username: "u".into(),
            password: "secret".into(),
        });
        c.ssl = Some(SslConfig {
            reject_unauthorized: true,
            ..Default::default()
        });
        let p = c.producer_config();
        assert_eq!(p.get("security.protocol"), Some("sasl_ssl"));
        assert_eq!(p.get("sasl.mechanisms"), Some("SCRAM-SHA-512"));
        assert!(!format!("{:?}", c.sasl).contains("secret"));
        assert!(c.redacted().iter().all(|(_, v)| v != "secret"));
    }

    #[test]
    fn consumer_stores_offsets_itself() {
        let c = config().consumer_config("g", true);
        assert_eq!(c.get("enable.auto.offset.store"), Some("false"));
        assert_eq!(c.get("auto.offset.reset"), Some("earliest"));
    }

    #[test]
    fn consumer_prefetch_is_bounded_per_partition_unless_overridden() {
        let c = config().consumer_config("g", true);
        assert_eq!(c.get("queued.min.messages"), Some("2000"));
        assert_eq!(c.get("queued.max.messages.kbytes"), Some("4096"));
        assert_eq!(c.get("max.partition.fetch.bytes"), Some("131072"));
        let mut tuned = config();
        tuned
            .librdkafka
            .push(("max.partition.fetch.bytes".into(), "1048576".into()));
        assert_eq!(
            tuned
                .consumer_config("g", true)
                .get("max.partition.fetch.bytes"),
            Some("1048576")
        );
    }

    #[test]
    fn consumer_fetches_again_soon_after_a_full_queue_unless_overridden() {
        assert_eq!(
            config()
                .consumer_config("g", true)
                .get("fetch.queue.backoff.ms"),
            Some("5")
        );
        let mut tuned = config();
        tuned
            .librdkafka
            .push(("fetch.queue.backoff.ms".into(), "1000".into()));
        assert_eq!(
            tuned
                .consumer_config("g", true)
                .get("fetch.queue.backoff.ms"),
            Some("1000")
        );
    }

    #[test]
    fn acks_accepts_kafkajs_numbers_and_librdkafka_names() {
        assert_eq!(Acks::from_number(-1).unwrap(), Acks::All);
        assert_eq!("all".parse::<Acks>().unwrap(), Acks::All);
        assert_eq!("-1".parse::<Acks>().unwrap(), Acks::All);
        assert_eq!("1".parse::<Acks>().unwrap(), Acks::Leader);
        assert_eq!("0".parse::<Acks>().unwrap(), Acks::None);
        for bad in ["ALL", "leader", "2", ""] {
            assert!(
                matches!(bad.parse::<Acks>(), Err(EngineError::InvalidConfig(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Acks::from_number(2),
            Err(EngineError::InvalidConfig(_))
        ));
    }

    #[test]
    fn the_adaptive_linger_gives_way_to_librdkafkas_own_and_to_transactions() {
        let wait = |c: &ServiceConfig| c.adaptive_linger().map(|d| d.as_micros());
        assert_eq!(wait(&config()), None);
        let on = || {
            let mut c = config();
            c.producer.adaptive_linger_ms = 5.0;
            c
        };
        assert_eq!(wait(&on()), Some(5_000));
        let mut lingering = on();
        lingering.producer.linger_ms = 1.0;
        assert_eq!(wait(&lingering), None);
        for (name, value, expected) in [
            ("linger.ms", "2", None),
            ("queue.buffering.max.ms", "0.5", None),
            ("linger.ms", "0", Some(5_000)),
            ("transactional.id", "t", None),
        ] {
            let mut raw = on();
            raw.librdkafka.push((name.into(), value.into()));
            assert_eq!(wait(&raw), expected, "{name}={value}");
        }
        let mut too_long = config();
        too_long.producer.adaptive_linger_ms = 1_001.0;
        assert!(too_long.validate().is_err());
    }
}
