//! Transactions: a service's transactional producer (librdkafka `transactional.id`), one open
//! transaction at a time, whose messages and consumed offsets commit or abort together.
//! librdkafka's transactional calls block until the coordinator answers: they run on blocking
//! threads, never on the caller's.

use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use rdkafka::consumer::ConsumerGroupMetadata;
use rdkafka::producer::Producer as _;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaErrorCode;
use tokio::sync::Mutex;

use crate::engine::config::ServiceConfig;
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::logging::{LogLevel, Logger};
use crate::engine::message::OutgoingMessage;
use crate::engine::producer::{BatchDelivery, Keying, Producer};

/// Bound on each transactional call's wait for the coordinator (librdkafka retries within it).
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// How long past `CALL_TIMEOUT` `send_offsets` may go on before the producer counts as stuck.
/// librdkafka 2.12's `send_offsets_to_transaction` waits for its coordinator request without a
/// bound, and nothing checks that request's timeout (confluentinc/librdkafka#5456): while the
/// group coordinator it last knew is unreachable (or gone from the metadata, #5511), nothing
/// wakes the lookup again until some broker connects or disconnects, and the call hangs.
const STUCK_GRACE: Duration = Duration::from_secs(5);

/// Where the transactional producer is.
enum State {
    /// `init_transactions` has not run yet (it runs at the first `begin`).
    New,
    /// Ready for a transaction.
    Ready,
    /// A transaction is open.
    Open,
    /// A fatal error (fenced, or the broker's): every later call fails with it.
    Failed(EngineError),
    /// The service disconnected.
    Closed,
}

/// The group whose consumed offsets a transaction commits.
pub enum OffsetsGroup {
    /// By id only: no zombie fencing of the consumer (KIP-447 needs the member's metadata).
    Id(String),
    /// A running member's metadata (group, generation, member id): a member that lost its
    /// partitions meanwhile cannot commit.
    Member(ConsumerGroupMetadata),
}

/// A service's transactional producer.
pub struct Transactions {
    /// Replaced by `reset` after a fatal error; read for each call.
    producer: RwLock<Arc<Producer>>,
    /// What a replacement is built from: the service's configuration with the transactional id.
    config: ServiceConfig,
    logger: Logger,
    state: Mutex<State>,
    /// Mirrors `State::Open`, for the synchronous publish path.
    open: AtomicBool,
    /// Each librdkafka call's timeout (`CALL_TIMEOUT`; shorter in tests).
    call_timeout: Duration,
}

impl Transactions {
    /// Creates the transactional producer (its own librdkafka client, with `transactional.id`);
    /// it reaches the coordinator at the first transaction.
    pub fn new(
        config: &ServiceConfig,
        transactional_id: &str,
        timeout_ms: Option<u32>,
        logger: Logger,
    ) -> EngineResult<Arc<Self>> {
        Self::build(config, transactional_id, timeout_ms, logger, CALL_TIMEOUT)
    }

    /// `new` with another call timeout, so that a test sees a stuck call fail in seconds.
    #[cfg(test)]
    pub(crate) fn with_call_timeout(
        config: &ServiceConfig,
        transactional_id: &str,
        logger: Logger,
        call_timeout: Duration,
    ) -> EngineResult<Arc<Self>> {
        Self::build(config, transactional_id, None, logger, call_timeout)
    }

    fn build(
        config: &ServiceConfig,
        transactional_id: &str,
        timeout_ms: Option<u32>,
        logger: Logger,
        call_timeout: Duration,
    ) -> EngineResult<Arc<Self>> {
        if transactional_id.trim().is_empty() || transactional_id.contains('\0') {
            return Err(EngineError::InvalidConfig(
                "transactionalId must be a non-empty string with no NUL".into(),
            ));
        }
        let mut config = config.clone();
        config
            .librdkafka
            .push(("transactional.id".into(), transactional_id.into()));
        if let Some(ms) = timeout_ms {
            config
                .librdkafka
                .push(("transaction.timeout.ms".into(), ms.to_string()));
        }
        Ok(Arc::new(Transactions {
            producer: RwLock::new(Producer::new(&config, logger.clone())?),
            config,
            logger,
            state: Mutex::new(State::New),
            open: AtomicBool::new(false),
            call_timeout,
        }))
    }

