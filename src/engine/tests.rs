//! Engine behaviour against librdkafka's mock cluster (a real Kafka-protocol broker in process).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;

use crate::engine::config::ServiceConfig;
use crate::engine::consumer::{HandlerOutcome, SubscribeOptions};
use crate::engine::message::{MessageBatch, OutgoingMessage};
use crate::engine::mock_cluster::MockKafkaCluster;
use crate::engine::producer::BatchOutcome;
use crate::engine::service::KafkaEngine;

pub(super) fn engine_for(cluster: &MockKafkaCluster) -> KafkaEngine {
    KafkaEngine::new(config_for(cluster), None).unwrap()
}

/// The configuration of `engine_for`.
fn config_for(cluster: &MockKafkaCluster) -> ServiceConfig {
    let mut config = ServiceConfig::new(ServiceConfig::parse_brokers(cluster.bootstrap_servers()));
    config.producer.message_timeout_ms = 5_000;
    config.statistics_interval_ms = 100;
    config
        .librdkafka
        .push(("topic.metadata.refresh.interval.ms".into(), "500".into()));
    if let Ok(d) = std::env::var("TEST_RDKAFKA_DEBUG") {
        config.librdkafka.push(("debug".into(), d));
        config.log_level = crate::engine::logging::LogLevel::Debug;
    }
    config
}

/// A mock cluster of `brokers` with `topic` (`partitions`, one replica), and an engine connected
/// to it (`engine_for`). Keep the cluster for as long as the engine is used.
pub(super) async fn connected_engine(
    brokers: i32,
    topic: &str,
    partitions: i32,
) -> (MockKafkaCluster, KafkaEngine) {
    connected_engine_with(brokers, topic, partitions, |_| {}).await
}

/// `connected_engine`, its configuration changed by `tweak` first.
pub(super) async fn connected_engine_with(
    brokers: i32,
    topic: &str,
    partitions: i32,
    tweak: impl FnOnce(&mut ServiceConfig),
) -> (MockKafkaCluster, KafkaEngine) {
    let cluster = MockKafkaCluster::start(brokers).unwrap();
    cluster.create_topic(topic, partitions, 1).unwrap();
    let mut config = config_for(&cluster);
    tweak(&mut config);
    let engine = KafkaEngine::new(config, None).unwrap();
    engine.connect().await.unwrap();
    (cluster, engine)
}

/// Publishes `messages` to `topic` in one batch: their outcomes.
pub(super) async fn send_all(
    engine: &KafkaEngine,
    topic: &str,
    messages: &[OutgoingMessage<Vec<u8>>],
) -> BatchOutcome {
    engine
        .send_batch(messages.iter().map(|m| (topic, m)))
        .unwrap()
        .wait()
        .await
}

/// Publishes `messages` to `topic` in one batch and checks that each was acknowledged.
pub(super) async fn publish_all(
    engine: &KafkaEngine,
    topic: &str,
    messages: &[OutgoingMessage<Vec<u8>>],
) {
    let results = send_all(engine, topic, messages).await;
    assert!(results.iter().all(Result::is_ok));
}

type Seen = Arc<Mutex<Vec<(i32, i64, Option<Vec<u8>>, Option<Vec<u8>>)>>>;

fn recording_handler(seen: Seen) -> Arc<dyn crate::engine::consumer::BatchHandler> {
    Arc::new(move |batch: Arc<MessageBatch>| {
        let seen = seen.clone();
        async move {
            let mut s = seen.lock().unwrap();
            for m in &batch.messages {
                s.push((batch.partition, m.offset, m.key.clone(), m.value.clone()));
            }
            HandlerOutcome::done(batch.messages.len())
        }
        .boxed()
    })
}

