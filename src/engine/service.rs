//! The engine behind `KafkaService`: one producer, any number of subscriptions, their
//! statistics, and the connect / disconnect lifecycle.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::join_all;
use rdkafka::types::RDKafkaErrorCode;
use tokio::sync::watch;

use crate::engine::catalogs::PartitionStrategy;
use crate::engine::config::ServiceConfig;
use crate::engine::consumer::{BatchHandler, ErrorSink, SubscribeOptions, Subscription};
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::logging::{LogLevel, LogSink, Logger};
use crate::engine::message::{DeliveryReport, OutgoingMessage};
use crate::engine::metrics::librdkafka::ClientQueues;
use crate::engine::metrics::topics::{ConsumerFiguresSnapshot, ProducerFiguresSnapshot};
use crate::engine::producer::{BatchDelivery, Keying, Producer};
use crate::engine::stats::{BrokerSnapshot, ConsumerSnapshot, ConsumerStats, ProducerSnapshot};
use crate::engine::transaction::{Transaction, Transactions};

/// Where the service is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionState {
    /// Created; librdkafka connects on demand.
    Idle,
    /// `connect()` saw the cluster's metadata.
    Connected,
    /// `disconnect()` ran; every call fails with `ERR_DISCONNECTED`.
    Disconnected,
}

impl ConnectionState {
    /// Lowercase name, as `stats()` reports it.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionState::Idle => "idle",
            ConnectionState::Connected => "connected",
            ConnectionState::Disconnected => "disconnected",
        }
    }
}

/// A broker as the cluster's metadata lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerAddress {
    pub id: i32,
    pub host: String,
    pub port: i32,
}

/// What `connect()` learnt about the cluster.
#[derive(Debug, Clone)]
pub struct ClusterInfo {
    pub brokers: Vec<BrokerAddress>,
    pub topics: Vec<String>,
}

/// Everything `stats()` reports.
#[derive(Debug, Clone)]
pub struct StatsSnapshot {
    pub state: ConnectionState,
    pub producer: ProducerSnapshot,
    pub consumer: ConsumerSnapshot,
    pub brokers: Vec<BrokerSnapshot>,
    pub subscriptions: usize,
    /// Producer figures per topic and per event type.
    pub producer_figures: ProducerFiguresSnapshot,
    /// Consumer figures per topic and per event type, rebalances, fetch queues.
    pub consumer_figures: ConsumerFiguresSnapshot,
    /// The producer's queues, from its latest statistics.
    pub producer_queues: Option<ClientQueues>,
}

/// A Kafka client service: publish, subscribe, observe, disconnect.
pub struct KafkaEngine {
    config: ServiceConfig,
    logger: Logger,
    producer: Mutex<Option<Arc<Producer>>>,
    consumer_stats: Arc<ConsumerStats>,
    /// Every subscription not yet finished.
    subscriptions: Mutex<Vec<Arc<Subscription>>>,
    /// Orders `subscribe` against `disconnect` (never taken on the JS thread): a subscription
    /// starts before the disconnect, which then stops it, or not at all.
    lifecycle: Mutex<()>,
    state: Arc<AtomicU8>,
    /// Becomes true when the first `disconnect()` finished; later calls wait for it.
    disconnected: watch::Sender<bool>,
    /// The transactional producer, when `transactional_id` is set.
    transactions: Option<Arc<Transactions>>,
}

impl KafkaEngine {
    /// Validates the configuration and creates the producer. Fails with `ERR_INVALID_CONFIG`
    /// for any unknown or invalid setting.
    pub fn new(config: ServiceConfig, log_sink: Option<LogSink>) -> EngineResult<Self> {
        config.validate()?;
        let logger = config.logger(log_sink);
        let producer = Producer::new(&config, logger.clone())?;
        let consumer_stats = Arc::new(ConsumerStats::default());
        if let Some(header) = &config.event_type_header {
            producer.stats().figures.event_types.set_header(header);
            consumer_stats.figures.event_types.set_header(header);
        }
        let transactions = match &config.transactional_id {
            Some(id) => Some(Transactions::new(
                &config,
                id,
                config.transaction_timeout_ms,
                logger.clone(),
            )?),
            None => None,
        };
        Ok(KafkaEngine {
            transactions,
            config,
            logger,
            producer: Mutex::new(Some(producer)),
            consumer_stats,
            subscriptions: Mutex::new(Vec::new()),
            lifecycle: Mutex::new(()),
            state: Arc::new(AtomicU8::new(ConnectionState::Idle as u8)),
            disconnected: watch::channel(false).0,
        })
    }

