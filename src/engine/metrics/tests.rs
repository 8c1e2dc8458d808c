//! `metrics()` and the per-topic / per-event-type figures against librdkafka's mock cluster.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;

use crate::engine::config::ServiceConfig;
use crate::engine::consumer::{HandlerOutcome, SubscribeOptions};
use crate::engine::message::{MessageBatch, OutgoingMessage};
use crate::engine::metrics::render::FAMILIES;
use crate::engine::mock_cluster::MockKafkaCluster;
use crate::engine::service::KafkaEngine;
use crate::engine::tests::wait_until;

fn sample(text: &str, line_start: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_follow_publishes_and_handlers_per_topic_and_event_type() {
    let cluster = MockKafkaCluster::start(1).unwrap();
    cluster.create_topic("jobs", 2, 1).unwrap();
    let mut config = ServiceConfig::new(ServiceConfig::parse_brokers(cluster.bootstrap_servers()));
    config.statistics_interval_ms = 100;
    config.event_type_header = Some("event-type".into());
    let engine = KafkaEngine::new(config, None).unwrap();
    engine.connect().await.unwrap();

    let messages: Vec<OutgoingMessage<Vec<u8>>> = (0..30)
        .map(|i| {
            let t = if i % 3 == 0 { "job.failed" } else { "job.done" };
            OutgoingMessage::value(b"v".to_vec())
                .with_key(format!("k{i}").into_bytes())
                .with_header("event-type", t.as_bytes().to_vec())
        })
        .collect();
    let results = engine
        .send_batch(messages.iter().map(|m| ("jobs", m)))
        .unwrap()
        .wait()
        .await;
    assert!(results.iter().all(|r| r.is_ok()));
    // A partition the topic does not have: the failure is counted by code.
    let mut to_nowhere = OutgoingMessage::value(b"x".to_vec());
    to_nowhere.partition = Some(99);
    let bad = engine.publish("jobs", &to_nowhere).await;
    assert!(bad.is_err());

    let mut options = SubscribeOptions::new("g", vec!["jobs".into()]);
    options.from_beginning = true;
    let handler: Arc<dyn crate::engine::consumer::BatchHandler> =
        Arc::new(|batch: Arc<MessageBatch>| {
            async move { HandlerOutcome::done(batch.messages.len()) }.boxed()
        });
    let sub = engine.subscribe(options, handler, None).await.unwrap();
    wait_until("30 processed", || engine.stats().consumer.processed >= 30).await;
    wait_until("lag figures", || !engine.stats().consumer.lag.is_empty()).await;

    let s = engine.stats();
    assert_eq!(s.producer_figures.topics["jobs"].acknowledged, 30);
    assert_eq!(
        s.producer_figures.event_types["job.failed"].acknowledged,
        10
    );
    assert_eq!(s.producer_figures.event_types["job.done"].acknowledged, 20);
    let failed = &s.producer_figures.topics["jobs"].errors;
    assert_eq!(failed.values().sum::<u64>(), 1, "{failed:?}");
    assert_eq!(s.consumer_figures.topics["jobs"].processed, 30);
    assert_eq!(s.consumer_figures.event_types["job.failed"].processed, 10);
    assert_eq!(
        s.consumer_figures.topics["jobs"]
            .end_to_end_latency
            .summary
            .count,
        30
    );

    let text = engine.metrics();
    for f in FAMILIES {
        assert!(
            text.contains(&format!("# TYPE {} {}\n", f.name, f.kind)),
            "{} missing",
            f.name
        );
    }
    assert_eq!(
        sample(
            &text,
            "kafka_native_messages_acknowledged_total{topic=\"jobs\"}"
        ),
        Some(30.0)
    );
    assert_eq!(
        sample(
            &text,
            "kafka_native_publish_ack_duration_seconds_count{topic=\"jobs\"}"
        ),
        Some(30.0)
    );
    assert_eq!(
        sample(
            &text,
            "kafka_native_messages_processed_total{topic=\"jobs\"}"
        ),
        Some(30.0)
    );
    assert!(sample(&text, "kafka_native_rebalances_total{kind=\"assign\"}").unwrap() >= 1.0);
    assert!(text.contains("kafka_native_publish_errors_total{topic=\"jobs\",code=\"ERR_"));
    sub.stop().await;
    engine.disconnect(Duration::from_secs(5)).await.unwrap();
}
