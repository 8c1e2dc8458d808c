//! `ordering: key` against the mock cluster: every key's order kept while keys of one partition
//! run in parallel, and the committed offset never passing an unfinished message.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;

use crate::engine::admin::Admin;
use crate::engine::consumer::{BatchHandler, HandlerOutcome, Ordering, SubscribeOptions};
use crate::engine::message::{MessageBatch, OutgoingMessage};
use crate::engine::mock_cluster::MockKafkaCluster;
use crate::engine::tests::{engine_for, wait_until};

type Seen = Arc<Mutex<Vec<(String, u64)>>>;

/// Records (key, sequence) when a call ends, after a pseudo-random 0-3 ms; tracks the most calls
/// running at once.
fn random_time_handler(
    seen: Seen,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
) -> Arc<dyn BatchHandler> {
    Arc::new(move |batch: Arc<MessageBatch>| {
        let (seen, running, peak) = (seen.clone(), running.clone(), peak.clone());
        async move {
            let now = running.fetch_add(1, AtomicOrdering::SeqCst) + 1;
            peak.fetch_max(now, AtomicOrdering::SeqCst);
            for m in &batch.messages {
                let pause = (m.offset as u64).wrapping_mul(2_654_435_761) % 4;
                tokio::time::sleep(Duration::from_millis(pause)).await;
                let value = String::from_utf8(m.value.clone().unwrap()).unwrap();
                let (key, n) = value.split_once(':').unwrap();
                seen.lock()
                    .unwrap()
                    .push((key.to_string(), n.parse().unwrap()));
            }
            running.fetch_sub(1, AtomicOrdering::SeqCst);
            HandlerOutcome::done(batch.messages.len())
        }
        .boxed()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_keep_their_order_while_running_in_parallel() {
    let cluster = MockKafkaCluster::start(1).unwrap();
    cluster.create_topic("chat", 1, 1).unwrap();
    let engine = engine_for(&cluster);
    engine.connect().await.unwrap();
    const N: u64 = 5_000;
    let messages: Vec<OutgoingMessage<Vec<u8>>> = (0..N)
        .map(|i| {
            let key = format!("conv-{}", (i * 7) % 50);
            OutgoingMessage::value(format!("{key}:{i}").into_bytes()).with_key(key.into_bytes())
        })
        .collect();
    for r in engine
        .send_batch(messages.iter().map(|m| ("chat", m)))
        .unwrap()
        .wait()
        .await
    {
        r.unwrap();
    }
    let seen: Seen = Arc::default();
    let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut options = SubscribeOptions::new("g-keys", vec!["chat".into()]);
    options.from_beginning = true;
    options.ordering = Ordering::Key;
    options.concurrency = 8;
    options.max_buffered_per_partition = 500;
    let sub = engine
        .subscribe(
            options,
            random_time_handler(seen.clone(), running, peak.clone()),
            None,
        )
        .await
        .unwrap();
    wait_until("every message", || seen.lock().unwrap().len() as u64 >= N).await;
    sub.commit().await.unwrap();
    sub.stop().await;

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len() as u64, N, "each message once");
    let mut last: HashMap<String, u64> = HashMap::new();
    for (key, n) in &seen {
        if let Some(previous) = last.insert(key.clone(), *n) {
            assert!(previous < *n, "{key}: {n} after {previous}");
        }
    }
    let peak = peak.load(AtomicOrdering::SeqCst);
    assert!(peak > 1 && peak <= 8, "calls at once: {peak}");
    engine.disconnect(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_key_holds_the_commit_but_not_the_other_keys() {
    let cluster = MockKafkaCluster::start(1).unwrap();
    cluster.create_topic("events", 1, 1).unwrap();
    let engine = engine_for(&cluster);
    engine.connect().await.unwrap();
    let messages: Vec<OutgoingMessage<Vec<u8>>> = ["slow", "a", "b", "slow", "c"]
        .iter()
        .map(|k| OutgoingMessage::value(k.as_bytes().to_vec()).with_key(k.as_bytes().to_vec()))
        .collect();
    for r in engine
        .send_batch(messages.iter().map(|m| ("events", m)))
        .unwrap()
        .wait()
        .await
    {
        r.unwrap();
    }
    let release = Arc::new(tokio::sync::Notify::new());
    let done: Arc<Mutex<Vec<i64>>> = Arc::default();
    let handler: Arc<dyn BatchHandler> = {
        let (release, done) = (release.clone(), done.clone());
        Arc::new(move |batch: Arc<MessageBatch>| {
            let (release, done) = (release.clone(), done.clone());
            async move {
                let m = &batch.messages[0];
                if m.key.as_deref() == Some(&b"slow"[..]) && m.offset == 0 {
                    release.notified().await;
                }
                done.lock().unwrap().push(m.offset);
                HandlerOutcome::done(1)
            }
            .boxed()
        })
    };
    let mut options = SubscribeOptions::new("g-stuck", vec!["events".into()]);
    options.from_beginning = true;
    options.ordering = Ordering::Key;
    options.concurrency = 4;
    let sub = engine.subscribe(options, handler, None).await.unwrap();
    wait_until("a, b, c", || done.lock().unwrap().len() >= 3).await;
    let mut first = done.lock().unwrap().clone();
    first.sort();
    assert_eq!(first, vec![1, 2, 4], "offset 3 waits behind its key");
    sub.commit().await.unwrap();
    let admin = Admin::new(engine.config().clone(), engine.logger().clone()).unwrap();
    let offsets = admin
        .group_offsets(
            "g-stuck",
            Some(&["events".to_string()]),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    assert_eq!(
        offsets[0].offset, -1,
        "nothing committed past the stuck offset 0"
    );
    release.notify_one();
    wait_until("everything", || done.lock().unwrap().len() >= 5).await;
    assert_eq!(done.lock().unwrap()[3..], [0, 3]);
    sub.commit().await.unwrap();
    let offsets = admin
        .group_offsets(
            "g-stuck",
            Some(&["events".to_string()]),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    assert_eq!(offsets[0].offset, 5);
    sub.stop().await;
    engine.disconnect(Duration::from_secs(5)).await.unwrap();
}
