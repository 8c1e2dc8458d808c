//! Messages as the engine sends and receives them, and the checks a message must pass before it
//! is handed to librdkafka.

use std::sync::Arc;

use crate::engine::error::{EngineError, EngineResult};
use rdkafka::types::RDKafkaErrorCode;

/// A message to publish. `B` is any byte container: a JS Buffer in the binding, `Vec<u8>` in Rust.
#[derive(Debug, Clone)]
pub struct OutgoingMessage<B> {
    pub key: Option<B>,
    pub value: Option<B>,
    pub headers: Vec<(String, Option<B>)>,
    /// Explicit partition; `None` lets the partitioner choose from the key.
    pub partition: Option<i32>,
    /// Milliseconds since the epoch; `None` stamps the send time.
    pub timestamp: Option<i64>,
}

impl<B> OutgoingMessage<B> {
    /// A message with only a value.
    pub fn value(value: B) -> Self {
        OutgoingMessage {
            key: None,
            value: Some(value),
            headers: Vec::new(),
            partition: None,
            timestamp: None,
        }
    }

    /// Sets the key.
    pub fn with_key(mut self, key: B) -> Self {
        self.key = Some(key);
        self
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: B) -> Self {
        self.headers.push((name.to_string(), Some(value)));
        self
    }
}

impl<B: AsRef<[u8]>> OutgoingMessage<B> {
    /// The message with its own copy of every byte.
    pub fn to_owned_bytes(&self) -> OutgoingMessage<Vec<u8>> {
        self.map_bytes(|b| b.to_vec())
    }

    /// The message as slices of its bytes.
    pub fn borrowed(&self) -> OutgoingMessage<&[u8]> {
        self.map_bytes(|b| b)
    }

    fn map_bytes<'a, C>(&'a self, f: impl Fn(&'a [u8]) -> C) -> OutgoingMessage<C> {
        OutgoingMessage {
            key: self.key.as_ref().map(|b| f(b.as_ref())),
            value: self.value.as_ref().map(|b| f(b.as_ref())),
            headers: self
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.as_ref().map(|b| f(b.as_ref()))))
                .collect(),
            partition: self.partition,
            timestamp: self.timestamp,
        }
    }

    /// Bytes of key, value and headers: what counts towards the `bytes` statistic.
    pub fn size(&self) -> usize {
        let len = |b: &Option<B>| b.as_ref().map_or(0, |b| b.as_ref().len());
        len(&self.key)
            + len(&self.value)
            + self
                .headers
                .iter()
                .map(|(k, v)| k.len() + len(v))
                .sum::<usize>()
    }

    /// No headers, timestamp or partition of its own: librdkafka partitions it by its key and
    /// stamps it when it is queued.
    pub fn is_plain(&self) -> bool {
        self.headers.is_empty() && self.timestamp.is_none() && self.partition.is_none()
    }

    /// Rejects what Kafka would refuse anyway, before it is queued: bad partition numbers and
    /// negative timestamps. Sizes are librdkafka's to check (`message.max.bytes`).
    pub fn validate(&self) -> EngineResult<()> {
        if let Some(p) = self.partition {
            if p < 0 {
                return Err(EngineError::InvalidArg(format!(
                    "partition must be >= 0 (got {p})"
                )));
            }
        }
        if let Some(ts) = self.timestamp {
            if ts < 0 {
                return Err(EngineError::InvalidArg(format!(
                    "timestamp must be >= 0 (got {ts})"
                )));
            }
        }
        for (name, _) in &self.headers {
            if name.contains('\0') {
                return Err(EngineError::InvalidArg(
                    "header names must not contain NUL".into(),
                ));
            }
        }
        Ok(())
    }
}

/// Where a published message landed.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryReport {
    /// Shared by the reports of one topic's messages.
    pub topic: Arc<str>,
    pub partition: i32,
    pub offset: i64,
    /// The message's timestamp in ms, as the broker stored it (when known).
    pub timestamp: Option<i64>,
}

/// A consumed message, owned by the engine until a handler has seen it.
#[derive(Debug, Clone)]
pub struct ConsumedMessage {
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    pub offset: i64,
    pub timestamp: Option<i64>,
}

/// Consecutive messages of one partition, handed to a handler in one call.
#[derive(Debug, Clone)]
pub struct MessageBatch {
    pub topic: String,
    pub partition: i32,
    pub messages: Vec<ConsumedMessage>,
    /// Which assignment of the partition the batch came from (unique within its subscription;
    /// 0 outside one): a transaction given it commits the batch's offsets only while that
    /// assignment holds the partition.
    pub assignment: u64,
}

impl MessageBatch {
    /// Offset of the last message, if any.
    pub fn last_offset(&self) -> Option<i64> {
        self.messages.last().map(|m| m.offset)
    }
}

/// Checks a topic name against Kafka's rules: 1 to 249 characters of `[a-zA-Z0-9._-]`, not `.`
/// or `..`. A bad name fails with `ERR_TOPIC_EXCEPTION`, as the broker would answer.
pub fn validate_topic(topic: &str) -> EngineResult<()> {
    let valid_chars = topic
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    if topic.is_empty() || topic.len() > 249 || !valid_chars || topic == "." || topic == ".." {
        return Err(EngineError::Kafka {
            code: RDKafkaErrorCode::InvalidTopic,
            message: format!(
                "invalid topic name '{}': 1-249 characters of a-z, A-Z, 0-9, '.', '_' and '-'",
                topic.chars().take(300).collect::<String>()
            ),
            topic: None,
            partition: None,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_follow_kafka_rules() {
        for ok in ["job-lifecycle", "element.raw_data", "a", &"x".repeat(249)] {
            validate_topic(ok).unwrap();
        }
        for bad in [
            "",
            ".",
            "..",
            "has space",
            "tab\t",
            "ünïcode",
            &"x".repeat(250),
        ] {
            assert_eq!(
                validate_topic(bad).unwrap_err().code(),
                "ERR_TOPIC_EXCEPTION",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn message_checks() {
        let m = OutgoingMessage::value(b"v".to_vec())
            .with_key(b"k".to_vec())
            .with_header("h", b"12".to_vec());
        assert_eq!(m.size(), 1 + 1 + 1 + 2);
        m.validate().unwrap();
        let mut bad = m.clone();
        bad.partition = Some(-2);
        assert_eq!(bad.validate().unwrap_err().code(), "ERR_INVALID_ARG");
        let mut bad = m;
        bad.timestamp = Some(-1);
        assert_eq!(bad.validate().unwrap_err().code(), "ERR_INVALID_ARG");
    }
}
