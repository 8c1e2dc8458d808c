//! Where each partition of a new assignment starts, resolved in one step while the rebalance
//! callback still holds the assignment: one committed-offsets lookup (OffsetFetch) for the
//! partitions whose start depends on it, then one ListOffsets for every partition that starts at
//! a time or at the end, before the assignment is handed over.
//!
//! librdkafka resolves `auto.offset.reset=latest` for a partition the group never committed only
//! after the assignment, with a request of its own; a message produced between the assignment and
//! that answer is skipped. A caller that publishes right after `subscribe()` (or the facade's
//! `run()`) saw its assignment would lose that message. Resolving the end offsets here closes the
//! gap for every entry point. Both lookups are blocking round trips on the poll thread, so the
//! step asks each question once for the whole assignment.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use crate::engine::consumer::retry_ladder::RetryLadder;
use crate::engine::consumer::shared::TopicPartition;
use crate::engine::logging::{LogLevel, Logger};

/// Bound on each of the two lookups; a slow cluster leaves librdkafka's own resolution in place.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether a consumer configured with this `auto.offset.reset` value starts fresh partitions at
/// their end (librdkafka's spellings of "latest").
pub(crate) fn resets_to_latest(auto_offset_reset: Option<&str>) -> bool {
    matches!(auto_offset_reset, Some("latest" | "largest" | "end"))
}

/// Where one partition of an assignment starts.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Start {
    /// Wherever librdkafka puts it: the committed offset, else `auto.offset.reset`.
    Leave,
    /// The first message (a retry topic the group never committed).
    Beginning,
    /// The first message at or after this time (ms since the epoch), else the end.
    Timestamp(i64),
    /// The end of the partition as it is now.
    End,
}

/// What is known of one assigned partition when its start is decided.
struct Partition {
    /// One of the subscription's retry topics.
    retry_topic: bool,
    /// Already moved to `from_timestamp` by an earlier assignment of this subscription.
    replayed: bool,
    /// The assignment gives it no start offset of its own.
    unset: bool,
    /// Whether the group committed an offset for it; None when unknown (not asked, or the
    /// lookup failed).
    committed: Option<bool>,
}

/// The start-position rules of one subscription, and what it already replayed.
pub(crate) struct StartPositions {
    /// `fromTimestamp`: each partition's first assignment starts there, whatever was committed.
    from_timestamp: Option<i64>,
    /// Partitions the group never committed start at their end (`auto.offset.reset` latest).
    latest: bool,
    /// Partitions already moved to `from_timestamp`; a later assignment resumes from commits.
    replayed: Mutex<HashSet<TopicPartition>>,
}

impl StartPositions {
    /// `auto_offset_reset`: the consumer's setting; "latest" is resolved here unless
    /// `from_timestamp` places every partition anyway.
    pub(crate) fn new(from_timestamp: Option<i64>, auto_offset_reset: Option<&str>) -> Self {
        StartPositions {
            from_timestamp,
            latest: from_timestamp.is_none() && resets_to_latest(auto_offset_reset),
            replayed: Mutex::new(HashSet::new()),
        }
    }

    /// Decides one partition: a retry topic the group never committed starts at its beginning
    /// (a message republished there before this member was assigned it must not be skipped,
    /// whatever `fromBeginning` or `fromTimestamp` say); a partition not yet replayed starts at
    /// `from_timestamp`; a fresh partition under "latest" starts at its end; the rest is left to
    /// librdkafka.
    fn decide(&self, p: &Partition) -> Start {
        if p.retry_topic && p.committed == Some(false) {
            return Start::Beginning;
        }
        if let Some(ts) = self.from_timestamp.filter(|_| !p.replayed) {
            return Start::Timestamp(ts);
        }
        if self.latest && p.unset && p.committed == Some(false) {
            return Start::End;
        }
        Start::Leave
    }

    /// Whether a partition's start depends on the group's committed offset.
    fn needs_commit(&self, p: &Partition) -> bool {
        p.retry_topic || (self.latest && p.unset)
    }

