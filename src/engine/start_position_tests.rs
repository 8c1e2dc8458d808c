//! Start positions on librdkafka's mock cluster: a message produced right after a fresh group's
//! assignment is reported reaches the handler, and nothing from before it does, except on a retry
//! topic the group never committed, which starts at its first message.

use std::sync::{Arc, Mutex};

use futures::FutureExt;

use crate::engine::consumer::{BatchHandler, HandlerOutcome, RetryLadder, SubscribeOptions};
use crate::engine::message::{MessageBatch, OutgoingMessage};
use crate::engine::mock_cluster::MockKafkaCluster;
use crate::engine::tests::{connected_engine, engine_for, wait_until};

const PARTITIONS: i32 = 3;
const GROUPS: usize = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_group_sees_what_is_produced_right_after_its_assignment() {
    let (_cluster, engine) = connected_engine(1, "fresh", PARTITIONS).await;
    let send = |partition: i32, value: &str| {
        let mut message = OutgoingMessage::value(value.as_bytes().to_vec());
        message.partition = Some(partition);
        let wait = engine
            .send_batch(std::iter::once(("fresh", &message)))
            .unwrap()
            .wait();
        async move { assert!(wait.await.iter().all(|r| r.is_ok())) }
    };
    for p in 0..PARTITIONS {
        send(p, "earlier").await;
    }
    for g in 0..GROUPS {
        let (seen, handler) = values_seen();
        let mut options = SubscribeOptions::new(&format!("g-fresh-{g}"), vec!["fresh".into()]);
        // librdkafka sometimes rejoins right after its first JoinGroup (the subscribed topic's
        // metadata arrived meanwhile); the mock cluster then waits out the session timeout less
        // a second before it answers, 44 s at librdkafka's default.
        options.session_timeout_ms = Some(10_000);
        let sub = engine.subscribe(options, handler, None).await.unwrap();
        wait_until("the assignment", || {
            sub.assignments().len() == PARTITIONS as usize
        })
        .await;
        let mark = format!("mark-{g}");
        send(g as i32 % PARTITIONS, &mark).await;
        wait_until("the message produced after the assignment", || {
            seen.lock().unwrap().contains(&mark)
        })
        .await;
        assert!(!seen.lock().unwrap().iter().any(|v| v == "earlier"));
        sub.stop().await;
    }
    engine
        .disconnect(std::time::Duration::from_secs(5))
        .await
        .unwrap();
}

/// A handler that records the value of every message it gets.
fn values_seen() -> (Arc<Mutex<Vec<String>>>, Arc<dyn BatchHandler>) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let handler_seen = seen.clone();
    let handler = Arc::new(move |batch: Arc<MessageBatch>| {
        let seen = handler_seen.clone();
        async move {
            seen.lock().unwrap().extend(batch.messages.iter().map(|m| {
                String::from_utf8_lossy(m.value.as_deref().unwrap_or_default()).into_owned()
            }));
            HandlerOutcome::done(batch.messages.len())
        }
        .boxed()
    });
    (seen, handler)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_retry_topic_starts_at_its_beginning_and_the_main_topic_at_its_end() {
    let cluster = MockKafkaCluster::start(1).unwrap();
    for t in ["main", "g-rs.retry.1"] {
        cluster.create_topic(t, PARTITIONS, 1).unwrap();
    }
    let engine = engine_for(&cluster);
    engine.connect().await.unwrap();
    let send = |topic: &'static str, partition: i32, value: String| {
        let mut message = OutgoingMessage::value(value.into_bytes());
        message.partition = Some(partition);
        let wait = engine
            .send_batch(std::iter::once((topic, &message)))
            .unwrap()
            .wait();
        async move { assert!(wait.await.iter().all(|r| r.is_ok())) }
    };
    // Republished by an earlier member (no due time: deliverable at once).
    for p in 0..PARTITIONS {
        send("main", p, format!("earlier-{p}")).await;
        send("g-rs.retry.1", p, format!("waiting-{p}")).await;
    }
    let (seen, handler) = values_seen();
    let mut options = SubscribeOptions::new("g-rs", vec!["main".into()]);
    options.session_timeout_ms = Some(10_000);
    options.retry = Some(RetryLadder::new("g-rs", vec![100], None, None));
    let sub = engine.subscribe(options, handler, None).await.unwrap();
    wait_until("the assignment", || {
        sub.assignments().len() == 2 * PARTITIONS as usize
    })
    .await;
    for p in 0..PARTITIONS {
        send("main", p, format!("after-{p}")).await;
    }
    wait_until("every retry message and every later one", || {
        seen.lock().unwrap().len() >= 2 * PARTITIONS as usize
    })
    .await;
    let mut values = seen.lock().unwrap().clone();
    values.sort();
    let mut expected: Vec<String> = (0..PARTITIONS)
        .flat_map(|p| [format!("after-{p}"), format!("waiting-{p}")])
        .collect();
    expected.sort();
    assert_eq!(values, expected);
    sub.stop().await;
    engine
        .disconnect(std::time::Duration::from_secs(5))
        .await
        .unwrap();
}
