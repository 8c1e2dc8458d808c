//! The configuration objects JS passes in, and their translation into the engine's
//! `ServiceConfig` and `SubscribeOptions`.

use std::collections::HashMap;

use napi::bindgen_prelude::*;

use crate::binding::logger::{js_log_sink, JsLogRecord};
use crate::binding::network_reports::{network_reporting, JsNetworkReport};
use crate::binding::retry::{retry_ladder, JsRetryOptions};
use crate::binding::tenants::config_templates;
use crate::binding::topics::JsTopicSpec;
use crate::engine::config::{Acks, SaslConfig, ServiceConfig, SslConfig};
use crate::engine::consumer::{Assignor, GroupProtocol, Membership};
use crate::engine::consumer::{Ordering, SubscribeOptions};
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::keying::TemplateStrategies;
use crate::engine::logging::LogSink;

/// SASL credentials.
#[napi(object, js_name = "SaslOptions")]
pub struct JsSaslOptions {
    /// `'plain' | 'scram-sha-256' | 'scram-sha-512'`.
    #[napi(ts_type = "'plain' | 'scram-sha-256' | 'scram-sha-512'")]
    pub mechanism: String,
    pub username: String,
    pub password: String,
}

/// TLS settings. PEM strings (not paths).
#[napi(object, js_name = "SslOptions")]
pub struct JsSslOptions {
    /// CA certificate(s) to trust, PEM. Default: the system's.
    pub ca: Option<String>,
    /// Client certificate for mutual TLS, PEM.
    pub cert: Option<String>,
    /// Client private key for mutual TLS, PEM.
    pub key: Option<String>,
    /// Passphrase of `key`.
    pub passphrase: Option<String>,
    /// Verify the broker's certificate. Default true.
    pub reject_unauthorized: Option<bool>,
}

/// Producer settings.
#[napi(object, js_name = "ProducerOptions")]
pub struct JsProducerOptions {
    /// -1 or `'all'` (all in-sync replicas, default), 1 or `'1'` (leader), 0 or `'0'` (none); `'-1'`
    /// too. Anything else is `ERR_INVALID_CONFIG`. An idempotent producer needs -1.
    #[napi(ts_type = "number | 'all' | '-1' | '1' | '0'")]
    pub acks: Option<Either<i32, String>>,
    /// Exactly-once per partition within a session: no duplicates from retries, order kept.
    /// Default true.
    pub idempotent: Option<bool>,
    /// Default `'none'`.
    #[napi(ts_type = "'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'")]
    pub compression: Option<String>,
    /// How long to wait for more messages before sending a batch. Default 0: an awaited publish
    /// goes out at once; concurrent publishes still share requests.
    pub linger_ms: Option<f64>,
    /// While publishes arrive steadily (2,000 a second or more) with earlier ones still awaiting
    /// their acknowledgement, a small publish call waits up to this long for others to join it,
    /// so a stream leaves in fewer, larger requests (less CPU per message for the client and the
    /// broker); a publish made while none is in flight, or at a trickle, goes at once. Off when
    /// `lingerMs` is set above 0, and for the transactional producer. Default 0 (off). Measured
    /// at 10,000/s: the CPU per message of `lingerMs: 5` (a third of linger 0's), while awaited
    /// publishes, which `lingerMs: 5` holds too, keep their speed.
    pub adaptive_linger_ms: Option<f64>,
    /// Most bytes in one batch (librdkafka `batch.size`). Default 1 MB.
    pub batch_size: Option<f64>,
    /// Requests in flight per broker connection. Default: librdkafka's (1000000), which an
    /// idempotent producer (the default) caps at 5.
    pub max_in_flight: Option<f64>,
    /// A publish fails with `ERR__MSG_TIMED_OUT` after this long, retries included. Default 30000.
    pub message_timeout_ms: Option<f64>,
    /// How keys map to partitions. Default `'murmur2_random'`: the Java client's and kafkajs'
    /// mapping (random partition for null keys).
    #[napi(
        ts_type = "'murmur2_random' | 'murmur2' | 'consistent_random' | 'consistent' | 'random' | 'fnv1a' | 'fnv1a_random'"
    )]
    pub partitioner: Option<String>,
}

