//! Moving messages along a subscription's retry ladder: republishing a message whose in-place
//! retries ran out to its next step (acknowledged before its offset is stored), and holding a
//! retry partition, paused, until its next message is due.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::engine::consumer::failure_fate::FailureFate;
use crate::engine::consumer::handler::HandlerFailure;
use crate::engine::consumer::retry_headers::{self, Failure};
use crate::engine::consumer::retry_ladder::NextStep;
use crate::engine::consumer::shared::{Command, Held, Shared, TopicPartition};
use crate::engine::consumer::trace_parent::TraceParent;
use crate::engine::error::EngineResult;
use crate::engine::logging::LogLevel;
use crate::engine::message::{ConsumedMessage, MessageBatch};

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Republishes `m`, consumed from `tp`, to its next step after `attempts` failed handler calls
/// (straight to the dead-letter topic when `failure` is not retriable), with `span`, the failed
/// call's span when the tracing recorded it, and resolves with where it went once that topic
/// acknowledged it. None when the subscription has no ladder or the ladder is
/// exhausted without a dead-letter topic: the caller stops as without one.
pub(crate) async fn forward(
    shared: &Shared,
    tp: &TopicPartition,
    m: &ConsumedMessage,
    attempts: u32,
    failure: &HandlerFailure,
    span: Option<&TraceParent>,
) -> Option<EngineResult<FailureFate>> {
    let ladder = shared.options.retry.as_ref()?;
    let producer = shared.republisher.as_ref()?;
    let now = now_ms();
    // `now` is cut to the millisecond: one more makes the delay a lower bound.
    let (topic, due_ms) = match ladder.next_for(&tp.0, failure.retriable) {
        NextStep::Retry {
            topic, delay_ms, ..
        } => (topic, Some(now.saturating_add(delay_ms as i64 + 1))),
        NextStep::DeadLetter(topic) => (topic, None),
        NextStep::Exhausted => return None,
    };
    let out = retry_headers::forwarded(
        m,
        &Failure {
            topic: &tp.0,
            partition: tp.1,
            group_id: &shared.options.group_id,
            attempts,
            code: &failure.code,
            error: &failure.message,
            now_ms: now,
            due_ms,
            span,
        },
    );
    shared.logger.log(
        LogLevel::Warn,
        "consumer",
        "RETRY",
        &format!(
            "{}[{}] offset {} failed {attempts} time(s) ({}{}): moving it to {topic}{}",
            tp.0,
            tp.1,
            m.offset,
            failure.code,
            if failure.retriable {
                ""
            } else {
                ", not retriable"
            },
            due_ms.map_or(String::new(), |d| format!(" (due in {} ms)", d - now))
        ),
    );
    let attempts = retry_headers::attempts_after(m, attempts);
    let code = failure.code.clone();
    let fate = match due_ms {
        Some(due_ms) => FailureFate::RetryTopic {
            topic: topic.clone(),
            attempts,
            due_ms,
            code,
        },
        None => FailureFate::DeadLetter {
            topic: topic.clone(),
            attempts,
            code,
        },
    };
    Some(producer.publish(&topic, &out).await.map(|_| fate))
}

/// What a worker does with a batch taken from a partition.
pub(crate) enum Admit {
    /// Deliver these messages now.
    Deliver(MessageBatch),
    /// Nothing of the batch is for this group: its offsets are stored, nothing to deliver.
    Skip,
    /// The first message is not due before this time (ms since the epoch); the batch is back in
    /// the partition's buffer.
    NotYet(i64),
}

/// Lets through what may be delivered now. Only retry topics hold anything back: messages
/// another group failed (a retry topic shared by several groups) are dropped, and messages from
/// the first one not yet due on go back to the buffer.
pub(crate) fn admit(shared: &Shared, tp: &Held, batch: MessageBatch) -> Admit {
    let Some(ladder) = shared.options.retry.as_ref() else {
        return Admit::Deliver(batch);
    };
    if ladder.step_of(&tp.0).is_none() {
        return Admit::Deliver(batch);
    }
    let group = shared.options.group_id.as_str();
    let last_offset = batch.last_offset();
    let MessageBatch {
        topic,
        partition,
        messages,
        assignment,
    } = batch;
    let mut mine: Vec<ConsumedMessage> = messages
        .into_iter()
        .filter(|m| retry_headers::text(m, retry_headers::GROUP).is_none_or(|g| g == group))
        .collect();
    let now = now_ms();
    let due = |m: &ConsumedMessage| retry_headers::number(m, retry_headers::DUE).unwrap_or(0);
    let ready = mine.iter().take_while(|m| due(m) <= now).count();
    if ready < mine.len() {
        let first_due = due(&mine[ready]);
        shared.requeue_front(tp, mine.split_off(ready));
        if mine.is_empty() {
            return Admit::NotYet(first_due);
        }
    } else if mine.is_empty() {
        if let Some(last) = last_offset {
            shared.command(Command::Store(tp.tp.clone(), last + 1));
        }
        return Admit::Skip;
    }
    Admit::Deliver(MessageBatch {
        topic,
        partition,
        messages: mine,
        assignment,
    })
}

/// Pauses fetching from the partition and waits on a tokio timer until `due_ms`, or until the
/// partition closes; then resumes fetching (unless the user paused the subscription or its buffer
/// is full). Other partitions go on meanwhile: this holds no handler slot.
pub(crate) async fn wait_until_due(shared: &Shared, tp: &Held, due_ms: i64) {
    shared.command(Command::Pause(tp.tp.clone()));
    let wait = Duration::from_millis(due_ms.saturating_sub(now_ms()).max(0) as u64);
    let deadline = tokio::time::Instant::now() + wait;
    let Some(wake) = shared.wake_of(tp) else {
        return;
    };
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => break,
            _ = wake.notified() => {
                if shared.is_closed(tp) {
                    return;
                }
            }
        }
    }
    if !shared.is_user_paused() && !shared.is_throttled(tp) {
        shared.command(Command::Resume(tp.tp.clone()));
    }
}
