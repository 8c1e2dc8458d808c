//! "Latest" start positions on librdkafka's mock cluster: a message produced right after a fresh
//! group's assignment is reported reaches the handler, and nothing from before it does.

use std::sync::{Arc, Mutex};

use futures::FutureExt;

use crate::engine::consumer::{HandlerOutcome, SubscribeOptions};
use crate::engine::message::{MessageBatch, OutgoingMessage};
use crate::engine::mock_cluster::MockKafkaCluster;
use crate::engine::tests::{engine_for, wait_until};

const PARTITIONS: i32 = 3;
const GROUPS: usize = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_group_sees_what_is_produced_right_after_its_assignment() {
    let cluster = MockKafkaCluster::start(1).unwrap();
    cluster.create_topic("fresh", PARTITIONS, 1).unwrap();
    let engine = engine_for(&cluster);
    engine.connect().await.unwrap();
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
