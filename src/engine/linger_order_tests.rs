//! The adaptive linger against the mock cluster: at a steady pace the sends it holds keep their
//! order with the sends around them, and a flush (as `disconnect` does) queues them first.

use std::time::{Duration, Instant};

use crate::engine::message::OutgoingMessage;
use crate::engine::tests::connected_engine_with;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_held_at_a_steady_pace_keep_their_order_and_a_flush_queues_them() {
    let (_cluster, engine) = connected_engine_with(1, "linger", 1, |config| {
        config.producer.adaptive_linger_ms = 5.0;
    })
    .await;
    let producer = engine.producer().unwrap();
    let mut deliveries = Vec::new();
    let mut sent = 0;
    // Single-message calls, 40 to a millisecond's pause while fewer than 500 are in flight: a
    // pace of thousands a second with earlier ones in flight, which the adaptive linger holds,
    // however slowly a busy machine acknowledges. Until it held a few (at most 20 s).
    let deadline = Instant::now() + Duration::from_secs(20);
    while producer.lingered() < 5 && Instant::now() < deadline {
        if producer.stats().in_flight() < 500 {
            for _ in 0..40 {
                let message =
                    [OutgoingMessage::value(format!("{sent}").into_bytes())
                        .with_key(b"k".to_vec())];
                deliveries.push(producer.send_batch(message.iter().map(|m| ("linger", m))));
                sent += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert!(
        producer.lingered() >= 5,
        "sends held: {}",
        producer.lingered()
    );
    let flushing = producer.clone();
    tokio::task::spawn_blocking(move || flushing.flush(Duration::from_secs(30)))
        .await
        .unwrap()
        .unwrap();
    let mut offsets = Vec::new();
    for delivery in deliveries {
        let outcome = delivery.wait().await;
        offsets.extend(outcome.into_iter().map(|r| r.unwrap().offset));
    }
    assert_eq!(offsets.len(), sent);
    assert!(
        offsets.windows(2).all(|w| w[0] < w[1]),
        "offsets out of call order"
    );
}
