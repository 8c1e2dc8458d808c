//! The service's producer: queues messages into librdkafka without waiting, and settles each
//! publish from its delivery report the moment librdkafka reports it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::message::Message;
use rdkafka::producer::{DeliveryResult, Producer as _, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::util::Timeout;
use tokio::sync::oneshot;

use crate::engine::ack_runs::AckRuns;
use crate::engine::adaptive_linger::AdaptiveLinger;
use crate::engine::catalogs::PartitionStrategy;
use crate::engine::client_events::{forward_client_events, ClientEvents};
use crate::engine::config::ServiceConfig;
use crate::engine::connection::is_refusal;
use crate::engine::delivery_opaque::{run_deliveries, Delivery, DeliveryParts, PendingDelivery};
use crate::engine::enqueue_lane::EnqueueLane;
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::keying::{message_key, TemplateStrategies};
use crate::engine::latency::BucketRun;
use crate::engine::logging::Logger;
use crate::engine::message::{validate_topic, DeliveryReport, OutgoingMessage};
use crate::engine::metrics::librdkafka::ClientQueues;
use crate::engine::metrics::topic_tally::TopicTally;
use crate::engine::produce_run::{produce_run, RunMessage};
use crate::engine::stats::{BrokerSnapshot, ProducerStats};
use crate::engine::topic_handle::{produce, Produce, TopicHandle};

/// The producer client's context: delivery reports, logs, statistics, and failing queued
/// messages fast when the cluster refuses the client's credentials or certificates.
pub struct ProducerContext {
    events: ClientEvents,
    stats: Arc<ProducerStats>,
    /// The client's handle, set once it exists (callbacks run only while it does).
    handle: AtomicPtr<rdkafka::bindings::rd_kafka_t>,
}

forward_client_events!(ProducerContext, after_error = purge_if_refused);

impl ProducerContext {
    /// Authentication and TLS failures do not pass with retries: the messages waiting for a
    /// connection are purged, and their delivery reports carry that failure (see `delivery`),
    /// instead of each publish waiting `messageTimeoutMs` for `ERR__MSG_TIMED_OUT`. Messages
    /// already sent are left to their acknowledgements.
    fn purge_if_refused(&self, code: Option<RDKafkaErrorCode>) {
        let rk = self.handle.load(Ordering::Acquire);
        if code.is_some_and(is_refusal) && !rk.is_null() {
            let flags = rdkafka::bindings::RD_KAFKA_PURGE_F_QUEUE
                | rdkafka::bindings::RD_KAFKA_PURGE_F_NON_BLOCKING;
            // SAFETY: the handle is the live client whose callback this is.
            unsafe { rdkafka::bindings::rd_kafka_purge(rk, flags) };
        }
    }
}

impl rdkafka::producer::ProducerContext for ProducerContext {
    type DeliveryOpaque = Delivery;

    fn delivery(&self, result: &DeliveryResult<'_>, delivery: Delivery) {
        let DeliveryParts {
            collector,
            index,
            topic,
            event_type,
        } = delivery.parts();
        let outcome = match result {
            Ok(m) => {
                self.stats.on_settled(topic, true);
                let report = DeliveryReport {
                    topic: topic.name().clone(),
                    partition: m.partition(),
                    offset: m.offset(),
                    timestamp: m.timestamp().to_millis(),
                };
                let elapsed = collector.started.elapsed();
                match &collector.acks {
                    Some(runs) => runs.add(topic, event_type, elapsed),
                    None => self
                        .stats
                        .on_acknowledged(topic, event_type, &BucketRun::one(elapsed)),
                }
                Ok(report)
            }
            Err((e, m)) => {
                self.stats.on_settled(topic, false);
                let partition = (m.partition() >= 0).then_some(m.partition());
                // Purged or timed out while the cluster refused the client: say why.
                let refused = matches!(
                    e.rdkafka_error_code(),
                    Some(RDKafkaErrorCode::PurgeQueue | RDKafkaErrorCode::MessageTimedOut)
                )
                .then(|| self.events.connection().refused_since(collector.started))
                .flatten();
                let error = refused
                    .unwrap_or_else(|| EngineError::from(e.clone()))
                    .about(m.topic(), partition);
                self.stats
                    .figures
                    .on_delivery(topic, event_type, Err(&error.code()));
                Err(error)
            }
        };
        collector.settle(index, outcome);
    }
}

/// Every outcome of a batch, in order.
pub type BatchOutcome = Vec<EngineResult<DeliveryReport>>;

/// How a batch's messages without a key get one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keying {
    /// They stay unkeyed (the engine's own sends, and messages keyed before they were encoded).
    AsGiven,
    /// By the named strategy, else by their topic's template (see `engine::keying`).
    Strategy(Option<PartitionStrategy>),
}

