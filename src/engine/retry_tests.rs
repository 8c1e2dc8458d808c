//! The retry ladder against librdkafka's mock cluster: delayed redelivery, dead letters with
//! their headers, and a waiting retry partition that holds up nothing else.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::FutureExt;

use crate::engine::consumer::dead_letter_replay::{ReplayOptions, ReplayReport, REPLAYED_FROM};
use crate::engine::consumer::retry_headers as h;
use crate::engine::consumer::{
    BatchHandler, FailureFate, FateListener, HandlerFailure, HandlerOutcome, RetryLadder,
    SubscribeOptions, Subscription,
};
use crate::engine::error::EngineError;
use crate::engine::message::{ConsumedMessage, MessageBatch, OutgoingMessage};
use crate::engine::mock_cluster::MockKafkaCluster;
use crate::engine::service::KafkaEngine;
use crate::engine::tests::{connected_engine, engine_for, wait_until};

/// librdkafka sometimes rejoins right after its first JoinGroup; the mock cluster then waits out
/// the session timeout less a second before it answers (44 s at librdkafka's default, longer than
/// the tests wait for a join on a busy machine).
const SESSION_TIMEOUT_MS: u32 = 10_000;

type Calls = Arc<Mutex<Vec<(String, String, Instant)>>>;

/// Calls `fails` with each value and the number of calls that saw it so far, and fails the
/// batch there when it answers; records every call as (topic, value, when).
fn failing_handler(
    calls: Calls,
    fails: fn(&str, usize) -> Option<HandlerFailure>,
) -> Arc<dyn BatchHandler> {
    Arc::new(move |batch: Arc<MessageBatch>| {
        let calls = calls.clone();
        async move {
            for (i, m) in batch.messages.iter().enumerate() {
                let value =
                    String::from_utf8_lossy(m.value.as_deref().unwrap_or_default()).to_string();
                let mut c = calls.lock().unwrap();
                c.push((batch.topic.clone(), value.clone(), Instant::now()));
                let seen = c.iter().filter(|(_, v, _)| *v == value).count();
                if let Some(failure) = fails(&value, seen) {
                    return HandlerOutcome::failed_with(i, failure);
                }
            }
            HandlerOutcome::done(batch.messages.len())
        }
        .boxed()
    })
}

/// Fails `always-*` values every time and `twice-*` values their first two times.
fn flaky_handler(calls: Calls) -> Arc<dyn BatchHandler> {
    failing_handler(calls, |value, seen| {
        let fails = value.starts_with("always") || (value.starts_with("twice") && seen <= 2);
        fails.then(|| HandlerFailure::handler(format!("Error: {value} refused\n    at stack")))
    })
}

/// Fails `poison-*` values as undecodable bytes (not retriable).
fn poison_handler(calls: Calls) -> Arc<dyn BatchHandler> {
    failing_handler(calls, |value, _| {
        let e = EngineError::SchemaDecode("unknown magic byte".into());
        value
            .starts_with("poison")
            .then(|| HandlerFailure::engine(&e))
    })
}

fn recorder(seen: Arc<Mutex<Vec<ConsumedMessage>>>) -> Arc<dyn BatchHandler> {
    Arc::new(move |batch: Arc<MessageBatch>| {
        seen.lock().unwrap().extend(batch.messages.iter().cloned());
        let n = batch.messages.len();
        async move { HandlerOutcome::done(n) }.boxed()
    })
}

/// A subscription of its own group that records everything on `topic`, from the beginning.
async fn read_all(
    engine: &KafkaEngine,
    group: &str,
    topic: &str,
) -> (Arc<Mutex<Vec<ConsumedMessage>>>, Arc<Subscription>) {
    let seen: Arc<Mutex<Vec<ConsumedMessage>>> = Arc::default();
    let mut options = SubscribeOptions::new(group, vec![topic.into()]);
    options.session_timeout_ms = Some(SESSION_TIMEOUT_MS);
    options.from_beginning = true;
    let sub = engine
        .subscribe(options, recorder(seen.clone()), None)
        .await
        .unwrap();
    (seen, sub)
}