    /// Sets the start offset of every partition of `tpl` whose start is ours to decide (see
    /// `decide`). A failed lookup leaves the partitions that depended on it to librdkafka and is
    /// logged.
    pub(crate) fn resolve<C: ConsumerContext>(
        &self,
        consumer: &BaseConsumer<C>,
        retry: Option<&RetryLadder>,
        logger: &Logger,
        tpl: &mut TopicPartitionList,
    ) {
        let mut replayed = self.replayed.lock().unwrap_or_else(|p| p.into_inner());
        let mut partitions: Vec<(TopicPartition, Partition)> = tpl
            .elements()
            .iter()
            .map(|e| {
                let tp = (e.topic().to_string(), e.partition());
                let p = Partition {
                    retry_topic: retry.is_some_and(|l| l.step_of(e.topic()).is_some()),
                    replayed: replayed.contains(&tp),
                    unset: e.offset() == Offset::Invalid,
                    committed: None,
                };
                (tp, p)
            })
            .collect();

        let mut ask = TopicPartitionList::new();
        for ((t, n), p) in &partitions {
            if self.needs_commit(p) {
                ask.add_partition(t, *n);
            }
        }
        if ask.count() > 0 {
            match consumer.committed_offsets(ask, LOOKUP_TIMEOUT) {
                Ok(found) => {
                    let committed: HashMap<TopicPartition, bool> = found
                        .elements()
                        .iter()
                        .map(|e| {
                            let has = matches!(e.offset(), Offset::Offset(o) if o >= 0);
                            ((e.topic().to_string(), e.partition()), has)
                        })
                        .collect();
                    for (tp, p) in &mut partitions {
                        p.committed = committed.get(tp).copied();
                    }
                }
                Err(e) => logger.log(
                    LogLevel::Warn,
                    "consumer",
                    "ASSIGN",
                    &format!("committed offsets unknown ({e}): fresh partitions start where librdkafka puts them (under \"latest\", a message produced meanwhile is skipped; a retry topic may skip what was republished before)"),
                ),
            }
        }

        let mut lookup = TopicPartitionList::new();
        let mut asked: HashMap<TopicPartition, Start> = HashMap::new();
        for (tp, p) in &partitions {
            let start = self.decide(p);
            let query = match start {
                Start::Leave => continue,
                Start::Beginning => {
                    let _ = tpl.set_partition_offset(&tp.0, tp.1, Offset::Beginning);
                    if self.from_timestamp.is_some() {
                        replayed.insert(tp.clone());
                    }
                    continue;
                }
                Start::Timestamp(ts) => Offset::Offset(ts),
                // ListOffsets reads the offset field as a timestamp; -1 asks for the end.
                Start::End => Offset::End,
            };
            let _ = lookup.add_partition_offset(&tp.0, tp.1, query);
            asked.insert(tp.clone(), start);
        }
        if lookup.count() == 0 {
            return;
        }
        let found = match consumer.offsets_for_times(lookup, LOOKUP_TIMEOUT) {
            Ok(found) => found,
            Err(e) => {
                let (level, facility, what) = match self.from_timestamp {
                    Some(ts) => (LogLevel::Error, "REPLAY", format!("offsets for time {ts}")),
                    None => (LogLevel::Warn, "ASSIGN", "end offsets".to_string()),
                };
                logger.log(
                    level,
                    "consumer",
                    facility,
                    &format!("{what} unknown ({e}): librdkafka places these partitions after the assignment, and under \"latest\" a message produced meanwhile is skipped"),
                );
                return;
            }
        };
        for e in found.elements() {
            let tp = (e.topic().to_string(), e.partition());
            let offset = match (asked.get(&tp), e.offset()) {
                (Some(Start::End), Offset::Offset(end)) if e.error().is_ok() => Offset::Offset(end),
                (Some(Start::Timestamp(_)), found) => {
                    replayed.insert(tp);
                    match found {
                        Offset::Offset(o) => Offset::Offset(o),
                        // No message at or after the time: start at the end of the partition.
                        _ => Offset::End,
                    }
                }
                _ => continue,
            };
            let _ = tpl.set_partition_offset(e.topic(), e.partition(), offset);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{resets_to_latest, Partition, Start, StartPositions};

    #[test]
    fn latest_has_three_spellings_and_nothing_else_pins() {
        for v in ["latest", "largest", "end"] {
            assert!(resets_to_latest(Some(v)), "{v}");
        }
        for v in ["earliest", "smallest", "beginning", "error"] {
            assert!(!resets_to_latest(Some(v)), "{v}");
        }
        assert!(!resets_to_latest(None));
    }

    fn partition(retry_topic: bool, replayed: bool, committed: Option<bool>) -> Partition {
        Partition {
            retry_topic,
            replayed,
            unset: true,
            committed,
        }
    }

    #[test]
    fn a_commit_wins_under_latest_and_earliest() {
        for reset in ["latest", "earliest"] {
            let s = StartPositions::new(None, Some(reset));
            for retry in [false, true] {
                assert_eq!(s.decide(&partition(retry, false, Some(true))), Start::Leave);
            }
        }
    }

    #[test]
    fn a_fresh_partition_starts_at_its_end_only_under_latest() {
        let latest = StartPositions::new(None, Some("largest"));
        assert_eq!(
            latest.decide(&partition(false, false, Some(false))),
            Start::End
        );
        let earliest = StartPositions::new(None, Some("earliest"));
        assert_eq!(
            earliest.decide(&partition(false, false, Some(false))),
            Start::Leave
        );
        let mut placed = partition(false, false, Some(false));
        placed.unset = false;
        assert_eq!(latest.decide(&placed), Start::Leave);
    }

    #[test]
    fn a_fresh_retry_topic_starts_at_its_beginning_whatever_the_other_options_say() {
        for s in [
            StartPositions::new(None, Some("latest")),
            StartPositions::new(None, Some("earliest")),
            StartPositions::new(Some(1_000), Some("latest")),
        ] {
            assert_eq!(
                s.decide(&partition(true, false, Some(false))),
                Start::Beginning
            );
        }
    }

    #[test]
    fn from_timestamp_replays_each_partition_once_whatever_was_committed() {
        let s = StartPositions::new(Some(1_000), Some("latest"));
        for committed in [Some(true), Some(false), None] {
            assert_eq!(
                s.decide(&partition(false, false, committed)),
                Start::Timestamp(1_000)
            );
            assert_eq!(s.decide(&partition(false, true, committed)), Start::Leave);
        }
        assert_eq!(
            s.decide(&partition(true, false, Some(true))),
            Start::Timestamp(1_000)
        );
    }

    #[test]
    fn unknown_commits_leave_everything_but_a_replay_to_librdkafka() {
        let s = StartPositions::new(None, Some("latest"));
        for retry in [false, true] {
            assert_eq!(s.decide(&partition(retry, false, None)), Start::Leave);
        }
    }

    #[test]
    fn only_starts_that_depend_on_a_commit_ask_for_it() {
        let (plain, retry) = (partition(false, false, None), partition(true, false, None));
        let latest = StartPositions::new(None, Some("latest"));
        assert!(latest.needs_commit(&plain) && latest.needs_commit(&retry));
        let earliest = StartPositions::new(None, Some("earliest"));
        assert!(!earliest.needs_commit(&plain) && earliest.needs_commit(&retry));
        let replay = StartPositions::new(Some(1_000), Some("latest"));
        assert!(!replay.needs_commit(&plain) && replay.needs_commit(&retry));
    }
}
