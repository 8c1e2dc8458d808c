//! What a subscription tells its owner as it goes, when asked to (`SubscribeOptions::reports`):
//! each commit of its offsets that the group coordinator accepted, the heartbeats it sent, and
//! each round of its poll loop, per broker the round's messages came from. A subscription asked
//! for nothing builds and sends nothing.

use std::ffi::CStr;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::bindings as rd;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::message::BorrowedMessage;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

/// One partition's committed offset: the offset of the next message the group consumes there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// A commit of this member's offsets that the group coordinator accepted: the engine's own
/// (`Subscription::commit`, a revoke's, the stop's) and librdkafka's auto-commits alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitReport {
    pub group_id: String,
    /// The member id and generation as of the member's latest rebalance or engine commit
    /// ('' and -1 before the first join).
    pub member_id: String,
    pub generation_id: i32,
    /// Only the partitions whose offset was written.
    pub offsets: Vec<CommittedOffset>,
}

/// What one round of the poll loop handed to the partition workers from one broker: `batches`
/// runs of consecutive messages of one partition. `node_id` is -1 for a round that handed
/// nothing on (reported once `EMPTY_ROUNDS_EVERY` passed without messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchReport {
    pub node_id: i32,
    pub batches: usize,
    /// From the end of the previous reported round (or the subscription's start) to this one.
    pub duration: Duration,
}

/// Heartbeat requests the member sent to its group coordinator since the previous report, as
/// librdkafka's statistics count them (requests written to the connection; whether the
/// coordinator accepted them is not known here: a refused one brings a rebalance). Reported at
/// each statistics interval that saw some.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatReport {
    pub group_id: String,
    pub member_id: String,
    pub generation_id: i32,
    pub count: u64,
}

/// Receives commit reports; called on the thread that polls the consumer (or closes it), so it
/// must not block.
pub type CommitSink = Arc<dyn Fn(CommitReport) + Send + Sync>;
/// Receives heartbeat reports; called on the thread that polls the consumer, so it must not
/// block.
pub type HeartbeatSink = Arc<dyn Fn(HeartbeatReport) + Send + Sync>;
/// Receives the reports of one poll round (one per broker); called on the poll thread, so it
/// must not block.
pub type FetchSink = Arc<dyn Fn(Vec<FetchReport>) + Send + Sync>;

/// Which reports a subscription sends, and where. Default: none.
#[derive(Clone, Default)]
pub struct Reports {
    pub commits: Option<CommitSink>,
    pub fetches: Option<FetchSink>,
    /// Needs librdkafka's statistics (`statistics.interval.ms` > 0), which count them.
    pub heartbeats: Option<HeartbeatSink>,
}

impl fmt::Debug for Reports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reports")
            .field("commits", &self.commits.is_some())
            .field("fetches", &self.fetches.is_some())
            .field("heartbeats", &self.heartbeats.is_some())
            .finish()
    }
}

/// How long a poll loop with nothing to hand on waits before it reports an empty round (as a
/// fetch that came back empty after the broker's wait; kafkajs' default `maxWaitTimeInMs`).
pub const EMPTY_ROUNDS_EVERY: Duration = Duration::from_secs(5);

/// Turns a subscription's commits and heartbeats into reports, with the member's id and
/// generation.
pub(crate) struct MemberReports {
    commits: Option<CommitSink>,
    heartbeats: Option<HeartbeatSink>,
    group_id: String,
    member: Mutex<(String, i32)>,
    /// Heartbeats the client had sent as of the last statistics.
    heartbeats_seen: AtomicU64,
}

impl MemberReports {
    pub(crate) fn new(reports: &Reports, group_id: &str) -> Self {
        MemberReports {
            commits: reports.commits.clone(),
            heartbeats: reports.heartbeats.clone(),
            group_id: group_id.to_string(),
            member: Mutex::new((String::new(), -1)),
            heartbeats_seen: AtomicU64::new(0),
        }
    }

    /// Whether anyone receives commit reports (nothing is read or built otherwise).
    pub(crate) fn wants_commits(&self) -> bool {
        self.commits.is_some()
    }

    /// Notes the member's current id and generation (after a rebalance, before a commit).
    pub(crate) fn refresh<C: ConsumerContext>(&self, consumer: &BaseConsumer<C>) {
        if self.commits.is_none() && self.heartbeats.is_none() {
            return;
        }
        if let Some(member) = member_of(consumer) {
            *self.member.lock().unwrap_or_else(|p| p.into_inner()) = member;
        }
    }