    /// Opens a transaction. The first one registers the transactional id with its coordinator,
    /// fencing any older producer with the same id and completing what it left open. Fails with
    /// `ERR__STATE` while another transaction is open, with the fatal error (`fatal: true`) once
    /// the producer was fenced, with `ERR_DISCONNECTED` after disconnect.
    pub async fn begin(self: &Arc<Self>) -> EngineResult<Transaction> {
        let mut state = self.state.lock().await;
        match &*state {
            State::Failed(e) => return Err(e.clone()),
            State::Closed => return Err(EngineError::Disconnected),
            State::Open => return Err(still_open()),
            State::New => {
                let result = self
                    .blocking(|p, timeout| p.rdkafka().init_transactions(timeout))
                    .await;
                self.settle(&mut state, result, State::Ready)?;
            }
            State::Ready => {}
        }
        let result = self.blocking(|p, _| p.rdkafka().begin_transaction()).await;
        self.settle(&mut state, result, State::Open)?;
        Ok(Transaction {
            owner: self.clone(),
        })
    }

    /// Aborts an open transaction (its messages are never seen by `read_committed` readers)
    /// and refuses every later call. Blocks up to the call timeout: run it off async threads.
    pub async fn close(&self) {
        let mut state = self.state.lock().await;
        if matches!(*state, State::Open) {
            let _ = self
                .blocking(|p, timeout| p.rdkafka().abort_transaction(timeout))
                .await;
        }
        if !matches!(*state, State::Failed(_)) {
            *state = State::Closed;
        }
        self.open.store(false, Ordering::Release);
    }

    /// Replaces a producer that failed fatally (fenced by a newer instance, or by the
    /// coordinator after a transaction outlived `transaction.timeout.ms`, or stuck in
    /// `send_offsets` past its timeout) with a new one under
    /// the same transactional id; the next `begin` registers it, which fences the old epoch.
    /// Resolves with false, changing nothing, when the producer has not failed. Fails with
    /// `ERR__STATE` while a transaction is open, `ERR_DISCONNECTED` after disconnect, and with
    /// the configuration's error if the new producer cannot be created (the old one stays).
    /// The old producer's unsent messages fail with `ERR__PURGE_QUEUE`; it is closed off the
    /// caller's thread.
    pub async fn reset(&self) -> EngineResult<bool> {
        let mut state = self.state.lock().await;
        match &*state {
            State::Failed(_) => {}
            State::Closed => return Err(EngineError::Disconnected),
            State::Open => return Err(still_open()),
            State::New | State::Ready => return Ok(false),
        }
        let fresh = Producer::new(&self.config, self.logger.clone())?;
        let old = {
            let mut producer = self.producer.write().unwrap_or_else(|p| p.into_inner());
            std::mem::replace(&mut *producer, fresh)
        };
        *state = State::New;
        self.open.store(false, Ordering::Release);
        // librdkafka's destroy purges and flushes briefly: on a blocking thread.
        tokio::task::spawn_blocking(move || drop(old));
        Ok(true)
    }

