//! State shared by a subscription's poll thread, its partition workers and its handle: the
//! per-partition buffers, and the commands workers and callers leave for the poll thread.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, Notify, Semaphore};
use tokio::task::AbortHandle;

use crate::engine::consumer::handler::{BatchHandler, ErrorSink};
use crate::engine::consumer::options::SubscribeOptions;
use crate::engine::consumer::poll_wake::PollWake;
use crate::engine::consumer::reports::MemberReports;
use crate::engine::consumer::seek::SeekRequest;
use crate::engine::error::{EngineError, EngineResult};
use crate::engine::logging::{LogLevel, Logger};
use crate::engine::message::{ConsumedMessage, MessageBatch};
use crate::engine::producer::Producer;
use crate::engine::stats::ConsumerStats;

/// A topic and partition.
pub type TopicPartition = (String, i32);

/// A partition as one worker holds it: one assignment of it. A partition revoked while its
/// worker's handler call outlived the drain, then assigned again, gets a new worker; the old
/// one sees its hold closed (`Shared::is_closed`) and touches nothing of the new assignment, so
/// it neither delivers the new buffer nor retries its old batch under the new assignment.
#[derive(Clone, Debug)]
pub(crate) struct Held {
    pub tp: TopicPartition,
    /// Which assignment of the partition (unique within the subscription).
    pub incarnation: u64,
}

impl std::ops::Deref for Held {
    type Target = TopicPartition;

    fn deref(&self) -> &TopicPartition {
        &self.tp
    }
}

/// Work for the poll thread, which alone touches the librdkafka consumer.
pub(crate) enum Command {
    /// Store this next offset for commit (the handler finished everything before it).
    Store(TopicPartition, i64),
    Resume(TopicPartition),
    /// Stop fetching one partition (a retry partition whose next message is not due yet).
    Pause(TopicPartition),
    PauseAll,
    ResumeAll,
    Commit(oneshot::Sender<EngineResult<()>>),
    Seek(SeekRequest),
    /// The member's group metadata, for a transaction's offsets; refused (`ERR__STATE`) when
    /// one of these assignments (partition, `MessageBatch::assignment`) no longer holds its
    /// partition.
    GroupMetadata(
        Vec<(TopicPartition, u64)>,
        oneshot::Sender<EngineResult<rdkafka::consumer::ConsumerGroupMetadata>>,
    ),
    Stop,
}

pub(crate) struct PartitionState {
    pub queue: VecDeque<ConsumedMessage>,
    /// A handler call for this partition is running.
    pub busy: bool,
    /// The partition was revoked or the subscription is stopping: deliver nothing more.
    pub closed: bool,
    /// Fetching is paused because the buffer is full.
    pub throttled: bool,
    /// A seek is under way: fetched messages are from the old position and are dropped.
    pub seeking: bool,
    /// The poll thread found the buffer full and left the partition's own queue unpolled: it
    /// is to be woken once the buffer has room again.
    pub blocked: bool,
    pub wake: Arc<Notify>,
    /// The assignment this state belongs to (see `Held`).
    pub incarnation: u64,
}

/// What a worker should do next.
pub(crate) enum NextBatch {
    Batch(MessageBatch),
    Wait(Arc<Notify>),
    Exit,
}

pub(crate) struct Shared {
    pub options: SubscribeOptions,
    pub logger: Logger,
    pub stats: Arc<ConsumerStats>,
    pub semaphore: Arc<Semaphore>,
    pub runtime: tokio::runtime::Handle,
    /// Publishes to the retry ladder's topics; set when the subscription has a ladder.
    pub republisher: Option<Arc<Producer>>,
    /// Wakes the poll thread (librdkafka's queue events, room in a full buffer).
    pub poll_wake: Arc<PollWake>,
    /// Reports the member's commits and heartbeats, when the options asked for them.
    pub member_reports: MemberReports,
    handler: Mutex<Option<Arc<dyn BatchHandler>>>,
    on_error: Mutex<Option<ErrorSink>>,
    partitions: Mutex<HashMap<TopicPartition, PartitionState>>,
    /// The last assignment's incarnation (see `Held`).
    incarnations: AtomicU64,
    idle: Condvar,
    commands: Mutex<Vec<Command>>,
    user_paused: AtomicBool,
    stopping: AtomicBool,
    /// An offset was stored since the last commit of stored offsets that went through.
    uncommitted: AtomicBool,
    /// When `stop` was asked for; handlers get `drainTimeoutMs` from then, the final commit and
    /// the group leave `close_timeout` more.
    stop_requested: Mutex<Option<Instant>>,
    close_timeout: Mutex<Duration>,
    /// Set when the stop's drain is over: the commit and group leave end by then.
    close_by: Mutex<Option<Instant>>,
    /// The partition workers, aborted when the stop's drain time is up.
    workers: Mutex<Vec<AbortHandle>>,
    failure: Mutex<Option<EngineError>>,
}

