//! The engine's one error type. Errors stay data until the binding maps them to JS.

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// Everything the engine can fail with. `code()` is the stable string callers match on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EngineError {
    /// A configuration value is unknown, malformed or inconsistent.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// An argument of a call is missing, of the wrong type or out of range.
    #[error("invalid argument: {0}")]
    InvalidArg(String),
    /// The service was disconnected; no further calls are accepted.
    #[error("the service is disconnected")]
    Disconnected,
    /// A bounded wait ran out.
    #[error("timed out: {0}")]
    TimedOut(String),
    /// A subscription stopped at a message: its handler kept failing after its retries
    /// (`code` `ERR_HANDLER_FAILED`), or the message failed before the handler could see it, with
    /// that failure's code (`ERR_SCHEMA_DECODE`, ...) and retriability.
    #[error(
        "{} for {topic}[{partition}] at offset {offset}: {message}",
        stop_reason(code)
    )]
    Handler {
        topic: String,
        partition: i32,
        offset: i64,
        message: String,
        code: String,
        retriable: bool,
    },
    /// A transactional call failed. `fatal`: the transactional producer can no longer be used
    /// (fenced by a newer producer with the same transactional id, or a fatal broker error);
    /// `abortable`: the open transaction can only be aborted.
    #[error("{message}")]
    Transaction {
        code: RDKafkaErrorCode,
        message: String,
        fatal: bool,
        abortable: bool,
        retriable: bool,
    },
    /// A value does not match its schema (on encode), or a schema itself is invalid. `path` is
    /// the JSON pointer of the offending field (`/metadata/cpu_usage`; empty for the whole value).
    #[error("schema validation failed at '{path}': {message}")]
    SchemaValidation { path: String, message: String },
    /// Bytes that are not a value framed in the Confluent wire format with a known schema, or an
    /// Avro/JSON body that does not decode with its writer schema.
    #[error("cannot decode: {0}")]
    SchemaDecode(String),
    /// The registry has no such subject, version or schema id (registry codes 40401, 40402,
    /// 40403).
    #[error("schema not found ({registry_code}): {message}")]
    SchemaNotFound { registry_code: i32, message: String },
    /// Any other registry failure: its HTTP status and error code (409 incompatible, 42201
    /// invalid schema, 50001 ...; 0 when the registry could not be reached).
    #[error("schema registry error ({registry_code}, HTTP {status}): {message}")]
    SchemaRegistry {
        status: u16,
        registry_code: i32,
        message: String,
    },
    /// An error reported by librdkafka or the broker.
    #[error("{message}")]
    Kafka {
        code: RDKafkaErrorCode,
        message: String,
        topic: Option<String>,
        partition: Option<i32>,
    },
}

/// Result alias for engine calls.
pub type EngineResult<T> = Result<T, EngineError>;

impl EngineError {
    /// An error from a librdkafka code, with its own description as message.
    pub fn from_code(code: RDKafkaErrorCode) -> Self {
        EngineError::Kafka {
            code,
            message: code.to_string(),
            topic: None,
            partition: None,
        }
    }

    /// Attaches the topic (and partition, when known) the error is about.
    pub fn about(mut self, t: &str, p: Option<i32>) -> Self {
        if let EngineError::Kafka {
            topic, partition, ..
        } = &mut self
        {
            *topic = Some(t.to_string());
            if p.is_some() {
                *partition = p;
            }
        }
        self
    }

