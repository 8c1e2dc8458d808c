//! The subscription's own thread: the only one that polls the librdkafka consumer. It keeps
//! polling while handlers are slow (partitions whose buffer is full are paused, not starved), so
//! the member never misses `max.poll.interval.ms`.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Headers, Message};
use tokio::sync::watch;

use crate::engine::consumer::commands::{
    apply_commands, commit_stored_offsets, list_of, refused_for_rebalance,
};
use crate::engine::consumer::rebalance::SubscriptionContext;
use crate::engine::consumer::reports::FetchRounds;
use crate::engine::consumer::shared::{Shared, TopicPartition};
use crate::engine::error::EngineError;
use crate::engine::logging::LogLevel;
use crate::engine::message::ConsumedMessage;

const POLL_WAIT: Duration = Duration::from_millis(50);
/// How long a stopping member polls (serving its group's rebalance) before it retries a final
/// commit the group refused while rebalancing.
const REBALANCE_POLL: Duration = Duration::from_millis(100);
const MAX_BURST: usize = 2_000;

/// Polls until the subscription stops, then drains, commits and leaves the group. Between polls
/// it waits for librdkafka to tell that a queue got something (or a worker made room), at most
/// `POLL_WAIT`, so messages are picked up as they arrive without a timed poll.
pub(crate) fn run(
    consumer: Arc<BaseConsumer<SubscriptionContext>>,
    shared: Arc<Shared>,
    done: watch::Sender<bool>,
) {
    let main_queue = MainQueue::of(&consumer);
    let mut rounds = FetchRounds::new(shared.options.reports.fetches.clone());
    let mut idle = false;
    while !shared.is_stopping() {
        apply_commands(&consumer, &shared);
        if shared.is_stopping() {
            break;
        }
        if idle {
            shared.poll_wake.wait(POLL_WAIT);
        }
        // The consumer's own queue: group events, errors, and messages of any partition that has
        // no queue of its own. Messages come in runs of one partition: each run is handed on whole.
        let mut fetched: Vec<(TopicPartition, Vec<ConsumedMessage>)> = Vec::new();
        let mut count = 0;
        while count < MAX_BURST {
            let polled = consumer.poll(Duration::ZERO);
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
                        _ => {
                            if let Some(r) = rounds.as_mut() {
                                r.count_run(&m);
                            }
                            fetched.push((
                                (m.topic().to_string(), m.partition()),
                                vec![to_consumed(&m)],
                            ))
                        }
                    }
                    count += 1;
                }
                Some(Err(e)) => on_poll_error(&shared, e),
            }
        }
        let from_main = !fetched.is_empty();
        if from_main {
            let to_pause = shared.route(fetched, true);
            if !to_pause.is_empty() {
                let _ = consumer.pause(&list_of(&to_pause));
            }
        }
        // Each partition's own queue, as far as its buffer has room.
        let (runs, more) = consumer
            .context()
            .queues
            .poll(&shared, MAX_BURST, rounds.as_mut());
        let from_partitions = !runs.is_empty();
        if from_partitions {
            shared.route(runs, false);
        }
        if let Some(r) = rounds.as_mut() {
            r.end_round();
        }
        idle =
            count < MAX_BURST && !from_main && !from_partitions && !more && !main_queue.pending();
    }
    // Released before the consumer closes: librdkafka's destroy expects no queue handle left.
    drop(main_queue);
    shutdown(consumer, &shared);
    let _ = done.send(true);
}

/// A handle on the consumer's own queue, taken once for the poll loop. It borrows the consumer,
/// so it cannot outlive it: the borrow checker makes the loop release it before the consumer is
/// handed on to close.
struct MainQueue<'c> {
    queue: *mut rdkafka::bindings::rd_kafka_queue_t,
    _consumer: PhantomData<&'c BaseConsumer<SubscriptionContext>>,
}

impl<'c> MainQueue<'c> {
    fn of(consumer: &'c BaseConsumer<SubscriptionContext>) -> Self {
        // SAFETY: the client handle is alive (`consumer` is borrowed for as long as the handle
        // lives); the handle is released in `drop`.
        let queue = unsafe {
            rdkafka::bindings::rd_kafka_queue_get_consumer(consumer.client().native_ptr())
        };
        MainQueue {
            queue,
            _consumer: PhantomData,
        }
    }

