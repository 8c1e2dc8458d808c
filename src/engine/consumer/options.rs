//! What a subscription is asked to do, with its defaults and checks.

use crate::engine::consumer::membership::Membership;
use crate::engine::consumer::reports::Reports;
use crate::engine::consumer::retry_ladder::RetryLadder;
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::message::validate_topic;

/// What order a subscription keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ordering {
    /// One handler call at a time per partition, in offset order; `concurrency` partitions at once.
    Partition,
    /// Messages of one key in offset order, different keys of a partition in parallel (keyless
    /// messages in any order); `concurrency` handler calls at once over the subscription.
    Key,
}

/// Options of `subscribe`.
#[derive(Debug, Clone)]
pub struct SubscribeOptions {
    pub group_id: String,
    pub topics: Vec<String>,
    /// With no committed offset, start at the earliest message (else at the end).
    pub from_beginning: bool,
    /// Start each partition at the first message at or after this time (ms since the epoch),
    /// whatever the group committed: a replay from a date.
    pub from_timestamp: Option<i64>,
    /// Commit processed offsets on an interval, on revocation and on stop. When false, offsets
    /// are committed only by `Subscription::commit`.
    pub auto_commit: bool,
    /// Partitions whose handlers may run at the same time. Order within a partition is kept.
    pub concurrency: usize,
    /// Most messages in one handler call.
    pub max_batch_size: usize,
    /// Attempts after the first before a failing message stops the subscription.
    pub retries: u32,
    /// First wait before a retry; doubles each time, up to 30 s.
    pub retry_backoff_ms: u64,
    /// Messages buffered per partition before its fetching pauses.
    pub max_buffered_per_partition: usize,
    /// Bound on waiting for in-flight handlers at stop and revocation.
    pub drain_timeout_ms: u64,
    /// Bound on one handler call. A call that has not settled by then counts as a failure of its
    /// first unprocessed message (retried, then `onError`) and is abandoned: whatever it reports
    /// later is ignored. None: no bound.
    pub handler_timeout_ms: Option<u64>,
    /// librdkafka `session.timeout.ms` for the group member.
    pub session_timeout_ms: Option<u32>,
    /// Delayed retries and dead letters after the in-place retries: the subscription republishes
    /// a message whose retries ran out to the next step and consumes the retry topics too.
    pub retry: Option<RetryLadder>,
    /// Partition order (default) or key order with parallel keys.
    pub ordering: Ordering,
    /// Group protocol, assignor and static membership.
    pub membership: Membership,
    /// `isolation.level`: read only committed transactional messages (librdkafka's default,
    /// true) or also open and aborted ones. None keeps the configured one.
    pub read_committed: Option<bool>,
    /// Commits and poll rounds reported as they happen, to whoever asked. Default: none.
    pub reports: Reports,
}

impl SubscribeOptions {
    /// Options for a group and its topics, with every default.
    pub fn new(group_id: &str, topics: Vec<String>) -> Self {
        SubscribeOptions {
            group_id: group_id.to_string(),
            topics,
            from_beginning: false,
            from_timestamp: None,
            auto_commit: true,
            concurrency: 1,
            max_batch_size: 1000,
            retries: 5,
            retry_backoff_ms: 100,
            max_buffered_per_partition: 10_000,
            drain_timeout_ms: 30_000,
            handler_timeout_ms: None,
            session_timeout_ms: None,
            retry: None,
            ordering: Ordering::Partition,
            membership: Membership::default(),
            reports: Reports::default(),
            read_committed: None,
        }
    }

    /// Rejects what cannot work: no group, no or bad topics, zero sizes.
    pub fn validate(&self) -> EngineResult<()> {
        if self.group_id.trim().is_empty() {
            return Err(EngineError::InvalidArg("groupId must not be empty".into()));
        }
        if self.group_id.contains('\0') {
            return Err(EngineError::InvalidArg(
                "groupId must not contain a NUL character".into(),
            ));
        }
        if self.topics.is_empty() {
            return Err(EngineError::InvalidArg(
                "topics must name at least one topic".into(),
            ));
        }
        for t in &self.topics {
            validate_topic(t)?;
        }
        if self.concurrency == 0 || self.max_batch_size == 0 || self.max_buffered_per_partition == 0
        {
            return Err(EngineError::InvalidArg(
                "concurrency, maxBatchSize and maxBuffered must be positive".into(),
            ));
        }
        if self.handler_timeout_ms == Some(0) {
            return Err(EngineError::InvalidArg(
                "handlerTimeoutMs must be positive".into(),
            ));
        }
        if let Some(ladder) = &self.retry {
            ladder.validate(&self.topics)?;
        }
        if let Some(ts) = self.from_timestamp {
            if ts < 0 {
                return Err(EngineError::InvalidArg("fromTimestamp must be >= 0".into()));
            }
        }
        self.membership.validate(self.session_timeout_ms)
    }

    /// The topics the group consumer subscribes to: the user's, then the ladder's retry topics.
    pub fn consumed_topics(&self) -> Vec<String> {
        let mut all = self.topics.clone();
        if let Some(ladder) = &self.retry {
            all.extend(ladder.topics.iter().cloned());
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_id_with_a_nul_is_invalid() {
        let o = SubscribeOptions::new("g\0", vec!["t".into()]);
        assert_eq!(o.validate().unwrap_err().code(), "ERR_INVALID_ARG");
        SubscribeOptions::new("g", vec!["t".into()])
            .validate()
            .unwrap();
    }
}
