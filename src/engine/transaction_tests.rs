//! A fenced transactional producer (librdkafka's mock cluster answering `EndTxn` with
//! `PRODUCER_FENCED`): every later transaction fails with the fatal error until `reset`
//! replaces the producer, after which transactions commit again.

use std::sync::Arc;

use crate::engine::config::ServiceConfig;
use crate::engine::message::OutgoingMessage;
use crate::engine::mock_cluster::MockKafkaCluster;
use crate::engine::service::KafkaEngine;
use crate::engine::transaction::Transaction;

/// Kafka's `EndTxn` request.
const END_TXN: i16 = 26;
/// Kafka's `PRODUCER_FENCED` error.
const PRODUCER_FENCED: i32 = 90;

fn transactional_engine(brokers: &str) -> Arc<KafkaEngine> {
    let mut config = ServiceConfig::new(ServiceConfig::parse_brokers(brokers));
    config.producer.message_timeout_ms = 10_000;
    config.transactional_id = Some("tx-reset".into());
    Arc::new(KafkaEngine::new(config, None).unwrap())
}

/// Publishes one message in `tx` and waits for its delivery report.
async fn publish_one(tx: &Transaction, value: &str) {
    let message = OutgoingMessage::value(value.as_bytes().to_vec());
    for r in tx
        .send_batch(std::iter::once(("tx", &message)))
        .unwrap()
        .wait()
        .await
    {
        r.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fenced_producer_fails_until_reset_then_commits_again() {
    let cluster = MockKafkaCluster::start(1).unwrap();
    cluster.create_topic("tx", 1, 1).unwrap();
    let engine = transactional_engine(cluster.bootstrap_servers());

    let tx = engine.transaction().await.unwrap();
    publish_one(&tx, "committed").await;
    tx.commit().await.unwrap();
    assert!(
        !engine.reset_transactions().await.unwrap(),
        "nothing to reset"
    );

    let tx = engine.transaction().await.unwrap();
    publish_one(&tx, "fenced").await;
    cluster
        .push_request_errors(END_TXN, &[PRODUCER_FENCED])
        .unwrap();
    let fenced = tx.commit().await.unwrap_err();
    assert!(fenced.fatal(), "{fenced:?}");
    assert!(!tx.is_open());
    let again = engine.transaction().await.err().unwrap();
    assert_eq!(again.code(), fenced.code());

    assert!(engine.reset_transactions().await.unwrap());
    let tx = engine.transaction().await.unwrap();
    publish_one(&tx, "after reset").await;
    tx.commit().await.unwrap();

    let open = engine.transaction().await.unwrap();
    let refused = engine.reset_transactions().await.unwrap_err();
    assert_eq!(refused.code(), "ERR__STATE");
    open.abort().await.unwrap();
    engine
        .disconnect(std::time::Duration::from_secs(5))
        .await
        .unwrap();
    let closed = engine.reset_transactions().await.unwrap_err();
    assert_eq!(closed.code(), "ERR_DISCONNECTED");
}
