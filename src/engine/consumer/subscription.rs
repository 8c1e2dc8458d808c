//! A running subscription and its handle: pause, resume, commit, stop, assignments.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use tokio::sync::{oneshot, watch};

use crate::engine::client_events::ClientEvents;
use crate::engine::config::ServiceConfig;
use crate::engine::consumer::handler::{BatchHandler, ErrorSink};
use crate::engine::consumer::options::SubscribeOptions;
use crate::engine::consumer::poll_loop;
use crate::engine::consumer::rebalance::SubscriptionContext;
use crate::engine::consumer::seek::{self, SeekTarget};
use crate::engine::consumer::shared::{Command, Shared, TopicPartition, DEFAULT_CLOSE_TIMEOUT};
use crate::engine::consumer::start_positions::StartPositions;
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::logging::{LogLevel, Logger};
use crate::engine::producer::Producer;
use crate::engine::stats::ConsumerStats;

/// A group member consuming its topics into a handler, until stopped.
pub struct Subscription {
    shared: Arc<Shared>,
    done: watch::Receiver<bool>,
}

impl Subscription {
    /// Creates the group consumer, subscribes, and starts its poll thread. Must run inside the
    /// tokio runtime that will drive the partition workers.
    pub fn start(
        config: &ServiceConfig,
        options: SubscribeOptions,
        handler: Arc<dyn BatchHandler>,
        on_error: Option<ErrorSink>,
        logger: Logger,
        stats: Arc<ConsumerStats>,
        republisher: Option<Arc<Producer>>,
    ) -> EngineResult<Arc<Subscription>> {
        options.validate()?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            EngineError::InvalidArg("subscribe must be called within a tokio runtime".into())
        })?;
        let mut client_config = config.consumer_config(&options.group_id, options.from_beginning);
        if !options.auto_commit {
            client_config.set("enable.auto.commit", "false");
        }
        if let Some(ms) = options.session_timeout_ms {
            client_config.set("session.timeout.ms", ms.to_string());
        }
        let options_have_ladder = options.retry.is_some();
        options.membership.apply(&mut client_config);
        if let Some(committed) = options.read_committed {
            client_config.set(
                "isolation.level",
                if committed {
                    "read_committed"
                } else {
                    "read_uncommitted"
                },
            );
        }
        let shared = Arc::new(Shared::new(
            options,
            logger.clone(),
            stats.clone(),
            handler,
            on_error,
            runtime,
            republisher.filter(|_| options_have_ladder),
        ));
        let starts = StartPositions::new(
            shared.options.from_timestamp,
            client_config.get("auto.offset.reset"),
        );
        let context = SubscriptionContext::new(
            ClientEvents::new(logger, "consumer", Some(stats)),
            shared.clone(),
            starts,
        );
        let mut consumer: BaseConsumer<SubscriptionContext> =
            client_config.create_with_context(context)?;
        let wake = shared.poll_wake.clone();
        consumer.set_nonempty_callback(move || wake.wake());
        let consumer = Arc::new(consumer);
        consumer.context().queues.attach(&consumer);
        let consumed = shared.options.consumed_topics();
        let topics: Vec<&str> = consumed.iter().map(String::as_str).collect();
        consumer.subscribe(&topics)?;

        let (done_tx, done_rx) = watch::channel(false);
        let thread_shared = shared.clone();
        std::thread::Builder::new()
            .name("kafka-native-consumer".into())
            .spawn(move || poll_loop::run(consumer, thread_shared, done_tx))
            .map_err(|e| {
                EngineError::InvalidConfig(format!("cannot start the consumer thread: {e}"))
            })?;
        Ok(Arc::new(Subscription {
            shared,
            done: done_rx,
        }))
    }

    /// The group this subscription belongs to.
    pub fn group_id(&self) -> &str {
        &self.shared.options.group_id
    }

    /// Stops fetching and delivering; handlers already running finish.
    pub fn pause(&self) {
        self.shared.set_user_paused(true);
    }

    /// Delivers again after `pause`.
    pub fn resume(&self) {
        self.shared.set_user_paused(false);
    }

    /// Whether `pause` is in effect.
    pub fn is_paused(&self) -> bool {
        self.shared.is_user_paused()
    }

    /// Whether the subscription still consumes (not stopped, not failed).
    pub fn is_running(&self) -> bool {
        !*self.done.borrow() && !self.shared.is_stopping()
    }

    /// The error that stopped the subscription, if one did.
    pub fn failure(&self) -> Option<EngineError> {
        self.shared.failure()
    }

    /// Partitions currently assigned to this member, sorted.
    pub fn assignments(&self) -> Vec<TopicPartition> {
        self.shared.assigned()
    }

    /// Commits what handlers have finished so far; resolves when the broker confirmed.
    pub async fn commit(&self) -> EngineResult<()> {
        if !self.is_running() {
            return Err(EngineError::Disconnected);
        }
        let (tx, rx) = oneshot::channel();
        self.shared.command(Command::Commit(tx));
        rx.await.unwrap_or(Err(EngineError::Disconnected))
    }

    /// Moves a held partition to an offset or a time: its buffered messages are dropped, its
    /// running handler finishes first, then fetching restarts there and the new position is
    /// stored (and committed with auto-commit). `ERR_INVALID_ARG` when the partition is not held.
    pub async fn seek(&self, topic: &str, partition: i32, target: SeekTarget) -> EngineResult<()> {
        if !self.is_running() {
            return Err(EngineError::Disconnected);
        }
        seek::seek(&self.shared, (topic.to_string(), partition), target).await
    }

    /// The member's group metadata (group, generation, member id), for a transaction's
    /// `send_offsets`: the broker refuses offsets from a member that lost its partitions. With
    /// `assignments` (partition, `MessageBatch::assignment` of the batch the offsets come from),
    /// fails with `ERR__STATE` when one of them no longer holds its partition: revoked, even if
    /// assigned again since (the new assignment delivers the batch again, from the committed
    /// offset).
    pub async fn group_metadata(
        &self,
        assignments: Vec<(TopicPartition, u64)>,
    ) -> EngineResult<rdkafka::consumer::ConsumerGroupMetadata> {
        if !self.is_running() {
            return Err(EngineError::Disconnected);
        }
        let (tx, rx) = oneshot::channel();
        self.shared.command(Command::GroupMetadata(assignments, tx));
        rx.await.unwrap_or(Err(EngineError::Disconnected))
    }

    /// Stops: no new deliveries, running handlers finish (at most `drainTimeoutMs`; one still
    /// running then is abandoned), their offsets are committed and the member leaves its group
    /// (at most 10 s more). Idempotent; resolves when all that is done, or when those bounds
    /// passed, whichever comes first.
    pub async fn stop(&self) {
        self.stop_within(DEFAULT_CLOSE_TIMEOUT).await
    }

    /// `stop`, with `close_timeout` instead of 10 s as the bound on the final commit and the
    /// group leave. Past both bounds it resolves even if the poll thread has not finished (it is
    /// then stuck in librdkafka); the handler is let go either way, so nothing of the
    /// subscription keeps Node alive.
    pub async fn stop_within(&self, close_timeout: Duration) {
        self.shared.set_close_timeout(close_timeout);
        self.shared.request_stop();
        let bound = self.shared.close_deadline().map_or(close_timeout, |d| {
            d.saturating_duration_since(Instant::now())
        }) + STOP_GRACE;
        let mut done = self.done.clone();
        if tokio::time::timeout(bound, done.wait_for(|d| *d))
            .await
            .is_err()
        {
            self.shared.logger.log(
                LogLevel::Warn,
                "consumer",
                "STOP",
                "the consumer thread did not finish within the stop's bounds; letting it go",
            );
            self.shared.abort_workers();
            self.shared.release_handler();
        }
    }

    /// Whether the poll thread has finished (a stopped subscription's last step).
    pub fn is_done(&self) -> bool {
        *self.done.borrow()
    }
}

/// Slack on a stop's bounds for the poll thread to notice them.
const STOP_GRACE: Duration = Duration::from_secs(1);
