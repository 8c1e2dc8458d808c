//! `replayDeadLetters`: reads a dead-letter topic from a time to its end (as it was when the
//! replay started), and republishes the messages that match to their original topics (or one
//! given topic), stripped of the retry ladder's headers, so they go through the handler again.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use crate::engine::config::ServiceConfig;
use crate::engine::consumer::poll_loop::to_consumed;
use crate::engine::consumer::retry_headers as h;
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::message::{validate_topic, ConsumedMessage, OutgoingMessage};

/// Header a replayed message carries: `{topic}/{partition}/{offset}` of its dead letter.
pub const REPLAYED_FROM: &str = "x-replayed-from";

/// What to replay, and where to.
#[derive(Debug, Clone, Default)]
pub struct ReplayOptions {
    /// The dead-letter topic to read.
    pub topic: String,
    /// Only dead letters stored at or after this time (ms since the epoch). Default: all.
    pub from_ms: Option<i64>,
    /// Only dead letters stored before this time. Default: up to the end.
    pub until_ms: Option<i64>,
    /// Send every replayed message here instead of its `x-original-topic`.
    pub to_topic: Option<String>,
    /// Only dead letters whose original topic is one of these.
    pub original_topics: Option<Vec<String>>,
    /// Only dead letters with this `x-error-code`.
    pub error_code: Option<String>,
    /// Only dead letters whose `x-error` contains this text.
    pub error_contains: Option<String>,
    /// Only dead letters with this key.
    pub key: Option<Vec<u8>>,
    /// Bound on reading the topic. Default 60 s.
    pub timeout: Option<Duration>,
}

/// What a replay did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplayReport {
    /// Dead letters read in the range.
    pub read: u64,
    /// Republished and acknowledged.
    pub replayed: u64,
    /// Not matching the filter, or with no original topic to go back to.
    pub skipped: u64,
    /// Republishing failed (the dead letter stays where it is; a later replay can retry it).
    pub failed: u64,
}

impl ReplayOptions {
    /// Rejects bad topic names and an empty range.
    pub fn validate(&self) -> EngineResult<()> {
        validate_topic(&self.topic)?;
        if let Some(t) = &self.to_topic {
            validate_topic(t)?;
        }
        if let (Some(from), Some(until)) = (self.from_ms, self.until_ms) {
            if until < from {
                return Err(EngineError::InvalidArg(
                    "replay: `to` is before `from`".into(),
                ));
            }
        }
        Ok(())
    }

    /// Where a dead letter goes, or None when it is skipped.
    pub fn destination(&self, m: &ConsumedMessage) -> Option<String> {
        let ts = m.timestamp.unwrap_or(0);
        if self.from_ms.is_some_and(|f| ts < f) || self.until_ms.is_some_and(|u| ts >= u) {
            return None;
        }
        let original = h::text(m, h::ORIGINAL_TOPIC);
        if let Some(list) = &self.original_topics {
            if !original.is_some_and(|o| list.iter().any(|t| t == o)) {
                return None;
            }
        }
        if let Some(code) = &self.error_code {
            if h::text(m, h::ERROR_CODE) != Some(code.as_str()) {
                return None;
            }
        }
        if let Some(text) = &self.error_contains {
            if !h::text(m, h::ERROR).is_some_and(|e| e.contains(text.as_str())) {
                return None;
            }
        }
        if self.key.is_some() && m.key != self.key {
            return None;
        }
        self.to_topic
            .clone()
            .or_else(|| original.map(str::to_string))
            .filter(|t| validate_topic(t).is_ok())
    }
}

/// The message to republish for a dead letter read at `partition`/`offset` of `topic`: key, value,
/// timestamp and the user's own headers, without the ladder's, plus `x-replayed-from`.
pub fn replayed(topic: &str, partition: i32, m: &ConsumedMessage) -> OutgoingMessage<Vec<u8>> {
    let mut headers: Vec<(String, Option<Vec<u8>>)> = m
        .headers
        .iter()
        .filter(|(k, _)| !h::ALL.contains(&k.as_str()) && k != REPLAYED_FROM)
        .cloned()
        .collect();
    headers.push((
        REPLAYED_FROM.into(),
        Some(format!("{topic}/{partition}/{}", m.offset).into_bytes()),
    ));
    OutgoingMessage {
        key: m.key.clone(),
        value: m.value.clone(),
        headers,
        partition: None,
        timestamp: None,
    }
}

