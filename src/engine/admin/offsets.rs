//! Offsets: a group's committed offsets and lag, resetting a stopped group, and looking offsets
//! up by time.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaErrorCode;

use crate::engine::admin::native;
use crate::engine::admin::topics::MetadataSnapshot;
use crate::engine::admin::{blocking, group_client, is_internal, Admin, Deadline};
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::message::validate_topic;

/// An offset of one partition: committed, looked up or reset to; -1 when there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionOffset {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// How far a group is behind on one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionLag {
    pub topic: String,
    pub partition: i32,
    /// The group's committed offset (the next message it will read); -1 when it has none.
    pub committed: i64,
    /// The earliest offset still in the log.
    pub low: i64,
    /// The high watermark: the offset the next message will get.
    pub high: i64,
    /// Messages the group has yet to process: `high - committed`, or every retained message
    /// (`high - low`) when it has committed nothing or its offset fell out of retention.
    pub lag: i64,
}

/// A group's lag, per partition and in total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupLag {
    pub group_id: String,
    pub total: i64,
    pub partitions: Vec<PartitionLag>,
}

/// Where `reset_offsets` moves a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetTarget {
    /// The earliest retained message.
    Earliest,
    /// The end: only messages published from now on.
    Latest,
    /// The first message at or after this time (ms since the epoch); the end if none is.
    Timestamp(i64),
}

/// Messages between a committed offset and the high watermark. Without a commit, or with one
/// below the log start (retention deleted what it pointed at), the group would start at `low`.
pub fn partition_lag(committed: Option<i64>, low: i64, high: i64) -> i64 {
    let from = committed.map_or(low, |c| c.max(low));
    (high - from).max(0)
}

/// ListOffsets queries: -2 is the earliest offset, -1 the latest.
const EARLIEST: i64 = -2;
const LATEST: i64 = -1;

fn partitions_of(
    snapshot: &MetadataSnapshot,
    topics: &[String],
) -> EngineResult<Vec<(String, i32)>> {
    let mut out = Vec::new();
    for t in topics {
        for p in &snapshot.require(t)?.partitions {
            out.push((t.clone(), p.partition));
        }
    }
    Ok(out)
}

fn list_of(tps: &[(String, i32)], offset: Offset) -> EngineResult<TopicPartitionList> {
    let mut tpl = TopicPartitionList::with_capacity(tps.len());
    for (t, p) in tps {
        tpl.add_partition_offset(t, *p, offset)?;
    }
    Ok(tpl)
}

fn offset_of(offset: Offset) -> Option<i64> {
    match offset {
        Offset::Offset(o) if o >= 0 => Some(o),
        _ => None,
    }
}

/// One ListOffsets lookup (`query`: a time, `LATEST` or `EARLIEST`) for every partition; `None`
/// where the answer is "no such offset" (no message at or after the time).
fn lookup(
    rk: *mut rdkafka::bindings::rd_kafka_t,
    tps: &[(String, i32)],
    query: i64,
    timeout: Duration,
) -> EngineResult<HashMap<(String, i32), Option<i64>>> {
    let mut tpl = list_of(tps, Offset::from_raw(query))?;
    native::list_offsets(rk, &mut tpl, timeout)?;
    Ok(tpl
        .elements()
        .iter()
        .map(|e| {
            (
                (e.topic().to_string(), e.partition()),
                offset_of(e.offset()),
            )
        })
        .collect())
}

/// Runs a group request again while the group's coordinator is still being found, loading or
/// moving (as right after the offsets topic is created), until it succeeds or the deadline.
fn until_coordinated<T>(
    deadline: Deadline,
    mut request: impl FnMut() -> EngineResult<T>,
) -> EngineResult<T> {
    loop {
        match request() {
            Err(EngineError::Kafka { code, .. })
                if matches!(
                    code,
                    RDKafkaErrorCode::NotCoordinator
                        | RDKafkaErrorCode::CoordinatorNotAvailable
                        | RDKafkaErrorCode::CoordinatorLoadInProgress
                ) && deadline
                    .remaining()
                    .is_ok_and(|left| left > COORDINATOR_BACKOFF) =>
            {
                std::thread::sleep(COORDINATOR_BACKOFF);
            }
            other => return other,
        }
    }
}