    /// The stable code: librdkafka's error names (`ERR__TIMED_OUT`, `ERR_MSG_SIZE_TOO_LARGE`)
    /// or the engine's own (`ERR_INVALID_CONFIG`, `ERR_INVALID_ARG`, `ERR_DISCONNECTED`,
    /// `ERR_HANDLER_FAILED`, `ERR_SCHEMA_VALIDATION`, `ERR_SCHEMA_DECODE`, `ERR_SCHEMA_NOT_FOUND`,
    /// `ERR_SCHEMA_REGISTRY`).
    pub fn code(&self) -> String {
        match self {
            EngineError::InvalidConfig(_) => "ERR_INVALID_CONFIG".into(),
            EngineError::InvalidArg(_) => "ERR_INVALID_ARG".into(),
            EngineError::Disconnected => "ERR_DISCONNECTED".into(),
            EngineError::TimedOut(_) => "ERR__TIMED_OUT".into(),
            EngineError::Handler { code, .. } => code.clone(),
            EngineError::SchemaValidation { .. } => "ERR_SCHEMA_VALIDATION".into(),
            EngineError::SchemaDecode(_) => "ERR_SCHEMA_DECODE".into(),
            EngineError::SchemaNotFound { .. } => "ERR_SCHEMA_NOT_FOUND".into(),
            EngineError::SchemaRegistry { .. } => "ERR_SCHEMA_REGISTRY".into(),
            EngineError::Kafka { code, .. } | EngineError::Transaction { code, .. } => {
                code_name(*code)
            }
        }
    }

    /// Whether the same call may succeed if tried again later.
    pub fn retriable(&self) -> bool {
        match self {
            EngineError::TimedOut(_) => true,
            // Unreachable (0), overloaded or failing (5xx) registries may answer later.
            EngineError::SchemaRegistry { status, .. } => *status == 0 || *status >= 500,
            EngineError::Kafka { code, .. } => is_retriable(*code),
            EngineError::Transaction { retriable, .. } => *retriable,
            EngineError::Handler { retriable, .. } => *retriable,
            _ => false,
        }
    }

    /// Whether the client can no longer work and must be recreated.
    pub fn fatal(&self) -> bool {
        matches!(
            self,
            EngineError::Kafka {
                code: RDKafkaErrorCode::Fatal,
                ..
            } | EngineError::Transaction { fatal: true, .. }
        )
    }

    /// The topic the error is about, when there is one.
    pub fn topic(&self) -> Option<&str> {
        match self {
            EngineError::Kafka { topic, .. } => topic.as_deref(),
            EngineError::Handler { topic, .. } => Some(topic),
            _ => None,
        }
    }

    /// The registry's error code (40401, 409, 42201, ...) of a registry error, when there is one.
    pub fn registry_code(&self) -> Option<i32> {
        match self {
            EngineError::SchemaNotFound { registry_code, .. }
            | EngineError::SchemaRegistry { registry_code, .. } => Some(*registry_code),
            _ => None,
        }
    }

    /// The JSON pointer of the field a schema validation error is about.
    pub fn field_path(&self) -> Option<&str> {
        match self {
            EngineError::SchemaValidation { path, .. } => Some(path),
            _ => None,
        }
    }

    /// The partition the error is about, when there is one.
    pub fn partition(&self) -> Option<i32> {
        match self {
            EngineError::Kafka { partition, .. } => *partition,
            EngineError::Handler { partition, .. } => Some(*partition),
            _ => None,
        }
    }
}

impl From<KafkaError> for EngineError {
    fn from(err: KafkaError) -> Self {
        match &err {
            KafkaError::ClientConfig(_, description, key, value) => {
                EngineError::InvalidConfig(format!("{key}={value}: {description}"))
            }
            KafkaError::ClientCreation(reason) => EngineError::InvalidConfig(reason.clone()),
            KafkaError::Transaction(e) => EngineError::Transaction {
                code: e.code(),
                message: e.string(),
                fatal: e.is_fatal(),
                abortable: e.txn_requires_abort(),
                retriable: e.is_retriable(),
            },
            // A string handed to librdkafka had a NUL inside; the checks before should catch
            // every such string, this keeps a missed one typed.
            KafkaError::Nul(_) => {
                EngineError::InvalidArg("a string contains a NUL character".into())
            }
            _ => match err.rdkafka_error_code() {
                Some(code) => EngineError::Kafka {
                    code,
                    message: err.to_string(),
                    topic: None,
                    partition: None,
                },
                None => EngineError::Kafka {
                    code: RDKafkaErrorCode::Fail,
                    message: err.to_string(),
                    topic: None,
                    partition: None,
                },
            },
        }
    }
}

