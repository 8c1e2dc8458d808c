//! Figures per topic and per event type: what `stats()` reports as `topics` / `eventTypes` and
//! what `metrics()` exposes as labelled families.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::engine::latency::BucketRun;
use crate::engine::message::ConsumedMessage;
use crate::engine::metrics::distribution::{Distribution, DistributionSnapshot};
use crate::engine::metrics::event_type::EventTypes;
use crate::engine::metrics::topic_tally::TopicTally;
use crate::engine::stats::TopicCounters;

/// A copy of a map of figures, each turned into its snapshot.
fn snapshot_map<K: AsRef<str> + Ord, V, S>(
    map: &Mutex<BTreeMap<K, V>>,
    snapshot: impl Fn(&V) -> S,
) -> BTreeMap<String, S> {
    map.lock()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.as_ref().to_string(), snapshot(v)))
                .collect()
        })
        .unwrap_or_default()
}

/// Publishing figures of one topic or event type.
#[derive(Default)]
pub(crate) struct PublishFigures {
    acknowledged: u64,
    errors: BTreeMap<String, u64>,
    ack: Distribution,
}

/// Publishing figures of one topic or event type, at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PublishSnapshot {
    pub acknowledged: u64,
    /// Failed publishes by error code.
    pub errors: BTreeMap<String, u64>,
    /// From `publish` to the broker's acknowledgement.
    pub ack_latency: DistributionSnapshot,
}

impl PublishFigures {
    /// Whether no outcome was recorded yet.
    pub(crate) fn is_empty(&self) -> bool {
        self.acknowledged == 0 && self.errors.is_empty()
    }

    pub(crate) fn snapshot(&self) -> PublishSnapshot {
        PublishSnapshot {
            acknowledged: self.acknowledged,
            errors: self.errors.clone(),
            ack_latency: self.ack.snapshot(),
        }
    }

    /// Records acknowledgements (`Ok`: their latencies since `publish`) or a failure's code.
    pub(crate) fn record(&mut self, outcome: Result<&BucketRun, &str>) {
        match outcome {
            Ok(acks) => {
                self.acknowledged += acks.count;
                self.ack.record_run(acks);
            }
            Err(code) => match self.errors.get_mut(code) {
                Some(n) => *n += 1,
                None => {
                    self.errors.insert(code.to_string(), 1);
                }
            },
        }
    }
}

/// The producer's figures per topic (with its counters: see `TopicTally`) and per event type.
#[derive(Default)]
pub struct ProducerFigures {
    pub event_types: EventTypes,
    per_topic: Mutex<BTreeMap<Arc<str>, Arc<TopicTally>>>,
    per_type: Mutex<BTreeMap<Arc<str>, PublishFigures>>,
}

/// The producer's figures at one moment.
#[derive(Debug, Clone, Default)]
pub struct ProducerFiguresSnapshot {
    pub topics: BTreeMap<String, PublishSnapshot>,
    pub event_types: BTreeMap<String, PublishSnapshot>,
}

impl ProducerFigures {
    /// The tally of `topic`, made on its first message.
    pub fn topic(&self, topic: &str) -> Arc<TopicTally> {
        let Ok(mut topics) = self.per_topic.lock() else {
            return Arc::new(TopicTally::new(topic));
        };
        match topics.get(topic) {
            Some(t) => t.clone(),
            None => {
                let t = Arc::new(TopicTally::new(topic));
                topics.insert(t.name().clone(), t.clone());
                t
            }
        }
    }

    /// Records outcomes for their topic and their event type: acknowledgements with their times
    /// since `publish` (`Ok`, one or a run of them), or one message's error code.
    pub fn on_delivery(
        &self,
        topic: &TopicTally,
        event_type: Option<&Arc<str>>,
        outcome: Result<&BucketRun, &str>,
    ) {
        topic.record(outcome);
        if let Some(t) = event_type {
            if let Ok(mut types) = self.per_type.lock() {
                types.entry(t.clone()).or_default().record(outcome);
            }
        }
    }

    /// The counters of each topic a message was sent to.
    pub fn topic_counters(&self) -> BTreeMap<String, TopicCounters> {
        self.each_topic(TopicTally::counters)
    }