fn header(m: &ConsumedMessage, name: &str) -> String {
    h::text(m, name).unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_message_climbs_the_ladder_into_the_dead_letter_topic() {
    let cluster = MockKafkaCluster::start(1).unwrap();
    for t in ["orders", "g-r.retry.1", "g-r.retry.2", "g-r.dlq"] {
        cluster.create_topic(t, 2, 1).unwrap();
    }
    let engine = engine_for(&cluster);
    engine.connect().await.unwrap();

    let mut options = SubscribeOptions::new("g-r", vec!["orders".into()]);
    options.session_timeout_ms = Some(SESSION_TIMEOUT_MS);
    options.from_beginning = true;
    options.retries = 1;
    options.retry_backoff_ms = 10;
    options.retry = Some(RetryLadder::new(
        "g-r",
        vec![400, 800],
        None,
        Some("g-r.dlq".into()),
    ));
    let calls: Calls = Arc::default();
    let sub = engine
        .subscribe(options, flaky_handler(calls.clone()), None)
        .await
        .unwrap();

    let messages = ["always-1", "twice-1", "fine-1", "fine-2"].map(|v| {
        OutgoingMessage::value(v.as_bytes().to_vec())
            .with_key(b"k1".to_vec())
            .with_header("trace", b"t-1".to_vec())
    });
    for r in engine
        .send_batch(messages.iter().map(|m| ("orders", m)))
        .unwrap()
        .wait()
        .await
    {
        r.unwrap();
    }

    let (dead, dlq_sub) = read_all(&engine, "g-r-dlq", "g-r.dlq").await;
    wait_until("the dead letter", || !dead.lock().unwrap().is_empty()).await;
    wait_until("twice-1 succeeded", || {
        calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.1 == "twice-1")
            .count()
            >= 3
    })
    .await;

    let calls = calls.lock().unwrap().clone();
    let of = |v: &str| -> Vec<(String, Instant)> {
        calls
            .iter()
            .filter(|c| c.1 == v)
            .map(|c| (c.0.clone(), c.2))
            .collect()
    };
    // In place: first call and one retry; then one call per step (each step retries in place too
    // for `always`), then the dead-letter topic.
    let always = of("always-1");
    let topics: Vec<&str> = always.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        topics,
        [
            "orders",
            "orders",
            "g-r.retry.1",
            "g-r.retry.1",
            "g-r.retry.2",
            "g-r.retry.2"
        ]
    );
    let first_on = |t: &str| always.iter().find(|c| c.0 == t).unwrap().1;
    let last_on = |t: &str| always.iter().rev().find(|c| c.0 == t).unwrap().1;
    assert!(first_on("g-r.retry.1") - last_on("orders") >= Duration::from_millis(400));
    assert!(first_on("g-r.retry.2") - last_on("g-r.retry.1") >= Duration::from_millis(800));

    let twice = of("twice-1");
    assert_eq!(
        twice.len(),
        3,
        "two failures in place, then success on retry.1"
    );
    assert_eq!(twice[2].0, "g-r.retry.1");
    // The messages behind a failing one are not held up by its delays.
    let fine = of("fine-1");
    assert_eq!(fine.len(), 1);
    assert!(fine[0].1 < twice[2].1);

    let dead = dead.lock().unwrap().clone();
    assert_eq!(dead.len(), 1);
    let d = &dead[0];
    assert_eq!(d.value.as_deref(), Some(&b"always-1"[..]));
    assert_eq!(d.key.as_deref(), Some(&b"k1"[..]));
    assert_eq!(header(d, "trace"), "t-1");
    assert_eq!(header(d, h::ORIGINAL_TOPIC), "orders");
    assert_eq!(header(d, h::ORIGINAL_OFFSET), "0");
    assert_eq!(header(d, h::ORIGINAL_KEY), "k1");
    assert_eq!(header(d, h::ATTEMPTS), "6");
    assert_eq!(header(d, h::ERROR_CODE), "ERR_HANDLER_FAILED");
    assert_eq!(header(d, h::ERROR), "Error: always-1 refused");
    assert_eq!(header(d, h::GROUP), "g-r");
    assert!(h::number(d, h::FIRST_FAILURE).unwrap() > 0);
    assert!(h::number(d, h::ORIGINAL_TIMESTAMP).unwrap() > 0);

    sub.stop().await;
    dlq_sub.stop().await;
    assert!(sub.failure().is_none());
    engine.disconnect(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_dead_letter_topic_the_last_failure_stops_the_subscription() {
    let cluster = MockKafkaCluster::start(1).unwrap();
    for t in ["jobs", "g-x.retry.1"] {
        cluster.create_topic(t, 1, 1).unwrap();
    }
    let engine = engine_for(&cluster);
    engine.connect().await.unwrap();
    let mut options = SubscribeOptions::new("g-x", vec!["jobs".into()]);
    options.session_timeout_ms = Some(SESSION_TIMEOUT_MS);
    options.from_beginning = true;
    options.retries = 0;
    options.retry = Some(RetryLadder::new("g-x", vec![100], None, None));
    let calls: Calls = Arc::default();
    let sub = engine
        .subscribe(options, flaky_handler(calls.clone()), None)
        .await
        .unwrap();
    engine
        .publish("jobs", &OutgoingMessage::value(b"always-x".to_vec()))
        .await
        .unwrap();
    wait_until("the subscription stops", || !sub.is_running()).await;
    assert_eq!(sub.failure().unwrap().code(), "ERR_HANDLER_FAILED");
    assert_eq!(calls.lock().unwrap().len(), 2, "jobs once, retry.1 once");
    engine.disconnect(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_that_is_not_retriable_goes_to_the_dead_letter_topic_at_once() {
    let cluster = MockKafkaCluster::start(1).unwrap();
    for t in ["events", "g-p.retry.1", "g-p.dlq"] {
        cluster.create_topic(t, 1, 1).unwrap();
    }
    let engine = engine_for(&cluster);
    engine.connect().await.unwrap();
    let mut options = SubscribeOptions::new("g-p", vec!["events".into()]);
    options.session_timeout_ms = Some(SESSION_TIMEOUT_MS);
    options.from_beginning = true;
    options.retries = 3;
    options.retry_backoff_ms = 10;
    options.retry = Some(RetryLadder::new(
        "g-p",
        vec![60_000],
        None,
        Some("g-p.dlq".into()),
    ));
    let calls: Calls = Arc::default();
    let sub = engine
        .subscribe(options, poison_handler(calls.clone()), None)
        .await
        .unwrap();
    let poison = OutgoingMessage::value(b"poison-\x00\xff".to_vec()).with_key(b"p".to_vec());
    for m in [&poison, &OutgoingMessage::value(b"fine-after".to_vec())] {
        engine.publish("events", m).await.unwrap();
    }

    let (dead, dlq_sub) = read_all(&engine, "g-p-dlq", "g-p.dlq").await;
    wait_until("the dead letter", || !dead.lock().unwrap().is_empty()).await;
    wait_until("the next message", || {
        calls.lock().unwrap().iter().any(|c| c.1 == "fine-after")
    })
    .await;

    let topics: Vec<String> = calls
        .lock()
        .unwrap()
        .iter()
        .filter(|c| c.1.starts_with("poison"))
        .map(|c| c.0.clone())
        .collect();
    assert_eq!(topics, ["events"], "no in-place retry, no retry step");
    let d = dead.lock().unwrap()[0].clone();
    assert_eq!(d.value, poison.value);
    assert_eq!(d.key.as_deref(), Some(&b"p"[..]));
    assert_eq!(header(&d, h::ERROR_CODE), "ERR_SCHEMA_DECODE");
    assert_eq!(header(&d, h::ERROR), "cannot decode: unknown magic byte");
    assert_eq!(header(&d, h::ATTEMPTS), "1");
    assert_eq!(header(&d, h::ORIGINAL_TOPIC), "events");
    assert_eq!(header(&d, h::ORIGINAL_OFFSET), "0");
    assert_eq!(h::text(&d, h::DUE), None);

    sub.stop().await;
    dlq_sub.stop().await;
    assert!(sub.failure().is_none());
    engine.disconnect(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_dead_letter_topic_a_failure_that_is_not_retriable_stops_at_once() {
    let (_cluster, engine) = connected_engine(1, "raw", 1).await;
    let mut options = SubscribeOptions::new("g-q", vec!["raw".into()]);
    options.session_timeout_ms = Some(SESSION_TIMEOUT_MS);
    options.from_beginning = true;
    options.retries = 5;
    options.retry_backoff_ms = 10;
    let calls: Calls = Arc::default();
    let sub = engine
        .subscribe(options, poison_handler(calls.clone()), None)
        .await
        .unwrap();
    engine
        .publish("raw", &OutgoingMessage::value(b"poison".to_vec()))
        .await
        .unwrap();
    wait_until("the subscription stops", || !sub.is_running()).await;
    let failure = sub.failure().unwrap();
    assert_eq!(failure.code(), "ERR_SCHEMA_DECODE");
    assert!(!failure.retriable());
    assert_eq!(failure.topic(), Some("raw"));
    assert_eq!(calls.lock().unwrap().len(), 1, "no in-place retry");
    engine.disconnect(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_replay_to_their_original_topics() {
    let cluster = MockKafkaCluster::start(1).unwrap();
    for t in ["a", "b", "dlq", "elsewhere"] {
        cluster.create_topic(t, 2, 1).unwrap();
    }
    let engine = engine_for(&cluster);
    engine.connect().await.unwrap();
    let letter = |original: &str, value: &str| {
        OutgoingMessage::value(value.as_bytes().to_vec())
            .with_key(value.as_bytes().to_vec())
            .with_header(h::ORIGINAL_TOPIC, original.as_bytes().to_vec())
            .with_header(h::ERROR_CODE, b"ERR_HANDLER_FAILED".to_vec())
            .with_header(h::ATTEMPTS, b"3".to_vec())
    };
    let letters = [letter("a", "1"), letter("b", "2"), letter("a", "3")];
    let mut orphan = OutgoingMessage::value(b"4".to_vec());
    orphan.key = Some(b"4".to_vec());
    for m in letters.iter().chain(std::iter::once(&orphan)) {
        engine.publish("dlq", m).await.unwrap();
    }

    let report = engine
        .replay_dead_letters(ReplayOptions {
            topic: "dlq".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        report,
        ReplayReport {
            read: 4,
            replayed: 3,
            skipped: 1,
            failed: 0
        }
    );
    let only_a = engine
        .replay_dead_letters(ReplayOptions {
            topic: "dlq".into(),
            original_topics: Some(vec!["a".into()]),
            to_topic: Some("elsewhere".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((only_a.replayed, only_a.skipped), (2, 2));

    let seen: Arc<Mutex<Vec<ConsumedMessage>>> = Arc::default();
    let mut options =
        SubscribeOptions::new("g-replay", vec!["a".into(), "b".into(), "elsewhere".into()]);
    options.session_timeout_ms = Some(SESSION_TIMEOUT_MS);
    options.from_beginning = true;
    let sub = engine
        .subscribe(options, recorder(seen.clone()), None)
        .await
        .unwrap();
    wait_until("5 replayed", || seen.lock().unwrap().len() >= 5).await;
    let seen = seen.lock().unwrap().clone();
    assert!(seen.iter().all(|m| h::text(m, h::ATTEMPTS).is_none()));
    assert!(seen
        .iter()
        .all(|m| h::text(m, REPLAYED_FROM).is_some_and(|f| f.starts_with("dlq/"))));
    sub.stop().await;

    let missing = engine
        .replay_dead_letters(ReplayOptions {
            topic: "bad name".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), "ERR_TOPIC_EXCEPTION");
    engine.disconnect(Duration::from_secs(5)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_call_is_told_where_its_message_went() {
    let cluster = MockKafkaCluster::start(1).unwrap();
    for t in ["fates", "g-f.retry.1", "g-f.dlq"] {
        cluster.create_topic(t, 1, 1).unwrap();
    }
    let engine = engine_for(&cluster);
    engine.connect().await.unwrap();
    let mut options = SubscribeOptions::new("g-f", vec!["fates".into()]);
    options.from_beginning = true;
    options.retries = 1;
    options.retry_backoff_ms = 10;
    options.retry = Some(RetryLadder::new(
        "g-f",
        vec![50],
        None,
        Some("g-f.dlq".into()),
    ));
    let fates: Arc<Mutex<Vec<FailureFate>>> = Arc::default();
    let told = fates.clone();
    let handler: Arc<dyn BatchHandler> = Arc::new(move |_batch: Arc<MessageBatch>| {
        let told = told.clone();
        async move {
            let mut outcome = HandlerOutcome::failed(0, "Error: no");
            outcome.fate = Some(FateListener::new(move |f| told.lock().unwrap().push(f)));
            outcome
        }
        .boxed()
    });
    let sub = engine.subscribe(options, handler, None).await.unwrap();
    let message = OutgoingMessage::value(b"x".to_vec());
    for r in engine
        .send_batch([("fates", &message)].into_iter())
        .unwrap()
        .wait()
        .await
    {
        r.unwrap();
    }
    wait_until("the dead letter", || fates.lock().unwrap().len() >= 4).await;
    let fates = fates.lock().unwrap().clone();
    let code = || "ERR_HANDLER_FAILED".to_string();
    let in_place = FailureFate::RetryInPlace {
        attempt: 1,
        delay_ms: 10,
        code: code(),
    };
    assert_eq!(fates[0], in_place);
    match &fates[1] {
        FailureFate::RetryTopic {
            topic, attempts, ..
        } => assert_eq!((topic.as_str(), *attempts), ("g-f.retry.1", 2)),
        other => panic!("{other:?}"),
    }
    assert_eq!(fates[2], in_place);
    assert_eq!(
        fates[3],
        FailureFate::DeadLetter {
            topic: "g-f.dlq".into(),
            attempts: 4,
            code: code(),
        }
    );
    sub.stop().await;
    engine.disconnect(Duration::from_secs(5)).await.unwrap();
}