/// What happens when a batch's last outcome arrives.
enum Completion {
    /// Wake an async waiter.
    Wake(oneshot::Sender<()>),
    /// Hand the outcomes to a callback, on the thread that delivered the last report.
    Call(Box<dyn FnOnce(BatchOutcome) + Send>),
}

/// Where each message's outcome goes as it arrives, for messages settled one by one (see
/// `Producer::send_each`): its index in the call, and its outcome.
pub type EachOutcome = Box<dyn Fn(usize, EngineResult<DeliveryReport>) + Send + Sync>;

/// Collects the outcomes of one batch and completes it when the last one arrives (or, with
/// `each`, hands each outcome on as it arrives).
pub struct BatchCollector {
    /// When the batch was published: each message's acknowledgement latency counts from here.
    started: Instant,
    /// Empty with `each`.
    slots: Mutex<Vec<Option<EngineResult<DeliveryReport>>>>,
    each: Option<EachOutcome>,
    /// Where the acknowledgements' latencies gather until recorded; `None` with `each`, whose
    /// outcomes are seen one by one, so each is recorded as it arrives.
    acks: Option<AckRuns>,
    remaining: AtomicUsize,
    completion: Mutex<Option<Completion>>,
}

impl BatchCollector {
    /// A collector for `n` messages, recording their acknowledgements into `stats`; `wait` or
    /// `on_complete` says what completes it.
    pub(crate) fn new(n: usize, stats: Arc<ProducerStats>) -> Self {
        let acks = AckRuns::new(stats);
        Self::with(n, (0..n).map(|_| None).collect(), None, Some(acks))
    }

    /// A collector for `n` messages that hands each outcome to `each` as it arrives.
    fn each(n: usize, each: EachOutcome) -> Self {
        Self::with(n, Vec::new(), Some(each), None)
    }

    fn with(
        n: usize,
        slots: Vec<Option<EngineResult<DeliveryReport>>>,
        each: Option<EachOutcome>,
        acks: Option<AckRuns>,
    ) -> Self {
        BatchCollector {
            started: Instant::now(),
            slots: Mutex::new(slots),
            each,
            acks,
            // One extra count, released once every message is queued, so a batch cannot complete
            // while it is still being handed to librdkafka.
            remaining: AtomicUsize::new(n + 1),
            completion: Mutex::new(None),
        }
    }

    fn settle(&self, index: usize, outcome: EngineResult<DeliveryReport>) {
        if let Some(each) = &self.each {
            each(index, outcome);
        } else if let Ok(mut slots) = self.slots.lock() {
            slots[index] = Some(outcome);
        }
        self.count_down();
    }

    fn count_down(&self) {
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.complete();
        }
    }

    fn take_outcomes(&self) -> BatchOutcome {
        let slots = self
            .slots
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default();
        slots
            .into_iter()
            .map(|s| s.unwrap_or_else(|| Err(EngineError::from_code(RDKafkaErrorCode::Fail))))
            .collect()
    }

    fn complete(&self) {
        // Before the batch's outcomes can be seen: a settled publish is in `stats()`.
        if let Some(runs) = &self.acks {
            runs.flush();
        }
        match self.completion.lock().ok().and_then(|mut c| c.take()) {
            Some(Completion::Wake(tx)) => {
                let _ = tx.send(());
            }
            Some(Completion::Call(f)) => f(self.take_outcomes()),
            None => {}
        }
    }
}

/// Messages that met a full librdkafka queue; they are queued again from the async side.
struct Deferred {
    index: usize,
    topic: Arc<TopicTally>,
    message: OutgoingMessage<Vec<u8>>,
}

/// A batch handed to librdkafka. `wait()` resolves with one outcome per message, in order;
/// `on_complete()` calls back instead, without a task or a Promise per batch.
#[must_use = "a batch's outcomes are only known by waiting for them"]
pub struct BatchDelivery {
    producer: Arc<Producer>,
    collector: Arc<BatchCollector>,
    deferred: Vec<Deferred>,
}

