//! The worker of a partition consumed with `ordering: key`: messages of one key go to the handler
//! one at a time in offset order, different keys run in parallel (bounded by `concurrency` over the
//! subscription), and the partition's committed offset follows the lowest unfinished message.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use tokio::sync::{mpsc, Notify};

use crate::engine::consumer::offset_tracker::OffsetTracker;
use crate::engine::consumer::partition_worker::{deliver, wait};
use crate::engine::consumer::retry_delivery::{self, Admit};
use crate::engine::consumer::shared::{Command, Held, NextBatch, Shared};
use crate::engine::message::{ConsumedMessage, MessageBatch};

type Key = Vec<u8>;

/// A handler call that ended: the key it held, the offset, and whether it finished the message
/// (false: the partition closed or the subscription failed).
struct Finished {
    key: Option<Key>,
    offset: i64,
    done: bool,
}

struct Lanes {
    shared: Arc<Shared>,
    tp: Held,
    /// Messages waiting for their key's running call to end.
    waiting: HashMap<Key, VecDeque<ConsumedMessage>>,
    /// Keys with a call running.
    running: HashSet<Key>,
    in_flight: usize,
    tracker: OffsetTracker,
    finished: mpsc::UnboundedSender<Finished>,
    /// A call did not finish its message: take no more, exit once the running calls ended.
    stopping: bool,
}

impl Lanes {
    fn dispatch(&mut self, m: ConsumedMessage) {
        self.tracker.start(m.offset);
        match m.key.clone() {
            Some(key) if self.running.contains(&key) => {
                self.waiting.entry(key).or_default().push_back(m)
            }
            key => self.spawn(key, m),
        }
    }

    fn spawn(&mut self, key: Option<Key>, m: ConsumedMessage) {
        if let Some(k) = &key {
            self.running.insert(k.clone());
        }
        self.in_flight += 1;
        let shared = self.shared.clone();
        let tp = self.tp.clone();
        let finished = self.finished.clone();
        self.shared.runtime.spawn(async move {
            let offset = m.offset;
            let batch = MessageBatch {
                topic: tp.0.clone(),
                partition: tp.1,
                messages: vec![m],
                assignment: tp.incarnation,
            };
            let permit = shared.semaphore.clone().acquire_owned().await;
            let done = deliver(&shared, &tp, batch, &|_| {}).await;
            drop(permit);
            let _ = finished.send(Finished { key, offset, done });
        });
    }

    fn on_finished(&mut self, f: Finished) {
        self.in_flight -= 1;
        if !f.done {
            self.stopping = true;
        }
        if f.done {
            if let Some(next) = self.tracker.finish(f.offset) {
                self.shared
                    .command(Command::Store(self.tp.tp.clone(), next));
            }
        }
        let Some(key) = f.key else {
            return;
        };
        let next = self.waiting.get_mut(&key).and_then(VecDeque::pop_front);
        if self.waiting.get(&key).is_some_and(VecDeque::is_empty) {
            self.waiting.remove(&key);
        }
        match next {
            Some(m) if !self.stopping => self.spawn(Some(key), m),
            _ => {
                self.running.remove(&key);
            }
        }
    }

    /// Holds the partition until its next message is due (see `retry_delivery::wait_until_due`),
    /// while the calls already running end: their offsets are stored and their keys' next
    /// messages start meanwhile, not when the waiting message is due.
    async fn wait_until_due(&mut self, rx: &mut mpsc::UnboundedReceiver<Finished>, due_ms: i64) {
        let shared = self.shared.clone();
        let tp = self.tp.clone();
        let due = retry_delivery::wait_until_due(&shared, &tp, due_ms);
        tokio::pin!(due);
        loop {
            if self.in_flight == 0 {
                shared.finish_batch(&tp);
            }
            tokio::select! {
                _ = &mut due => return,
                Some(f) = rx.recv(), if self.in_flight > 0 => self.on_finished(f),
            }
        }
    }
}

/// Runs until the partition is revoked, the subscription stops, or a message cannot be finished.
pub(crate) async fn run(shared: Arc<Shared>, tp: Held) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let limit = shared.options.max_buffered_per_partition;
    let mut lanes = Lanes {
        shared: shared.clone(),
        tp: tp.clone(),
        waiting: HashMap::new(),
        running: HashSet::new(),
        in_flight: 0,
        tracker: OffsetTracker::default(),
        finished: tx,
        stopping: false,
    };
    loop {
        while let Ok(f) = rx.try_recv() {
            lanes.on_finished(f);
        }
        let mut wake: Option<Arc<Notify>> = None;
        if lanes.stopping {
            // Nothing new starts; the running calls end (or see the partition closed).
        } else if lanes.tracker.len() < limit {
            match shared.next_batch(&tp) {
                NextBatch::Batch(batch) => match retry_delivery::admit(&shared, &tp, batch) {
                    Admit::Deliver(b) => {
                        for m in b.messages {
                            lanes.dispatch(m);
                        }
                        continue;
                    }
                    Admit::Skip => continue,
                    Admit::NotYet(due_ms) => {
                        lanes.wait_until_due(&mut rx, due_ms).await;
                        continue;
                    }
                },
                NextBatch::Wait(w) => wake = Some(w),
                NextBatch::Exit => lanes.stopping = true,
            }
        }
        if lanes.in_flight == 0 {
            shared.finish_batch(&tp);
            if lanes.stopping {
                return;
            }
        }
        match wake {
            Some(w) if lanes.in_flight == 0 => wait(&w).await,
            Some(w) => {
                tokio::select! {
                    f = rx.recv() => if let Some(f) = f { lanes.on_finished(f) },
                    _ = wait(&w) => {}
                }
            }
            None if lanes.in_flight == 0 => {}
            None => {
                if let Some(f) = rx.recv().await {
                    lanes.on_finished(f);
                }
            }
        }
    }
}