    fn each_topic<S>(&self, read: impl Fn(&TopicTally) -> Option<S>) -> BTreeMap<String, S> {
        let tallies: Vec<Arc<TopicTally>> = self
            .per_topic
            .lock()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        tallies
            .iter()
            .filter_map(|t| Some((t.name().to_string(), read(t)?)))
            .collect()
    }

    /// A copy of the figures.
    pub fn snapshot(&self) -> ProducerFiguresSnapshot {
        ProducerFiguresSnapshot {
            topics: self.each_topic(TopicTally::figures),
            event_types: snapshot_map(&self.per_type, PublishFigures::snapshot),
        }
    }
}

/// Consuming figures of one topic or event type.
#[derive(Default)]
struct ProcessFigures {
    processed: u64,
    failures: u64,
    handler: Distribution,
    end_to_end: Distribution,
}

/// Consuming figures of one topic or event type, at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessSnapshot {
    /// Messages whose handler finished.
    pub processed: u64,
    /// Handler calls that failed (for an event type: failures at a message of that type).
    pub handler_failures: u64,
    /// Duration of each handler call (per topic only: a call may span event types).
    pub handler_latency: DistributionSnapshot,
    /// From the message's timestamp to the end of its handler call.
    pub end_to_end_latency: DistributionSnapshot,
}

impl ProcessFigures {
    fn snapshot(&self) -> ProcessSnapshot {
        ProcessSnapshot {
            processed: self.processed,
            handler_failures: self.failures,
            handler_latency: self.handler.snapshot(),
            end_to_end_latency: self.end_to_end.snapshot(),
        }
    }
}

/// Rebalance callbacks, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RebalanceKind {
    Assign,
    Revoke,
    Error,
}

impl RebalanceKind {
    /// The `kind` label of `kafka_native_rebalances_total`.
    pub fn as_str(self) -> &'static str {
        match self {
            RebalanceKind::Assign => "assign",
            RebalanceKind::Revoke => "revoke",
            RebalanceKind::Error => "error",
        }
    }
}

/// The subscriptions' figures per topic and per event type, and their rebalances.
#[derive(Default)]
pub struct ConsumerFigures {
    pub event_types: EventTypes,
    per_topic: Mutex<BTreeMap<String, ProcessFigures>>,
    per_type: Mutex<BTreeMap<Arc<str>, ProcessFigures>>,
    rebalances: [AtomicU64; 3],
    fetch_queues: Mutex<BTreeMap<(String, i32), i64>>,
}