    /// The current producer.
    fn producer(&self) -> Arc<Producer> {
        self.producer
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Runs a blocking librdkafka call, given the call timeout, on a blocking thread.
    async fn blocking<E: Into<EngineError>>(
        &self,
        call: impl FnOnce(&Producer, Duration) -> Result<(), E> + Send + 'static,
    ) -> EngineResult<()> {
        let producer = self.producer();
        let timeout = self.call_timeout;
        tokio::task::spawn_blocking(move || call(&producer, timeout).map_err(Into::into))
            .await
            .unwrap_or_else(|e| {
                Err(EngineError::InvalidArg(format!(
                    "transaction task failed: {e}"
                )))
            })
    }

    /// `blocking` for a call librdkafka may not end at its timeout (`send_offsets`, see
    /// `STUCK_GRACE`): still running `STUCK_GRACE` past it, it fails with `stuck`, and its
    /// thread is left to it (with its own handle on the producer, which lives until the call
    /// returns). Not for `commit`, whose timeout librdkafka keeps: a commit given up on could
    /// still complete, and its batch, delivered again, would be committed twice.
    async fn bounded<E: Into<EngineError>>(
        &self,
        call: impl FnOnce(&Producer, Duration) -> Result<(), E> + Send + 'static,
    ) -> EngineResult<()> {
        let limit = self.call_timeout + STUCK_GRACE;
        match tokio::time::timeout(limit, self.blocking(call)).await {
            Ok(result) => result,
            Err(_) => {
                let e = stuck(limit);
                self.logger
                    .log(LogLevel::Warn, "transaction", "STUCK", &e.to_string());
                Err(e)
            }
        }
    }

    /// Moves to `next` on success; on a fatal error, to `Failed` for good.
    fn settle(&self, state: &mut State, result: EngineResult<()>, next: State) -> EngineResult<()> {
        let result = match result {
            Ok(()) => {
                *state = next;
                Ok(())
            }
            Err(e) => {
                if e.fatal() {
                    *state = State::Failed(e.clone());
                }
                Err(e)
            }
        };
        self.open
            .store(matches!(*state, State::Open), Ordering::Release);
        result
    }
}

/// An open transaction: what it publishes and the offsets it is given commit together, or not
/// at all. Finish it with `commit` or `abort`; until then the service opens no other.
pub struct Transaction {
    owner: Arc<Transactions>,
}

impl Transaction {
    /// Queues messages in the transaction; see `Producer::send_keyed` (unkeyed messages to a
    /// template's topics get its strategy's key). Their delivery reports
    /// arrive as usual; readers with `read_committed` see them only after `commit`.
    pub fn send_batch<'a, B: AsRef<[u8]> + 'a>(
        &self,
        records: impl ExactSizeIterator<Item = (&'a str, &'a OutgoingMessage<B>)>,
    ) -> EngineResult<BatchDelivery> {
        self.send_slots(records.map(Ok))
    }

    /// `send_batch` for a batch whose slots may have been refused before sending (see
    /// `Producer::send_slots`).
    pub fn send_slots<'a, B: AsRef<[u8]> + 'a>(
        &self,
        slots: impl ExactSizeIterator<Item = EngineResult<(&'a str, &'a OutgoingMessage<B>)>>,
    ) -> EngineResult<BatchDelivery> {
        if !self.owner.open.load(Ordering::Acquire) {
            return Err(match self.owner.state.try_lock() {
                Ok(state) => Self::require_open(&state).err().unwrap_or_else(not_open),
                Err(_) => not_open(),
            });
        }
        Ok(self
            .owner
            .producer()
            .send_slots(slots, Keying::Strategy(None)))
    }

    /// Adds a group's consumed offsets (the next offset to read, per partition) to the
    /// transaction: they are committed for the group if, and only if, the transaction commits.
    pub async fn send_offsets(
        &self,
        group: OffsetsGroup,
        offsets: &[(String, i32, i64)],
    ) -> EngineResult<()> {
        let mut tpl = TopicPartitionList::new();
        for (topic, partition, offset) in offsets {
            if *offset < 0 {
                return Err(EngineError::InvalidArg(format!(
                    "offset of {topic}[{partition}] must be >= 0"
                )));
            }
            tpl.add_partition_offset(topic, *partition, Offset::Offset(*offset))
                .map_err(EngineError::from)?;
        }
        let mut state = self.owner.state.lock().await;
        Self::require_open(&state)?;
        let result = match group {
            OffsetsGroup::Member(cgm) => {
                self.owner
                    .bounded(move |p, timeout| {
                        p.rdkafka().send_offsets_to_transaction(&tpl, &cgm, timeout)
                    })
                    .await
            }
            OffsetsGroup::Id(id) => {
                let id = CString::new(id)
                    .map_err(|_| EngineError::InvalidArg("groupId contains a NUL".into()))?;
                self.owner
                    .bounded(move |p, timeout| send_offsets_for_group(p, &tpl, &id, timeout))
                    .await
            }
        };
        let keep = State::Open;
        self.owner.settle(&mut state, result, keep)
    }

