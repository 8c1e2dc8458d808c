//! One topic's publishing counters and figures, shared by the messages in flight to it: the
//! producer finds a topic's tally once per run of messages to that topic, and each delivery report
//! counts into it directly, with no lookup by name per message.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::engine::latency::BucketRun;
use crate::engine::metrics::topics::{PublishFigures, PublishSnapshot};
use crate::engine::stats::TopicCounters;

/// The counters (`stats().producer.perTopic`) and figures (`stats().topics`, `metrics()`) of
/// publishing to one topic.
pub struct TopicTally {
    name: Arc<str>,
    sent: AtomicU64,
    acknowledged: AtomicU64,
    failed: AtomicU64,
    bytes: AtomicU64,
    figures: Mutex<PublishFigures>,
}

impl TopicTally {
    /// An empty tally of `name`.
    pub fn new(name: &str) -> Self {
        TopicTally {
            name: Arc::from(name),
            sent: AtomicU64::new(0),
            acknowledged: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            figures: Mutex::new(PublishFigures::default()),
        }
    }

    /// The topic's name, shared with the delivery reports of its messages.
    pub fn name(&self) -> &Arc<str> {
        &self.name
    }

    /// `messages` messages of `bytes` in all handed to librdkafka.
    pub(crate) fn on_sent(&self, messages: usize, bytes: usize) {
        self.sent.fetch_add(messages as u64, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Takes back `on_sent` for a message librdkafka refused.
    pub(crate) fn on_not_sent(&self, bytes: usize) {
        let _ = self
            .sent
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(n.saturating_sub(1))
            });
        let _ = self
            .bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(n.saturating_sub(bytes as u64))
            });
    }

    /// A message's delivery report: acknowledged or failed.
    pub(crate) fn on_settled(&self, acknowledged: bool) {
        let counter = if acknowledged {
            &self.acknowledged
        } else {
            &self.failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Records outcomes in the figures: acknowledgements with their times since `publish`, or
    /// one message's error code.
    pub(crate) fn record(&self, outcome: Result<&BucketRun, &str>) {
        if let Ok(mut f) = self.figures.lock() {
            f.record(outcome);
        }
    }

    /// The counters as of now; `None` while all are zero (every message refused before sending).
    pub(crate) fn counters(&self) -> Option<TopicCounters> {
        let counters = TopicCounters {
            sent: self.sent.load(Ordering::Relaxed),
            acknowledged: self.acknowledged.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
        };
        (counters != TopicCounters::default()).then_some(counters)
    }

    /// The figures as of now; `None` until an outcome was recorded.
    pub(crate) fn figures(&self) -> Option<PublishSnapshot> {
        let f = self.figures.lock().ok()?;
        (!f.is_empty()).then(|| f.snapshot())
    }
}