const COORDINATOR_BACKOFF: Duration = Duration::from_millis(100);

fn check_timestamp(ts: i64) -> EngineResult<()> {
    if ts < 0 {
        return Err(EngineError::InvalidArg(format!(
            "timestamp must be ms since the epoch (got {ts})"
        )));
    }
    Ok(())
}

impl Admin {
    /// The group's committed offsets on `topics` (every partition; -1 where it has committed
    /// nothing), or, with `None`, on every topic where it has committed something. A group
    /// that does not exist has no offsets.
    pub async fn group_offsets(
        &self,
        group_id: &str,
        topics: Option<&[String]>,
        timeout: Duration,
    ) -> EngineResult<Vec<PartitionOffset>> {
        self.group_offsets_until(group_id, topics, Deadline::after(timeout))
            .await
    }

    async fn group_offsets_until(
        &self,
        group_id: &str,
        topics: Option<&[String]>,
        deadline: Deadline,
    ) -> EngineResult<Vec<PartitionOffset>> {
        if group_id.trim().is_empty() {
            return Err(EngineError::InvalidArg("groupId must not be empty".into()));
        }
        for t in topics.unwrap_or_default() {
            validate_topic(t)?;
        }
        let snapshot = self.metadata_until(deadline).await?;
        let candidates: Vec<String> = match topics {
            Some(names) => names.to_vec(),
            None => snapshot
                .topics
                .iter()
                .map(|t| t.name.clone())
                .filter(|n| !is_internal(n))
                .collect(),
        };
        let tps = partitions_of(&snapshot, &candidates)?;
        if tps.is_empty() {
            return Ok(Vec::new());
        }
        let (config, logger, group) = (
            self.config.clone(),
            self.logger.clone(),
            group_id.to_string(),
        );
        let committed = blocking(move || {
            let consumer = group_client(&config, &logger, &group)?;
            let query = list_of(&tps, Offset::Invalid)?;
            let answer = until_coordinated(deadline, || {
                consumer
                    .committed_offsets(query.clone(), deadline.remaining()?)
                    .map_err(EngineError::from)
            })?;
            Ok(answer
                .elements()
                .iter()
                .map(|e| PartitionOffset {
                    topic: e.topic().to_string(),
                    partition: e.partition(),
                    offset: offset_of(e.offset()).unwrap_or(-1),
                })
                .collect::<Vec<_>>())
        })
        .await?;
        let mut out = committed;
        if topics.is_none() {
            // By default, only the topics where the group committed something.
            let keep: BTreeSet<String> = out
                .iter()
                .filter(|o| o.offset >= 0)
                .map(|o| o.topic.clone())
                .collect();
            out.retain(|o| keep.contains(&o.topic));
        }
        out.sort_by(|a, b| (a.topic.as_str(), a.partition).cmp(&(b.topic.as_str(), b.partition)));
        Ok(out)
    }

    /// How far the group is behind the high watermark on each partition of `topics` (or of
    /// every topic where it has committed something), and in total.
    pub async fn lag(
        &self,
        group_id: &str,
        topics: Option<&[String]>,
        timeout: Duration,
    ) -> EngineResult<GroupLag> {
        let deadline = Deadline::after(timeout);
        let committed = self.group_offsets_until(group_id, topics, deadline).await?;
        let tps: Vec<(String, i32)> = committed
            .iter()
            .map(|o| (o.topic.clone(), o.partition))
            .collect();
        let client = self.client()?;
        let left = deadline.remaining()?;
        let (low, high) = blocking(move || {
            let rk = client.inner().native_ptr();
            Ok((
                lookup(rk, &tps, EARLIEST, left)?,
                lookup(rk, &tps, LATEST, left)?,
            ))
        })
        .await?;
        let partitions: Vec<PartitionLag> = committed
            .into_iter()
            .map(|o| {
                let key = (o.topic.clone(), o.partition);
                let low = low.get(&key).copied().flatten().unwrap_or(0);
                let high = high.get(&key).copied().flatten().unwrap_or(low);
                let committed = (o.offset >= 0).then_some(o.offset);
                PartitionLag {
                    lag: partition_lag(committed, low, high),
                    topic: o.topic,
                    partition: o.partition,
                    committed: o.offset,
                    low,
                    high,
                }
            })
            .collect();
        Ok(GroupLag {
            group_id: group_id.to_string(),
            total: partitions.iter().map(|p| p.lag).sum(),
            partitions,
        })
    }

