//! What wakes the poll thread between polls: librdkafka telling that a queue got something (the
//! consumer's own queue or a partition's), or a worker that made room in a full buffer. The poll
//! thread itself waits here rather than inside librdkafka, so any of these ends its wait.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

#[derive(Default)]
pub(crate) struct PollWake {
    pending: AtomicBool,
    lock: Mutex<()>,
    cond: Condvar,
}

impl PollWake {
    /// Ends the poll thread's current or next wait. Cheap when a wake-up is already pending, as
    /// it is for all but the first of a fetch's messages.
    pub fn wake(&self) {
        if !self.pending.swap(true, Ordering::AcqRel) {
            let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
            self.cond.notify_one();
        }
    }

    /// Waits until woken, at most `timeout`; a wake-up that came before the call ends it at once.
    pub fn wait(&self, timeout: Duration) {
        let guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        if !self.pending.swap(false, Ordering::AcqRel) {
            let _ = self.cond.wait_timeout_while(guard, timeout, |_| {
                !self.pending.swap(false, Ordering::AcqRel)
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_wake_before_the_wait_is_not_lost() {
        let w = PollWake::default();
        w.wake();
        // Ends at once rather than after the (test-hanging) hour.
        w.wait(Duration::from_secs(3600));
    }

    #[test]
    fn a_wake_from_another_thread_ends_the_wait() {
        let w = Arc::new(PollWake::default());
        let waker = w.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            waker.wake();
        });
        w.wait(Duration::from_secs(3600));
        t.join().unwrap();
    }
}