impl BatchDelivery {
    /// Queues again what met a full queue, then lets the batch complete.
    async fn finish_queueing(&mut self) {
        for d in std::mem::take(&mut self.deferred) {
            self.producer.enqueue_when_room(d, &self.collector).await;
        }
        self.collector.count_down();
    }

    /// Waits for every message's delivery report (each bounded by `messageTimeoutMs`).
    pub async fn wait(mut self) -> BatchOutcome {
        // Installed before the extra count is released, so the completion cannot be missed.
        let (tx, done) = oneshot::channel();
        if let Ok(mut c) = self.collector.completion.lock() {
            *c = Some(Completion::Wake(tx));
        }
        self.finish_queueing().await;
        let _ = done.await;
        self.collector.take_outcomes()
    }

    /// Queues again what met a full queue (from a task of the current tokio runtime; without
    /// one they fail with `ERR__QUEUE_FULL`), then releases the batch's extra count. Installs no
    /// completion: `on_complete` does, and the lane's half of a batch whose `BatchDelivery` the
    /// caller holds (`Producer::in_lane`) needs none.
    fn release(mut self) {
        if self.deferred.is_empty() {
            self.collector.count_down();
            return;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move { self.finish_queueing().await });
            }
            Err(_) => self.fail_deferred(),
        }
    }

    /// Fails what met a full queue with `ERR__QUEUE_FULL` (no runtime to queue it again from),
    /// then releases the batch's extra count.
    fn fail_deferred(&mut self) {
        for d in std::mem::take(&mut self.deferred) {
            let e = EngineError::from_code(RDKafkaErrorCode::QueueFull)
                .about(d.topic.name(), d.message.partition);
            self.collector.settle(d.index, Err(e));
        }
        self.collector.count_down();
    }

    /// Lets a batch of `Producer::send_each` settle: its outcomes already go one by one to its
    /// callback. Messages that met a full queue are queued again as `on_complete` does.
    pub fn finish(self) {
        self.on_complete(|_| {});
    }

    /// Calls `f` with every outcome once the last delivery report arrived, on the thread that
    /// delivered it. Messages that met a full queue are queued again from a task of the current
    /// tokio runtime; without one they fail with `ERR__QUEUE_FULL`.
    pub fn on_complete(self, f: impl FnOnce(BatchOutcome) + Send + 'static) {
        if let Ok(mut c) = self.collector.completion.lock() {
            *c = Some(Completion::Call(Box::new(f)));
        }
        self.release();
    }
}

/// What a job of `Producer::send_later` sends with: its batch's slots, queued when it calls
/// `slots`.
pub struct LaneSend {
    producer: Arc<Producer>,
    collector: Arc<BatchCollector>,
    /// The batch's slots.
    count: usize,
    keying: Option<Option<PartitionStrategy>>,
}

/// A lane job's queued batch (what `LaneSend::slots` returns).
#[must_use = "a lane job returns what it queued"]
pub struct LaneSent(BatchDelivery);

impl LaneSend {
    /// Queues the batch's slots, one per slot `send_later` was given (a missing one fails with
    /// `ERR__FAIL`, an extra one is not sent).
    pub fn slots<'a, B: AsRef<[u8]> + 'a>(
        self,
        slots: impl ExactSizeIterator<Item = EngineResult<(&'a str, &'a OutgoingMessage<B>)>>,
    ) -> LaneSent {
        let LaneSend {
            producer,
            collector,
            count: expected,
            keying,
        } = self;
        let given = slots.len();
        let delivery = producer.send_now(collector.clone(), slots.take(expected), keying);
        for index in given..expected {
            collector.settle(index, Err(EngineError::from_code(RDKafkaErrorCode::Fail)));
        }
        LaneSent(delivery)
    }
}

/// The librdkafka producer of a service.
pub struct Producer {
    /// A handle per topic sent to, kept for the producer's life. Declared before `inner`: dropped
    /// before the client they were made from.
    handles: Mutex<HashMap<Arc<str>, Arc<TopicHandle>>>,
    inner: ThreadedProducer<ProducerContext>,
    stats: Arc<ProducerStats>,
    message_timeout: Duration,
    key_templates: TemplateStrategies,
    /// Sends queued away from their caller's thread (`send_later`), and every send after them
    /// while any waits.
    lane: EnqueueLane,
    /// Holds a small send for others at a steady pace; `None` when the configuration turns it
    /// off (`ServiceConfig::adaptive_linger`).
    linger: Option<AdaptiveLinger>,
}

