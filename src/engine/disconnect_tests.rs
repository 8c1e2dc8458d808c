//! `disconnect()` is final and bounded: nothing starts after it began, and it returns within its
//! bounds with handlers stuck and the brokers gone (librdkafka's mock cluster).

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;

use crate::engine::config::ServiceConfig;
use crate::engine::consumer::{BatchHandler, HandlerOutcome, SubscribeOptions};
use crate::engine::message::{MessageBatch, OutgoingMessage};
use crate::engine::mock_cluster::MockKafkaCluster;
use crate::engine::service::KafkaEngine;

/// A hang detector, far above what any of these needs on a busy machine.
const HANG: Duration = Duration::from_secs(60);

fn engine_on(brokers: &str) -> Arc<KafkaEngine> {
    let mut config = ServiceConfig::new(ServiceConfig::parse_brokers(brokers));
    config.producer.message_timeout_ms = 5_000;
    Arc::new(KafkaEngine::new(config, None).unwrap())
}

fn done_handler() -> Arc<dyn BatchHandler> {
    Arc::new(|b: Arc<MessageBatch>| async move { HandlerOutcome::done(b.messages.len()) }.boxed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscribe_racing_disconnect_is_stopped_by_it_or_refused() {
    let cluster = MockKafkaCluster::start(1).unwrap();
    cluster.create_topic("race", 1, 1).unwrap();
    for i in 0..20 {
        let engine = engine_on(cluster.bootstrap_servers());
        let subscriber = engine.clone();
        let subscribe = tokio::spawn(async move {
            let options = SubscribeOptions::new(&format!("g-race-{i}"), vec!["race".into()]);
            subscriber.subscribe(options, done_handler(), None).await
        });
        let disconnecter = engine.clone();
        let disconnect =
            tokio::spawn(async move { disconnecter.disconnect(Duration::from_secs(1)).await });
        let subscribed = tokio::time::timeout(HANG, subscribe)
            .await
            .unwrap()
            .unwrap();
        tokio::time::timeout(HANG, disconnect)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        match subscribed {
            Ok(s) => assert!(s.is_done(), "a subscription outlived disconnect()"),
            Err(e) => assert_eq!(e.code(), "ERR_DISCONNECTED"),
        }
        let late = SubscribeOptions::new("g-late", vec!["race".into()]);
        let refused = engine.subscribe(late, done_handler(), None).await;
        assert_eq!(
            refused.err().map(|e| e.code()).as_deref(),
            Some("ERR_DISCONNECTED")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_is_bounded_with_a_stuck_handler_and_the_brokers_gone() {
    let mut cluster = MockKafkaCluster::start(1).unwrap();
    cluster.create_topic("stuck", 1, 1).unwrap();
    let engine = engine_on(cluster.bootstrap_servers());
    engine
        .publish("stuck", &OutgoingMessage::value(b"x".to_vec()))
        .await
        .unwrap();

    // The handler never settles; its call holds `token` until the engine lets go of it.
    let token = Arc::new(());
    let (entered_tx, entered) = tokio::sync::watch::channel(false);
    let held = token.clone();
    let handler: Arc<dyn BatchHandler> = Arc::new(move |_b: Arc<MessageBatch>| {
        let held = held.clone();
        let _ = entered_tx.send(true);
        async move {
            futures::future::pending::<()>().await;
            drop(held);
            HandlerOutcome::done(0)
        }
        .boxed()
    });
    let released = Arc::downgrade(&handler);
    let mut options = SubscribeOptions::new("g-stuck", vec!["stuck".into()]);
    options.from_beginning = true;
    options.drain_timeout_ms = 1_000;
    let sub = engine.subscribe(options, handler, None).await.unwrap();
    let mut entered = entered;
    tokio::time::timeout(HANG, entered.wait_for(|e| *e))
        .await
        .unwrap()
        .unwrap();

    cluster.close();
    tokio::time::timeout(HANG, engine.disconnect(Duration::from_secs(1)))
        .await
        .expect("disconnect() returned")
        .unwrap();
    assert!(!sub.is_running());
    assert!(released.upgrade().is_none(), "the handler is let go");
    assert_eq!(Arc::strong_count(&token), 1, "the stuck call is abandoned");
    // A second disconnect returns at once.
    tokio::time::timeout(HANG, engine.disconnect(Duration::from_secs(1)))
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_ends_with_err_disconnected_when_disconnect_begins() {
    // Nothing listens there: connect() would wait out its 10 s timeout.
    let engine = engine_on("127.0.0.1:1");
    let connecting = engine.clone();
    let connect = tokio::spawn(async move { connecting.connect().await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    engine.disconnect(Duration::from_secs(1)).await.unwrap();
    let result = tokio::time::timeout(HANG, connect).await.unwrap().unwrap();
    assert_eq!(result.unwrap_err().code(), "ERR_DISCONNECTED");
}
