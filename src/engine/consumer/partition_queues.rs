//! Each assigned partition's own librdkafka queue. librdkafka bounds prefetching per queue
//! (`queued.min.messages`, `queued.max.messages.kbytes`), so a partition whose buffer is full is
//! simply not polled: its fetching stops by itself, and what it prefetched stays queued. Pausing
//! it instead would make librdkafka drop everything it prefetched and fetch it again on resume.

use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use rdkafka::consumer::base_consumer::PartitionQueue;
use rdkafka::consumer::BaseConsumer;

use crate::engine::consumer::poll_wake::PollWake;
use crate::engine::consumer::queue_batch::{QueueBatch, RawMessage};
use crate::engine::consumer::rebalance::SubscriptionContext;
use crate::engine::consumer::reports::FetchRounds;
use crate::engine::consumer::shared::{Shared, TopicPartition};
use crate::engine::message::ConsumedMessage;

type Consumer = BaseConsumer<SubscriptionContext>;

/// The partition queues of a subscription's consumer, split off as partitions are assigned.
#[derive(Default)]
pub(crate) struct PartitionQueues {
    consumer: OnceLock<Weak<Consumer>>,
    queues: Mutex<HashMap<TopicPartition, SplitQueue>>,
}

/// A partition's own queue: rust-rdkafka's handle (its wake-up callback, and the consumer it
/// holds) and ours that takes many messages per call. Fields drop in order: ours first, while the
/// consumer is still held.
struct SplitQueue {
    batch: QueueBatch,
    /// Kept for its wake-up callback and the consumer it holds; polled through `batch`.
    _queue: PartitionQueue<SubscriptionContext>,
}

impl PartitionQueues {
    /// The consumer the queues are split from (set once, right after it is created).
    pub fn attach(&self, consumer: &Arc<Consumer>) {
        let _ = self.consumer.set(Arc::downgrade(consumer));
    }

    /// Gives each partition its own queue, before it is assigned (so none of its messages reach
    /// the consumer's queue); each wakes the poll thread when something arrives. A partition whose
    /// queue cannot be split keeps to the consumer's queue.
    pub fn split(&self, tps: &[TopicPartition], wake: &Arc<PollWake>) {
        let Some(consumer) = self.consumer.get().and_then(Weak::upgrade) else {
            return;
        };
        let mut queues = self.lock();
        for (topic, partition) in tps {
            if queues.contains_key(&(topic.clone(), *partition)) {
                continue;
            }
            // Our handle first: split without it, the partition's messages could not be taken.
            let Some(batch) = QueueBatch::of(&consumer, topic, *partition) else {
                continue;
            };
            if let Some(mut queue) = consumer.split_partition_queue(topic, *partition) {
                let wake = wake.clone();
                queue.set_nonempty_callback(move || wake.wake());
                queues.insert(
                    (topic.clone(), *partition),
                    SplitQueue {
                        batch,
                        _queue: queue,
                    },
                );
            }
        }
    }

    /// Forgets the queues of revoked partitions.
    pub fn remove(&self, tps: &[TopicPartition]) {
        let mut queues = self.lock();
        for tp in tps {
            queues.remove(tp);
        }
    }

    /// Forgets every queue (they hold the consumer, which must be dropped to close).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Polls each partition's queue for as many messages as its buffer has room for, at most
    /// `burst` each, without waiting. Returns the runs polled and whether any queue may hold more.
    pub fn poll(
        &self,
        shared: &Shared,
        burst: usize,
        mut rounds: Option<&mut FetchRounds>,
    ) -> (Vec<(TopicPartition, Vec<ConsumedMessage>)>, bool) {
        let mut queues = self.lock();
        let mut fetched = Vec::new();
        let mut more = false;
        for (tp, split) in queues.iter_mut() {
            let room = shared.room(tp).min(burst);
            let mut run = Vec::with_capacity(split.batch.len().min(room));
            let mut own_topic = std::ptr::null();
            split.batch.pop(room, |popped| match popped {
                Ok(m) if is_of(&m, tp, &mut own_topic) => {
                    if let (true, Some(r)) = (run.is_empty(), rounds.as_deref_mut()) {
                        r.count_run_from(m.broker());
                    }
                    run.push(m.to_consumed())
                }
                // Not expected from a partition's queue; handed on under its own partition.
                Ok(m) => {
                    if let Some(r) = rounds.as_deref_mut() {
                        r.count_run_from(m.broker());
                    }
                    fetched.push((
                        (m.topic().to_string(), m.partition()),
                        vec![m.to_consumed()],
                    ))
                }
                Err(e) => crate::engine::consumer::poll_loop::on_poll_error(shared, e),
            });
            if run.len() == room && room > 0 {
                more = true;
            }
            if !run.is_empty() {
                fetched.push((tp.clone(), run));
            }
        }
        (fetched, more)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TopicPartition, SplitQueue>> {
        self.queues.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Whether `m` is of partition `tp`: its topic's name is compared once, then its topic handle
/// (`own_topic`, null until a message matched).
fn is_of(m: &RawMessage<'_>, tp: &TopicPartition, own_topic: &mut *const c_void) -> bool {
    if m.partition() != tp.1 {
        return false;
    }
    if !own_topic.is_null() && m.topic_handle() == *own_topic {
        return true;
    }
    let is = m.topic() == tp.0;
    if is {
        *own_topic = m.topic_handle();
    }
    is
}
