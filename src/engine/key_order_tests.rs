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
use crate::engine::tests::{connected_engine, engine_for, wait_until};

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
    let (_cluster, engine) = connected_engine(1, "chat", 1).await;
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
    let (_cluster, engine) = connected_engine(1, "events", 1).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_partition_waiting_for_its_due_message_still_commits_what_finished() {
    use crate::engine::consumer::retry_headers as h;
    use crate::engine::consumer::RetryLadder;

    let cluster = MockKafkaCluster::start(1).unwrap();
    for t in ["source", "g-kr.retry.1"] {
        cluster.create_topic(t, 1, 1).unwrap();
    }
    let engine = engine_for(&cluster);
    engine.connect().await.unwrap();
    // Two messages of key `a` due now, then one of key `b` due in two minutes.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let late = (now_ms + 120_000).to_string();
    let messages: Vec<OutgoingMessage<Vec<u8>>> =
        [("a", "a1", "0"), ("a", "a2", "0"), ("b", "late", &late)]
            .iter()
            .map(|(k, v, due)| {
                OutgoingMessage::value(v.as_bytes().to_vec())
                    .with_key(k.as_bytes().to_vec())
                    .with_header(h::GROUP, b"g-kr".to_vec())
                    .with_header(h::DUE, due.as_bytes().to_vec())
            })
            .collect();
    for r in engine
        .send_batch(messages.iter().map(|m| ("g-kr.retry.1", m)))
        .unwrap()
        .wait()
        .await
    {
        r.unwrap();
    }
    let done: Arc<Mutex<Vec<String>>> = Arc::default();
    let handler: Arc<dyn BatchHandler> = {
        let done = done.clone();
        Arc::new(move |batch: Arc<MessageBatch>| {
            let done = done.clone();
            async move {
                let value =
                    String::from_utf8_lossy(batch.messages[0].value.as_deref().unwrap_or_default())
                        .to_string();
                // Still running when the worker meets the message that is not due.
                if value == "a1" {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                done.lock().unwrap().push(value);
                HandlerOutcome::done(1)
            }
            .boxed()
        })
    };
    let mut options = SubscribeOptions::new("g-kr", vec!["source".into()]);
    options.session_timeout_ms = Some(10_000);
    options.from_beginning = true;
    options.ordering = Ordering::Key;
    options.concurrency = 4;
    options.retry = Some(RetryLadder::new("g-kr", vec![120_000], None, None));
    let sub = engine.subscribe(options, handler, None).await.unwrap();

    // a2 waits behind a1 on its key: it runs, and both are committed, while `late` is not due.
    wait_until("a1 and a2", || done.lock().unwrap().len() >= 2).await;
    let admin = Admin::new(engine.config().clone(), engine.logger().clone()).unwrap();
    let mut committed = -1;
    for _ in 0..100 {
        sub.commit().await.unwrap();
        committed = admin
            .group_offsets(
                "g-kr",
                Some(&["g-kr.retry.1".to_string()]),
                Duration::from_secs(10),
            )
            .await
            .unwrap()[0]
            .offset;
        if committed == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(committed, 2, "a1 and a2 committed while `late` waits");
    assert_eq!(*done.lock().unwrap(), ["a1", "a2"], "`late` is not due yet");
    sub.stop().await;
    engine.disconnect(Duration::from_secs(5)).await.unwrap();
}