impl Producer {
    /// Creates the producer; librdkafka checks the configuration here.
    pub fn new(config: &ServiceConfig, logger: Logger) -> EngineResult<Arc<Self>> {
        let stats = Arc::new(ProducerStats::default());
        let context = ProducerContext {
            events: ClientEvents::new(logger, "producer", None),
            stats: stats.clone(),
            handle: AtomicPtr::new(std::ptr::null_mut()),
        };
        let inner: ThreadedProducer<ProducerContext> =
            config.producer_config().create_with_context(context)?;
        inner
            .context()
            .handle
            .store(inner.client().native_ptr(), Ordering::Release);
        Ok(Arc::new(Producer {
            handles: Mutex::new(HashMap::new()),
            inner,
            stats,
            message_timeout: Duration::from_millis(config.producer.message_timeout_ms as u64),
            key_templates: config.key_templates.clone(),
            lane: EnqueueLane::default(),
            linger: config.adaptive_linger().map(AdaptiveLinger::new),
        }))
    }

    /// The producer's counters.
    pub fn stats(&self) -> &Arc<ProducerStats> {
        &self.stats
    }

    /// Brokers as of the latest statistics.
    pub fn brokers(&self) -> Vec<BrokerSnapshot> {
        self.inner.context().events.brokers()
    }

    /// Queue figures as of the producer's latest statistics.
    pub fn queues(&self) -> Option<ClientQueues> {
        self.inner.context().events.queues()
    }

    /// What the producer's connection attempts ran into.
    pub fn connection(&self) -> &crate::engine::connection::ConnectionWatch {
        self.inner.context().events.connection()
    }

    /// Calls the adaptive linger held so far (`engine::adaptive_linger`).
    pub fn lingered(&self) -> u64 {
        self.linger.as_ref().map_or(0, AdaptiveLinger::held)
    }

    /// The librdkafka producer, for the transactional calls (`engine::transaction`).
    pub(crate) fn rdkafka(&self) -> &ThreadedProducer<ProducerContext> {
        &self.inner
    }

    /// The underlying librdkafka client, for metadata and admin calls.
    pub fn client(&self) -> &rdkafka::client::Client<ProducerContext> {
        self.inner.client()
    }

    /// Queues every message without waiting. A message that fails before it is queued (bad
    /// topic, too large, unknown partition) gets its error in its own slot; one that meets a full
    /// queue is copied and queued again by `wait()`. Keys stay as they are: the engine's own
    /// sends (retry ladder, replay) use this; publishes use `send_keyed`.
    pub fn send_batch<'a, B: AsRef<[u8]> + 'a>(
        self: &Arc<Self>,
        records: impl ExactSizeIterator<Item = (&'a str, &'a OutgoingMessage<B>)>,
    ) -> BatchDelivery {
        self.send(records.map(Ok), None)
    }

    /// `send_batch` for publishes: a message without a key gets the key of the partition
    /// strategy `named`, else of its topic's template (see `engine::keying`); one whose strategy
    /// finds no key field fails in its own slot with `ERR_INVALID_ARG`.
    pub fn send_keyed<'a, B: AsRef<[u8]> + 'a>(
        self: &Arc<Self>,
        records: impl ExactSizeIterator<Item = (&'a str, &'a OutgoingMessage<B>)>,
        named: Option<PartitionStrategy>,
    ) -> BatchDelivery {
        self.send_slots(records.map(Ok), Keying::Strategy(named))
    }

    /// A batch whose slots may have been refused before sending (a message that could not be
    /// read or encoded): each `Err` is its slot's outcome as it stands and the other slots are
    /// sent as `send_batch` (`Keying::AsGiven`) or `send_keyed` (`Keying::Strategy`) send them,
    /// so the outcomes still come one per slot, in order.
    pub fn send_slots<'a, B: AsRef<[u8]> + 'a>(
        self: &Arc<Self>,
        slots: impl ExactSizeIterator<Item = EngineResult<(&'a str, &'a OutgoingMessage<B>)>>,
        keying: Keying,
    ) -> BatchDelivery {
        self.send(slots, self.keying(keying))
    }