/// Reads the dead letters of `options` (a blocking call: run it on a blocking thread) with a
/// group-less consumer, from `from_ms` (or the start) to each partition's end as it is now.
/// Returns them with their partitions, in offset order per partition.
pub fn read_dead_letters(
    config: &ServiceConfig,
    options: &ReplayOptions,
) -> EngineResult<Vec<(i32, ConsumedMessage)>> {
    let timeout = options.timeout.unwrap_or(Duration::from_secs(60));
    let deadline = Instant::now() + timeout;
    let mut client = config.consumer_config("kafka-native-replay", true);
    client.set("enable.auto.commit", "false");
    let consumer: BaseConsumer = client.create()?;
    let metadata = consumer.fetch_metadata(Some(&options.topic), Duration::from_secs(10))?;
    let partitions: Vec<i32> = metadata
        .topics()
        .iter()
        .filter(|t| t.name() == options.topic && t.error().is_none())
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    if partitions.is_empty() {
        return Err(EngineError::from_code(
            rdkafka::types::RDKafkaErrorCode::UnknownTopicOrPartition,
        )
        .about(&options.topic, None));
    }
    let mut starts: HashMap<i32, i64> = HashMap::new();
    let mut ends: HashMap<i32, i64> = HashMap::new();
    for p in &partitions {
        let (low, high) = consumer.fetch_watermarks(&options.topic, *p, Duration::from_secs(10))?;
        starts.insert(*p, low);
        ends.insert(*p, high);
    }
    if let Some(from) = options.from_ms {
        let mut query = TopicPartitionList::new();
        for p in &partitions {
            query.add_partition_offset(&options.topic, *p, Offset::Offset(from))?;
        }
        for e in consumer
            .offsets_for_times(query, Duration::from_secs(10))?
            .elements()
        {
            let start = match e.offset() {
                Offset::Offset(o) => o,
                _ => ends[&e.partition()],
            };
            starts.insert(e.partition(), start);
        }
    }
    let mut assignment = TopicPartitionList::new();
    for p in &partitions {
        if starts[p] < ends[p] {
            assignment.add_partition_offset(&options.topic, *p, Offset::Offset(starts[p]))?;
        }
    }
    let mut out = Vec::new();
    if assignment.count() == 0 {
        return Ok(out);
    }
    consumer.assign(&assignment)?;
    let mut remaining: HashMap<i32, i64> = partitions
        .iter()
        .filter(|p| starts[p] < ends[p])
        .map(|p| (*p, ends[p]))
        .collect();
    while !remaining.is_empty() {
        if Instant::now() >= deadline {
            return Err(EngineError::TimedOut(format!(
                "reading {} for a replay took longer than {timeout:?}",
                options.topic
            )));
        }
        let Some(result) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let m = result?;
        let Some(end) = remaining.get(&m.partition()).copied() else {
            continue;
        };
        if m.offset() >= end {
            remaining.remove(&m.partition());
            continue;
        }
        out.push((m.partition(), to_consumed(&m)));
        if m.offset() + 1 >= end {
            remaining.remove(&m.partition());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dead(original: &str, code: &str, ts: i64) -> ConsumedMessage {
        ConsumedMessage {
            key: Some(b"k".to_vec()),
            value: Some(b"v".to_vec()),
            headers: vec![
                (h::ORIGINAL_TOPIC.into(), Some(original.as_bytes().to_vec())),
                (h::ERROR_CODE.into(), Some(code.as_bytes().to_vec())),
                (h::ERROR.into(), Some(b"Error: db down".to_vec())),
                (h::ATTEMPTS.into(), Some(b"6".to_vec())),
                ("trace".into(), Some(b"t".to_vec())),
            ],
            offset: 9,
            timestamp: Some(ts),
        }
    }

    #[test]
    fn the_filter_and_the_range_choose_what_goes_back() {
        let all = ReplayOptions {
            topic: "dlq".into(),
            ..Default::default()
        };
        assert_eq!(
            all.destination(&dead("orders", "E", 5)).as_deref(),
            Some("orders")
        );
        let mut no_origin = dead("orders", "E", 5);
        no_origin.headers.remove(0);
        assert_eq!(all.destination(&no_origin), None);

        let picky = ReplayOptions {
            topic: "dlq".into(),
            from_ms: Some(5),
            until_ms: Some(10),
            original_topics: Some(vec!["orders".into()]),
            error_code: Some("E".into()),
            error_contains: Some("db".into()),
            key: Some(b"k".to_vec()),
            to_topic: Some("orders.replay".into()),
            ..Default::default()
        };
        assert_eq!(
            picky.destination(&dead("orders", "E", 5)).as_deref(),
            Some("orders.replay")
        );
        for m in [
            dead("orders", "E", 4),
            dead("orders", "E", 10),
            dead("payments", "E", 6),
            dead("orders", "F", 6),
        ] {
            assert_eq!(picky.destination(&m), None, "{m:?}");
        }
    }

    #[test]
    fn a_replayed_message_loses_the_ladder_headers() {
        let out = replayed("dlq", 2, &dead("orders", "E", 5));
        let names: Vec<&str> = out.headers.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["trace", REPLAYED_FROM]);
        assert_eq!(out.headers[1].1.as_deref(), Some(&b"dlq/2/9"[..]));
        assert_eq!(out.key.as_deref(), Some(&b"k"[..]));
    }

    #[test]
    fn a_backwards_range_is_a_typed_error() {
        let o = ReplayOptions {
            topic: "dlq".into(),
            from_ms: Some(10),
            until_ms: Some(5),
            ..Default::default()
        };
        assert_eq!(o.validate().unwrap_err().code(), "ERR_INVALID_ARG");
    }
}
