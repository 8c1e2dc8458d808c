//! A batch's acknowledgements recorded in runs. A batch's delivery reports arrive together,
//! microseconds apart, for the same topic and event type: consecutive ones whose latencies fall
//! in one histogram bucket are recorded as one run, one update of each histogram (and one lock of
//! each figure) per run instead of per message. The histograms then hold exactly what recording
//! each acknowledgement would have given (`latency::bucket_of`), and the latency sums stay exact.
//! The run still open is recorded before the batch completes (`BatchCollector::complete`), so a
//! settled publish is always in `stats()`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::engine::latency::BucketRun;
use crate::engine::metrics::topic_tally::TopicTally;
use crate::engine::stats::ProducerStats;

/// The acknowledgements of one batch not recorded yet: the open run.
pub(crate) struct AckRuns {
    stats: Arc<ProducerStats>,
    open: Mutex<Option<OpenRun>>,
}

/// Acknowledgements of messages to one topic with one event type, in one latency bucket.
struct OpenRun {
    topic: Arc<TopicTally>,
    event_type: Option<Arc<str>>,
    acks: BucketRun,
}

impl AckRuns {
    /// No acknowledgement yet; runs are recorded into `stats`.
    pub(crate) fn new(stats: Arc<ProducerStats>) -> Self {
        AckRuns {
            stats,
            open: Mutex::new(None),
        }
    }

    /// The acknowledgement of a message to `topic` with `event_type`, `latency` after its
    /// publish: added to the open run, or recorded with it when it starts another.
    pub(crate) fn add(
        &self,
        topic: &Arc<TopicTally>,
        event_type: Option<&Arc<str>>,
        latency: Duration,
    ) {
        let acks = BucketRun::one(latency);
        let Ok(mut open) = self.open.lock() else {
            self.stats.on_acknowledged(topic, event_type, &acks);
            return;
        };
        if let Some(run) = open.as_mut() {
            if Arc::ptr_eq(&run.topic, topic)
                && run.event_type.as_ref() == event_type
                && run.acks.extend(acks.micros)
            {
                return;
            }
        }
        let closed = open.replace(OpenRun {
            topic: topic.clone(),
            event_type: event_type.cloned(),
            acks,
        });
        drop(open);
        if let Some(run) = closed {
            self.record(run);
        }
    }

    /// Records the open run, if any.
    pub(crate) fn flush(&self) {
        let open = self.open.lock().ok().and_then(|mut open| open.take());
        if let Some(run) = open {
            self.record(run);
        }
    }

    fn record(&self, run: OpenRun) {
        self.stats
            .on_acknowledged(&run.topic, run.event_type.as_ref(), &run.acks);
    }
}

impl Drop for AckRuns {
    /// A batch dropped before it completed (its producer gone) still counts what was acknowledged.
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(stats: &ProducerStats, topic: &str) -> (u64, u64, f64) {
        let s = stats.figures.snapshot();
        let t = &s.topics[topic];
        (
            t.acknowledged,
            t.ack_latency.summary.count,
            t.ack_latency.sum_seconds,
        )
    }

    #[test]
    fn runs_record_what_each_acknowledgement_would() {
        let by_runs = Arc::new(ProducerStats::default());
        let each = ProducerStats::default();
        let runs = AckRuns::new(by_runs.clone());
        let (a, b) = (by_runs.figures.topic("a"), by_runs.figures.topic("b"));
        let (a1, b1) = (each.figures.topic("a"), each.figures.topic("b"));
        let kind: Arc<str> = Arc::from("job.done");
        let latencies = [
            (&a, &a1, None, 5_000),
            (&a, &a1, None, 5_001),
            (&a, &a1, None, 5_003),
            (&a, &a1, Some(kind.clone()), 5_003),
            (&b, &b1, Some(kind.clone()), 5_004),
            (&b, &b1, Some(kind.clone()), 9_000),
            (&b, &b1, Some(kind.clone()), 9_001),
            (&a, &a1, None, 120),
        ];
        for (topic, topic1, event_type, micros) in latencies {
            let latency = Duration::from_micros(micros);
            runs.add(topic, event_type.as_ref(), latency);
            each.on_acknowledged(topic1, event_type.as_ref(), &BucketRun::one(latency));
        }
        assert_eq!(
            recorded(&by_runs, "a").0,
            4,
            "the open run is not recorded yet"
        );
        runs.flush();
        runs.flush();
        for topic in ["a", "b"] {
            assert_eq!(recorded(&by_runs, topic), recorded(&each, topic), "{topic}");
        }
        let (r, e) = (by_runs.figures.snapshot(), each.figures.snapshot());
        assert_eq!(r.topics["a"].ack_latency, e.topics["a"].ack_latency);
        assert_eq!(r.event_types["job.done"], e.event_types["job.done"]);
        assert_eq!(by_runs.ack_latency.summary(), each.ack_latency.summary());
        assert_eq!(by_runs.ack_latency.summary().count, 8);
    }
}