    /// How the sends of a `keying` call key their messages: `None` as given, `Some(strategy)`
    /// (the named one or the topic's) where a strategy or a topic template applies.
    fn keying(&self, keying: Keying) -> Option<Option<PartitionStrategy>> {
        match keying {
            Keying::AsGiven => None,
            Keying::Strategy(named) => self.key_templates.applies(named).then_some(named),
        }
    }

    /// The strategy that keys an unkeyed publish to `topic` (see `send_keyed`).
    pub fn strategy_for(
        &self,
        topic: &str,
        named: Option<PartitionStrategy>,
    ) -> Option<PartitionStrategy> {
        self.key_templates.for_publish(topic, named)
    }

    /// `send_keyed` for messages that are separate publishes (the single publishes of one
    /// event-loop turn): each outcome goes to `each` with the message's index as its delivery
    /// report arrives, not once the last one has; a refused slot at once, with its error. The
    /// call's messages share one collector, and its topic is checked and found once per run of
    /// messages to it. Call `BatchDelivery::finish` on the result.
    pub fn send_each<'a, B: AsRef<[u8]> + 'a>(
        self: &Arc<Self>,
        slots: impl ExactSizeIterator<Item = EngineResult<(&'a str, &'a OutgoingMessage<B>)>>,
        each: EachOutcome,
    ) -> BatchDelivery {
        let collector = Arc::new(BatchCollector::each(slots.len(), each));
        self.send_to(collector, slots, self.keying(Keying::Strategy(None)))
    }

    /// `keying`: `None` leaves keys alone, `Some(named)` keys unkeyed messages. A refused slot
    /// is settled with its error at once.
    fn send<'a, B: AsRef<[u8]> + 'a>(
        self: &Arc<Self>,
        slots: impl ExactSizeIterator<Item = EngineResult<(&'a str, &'a OutgoingMessage<B>)>>,
        keying: Option<Option<PartitionStrategy>>,
    ) -> BatchDelivery {
        let collector = Arc::new(BatchCollector::new(slots.len(), self.stats.clone()));
        self.send_to(collector, slots, keying)
    }

    /// `send` into `collector`: at once, or copied and queued in the lane: behind what waits
    /// there while it is busy, or, at a steady pace, to wait there for the sends after it (the
    /// adaptive linger).
    fn send_to<'a, B: AsRef<[u8]> + 'a>(
        self: &Arc<Self>,
        collector: Arc<BatchCollector>,
        slots: impl ExactSizeIterator<Item = EngineResult<(&'a str, &'a OutgoingMessage<B>)>>,
        keying: Option<Option<PartitionStrategy>>,
    ) -> BatchDelivery {
        let busy = self.lane.busy();
        let not_before = self
            .linger
            .as_ref()
            .and_then(|l| l.hold(slots.len(), self.stats.in_flight(), busy, Instant::now()));
        if !busy && not_before.is_none() {
            return self.send_now(collector, slots, keying);
        }
        let owned: Vec<EngineResult<(String, OutgoingMessage<Vec<u8>>)>> = slots
            .map(|s| s.map(|(t, m)| (t.to_owned(), m.to_owned_bytes())))
            .collect();
        self.in_lane(collector, owned.len(), keying, not_before, move |send| {
            send.slots(owned.iter().map(|s| {
                s.as_ref()
                    .map(|(t, m)| (t.as_str(), m))
                    .map_err(Clone::clone)
            }))
        })
    }

    /// `send_slots` with its queueing done on the producer's lane, after every send before it,
    /// away from the caller's thread: `job` is handed a `LaneSend` for exactly `count` slots,
    /// and its sends keep their order with every send made after this call. For a large batch
    /// whose bytes the caller can hand over (`job` owns them).
    pub fn send_later(
        self: &Arc<Self>,
        count: usize,
        keying: Keying,
        job: impl FnOnce(LaneSend) -> LaneSent + Send + 'static,
    ) -> BatchDelivery {
        let collector = Arc::new(BatchCollector::new(count, self.stats.clone()));
        self.in_lane(collector, count, self.keying(keying), None, job)
    }

