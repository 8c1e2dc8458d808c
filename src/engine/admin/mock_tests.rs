//! Admin calls against librdkafka's mock cluster, for what it implements: metadata, ListOffsets,
//! OffsetFetch and OffsetCommit. It has no CreateTopics, DescribeConfigs or DescribeGroups:
//! those run against a real broker in the JS integration suite.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;

use crate::engine::admin::{Admin, DEFAULT_ADMIN_TIMEOUT};
use crate::engine::config::ServiceConfig;
use crate::engine::consumer::{HandlerOutcome, SubscribeOptions};
use crate::engine::logging::{LogLevel, Logger};
use crate::engine::message::{MessageBatch, OutgoingMessage};
use crate::engine::mock_cluster::MockKafkaCluster;
use crate::engine::service::KafkaEngine;

const T: Duration = DEFAULT_ADMIN_TIMEOUT;

fn config_for(cluster: &MockKafkaCluster) -> ServiceConfig {
    let mut config = ServiceConfig::new(ServiceConfig::parse_brokers(cluster.bootstrap_servers()));
    config.statistics_interval_ms = 100;
    config.producer.message_timeout_ms = 5_000;
    config
}

fn admin_for(cluster: &MockKafkaCluster) -> Admin {
    let config = config_for(cluster);
    let logger = Logger::new(LogLevel::Warn, &config.client_id, None);
    Admin::new(config, logger).unwrap()
}

async fn publish(engine: &KafkaEngine, topic: &str, n: usize) {
    let messages: Vec<OutgoingMessage<Vec<u8>>> = (0..n)
        .map(|i| OutgoingMessage::value(vec![b'x']).with_key(format!("k{i}").into_bytes()))
        .collect();
    for r in engine
        .send_batch(messages.iter().map(|m| (topic, m)))
        .unwrap()
        .wait()
        .await
    {
        r.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describes_topics_and_the_cluster_from_metadata() {
    let cluster = MockKafkaCluster::start(3).unwrap();
    cluster.create_topic("described", 3, 2).unwrap();
    let admin = admin_for(&cluster);

    let topics = admin
        .describe_topics(Some(&["described".to_string()]), T)
        .await
        .unwrap();
    assert_eq!(topics.len(), 1);
    assert_eq!(topics[0].replication_factor, 2);
    assert_eq!(
        topics[0]
            .partitions
            .iter()
            .map(|p| p.partition)
            .collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    for p in &topics[0].partitions {
        assert_eq!(p.replicas.len(), 2);
        assert!(p.replicas.contains(&p.leader));
        assert!(!p.offline);
    }
    assert!(admin
        .list_topics(false, T)
        .await
        .unwrap()
        .contains(&"described".to_string()));

    let missing = admin
        .describe_topics(Some(&["no-such-topic".to_string()]), T)
        .await
        .unwrap_err();
    assert_eq!(missing.code(), "ERR_UNKNOWN_TOPIC_OR_PART");
    assert_eq!(missing.topic(), Some("no-such-topic"));
    assert_eq!(
        admin
            .describe_topics(Some(&["bad name".to_string()]), T)
            .await
            .unwrap_err()
            .code(),
        "ERR_TOPIC_EXCEPTION"
    );

    let described = admin.describe_cluster(T).await.unwrap();
    assert_eq!(
        described.brokers.iter().map(|b| b.id).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert!(described.controller_id.is_some());

    admin.close().await;
    assert_eq!(
        admin.list_topics(false, T).await.unwrap_err().code(),
        "ERR_DISCONNECTED"
    );
    assert_eq!(
        admin.health(T).await.unwrap_err().code(),
        "ERR_DISCONNECTED"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lag_follows_what_the_group_committed() {
    let cluster = MockKafkaCluster::start(1).unwrap();
    cluster.create_topic("lagging", 2, 1).unwrap();
    let engine = KafkaEngine::new(config_for(&cluster), None).unwrap();
    let admin = admin_for(&cluster);
    publish(&engine, "lagging", 20).await;

    let topics = ["lagging".to_string()];
    let before = admin.lag("g-lag", Some(&topics), T).await.unwrap();
    assert_eq!(before.total, 20);
    assert!(before
        .partitions
        .iter()
        .all(|p| p.committed == -1 && p.lag == p.high));
    assert_eq!(
        admin.group_offsets("g-lag", None, T).await.unwrap(),
        vec![],
        "no commits yet"
    );

    let processed = Arc::new(AtomicUsize::new(0));
    let counter = processed.clone();
    let handler = Arc::new(move |batch: Arc<MessageBatch>| {
        counter.fetch_add(batch.messages.len(), Ordering::SeqCst);
        async move { HandlerOutcome::done(batch.messages.len()) }.boxed()
    });
    let mut options = SubscribeOptions::new("g-lag", topics.to_vec());
    options.from_beginning = true;
    let sub = engine.subscribe(options, handler, None).await.unwrap();
    for _ in 0..300 {
        if processed.load(Ordering::SeqCst) >= 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sub.stop().await;

    let committed = admin.group_offsets("g-lag", None, T).await.unwrap();
    assert_eq!(
        committed.iter().map(|o| o.partition).collect::<Vec<_>>(),
        vec![0, 1]
    );
    assert_eq!(committed.iter().map(|o| o.offset).sum::<i64>(), 20);
    let caught_up = admin.lag("g-lag", None, T).await.unwrap();
    assert_eq!(caught_up.total, 0);
    assert!(caught_up.partitions.iter().all(|p| p.committed == p.high));

    // The mock keeps no time index, so every lookup falls back to the end of the partition.
    let at = admin.offsets_for_times("lagging", 0, T).await.unwrap();
    assert_eq!(
        at.iter().map(|o| o.offset).collect::<Vec<_>>(),
        caught_up
            .partitions
            .iter()
            .map(|p| p.high)
            .collect::<Vec<_>>()
    );

    publish(&engine, "lagging", 5).await;
    assert_eq!(admin.lag("g-lag", None, T).await.unwrap().total, 5);
    assert_eq!(
        admin.lag("", None, T).await.unwrap_err().code(),
        "ERR_INVALID_ARG"
    );
    engine.disconnect(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_offsets_delete_records_and_delete_groups_refuse_bad_arguments_before_any_request() {
    use crate::engine::admin::PartitionOffset;
    use crate::engine::error::EngineError;
    let cluster = MockKafkaCluster::start(1).unwrap();
    let admin = admin_for(&cluster);
    let at = |partition, offset| PartitionOffset {
        topic: "t".into(),
        partition,
        offset,
    };
    for r in [
        admin.set_offsets("g", Vec::new(), T).await,
        admin.set_offsets("g", vec![at(0, -1)], T).await,
        admin.set_offsets("g", vec![at(-1, 0)], T).await,
        admin.delete_records(&[at(-1, 0)], T).await,
        admin.delete_records(&[at(0, -2)], T).await,
    ] {
        assert!(matches!(r, Err(EngineError::InvalidArg(_))), "{r:?}");
    }
    assert!(matches!(
        admin.delete_groups(&[" ".to_string()], T).await,
        Err(EngineError::InvalidArg(_))
    ));
    assert!(admin.delete_groups(&[], T).await.is_ok());
    assert_eq!(admin.delete_records(&[], T).await.unwrap(), Vec::new());
}
