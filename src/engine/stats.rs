//! Counters the engine keeps and the snapshot `stats()` returns (librdkafka's statistics are
//! parsed in `metrics::librdkafka`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::engine::latency::{BucketRun, LatencyRecorder, LatencySummary};
use crate::engine::metrics::topic_tally::TopicTally;
use crate::engine::metrics::topics::{ConsumerFigures, ProducerFigures};

/// Per-topic producer counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TopicCounters {
    pub sent: u64,
    pub acknowledged: u64,
    pub failed: u64,
    pub bytes: u64,
}

/// What the producer has done since the service was created.
#[derive(Default)]
pub struct ProducerStats {
    sent: AtomicU64,
    acknowledged: AtomicU64,
    failed: AtomicU64,
    bytes: AtomicU64,
    in_flight: AtomicI64,
    pub(crate) ack_latency: LatencyRecorder,
    /// Per-topic counters and figures (`stats().producer.perTopic`, `stats().topics`,
    /// `metrics()`) and per-event-type figures.
    pub(crate) figures: ProducerFigures,
}

impl ProducerStats {
    /// `messages` messages of `bytes` in all handed to librdkafka for the topic of `tally`.
    pub(crate) fn on_sent(&self, tally: &TopicTally, messages: usize, bytes: usize) {
        self.sent.fetch_add(messages as u64, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        self.in_flight.fetch_add(messages as i64, Ordering::Relaxed);
        tally.on_sent(messages, bytes);
    }

    /// Takes back `on_sent` for a message librdkafka refused (a full queue, an unknown
    /// partition): it was never in flight.
    pub(crate) fn on_not_sent(&self, tally: &TopicTally, bytes: usize) {
        self.sent.fetch_sub(1, Ordering::Relaxed);
        self.bytes.fetch_sub(bytes as u64, Ordering::Relaxed);
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        tally.on_not_sent(bytes);
    }

    /// Acknowledgements of messages to the topic of `tally` with `event_type`: their latencies
    /// into the producer's histogram and into the topic's and the event type's figures.
    pub(crate) fn on_acknowledged(
        &self,
        tally: &TopicTally,
        event_type: Option<&Arc<str>>,
        acks: &BucketRun,
    ) {
        self.ack_latency.record_run(acks);
        self.figures.on_delivery(tally, event_type, Ok(acks));
    }

    /// A message's delivery report.
    pub(crate) fn on_settled(&self, tally: &TopicTally, acknowledged: bool) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        let counter = if acknowledged {
            &self.acknowledged
        } else {
            &self.failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
        tally.on_settled(acknowledged);
    }

    /// Messages handed to librdkafka whose outcome is not known yet.
    pub fn in_flight(&self) -> i64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// A consistent-enough copy of the counters.
    pub fn snapshot(&self) -> ProducerSnapshot {
        ProducerSnapshot {
            sent: self.sent.load(Ordering::Relaxed),
            acknowledged: self.acknowledged.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            in_flight: self.in_flight().max(0) as u64,
            bytes: self.bytes.load(Ordering::Relaxed),
            per_topic: self.figures.topic_counters(),
            ack_latency: self.ack_latency.summary(),
        }
    }
}

/// Producer figures in `stats()`.
#[derive(Debug, Clone, Default)]
pub struct ProducerSnapshot {
    pub sent: u64,
    pub acknowledged: u64,
    pub failed: u64,
    pub in_flight: u64,
    pub bytes: u64,
    pub per_topic: BTreeMap<String, TopicCounters>,
    /// From `publish` to the broker's acknowledgement.
    pub ack_latency: LatencySummary,
}

/// What the service's subscriptions have consumed.
#[derive(Default)]
pub struct ConsumerStats {
    consumed: AtomicU64,
    processed: AtomicU64,
    handler_failures: AtomicU64,
    handler_timeouts: AtomicU64,
    pub(crate) handler_latency: LatencyRecorder,
    lag: Mutex<BTreeMap<(String, i32), i64>>,
    /// Per-topic and per-event-type figures, rebalances and fetch queues.
    pub(crate) figures: ConsumerFigures,
}

impl ConsumerStats {
    pub(crate) fn on_consumed(&self, n: usize) {
        self.consumed.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub(crate) fn on_processed(&self, n: usize) {
        self.processed.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub(crate) fn on_handler_failure(&self) {
        self.handler_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// A handler call that outlived `handlerTimeoutMs` (it is counted as a failure too).
    pub(crate) fn on_handler_timeout(&self) {
        self.handler_timeouts.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn set_lag(&self, lags: impl IntoIterator<Item = ((String, i32), i64)>) {
        if let Ok(mut l) = self.lag.lock() {
            for (k, v) in lags {
                l.insert(k, v);
            }
        }
    }

    pub(crate) fn forget_partition(&self, topic: &str, partition: i32) {
        if let Ok(mut l) = self.lag.lock() {
            l.remove(&(topic.to_string(), partition));
        }
        self.figures.forget_partition(topic, partition);
    }

    /// A copy of the counters.
    pub fn snapshot(&self) -> ConsumerSnapshot {
        ConsumerSnapshot {
            consumed: self.consumed.load(Ordering::Relaxed),
            processed: self.processed.load(Ordering::Relaxed),
            handler_failures: self.handler_failures.load(Ordering::Relaxed),
            handler_timeouts: self.handler_timeouts.load(Ordering::Relaxed),
            handler_latency: self.handler_latency.summary(),
            lag: self
                .lag
                .lock()
                .map(|l| {
                    l.iter()
                        .map(|((t, p), lag)| PartitionLag {
                            topic: t.clone(),
                            partition: *p,
                            lag: *lag,
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// Lag of one assigned partition: messages behind the partition's end.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionLag {
    pub topic: String,
    pub partition: i32,
    pub lag: i64,
}

/// Consumer figures in `stats()`.
#[derive(Debug, Clone, Default)]
pub struct ConsumerSnapshot {
    /// Messages fetched and handed to handlers.
    pub consumed: u64,
    /// Messages whose handler finished.
    pub processed: u64,
    pub handler_failures: u64,
    /// Handler calls abandoned after `handlerTimeoutMs` (also counted in `handler_failures`).
    pub handler_timeouts: u64,
    /// Duration of each handler call (one call handles a batch of messages).
    pub handler_latency: LatencySummary,
    pub lag: Vec<PartitionLag>,
}

/// One broker as librdkafka's statistics describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerSnapshot {
    pub id: i32,
    pub name: String,
    /// librdkafka's state: `UP`, `DOWN`, `CONNECT`, `AUTH`, `APIVERSION_QUERY`, `INIT`, ...
    pub state: String,
    /// Average round-trip time over the last statistics window, in ms.
    pub rtt_avg_ms: f64,
    pub rtt_p99_ms: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn producer_counters_follow_sends_and_settles() {
        let s = ProducerStats::default();
        let (a, b, c) = (
            s.figures.topic("a"),
            s.figures.topic("b"),
            s.figures.topic("c"),
        );
        s.on_sent(&a, 1, 10);
        s.on_sent(&a, 1, 5);
        s.on_sent(&b, 1, 1);
        s.on_settled(&a, true);
        s.on_settled(&b, false);
        s.on_sent(&c, 1, 7);
        s.on_not_sent(&c, 7);
        let snap = s.snapshot();
        assert_eq!(
            (
                snap.sent,
                snap.acknowledged,
                snap.failed,
                snap.in_flight,
                snap.bytes
            ),
            (3, 1, 1, 1, 16)
        );
        assert_eq!(
            snap.per_topic["a"],
            TopicCounters {
                sent: 2,
                acknowledged: 1,
                failed: 0,
                bytes: 15
            }
        );
        assert!(
            !snap.per_topic.contains_key("c"),
            "a topic whose sends were all taken back"
        );
    }
}