/// Options of `new KafkaService(config)`.
#[napi(object, js_name = "KafkaConfig")]
pub struct JsKafkaConfig<'a> {
    /// `['host:9092', ...]` or `'host:9092,host2:9092'`.
    pub brokers: Either<Vec<String>, String>,
    /// Client id the brokers see. Default `'kafka-native'`.
    pub client_id: Option<String>,
    /// TLS: `true` for TLS with the system's CAs, or its settings.
    pub ssl: Option<Either<bool, JsSslOptions>>,
    pub sasl: Option<JsSaslOptions>,
    pub producer: Option<JsProducerOptions>,
    /// Bound on `connect()`. Default 10000.
    pub connection_timeout_ms: Option<f64>,
    /// How often librdkafka's statistics refresh `stats()` broker and lag figures. Default 1000.
    pub statistics_interval_ms: Option<f64>,
    /// `'error' | 'warn' | 'info' | 'debug' | 'trace'`. Default: `KAFKA_NATIVE_LOG`, else `'warn'`.
    #[napi(ts_type = "'error' | 'warn' | 'info' | 'debug' | 'trace'")]
    pub log_level: Option<String>,
    /// The header whose value is a message's event type (e.g. `'event-type'`): `stats()` then
    /// reports figures per event type (`eventTypes`), for published and consumed messages.
    /// Default: none (no header is read).
    pub event_type_header: Option<String>,
    /// Receives log records instead of stderr (e.g. to forward to a NestJS Logger).
    #[napi(ts_type = "(arg: LogRecord) => void")]
    pub logger: Option<Function<'a, JsLogRecord, ()>>,
    /// Receives the network reports of the service's clients, in batches (every report that
    /// arrived since the previous call), on the JS thread. What it gets is `networkReports`.
    /// Default: none (no report is built and no debug context is turned on).
    #[napi(ts_type = "(reports: Array<NetworkReport>) => void")]
    pub on_network: Option<Function<'a, Vec<JsNetworkReport>, ()>>,
    /// Which reports `onNetwork` gets: `'requests'` (each request a broker answered and each
    /// one in flight that timed out, read from librdkafka's `protocol` debug lines, which this
    /// turns on for the service's clients; those lines then go to the reports, not to the log)
    /// and `'queueSizes'` (each broker's requests waiting to be sent, at each statistics
    /// interval). Default: both.
    #[napi(ts_type = "Array<'requests' | 'queueSizes'>")]
    pub network_reports: Option<Vec<String>>,
    /// Any other librdkafka property (CONFIGURATION.md), applied last.
    pub librdkafka: Option<HashMap<String, Either3<String, f64, bool>>>,
    /// Enables `transaction()`: the service gets a transactional producer with this
    /// `transactional.id` (unique per producing instance, stable across its restarts: a restart
    /// fences the previous instance's producer and aborts what it left open).
    pub transactional_id: Option<String>,
    /// Longest a transaction may stay open before the broker aborts it
    /// (`transaction.timeout.ms`). Default 60000.
    pub transaction_timeout_ms: Option<f64>,
    /// Tenant topic templates whose partition strategy (`keyStrategy`) keys the publishes to
    /// their topics that give no key and name no strategy: a catalog preset's name (`'caas'`:
    /// `chat.messages.{tenant}` by `conversation_id`, ...) or templates as in
    /// `TenantOptions.templates`. See `PublishOptions.strategy`. Default: none.
    #[napi(ts_type = "'caas' | Array<TopicSpec>")]
    pub tenant_templates: Option<Either<String, Vec<JsTopicSpec>>>,
}

