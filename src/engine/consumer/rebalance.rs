//! The consumer's librdkafka context: rebalances hand partitions to workers and take them back
//! after their running handlers finish and their processed offsets are committed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::error::KafkaResult;
use rdkafka::topic_partition_list::TopicPartitionList;
use rdkafka::types::{RDKafkaErrorCode, RDKafkaRespErr};

use crate::engine::client_events::{forward_client_events, ClientEvents};
use crate::engine::consumer::commands::{apply_commands, commit_stored_offsets};
use crate::engine::consumer::partition_queues::PartitionQueues;
use crate::engine::consumer::partition_worker;
use crate::engine::consumer::reports::written_offsets;
use crate::engine::consumer::shared::{Shared, TopicPartition};
use crate::engine::consumer::start_positions::StartPositions;

use crate::engine::logging::LogLevel;
use crate::engine::metrics::topics::RebalanceKind;

/// Context of a subscription's consumer.
pub struct SubscriptionContext {
    pub(crate) events: ClientEvents,
    pub(crate) shared: Arc<Shared>,
    /// Partitions revoked since the poll thread last looked: messages it polled for them before
    /// the revoke must not reach a later assignment of the same partition.
    revoked: Mutex<Vec<TopicPartition>>,
    any_revoked: AtomicBool,
    /// Each assigned partition's own queue, polled by the poll thread.
    pub(crate) queues: PartitionQueues,
    /// Where the partitions of each new assignment start.
    starts: StartPositions,
}

forward_client_events!(SubscriptionContext, after_statistics = on_heartbeats_sent);

impl SubscriptionContext {
    /// `starts`: the subscription's start-position rules, applied before each assignment is
    /// handed over.
    pub(crate) fn new(events: ClientEvents, shared: Arc<Shared>, starts: StartPositions) -> Self {
        SubscriptionContext {
            events,
            shared,
            revoked: Mutex::new(Vec::new()),
            any_revoked: AtomicBool::new(false),
            queues: PartitionQueues::default(),
            starts,
        }
    }

    /// Partitions revoked since the last call (cheap when there were none).
    pub(crate) fn take_revoked(&self) -> Vec<TopicPartition> {
        if !self.any_revoked.swap(false, Ordering::AcqRel) {
            return Vec::new();
        }
        std::mem::take(&mut *self.revoked.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn note_revoked(&self, tps: &[TopicPartition]) {
        self.revoked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(tps);
        self.any_revoked.store(true, Ordering::Release);
    }

    fn log(&self, level: LogLevel, facility: &str, message: &str) {
        self.shared.logger.log(level, "consumer", facility, message);
    }

    fn on_heartbeats_sent(&self, sent: u64) {
        self.shared.member_reports.heartbeats_sent(sent);
    }

    fn on_assign(&self, consumer: &BaseConsumer<Self>, tpl: &mut TopicPartitionList) {
        let tps = partitions_of(tpl);
        self.log(
            LogLevel::Info,
            "ASSIGN",
            &format!("group {} assigned {:?}", self.shared.options.group_id, tps),
        );
        self.starts.resolve(
            consumer,
            self.shared.options.retry.as_ref(),
            &self.shared.logger,
            tpl,
        );
        self.queues.split(&tps, &self.shared.poll_wake);
        for (tp, _) in self.shared.open_partitions(&tps) {
            self.shared
                .spawn_worker(partition_worker::run(self.shared.clone(), tp));
        }
        let result = match consumer.rebalance_protocol() {
            RebalanceProtocol::Cooperative => consumer.incremental_assign(tpl),
            _ => consumer.assign(tpl),
        };
        if let Err(e) = result {
            self.log(LogLevel::Error, "ASSIGN", &format!("assign failed: {e}"));
        }
        if self.shared.is_user_paused() {
            let _ = consumer.pause(tpl);
        }
    }

    fn on_revoke(&self, consumer: &BaseConsumer<Self>, tpl: &TopicPartitionList) {
        let tps = partitions_of(tpl);
        self.log(
            LogLevel::Info,
            "REVOKE",
            &format!("group {} revoking {:?}", self.shared.options.group_id, tps),
        );
        let drain = Duration::from_millis(self.shared.options.drain_timeout_ms);
        if !self.shared.close_partitions(Some(&tps), drain) {
            self.log(
                LogLevel::Warn,
                "REVOKE",
                "handlers still running after the drain timeout; their offsets are not committed",
            );
        }
        apply_commands(consumer, &self.shared);
        // A lost assignment (session expired) belongs to others already: committing would fail.
        if self.shared.options.auto_commit && !consumer.assignment_lost() {
            commit_stored(consumer, &self.shared);
        }
        self.unassign(consumer, tpl, &tps);
    }

    /// Hands partitions back: only these under an incremental protocol (cooperative-sticky,
    /// KIP-848), everything under an eager one.
    fn unassign(
        &self,
        consumer: &BaseConsumer<Self>,
        tpl: &TopicPartitionList,
        tps: &[TopicPartition],
    ) {
        let result = match consumer.rebalance_protocol() {
            RebalanceProtocol::Cooperative => consumer.incremental_unassign(tpl),
            _ => consumer.unassign(),
        };
        if let Err(e) = result {
            self.log(LogLevel::Warn, "REVOKE", &format!("unassign failed: {e}"));
        }
        self.note_revoked(tps);
        self.queues.remove(tps);
        self.shared.remove_partitions(tps);
    }
}

impl ConsumerContext for SubscriptionContext {
    /// librdkafka's own commits (auto-commit interval, unassign, close); the engine's go through
    /// `commit_within`, which reads its answer itself.
    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        if result.is_ok() && self.shared.member_reports.wants_commits() {
            self.shared
                .member_reports
                .committed(written_offsets(offsets));
        }
    }

    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        let kind = match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => RebalanceKind::Assign,
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => RebalanceKind::Revoke,
            _ => RebalanceKind::Error,
        };
        self.shared.stats.figures.on_rebalance(kind);
        self.shared.member_reports.refresh(consumer);
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => self.on_assign(consumer, tpl),
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => self.on_revoke(consumer, tpl),
            other => {
                let code: RDKafkaErrorCode = other.into();
                self.log(
                    LogLevel::Error,
                    "REBALANCE",
                    &format!("rebalance error: {code}"),
                );
                // Give back everything held (its buffers go, running handlers finish) so the
                // next assignment starts clean.
                let held = self.shared.assigned();
                let drain = Duration::from_millis(self.shared.options.drain_timeout_ms);
                self.shared.close_partitions(None, drain);
                apply_commands(consumer, &self.shared);
                let mut all = TopicPartitionList::new();
                for (t, p) in &held {
                    all.add_partition(t, *p);
                }
                self.unassign(consumer, &all, &held);
            }
        }
    }
}

/// Commits the stored offsets and waits for the answer, at most `shared.commit_timeout()`;
/// "nothing to commit" is not an error.
pub(crate) fn commit_stored(consumer: &BaseConsumer<SubscriptionContext>, shared: &Shared) {
    if let Err(e) = commit_stored_offsets(consumer, shared) {
        shared.logger.log(
            LogLevel::Warn,
            "consumer",
            "COMMIT",
            &format!("commit failed: {e}"),
        );
    }
}

fn partitions_of(tpl: &TopicPartitionList) -> Vec<TopicPartition> {
    tpl.elements()
        .iter()
        .map(|e| (e.topic().to_string(), e.partition()))
        .collect()
}
