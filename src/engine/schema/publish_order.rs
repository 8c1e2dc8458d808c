//! Schema'd publishes queued in the order they were called. Each call encodes on the runtime
//! (fetching its schema the first time), so two calls can finish encoding in either order; a
//! [`Turn`] taken at call time, on the calling thread, makes each wait for the one before it
//! before queuing its messages. Encoding still runs in parallel.

use std::sync::Mutex;
use tokio::sync::oneshot;

/// The chain of turns of one producer's schema'd publishes.
#[derive(Default)]
pub struct PublishOrder {
    /// Fires when the last turn taken ends.
    last: Mutex<Option<oneshot::Receiver<()>>>,
}

/// A place in the order: `wait` returns once every earlier turn has ended; dropping the turn
/// ends it.
pub struct Turn {
    previous: Option<oneshot::Receiver<()>>,
    _ended: oneshot::Sender<()>,
}

impl PublishOrder {
    /// The next turn. Take turns in call order (on the thread that receives the calls).
    pub fn next_turn(&self) -> Turn {
        let (ended, next) = oneshot::channel();
        let previous = self
            .last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .replace(next);
        Turn {
            previous,
            _ended: ended,
        }
    }
}

impl Turn {
    /// Waits until every earlier turn has ended (been dropped).
    pub async fn wait(&mut self) {
        if let Some(previous) = self.previous.take() {
            // An error means the sender was dropped: that turn ended too.
            let _ = previous.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn turns_queue_in_the_order_they_were_taken_whatever_order_they_finish_in() {
        let order = PublishOrder::default();
        let queued = Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..20u64)
            .map(|i| {
                let mut turn = order.next_turn();
                let queued = queued.clone();
                tokio::spawn(async move {
                    // The earlier calls "encode" longest.
                    tokio::time::sleep(Duration::from_millis(2 * (20 - i))).await;
                    turn.wait().await;
                    queued.lock().unwrap().push(i);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*queued.lock().unwrap(), (0..20).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_turn_dropped_without_waiting_releases_the_next() {
        let order = PublishOrder::default();
        let first = order.next_turn();
        let mut second = order.next_turn();
        drop(first);
        tokio::time::timeout(Duration::from_secs(5), second.wait())
            .await
            .expect("the second turn waits for nothing once the first is dropped");
        let mut third = order.next_turn();
        let waiting = tokio::time::timeout(Duration::from_millis(50), third.wait()).await;
        assert!(
            waiting.is_err(),
            "the third turn waits while the second is held"
        );
        drop(second);
        tokio::time::timeout(Duration::from_secs(5), third.wait())
            .await
            .expect("released");
    }
}