/// Reads a client's JS configuration (`KafkaService`, `KafkaAdmin`): the engine's settings and
/// the log callback, if any. Every failure is `ERR_INVALID_CONFIG`.
pub fn read_client_config(
    env: &napi::Env,
    config: Unknown<'_>,
) -> EngineResult<(ServiceConfig, Option<LogSink>)> {
    let invalid = |e: Error| EngineError::InvalidConfig(e.reason.clone());
    if config.get_type().map_err(invalid)? != ValueType::Object {
        return Err(EngineError::InvalidConfig(
            "config must be an object with brokers".into(),
        ));
    }
    check_nested_objects(env, config)?;
    let mut js: JsKafkaConfig =
        unsafe { JsKafkaConfig::from_napi_value(env.raw(), config.raw()) }.map_err(invalid)?;
    let sink = js
        .logger
        .as_ref()
        .map(js_log_sink)
        .transpose()
        .map_err(invalid)?;
    let mut service = ServiceConfig::try_from(&js)?;
    if let Some(callback) = &js.on_network {
        service.network = Some(network_reporting(callback, js.network_reports.as_deref())?);
    }
    if let Some(given) = js.tenant_templates.take() {
        let templates = config_templates(given)
            .and_then(TemplateStrategies::new)
            .map_err(|e| EngineError::InvalidConfig(format!("tenantTemplates: {e}")))?;
        service.key_templates = templates;
    }
    Ok((service, sink))
}

/// Refuses a nested options object that is present but not an object: napi reads the fields of
/// any value, so `producer: 'fast'` would otherwise configure nothing, silently, and reading the
/// fields of `null` leaves a plain `TypeError` pending instead of our error.
pub fn check_nested_objects(env: &napi::Env, config: Unknown<'_>) -> EngineResult<()> {
    let invalid = |e: Error| EngineError::InvalidConfig(e.reason.clone());
    let obj = unsafe { Object::from_napi_value(env.raw(), config.raw()) }.map_err(invalid)?;
    for key in ["producer", "sasl", "librdkafka"] {
        let value: Unknown = obj.get_named_property(key).map_err(invalid)?;
        match value.get_type().map_err(invalid)? {
            napi::ValueType::Undefined | napi::ValueType::Object => {}
            other => {
                return Err(EngineError::InvalidConfig(format!(
                    "{key} must be an object (got {other:?})"
                )))
            }
        }
    }
    Ok(())
}