    /// The configuration the service was built from.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// The service's logger.
    pub fn logger(&self) -> &Logger {
        &self.logger
    }

    /// The current state.
    pub fn state(&self) -> ConnectionState {
        state_of(&self.state)
    }

    pub(crate) fn producer(&self) -> EngineResult<Arc<Producer>> {
        if self.state() == ConnectionState::Disconnected {
            return Err(EngineError::Disconnected);
        }
        self.producer
            .lock()
            .ok()
            .and_then(|p| p.clone())
            .ok_or(EngineError::Disconnected)
    }

    /// Waits for the cluster's metadata, at most `connectionTimeoutMs`. Fails at once, without
    /// waiting out the timeout, with `ERR__AUTHENTICATION` (SASL credentials refused),
    /// `ERR__SSL` (broker certificate untrusted or expired, TLS handshake refused) or
    /// `ERR__TRANSPORT` (retriable; the broker keeps closing connections before answering, as
    /// a TLS port does for a plaintext client); with `ERR__TIMED_OUT` (retriable) when no broker
    /// answers in time; with `ERR_DISCONNECTED` once `disconnect()` began (soon, not after the
    /// timeout).
    pub async fn connect(&self) -> EngineResult<ClusterInfo> {
        let producer = self.producer()?;
        let timeout = Duration::from_millis(self.config.connection_timeout_ms as u64);
        let brokers = self.config.brokers.join(",");
        let state = self.state.clone();
        let info = tokio::task::spawn_blocking(move || {
            wait_for_metadata(&producer, timeout, &brokers, &state)
        })
        .await
        .map_err(|e| EngineError::InvalidArg(format!("connect task failed: {e}")))??;
        let _ = self.state.compare_exchange(
            ConnectionState::Idle as u8,
            ConnectionState::Connected as u8,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        Ok(info)
    }

    /// Queues messages without waiting; see `Producer::send_batch`.
    pub fn send_batch<'a, B: AsRef<[u8]> + 'a>(
        &self,
        records: impl ExactSizeIterator<Item = (&'a str, &'a OutgoingMessage<B>)>,
    ) -> EngineResult<BatchDelivery> {
        Ok(self.producer()?.send_batch(records))
    }

    /// Queues publishes without waiting, keying those without a key by a partition strategy;
    /// see `Producer::send_keyed`.
    pub fn send_keyed<'a, B: AsRef<[u8]> + 'a>(
        &self,
        records: impl ExactSizeIterator<Item = (&'a str, &'a OutgoingMessage<B>)>,
        named: Option<PartitionStrategy>,
    ) -> EngineResult<BatchDelivery> {
        Ok(self.producer()?.send_keyed(records, named))
    }

    /// Queues a batch whose slots may have been refused before sending; see
    /// `Producer::send_slots`.
    pub fn send_slots<'a, B: AsRef<[u8]> + 'a>(
        &self,
        slots: impl ExactSizeIterator<Item = EngineResult<(&'a str, &'a OutgoingMessage<B>)>>,
        keying: Keying,
    ) -> EngineResult<BatchDelivery> {
        Ok(self.producer()?.send_slots(slots, keying))
    }

    /// The strategy that keys an unkeyed publish to `topic`: `named`, else its template's.
    pub fn strategy_for(
        &self,
        topic: &str,
        named: Option<PartitionStrategy>,
    ) -> EngineResult<Option<PartitionStrategy>> {
        Ok(self.producer()?.strategy_for(topic, named))
    }

    /// Publishes one message and waits for the broker's acknowledgement.
    pub async fn publish<B: AsRef<[u8]>>(
        &self,
        topic: &str,
        message: &OutgoingMessage<B>,
    ) -> EngineResult<DeliveryReport> {
        self.producer()?.publish(topic, message).await
    }

    /// Starts a group subscription. Must run inside a tokio runtime. Fails with
    /// `ERR_DISCONNECTED` once `disconnect()` began.
    pub async fn subscribe(
        &self,
        options: SubscribeOptions,
        handler: Arc<dyn BatchHandler>,
        on_error: Option<ErrorSink>,
    ) -> EngineResult<Arc<Subscription>> {
        let _lifecycle = self.lifecycle.lock().unwrap_or_else(|p| p.into_inner());
        if self.state() == ConnectionState::Disconnected {
            return Err(EngineError::Disconnected);
        }
        let subscription = Subscription::start(
            &self.config,
            options,
            handler,
            on_error,
            self.logger.clone(),
            self.consumer_stats.clone(),
            self.producer().ok(),
        )?;
        let mut subscriptions = self.subscriptions.lock().unwrap_or_else(|p| p.into_inner());
        subscriptions.retain(|s| !s.is_done());
        subscriptions.push(subscription.clone());
        Ok(subscription)
    }

    /// Opens a transaction on the service's transactional producer (see `Transactions::begin`).
    /// `ERR_INVALID_CONFIG` without the `transactional_id` setting.
    pub async fn transaction(&self) -> EngineResult<Transaction> {
        self.transactions("transaction()")?.begin().await
    }

    /// Replaces the transactional producer after a fatal error (see `Transactions::reset`):
    /// true when it was replaced, false when it had not failed.
    pub async fn reset_transactions(&self) -> EngineResult<bool> {
        self.transactions("resetTransactions()")?.reset().await
    }

    /// The transactional producer, for the call `what`: `ERR_DISCONNECTED` after disconnect,
    /// `ERR_INVALID_CONFIG` without the `transactional_id` setting.
    fn transactions(&self, what: &str) -> EngineResult<&Arc<Transactions>> {
        if self.state() == ConnectionState::Disconnected {
            return Err(EngineError::Disconnected);
        }
        self.transactions.as_ref().ok_or_else(|| {
            EngineError::InvalidConfig(format!("{what} needs the transactionalId option"))
        })
    }

    /// Counters, latencies, lag and broker states.
    pub fn stats(&self) -> StatsSnapshot {
        let producer = self.producer.lock().ok().and_then(|p| p.clone());
        StatsSnapshot {
            state: self.state(),
            producer: producer
                .as_ref()
                .map(|p| p.stats().snapshot())
                .unwrap_or_default(),
            consumer: self.consumer_stats.snapshot(),
            brokers: producer.as_ref().map(|p| p.brokers()).unwrap_or_default(),
            producer_figures: producer
                .as_ref()
                .map(|p| p.stats().figures.snapshot())
                .unwrap_or_default(),
            consumer_figures: self.consumer_stats.figures.snapshot(),
            producer_queues: producer.as_ref().and_then(|p| p.queues()),
            subscriptions: self
                .subscriptions
                .lock()
                .map(|s| s.iter().filter(|s| s.is_running()).count())
                .unwrap_or(0),
        }
    }

    /// The figures of `stats()` in the Prometheus text exposition format (see
    /// `metrics::render`).
    pub fn metrics(&self) -> String {
        crate::engine::metrics::render::render(&self.stats())
    }

    /// Stops every subscription (their handlers finish, at most their `drainTimeoutMs`; offsets
    /// are committed and the group left, at most `flush_timeout` more) and, at the same time,
    /// delivers what the producer still queues, waiting at most `flush_timeout`. Final: from its
    /// start every call fails with `ERR_DISCONNECTED`, and no subscription or producer starts
    /// again. Resolves within the longest `drainTimeoutMs` + `flush_timeout` (and a second's
    /// slack) even with handlers stuck or the brokers gone. Idempotent: a second call resolves
    /// when the first finished. Messages still queued after the timeout fail with
    /// `ERR__PURGE_QUEUE`.
    pub async fn disconnect(&self, flush_timeout: Duration) -> EngineResult<()> {
        let first = {
            let _lifecycle = self.lifecycle.lock().unwrap_or_else(|p| p.into_inner());
            let previous = self
                .state
                .swap(ConnectionState::Disconnected as u8, Ordering::AcqRel);
            previous != ConnectionState::Disconnected as u8
        };
        if !first {
            let mut done = self.disconnected.subscribe();
            let _ = done.wait_for(|d| *d).await;
            return Ok(());
        }
        let subscriptions =
            std::mem::take(&mut *self.subscriptions.lock().unwrap_or_else(|p| p.into_inner()));
        let producer = self.producer.lock().ok().and_then(|mut p| p.take());
        let flush = async {
            let Some(producer) = producer else { return };
            let logger = self.logger.clone();
            let _ = tokio::task::spawn_blocking(move || {
                if producer.flush(flush_timeout).is_err() {
                    logger.log(
                        LogLevel::Warn,
                        "producer",
                        "FLUSH",
                        &format!(
                            "{} messages not delivered within the flush timeout",
                            producer.stats().in_flight()
                        ),
                    );
                }
                drop(producer);
            })
            .await;
        };
        let stops = async {
            join_all(subscriptions.iter().map(|s| s.stop_within(flush_timeout))).await;
            // After the subscriptions: a consume-transform-produce batch may still commit.
            if let Some(t) = &self.transactions {
                let _ = tokio::time::timeout(flush_timeout, t.close()).await;
            }
        };
        tokio::join!(stops, flush);
        self.disconnected.send_replace(true);
        Ok(())
    }
}

fn state_of(state: &AtomicU8) -> ConnectionState {
    match state.load(Ordering::Acquire) {
        0 => ConnectionState::Idle,
        1 => ConnectionState::Connected,
        _ => ConnectionState::Disconnected,
    }
}

/// First wait for metadata; doubled after each miss, up to `MAX_METADATA_SLICE`. Short waits let
/// `connect()` notice a conclusive failure soon; an abandoned metadata request costs nothing (its
/// own timeout is librdkafka's `socket.timeout.ms`, and the connection is kept).
const FIRST_METADATA_SLICE: Duration = Duration::from_millis(100);
const MAX_METADATA_SLICE: Duration = Duration::from_secs(1);

/// Asks for the cluster's metadata until it arrives, a conclusive connection failure is
/// reported, or `timeout` passes. Blocks: run it off the async threads.
fn wait_for_metadata(
    producer: &Producer,
    timeout: Duration,
    brokers: &str,
    state: &AtomicU8,
) -> EngineResult<ClusterInfo> {
    let start = Instant::now();
    let deadline = start + timeout;
    let mut slice = FIRST_METADATA_SLICE;
    loop {
        if state_of(state) == ConnectionState::Disconnected {
            return Err(EngineError::Disconnected);
        }
        if let Some(e) = producer.connection().conclusive_since(start) {
            return Err(e);
        }
        let now = Instant::now();
        if now >= deadline {
            let last = producer
                .connection()
                .last_failure_since(start)
                .map(|r| format!(" (last error: {r})"))
                .unwrap_or_default();
            return Err(EngineError::Kafka {
                code: RDKafkaErrorCode::OperationTimedOut,
                message: format!(
                    "no broker of {brokers} answered within {} ms{last}",
                    timeout.as_millis()
                ),
                topic: None,
                partition: None,
            });
        }
        match producer
            .client()
            .fetch_metadata(None, slice.min(deadline - now))
        {
            Ok(metadata) => {
                return Ok(ClusterInfo {
                    brokers: metadata
                        .brokers()
                        .iter()
                        .map(|b| BrokerAddress {
                            id: b.id(),
                            host: b.host().to_string(),
                            port: b.port(),
                        })
                        .collect(),
                    topics: metadata
                        .topics()
                        .iter()
                        .map(|t| t.name().to_string())
                        .collect(),
                })
            }
            Err(e)
                if matches!(
                    e.rdkafka_error_code(),
                    Some(RDKafkaErrorCode::OperationTimedOut)
                        | Some(RDKafkaErrorCode::AllBrokersDown)
                        | Some(RDKafkaErrorCode::BrokerTransportFailure)
                ) =>
            {
                slice = (slice * 2).min(MAX_METADATA_SLICE);
                // A failure that returns at once (all brokers down) must not spin.
                if Instant::now() < now + Duration::from_millis(20) {
                    std::thread::sleep(
                        Duration::from_millis(50)
                            .min(deadline.saturating_duration_since(Instant::now())),
                    );
                }
            }
            Err(e) => return Err(EngineError::from(e)),
        }
    }
}

impl Drop for KafkaEngine {
    fn drop(&mut self) {
        // librdkafka's destroy purges, flushes briefly and joins threads: never on the caller's
        // (possibly the JS) thread.
        let producer = self.producer.get_mut().ok().and_then(|p| p.take());
        let transactions = self.transactions.take();
        if producer.is_some() || transactions.is_some() {
            let _ = std::thread::Builder::new()
                .name("kafka-native-close".into())
                .spawn(move || drop((producer, transactions)));
        }
    }
}