    fn member(&self) -> (String, i32) {
        self.member
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Reports the offsets a commit wrote, if any.
    pub(crate) fn committed(&self, offsets: Vec<CommittedOffset>) {
        let Some(sink) = &self.commits else { return };
        if offsets.is_empty() {
            return;
        }
        let (member_id, generation_id) = self.member();
        sink(CommitReport {
            group_id: self.group_id.clone(),
            member_id,
            generation_id,
            offsets,
        });
    }

    /// Reports the heartbeats sent since the last statistics (`sent`: all the client sent).
    pub(crate) fn heartbeats_sent(&self, sent: u64) {
        let Some(sink) = &self.heartbeats else { return };
        let before = self.heartbeats_seen.swap(sent, Ordering::AcqRel);
        let count = sent.saturating_sub(before);
        if count == 0 {
            return;
        }
        let (member_id, generation_id) = self.member();
        sink(HeartbeatReport {
            group_id: self.group_id.clone(),
            member_id,
            generation_id,
            count,
        });
    }
}

/// The partitions of a commit's answer whose offset was written (librdkafka lists every
/// assigned partition, those with nothing new to commit without an offset).
pub(crate) fn written_offsets(committed: &TopicPartitionList) -> Vec<CommittedOffset> {
    committed
        .elements()
        .iter()
        .filter(|e| e.error().is_ok())
        .filter_map(|e| match e.offset() {
            Offset::Offset(offset) => written(e.topic(), e.partition(), offset),
            _ => None,
        })
        .collect()
}

/// `written_offsets` of a list librdkafka owns (a commit event's).
///
/// # Safety
/// `list` is null or a valid list that stays alive for the call.
pub(crate) unsafe fn written_offsets_raw(
    list: *const rd::rd_kafka_topic_partition_list_t,
) -> Vec<CommittedOffset> {
    if list.is_null() || (*list).elems.is_null() {
        return Vec::new();
    }
    let count = usize::try_from((*list).cnt).unwrap_or(0);
    std::slice::from_raw_parts((*list).elems, count)
        .iter()
        .filter(|e| {
            e.err == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR && !e.topic.is_null()
        })
        .filter_map(|e| {
            written(
                &CStr::from_ptr(e.topic).to_string_lossy(),
                e.partition,
                e.offset,
            )
        })
        .collect()
}

fn written(topic: &str, partition: i32, offset: i64) -> Option<CommittedOffset> {
    (offset >= 0).then(|| CommittedOffset {
        topic: topic.to_string(),
        partition,
        offset,
    })
}

/// The member id and generation librdkafka holds for the consumer's group.
fn member_of<C: ConsumerContext>(consumer: &BaseConsumer<C>) -> Option<(String, i32)> {
    let rk = consumer.client().native_ptr();
    // SAFETY: `rk` is the live consumer borrowed for this call; the metadata is a copy owned
    // here, read before it is destroyed, and its member id string lives as long as it does.
    unsafe {
        let metadata = rd::rd_kafka_consumer_group_metadata(rk);
        if metadata.is_null() {
            return None;
        }
        let id = rd::rd_kafka_consumer_group_metadata_member_id(metadata);
        let member_id = if id.is_null() {
            String::new()
        } else {
            CStr::from_ptr(id).to_string_lossy().into_owned()
        };
        let generation = rd::rd_kafka_consumer_group_metadata_generation_id(metadata);
        rd::rd_kafka_consumer_group_metadata_destroy(metadata);
        Some((member_id, generation))
    }
}

/// Counts a poll round's runs per broker and reports each round that handed messages on.
pub(crate) struct FetchRounds {
    sink: FetchSink,
    since: Instant,
    by_node: Vec<(i32, usize)>,
}

impl FetchRounds {
    /// Rounds reported to `sink`, when there is one.
    pub(crate) fn new(sink: Option<FetchSink>) -> Option<Self> {
        sink.map(|sink| FetchRounds {
            sink,
            since: Instant::now(),
            by_node: Vec::new(),
        })
    }

    /// Counts a run handed on whose first message is `first`.
    pub(crate) fn count_run(&mut self, first: &BorrowedMessage<'_>) {
        // SAFETY: the message is alive for the borrow.
        let node = unsafe { rd::rd_kafka_message_broker_id(first.ptr()) };
        self.count_run_from(node);
    }