/// Options of `subscribe`.
#[napi(object, js_name = "SubscribeOptions")]
pub struct JsSubscribeOptions<'a> {
    /// The consumer group.
    pub group_id: String,
    pub topics: Vec<String>,
    /// With no committed offset, start from the earliest message (default: only new ones).
    pub from_beginning: Option<bool>,
    /// Replay: start each partition at the first message at or after this time (ms since the
    /// epoch, or a Date), whatever the group had committed.
    pub from_timestamp: Option<Either<f64, Date<'a>>>,
    /// Commit handled offsets automatically (interval, rebalance, stop). Default true. When
    /// false, only `subscription.commit()` commits.
    pub auto_commit: Option<bool>,
    /// Partitions handled in parallel. Order within a partition is always kept. Default 1.
    pub concurrency: Option<f64>,
    /// Most messages handed over per batch (one `eachBatch` call, or one run of `eachMessage`
    /// calls). Default 1000.
    pub max_batch_size: Option<f64>,
    /// Attempts after a handler failure before the subscription stops. Default 5.
    pub retries: Option<f64>,
    /// First retry delay, doubling each time (max 30 s). Default 100.
    pub retry_backoff_ms: Option<f64>,
    /// Messages buffered per partition before its fetching pauses. Default 10000.
    pub max_buffered_messages: Option<f64>,
    /// How long `stop()` and rebalances wait for running handlers. Default 30000.
    pub drain_timeout_ms: Option<f64>,
    /// Bound on one handler call (one `eachBatch` call, or one batch of `eachMessage` calls), in
    /// ms. A call still running then counts as a failure (retried with backoff, then `onError`)
    /// and is abandoned, not cancelled: what it does or returns later is ignored, and the retry
    /// may run while it is still busy. Default: no bound (a handler that never settles holds its
    /// partition until `stop()`, which waits `drainTimeoutMs`).
    pub handler_timeout_ms: Option<f64>,
    /// Group session timeout (librdkafka `session.timeout.ms`). Default 45000.
    pub session_timeout_ms: Option<f64>,
    /// `'partition'` (default): one handler call at a time per partition, `concurrency` partitions
    /// at once. `'key'`: messages of one key in order, different keys of a partition in parallel
    /// (keyless messages in any order), `concurrency` handler calls at once; the committed offset
    /// of a partition never passes a message still being handled.
    #[napi(ts_type = "'partition' | 'key'")]
    pub ordering: Option<String>,
    /// Delayed retry steps and a dead-letter topic for messages whose in-place `retries` ran out.
    /// A message that cannot be decoded skips the steps: it goes to the dead-letter topic at once.
    #[napi(ts_type = "RetryOptions")]
    pub retry: Option<JsRetryOptions>,
    /// Group protocol: `'classic'` (default; JoinGroup/SyncGroup) or `'consumer'` (KIP-848,
    /// Kafka 4.0+: the broker assigns and moves partitions one at a time, never stopping the
    /// others). With `'consumer'`, `assignor` and `sessionTimeoutMs` are broker settings and
    /// rejected here (`ERR_INVALID_ARG`).
    #[napi(ts_type = "'classic' | 'consumer'")]
    pub group_protocol: Option<String>,
    /// Classic protocol's assignor: `'range'`, `'roundrobin'` (both eager: a rebalance stops
    /// every member) or `'cooperative-sticky'` (incremental: only moving partitions stop).
    /// Default: librdkafka's `range,roundrobin`.
    #[napi(ts_type = "'range' | 'roundrobin' | 'cooperative-sticky'")]
    pub assignor: Option<String>,
    /// Static membership (`group.instance.id`, unique per member): a member that restarts
    /// within the session timeout gets its partitions back with no rebalance of the others.
    pub group_instance_id: Option<String>,
    /// Read only committed transactional messages (`isolation.level=read_committed`, the
    /// default) or also those of open and aborted transactions (false).
    pub read_committed: Option<bool>,
    /// Called once if the subscription stops on an error: a handler that kept failing
    /// (`ERR_HANDLER_FAILED`), a message that cannot be decoded (its decoding code, such as
    /// `ERR_SCHEMA_DECODE`, `retriable: false`), a republish to a retry step that failed.
    #[napi(ts_type = "(error: KafkaNativeError) => void")]
    pub on_error: Option<Function<'a, Unknown<'a>, ()>>,
    /// Called after each commit of this member's offsets that the group coordinator accepted
    /// (auto-commit interval, rebalance, stop, `commit()`), with the offsets it wrote. A commit
    /// with nothing new is not reported. Without it nothing is reported.
    #[napi(ts_type = "(commit: SubscriptionCommit) => void")]
    pub on_commit: Option<Function<'a, Unknown<'a>, ()>>,
    /// Called with the group heartbeats the member sent, at each statistics interval
    /// (`statisticsIntervalMs`, default 1 s; none when 0) that saw some.
    #[napi(ts_type = "(heartbeat: SubscriptionHeartbeat) => void")]
    pub on_heartbeat: Option<Function<'a, Unknown<'a>, ()>>,
    /// Called after each round of the subscription's poll loop that handed messages to the
    /// handlers, one entry per broker they came from (and once per 5 s without messages). It is
    /// called often under load: without it nothing is counted.
    #[napi(ts_type = "(rounds: SubscriptionFetch[]) => void")]
    pub on_fetch: Option<Function<'a, Unknown<'a>, ()>>,
    /// Decode each value (Confluent wire format) through the registry given to
    /// `useSchemaRegistry()`, on the runtime: the handler's `message.decoded` is the value and
    /// `message.schemaId` its writer schema's id (`message.value` keeps the raw bytes).
    /// `{readerSchema}` pins an Avro reader schema. A value that cannot be decoded never reaches the
    /// handler and is never skipped: without retries (retrying cannot fix bytes) it goes to
    /// `retry.deadLetterTopic` with its bytes and its code (`ERR_SCHEMA_DECODE`,
    /// `ERR_SCHEMA_NOT_FOUND`, `ERR_SCHEMA_VALIDATION`) in `x-error-code`, or, without one, ends
    /// the subscription (`onError` gets that code, `retriable: false`).
    #[napi(ts_type = "boolean | DecodeOptions")]
    pub decode: Option<Either<bool, crate::binding::schema_registry::JsDecodeOptions>>,
}