    /// Pushes `job` into the lane for `collector`'s `count` slots, to run no sooner than
    /// `not_before`; the `BatchDelivery` returned settles them as the job's sends are reported.
    fn in_lane(
        self: &Arc<Self>,
        collector: Arc<BatchCollector>,
        count: usize,
        keying: Option<Option<PartitionStrategy>>,
        not_before: Option<Instant>,
        job: impl FnOnce(LaneSend) -> LaneSent + Send + 'static,
    ) -> BatchDelivery {
        // A second extra count, released once the job queued every message (`LaneSent`).
        collector.remaining.fetch_add(1, Ordering::AcqRel);
        let send = LaneSend {
            producer: self.clone(),
            collector: collector.clone(),
            count,
            keying,
        };
        self.lane.push_at(
            not_before,
            Box::new(move || {
                let LaneSent(delivery) = job(send);
                delivery.release();
            }),
        );
        BatchDelivery {
            producer: self.clone(),
            collector,
            deferred: Vec::new(),
        }
    }

    /// Queues every slot into `collector` now. Plain messages (no headers, timestamp or
    /// partition of their own) are gathered into runs of one topic, each queued in one
    /// librdkafka call (`produce_run`); any other message first queues the run before it, so the
    /// batch keeps its order.
    fn send_now<'a, B: AsRef<[u8]> + 'a>(
        self: &Arc<Self>,
        collector: Arc<BatchCollector>,
        slots: impl ExactSizeIterator<Item = EngineResult<(&'a str, &'a OutgoingMessage<B>)>>,
        keying: Option<Option<PartitionStrategy>>,
    ) -> BatchDelivery {
        let mut deferred = Vec::new();
        let mut topics = TopicRun {
            producer: self,
            last: None,
            last_given: "",
        };
        let mut run: Option<PlainRun<'a, B>> = None;
        for (index, slot) in slots.enumerate() {
            let (topic, message) = match slot {
                Ok(record) => record,
                Err(e) => {
                    collector.settle(index, Err(e));
                    continue;
                }
            };
            let derived = topics.get(topic).and_then(|sent_to| {
                message.validate()?;
                match keying {
                    Some(named) if message.key.is_none() => self
                        .strategy_for(topic, named)
                        .map_or(Ok(None), |s| message_key(s, message))
                        .map(|key| (sent_to, key)),
                    _ => Ok((sent_to, None)),
                }
            });
            let (sent_to, derived) = match derived {
                Ok(k) => k,
                Err(e) => {
                    collector.settle(index, Err(e.about(topic, message.partition)));
                    continue;
                }
            };
            if message.is_plain() {
                if run
                    .as_ref()
                    .is_some_and(|r| !Arc::ptr_eq(&r.topic.tally, &sent_to.tally))
                {
                    self.queue_run(run.take(), &collector, &mut deferred);
                }
                run.get_or_insert_with(|| PlainRun {
                    topic: sent_to.clone(),
                    entries: Vec::new(),
                })
                .entries
                .push(RunEntry {
                    index,
                    message,
                    derived,
                });
                continue;
            }
            self.queue_run(run.take(), &collector, &mut deferred);
            let key = sent_key(derived.as_deref(), message);
            let queued = self.enqueue(sent_to, message, key, index, &collector);
            if let Err(e) = queued {
                let refused = Refused {
                    index,
                    topic: sent_to,
                    message,
                    derived,
                };
                self.on_refused(refused, e, &collector, &mut deferred);
            }
        }
        self.queue_run(run, &collector, &mut deferred);
        BatchDelivery {
            producer: self.clone(),
            collector,
            deferred,
        }
    }

    /// Queues a run of plain messages in one librdkafka call (see `produce_run`).
    fn queue_run<'a, B: AsRef<[u8]> + 'a>(
        &self,
        run: Option<PlainRun<'a, B>>,
        collector: &Arc<BatchCollector>,
        deferred: &mut Vec<Deferred>,
    ) {
        let Some(run) = run else {
            return;
        };
        let tally = &run.topic.tally;
        let bytes = run.entries.iter().map(RunEntry::size).sum();
        // Counted before librdkafka has the messages (see `enqueue`).
        self.stats.on_sent(tally, run.entries.len(), bytes);
        // A plain message has no event type: it is set from a header.
        let deliveries = run_deliveries(collector, tally, run.entries.iter().map(|e| e.index));
        let messages = run
            .entries
            .iter()
            .zip(deliveries)
            .map(|(e, opaque)| RunMessage {
                key: sent_key(e.derived.as_deref(), e.message),
                value: e.message.value.as_ref().map(AsRef::as_ref),
                opaque,
            });
        // SAFETY: the handle is this producer's, whose delivery reports take the `Delivery`
        // back (`ProducerContext::delivery`).
        let refused = unsafe { produce_run(&run.topic.handle, messages) };
        if refused.is_empty() {
            return;
        }
        // `refused` is in the run's order.
        let mut refused = refused.into_iter().peekable();
        for (position, entry) in run.entries.into_iter().enumerate() {
            if refused.peek().is_none() {
                break;
            }
            let Some((_, e)) = refused.next_if(|(p, _)| *p == position) else {
                continue;
            };
            self.stats.on_not_sent(tally, entry.size());
            let refused = Refused {
                index: entry.index,
                topic: &run.topic,
                message: entry.message,
                derived: entry.derived,
            };
            self.on_refused(refused, e, collector, deferred);
        }
    }

