//! Bounded prefetch against librdkafka's mock cluster: a slow handler holds the subscription's
//! buffers at their bound, and everything still arrives once, in order, when it catches up.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;

use crate::engine::consumer::{HandlerOutcome, SubscribeOptions};
use crate::engine::message::{MessageBatch, OutgoingMessage};
use crate::engine::tests::{connected_engine, wait_until};

const MESSAGES: usize = 3_000;
const BOUND: usize = 100;
const BATCH: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_handler_keeps_the_buffer_at_its_bound_and_loses_nothing() {
    let (_cluster, engine) = connected_engine(1, "backlog", 1).await;
    let messages: Vec<OutgoingMessage<Vec<u8>>> = (0..MESSAGES)
        .map(|i| OutgoingMessage::value(i.to_string().into_bytes()))
        .collect();
    let results = engine
        .send_batch(messages.iter().map(|m| ("backlog", m)))
        .unwrap()
        .wait()
        .await;
    assert!(results.iter().all(|r| r.is_ok()));

    // The handler holds its first call until released.
    let released = Arc::new(AtomicBool::new(false));
    let seen: Arc<Mutex<Vec<i64>>> = Arc::default();
    let (handler_released, handler_seen) = (released.clone(), seen.clone());
    let handler = Arc::new(move |batch: Arc<MessageBatch>| {
        let (released, seen) = (handler_released.clone(), handler_seen.clone());
        async move {
            while !released.load(Ordering::Acquire) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            seen.lock()
                .unwrap()
                .extend(batch.messages.iter().map(|m| m.offset));
            HandlerOutcome::done(batch.messages.len())
        }
        .boxed()
    });
    let mut options = SubscribeOptions::new("g-prefetch", vec!["backlog".into()]);
    options.from_beginning = true;
    options.max_buffered_per_partition = BOUND;
    options.max_batch_size = BATCH;
    let sub = engine.subscribe(options, handler, None).await.unwrap();

    wait_until("the buffer to fill", || {
        engine.stats().consumer.consumed as usize >= BOUND
    })
    .await;
    // While the handler holds, the poll thread keeps polling; what it takes in never exceeds the
    // buffer plus the batch in the handler.
    for _ in 0..20 {
        let consumed = engine.stats().consumer.consumed as usize;
        assert!(consumed <= BOUND + BATCH, "{consumed} messages taken in");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    released.store(true, Ordering::Release);
    wait_until("every message", || seen.lock().unwrap().len() >= MESSAGES).await;
    let seen = seen.lock().unwrap().clone();
    let expected: Vec<i64> = (0..MESSAGES as i64).collect();
    assert_eq!(seen, expected, "each message once, in offset order");
    assert_eq!(engine.stats().consumer.consumed as usize, MESSAGES);
    sub.stop().await;
    engine.disconnect(Duration::from_secs(5)).await.unwrap();
}
