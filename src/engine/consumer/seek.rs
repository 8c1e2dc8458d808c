//! Moving a running subscription's partition to another offset or time. The partition's
//! buffered messages are discarded, its running handler finishes first (its offsets are stored
//! as usual), then the consumer seeks and stores the new position, so commits follow from it.

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use tokio::sync::oneshot;

use crate::engine::consumer::shared::{Command, Shared, TopicPartition};
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::logging::LogLevel;

const BROKER_WAIT: Duration = Duration::from_secs(10);

/// Where to move a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeekTarget {
    /// This offset (the next message delivered has it, or the first one after it); -2 is the
    /// partition's beginning and -1 its end, as in kafkajs.
    Offset(i64),
    /// The first message at or after this time (ms since the epoch); the end when none is.
    Timestamp(i64),
}

/// A seek waiting for the poll thread.
pub(crate) struct SeekRequest {
    pub tp: TopicPartition,
    pub target: SeekTarget,
    pub reply: oneshot::Sender<EngineResult<()>>,
}

/// Seeks `tp` of a running subscription: resolves once the consumer fetches from the new
/// position. `ERR_INVALID_ARG` for a partition this member does not hold or a negative target.
pub(crate) async fn seek(
    shared: &Shared,
    tp: TopicPartition,
    target: SeekTarget,
) -> EngineResult<()> {
    let valid = match target {
        SeekTarget::Offset(o) => o >= -2,
        SeekTarget::Timestamp(ts) => ts >= 0,
    };
    if !valid {
        return Err(EngineError::InvalidArg(
            "seek needs an offset >= 0 (or -2 for the beginning, -1 for the end) or a timestamp >= 0".into(),
        ));
    }
    if !shared.begin_seek(&tp) {
        return Err(not_assigned(&tp));
    }
    // The running handler call (and any retries of it) finishes first; bounded like a revoke.
    let deadline = Instant::now() + Duration::from_millis(shared.options.drain_timeout_ms);
    while shared.is_busy(&tp) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (reply, done) = oneshot::channel();
    shared.command(Command::Seek(SeekRequest { tp, target, reply }));
    done.await.unwrap_or(Err(EngineError::Disconnected))
}

/// Carries out a seek on the poll thread (after the stores queued before it).
pub(crate) fn apply<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    shared: &Shared,
    request: SeekRequest,
) {
    let SeekRequest { tp, target, reply } = request;
    let result = position(consumer, &tp, target).and_then(|offset| {
        consumer
            .seek(&tp.0, tp.1, offset, BROKER_WAIT)
            .map_err(|e| EngineError::from(e).about(&tp.0, Some(tp.1)))?;
        if let Offset::Offset(next) = offset {
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition_offset(&tp.0, tp.1, Offset::Offset(next))
                .map_err(EngineError::from)?;
            consumer.store_offsets(&tpl).map_err(EngineError::from)?;
            shared.note_stored();
            // Committing what is stored skips offsets below the committed one: a seek back is
            // committed by its own offset.
            if shared.options.auto_commit {
                if let Err(e) = consumer.commit(&tpl, CommitMode::Sync) {
                    shared.logger.log(
                        LogLevel::Warn,
                        "consumer",
                        "COMMIT",
                        &format!("commit after seek failed: {e}"),
                    );
                }
            }
        }
        Ok(())
    });
    let still_held = shared.end_seek(&tp);
    if still_held && !shared.is_user_paused() {
        // Its fetching may have been paused for a full buffer, which the seek emptied.
        let mut l = TopicPartitionList::new();
        l.add_partition(&tp.0, tp.1);
        let _ = consumer.resume(&l);
    }
    let result = match result {
        Ok(()) if !still_held => Err(not_assigned(&tp)),
        other => other,
    };
    let _ = reply.send(result);
}

/// The offset to seek to: a time is looked up on the broker.
fn position<C: ConsumerContext>(
    consumer: &BaseConsumer<C>,
    tp: &TopicPartition,
    target: SeekTarget,
) -> EngineResult<Offset> {
    match target {
        SeekTarget::Offset(-2) => Ok(Offset::Beginning),
        SeekTarget::Offset(-1) => Ok(Offset::End),
        SeekTarget::Offset(o) => Ok(Offset::Offset(o)),
        SeekTarget::Timestamp(ts) => {
            let mut query = TopicPartitionList::new();
            query
                .add_partition_offset(&tp.0, tp.1, Offset::Offset(ts))
                .map_err(EngineError::from)?;
            let found = consumer
                .offsets_for_times(query, BROKER_WAIT)
                .map_err(|e| EngineError::from(e).about(&tp.0, Some(tp.1)))?;
            let offset = found
                .find_partition(&tp.0, tp.1)
                .map(|e| e.offset())
                .unwrap_or(Offset::End);
            Ok(match offset {
                Offset::Offset(o) => Offset::Offset(o),
                _ => Offset::End,
            })
        }
    }
}

fn not_assigned(tp: &TopicPartition) -> EngineError {
    EngineError::InvalidArg(format!(
        "{}[{}] is not assigned to this subscription",
        tp.0, tp.1
    ))
}
