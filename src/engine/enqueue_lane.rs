//! The producer's enqueue lane: calls that hand messages to librdkafka away from the caller's
//! thread, one after another, on a task of the tokio runtime. A large `publishBatch` queues its
//! messages there, so the Node thread does not spend the time librdkafka's queueing takes (nor
//! wake its broker threads itself). While anything waits in the lane, every other send of the
//! producer goes through it too, so no message overtakes one published before it. A job may
//! wait for a moment before it runs (`push_at`: the adaptive linger), holding those after it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

/// One call's queueing, run in the lane.
pub type LaneJob = Box<dyn FnOnce() + Send>;

/// A job, and the moment before which it does not run, if any.
type Timed = (Option<Instant>, LaneJob);

/// The calls of one producer that queue in the lane, in the order they were pushed.
#[derive(Default)]
pub struct EnqueueLane {
    /// Jobs pushed and not yet finished.
    queued: Arc<AtomicUsize>,
    /// The lane's task, started by the first push made within a tokio runtime.
    sender: Mutex<Option<mpsc::UnboundedSender<Timed>>>,
}

impl EnqueueLane {
    /// Whether a job waits or runs: a send made now must go through the lane to keep its order.
    pub fn busy(&self) -> bool {
        self.queued.load(Ordering::Acquire) > 0
    }

    /// Runs `job` after every job pushed before it, on the lane's task. With no task (none
    /// started yet, or its runtime shut down, dropping the jobs it held) and no tokio runtime to
    /// start one on, it runs at once: no job waits before it.
    pub fn push(&self, job: LaneJob) {
        self.push_at(None, job)
    }

    /// `push`, with the job run no sooner than `not_before` (at once when it runs without a
    /// task).
    pub fn push_at(&self, not_before: Option<Instant>, job: LaneJob) {
        let mut sender = self.sender.lock().unwrap_or_else(|p| p.into_inner());
        if sender.as_ref().is_none_or(|s| s.is_closed()) {
            // A task that is gone holds no job any more.
            self.queued.store(0, Ordering::Release);
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    let (tx, rx) = mpsc::unbounded_channel();
                    runtime.spawn(run(rx, self.queued.clone()));
                    *sender = Some(tx);
                }
                Err(_) => {
                    drop(sender);
                    job();
                    return;
                }
            }
        }
        self.queued.fetch_add(1, Ordering::AcqRel);
        if let Some(tx) = sender.as_ref() {
            if let Err(unsent) = tx.send((not_before, job)) {
                self.queued.fetch_sub(1, Ordering::AcqRel);
                drop(sender);
                (unsent.0 .1)();
            }
        }
    }

    /// Blocks until no job waits or runs, or `deadline` passes; false when one still does.
    pub fn wait_idle(&self, deadline: Instant) -> bool {
        while self.busy() {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        true
    }
}

/// The lane's task: runs each job in turn. A job is dropped (with what it holds) before it is
/// counted as finished, so a caller that waited for the lane to be idle holds the last of it.
async fn run(mut rx: mpsc::UnboundedReceiver<Timed>, queued: Arc<AtomicUsize>) {
    while let Some((not_before, job)) = rx.recv().await {
        if let Some(at) = not_before {
            tokio::time::sleep_until(at.into()).await;
        }
        job();
        queued.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_run_in_the_order_pushed() {
        let lane = EnqueueLane::default();
        let seen = Arc::new(Mutex::new(Vec::new()));
        for i in 0..200 {
            let seen = seen.clone();
            lane.push(Box::new(move || seen.lock().unwrap().push(i)));
        }
        let idle = tokio::task::spawn_blocking(move || {
            let idle = lane.wait_idle(Instant::now() + Duration::from_secs(10));
            (idle, lane.busy())
        })
        .await
        .unwrap();
        assert_eq!(idle, (true, false));
        assert_eq!(*seen.lock().unwrap(), (0..200).collect::<Vec<_>>());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_timed_job_holds_the_jobs_after_it() {
        let lane = Arc::new(EnqueueLane::default());
        let ran = Arc::new(Mutex::new(Vec::new()));
        let at = Instant::now() + Duration::from_millis(30);
        let r = ran.clone();
        lane.push_at(
            Some(at),
            Box::new(move || r.lock().unwrap().push((1, Instant::now()))),
        );
        let r = ran.clone();
        lane.push(Box::new(move || {
            r.lock().unwrap().push((2, Instant::now()))
        }));
        let waiting = lane.clone();
        tokio::task::spawn_blocking(move || waiting.wait_idle(at + Duration::from_secs(10)))
            .await
            .unwrap();
        let ran = ran.lock().unwrap();
        assert_eq!(ran.iter().map(|r| r.0).collect::<Vec<_>>(), vec![1, 2]);
        assert!(ran.iter().all(|r| r.1 >= at));
    }

    #[test]
    fn without_a_runtime_a_job_runs_at_once() {
        let lane = EnqueueLane::default();
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        lane.push(Box::new(move || {
            r.fetch_add(1, Ordering::SeqCst);
        }));
        assert_eq!(ran.load(Ordering::SeqCst), 1);
        assert!(!lane.busy());
    }
}