    /// Commits: flushes the transaction's messages, then makes them and its offsets visible
    /// together. On `abortable` errors call `abort`; on retriable ones `commit` may be called
    /// again; fatal ones (`fatal: true`) leave the service's transactions unusable.
    pub async fn commit(&self) -> EngineResult<()> {
        let mut state = self.owner.state.lock().await;
        Self::require_open(&state)?;
        let result = self
            .owner
            .blocking(|p, timeout| p.rdkafka().commit_transaction(timeout))
            .await;
        self.owner.settle(&mut state, result, State::Ready)
    }

    /// Aborts: the transaction's messages are never visible to `read_committed` readers, its
    /// offsets are not committed.
    pub async fn abort(&self) -> EngineResult<()> {
        let mut state = self.owner.state.lock().await;
        Self::require_open(&state)?;
        let result = self
            .owner
            .blocking(|p, timeout| p.rdkafka().abort_transaction(timeout))
            .await;
        self.owner.settle(&mut state, result, State::Ready)
    }

    /// Whether this transaction is still open (not committed, aborted or failed).
    pub fn is_open(&self) -> bool {
        self.owner.open.load(Ordering::Acquire)
    }

    fn require_open(state: &State) -> EngineResult<()> {
        match state {
            State::Open => Ok(()),
            State::Failed(e) => Err(e.clone()),
            State::Closed => Err(EngineError::Disconnected),
            _ => Err(not_open()),
        }
    }
}

/// `ERR__STATE` for a call that needs no transaction open (`begin`, `reset`) while one is.
fn still_open() -> EngineError {
    EngineError::Kafka {
        code: RDKafkaErrorCode::State,
        message: "a transaction is open on this service: commit or abort it first".into(),
        topic: None,
        partition: None,
    }
}

/// `send_offsets` did not return within `waited`: fatal for this producer, which `reset` replaces
/// (the JS transform loop does so, then delivers the batch again).
fn stuck(waited: Duration) -> EngineError {
    EngineError::Transaction {
        code: RDKafkaErrorCode::OperationTimedOut,
        message: format!(
            "sendOffsets did not return within {} s (the group coordinator unreachable); the \
             transaction is lost: replace the producer with resetTransactions()",
            waited.as_secs()
        ),
        fatal: true,
        abortable: false,
        retriable: false,
    }
}

fn not_open() -> EngineError {
    EngineError::Kafka {
        code: RDKafkaErrorCode::State,
        message: "the transaction is no longer open".into(),
        topic: None,
        partition: None,
    }
}

/// `send_offsets_to_transaction` for a group known by id only: rdkafka has no constructor for
/// group metadata, librdkafka has (`rd_kafka_consumer_group_metadata_new`).
fn send_offsets_for_group(
    producer: &Producer,
    offsets: &TopicPartitionList,
    group_id: &CString,
    timeout: Duration,
) -> EngineResult<()> {
    use rdkafka::bindings as rd;
    // SAFETY: the group id is a valid C string; the metadata is destroyed after the call,
    // which does not keep it; the error, when there is one, is read and destroyed here.
    unsafe {
        let cgm = rd::rd_kafka_consumer_group_metadata_new(group_id.as_ptr());
        if cgm.is_null() {
            return Err(EngineError::from_code(RDKafkaErrorCode::Fail));
        }
        let err = rd::rd_kafka_send_offsets_to_transaction(
            producer.client().native_ptr(),
            offsets.ptr(),
            cgm,
            timeout.as_millis() as i32,
        );
        rd::rd_kafka_consumer_group_metadata_destroy(cgm);
        if err.is_null() {
            return Ok(());
        }
        let code: RDKafkaErrorCode = rd::rd_kafka_error_code(err).into();
        let message = std::ffi::CStr::from_ptr(rd::rd_kafka_error_string(err))
            .to_string_lossy()
            .into_owned();
        let e = EngineError::Transaction {
            code,
            message,
            fatal: rd::rd_kafka_error_is_fatal(err) != 0,
            abortable: rd::rd_kafka_error_txn_requires_abort(err) != 0,
            retriable: rd::rd_kafka_error_is_retriable(err) != 0,
        };
        rd::rd_kafka_error_destroy(err);
        Err(e)
    }
}
