//! The subscription's own thread: the only one that polls the librdkafka consumer. It keeps
//! polling while handlers are slow (partitions whose buffer is full are paused, not starved), so
//! the member never misses `max.poll.interval.ms`.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use tokio::sync::watch;

use crate::engine::consumer::rebalance::{commit_stored, SubscriptionContext};
use crate::engine::consumer::seek;
use crate::engine::consumer::shared::{Command, Shared, TopicPartition};
use crate::engine::error::EngineError;
use crate::engine::logging::LogLevel;
use crate::engine::message::ConsumedMessage;

const POLL_WAIT: Duration = Duration::from_millis(50);
const MAX_BURST: usize = 2_000;

/// Polls until the subscription stops, then drains, commits and leaves the group.
pub(crate) fn run(
    consumer: BaseConsumer<SubscriptionContext>,
    shared: Arc<Shared>,
    done: watch::Sender<bool>,
) {
    while !shared.is_stopping() {
        apply_commands(&consumer, &shared);
        if shared.is_stopping() {
            break;
        }
        // Messages come in runs of one partition: each run is handed on whole.
        let mut fetched: Vec<(TopicPartition, Vec<ConsumedMessage>)> = Vec::new();
        let mut count = 0;
        let mut wait = POLL_WAIT;
        while count < MAX_BURST {
            let polled = consumer.poll(wait);
            let revoked = consumer.context().take_revoked();
            if !revoked.is_empty() {
                // Polled before a revoke that ran inside this poll: not stored, so they come
                // again to the partition's next owner (maybe this member, from the commit).
                fetched.retain(|(tp, _)| !revoked.contains(tp));
                count = fetched.iter().map(|(_, run)| run.len()).sum();
            }
            match polled {
                None => break,
                Some(Ok(m)) => {
                    match fetched.last_mut() {
                        Some(((t, p), run)) if *p == m.partition() && t == m.topic() => {
                            run.push(to_consumed(&m))
                        }
                        _ => fetched.push((
                            (m.topic().to_string(), m.partition()),
                            vec![to_consumed(&m)],
                        )),
                    }
                    count += 1;
                }
                Some(Err(e)) => on_poll_error(&shared, e),
            }
            wait = Duration::ZERO;
        }
        if !fetched.is_empty() {
            let to_pause = shared.route(fetched);
            if !to_pause.is_empty() {
                let _ = consumer.pause(&list_of(&to_pause));
            }
        }
    }
    shutdown(consumer, &shared);
    let _ = done.send(true);
}

fn shutdown(consumer: BaseConsumer<SubscriptionContext>, shared: &Shared) {
    let drain = Duration::from_millis(shared.options.drain_timeout_ms);
    if !shared.close_partitions(None, drain) {
        shared.logger.log(
            LogLevel::Warn,
            "consumer",
            "STOP",
            "handlers still running after the drain timeout",
        );
    }
    apply_commands(&consumer, shared);
    if shared.options.auto_commit {
        commit_stored(&consumer, shared);
    }
    // Dropping the consumer closes it: it leaves the group (a last revoke runs) and destroys the
    // handle. This is the subscription's own thread, so nothing else waits on it.
    drop(consumer);
    shared.release_handler();
}

fn on_poll_error(shared: &Shared, e: KafkaError) {
    match e {
        KafkaError::MessageConsumptionFatal(_) => shared.fail(EngineError::from(e)),
        _ => shared
            .logger
            .log(LogLevel::Warn, "consumer", "CONSUME", &e.to_string()),
    }
}

/// Carries out what workers and callers asked of the consumer. Runs on the poll thread, also
/// from within a rebalance.
pub(crate) fn apply_commands(consumer: &BaseConsumer<SubscriptionContext>, shared: &Shared) {
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
            Command::Seek(request) => seek::apply(consumer, shared, request),
            Command::GroupMetadata(reply) => {
                let _ = reply.send(consumer.group_metadata());
            }
            Command::Stop => {}
        }
    }
}

fn list_of(tps: &[TopicPartition]) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::new();
    for (t, p) in tps {
        tpl.add_partition(t, *p);
    }
    tpl
}

fn to_consumed(m: &BorrowedMessage<'_>) -> ConsumedMessage {
    let headers = m
        .headers()
        .map(|h| {
            h.iter()
                .map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec)))
                .collect()
        })
        .unwrap_or_default();
    ConsumedMessage {
        key: m.key().map(<[u8]>::to_vec),
        value: m.payload().map(<[u8]>::to_vec),
        headers,
        offset: m.offset(),
        timestamp: m.timestamp().to_millis(),
    }
}