    /// Commits new offsets for a group that has no active member, on every partition of
    /// `topics`; resolves with what was committed. Fails with `ERR_NON_EMPTY_GROUP` while the
    /// group has members (stop its consumers first).
    pub async fn reset_offsets(
        &self,
        group_id: &str,
        topics: &[String],
        target: ResetTarget,
        timeout: Duration,
    ) -> EngineResult<Vec<PartitionOffset>> {
        if topics.is_empty() {
            return Err(EngineError::InvalidArg(
                "topics must name at least one topic".into(),
            ));
        }
        for t in topics {
            validate_topic(t)?;
        }
        if let ResetTarget::Timestamp(ts) = target {
            check_timestamp(ts)?;
        }
        let deadline = Deadline::after(timeout);
        self.require_stopped(group_id, "resetting", deadline)
            .await?;
        let snapshot = self.metadata_until(deadline).await?;
        let tps = partitions_of(&snapshot, topics)?;
        let targets = self.resolve_until(&tps, target, deadline).await?;
        self.commit_stopped(group_id, targets, deadline).await
    }

    /// Commits the given offsets for a group that has no active member (kafkajs'
    /// `setOffsets`); resolves with what was committed. Fails with `ERR_NON_EMPTY_GROUP` while
    /// the group has members, `ERR_UNKNOWN_TOPIC_OR_PART` for a partition the cluster does not
    /// have, `ERR_INVALID_ARG` for a negative offset.
    pub async fn set_offsets(
        &self,
        group_id: &str,
        offsets: Vec<PartitionOffset>,
        timeout: Duration,
    ) -> EngineResult<Vec<PartitionOffset>> {
        if offsets.is_empty() {
            return Err(EngineError::InvalidArg(
                "offsets must name at least one partition".into(),
            ));
        }
        for o in &offsets {
            validate_topic(&o.topic)?;
            if o.offset < 0 || o.partition < 0 {
                return Err(EngineError::InvalidArg(format!(
                    "{}[{}]: partition and offset must not be negative (got offset {})",
                    o.topic, o.partition, o.offset
                )));
            }
        }
        let deadline = Deadline::after(timeout);
        self.require_stopped(group_id, "setting", deadline).await?;
        let snapshot = self.metadata_until(deadline).await?;
        for o in &offsets {
            let topic = snapshot.require(&o.topic)?;
            if !topic.partitions.iter().any(|p| p.partition == o.partition) {
                return Err(EngineError::Kafka {
                    code: RDKafkaErrorCode::UnknownTopicOrPartition,
                    message: format!("topic '{}' has no partition {}", o.topic, o.partition),
                    topic: Some(o.topic.clone()),
                    partition: Some(o.partition),
                });
            }
        }
        self.commit_stopped(group_id, offsets, deadline).await
    }

    /// Fails with `ERR_NON_EMPTY_GROUP` while the group has members: the coordinator takes a
    /// non-member's commit only for a group without them.
    async fn require_stopped(
        &self,
        group_id: &str,
        doing: &str,
        deadline: Deadline,
    ) -> EngineResult<()> {
        let group = self.describe_group_until(group_id, deadline).await?;
        if group.members.is_empty() {
            return Ok(());
        }
        Err(EngineError::Kafka {
            code: RDKafkaErrorCode::NonEmptyGroup,
            message: format!(
                "group '{group_id}' has {} active member(s) ({}): stop them before {doing} its offsets",
                group.members.len(),
                group.state
            ),
            topic: None,
            partition: None,
        })
    }