/// Bound on the final commit and group leave of a stop that was given none.
pub(crate) const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

/// Bound on a commit while the subscription runs (librdkafka's own waits for a coordinator
/// that is gone have none).
const COMMIT_TIMEOUT: Duration = Duration::from_secs(30);

impl Shared {
    pub fn new(
        options: SubscribeOptions,
        logger: Logger,
        stats: Arc<ConsumerStats>,
        handler: Arc<dyn BatchHandler>,
        on_error: Option<ErrorSink>,
        runtime: tokio::runtime::Handle,
        republisher: Option<Arc<Producer>>,
    ) -> Self {
        Shared {
            semaphore: Arc::new(Semaphore::new(options.concurrency)),
            member_reports: MemberReports::new(&options.reports, &options.group_id),
            options,
            logger,
            stats,
            runtime,
            republisher,
            poll_wake: Arc::new(PollWake::default()),
            handler: Mutex::new(Some(handler)),
            on_error: Mutex::new(on_error),
            partitions: Mutex::new(HashMap::new()),
            incarnations: AtomicU64::new(0),
            idle: Condvar::new(),
            commands: Mutex::new(Vec::new()),
            user_paused: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            uncommitted: AtomicBool::new(false),
            stop_requested: Mutex::new(None),
            close_timeout: Mutex::new(DEFAULT_CLOSE_TIMEOUT),
            close_by: Mutex::new(None),
            workers: Mutex::new(Vec::new()),
            failure: Mutex::new(None),
        }
    }

