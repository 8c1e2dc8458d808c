//! The consumer's commands (store an offset, pause, resume, commit), carried out on the thread
//! that polls: by the poll loop between polls, and by the rebalance callback within one.

use std::ptr;
use std::time::Duration;

use rdkafka::bindings as rd;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::{RDKafkaErrorCode, RDKafkaRespErr};

use crate::engine::consumer::reports::{written_offsets_raw, MemberReports};
use crate::engine::consumer::seek;
use crate::engine::consumer::shared::{Command, Shared, TopicPartition};
use crate::engine::error::{EngineError, EngineResult};

/// The member's group metadata, if every one of `assignments` still holds its partition. On
/// the poll thread, which also serves the rebalances: no revoke runs between the check and the
/// read, and a rebalance after it moves the group to a generation whose broker refuses the old
/// metadata.
fn group_metadata<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    shared: &Shared,
    assignments: &[(TopicPartition, u64)],
) -> EngineResult<rdkafka::consumer::ConsumerGroupMetadata> {
    if let Some(((topic, partition), _)) = assignments
        .iter()
        .find(|(tp, assignment)| !shared.holds(tp, *assignment))
    {
        return Err(EngineError::Kafka {
            code: RDKafkaErrorCode::State,
            message: format!(
                "{topic}[{partition}] was revoked since the batch was delivered: its offsets \
                 cannot be committed (its next owner delivers it again from the committed offset)"
            ),
            topic: Some(topic.clone()),
            partition: Some(*partition),
        });
    }
    consumer.group_metadata().ok_or(EngineError::Disconnected)
}

/// Carries out what workers and callers asked of the consumer. Runs on the poll thread, also
/// from within a rebalance.
pub(crate) fn apply_commands<C: ConsumerContext>(consumer: &BaseConsumer<C>, shared: &Shared) {
    for command in shared.take_commands() {
        match command {
            Command::Store((t, p), next) => {
                let mut tpl = TopicPartitionList::new();
                if tpl
                    .add_partition_offset(&t, p, Offset::Offset(next))
                    .is_ok()
                {
                    // Fails only for a partition no longer assigned; its next owner gets it again.
                    if consumer.store_offsets(&tpl).is_ok() {
                        shared.note_stored();
                    }
                }
            }
            Command::Resume(tp) => {
                let _ = consumer.resume(&list_of(&[tp]));
            }
            Command::Pause(tp) => {
                let _ = consumer.pause(&list_of(&[tp]));
            }
            Command::PauseAll => {
                if let Ok(a) = consumer.assignment() {
                    let _ = consumer.pause(&a);
                }
            }
            Command::ResumeAll => {
                let _ = consumer.resume(&list_of(&shared.assigned()));
            }
            Command::Commit(reply) => {
                let _ = reply.send(commit_stored_offsets(consumer, shared));
            }
            Command::Seek(request) => seek::apply(consumer, shared, request),
            Command::GroupMetadata(assignments, reply) => {
                let _ = reply.send(group_metadata(consumer, shared, &assignments));
            }
            Command::Stop => {}
        }
    }
}

pub(crate) fn list_of(tps: &[TopicPartition]) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::new();
    for (t, p) in tps {
        tpl.add_partition(t, *p);
    }
    tpl
}

/// Commits the stored offsets, waiting for the broker at most `shared.commit_timeout()`, and
/// notes when that went through.
pub(crate) fn commit_stored_offsets<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    shared: &Shared,
) -> EngineResult<()> {
    shared.member_reports.refresh(consumer);
    let result = commit_within(consumer, shared.commit_timeout(), &shared.member_reports);
    if result.is_ok() {
        shared.note_committed();
    }
    result
}

/// Whether the group coordinator refused a commit because the group is rebalancing: the
/// member's generation was just replaced (`ILLEGAL_GENERATION`: a commit sent while the
/// member's own JoinGroup waits on the coordinator reaches it only once that join completed)
/// or the new one is not synced yet (`REBALANCE_IN_PROGRESS`). Once the rebalance is served,
/// the same commit goes through.
pub(crate) fn refused_for_rebalance(e: &EngineError) -> bool {
    matches!(
        e,
        EngineError::Kafka {
            code: RDKafkaErrorCode::IllegalGeneration | RDKafkaErrorCode::RebalanceInProgress,
            ..
        }
    )
}

/// Commits the stored offsets, waiting for the broker at most `timeout` (`ERR__TIMED_OUT`
/// then; the commit may still happen), and tells `reports` what it wrote. librdkafka's
/// synchronous commit waits for a group coordinator without end, which would hold a stop
/// forever once the brokers are gone.
pub(crate) fn commit_within<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    timeout: Duration,
    reports: &MemberReports,
) -> EngineResult<()> {
    let rk = consumer.client().native_ptr();
    // SAFETY: `rk` is the live consumer borrowed for this call; the reply queue is ours, and
    // destroying it after a timeout is allowed (librdkafka keeps its own reference until the
    // reply is posted, then discards it).
    let code = unsafe {
        let queue = rd::rd_kafka_queue_new(rk);
        let mut code = rd::rd_kafka_commit_queue(rk, ptr::null(), queue, None, ptr::null_mut());
        if code == RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR {
            let event =
                rd::rd_kafka_queue_poll(queue, timeout.as_millis().min(i32::MAX as u128) as i32);
            code = if event.is_null() {
                RDKafkaRespErr::RD_KAFKA_RESP_ERR__TIMED_OUT
            } else {
                let e = rd::rd_kafka_event_error(event);
                if e == RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR && reports.wants_commits() {
                    reports.committed(written_offsets_raw(
                        rd::rd_kafka_event_topic_partition_list(event),
                    ));
                }
                rd::rd_kafka_event_destroy(event);
                e
            };
        }
        rd::rd_kafka_queue_destroy(queue);
        code
    };
    match RDKafkaErrorCode::from(code) {
        RDKafkaErrorCode::NoError | RDKafkaErrorCode::NoOffset => Ok(()),
        other => Err(EngineError::from_code(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_commit_refused_for_a_rebalance_is_worth_retrying_after_it() {
        for code in [
            RDKafkaErrorCode::IllegalGeneration,
            RDKafkaErrorCode::RebalanceInProgress,
        ] {
            assert!(refused_for_rebalance(&EngineError::from_code(code)));
        }
        for code in [
            RDKafkaErrorCode::UnknownMemberId,
            RDKafkaErrorCode::OperationTimedOut,
            RDKafkaErrorCode::FencedInstanceId,
            RDKafkaErrorCode::AssignmentLost,
        ] {
            assert!(!refused_for_rebalance(&EngineError::from_code(code)));
        }
        assert!(!refused_for_rebalance(&EngineError::Disconnected));
    }
}