    /// Commits `targets` as a non-member of the (stopped) group; resolves with them.
    async fn commit_stopped(
        &self,
        group_id: &str,
        targets: Vec<PartitionOffset>,
        deadline: Deadline,
    ) -> EngineResult<Vec<PartitionOffset>> {
        let (config, logger, group) = (
            self.config.clone(),
            self.logger.clone(),
            group_id.to_string(),
        );
        let left = deadline.remaining()?;
        let commit: Vec<PartitionOffset> = targets.clone();
        let committing = blocking(move || {
            let consumer = group_client(&config, &logger, &group)?;
            let mut tpl = TopicPartitionList::with_capacity(commit.len());
            for o in &commit {
                tpl.add_partition_offset(&o.topic, o.partition, Offset::Offset(o.offset))?;
            }
            until_coordinated(deadline, || {
                consumer
                    .commit(&tpl, CommitMode::Sync)
                    .map_err(EngineError::from)
            })
        });
        // A synchronous commit has no timeout of its own: stop waiting at the deadline (the
        // commit may still land; a retry commits the same offsets).
        tokio::time::timeout(left, committing)
            .await
            .map_err(|_| deadline.timed_out())??;
        Ok(targets)
    }

    /// For each partition of `topic`, the offset of the first message at or after `timestamp`
    /// (ms since the epoch), or the high watermark when there is none: where a replay from that
    /// time starts.
    pub async fn offsets_for_times(
        &self,
        topic: &str,
        timestamp: i64,
        timeout: Duration,
    ) -> EngineResult<Vec<PartitionOffset>> {
        validate_topic(topic)?;
        check_timestamp(timestamp)?;
        let deadline = Deadline::after(timeout);
        let snapshot = self.metadata_until(deadline).await?;
        let tps = partitions_of(&snapshot, &[topic.to_string()])?;
        self.resolve_until(&tps, ResetTarget::Timestamp(timestamp), deadline)
            .await
    }

    /// The offset each partition has for `target`, sorted by topic and partition.
    async fn resolve_until(
        &self,
        tps: &[(String, i32)],
        target: ResetTarget,
        deadline: Deadline,
    ) -> EngineResult<Vec<PartitionOffset>> {
        let client = self.client()?;
        let left = deadline.remaining()?;
        let tps = tps.to_vec();
        let found = blocking(move || {
            let rk = client.inner().native_ptr();
            let query = match target {
                ResetTarget::Earliest => EARLIEST,
                ResetTarget::Latest => LATEST,
                ResetTarget::Timestamp(ts) => ts,
            };
            let mut found = lookup(rk, &tps, query, left)?;
            let past_the_end: Vec<(String, i32)> = found
                .iter()
                .filter(|(_, o)| o.is_none())
                .map(|(k, _)| k.clone())
                .collect();
            if !past_the_end.is_empty() {
                found.extend(lookup(rk, &past_the_end, LATEST, left)?);
            }
            Ok(found)
        })
        .await?;
        let mut out: Vec<PartitionOffset> = found
            .into_iter()
            .map(|((topic, partition), offset)| PartitionOffset {
                topic,
                partition,
                offset: offset.unwrap_or(-1),
            })
            .collect();
        out.sort_by(|a, b| (a.topic.as_str(), a.partition).cmp(&(b.topic.as_str(), b.partition)));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_counts_from_the_commit_to_the_high_watermark() {
        assert_eq!(partition_lag(Some(40), 0, 100), 60);
        assert_eq!(partition_lag(Some(100), 0, 100), 0, "caught up");
        assert_eq!(
            partition_lag(None, 10, 100),
            90,
            "no commit: every retained message"
        );
        assert_eq!(
            partition_lag(Some(5), 10, 100),
            90,
            "commit below the log start"
        );
        assert_eq!(partition_lag(Some(120), 0, 100), 0, "never negative");
        assert_eq!(partition_lag(None, 0, 0), 0, "empty partition");
    }
}