    /// A message librdkafka refused as it was queued: one that met a full queue is copied to be
    /// queued again (`BatchDelivery::wait` / `on_complete`); any other fails in its slot.
    fn on_refused<B: AsRef<[u8]>>(
        &self,
        refused: Refused<'_, '_, B>,
        e: EngineError,
        collector: &Arc<BatchCollector>,
        deferred: &mut Vec<Deferred>,
    ) {
        let Refused {
            index,
            topic,
            message,
            derived,
        } = refused;
        if is_queue_full(&e) {
            let mut message = message.to_owned_bytes();
            if derived.is_some() {
                message.key = derived;
            }
            deferred.push(Deferred {
                index,
                topic: topic.tally.clone(),
                message,
            });
            return;
        }
        let figures = &self.stats.figures;
        let event_type = figures.event_types.of(&message.headers);
        figures.on_delivery(&topic.tally, event_type.as_ref(), Err(&e.code()));
        collector.settle(index, Err(e.about(topic.tally.name(), message.partition)))
    }

    /// Publishes one message and waits for its delivery report.
    pub async fn publish<B: AsRef<[u8]>>(
        self: &Arc<Self>,
        topic: &str,
        message: &OutgoingMessage<B>,
    ) -> EngineResult<DeliveryReport> {
        let delivery = self.send_batch(std::iter::once((topic, message)));
        delivery
            .wait()
            .await
            .pop()
            .unwrap_or_else(|| Err(EngineError::from_code(RDKafkaErrorCode::Fail)))
    }

    /// `key`: the message's key, or the one its partition strategy gave it.
    fn enqueue<B: AsRef<[u8]>>(
        &self,
        topic: &SendTopic,
        message: &OutgoingMessage<B>,
        key: Option<&[u8]>,
        index: usize,
        collector: &Arc<BatchCollector>,
    ) -> EngineResult<()> {
        let tally = &topic.tally;
        // The type the delivery callback takes back from librdkafka (`produce` hands it over).
        let pending: <ProducerContext as rdkafka::producer::ProducerContext>::DeliveryOpaque =
            Delivery::Alone(Box::new(PendingDelivery {
                collector: collector.clone(),
                index,
                topic: tally.clone(),
                event_type: self.stats.figures.event_types.of(&message.headers),
            }));
        let record = Produce {
            partition: message.partition,
            key,
            value: message.value.as_ref().map(AsRef::as_ref),
            timestamp: message.timestamp,
            headers: &message.headers,
        };
        // Counted before librdkafka has the message: its delivery report, on librdkafka's thread,
        // may be counted (and the publish settled) before `send` returns here.
        let size = sent_size(message, key);
        self.stats.on_sent(tally, 1, size);
        let rk = self.inner.client().native_ptr();
        // SAFETY: `rk` is this producer's live client, which made `topic.handle`; its delivery
        // reports take the `Delivery` back (`ProducerContext::delivery`).
        let queued = unsafe { produce(rk, &topic.handle, &record, pending) };
        if queued.is_err() {
            self.stats.on_not_sent(tally, size);
        }
        queued
    }

    /// The handle of `topic` (a valid name), made on its first message.
    fn handle(&self, topic: &str) -> EngineResult<Arc<TopicHandle>> {
        let mut handles = self.handles.lock().map_err(|_| {
            EngineError::InvalidArg("the producer's topic handles are poisoned".into())
        })?;
        if let Some(h) = handles.get(topic) {
            return Ok(h.clone());
        }
        // SAFETY: the client outlives its handles (`handles` is dropped before `inner`).
        let h = Arc::new(unsafe { TopicHandle::new(self.inner.client().native_ptr(), topic)? });
        handles.insert(Arc::from(topic), h.clone());
        Ok(h)
    }