    /// Whether the queue still holds something: a poll that served a group event returns
    /// nothing, and librdkafka signals a queue only when it stops being empty.
    fn pending(&self) -> bool {
        // SAFETY: a non-null handle stays valid until `drop`.
        !self.queue.is_null() && unsafe { rdkafka::bindings::rd_kafka_queue_length(self.queue) } > 0
    }
}

impl Drop for MainQueue<'_> {
    fn drop(&mut self) {
        if !self.queue.is_null() {
            // SAFETY: taken in `of`, released once, while the consumer is still alive.
            unsafe { rdkafka::bindings::rd_kafka_queue_destroy(self.queue) }
        }
    }
}

fn shutdown(consumer: Arc<BaseConsumer<SubscriptionContext>>, shared: &Shared) {
    let drain = Duration::from_millis(shared.options.drain_timeout_ms);
    if !shared.close_partitions(None, drain) {
        shared.logger.log(
            LogLevel::Warn,
            "consumer",
            "STOP",
            "handlers still running after the drain timeout; they are abandoned",
        );
    }
    shared.abort_workers();
    shared.begin_close();
    apply_commands(&consumer, shared);
    if shared.options.auto_commit {
        commit_through_rebalance(&consumer, shared);
    }
    // The partition queues hold the consumer: without them, `close` drops its last handle.
    consumer.context().queues.clear();
    close(consumer, shared);
    shared.release_handler();
}

/// The stop's commit of what the handlers finished. A member stopped while its group rebalances
/// (under cooperative-sticky the others keep processing meanwhile, for as long as the slowest
/// member takes to rejoin) has it refused: sent behind the member's own pending JoinGroup, it
/// reaches the coordinator with the generation that join just replaced. Committing in the
/// leave's revoke is refused too, until the new generation is synced. So the rebalance is served
/// here (polled: nothing is delivered any more, and a revoke it brings commits on its own) and
/// the commit retried, until it or a revoke's commit goes through, or the close deadline passes.
fn commit_through_rebalance(consumer: &BaseConsumer<SubscriptionContext>, shared: &Shared) {
    loop {
        let e = match commit_stored_offsets(consumer, shared) {
            Ok(()) => return,
            Err(e) => e,
        };
        let left = shared.commit_timeout();
        if !refused_for_rebalance(&e) || left.is_zero() {
            shared.logger.log(
                LogLevel::Warn,
                "consumer",
                "COMMIT",
                &format!("commit failed: {e}"),
            );
            return;
        }
        shared.logger.log(
            LogLevel::Info,
            "consumer",
            "COMMIT",
            &format!("commit refused while the group rebalances ({e}): retrying after it"),
        );
        // Messages polled here are not stored: they come again to the partition's next owner.
        let until = Instant::now() + REBALANCE_POLL.min(left);
        loop {
            if !shared.has_uncommitted() {
                return;
            }
            let wait = until.saturating_duration_since(Instant::now());
            if wait.is_zero() {
                break;
            }
            let _ = consumer.poll(wait);
        }
    }
}

/// Leaves the group (a last revoke runs) and destroys the consumer, waiting at most until the
/// stop's close deadline. librdkafka's close has no bound of its own while the group coordinator
/// is unreachable (brokers gone), so it runs on a thread of its own: a close that takes longer is
/// left to finish there, bounded by librdkafka's own timeouts, and the stop does not wait for it.
fn close(consumer: Arc<BaseConsumer<SubscriptionContext>>, shared: &Shared) {
    let deadline = shared.close_deadline().unwrap_or_else(Instant::now);
    let (closed_tx, closed) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("kafka-native-close".into())
        .spawn(move || {
            drop(consumer);
            let _ = closed_tx.send(());
        });
    if spawned.is_ok()
        && closed
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_err()
    {
        shared.logger.log(
            LogLevel::Warn,
            "consumer",
            "STOP",
            "the group did not confirm the member's leave within the close timeout; closing in the background",
        );
    }
}

pub(crate) fn on_poll_error(shared: &Shared, e: KafkaError) {
    match e {
        KafkaError::MessageConsumptionFatal(_) => shared.fail(EngineError::from(e)),
        _ => shared
            .logger
            .log(LogLevel::Warn, "consumer", "CONSUME", &e.to_string()),
    }
}

pub(crate) fn to_consumed(m: &BorrowedMessage<'_>) -> ConsumedMessage {
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