/// What stopped a subscription at a message, by the code of its failure.
fn stop_reason(code: &str) -> &'static str {
    if code == "ERR_HANDLER_FAILED" {
        "handler failed"
    } else {
        "message cannot be handled"
    }
}

/// librdkafka's name for a code, as `ERR_` + its name in librdkafka's table (`ERR__TIMED_OUT`).
pub fn code_name(code: RDKafkaErrorCode) -> String {
    let name = error_table()
        .iter()
        .find(|d| d.code as i32 == code as i32 && !d.name.is_null())
        // SAFETY: names in librdkafka's table are static NUL-terminated strings.
        .map(|d| {
            unsafe { std::ffi::CStr::from_ptr(d.name) }
                .to_string_lossy()
                .into_owned()
        });
    match name {
        Some(n) => format!("ERR_{n}"),
        None => format!("ERR_{}", code as i32),
    }
}

/// librdkafka's table of every error code it knows, with names and descriptions.
pub(crate) fn error_table() -> &'static [rdkafka::bindings::rd_kafka_err_desc] {
    let mut descs: *const rdkafka::bindings::rd_kafka_err_desc = std::ptr::null();
    let mut count: usize = 0;
    // SAFETY: librdkafka points `descs` at its static table and sets its length.
    unsafe { rdkafka::bindings::rd_kafka_get_err_descs(&mut descs, &mut count) };
    if descs.is_null() {
        return &[];
    }
    // SAFETY: the table has `count` entries and lives as long as the process.
    unsafe { std::slice::from_raw_parts(descs, count) }
}

/// The codes a later attempt can get past: transient broker, network and queue conditions.
fn is_retriable(code: RDKafkaErrorCode) -> bool {
    use RDKafkaErrorCode::*;
    matches!(
        code,
        OperationTimedOut
            | MessageTimedOut
            | RequestTimedOut
            | BrokerTransportFailure
            | AllBrokersDown
            | QueueFull
            | NotEnoughReplicas
            | NotEnoughReplicasAfterAppend
            | LeaderNotAvailable
            | NotLeaderForPartition
            | NetworkException
            | UnknownTopicOrPartition
            | CoordinatorLoadInProgress
            | CoordinatorNotAvailable
            | NotCoordinator
            | RebalanceInProgress
            | KafkaStorageError
            | FetchSessionIdNotFound
            | InvalidFetchSessionEpoch
            | OffsetNotAvailable
            | PreferredLeaderNotAvailable
            | UnstableOffsetCommit
            | ThrottlingQuotaExceeded
            | Retry
            | TimedOutQueue
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_librdkafka_names() {
        assert_eq!(
            EngineError::from_code(RDKafkaErrorCode::OperationTimedOut).code(),
            "ERR__TIMED_OUT"
        );
        assert_eq!(
            EngineError::from_code(RDKafkaErrorCode::MessageSizeTooLarge).code(),
            "ERR_MSG_SIZE_TOO_LARGE"
        );
        assert_eq!(
            EngineError::from_code(RDKafkaErrorCode::UnknownTopicOrPartition).code(),
            "ERR_UNKNOWN_TOPIC_OR_PART"
        );
        assert_eq!(EngineError::Disconnected.code(), "ERR_DISCONNECTED");
    }

    #[test]
    fn retriable_and_fatal_flags() {
        assert!(EngineError::from_code(RDKafkaErrorCode::MessageTimedOut).retriable());
        assert!(EngineError::from_code(RDKafkaErrorCode::NotEnoughReplicas).retriable());
        assert!(!EngineError::from_code(RDKafkaErrorCode::MessageSizeTooLarge).retriable());
        assert!(EngineError::from_code(RDKafkaErrorCode::Fatal).fatal());
        assert!(!EngineError::InvalidArg("x".into()).retriable());
    }

    #[test]
    fn context_is_attached() {
        let e = EngineError::from_code(RDKafkaErrorCode::MessageTimedOut).about("t", Some(2));
        assert_eq!(e.topic(), Some("t"));
        assert_eq!(e.partition(), Some(2));
    }
}