/// A whole, non-negative number that fits in a u32; `kind` makes the error (config or argument).
fn whole(v: f64, what: &str, kind: fn(String) -> EngineError) -> EngineResult<u32> {
    if v.is_finite() && v.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&v) {
        Ok(v as u32)
    } else {
        Err(kind(format!(
            "{what} must be a whole number >= 0 (got {v})"
        )))
    }
}

fn finite_ms(v: f64, what: &str) -> EngineResult<i64> {
    if v.is_finite() && v >= 0.0 {
        Ok(v as i64)
    } else {
        Err(EngineError::InvalidArg(format!(
            "{what} must be a time in ms since the epoch"
        )))
    }
}

impl TryFrom<&JsKafkaConfig<'_>> for ServiceConfig {
    type Error = EngineError;

    /// `ERR_INVALID_CONFIG` for an unknown enum value or a number out of range.
    fn try_from(c: &JsKafkaConfig<'_>) -> EngineResult<Self> {
        let brokers = match &c.brokers {
            Either::A(list) => list
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            Either::B(s) => ServiceConfig::parse_brokers(s),
        };
        let mut config = ServiceConfig::new(brokers);
        if let Some(id) = &c.client_id {
            config.client_id = id.clone();
        }
        config.ssl = match &c.ssl {
            None | Some(Either::A(false)) => None,
            Some(Either::A(true)) => Some(SslConfig {
                reject_unauthorized: true,
                ..Default::default()
            }),
            Some(Either::B(s)) => Some(s.into()),
        };
        config.sasl = c.sasl.as_ref().map(SaslConfig::try_from).transpose()?;
        if let Some(p) = &c.producer {
            let target = &mut config.producer;
            match &p.acks {
                Some(Either::A(n)) => target.acks = Acks::from_number(*n)?,
                Some(Either::B(name)) => target.acks = name.parse()?,
                None => {}
            }
            if let Some(v) = p.idempotent {
                target.idempotent = v;
            }
            if let Some(v) = &p.compression {
                target.compression = v.parse()?;
            }
            if let Some(v) = p.linger_ms {
                target.linger_ms = v;
            }
            if let Some(v) = p.adaptive_linger_ms {
                target.adaptive_linger_ms = v;
            }
            if let Some(v) = p.batch_size {
                target.batch_size =
                    Some(whole(v, "producer.batchSize", EngineError::InvalidConfig)?);
            }
            if let Some(v) = p.max_in_flight {
                target.max_in_flight = Some(whole(
                    v,
                    "producer.maxInFlight",
                    EngineError::InvalidConfig,
                )?);
            }
            if let Some(v) = p.message_timeout_ms {
                target.message_timeout_ms =
                    whole(v, "producer.messageTimeoutMs", EngineError::InvalidConfig)?;
            }
            if let Some(v) = &p.partitioner {
                target.partitioner = v.clone();
            }
        }
        if let Some(v) = c.connection_timeout_ms {
            config.connection_timeout_ms =
                whole(v, "connectionTimeoutMs", EngineError::InvalidConfig)?;
        }
        config.transactional_id = c.transactional_id.clone();
        if let Some(v) = c.transaction_timeout_ms {
            config.transaction_timeout_ms = Some(whole(
                v,
                "transactionTimeoutMs",
                EngineError::InvalidConfig,
            )?);
        }
        if let Some(v) = c.statistics_interval_ms {
            config.statistics_interval_ms =
                whole(v, "statisticsIntervalMs", EngineError::InvalidConfig)?;
        }
        if let Some(v) = &c.log_level {
            config.log_level = v.parse()?;
        }
        if let Some(v) = &c.event_type_header {
            if v.is_empty() {
                return Err(EngineError::InvalidConfig(
                    "eventTypeHeader must be a non-empty header name".into(),
                ));
            }
            config.event_type_header = Some(v.clone());
        }
        if let Some(map) = &c.librdkafka {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            for (k, v) in entries {
                let value = match v {
                    Either3::A(s) => s.clone(),
                    Either3::B(n) if n.fract() == 0.0 => format!("{}", *n as i64),
                    Either3::B(n) => n.to_string(),
                    Either3::C(b) => b.to_string(),
                };
                config.librdkafka.push((k.clone(), value));
            }
        }
        Ok(config)
    }
}