    /// Counts a run handed on whose first message came from broker `node`.
    pub(crate) fn count_run_from(&mut self, node: i32) {
        match self.by_node.iter_mut().find(|(n, _)| *n == node) {
            Some((_, batches)) => *batches += 1,
            None => self.by_node.push((node, 1)),
        }
    }

    /// Ends a round: reports what it handed on, per broker; a round with nothing is reported
    /// once `EMPTY_ROUNDS_EVERY` passed since the last report.
    pub(crate) fn end_round(&mut self) {
        let duration = self.since.elapsed();
        let reports: Vec<FetchReport> = if self.by_node.is_empty() {
            if duration < EMPTY_ROUNDS_EVERY {
                return;
            }
            vec![FetchReport {
                node_id: -1,
                batches: 0,
                duration,
            }]
        } else {
            self.by_node
                .drain(..)
                .map(|(node_id, batches)| FetchReport {
                    node_id,
                    batches,
                    duration,
                })
                .collect()
        };
        self.since = Instant::now();
        (self.sink)(reports);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_reports_only_the_offsets_it_wrote() {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset("a", 0, Offset::Offset(5)).unwrap();
        tpl.add_partition_offset("a", 1, Offset::Invalid).unwrap();
        tpl.add_partition_offset("b", 2, Offset::Offset(0)).unwrap();
        let seen: Arc<Mutex<Vec<CommitReport>>> = Arc::default();
        let sink_seen = seen.clone();
        let reports = Reports {
            commits: Some(Arc::new(move |r| sink_seen.lock().unwrap().push(r))),
            ..Reports::default()
        };
        let reporter = MemberReports::new(&reports, "g");
        // SAFETY: the list is alive for the call.
        assert_eq!(
            unsafe { written_offsets_raw(tpl.ptr()) },
            written_offsets(&tpl)
        );
        reporter.committed(written_offsets(&tpl));
        reporter.committed(Vec::new());
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "an empty commit is not reported");
        assert_eq!(
            seen[0],
            CommitReport {
                group_id: "g".into(),
                member_id: String::new(),
                generation_id: -1,
                offsets: vec![
                    CommittedOffset {
                        topic: "a".into(),
                        partition: 0,
                        offset: 5
                    },
                    CommittedOffset {
                        topic: "b".into(),
                        partition: 2,
                        offset: 0
                    },
                ],
            }
        );
    }

    #[test]
    fn heartbeats_are_reported_as_the_count_sent_since_the_last_statistics() {
        let seen: Arc<Mutex<Vec<u64>>> = Arc::default();
        let sink_seen = seen.clone();
        let reports = Reports {
            heartbeats: Some(Arc::new(move |r| sink_seen.lock().unwrap().push(r.count))),
            ..Reports::default()
        };
        let reporter = MemberReports::new(&reports, "g");
        for sent in [0, 1, 1, 3, 3, 4] {
            reporter.heartbeats_sent(sent);
        }
        assert_eq!(*seen.lock().unwrap(), vec![1, 2, 1]);
    }

    #[test]
    fn rounds_are_reported_per_broker_and_empty_ones_only_after_a_wait() {
        let seen: Arc<Mutex<Vec<Vec<FetchReport>>>> = Arc::default();
        let sink_seen = seen.clone();
        let mut rounds =
            FetchRounds::new(Some(Arc::new(move |r| sink_seen.lock().unwrap().push(r)))).unwrap();
        rounds.count_run_from(1);
        rounds.count_run_from(2);
        rounds.count_run_from(1);
        rounds.end_round();
        rounds.end_round();
        let seen_now = seen.lock().unwrap().clone();
        assert_eq!(
            seen_now.len(),
            1,
            "an empty round right after is not reported"
        );
        let per_node: Vec<(i32, usize)> =
            seen_now[0].iter().map(|r| (r.node_id, r.batches)).collect();
        assert_eq!(per_node, vec![(1, 2), (2, 1)]);
        rounds.since = Instant::now().checked_sub(EMPTY_ROUNDS_EVERY).unwrap();
        rounds.end_round();
        let last = seen.lock().unwrap().last().cloned().unwrap();
        assert_eq!(last.len(), 1);
        assert_eq!((last[0].node_id, last[0].batches), (-1, 0));
        assert!(last[0].duration >= EMPTY_ROUNDS_EVERY);
        assert!(FetchRounds::new(None).is_none());
    }
}