    fn table(&self) -> MutexGuard<'_, HashMap<TopicPartition, PartitionState>> {
        self.partitions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The state of a worker's hold, if the partition is still held by that assignment.
    fn held<'t>(
        table: &'t mut HashMap<TopicPartition, PartitionState>,
        held: &Held,
    ) -> Option<&'t mut PartitionState> {
        table
            .get_mut(&held.tp)
            .filter(|s| s.incarnation == held.incarnation)
    }

    pub fn command(&self, c: Command) {
        self.commands
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(c);
    }

    pub fn take_commands(&self) -> Vec<Command> {
        std::mem::take(&mut *self.commands.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn handler(&self) -> Option<Arc<dyn BatchHandler>> {
        self.handler.lock().ok().and_then(|h| h.clone())
    }

    /// Lets go of the handler and the error sink (a JS callback keeps Node alive while it is
    /// held). An error already handed to the sink is still delivered.
    pub fn release_handler(&self) {
        if let Ok(mut h) = self.handler.lock() {
            h.take();
        }
        self.on_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// An offset was stored for commit (poll thread).
    pub fn note_stored(&self) {
        self.uncommitted.store(true, Ordering::Release);
    }

    /// A commit of every stored offset went through (poll thread, which alone stores).
    pub fn note_committed(&self) {
        self.uncommitted.store(false, Ordering::Release);
    }

    /// Whether an offset stored since the last commit that went through may be uncommitted.
    pub fn has_uncommitted(&self) -> bool {
        self.uncommitted.load(Ordering::Acquire)
    }

    pub fn is_user_paused(&self) -> bool {
        self.user_paused.load(Ordering::Acquire)
    }

    pub fn set_user_paused(&self, paused: bool) {
        self.user_paused.store(paused, Ordering::Release);
        self.command(if paused {
            Command::PauseAll
        } else {
            Command::ResumeAll
        });
        if !paused {
            for s in self.table().values() {
                s.wake.notify_one();
            }
        }
    }

    /// Asks the poll thread to stop; idempotent (the first request's time and bound count).
    pub fn request_stop(&self) {
        {
            let mut requested = self
                .stop_requested
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if requested.is_none() {
                *requested = Some(Instant::now());
            }
        }
        if !self.stopping.swap(true, Ordering::AcqRel) {
            self.command(Command::Stop);
            // A revocation waiting for handlers now keeps to the stop's deadline.
            let _table = self.table();
            self.idle.notify_all();
        }
    }

    /// Bounds the final commit and group leave of the coming stop (before `request_stop`).
    pub fn set_close_timeout(&self, timeout: Duration) {
        if !self.is_stopping() {
            *self.close_timeout.lock().unwrap_or_else(|p| p.into_inner()) = timeout;
        }
    }

    fn close_timeout(&self) -> Duration {
        *self.close_timeout.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Until when handlers may still finish, once a stop was requested.
    pub fn drain_deadline(&self) -> Option<Instant> {
        let requested = *self
            .stop_requested
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        requested.map(|t| t + Duration::from_millis(self.options.drain_timeout_ms))
    }

    /// Until when the final commit and group leave may take, once a stop was requested:
    /// `close_timeout` after the drain ended (`begin_close`), at the latest after its deadline.
    pub fn close_deadline(&self) -> Option<Instant> {
        let close_by = *self.close_by.lock().unwrap_or_else(|p| p.into_inner());
        close_by.or_else(|| self.drain_deadline().map(|d| d + self.close_timeout()))
    }

    /// The stop's drain is over: from now the commit and group leave get `close_timeout`.
    pub fn begin_close(&self) {
        let by = Instant::now() + self.close_timeout();
        let latest = self.close_deadline().unwrap_or(by);
        *self.close_by.lock().unwrap_or_else(|p| p.into_inner()) = Some(by.min(latest));
    }

    /// How long a commit may wait for the broker now: `COMMIT_TIMEOUT` while running, what is
    /// left of the close deadline while stopping.
    pub fn commit_timeout(&self) -> Duration {
        match self.close_deadline() {
            Some(d) => d.saturating_duration_since(Instant::now()),
            None => COMMIT_TIMEOUT,
        }
    }

    /// Starts a partition's worker on the runtime, to be aborted by `abort_workers`.
    pub fn spawn_worker(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        let handle = self.runtime.spawn(task).abort_handle();
        let mut workers = self.workers.lock().unwrap_or_else(|p| p.into_inner());
        workers.retain(|w| !w.is_finished());
        workers.push(handle);
    }

    /// Ends every partition worker at its next await: a handler call still running after the
    /// drain is abandoned, and with it the worker's hold on the handler.
    pub fn abort_workers(&self) {
        for w in std::mem::take(&mut *self.workers.lock().unwrap_or_else(|p| p.into_inner())) {
            w.abort();
        }
    }

    /// Records why the subscription stops, tells the error sink, and stops it.
    pub fn fail(&self, error: EngineError) {
        self.logger
            .log(LogLevel::Error, "consumer", "HANDLER", &error.to_string());
        let first = {
            let mut f = self.failure.lock().unwrap_or_else(|p| p.into_inner());
            let first = f.is_none();
            if first {
                *f = Some(error.clone());
            }
            first
        };
        if first {
            let sink = self
                .on_error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            if let Some(sink) = sink {
                sink(error);
            }
        }
        self.request_stop();
    }

    pub fn failure(&self) -> Option<EngineError> {
        self.failure.lock().ok().and_then(|f| f.clone())
    }

    /// New partitions: creates their buffers and returns their workers' holds and what they wait
    /// on. None while stopping: what a rebalance served before the member leaves assigns it is
    /// not delivered.
    pub fn open_partitions(&self, tps: &[TopicPartition]) -> Vec<(Held, Arc<Notify>)> {
        let mut table = self.table();
        let mut opened = Vec::new();
        if self.is_stopping() {
            return opened;
        }
        for tp in tps {
            if table.contains_key(tp) {
                continue;
            }
            let wake = Arc::new(Notify::new());
            let incarnation = self.incarnations.fetch_add(1, Ordering::Relaxed) + 1;
            table.insert(
                tp.clone(),
                PartitionState {
                    queue: VecDeque::new(),
                    busy: false,
                    closed: false,
                    throttled: false,
                    seeking: false,
                    blocked: false,
                    wake: wake.clone(),
                    incarnation,
                },
            );
            let held = Held {
                tp: tp.clone(),
                incarnation,
            };
            opened.push((held, wake));
        }
        opened
    }

    /// Stops delivery for these partitions (all when `None`): buffered messages are dropped
    /// (they were not stored, so they come again to whoever owns the partition next) and workers
    /// exit after their running call. Then waits, bounded (and never past a requested stop's
    /// drain deadline), until no running call remains. Returns false if the wait timed out.
    pub fn close_partitions(&self, tps: Option<&[TopicPartition]>, timeout: Duration) -> bool {
        let mut table = self.table();
        for (tp, s) in table.iter_mut() {
            if tps.is_none_or(|list| list.contains(tp)) {
                s.closed = true;
                s.queue.clear();
                s.wake.notify_one();
            }
        }
        let deadline = Instant::now() + timeout;
        loop {
            let busy = table
                .iter()
                .any(|(tp, s)| s.busy && tps.is_none_or(|list| list.contains(tp)));
            if !busy {
                return true;
            }
            let deadline = self.drain_deadline().map_or(deadline, |d| d.min(deadline));
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            table = match self.idle.wait_timeout(table, deadline - now) {
                Ok((t, _)) => t,
                Err(p) => p.into_inner().0,
            };
        }
    }

    /// Forgets closed partitions once they are unassigned.
    pub fn remove_partitions(&self, tps: &[TopicPartition]) {
        let mut table = self.table();
        for tp in tps {
            table.remove(tp);
            self.stats.forget_partition(&tp.0, tp.1);
        }
    }

    /// Partitions currently delivering.
    pub fn assigned(&self) -> Vec<TopicPartition> {
        let mut v: Vec<_> = self
            .table()
            .iter()
            .filter(|(_, s)| !s.closed)
            .map(|(tp, _)| tp.clone())
            .collect();
        v.sort();
        v
    }

    /// Appends fetched messages, runs of one partition each in the order they were polled, to
    /// their partitions' buffers and wakes their workers. With `throttle` (messages from the
    /// consumer's shared queue), returns the partitions whose buffer is now over the limit and
    /// must pause fetching; messages from a partition's own queue come only as far as `room`
    /// allowed, and never pause it.
    pub fn route(
        &self,
        fetched: Vec<(TopicPartition, Vec<ConsumedMessage>)>,
        throttle: bool,
    ) -> Vec<TopicPartition> {
        let limit = self.options.max_buffered_per_partition;
        let mut to_pause = Vec::new();
        let mut table = self.table();
        for (tp, messages) in fetched {
            let Some(s) = table.get_mut(&tp) else {
                continue;
            };
            if s.closed || s.seeking {
                continue;
            }
            self.stats.on_consumed(messages.len());
            s.queue.extend(messages);
            if throttle && s.queue.len() >= limit && !s.throttled {
                s.throttled = true;
                to_pause.push(tp.clone());
            }
            s.wake.notify_one();
        }
        to_pause
    }

    /// Takes the next batch for a partition's worker, and marks the partition busy.
    pub fn next_batch(&self, tp: &Held) -> NextBatch {
        let mut table = self.table();
        let Some(s) = Self::held(&mut table, tp) else {
            return NextBatch::Exit;
        };
        if s.closed || self.is_stopping() {
            return NextBatch::Exit;
        }
        if s.queue.is_empty() || s.seeking || self.is_user_paused() {
            return NextBatch::Wait(s.wake.clone());
        }
        let n = s.queue.len().min(self.options.max_batch_size);
        let messages: Vec<ConsumedMessage> = s.queue.drain(..n).collect();
        s.busy = true;
        if s.blocked && s.queue.len() <= self.options.max_buffered_per_partition / 2 {
            s.blocked = false;
            self.poll_wake.wake();
        }
        if s.throttled && s.queue.len() <= self.options.max_buffered_per_partition / 2 {
            s.throttled = false;
            if !self.is_user_paused() {
                self.command(Command::Resume(tp.tp.clone()));
            }
        }
        NextBatch::Batch(MessageBatch {
            topic: tp.0.clone(),
            partition: tp.1,
            messages,
            assignment: tp.incarnation,
        })
    }

    /// A copy of the batch `next_batch` would take now, for a handler's look-ahead; `None` when
    /// there is none (empty buffer, seek under way, partition closed).
    pub fn peek_batch(&self, tp: &Held) -> Option<MessageBatch> {
        let mut table = self.table();
        let s = Self::held(&mut table, tp)?;
        if s.closed || s.seeking || s.queue.is_empty() {
            return None;
        }
        let n = s.queue.len().min(self.options.max_batch_size);
        Some(MessageBatch {
            topic: tp.0.clone(),
            partition: tp.1,
            messages: s.queue.iter().take(n).cloned().collect(),
            assignment: tp.incarnation,
        })
    }

    /// How many more messages the partition's buffer takes (0 for a partition not held). At 0 the
    /// partition is marked blocked: `next_batch` wakes the poll thread once it has room again.
    pub fn room(&self, tp: &TopicPartition) -> usize {
        let mut table = self.table();
        let Some(s) = table.get_mut(tp) else {
            return 0;
        };
        let room = self
            .options
            .max_buffered_per_partition
            .saturating_sub(s.queue.len());
        if room == 0 {
            s.blocked = true;
        }
        room
    }

    /// A worker's handler call ended.
    pub fn finish_batch(&self, tp: &Held) {
        let mut table = self.table();
        if let Some(s) = Self::held(&mut table, tp) {
            s.busy = false;
        }
        self.idle.notify_all();
    }

    /// Starts a seek: drops the partition's buffer and stops delivering it. False when the
    /// partition is not held.
    pub fn begin_seek(&self, tp: &TopicPartition) -> bool {
        let mut table = self.table();
        match table.get_mut(tp) {
            Some(s) if !s.closed => {
                s.seeking = true;
                s.queue.clear();
                true
            }
            _ => false,
        }
    }

    /// Ends a seek (the consumer fetches from the new position); false when the partition was
    /// revoked meanwhile.
    pub fn end_seek(&self, tp: &TopicPartition) -> bool {
        let mut table = self.table();
        match table.get_mut(tp) {
            Some(s) if !s.closed => {
                s.seeking = false;
                s.throttled = false;
                s.queue.clear();
                if std::mem::take(&mut s.blocked) {
                    self.poll_wake.wake();
                }
                s.wake.notify_one();
                true
            }
            _ => false,
        }
    }

    /// Whether a handler call for the partition is running.
    pub fn is_busy(&self, tp: &TopicPartition) -> bool {
        self.table().get(tp).is_some_and(|s| s.busy)
    }

    /// Whether this assignment of the partition still holds it (not revoked, not assigned
    /// again since).
    pub fn holds(&self, tp: &TopicPartition, assignment: u64) -> bool {
        self.table()
            .get(tp)
            .is_some_and(|s| s.incarnation == assignment && !s.closed)
    }

    /// Whether a worker's hold no longer delivers: the subscription stops, or the partition was
    /// revoked (even if it was assigned again since).
    pub fn is_closed(&self, tp: &Held) -> bool {
        self.is_stopping() || Self::held(&mut self.table(), tp).is_none_or(|s| s.closed)
    }

    /// Puts messages taken by `next_batch` back at the front of the partition's buffer, in order.
    pub fn requeue_front(&self, tp: &Held, messages: Vec<ConsumedMessage>) {
        if let Some(s) = Self::held(&mut self.table(), tp) {
            if !s.closed {
                for m in messages.into_iter().rev() {
                    s.queue.push_front(m);
                }
            }
        }
    }

    /// What wakes the partition's worker (new messages, closing).
    pub fn wake_of(&self, tp: &Held) -> Option<Arc<Notify>> {
        Self::held(&mut self.table(), tp).map(|s| s.wake.clone())
    }

    /// Whether the partition's fetching is paused because its buffer is full.
    pub fn is_throttled(&self, tp: &TopicPartition) -> bool {
        self.table().get(tp).is_some_and(|s| s.throttled)
    }
}