    async fn enqueue_when_room(&self, d: Deferred, collector: &Arc<BatchCollector>) {
        let deadline = Instant::now() + self.message_timeout;
        let topic = self.handle(d.topic.name()).map(|handle| SendTopic {
            tally: d.topic.clone(),
            handle,
        });
        loop {
            let key = d.message.key.as_deref();
            let queued = topic
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|t| self.enqueue(t, &d.message, key, d.index, collector));
            match queued {
                Ok(()) => return,
                Err(e) if is_queue_full(&e) && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                Err(e) => {
                    let e = e.about(d.topic.name(), d.message.partition);
                    collector.settle(d.index, Err(e));
                    return;
                }
            }
        }
    }

    /// Waits (blocking) until every queued message is delivered or failed, or the timeout passes
    /// (what waits in the lane is queued first).
    pub fn flush(&self, timeout: Duration) -> EngineResult<()> {
        let deadline = Instant::now() + timeout;
        self.lane.wait_idle(deadline);
        self.inner
            .flush(Timeout::After(
                deadline.saturating_duration_since(Instant::now()),
            ))
            .map_err(EngineError::from)
    }
}

/// A message librdkafka refused as it was queued, with what its slot needs.
struct Refused<'t, 'a, B> {
    index: usize,
    topic: &'t SendTopic,
    message: &'a OutgoingMessage<B>,
    /// The key its partition strategy gave it, if any.
    derived: Option<Vec<u8>>,
}

/// Consecutive plain messages of a batch to one topic, queued together (`Producer::queue_run`).
struct PlainRun<'a, B> {
    topic: SendTopic,
    entries: Vec<RunEntry<'a, B>>,
}

/// A message of a `PlainRun`: its slot, and the key its partition strategy gave it, if any.
struct RunEntry<'a, B> {
    index: usize,
    message: &'a OutgoingMessage<B>,
    derived: Option<Vec<u8>>,
}

/// The key a message is sent with: the one its partition strategy gave it (`derived`), or its
/// own.
fn sent_key<'k, B: AsRef<[u8]>>(
    derived: Option<&'k [u8]>,
    message: &'k OutgoingMessage<B>,
) -> Option<&'k [u8]> {
    derived.or_else(|| message.key.as_ref().map(AsRef::as_ref))
}

/// A message's size as the producer's counters take it, with the key it is sent with (`key`, from
/// `sent_key`) in place of its own.
fn sent_size<B: AsRef<[u8]>>(message: &OutgoingMessage<B>, key: Option<&[u8]>) -> usize {
    let own_key = message.key.as_ref().map_or(0, |k| k.as_ref().len());
    message.size() - own_key + key.map_or(0, <[u8]>::len)
}

impl<B: AsRef<[u8]>> RunEntry<'_, B> {
    /// Its size as the producer's counters take it (`sent_size`).
    fn size(&self) -> usize {
        sent_size(
            self.message,
            sent_key(self.derived.as_deref(), self.message),
        )
    }
}

/// A topic as a message is sent to it: its tally and its librdkafka handle.
#[derive(Clone)]
struct SendTopic {
    tally: Arc<TopicTally>,
    handle: Arc<TopicHandle>,
}

/// The topic of a batch's latest messages: a batch mostly names one topic, checked and found
/// once.
struct TopicRun<'p> {
    producer: &'p Producer,
    last: Option<SendTopic>,
    /// The name `last` was last found by, compared by address first: a batch's slots borrow
    /// their topic from one string.
    last_given: *const str,
}

impl TopicRun<'_> {
    /// `topic` as its messages are sent to it, checked to be a valid name first unless it is the
    /// latest one.
    fn get(&mut self, topic: &str) -> EngineResult<&SendTopic> {
        let same_string = std::ptr::eq(self.last_given, topic);
        self.last_given = topic;
        let latest = match self.last.take() {
            Some(t) if same_string || **t.tally.name() == *topic => t,
            _ => {
                validate_topic(topic)?;
                SendTopic {
                    handle: self.producer.handle(topic)?,
                    tally: self.producer.stats.figures.topic(topic),
                }
            }
        };
        Ok(self.last.insert(latest))
    }
}

fn is_queue_full(e: &EngineError) -> bool {
    matches!(
        e,
        EngineError::Kafka {
            code: RDKafkaErrorCode::QueueFull,
            ..
        }
    )
}