/// Waits for `cond`, checked every 100 ms, for up to 120 s: a limit only to end a test that
/// would otherwise hang. A group join on the mock cluster took over 30 s once, on a machine whose
/// two cores were busy with other work.
pub(crate) async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..1200 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_then_consume_keeps_per_key_order() {
    let (_cluster, engine) = connected_engine(3, "orders", 4).await;

    let messages: Vec<OutgoingMessage<Vec<u8>>> = (0..200)
        .map(|i| {
            OutgoingMessage::value(format!("{i}").into_bytes())
                .with_key(format!("job-{}", i % 7).into_bytes())
                .with_header("n", i.to_string().into_bytes())
        })
        .collect();
    let results = engine
        .send_batch(messages.iter().map(|m| ("orders", m)))
        .unwrap()
        .wait()
        .await;
    assert_eq!(results.len(), 200);
    let mut partition_of_key = HashMap::new();
    for (i, r) in results.iter().enumerate() {
        let r = r.as_ref().unwrap();
        let p = *partition_of_key.entry(i % 7).or_insert(r.partition);
        assert_eq!(p, r.partition, "one key, one partition");
    }

    let seen: Seen = Arc::default();
    let mut options = SubscribeOptions::new("g-order", vec!["orders".into()]);
    options.from_beginning = true;
    options.concurrency = 4;
    let sub = engine
        .subscribe(options, recording_handler(seen.clone()), None)
        .await
        .unwrap();
    wait_until("200 messages", || seen.lock().unwrap().len() >= 200).await;
    let seen = seen.lock().unwrap().clone();
    for k in 0..7 {
        let values: Vec<i32> = seen
            .iter()
            .filter(|(_, _, key, _)| key.as_deref() == Some(format!("job-{k}").as_bytes()))
            .map(|(_, _, _, v)| {
                String::from_utf8(v.clone().unwrap())
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        assert!(
            values.windows(2).all(|w| w[0] < w[1]),
            "key {k} out of order: {values:?}"
        );
    }
    sub.stop().await;
    assert!(!sub.is_running());
    let stats = engine.stats();
    assert_eq!(stats.producer.acknowledged, 200);
    assert_eq!(stats.consumer.processed, 200);
    engine.disconnect(Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        engine
            .publish("orders", &OutgoingMessage::value(b"x".to_vec()))
            .await
            .unwrap_err()
            .code(),
        "ERR_DISCONNECTED"
    );
}

type KeyAndValue = (Option<Vec<u8>>, Option<Vec<u8>>);

/// Keys and values of every size come out as they went in, taken many per librdkafka call:
/// absent, empty, one byte, 16 KiB and past it, 100 KiB, and a run of 8 KiB values.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumed_keys_and_values_keep_their_bytes_at_every_size() {
    let (_cluster, engine) = connected_engine(1, "sizes", 1).await;
    let filled =
        |i: usize, len: usize| -> Vec<u8> { (0..len).map(|j| (i * 31 + j) as u8).collect() };
    let mut sent: Vec<KeyAndValue> = vec![
        (None, None),
        (Some(Vec::new()), Some(Vec::new())),
        (None, Some(filled(2, 1))),
        (Some(filled(3, 16 * 1024)), Some(filled(3, 16 * 1024))),
        (Some(filled(4, 3)), Some(filled(4, 16 * 1024 + 1))),
        (Some(filled(5, 20_000)), Some(filled(5, 100 * 1024))),
    ];
    sent.extend((6..80).map(|i| (Some(filled(i, 7)), Some(filled(i, 8 * 1024 + i)))));
    let messages: Vec<OutgoingMessage<Vec<u8>>> = sent
        .iter()
        .map(|(key, value)| OutgoingMessage {
            key: key.clone(),
            value: value.clone(),
            headers: Vec::new(),
            partition: Some(0),
            timestamp: None,
        })
        .collect();
    publish_all(&engine, "sizes", &messages).await;

    let seen: Seen = Arc::default();
    let mut options = SubscribeOptions::new("g-sizes", vec!["sizes".into()]);
    options.from_beginning = true;
    let sub = engine
        .subscribe(options, recording_handler(seen.clone()), None)
        .await
        .unwrap();
    wait_until("every message", || seen.lock().unwrap().len() >= sent.len()).await;
    sub.stop().await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), sent.len());
    for (i, (_, offset, key, value)) in seen.into_iter().enumerate() {
        assert_eq!(offset, i as i64);
        assert_eq!((key, value), sent[i], "message {i}");
    }
    engine.disconnect(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_call_past_handler_timeout_is_abandoned_and_retried() {
    let cluster = MockKafkaCluster::start(1).unwrap();
    cluster.create_topic("slow", 1, 1).unwrap();
    let engine = engine_for(&cluster);
    for i in 0..3 {
        engine
            .publish("slow", &OutgoingMessage::value(format!("{i}").into_bytes()))
            .await
            .unwrap();
    }
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let seen: Seen = Arc::default();
    let record = recording_handler(seen.clone());
    // The first call never finishes; later calls record and succeed.
    let handler = Arc::new(move |batch: Arc<MessageBatch>| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            futures::future::pending::<HandlerOutcome>().boxed()
        } else {
            record.handle(batch)
        }
    });
    let mut options = SubscribeOptions::new("g-slow", vec!["slow".into()]);
    options.from_beginning = true;
    options.handler_timeout_ms = Some(100);
    options.retry_backoff_ms = 10;
    let sub = engine.subscribe(options, handler, None).await.unwrap();
    wait_until("three messages", || seen.lock().unwrap().len() >= 3).await;
    assert!(sub.is_running());
    let stats = engine.stats().consumer;
    assert_eq!(
        (
            stats.handler_timeouts,
            stats.handler_failures,
            stats.processed
        ),
        (1, 1, 3)
    );
    sub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_handler_is_retried_then_stops_without_committing_past_it() {
    let cluster = MockKafkaCluster::start(1).unwrap();
    cluster.create_topic("retry", 1, 1).unwrap();
    let engine = engine_for(&cluster);
    for i in 0..5 {
        engine
            .publish(
                "retry",
                &OutgoingMessage::value(format!("{i}").into_bytes()),
            )
            .await
            .unwrap();
    }
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let handler = Arc::new(move |batch: Arc<MessageBatch>| {
        c.fetch_add(1, Ordering::SeqCst);
        // Offsets 0 and 1 succeed; offset 2 always fails.
        let ok = batch.messages.iter().take_while(|m| m.offset < 2).count();
        let outcome = if ok == batch.messages.len() {
            HandlerOutcome::done(ok)
        } else {
            HandlerOutcome::failed(ok, "boom")
        };
        async move { outcome }.boxed()
    });
    let errors = Arc::new(Mutex::new(Vec::new()));
    let e = errors.clone();
    let mut options = SubscribeOptions::new("g-retry", vec!["retry".into()]);
    options.from_beginning = true;
    options.retries = 2;
    options.session_timeout_ms = Some(6_000);
    options.retry_backoff_ms = 10;
    let sub = engine
        .subscribe(
            options,
            handler,
            Some(Arc::new(move |err| e.lock().unwrap().push(err))),
        )
        .await
        .unwrap();
    wait_until("the subscription to fail", || !sub.is_running()).await;
    sub.stop().await;
    let errors = errors.lock().unwrap().clone();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code(), "ERR_HANDLER_FAILED");
    assert!(
        calls.load(Ordering::SeqCst) >= 3,
        "first call plus two retries"
    );

    // A new member of the group starts at the failed message: offsets 0-1 were committed, 2 not.
    let seen: Seen = Arc::default();
    let mut options = SubscribeOptions::new("g-retry", vec!["retry".into()]);
    options.from_beginning = true;
    // The mock coordinator holds a group that just emptied for session.timeout.ms - 1 s.
    options.session_timeout_ms = Some(6_000);
    let sub = engine
        .subscribe(options, recording_handler(seen.clone()), None)
        .await
        .unwrap();
    wait_until("redelivery", || seen.lock().unwrap().len() >= 3).await;
    assert_eq!(seen.lock().unwrap()[0].1, 2);
    sub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_before_queueing_are_per_message() {
    let cluster = MockKafkaCluster::start(1).unwrap();
    cluster.create_topic("t", 1, 1).unwrap();
    let engine = engine_for(&cluster);
    let ok = OutgoingMessage::value(b"fine".to_vec());
    let huge = OutgoingMessage::value(vec![0u8; 2_000_000]);
    let results = engine
        .send_batch([("t", &ok), ("bad topic", &ok), ("t", &huge), ("t", &ok)].into_iter())
        .unwrap()
        .wait()
        .await;
    assert!(results[0].is_ok());
    assert_eq!(
        results[1].as_ref().unwrap_err().code(),
        "ERR_TOPIC_EXCEPTION"
    );
    assert_eq!(
        results[2].as_ref().unwrap_err().code(),
        "ERR_MSG_SIZE_TOO_LARGE"
    );
    assert!(results[3].is_ok());
    assert!(results[0].as_ref().unwrap().offset < results[3].as_ref().unwrap().offset);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_times_out_when_no_broker_answers() {
    let mut config = ServiceConfig::new(vec!["127.0.0.1:1".into()]);
    config.connection_timeout_ms = 500;
    let engine = KafkaEngine::new(config, None).unwrap();
    let err = engine.connect().await.unwrap_err();
    assert_eq!(err.code(), "ERR__TIMED_OUT");
    assert!(err.retriable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_down_times_out_then_recovers() {
    let cluster = MockKafkaCluster::start(1).unwrap();
    cluster.create_topic("down", 1, 1).unwrap();
    let mut config = ServiceConfig::new(ServiceConfig::parse_brokers(cluster.bootstrap_servers()));
    config.producer.message_timeout_ms = 1_000;
    let engine = KafkaEngine::new(config, None).unwrap();
    // On a loaded machine the first publish (metadata, connection) can outlast 1 s: retry it.
    let mut first = engine
        .publish("down", &OutgoingMessage::value(b"a".to_vec()))
        .await;
    for _ in 0..10 {
        if first.is_ok() {
            break;
        }
        first = engine
            .publish("down", &OutgoingMessage::value(b"a".to_vec()))
            .await;
    }
    first.unwrap();
    cluster.broker_down(1).unwrap();
    let err = engine
        .publish("down", &OutgoingMessage::value(b"b".to_vec()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ERR__MSG_TIMED_OUT");
    assert!(err.retriable());
    assert_eq!(err.topic(), Some("down"));
    cluster.broker_up(1).unwrap();
    let mut ok = false;
    for _ in 0..20 {
        if engine
            .publish("down", &OutgoingMessage::value(b"c".to_vec()))
            .await
            .is_ok()
        {
            ok = true;
            break;
        }
    }
    assert!(ok, "publishing works again once the broker is back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_counter_includes_a_publish_once_it_resolved() {
    let cluster = MockKafkaCluster::start(1).unwrap();
    let engine = Arc::new(engine_for(&cluster));
    let topics: Vec<String> = (0..40).map(|i| format!("counted-{i}")).collect();
    for t in &topics {
        cluster.create_topic(t, 1, 1).unwrap();
    }
    // One publish per new topic, each checked as soon as it resolved: a delivery report counted
    // before the send was (the first message of a topic) lost its per-topic acknowledgement.
    let checks = topics.iter().cloned().map(|t| {
        let engine = engine.clone();
        tokio::spawn(async move {
            engine
                .publish(&t, &OutgoingMessage::value(b"x".to_vec()))
                .await
                .unwrap();
            let per_topic = engine.stats().producer.per_topic;
            let c = per_topic.get(&t).cloned().unwrap_or_default();
            (c.sent, c.acknowledged)
        })
    });
    for check in futures::future::join_all(checks).await {
        assert_eq!(check.unwrap(), (1, 1));
    }
    // Refused by librdkafka (no such partition): counted nowhere.
    let mut refused = OutgoingMessage::value(b"x".to_vec());
    refused.partition = Some(7);
    let error = engine.publish("counted-0", &refused).await.unwrap_err();
    assert_eq!(error.code(), "ERR__UNKNOWN_PARTITION");
    let producer = engine.stats().producer;
    assert_eq!(
        (producer.sent, producer.acknowledged, producer.in_flight),
        (40, 40, 0)
    );
    assert_eq!(producer.per_topic["counted-0"].sent, 1);
}
