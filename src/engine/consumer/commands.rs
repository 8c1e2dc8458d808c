//! The consumer's commands (store an offset, pause, resume, commit), carried out on the thread
//! that polls: by the poll loop between polls, and by the rebalance callback within one.

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use crate::engine::consumer::shared::{Command, Shared, TopicPartition};
use crate::engine::error::EngineError;

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
                    let _ = consumer.store_offsets(&tpl);
                }
            }
            Command::Resume(tp) => {
                let _ = consumer.resume(&list_of(&[tp]));
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
                let result =
                    match consumer.commit_consumer_state(rdkafka::consumer::CommitMode::Sync) {
                        Err(e)
                            if e.rdkafka_error_code()
                                == Some(rdkafka::types::RDKafkaErrorCode::NoOffset) =>
                        {
                            Ok(())
                        }
                        other => other.map_err(EngineError::from),
                    };
                let _ = reply.send(result);
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
