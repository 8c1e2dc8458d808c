//! The producer's enqueue lane against the mock cluster: sends made while a lane call waits
//! are queued after it, and a flush (as `disconnect` does) queues what waits in the lane first.

use std::time::Duration;

use crate::engine::message::OutgoingMessage;
use crate::engine::producer::{BatchOutcome, Keying};
use crate::engine::tests::connected_engine;

/// `n` messages of one key, their values `label:i`.
fn messages(label: &str, n: usize) -> Vec<OutgoingMessage<Vec<u8>>> {
    (0..n)
        .map(|i| {
            OutgoingMessage::value(format!("{label}:{i}").into_bytes()).with_key(b"k".to_vec())
        })
        .collect()
}

/// Each outcome's offset, every message acknowledged.
fn offsets(outcome: BatchOutcome) -> Vec<i64> {
    outcome.into_iter().map(|r| r.unwrap().offset).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_made_while_the_lane_is_busy_keep_their_order() {
    let (_cluster, engine) = connected_engine(1, "lane", 1).await;
    let producer = engine.producer().unwrap();
    let first = messages("first", 2_000);
    let second = messages("second", 300);
    let third = messages("third", 2_000);
    let fourth = messages("fourth", 1);
    let later = |batch: Vec<OutgoingMessage<Vec<u8>>>| {
        producer.send_later(batch.len(), Keying::AsGiven, move |send| {
            send.slots(batch.iter().map(|m| Ok(("lane", m))))
        })
    };
    let a = later(first);
    // Made while the lane may still hold the first call: copied and queued behind it.
    let b = producer.send_batch(second.iter().map(|m| ("lane", m)));
    let c = later(third);
    let d = producer.send_batch(fourth.iter().map(|m| ("lane", m)));
    let mut all = Vec::new();
    for delivery in [a, b, c, d] {
        all.extend(offsets(delivery.wait().await));
    }
    assert_eq!(all.len(), 4_301);
    assert!(
        all.windows(2).all(|w| w[0] < w[1]),
        "offsets out of call order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lane_job_that_gives_fewer_slots_fails_the_missing_ones() {
    let (_cluster, engine) = connected_engine(1, "lane-short", 1).await;
    let producer = engine.producer().unwrap();
    let batch = messages("short", 3);
    let outcome = producer
        .send_later(5, Keying::AsGiven, move |send| {
            send.slots(batch.iter().map(|m| Ok(("lane-short", m))))
        })
        .wait()
        .await;
    assert_eq!(outcome.len(), 5);
    assert!(outcome[..3].iter().all(|r| r.is_ok()));
    assert!(outcome[3..].iter().all(|r| r.is_err()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flush_queues_what_waits_in_the_lane_first() {
    let (_cluster, engine) = connected_engine(1, "lane-flush", 1).await;
    let producer = engine.producer().unwrap();
    let batch = messages("flushed", 5_000);
    let delivery = producer.send_later(batch.len(), Keying::AsGiven, move |send| {
        send.slots(batch.iter().map(|m| Ok(("lane-flush", m))))
    });
    let flushing = producer.clone();
    tokio::task::spawn_blocking(move || flushing.flush(Duration::from_secs(10)))
        .await
        .unwrap()
        .unwrap();
    // Every report arrived during the flush: the outcome is there at once.
    let outcome = tokio::time::timeout(Duration::from_millis(500), delivery.wait())
        .await
        .expect("the batch settled during the flush");
    assert_eq!(offsets(outcome).len(), 5_000);
}