impl From<&JsSslOptions> for SslConfig {
    fn from(s: &JsSslOptions) -> Self {
        SslConfig {
            ca: s.ca.clone(),
            cert: s.cert.clone(),
            key: s.key.clone(),
            key_password: s.passphrase.clone(),
            reject_unauthorized: s.reject_unauthorized.unwrap_or(true),
        }
    }
}

impl TryFrom<&JsSaslOptions> for SaslConfig {
    type Error = EngineError;

    /// `ERR_INVALID_CONFIG` for an unknown mechanism.
    fn try_from(s: &JsSaslOptions) -> EngineResult<Self> {
        Ok(SaslConfig {
            mechanism: s.mechanism.parse()?,
            username: s.username.clone(),
            password: s.password.clone(),
        })
    }
}

impl TryFrom<&JsSubscribeOptions<'_>> for SubscribeOptions {
    type Error = EngineError;

    /// `ERR_INVALID_ARG` for an unknown enum value or a number out of range.
    fn try_from(o: &JsSubscribeOptions<'_>) -> EngineResult<Self> {
        let mut options = SubscribeOptions::new(&o.group_id, o.topics.clone());
        options.from_beginning = o.from_beginning.unwrap_or(false);
        options.from_timestamp = match &o.from_timestamp {
            None => None,
            Some(Either::A(ms)) => Some(finite_ms(*ms, "fromTimestamp")?),
            Some(Either::B(d)) => Some(finite_ms(
                d.value_of()
                    .map_err(|e| EngineError::InvalidArg(e.reason.clone()))?,
                "fromTimestamp",
            )?),
        };
        options.auto_commit = o.auto_commit.unwrap_or(true);
        let arg = EngineError::InvalidArg;
        if let Some(v) = o.concurrency {
            options.concurrency = whole(v, "concurrency", arg)? as usize;
        }
        if let Some(v) = o.max_batch_size {
            options.max_batch_size = whole(v, "maxBatchSize", arg)? as usize;
        }
        if let Some(v) = o.retries {
            options.retries = whole(v, "retries", arg)?;
        }
        if let Some(v) = o.retry_backoff_ms {
            options.retry_backoff_ms = whole(v, "retryBackoffMs", arg)? as u64;
        }
        if let Some(v) = o.max_buffered_messages {
            options.max_buffered_per_partition = whole(v, "maxBufferedMessages", arg)? as usize;
        }
        if let Some(v) = o.drain_timeout_ms {
            options.drain_timeout_ms = whole(v, "drainTimeoutMs", arg)? as u64;
        }
        options.handler_timeout_ms = o
            .handler_timeout_ms
            .map(|v| whole(v, "handlerTimeoutMs", arg))
            .transpose()?
            .map(u64::from);
        options.session_timeout_ms = o
            .session_timeout_ms
            .map(|v| whole(v, "sessionTimeoutMs", arg))
            .transpose()?;
        options.ordering = match o.ordering.as_deref() {
            None | Some("partition") => Ordering::Partition,
            Some("key") => Ordering::Key,
            Some(other) => {
                return Err(EngineError::InvalidArg(format!(
                    "ordering must be 'partition' or 'key' (got '{other}')"
                )))
            }
        };
        options.retry = o
            .retry
            .as_ref()
            .map(|r| retry_ladder(&o.group_id, r))
            .transpose()?;
        options.membership = Membership {
            protocol: o
                .group_protocol
                .as_deref()
                .map(GroupProtocol::parse)
                .transpose()?
                .unwrap_or_default(),
            assignor: o.assignor.as_deref().map(Assignor::parse).transpose()?,
            instance_id: o.group_instance_id.clone(),
        };
        options.read_committed = o.read_committed;
        Ok(options)
    }
}
