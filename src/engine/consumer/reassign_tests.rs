//! A partition revoked while its worker waits to retry a failed batch (the drain timed out),
//! then assigned again: the old worker ends without delivering its batch again and takes
//! nothing of the new assignment's buffer; the new assignment's worker gets it. Before the
//! workers held an assignment (`Held`), the old worker saw the new assignment as its own and
//! retried its stale batch under it: a transactional subscription then committed the batch's
//! outputs with the new generation, and the new worker transformed the same inputs again.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;

use crate::engine::consumer::handler::HandlerOutcome;
use crate::engine::consumer::options::SubscribeOptions;
use crate::engine::consumer::partition_worker;
use crate::engine::consumer::shared::{NextBatch, Shared};
use crate::engine::logging::{LogLevel, Logger};
use crate::engine::message::{ConsumedMessage, MessageBatch};
use crate::engine::stats::ConsumerStats;

fn message(offset: i64) -> ConsumedMessage {
    ConsumedMessage {
        key: None,
        value: Some(offset.to_string().into_bytes()),
        headers: Vec::new(),
        offset,
        timestamp: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_of_a_revoked_assignment_does_not_retry_under_the_next_one() {
    let tp = ("reassigned".to_string(), 0);
    let mut options = SubscribeOptions::new("g-reassign", vec![tp.0.clone()]);
    options.retries = 5;
    options.retry_backoff_ms = 300;
    // Every call fails (retriable), and says which offsets it was given.
    let calls: Arc<Mutex<Vec<Vec<i64>>>> = Arc::default();
    let seen = calls.clone();
    let handler = Arc::new(move |batch: Arc<MessageBatch>| {
        seen.lock()
            .unwrap()
            .push(batch.messages.iter().map(|m| m.offset).collect());
        async { HandlerOutcome::failed(0, "not yet") }.boxed()
    });
    let shared = Arc::new(Shared::new(
        options,
        Logger::new(LogLevel::Error, "reassign", None),
        Arc::new(ConsumerStats::default()),
        handler,
        None,
        tokio::runtime::Handle::current(),
        None,
    ));

    let (old, _) = shared.open_partitions(std::slice::from_ref(&tp)).remove(0);
    shared.route(vec![(tp.clone(), vec![message(0), message(1)])], false);
    let worker = tokio::spawn(partition_worker::run(shared.clone(), old.clone()));
    while calls.lock().unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    // Revoked during the retry's backoff, the drain given up at once, then assigned again,
    // with newer messages fetched for the new assignment.
    assert!(!shared.close_partitions(Some(std::slice::from_ref(&tp)), Duration::ZERO));
    shared.remove_partitions(std::slice::from_ref(&tp));
    let (new, _) = shared.open_partitions(std::slice::from_ref(&tp)).remove(0);
    assert_ne!(new.incarnation, old.incarnation);
    shared.route(
        vec![(tp.clone(), vec![message(0), message(1), message(2)])],
        false,
    );
    assert!(shared.is_closed(&old));
    assert!(!shared.is_closed(&new));

    tokio::time::timeout(Duration::from_secs(10), worker)
        .await
        .expect("the old worker ends after its backoff")
        .unwrap();
    assert_eq!(
        *calls.lock().unwrap(),
        vec![vec![0, 1]],
        "no retry under the new assignment"
    );
    match shared.next_batch(&new) {
        NextBatch::Batch(b) => assert_eq!(
            b.messages.iter().map(|m| m.offset).collect::<Vec<_>>(),
            vec![0, 1, 2]
        ),
        _ => panic!("the new assignment's buffer is intact"),
    }
    // The old worker's end does not mark the new assignment idle.
    shared.finish_batch(&old);
    assert!(shared.is_busy(&tp));
    shared.finish_batch(&new);
    assert!(!shared.is_busy(&tp));
}
