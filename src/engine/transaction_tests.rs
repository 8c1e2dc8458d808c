//! A transactional producer that fails for good (librdkafka's mock cluster answering `EndTxn`
//! with `PRODUCER_FENCED`, or a call stuck on an unreachable group coordinator): every later
//! transaction fails with the fatal error until `reset` replaces the producer, after which
//! transactions commit again.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::mocking::MockCoordinator;

use crate::engine::config::ServiceConfig;
use crate::engine::logging::{LogLevel, Logger};
use crate::engine::message::OutgoingMessage;
use crate::engine::mock_cluster::MockKafkaCluster;
use crate::engine::service::KafkaEngine;
use crate::engine::transaction::{OffsetsGroup, Transaction, Transactions};

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

/// librdkafka's `send_offsets_to_transaction` waits past its timeout while the group's
/// coordinator cannot be reached (confluentinc/librdkafka#5456): the engine gives the call up a
/// little after its timeout with a fatal error, and `reset` brings a producer that commits.
/// The stuck call keeps its blocking thread, so the runtime is shut down without waiting for
/// it, and the abandoned producer logs at error level only (it may retry until the process
/// ends).
#[test]
fn offsets_stuck_on_an_unreachable_group_coordinator_fail_and_reset_recovers() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(stuck_offsets_then_reset());
    runtime.shutdown_background();
}

async fn stuck_offsets_then_reset() {
    let cluster = MockKafkaCluster::start(3).unwrap();
    cluster.create_topic("tx", 1, 1).unwrap();
    cluster.set_partition_leader("tx", 0, 1).unwrap();
    cluster
        .set_coordinator(MockCoordinator::Transaction("tx-stuck".into()), 2)
        .unwrap();
    cluster
        .set_coordinator(MockCoordinator::Group("stuck-group".into()), 3)
        .unwrap();
    let mut config = ServiceConfig::new(ServiceConfig::parse_brokers(cluster.bootstrap_servers()));
    config.producer.message_timeout_ms = 10_000;
    let logger = Logger::new(LogLevel::Error, "tx-stuck", None);
    let transactions =
        Transactions::with_call_timeout(&config, "tx-stuck", logger, Duration::from_secs(2))
            .unwrap();
    let offsets = [("tx".to_string(), 0, 1)];
    let group = || OffsetsGroup::Id("stuck-group".into());

    let tx = transactions.begin().await.unwrap();
    publish_one(&tx, "before").await;
    cluster.broker_down(3).unwrap();
    let stuck = tx.send_offsets(group(), &offsets).await.unwrap_err();
    assert!(stuck.fatal(), "{stuck:?}");
    assert_eq!(stuck.code(), "ERR__TIMED_OUT");
    assert!(!tx.is_open());
    assert_eq!(
        transactions.begin().await.err().unwrap().code(),
        "ERR__TIMED_OUT"
    );

    cluster.broker_up(3).unwrap();
    assert!(transactions.reset().await.unwrap());
    let tx = transactions.begin().await.unwrap();
    publish_one(&tx, "after").await;
    tx.send_offsets(group(), &offsets).await.unwrap();
    tx.commit().await.unwrap();
    transactions.close().await;
}