/// The subscriptions' figures at one moment.
#[derive(Debug, Clone, Default)]
pub struct ConsumerFiguresSnapshot {
    pub topics: BTreeMap<String, ProcessSnapshot>,
    pub event_types: BTreeMap<String, ProcessSnapshot>,
    /// Rebalance callbacks by kind (`assign`, `revoke`, `error`).
    pub rebalances: Vec<(&'static str, u64)>,
    /// Messages librdkafka has fetched and not yet handed over, per assigned partition.
    pub fetch_queues: Vec<((String, i32), i64)>,
}

fn millis_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl ConsumerFigures {
    /// Records one handler call over `messages` of `topic` that took `took`: the first
    /// `processed` messages were done with; `failed` when the call reported an error.
    pub fn on_handled(
        &self,
        topic: &str,
        messages: &[ConsumedMessage],
        processed: usize,
        took: Duration,
        failed: bool,
    ) {
        let now = millis_now();
        let age = |m: &ConsumedMessage| {
            m.timestamp
                .filter(|t| *t > 0 && *t <= now)
                .map(|t| Duration::from_millis((now - t) as u64))
        };
        let done = &messages[..processed.min(messages.len())];
        if let Ok(mut topics) = self.per_topic.lock() {
            let f = match topics.get_mut(topic) {
                Some(f) => f,
                None => topics.entry(topic.to_string()).or_default(),
            };
            f.handler.record(took);
            f.processed += done.len() as u64;
            f.failures += failed as u64;
            for d in done.iter().filter_map(age) {
                f.end_to_end.record(d);
            }
        }
        if !self.event_types.enabled() {
            return;
        }
        let failed_at = failed.then(|| messages.get(processed)).flatten();
        if let Ok(mut types) = self.per_type.lock() {
            for m in done {
                if let Some(t) = self.event_types.of(&m.headers) {
                    let f = types.entry(t).or_default();
                    f.processed += 1;
                    if let Some(d) = age(m) {
                        f.end_to_end.record(d);
                    }
                }
            }
            if let Some(t) = failed_at.and_then(|m| self.event_types.of(&m.headers)) {
                types.entry(t).or_default().failures += 1;
            }
        }
    }

    /// Counts a rebalance callback.
    pub fn on_rebalance(&self, kind: RebalanceKind) {
        self.rebalances[kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Replaces the fetch queue depths of these partitions (from a consumer's statistics).
    pub fn set_fetch_queues(&self, queues: impl IntoIterator<Item = ((String, i32), i64)>) {
        if let Ok(mut q) = self.fetch_queues.lock() {
            for (k, v) in queues {
                q.insert(k, v);
            }
        }
    }

    /// Forgets a partition no longer assigned.
    pub fn forget_partition(&self, topic: &str, partition: i32) {
        if let Ok(mut q) = self.fetch_queues.lock() {
            q.remove(&(topic.to_string(), partition));
        }
    }

    /// A copy of the figures.
    pub fn snapshot(&self) -> ConsumerFiguresSnapshot {
        ConsumerFiguresSnapshot {
            topics: snapshot_map(&self.per_topic, ProcessFigures::snapshot),
            event_types: snapshot_map(&self.per_type, ProcessFigures::snapshot),
            rebalances: [
                RebalanceKind::Assign,
                RebalanceKind::Revoke,
                RebalanceKind::Error,
            ]
            .iter()
            .map(|k| {
                (
                    k.as_str(),
                    self.rebalances[*k as usize].load(Ordering::Relaxed),
                )
            })
            .collect(),
            fetch_queues: self
                .fetch_queues
                .lock()
                .map(|q| q.iter().map(|(k, v)| (k.clone(), *v)).collect())
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(offset: i64, event_type: &str, age_ms: i64) -> ConsumedMessage {
        ConsumedMessage {
            key: None,
            value: Some(b"v".to_vec()),
            headers: vec![("type".into(), Some(event_type.as_bytes().to_vec()))],
            offset,
            timestamp: Some(millis_now() - age_ms),
        }
    }

    #[test]
    fn producer_figures_split_by_topic_type_and_code() {
        let f = ProducerFigures::default();
        f.event_types.set_header("type");
        let t: Arc<str> = Arc::from("job.submitted");
        let a = f.topic("a");
        assert!(Arc::ptr_eq(&a, &f.topic("a")), "one tally per topic");
        let _unsent = f.topic("never-sent");
        let ack = |ms| BucketRun::one(Duration::from_millis(ms));
        f.on_delivery(&a, Some(&t), Ok(&ack(2)));
        f.on_delivery(&a, None, Ok(&ack(4)));
        f.on_delivery(&a, Some(&t), Err("ERR__MSG_TIMED_OUT"));
        let s = f.snapshot();
        assert_eq!(s.topics["a"].acknowledged, 2);
        assert_eq!(s.topics["a"].errors["ERR__MSG_TIMED_OUT"], 1);
        assert_eq!(s.topics["a"].ack_latency.summary.count, 2);
        assert!(!s.topics.contains_key("never-sent"));
        assert_eq!(s.event_types["job.submitted"].acknowledged, 1);
        assert_eq!(s.event_types["job.submitted"].errors.len(), 1);
    }

    #[test]
    fn consumer_figures_count_processed_messages_and_their_age() {
        let f = ConsumerFigures::default();
        f.event_types.set_header("type");
        let batch = vec![
            message(0, "x", 50),
            message(1, "y", 60),
            message(2, "y", 70),
        ];
        f.on_handled("t", &batch, 2, Duration::from_millis(3), true);
        f.on_rebalance(RebalanceKind::Assign);
        let s = f.snapshot();
        let t = &s.topics["t"];
        assert_eq!((t.processed, t.handler_failures), (2, 1));
        assert_eq!(t.handler_latency.summary.count, 1);
        assert_eq!(t.end_to_end_latency.summary.count, 2);
        assert!(t.end_to_end_latency.summary.min >= 49.0, "{t:?}");
        assert_eq!(s.event_types["x"].processed, 1);
        assert_eq!(s.event_types["y"].processed, 1);
        assert_eq!(s.event_types["y"].handler_failures, 1);
        assert_eq!(s.rebalances[0], ("assign", 1));
    }
}
